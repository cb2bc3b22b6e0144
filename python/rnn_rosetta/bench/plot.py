"""The PNG: each of our backends' time over the best peer's, per shape (log scale, 1.0 = as fast).

One panel per dtype and thread count; one bar group per shape (the issue's
shapes and any custom ones), one bar per backend of ours. Peers are PyTorch
(either path), ONNX Runtime and numpy; a backend is never its own peer.
Below the line at 1.0 the backend beats every peer. With ``--backward`` one more row of panels per
dtype: each backend's forward + backward time over PyTorch autograd's (``torch``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rnn_rosetta.bench.contenders import OURS
from rnn_rosetta.bench.goals import Document

#: Cells by (shape, dtype, threads, contender).
Cells = dict[tuple[str, str, int, str], dict[str, Any]]

COLORS = {"c": "#1f77b4", "java": "#ff7f0e", "numpy": "#2ca02c"}
ORDER: tuple[str, ...] = ("c", "java", "numpy")


def _leading_digit(value: float) -> int:
    """2 for 0.2, 20 or 2000."""
    return round(value / 10 ** math.floor(math.log10(value))) if value > 0 else 0


def write_plot(document: Document, path: Path) -> str | None:
    """Draw the ratio chart to ``path`` (matplotlib, Agg backend); else the reason there is no PNG."""
    try:
        import matplotlib
    except ImportError:
        return "matplotlib is not installed (pip install matplotlib)"

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda value, _: f"{value:g}")
    some = FuncFormatter(lambda value, _: f"{value:g}" if _leading_digit(value) in (2, 5) else "")

    dtypes, threads = document["plan"]["dtypes"], document["plan"]["threads"]
    shapes = [s["name"] for s in document["shapes"] if s["group"] != "growth"]
    ours = [name for name in ORDER if name in document["plan"]["contenders"] and name in OURS]
    cells = {(c["shape"], c["dtype"], c["threads"], c["contender"]): c for c in document["cells"]}
    backward = document.get("backward") or []
    bwd_cells = {(c["shape"], c["dtype"], c["threads"], c["contender"]): c for c in backward}
    bwd_shapes = list(dict.fromkeys(c["shape"] for c in backward))
    bwd_threads = {c["threads"] for c in backward}
    rows = len(dtypes) * (2 if backward else 1)
    width = max(6.0, 0.75 * len(shapes) + 2)
    figure, axes = plt.subplots(rows, len(threads), figsize=(width * len(threads), 4.2 * rows), squeeze=False)
    bar = 0.8 / max(1, len(ours))

    def panel(axis: Any, names: list[str], lookup: Cells, key: str, dtype: str, count: int, what: str) -> None:
        drawn = False
        for k, name in enumerate(ours):
            xs, ys = [], []
            for i, shape in enumerate(names):
                ratio = lookup.get((shape, dtype, count, name), {}).get(key)
                if ratio is not None:
                    xs.append(i + (k - (len(ours) - 1) / 2) * bar)
                    ys.append(ratio)
            if ys:
                axis.bar(xs, ys, width=bar, label=name, color=COLORS.get(name))
                drawn = True
        axis.axhline(1.0, color="black", linewidth=1)
        axis.set_yscale("log")
        axis.yaxis.set_major_formatter(plain)
        axis.yaxis.set_minor_formatter(some)
        axis.tick_params(axis="y", which="minor", labelsize=7)
        axis.set_xticks(range(len(names)))
        axis.set_xticklabels(names, rotation=45, ha="right", fontsize=8)
        axis.set_title(f"{what}{dtype}, {count} thread{'s' if count > 1 else ''}")
        axis.set_ylabel("time / torch's (log)" if what else "time / best peer's (log)")
        if drawn:
            axis.legend(fontsize=8)
        else:
            axis.text(0.5, 0.5, "no ratio (n/a)", transform=axis.transAxes, ha="center", va="center")

    for row, dtype in enumerate(dtypes):
        for col, count in enumerate(threads):
            panel(axes[row][col], shapes, cells, "ratio_to_best_peer", dtype, count, "")
            if not backward:
                continue
            axis = axes[len(dtypes) + row][col]
            if count in bwd_threads:
                panel(axis, bwd_shapes, bwd_cells, "ratio_to_torch", dtype, count, "fwd+bwd over PyTorch autograd, ")
            else:
                axis.set_visible(False)
    figure.suptitle("rnn-rosetta: our backends over the best peer (PyTorch, ONNX Runtime, numpy); < 1 is faster")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return None

"""The report's plot: normwise error against T (log-log), one panel per hidden size, one line per
target and dtype (solid float64, dashed float32)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rnn_rosetta.accuracy.grid import GridRecord


def plot_grid(records: Sequence[GridRecord], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measured = [r for r in records if r.error is not None]
    hiddens = sorted({r.hidden for r in records})
    targets = list(dict.fromkeys(r.target for r in records))
    colors = {t: plt.get_cmap("tab10")(k % 10) for k, t in enumerate(targets)}
    markers = {t: "osD^vx+*"[k % 8] for k, t in enumerate(targets)}  # identical lines (exact kernels) stay visible
    all_steps = sorted({r.steps for r in records})
    fig, axes = plt.subplots(1, len(hiddens), figsize=(3.6 * len(hiddens) + 1.5, 3.8), squeeze=False, sharey=True)
    for ax, hidden in zip(axes[0], hiddens, strict=True):
        for target in targets:
            for dtype, style in (("float64", "-"), ("float32", "--")):
                points = sorted(
                    (r.steps, max(r.error.normwise, 1e-3))  # type: ignore[union-attr]
                    for r in measured
                    if r.hidden == hidden and r.target == target and r.dtype == dtype
                )
                if points:
                    xs, ys = zip(*points, strict=True)
                    ax.plot(xs, ys, style, marker=markers[target], ms=4, mfc="none", color=colors[target],
                            label=f"{target} {dtype}")  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlim(all_steps[0] / 2, all_steps[-1] * 2)
        ax.set_yscale("log")
        ax.set_title(f"{records[0].cell} H={hidden}")
        ax.set_xlabel("T (steps)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("normwise error (eps of the dtype)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    for ax in axes[0][1:]:
        for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(h)
                labels.append(label)
    fig.legend(handles, labels, loc="center right", fontsize=7)
    fig.tight_layout(rect=(0, 0, 0.8, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

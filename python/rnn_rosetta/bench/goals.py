"""The speed goals of the issue, judged on the measured cells (never asserted in tests).

Each goal looks at the cells it is about and gives a status:
``PASS`` (every cell meets it), ``MISS`` (at least one measured cell does
not), ``INCOMPLETE`` (the measured ones pass but some are n/a) or ``N/A``
(nothing it needs was measured). Goals are judged on the issue's shapes (the
``main`` group) that were run, in each dtype run, at 1 thread (the first goal
says so; the roofline probes are single-threaded; and at 2 threads a
single-threaded backend is not re-timed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

Document = dict[str, Any]
#: n/a reasons are cut to this many characters in the one-line detail.
REASON_WIDTH = 90


@dataclass(frozen=True)
class Check:
    """One cell judged: where, the measured value, and ``ok`` (``None``: could not judge, see ``note``)."""

    where: str
    value: float | None
    ok: bool | None
    note: str = ""


class Cells:
    """Look-up of cells by (shape, dtype, threads, contender)."""

    def __init__(self, document: Document) -> None:
        self.by_key = {(c["shape"], c["dtype"], c["threads"], c["contender"]): c for c in document["cells"]}
        self.main = [s for s in document["shapes"] if s["group"] == "main"]
        self.dtypes: list[str] = document["plan"]["dtypes"]

    def get(self, shape: str, dtype: str, threads: int, contender: str) -> dict[str, Any] | None:
        return self.by_key.get((shape, dtype, threads, contender))


def _where(shape: str, dtype: str, threads: int) -> str:
    return f"{shape} {dtype} {threads}t"


def _missing(cell: dict[str, Any] | None, contender: str) -> str:
    if cell is None:
        return f"{contender} not run"
    return f"{contender} {cell['status']}: {cell.get('reason') or ''}".strip()


def _ratio(cells: Cells, top: str, bottom: str, limit: float, threads: list[int]) -> list[Check]:
    checks = []
    for shape in cells.main:
        for dtype in cells.dtypes:
            for t in threads:
                a, b = cells.get(shape["name"], dtype, t, top), cells.get(shape["name"], dtype, t, bottom)
                where = _where(shape["name"], dtype, t)
                if a is None or a["status"] != "ok":
                    checks.append(Check(where, None, None, _missing(a, top)))
                elif b is None or b["status"] != "ok":
                    checks.append(Check(where, None, None, _missing(b, bottom)))
                else:
                    ratio = a["median_s"] / b["median_s"]
                    checks.append(Check(where, ratio, ratio <= limit))
    return checks


def _field(cells: Cells, shapes: list[dict[str, Any]], key: str, limit: float) -> list[Check]:
    """``c``'s ``key`` >= ``limit`` on ``shapes``, both dtypes, 1 thread."""
    checks = []
    for shape in shapes:
        for dtype in cells.dtypes:
            cell = cells.get(shape["name"], dtype, 1, "c")
            where = _where(shape["name"], dtype, 1)
            if cell is None or cell["status"] != "ok":
                checks.append(Check(where, None, None, _missing(cell, "c")))
            elif key not in cell:
                checks.append(Check(where, None, None, "roofline n/a (no probes)"))
            else:
                checks.append(Check(where, cell[key], cell[key] >= limit))
    return checks


def c_vs_peers(cells: Cells) -> list[Check]:
    checks = []
    for shape in cells.main:
        for dtype in ("float32", "float64"):
            cell = cells.get(shape["name"], dtype, 1, "c")
            where = _where(shape["name"], dtype, 1)
            if cell is None or cell["status"] != "ok":
                checks.append(Check(where, None, None, _missing(cell, "c")))
            elif "ratio_to_best_peer" not in cell:
                checks.append(Check(where, None, None, "no peer measured"))
            else:
                ratio = cell["ratio_to_best_peer"]
                checks.append(Check(where, ratio, ratio <= 1.0, f"vs {cell['best_peer']}"))
    return checks


def roofline_memory_bound(cells: Cells) -> list[Check]:
    return _field(cells, [s for s in cells.main if s["memory_bound"]], "roofline_efficiency", 0.7)


def peak_on_batch(cells: Cells) -> list[Check]:
    return _field(cells, [s for s in cells.main if s["name"] == "lstm-512-32-25"], "peak_fraction", 0.6)


def java_vs_c(cells: Cells) -> list[Check]:
    return _ratio(cells, "java", "c", 1.5, [1])


def numpy_vs_torch(cells: Cells) -> list[Check]:
    return _ratio(cells, "numpy", "torch-native", 1.3, [1])


GOALS: tuple[tuple[str, str, Callable[[Cells], list[Check]]], ...] = (
    ("C is at least as fast as the best peer on every shape, float32 and float64, at 1 thread", "x", c_vs_peers),
    (
        "roofline efficiency >= 0.7 on the memory-bound shapes (LSTM 256/1/150 and larger at batch 1)",
        "",
        roofline_memory_bound,
    ),
    (">= 0.6 of measured peak FLOP/s on LSTM 512/32/25", "", peak_on_batch),
    ("Java within 1.5x of C on every shape", "x", java_vs_c),
    ("numpy within 1.3x of PyTorch native", "x", numpy_vs_torch),
)


def verdict(checks: list[Check]) -> str:
    judged = [c for c in checks if c.ok is not None]
    if any(c.ok is False for c in judged):
        return "MISS"
    if not judged:
        return "N/A"
    return "INCOMPLETE" if len(judged) < len(checks) else "PASS"


def _summary(checks: list[Check], unit: str, higher_is_better: bool) -> str:
    """``k/n judged cells meet it; worst WHERE: VALUE; m of N n/a (first reason)``."""
    if not checks:
        return "none of its shapes was run"
    judged = [c for c in checks if c.ok is not None]
    parts = []
    if judged:
        parts.append(f"{sum(bool(c.ok) for c in judged)}/{len(judged)} measured cells meet it")
        pick = min if higher_is_better else max
        worst = pick(judged, key=lambda c: c.value or 0.0)
        parts.append(f"worst {worst.where}: {worst.value:.2f}{unit} {worst.note}".rstrip())
    unjudged = [c for c in checks if c.ok is None]
    if unjudged:
        reasons = sorted({c.note.strip().splitlines()[0][:REASON_WIDTH] for c in unjudged})
        more = f" and {len(reasons) - 1} more reasons" if len(reasons) > 1 else ""
        parts.append(f"{len(unjudged)} of {len(checks)} cells n/a ({reasons[0]}{more})")
    return "; ".join(parts)


def evaluate_goals(document: Document) -> list[dict[str, Any]]:
    """Every goal with its status, a one-line detail and the cells it judged."""
    cells = Cells(document)
    goals = []
    for text, unit, judge in GOALS:
        checks = judge(cells)
        goals.append(
            {
                "goal": text,
                "status": verdict(checks) if checks else "N/A",
                "detail": _summary(checks, unit, higher_is_better=unit == ""),
                "checks": [asdict(c) for c in checks],
            }
        )
    return goals

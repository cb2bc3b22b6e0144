"""The accuracy report's files: a markdown table, a JSON file with every record, and a PNG plot."""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnn_rosetta.accuracy.case_table import CaseRecord, case_table_lines, problem_lines
from rnn_rosetta.accuracy.grid import GridRecord
from rnn_rosetta.accuracy.torch_runner import torch_version


def _grid_cell(record: GridRecord | None) -> str:
    if record is None:
        return ""
    if record.error is not None:
        return f"{record.error.normwise:.2f}"
    if "over budget" in record.note:
        return "budget"
    return "skip" if record.note.startswith("skipped") else "FAIL"


def grid_table_lines(records: Sequence[GridRecord], dtype: str) -> list[str]:
    """One row per (cell, H, T), one column per target: the normwise error in eps of ``dtype``."""
    chosen = [r for r in records if r.dtype == dtype]
    targets = list(dict.fromkeys(r.target for r in chosen))
    points = list(dict.fromkeys((r.cell, r.hidden, r.steps) for r in chosen))
    by_key = {(r.cell, r.hidden, r.steps, r.target): r for r in chosen}
    oracles = {(r.cell, r.hidden, r.steps): r.oracle or "-" for r in chosen}
    lines = [
        "| cell | H | T | oracle | " + " | ".join(targets) + " |",
        "|---|--:|--:|---|" + "|".join("--:" for _ in targets) + "|",
    ]
    for point in points:
        cells = [_grid_cell(by_key.get((*point, t))) for t in targets]
        cell, hidden, steps = point
        lines.append(f"| {cell} | {hidden} | {steps} | {oracles[point]} | " + " | ".join(cells) + " |")
    return lines


def float32_verdict(records: Sequence[GridRecord | CaseRecord], torch_label: str = "torch") -> list[str]:
    """Per target, the worst float32 normwise error over the points PyTorch ran too, beside PyTorch's."""
    chosen = [r for r in records if r.dtype == "float32" and r.error is not None]
    keyed: dict[Any, dict[str, float]] = {}
    for r in chosen:
        key = (r.case,) if isinstance(r, CaseRecord) else (r.cell, r.hidden, r.steps)
        keyed.setdefault(key, {})[r.target] = r.error.normwise  # type: ignore[union-attr]
    shared = [values for values in keyed.values() if torch_label in values]
    if not shared:
        return ["(PyTorch did not run: no float32 comparison)"]
    targets = sorted({t for values in shared for t in values})
    lines = []
    for target in targets:
        pairs = [(v[target], v[torch_label]) for v in shared if target in v]
        ours, theirs = max(p[0] for p in pairs), max(p[1] for p in pairs)
        worse = sum(1 for a, b in pairs if a > b)
        lines.append(f"- {target}: worst {ours:.2f} eps32 (PyTorch {theirs:.2f}) over {len(pairs)} runs; "
                     f"above PyTorch on {worse}")  # fmt: skip
    return lines


def markdown(case_records: Sequence[CaseRecord], grid_records: Sequence[GridRecord], dtypes: Sequence[str]) -> str:
    """The whole report as markdown."""
    parts = [
        "# Accuracy report",
        "",
        f"Normwise error `max|y - exact| / (eps * max|exact|)` in eps of the dtype (2^-52 float64, 2^-23 float32);"
        f" machine: {platform.machine()}, numpy {np.__version__}, PyTorch {torch_version() or 'not installed'}.",
        "`skip`: the target cannot run the model (e.g. PyTorch has no peepholes); `budget`: over `--budget`;"
        " `FAIL`: the run raised (see the JSON).",
    ]
    for dtype in dtypes:
        if case_records:
            parts += ["", f"## Committed accuracy cases, {dtype}", "", *case_table_lines(case_records, dtype)]
        if grid_records:
            parts += ["", f"## Grid, {dtype}", "", *grid_table_lines(grid_records, dtype)]
    if "float32" in dtypes:
        parts += ["", "## float32 beside PyTorch float32", "", *float32_verdict([*case_records, *grid_records])]
    problems = problem_lines(case_records) + [
        f"{r.cell} H={r.hidden} T={r.steps} {r.target} {r.dtype}: {r.note}" for r in grid_records if "failed" in r.note
    ]
    if problems:
        parts += ["", "## Failures", "", *(f"- {line}" for line in problems)]
    return "\n".join(parts) + "\n"


def write_report(
    out: Path, case_records: Sequence[CaseRecord], grid_records: Sequence[GridRecord], dtypes: Sequence[str],
    settings: dict[str, Any],
) -> list[Path]:  # fmt: skip
    """accuracy.md, accuracy.json and (with grid records) accuracy.png under ``out``; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "accuracy.md", out / "accuracy.json"]
    written[0].write_text(markdown(case_records, grid_records, dtypes), "utf-8")
    document = {
        "settings": settings,
        "machine": platform.machine(),
        "numpy": np.__version__,
        "torch": torch_version(),
        "cases": [r.as_dict() for r in case_records],
        "grid": [r.as_dict() for r in grid_records],
    }
    written[1].write_text(json.dumps(document, indent=1, allow_nan=True) + "\n", "utf-8")
    if grid_records:
        try:
            import matplotlib  # noqa: F401  (the plot needs it; the table and the JSON do not)
        except ImportError:
            print("no plot: matplotlib is not installed (pip install 'rnn-rosetta[bench]')", file=sys.stderr)
            return written
        from rnn_rosetta.accuracy.plot import plot_grid

        written.append(plot_grid(grid_records, out / "accuracy.png"))
    return written

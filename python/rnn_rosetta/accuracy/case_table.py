"""The committed accuracy cases through every target: one error per (case, target, dtype)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnn_rosetta.accuracy.case_files import StoredCase
from rnn_rosetta.accuracy.measure import Error, result_error
from rnn_rosetta.accuracy.targets import Target


@dataclass(frozen=True)
class CaseRecord:
    """One measurement: the error, or why there is none (refused, failed)."""

    case: str
    target: str
    dtype: str
    error: Error | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        measured = {} if self.error is None else self.error.as_dict()
        return {"case": self.case, "target": self.target, "dtype": self.dtype, **measured, "note": self.note}


def measure_case(case: StoredCase, target: Target, dtype: str) -> CaseRecord:
    """``target`` on ``case`` in ``dtype`` against the committed exact answer."""
    reason = target.refusal(case.model)
    if reason is not None:
        return CaseRecord(case.name, target.label, dtype, None, f"skipped: {reason}")
    try:
        with np.errstate(all="ignore"):
            result = target.run(case.model, case.given, dtype)
        return CaseRecord(case.name, target.label, dtype, result_error(result, case.exact[dtype], dtype))
    except Exception as exc:  # a kernel that fails is reported on its line, the others still run
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return CaseRecord(case.name, target.label, dtype, None, f"failed: {message}")


def measure_cases(
    cases: Sequence[StoredCase],
    targets: Sequence[Target],
    dtypes: Sequence[str],
    advance: Callable[[str], None] | None = None,
) -> list[CaseRecord]:
    """Every case x target x dtype; ``advance(label)`` after each."""
    records = []
    for case in cases:
        for dtype in dtypes:
            for target in targets:
                records.append(measure_case(case, target, dtype))
                if advance is not None:
                    advance(f"{case.name} {target.label} {dtype}")
    return records


def _cell(record: CaseRecord | None) -> str:
    if record is None:
        return ""
    if record.error is None:
        return "skip" if record.note.startswith("skipped") else "FAIL"
    return f"{record.error.normwise:.3f}"


def case_table_lines(records: Sequence[CaseRecord], dtype: str) -> list[str]:
    """A markdown table: one row per case, one column per target, normwise error in eps; a last row of maxima."""
    chosen = [r for r in records if r.dtype == dtype]
    targets = list(dict.fromkeys(r.target for r in chosen))
    cases = list(dict.fromkeys(r.case for r in chosen))
    by_key = {(r.case, r.target): r for r in chosen}
    width = max([len("case"), *(len(c) for c in cases)])
    lines = [
        f"| {'case':{width}s} | " + " | ".join(targets) + " |",
        f"|{'-' * (width + 2)}|" + "|".join("-" * (len(t) + 1) + ":" for t in targets) + "|",
    ]
    for case in cases:
        cells = [f"{_cell(by_key.get((case, t))):>{len(t)}s}" for t in targets]
        lines.append(f"| {case:{width}s} | " + " | ".join(cells) + " |")
    worst = []
    for t in targets:
        values = [r.error.normwise for r in chosen if r.target == t and r.error is not None]
        worst.append(f"{(f'{max(values):.3f}' if values else '-'):>{len(t)}s}")
    lines.append(f"| {'**max**':{width}s} | " + " | ".join(worst) + " |")
    return lines


def problem_lines(records: Sequence[CaseRecord]) -> list[str]:
    """One line per target and failure message (refusals are in the table as ``skip``), with a count and an example."""
    groups: dict[tuple[str, str], list[CaseRecord]] = {}
    for r in records:
        if r.note.startswith("failed"):
            groups.setdefault((r.target, r.note), []).append(r)
    return [
        f"{target}: {note} ({len(group)} runs, e.g. {group[0].case} {group[0].dtype})"
        for (target, note), group in groups.items()
    ]

"""What the crosscheck prints and writes: a summary that fits 80 columns, the full tables, JSON records.

- default: one line per fixture and dtype (the worst error against the
  oracle over every backend and kernel, as a multiple of the tolerance, the
  target that made it, pass/FAIL, whether the exact kernels gave the same bits),
  one line on the pairs, one on the exact kernels' bits, then, when cases have
  ``backward``, the same per fixture for the gradients and a line naming any target
  with "no backward", then every failure;
- ``verbose``: a table per fixture (every target: max |err|, multiple of the
  tolerance, ulps, the gradients' multiple, time), the table of backend pairs and
  the table of exact-kernel pairs compared bit for bit;
- :func:`json_document`: every record, failures included, for machines.

Ulps are counted in the coarser of the run's precision and the oracle's: a
float32 oracle (onnxruntime) is never measured in float64 ulps. Nothing is
truncated: cells that do not fit fold onto the next line.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rnn_rosetta.compare import FLOAT32
from rnn_rosetta.crosscheck_bits import bits_verdict
from rnn_rosetta.crosscheck_gradients import NO_BACKWARD
from rnn_rosetta.crosscheck_records import BitsRun, FixtureReport, PairRun, TargetRun, json_number

FORMAT = "rnn-rosetta-crosscheck"
VERSION = 1


def times_tolerance(ratio: float) -> str:
    """``0.02x tol``: an error as a multiple of its tolerance (1x is the limit)."""
    if ratio == 0:
        return "exact"
    if ratio == float("inf"):
        return "inf"
    if ratio < 0.01:
        return f"{ratio:.1g}x tol"  # 0.003x, 1e-05x
    return f"{ratio:.2f}x tol" if ratio < 100 else f"{ratio:.3g}x tol"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1e3:.3f} ms" if value < 1 else f"{value:.2f} s"


@dataclass(frozen=True)
class DtypeVerdict:
    """One summary line: one fixture at one dtype."""

    fixture: str
    dtype: str
    worst_ratio: float | None  # None: no case ran (no cases, or no target could run)
    worst_target: str | None
    ok: bool
    note: str = ""  # "no cases", "did not run"
    #: Gradients (cases with ``backward``): the worst over the targets that checked them, None if none did.
    worst_gradient_ratio: float | None = None
    worst_gradient_target: str | None = None
    gradient_ok: bool = True  # no gradient failure at this dtype
    no_backward: tuple[str, ...] = ()  # the targets whose backend has no backward (reported, not skipped)
    has_gradients: bool = False  # whether the fixture has cases with ``backward``
    bits: str = "-"  # the exact kernels bit for bit: "same", "DIFF", "-" (fewer than two exact targets ran)

    def worst_text(self) -> str:
        return self.note if self.worst_ratio is None else times_tolerance(self.worst_ratio)

    def gradient_text(self) -> str:
        """``-`` (no backward cases), ``0.02x tol``, and ``no backward: c, java`` for backends without it."""
        if not self.has_gradients:
            return "-"
        parts = [] if self.worst_gradient_ratio is None else [times_tolerance(self.worst_gradient_ratio)]
        if self.no_backward:
            parts.append(f"{NO_BACKWARD}: {', '.join(self.no_backward)}")
        return "; ".join(parts) or "did not run"


def verdicts(report: FixtureReport, dtypes: Sequence[str]) -> list[DtypeVerdict]:
    """The summary lines of one fixture, one per dtype it ran at."""
    lines = []
    name = report.fixture.name
    for dtype in dtypes:
        runs = [r for r in report.runs if r.target.dtype == dtype]
        if not runs:
            continue
        ok = not any(f.dtype == dtype for f in report.failures())
        broken = [r for r in runs if not r.ran]
        compared = [r for r in runs if r.vs_expected is not None]
        graded = [r for r in runs if r.vs_expected_gradients is not None]
        worst_graded = max(graded, key=_gradient_ratio_of) if graded else None
        gradients = {
            "worst_gradient_ratio": None if worst_graded is None else _gradient_ratio_of(worst_graded),
            "worst_gradient_target": None if worst_graded is None else worst_graded.label,
            "gradient_ok": not any(f.dtype == dtype and f.gradient for f in report.failures()),
            "no_backward": tuple(r.label for r in runs if r.backward == NO_BACKWARD),
            "has_gradients": any(c.backward is not None for c in report.fixture.cases),
            "bits": bits_verdict(report.bits, dtype),
        }
        if broken:
            lines.append(DtypeVerdict(name, dtype, None, broken[0].label, False, "did not run", **gradients))
        elif not compared:
            lines.append(DtypeVerdict(name, dtype, None, None, ok, "no cases", **gradients))
        else:
            worst = max(compared, key=_ratio_of)
            lines.append(DtypeVerdict(name, dtype, _ratio_of(worst), worst.label, ok, **gradients))
    return lines


def _ratio_of(run: TargetRun) -> float:
    return 0.0 if run.vs_expected is None else run.vs_expected.max_ratio


def _gradient_ratio_of(run: TargetRun) -> float:
    return 0.0 if run.vs_expected_gradients is None else run.vs_expected_gradients.max_ratio


def _verdict_text(ok: bool) -> Text:
    return Text("pass", style="green") if ok else Text("FAIL", style="bold red")


def _table(title: str | None = None) -> Table:
    """A borderless table whose cells fold instead of being cut (no ``…`` at any width)."""
    return Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )


def _column(table: Table, name: str, right: bool = False) -> None:
    table.add_column(name, justify="right" if right else "left", overflow="fold")


def summary_table(reports: Sequence[FixtureReport], dtypes: Sequence[str]) -> Table:
    table = _table()
    for name, right in (("fixture", False), ("dtype", False), ("worst x tol", True), ("worst target", False)):
        _column(table, name, right)
    _column(table, "result")
    _column(table, "bits")
    for report in reports:
        rows = verdicts(report, dtypes)
        for index, line in enumerate(rows):
            table.add_row(
                Text(line.fixture if index == 0 else ""),
                line.dtype,
                line.worst_text(),
                Text(line.worst_target or "-"),
                _verdict_text(line.ok),
                Text(line.bits, style="bold red" if line.bits == "DIFF" else ""),
            )
    return table


def gradient_table(reports: Sequence[FixtureReport], dtypes: Sequence[str]) -> Table | None:
    """One line per fixture with ``backward`` cases and dtype: the worst gradient against the oracle over
    every target with backward, the target that made it, pass/FAIL (None when no fixture has such cases)."""
    lines = [line for report in reports for line in verdicts(report, dtypes) if line.has_gradients]
    if not lines:
        return None
    table = _table("gradients (cases with backward)")
    for name, right in (("fixture", False), ("dtype", False), ("worst x tol", True), ("worst target", False)):
        _column(table, name, right)
    _column(table, "result")
    previous = None
    for line in lines:
        worst = NO_BACKWARD if line.worst_gradient_ratio is None else times_tolerance(line.worst_gradient_ratio)
        table.add_row(
            Text(line.fixture if line.fixture != previous else ""),
            line.dtype,
            worst,
            Text(line.worst_gradient_target or "-"),
            _verdict_text(line.gradient_ok),
        )
        previous = line.fixture
    return table


def no_backward_line(reports: Sequence[FixtureReport], dtypes: Sequence[str]) -> str | None:
    """The targets whose backend has no backward, where a fixture has ``backward`` cases (never silent)."""
    labels = [label for r in reports for line in verdicts(r, dtypes) for label in line.no_backward]
    if not labels:
        return None
    return f"{NO_BACKWARD}: {', '.join(dict.fromkeys(labels))} (their gradients are not checked)"


def fixture_heading(report: FixtureReport, dtypes: Sequence[str]) -> list[str]:
    """The lines above a fixture's table: oracle, cases, and the rule each dtype is held to."""
    fixture = report.fixture
    oracle, oracle_dtype = report.oracle
    ulp_note = "; ulps counted in float32" if oracle_dtype == "float32" else ""
    lines = [f"{fixture.name}: oracle {oracle} ({oracle_dtype}), {len(fixture.cases)} cases{ulp_note}"]
    lines += [f"  {dtype} tol: {fixture.tolerance.for_dtype(dtype).rule()}" for dtype in dtypes]
    return lines


def fixture_table(report: FixtureReport) -> Table:
    """Every target on one fixture: max |err|, multiple of the tolerance, ulps, result, time."""
    table = _table()
    for name, right in (("target", False), ("dtype", False), ("max |err|", True), ("x tol", True), ("ulps", True)):
        _column(table, name, right)
    _column(table, "grad x tol", right=True)
    _column(table, "result")
    _column(table, "median", right=True)
    for run in report.runs:
        worst = run.vs_expected
        table.add_row(
            Text(run.label),
            run.target.dtype,
            "-" if worst is None else f"{worst.max_abs:.2e}",
            "-" if worst is None else times_tolerance(worst.max_ratio).removesuffix(" tol"),
            "-" if worst is None else f"{worst.max_ulp:,}",
            _gradient_cell(run),
            _verdict_text(run.ok),
            seconds(run.median_seconds),
        )
    return table


def _gradient_cell(run: TargetRun) -> str:
    """A target's gradients: ``-`` (no backward cases), ``no backward``, or the worst multiple of the rule."""
    if run.backward is None:
        return "-"
    worst = run.vs_expected_gradients
    if run.backward == NO_BACKWARD or worst is None:
        return run.backward if run.backward == NO_BACKWARD else "did not run"
    return times_tolerance(worst.max_ratio).removesuffix(" tol")


def _pairs_by_key(reports: Sequence[FixtureReport]) -> dict[tuple[str, str, str], list[PairRun]]:
    grouped: dict[tuple[str, str, str], list[PairRun]] = {}
    for report in reports:
        for pair in report.pairs:
            grouped.setdefault((pair.dtype, pair.first, pair.second), []).append(pair)
    return grouped


def pair_table(reports: Sequence[FixtureReport]) -> Table:
    grouped = _pairs_by_key(reports)
    table = _table(f"backends against each other, per dtype (over {plural(len(reports), 'fixture')})")
    for name, right in (("dtype", False), ("pair", False), ("max |a-b|", True), ("x tol", True), ("fails", True)):
        _column(table, name, right)
    for (dtype, first, second), pairs in grouped.items():
        worst_ratio = max(p.max_ratio for p in pairs)
        table.add_row(
            dtype,
            Text(f"{first} vs {second}"),
            f"{max(p.max_abs for p in pairs):.2e}",
            times_tolerance(worst_ratio).removesuffix(" tol"),
            str(sum(p.failures for p in pairs)),
        )
    return table


def pair_line(reports: Sequence[FixtureReport]) -> str | None:
    """One line on every pair of targets: how many, the worst disagreement, the mismatches."""
    pairs = [p for r in reports for p in r.pairs]
    if not pairs:
        return None
    worst = max(pairs, key=lambda p: p.max_ratio)
    count = len(_pairs_by_key(reports))
    failures = sum(p.failures for p in pairs)
    return (
        f"backends against each other: {count} pairs, worst {times_tolerance(worst.max_ratio)} "
        f"({worst.first} vs {worst.second}, {worst.dtype}), {failures} mismatch(es)"
    )


def _bits_by_key(reports: Sequence[FixtureReport]) -> dict[tuple[str, str, str], list[BitsRun]]:
    grouped: dict[tuple[str, str, str], list[BitsRun]] = {}
    for report in reports:
        for bits in report.bits:
            grouped.setdefault((bits.dtype, bits.first, bits.second), []).append(bits)
    return grouped


def bits_table(reports: Sequence[FixtureReport]) -> Table:
    """Every two exact targets of one dtype over every fixture: cases compared, cases not bit-identical."""
    table = _table("exact kernels bit for bit, per dtype (NaN == NaN)")
    for name, right in (("dtype", False), ("pair", False), ("cases", True), ("differ", True)):
        _column(table, name, right)
    for (dtype, first, second), runs in _bits_by_key(reports).items():
        differ = sum(b.differing for b in runs)
        table.add_row(
            dtype,
            Text(f"{first} vs {second}"),
            str(sum(b.cases for b in runs)),
            Text(str(differ), style="bold red" if differ else ""),
        )
    return table


def bits_line(reports: Sequence[FixtureReport]) -> str:
    """One line on the exact kernels: how many pairs, how many cases, how many not bit-identical."""
    runs = [b for r in reports for b in r.bits]
    if not runs:
        return "exact kernels bit for bit: fewer than two backends ran the exact kernel (nothing compared)"
    cases = sum(b.cases for b in runs)
    differ = sum(b.differing for b in runs)
    verdict = "all bit-identical" if not differ else f"{differ} not bit-identical"
    pairs = plural(len(_bits_by_key(reports)), "pair")
    return f"exact kernels bit for bit: {pairs}, {plural(cases, 'case')}: {verdict}"


def wrapped(text: str, width: int, first: str = "", indent: str = "    ") -> list[str]:
    """``first + text`` cut into lines of at most ``width`` at spaces; continuation lines indented."""
    return textwrap.wrap(
        first + text, width=max(width, 20), subsequent_indent=indent, break_on_hyphens=False, break_long_words=True
    )


def print_lines(console: Console, lines: Sequence[str], style: str | None = None) -> None:
    for line in lines:
        console.print(Text(line, style=style or ""), soft_wrap=True)


def print_report(reports: Sequence[FixtureReport], dtypes: Sequence[str], console: Console, verbose: bool) -> bool:
    """Print the summary (or every table), the failures and the verdict; True when everything agrees."""
    width = console.width
    if verbose:
        for report in reports:
            print_lines(console, [line for text in fixture_heading(report, dtypes) for line in wrapped(text, width)])
            console.print(fixture_table(report))
            console.print()
        if any(r.pairs for r in reports):
            console.print(pair_table(reports))
        if any(r.bits for r in reports):
            console.print(bits_table(reports))
    else:
        console.print(summary_table(reports, dtypes))
        explained = (
            "x tol: the largest |got - expected| / (atol + rtol * |expected|) over every backend and kernel; "
            f"above 1 fails (float32 runs: atol, rtol at least {FLOAT32.atol:g}, {FLOAT32.rtol:g}). "
            "Every target and pair: --verbose; every record: --json FILE."
        )
        print_lines(console, wrapped(explained, width, indent=""), style="dim")
        line = pair_line(reports)
        if line is not None:
            print_lines(console, wrapped(line, width))
        gradients = gradient_table(reports, dtypes)
        if gradients is not None:
            console.print(gradients)
    if not verbose or not any(r.bits for r in reports):
        print_lines(console, wrapped(bits_line(reports), width))
    line = no_backward_line(reports, dtypes)
    if line is not None:
        print_lines(console, wrapped(line, width), style="yellow")
    failures = [f for r in reports for f in r.failures()]
    for failure in failures:
        print_lines(console, wrapped(failure.describe(), width, first="FAIL "), style="red")
    labels = list(dict.fromkeys(run.label for r in reports for run in r.runs))
    cases = sum(len(r.fixture.cases) for r in reports)
    verdict = "all agree" if not failures else f"{len(failures)} failure(s)"
    done = (
        f"{plural(len(reports), 'fixture')}, {plural(cases, 'case')}, {plural(len(labels), 'target')} "
        f"({', '.join(labels)}) at "
        f"{', '.join(dtypes)}: {verdict}"
    )
    print_lines(console, wrapped(done, width), style="bold green" if not failures else "bold red")
    return not failures


def _run_record(run: TargetRun) -> dict[str, Any]:
    worst = run.vs_expected
    grad = run.vs_expected_gradients
    return {
        "backend": run.target.backend,
        "kernel": run.target.kernel,
        "label": run.label,
        "dtype": run.target.dtype,
        "ran": run.ran,
        "error": run.error,
        "ok": run.ok,
        "max_abs": None if worst is None else json_number(worst.max_abs),
        "max_ratio": None if worst is None else json_number(worst.max_ratio),
        "max_ulp": None if worst is None else worst.max_ulp,
        "ulp_dtype": None if worst is None else worst.ulp_dtype,
        "median_seconds": run.median_seconds,
        "failures": len(run.failures),
        "backward": run.backward,
        "grad_max_abs": None if grad is None else json_number(grad.max_abs),
        "grad_max_ratio": None if grad is None else json_number(grad.max_ratio),
        "grad_max_ulp": None if grad is None else grad.max_ulp,
        "grad_cases": len(run.gradients),
    }


def _fixture_record(report: FixtureReport, dtypes: Sequence[str]) -> dict[str, Any]:
    fixture = report.fixture
    oracle, oracle_dtype = report.oracle
    tolerance = {}
    for dtype in dtypes:
        rule = fixture.tolerance.for_dtype(dtype)
        tolerance[dtype] = {"rtol": rule.rtol, "atol": rule.atol, "rule": rule.rule()}
    return {
        "name": fixture.name,
        "source": fixture.source,
        "oracle": oracle,
        "oracle_dtype": oracle_dtype,
        "cases": len(fixture.cases),
        "tolerance": tolerance,
        "summary": [
            {
                "dtype": v.dtype,
                "worst_ratio": json_number(v.worst_ratio),
                "worst_target": v.worst_target,
                "ok": v.ok,
                "note": v.note or None,
                "worst_gradient_ratio": json_number(v.worst_gradient_ratio),
                "worst_gradient_target": v.worst_gradient_target,
                "gradient_ok": v.gradient_ok,
                "no_backward": list(v.no_backward),
                "gradients": v.gradient_text(),
                "exact_bits": v.bits,
            }
            for v in verdicts(report, dtypes)
        ],
        "runs": [_run_record(run) for run in report.runs],
        "pairs": [
            {
                "dtype": p.dtype,
                "first": p.first,
                "second": p.second,
                "max_abs": json_number(p.max_abs),
                "max_ratio": json_number(p.max_ratio),
                "failures": p.failures,
                "gradient_cases": p.gradient_cases,
            }
            for p in report.pairs
        ],
        "bits": [
            {"dtype": b.dtype, "first": b.first, "second": b.second, "cases": b.cases, "differing": b.differing}
            for b in report.bits
        ],
    }


def json_document(reports: Sequence[FixtureReport], dtypes: Sequence[str]) -> dict[str, Any]:
    """Every record of the run as one JSON-ready document (strict JSON: NaN and inf as strings)."""
    failures = [f.record() for r in reports for f in r.failures()]
    return {
        "format": FORMAT,
        "version": VERSION,
        "ok": not failures,
        "dtypes": list(dtypes),
        "fixtures": [_fixture_record(report, dtypes) for report in reports],
        "failures": failures,
    }

"""The main job: every fixture through every backend, checked against the oracle and each other.

A *target* is one backend with one kernel (``c`` has ``auto`` and the plain
``portable`` path, ``java`` has ``auto`` and ``plain``) at one dtype. For each
fixture and target: load the model once, run every case, compare with
``expected`` (the oracle) under the fixture's tolerance for that dtype
(:meth:`Tolerance.for_dtype`) and time the whole pass (median of
``repeats`` after one untimed warm-up pass). Then every pair of targets of the same dtype is compared case by
case under the same rule. A mismatch names fixture, case, the two sides, the
first index, both values and the rule.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from rnn_rosetta import paths
from rnn_rosetta.backends import BACKENDS, get_backend
from rnn_rosetta.backends.base import DTYPES
from rnn_rosetta.compare import Comparison, compare
from rnn_rosetta.errors import RosettaError
from rnn_rosetta.fixtures import Fixture, load_fixture
from rnn_rosetta.result import Result

# The kernels checked besides "auto" (the one users get): the plain reference paths.
REFERENCE_KERNELS: dict[str, tuple[str, ...]] = {"numpy": (), "c": ("portable",), "java": ("plain",)}


@dataclass(frozen=True)
class Target:
    backend: str
    kernel: str
    dtype: str


def targets(backends: Sequence[str], dtypes: Sequence[str], all_kernels: bool = True) -> list[Target]:
    """Every (backend, kernel, dtype) to run: "auto" always, the plain paths when ``all_kernels``."""
    chosen = []
    for dtype in dtypes:
        for backend in backends:
            kernels = ("auto", *REFERENCE_KERNELS.get(backend, ())) if all_kernels else ("auto",)
            chosen.extend(Target(backend, kernel, dtype) for kernel in kernels)
    return chosen


@dataclass
class TargetRun:
    """One target on one fixture."""

    target: Target
    label: str  # backend[kernel it really ran]
    results: dict[str, Result] = field(default_factory=dict)  # by case name
    vs_expected: Comparison | None = None  # the worst case against the oracle
    failures: list[str] = field(default_factory=list)
    median_seconds: float | None = None
    ran: bool = False  # loaded and ran every case (whatever the comparison says)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class FixtureReport:
    fixture: Fixture
    runs: list[TargetRun]
    pair_failures: list[str]
    pair_max_abs: dict[tuple[str, str, str], float]  # (dtype, label, label) -> max |a - b|


def fixture_paths(given: Sequence[str | Path]) -> list[Path]:
    """Files as given, folders expanded to their ``*.json``; default: ``shared_fixtures/``."""
    found: list[Path] = []
    for item in given or [paths.fixtures_dir()]:
        path = Path(item)
        found.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    return found


def _worst(comparisons: list[Comparison]) -> Comparison | None:
    if not comparisons:
        return None
    failing = [c for c in comparisons if not c.ok]
    return max(failing or comparisons, key=lambda c: c.max_abs)


def _detail(comparison: Comparison, fixture: Fixture, dtype: str) -> str:
    if comparison.problem is not None:
        return comparison.problem
    assert comparison.mismatch is not None
    return comparison.mismatch.describe(fixture.tolerance.for_dtype(dtype))


def run_target(fixture: Fixture, target: Target, repeats: int) -> TargetRun:
    run = TargetRun(target, label=f"{target.backend}[{target.kernel}]")
    try:
        net = get_backend(target.backend).load(fixture.model, dtype=target.dtype, kernel=target.kernel)
        run.label = f"{target.backend}[{net.kernel_name}]" if target.backend != "numpy" else "numpy"
        timings = []
        for case in fixture.cases:  # one untimed pass: JIT warm-up, first-touch of memory
            net.forward(case.x, case.h0, case.c0, case.lengths)
        for _ in range(max(1, repeats)):
            start = time.perf_counter()
            results = {case.name: net.forward(case.x, case.h0, case.c0, case.lengths) for case in fixture.cases}
            timings.append(time.perf_counter() - start)
    except RosettaError as exc:
        run.failures.append(f"{fixture.name} / {run.label} {target.dtype}: {exc}")
        return run
    run.results, run.ran = results, True
    run.median_seconds = statistics.median(timings)
    tolerance = fixture.tolerance.for_dtype(target.dtype)
    comparisons = []
    for case in fixture.cases:
        comparison = compare(results[case.name], case.expected, tolerance)
        comparisons.append(comparison)
        if not comparison.ok:
            detail = _detail(comparison, fixture, target.dtype)
            run.failures.append(f"{fixture.name} / {case.name} / {run.label} {target.dtype} vs expected: {detail}")
    run.vs_expected = _worst(comparisons)
    return run


def check_fixture(fixture: Fixture, chosen: Sequence[Target], repeats: int) -> FixtureReport:
    runs = [run_target(fixture, target, repeats) for target in chosen]
    pair_failures: list[str] = []
    pair_max: dict[tuple[str, str, str], float] = {}
    for dtype in dict.fromkeys(t.dtype for t in chosen):
        tolerance = fixture.tolerance.for_dtype(dtype)
        ran = [r for r in runs if r.ran and r.target.dtype == dtype]
        for first, second in combinations(ran, 2):
            worst = 0.0
            for case in fixture.cases:
                comparison = compare(first.results[case.name], second.results[case.name], tolerance)
                worst = max(worst, comparison.max_abs)
                if not comparison.ok:
                    detail = _detail(comparison, fixture, dtype)
                    pair_failures.append(
                        f"{fixture.name} / {case.name} / {first.label} vs {second.label} {dtype}: {detail}"
                    )
            pair_max[(dtype, first.label, second.label)] = worst
    return FixtureReport(fixture, runs, pair_failures, pair_max)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1e3:.3f} ms" if value < 1 else f"{value:.2f} s"


def report_table(reports: list[FixtureReport]) -> Table:
    table = Table(title="crosscheck: every fixture x every backend, against the oracle")
    right = {"cases", "max |err|", "max ulps", "median time"}
    for column in ("fixture", "oracle", "backend", "dtype", "cases", "max |err|", "max ulps", "result", "median time"):
        table.add_column(column, justify="right" if column in right else "left")
    for report in reports:
        fixture = report.fixture
        oracle = str(fixture.provenance.get("oracle_name", "?"))
        for index, run in enumerate(report.runs):
            worst = run.vs_expected
            table.add_row(
                fixture.name if index == 0 else "",
                oracle if index == 0 else "",
                escape(run.label),
                run.target.dtype,
                str(len(fixture.cases)),
                "-" if worst is None else f"{worst.max_abs:.2e}",
                "-" if worst is None else str(worst.max_ulp),
                "[green]pass[/]" if run.ok else "[red]FAIL[/]",
                _seconds(run.median_seconds),
                end_section=index == len(report.runs) - 1,
            )
    return table


def pair_table(reports: list[FixtureReport]) -> Table:
    table = Table(title="backends against each other, per dtype (all fixtures)")
    for column in ("dtype", "pair", "fixtures", "max |a - b|", "mismatches"):
        table.add_column(column)
    keys = list(dict.fromkeys(key for r in reports for key in r.pair_max_abs))
    for dtype, first, second in keys:
        values = [r.pair_max_abs[(dtype, first, second)] for r in reports if (dtype, first, second) in r.pair_max_abs]
        marker = f" / {first} vs {second} {dtype}: "
        failures = sum(marker in line for r in reports for line in r.pair_failures)
        table.add_row(dtype, escape(f"{first} vs {second}"), str(len(values)), f"{max(values):.2e}", str(failures))
    return table


def crosscheck(
    given: Sequence[str | Path] = (),
    backends: Sequence[str] = BACKENDS,
    repeats: int = 5,
    console: Console | None = None,
    dtypes: Sequence[str] = DTYPES,
    all_kernels: bool = True,
) -> int:
    """Run the crosscheck, print the tables and every failure; return the exit status (0 or 1)."""
    if console is None:
        console = Console() if sys.stdout.isatty() else Console(width=130)
    files = fixture_paths(given)
    if not files:
        console.print("no fixtures found")
        return 1
    fixtures = [load_fixture(path) for path in files]  # a broken fixture stops the run (exit 2)
    chosen = targets(backends, dtypes, all_kernels)
    reports = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("crosscheck", total=len(fixtures))
        for fixture in fixtures:
            progress.update(task, description=f"crosscheck {fixture.name}")
            reports.append(check_fixture(fixture, chosen, repeats))
            progress.advance(task)
    console.print(report_table(reports))
    if any(r.pair_max_abs for r in reports):
        console.print(pair_table(reports))
    failures = [line for r in reports for run in r.runs for line in run.failures]
    failures += [line for r in reports for line in r.pair_failures]
    cases = sum(len(f.cases) for f in fixtures)
    for line in failures:
        console.print(f"MISMATCH {line}", style="red", markup=False, highlight=False, soft_wrap=True)
    verdict = "[green]all agree[/]" if not failures else f"[red]{len(failures)} failure(s)[/]"
    sides = escape(", ".join(dict.fromkeys(r.label for report in reports for r in report.runs)))
    console.print(
        f"{len(fixtures)} fixtures, {cases} cases, {sides} at {', '.join(dtypes)}: {verdict}", highlight=False
    )
    return 0 if not failures else 1

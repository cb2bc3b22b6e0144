"""The main job: every fixture through every backend, checked against the oracle and each other.

For each fixture and backend: load the model once, run every case, compare
with ``expected`` (the oracle) and time the whole pass (median of
``repeats``). Then every pair of backends is compared case by case under the
fixture's tolerance. A mismatch names fixture, case, the two sides, the first
index, both values and the rule.
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
from rich.progress import Progress
from rich.table import Table

from rnn_rosetta import paths
from rnn_rosetta.backends import BACKENDS, get_backend
from rnn_rosetta.compare import Comparison, compare
from rnn_rosetta.errors import RosettaError
from rnn_rosetta.fixtures import Fixture, load_fixture
from rnn_rosetta.result import Result


@dataclass
class BackendRun:
    """One backend on one fixture."""

    backend: str
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
    runs: list[BackendRun]
    pair_failures: list[str]
    pair_max_abs: dict[tuple[str, str], float]


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
    pool = failing or comparisons
    return max(pool, key=lambda c: c.max_abs)


def run_backend(fixture: Fixture, backend: str, repeats: int) -> BackendRun:
    run = BackendRun(backend)
    try:
        net = get_backend(backend).load(fixture.model)
        timings = []
        for _ in range(max(1, repeats)):
            start = time.perf_counter()
            results = {case.name: net.forward(case.x, case.h0, case.c0, case.lengths) for case in fixture.cases}
            timings.append(time.perf_counter() - start)
    except RosettaError as exc:
        run.failures.append(f"{fixture.name} / {backend}: {exc}")
        return run
    run.results = results
    run.ran = True
    run.median_seconds = statistics.median(timings)
    comparisons = []
    for case in fixture.cases:
        comparison = compare(results[case.name], case.expected, fixture.tolerance)
        comparisons.append(comparison)
        if not comparison.ok:
            detail = comparison.problem or comparison.mismatch.describe(fixture.tolerance)  # type: ignore[union-attr]
            run.failures.append(f"{fixture.name} / {case.name} / {backend} vs expected: {detail}")
    run.vs_expected = _worst(comparisons)
    return run


def check_fixture(fixture: Fixture, backends: Sequence[str], repeats: int) -> FixtureReport:
    runs = [run_backend(fixture, name, repeats) for name in backends]
    pair_failures: list[str] = []
    pair_max: dict[tuple[str, str], float] = {}
    for first, second in combinations([r for r in runs if r.ran], 2):
        worst = 0.0
        for case in fixture.cases:
            comparison = compare(first.results[case.name], second.results[case.name], fixture.tolerance)
            worst = max(worst, comparison.max_abs)
            if not comparison.ok:
                detail = comparison.problem or comparison.mismatch.describe(fixture.tolerance)  # type: ignore[union-attr]
                pair_failures.append(f"{fixture.name} / {case.name} / {first.backend} vs {second.backend}: {detail}")
        pair_max[(first.backend, second.backend)] = worst
    return FixtureReport(fixture, runs, pair_failures, pair_max)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1e3:.3f} ms" if value < 1 else f"{value:.2f} s"


def report_table(reports: list[FixtureReport], backends: Sequence[str]) -> Table:
    table = Table(title="crosscheck: every fixture x every backend", show_lines=False)
    for column in ("fixture", "oracle", "backend", "cases", "max |err|", "max ulps", "result", "median time"):
        table.add_column(column, justify="right" if column in ("cases", "max |err|", "max ulps") else "left")
    for report in reports:
        fixture = report.fixture
        oracle = str(fixture.provenance.get("oracle_name", "?"))
        for index, run in enumerate(report.runs):
            worst = run.vs_expected
            table.add_row(
                fixture.name if index == 0 else "",
                oracle if index == 0 else "",
                run.backend,
                str(len(fixture.cases)),
                "-" if worst is None else f"{worst.max_abs:.2e}",
                "-" if worst is None else str(worst.max_ulp),
                "[green]pass[/]" if run.ok else "[red]FAIL[/]",
                _seconds(run.median_seconds),
                end_section=index == len(report.runs) - 1,
            )
    return table


def pair_table(reports: list[FixtureReport], backends: Sequence[str]) -> Table:
    table = Table(title="backends against each other (all fixtures)")
    for column in ("pair", "fixtures", "max |a - b|", "mismatches"):
        table.add_column(column)
    for first, second in combinations(backends, 2):
        values = [r.pair_max_abs[(first, second)] for r in reports if (first, second) in r.pair_max_abs]
        failures = sum(f" / {first} vs {second}: " in line for r in reports for line in r.pair_failures)
        table.add_row(
            f"{first} vs {second}", str(len(values)), f"{max(values, default=0.0):.2e}", str(failures)
        )
    return table


def crosscheck(
    given: Sequence[str | Path] = (),
    backends: Sequence[str] = BACKENDS,
    repeats: int = 5,
    console: Console | None = None,
) -> int:
    """Run the crosscheck, print the tables and every failure; return the exit status (0 or 1)."""
    if console is None:
        console = Console() if sys.stdout.isatty() else Console(width=120)
    files = fixture_paths(given)
    if not files:
        console.print("no fixtures found")
        return 1
    fixtures = [load_fixture(path) for path in files]  # a broken fixture stops the run (exit 2)
    reports = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("crosscheck", total=len(fixtures))
        for fixture in fixtures:
            progress.update(task, description=f"crosscheck {fixture.name}")
            reports.append(check_fixture(fixture, backends, repeats))
            progress.advance(task)
    console.print(report_table(reports, backends))
    if len(backends) > 1:
        console.print(pair_table(reports, backends))
    failures = [line for r in reports for run in r.runs for line in run.failures]
    failures += [line for r in reports for line in r.pair_failures]
    cases = sum(len(f.cases) for f in fixtures)
    for line in failures:
        console.print(f"MISMATCH {line}", style="red", markup=False, highlight=False, soft_wrap=True)
    verdict = "[green]all agree[/]" if not failures else f"[red]{len(failures)} failure(s)[/]"
    console.print(
        f"{len(fixtures)} fixtures, {cases} cases, backends {', '.join(backends)}: {verdict}", highlight=False
    )
    return 0 if not failures else 1

"""The main job: every fixture through every backend, checked against the oracle and each other.

A *target* is one backend with one kernel (``numpy`` has ``auto`` and the
plain reference ``plain``, ``c`` has ``auto`` and ``portable``, ``java`` has
``auto`` and ``plain``) at one dtype. For each fixture and target: load the
model once, run every case, compare with ``expected`` (the oracle) under the
fixture's tolerance for that dtype (:meth:`Tolerance.for_dtype`) and time the
whole pass (median of ``repeats`` after one untimed warm-up pass). Then every
pair of targets of the same dtype is compared case by case under the same
rule. A case with ``backward`` (docs/fixture-format.md#gradients) is also run through
``forward(..., keep=True)`` and ``backward`` in every target whose backend has backward, and its
gradients compared likewise (:mod:`rnn_rosetta.crosscheck_gradients`); a backend without backward
says "no backward". A mismatch names fixture, case, the two sides, the first index, both
values and the rule. Every backend that offers the ``exact`` kernel (docs/exact-kernel.md) also runs
it, and the exact targets of each dtype are compared bit for bit (:mod:`rnn_rosetta.crosscheck_bits`,
rule "bit-identical"). :mod:`rnn_rosetta.crosscheck_records` holds the records,
:mod:`rnn_rosetta.crosscheck_report` prints them.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rnn_rosetta.backends import BACKENDS, get_backend
from rnn_rosetta.backends.base import DTYPES
from rnn_rosetta.cli_errors import CliError
from rnn_rosetta.compare import Comparison, coarser_dtype, compare
from rnn_rosetta.crosscheck_bits import EXACT_KERNEL, compare_exact_bits
from rnn_rosetta.crosscheck_gradients import (
    NO_BACKWARD,
    cases_with_backward,
    compare_gradients,
    has_backward,
    run_backward,
)
from rnn_rosetta.crosscheck_records import EXPECTED, Failure, FixtureReport, PairRun, Target, TargetRun, oracle_of
from rnn_rosetta.crosscheck_report import json_document, print_report
from rnn_rosetta.errors import RosettaError
from rnn_rosetta.fixture_files import expand_fixture_paths
from rnn_rosetta.fixtures import Fixture, load_fixture

# The kernels checked besides "auto" (the one users get): the plain reference paths, and each
# of C's vector kernels on its own. A kernel the backend does not offer (yet), or this CPU
# cannot run (c_backend.kernel_unavailable), is left out, see :func:`reference_kernels`.
REFERENCE_KERNELS: dict[str, tuple[str, ...]] = {
    "numpy": ("plain",),
    "c": ("portable", "avx2", "avx512"),
    "java": ("plain",),
}


def _offered_kernels(backend: str) -> tuple[str, ...]:
    try:
        return tuple(get_backend(backend).kernels)
    except RosettaError:
        return ("auto",)


def reference_kernels(backend: str) -> tuple[str, ...]:
    """The plain kernels of :data:`REFERENCE_KERNELS` that ``backend`` offers."""
    offered = _offered_kernels(backend)
    return tuple(k for k in REFERENCE_KERNELS.get(backend, ()) if k in offered)


def exact_kernels(backend: str) -> tuple[str, ...]:
    """``("exact",)`` when ``backend`` offers the exact kernel (docs/exact-kernel.md), else ``()``."""
    return (EXACT_KERNEL,) if EXACT_KERNEL in _offered_kernels(backend) else ()


def targets(backends: Sequence[str], dtypes: Sequence[str], all_kernels: bool = True) -> list[Target]:
    """Every (backend, kernel, dtype) to run: "auto" always; the plain paths and "exact" when ``all_kernels``."""
    chosen = []
    for dtype in dtypes:
        for backend in backends:
            kernels = ("auto", *reference_kernels(backend), *exact_kernels(backend)) if all_kernels else ("auto",)
            chosen.extend(Target(backend, kernel, dtype) for kernel in kernels)
    return chosen


def _worst(comparisons: list[Comparison]) -> Comparison | None:
    if not comparisons:
        return None
    failing = [c for c in comparisons if not c.ok]
    return max(failing or comparisons, key=lambda c: c.max_ratio)


def _label(target: Target, kernel_name: str) -> str:
    return target.backend if _offered_kernels(target.backend) == ("auto",) else f"{target.backend}[{kernel_name}]"


def run_target(fixture: Fixture, target: Target, repeats: int) -> TargetRun:
    run = TargetRun(target, label=f"{target.backend}[{target.kernel}]")
    rule = fixture.tolerance.for_dtype(target.dtype).rule()
    try:
        net = get_backend(target.backend).load(fixture.model, dtype=target.dtype, kernel=target.kernel)
        run.label = _label(target, net.kernel_name)
        timings = []
        for case in fixture.cases:  # one untimed pass: JIT warm-up, first-touch of memory
            net.forward(case.feed, case.h0, case.c0, case.lengths)
        for _ in range(max(1, repeats)):
            start = time.perf_counter()
            results = {case.name: net.forward(case.feed, case.h0, case.c0, case.lengths) for case in fixture.cases}
            timings.append(time.perf_counter() - start)
    except RosettaError as exc:
        run.error = str(exc)
        run.failures.append(Failure(fixture.name, None, (run.label, EXPECTED), target.dtype, rule, problem=str(exc)))
        return run
    run.results, run.ran = results, True
    run.median_seconds = statistics.median(timings)
    tolerance = fixture.tolerance.for_dtype(target.dtype)
    ulp_dtype = coarser_dtype(target.dtype, oracle_of(fixture)[1])
    comparisons = []
    for case in fixture.cases:
        comparison = compare(results[case.name], case.expected, tolerance, ulp_dtype)
        comparisons.append(comparison)
        if not comparison.ok:
            sides = (run.label, EXPECTED)
            run.failures.append(
                Failure(fixture.name, case.name, sides, target.dtype, rule, comparison.mismatch, comparison.problem)
            )
    run.vs_expected = _worst(comparisons)
    _check_gradients(fixture, run, net, ulp_dtype)
    return run


def _check_gradients(fixture: Fixture, run: TargetRun, net: object, ulp_dtype: str) -> None:
    """The cases with ``backward``: gradients against the oracle's (or "no backward" for a backend without)."""
    chosen = cases_with_backward(fixture.cases)
    if not chosen:
        return
    if not has_backward(net):
        run.backward = NO_BACKWARD
        return
    run.backward = "checked"
    dtype = run.target.dtype
    tolerance = fixture.tolerance.for_dtype(dtype)
    sides = (run.label, EXPECTED)
    comparisons = []
    for case in chosen:
        assert case.backward is not None
        try:
            run.gradients[case.name] = gradients = run_backward(net, case)
        except RosettaError as exc:
            run.failures.append(
                Failure(fixture.name, case.name, sides, dtype, tolerance.rule(), None, f"backward: {exc}", True)
            )
            continue
        comparison = compare_gradients(gradients, case.backward.expected, tolerance, ulp_dtype)
        comparisons.append(comparison)
        if not comparison.ok:
            failure = Failure(
                fixture.name, case.name, sides, dtype, tolerance.rule(), comparison.mismatch, comparison.problem, True
            )
            run.failures.append(failure)
    run.vs_expected_gradients = _worst(comparisons)


def compare_pairs(fixture: Fixture, runs: Sequence[TargetRun]) -> tuple[list[PairRun], list[Failure]]:
    """Every two targets of the same dtype that ran, case by case."""
    pairs: list[PairRun] = []
    failures: list[Failure] = []
    for dtype in dict.fromkeys(r.target.dtype for r in runs):
        tolerance = fixture.tolerance.for_dtype(dtype)
        ran = [r for r in runs if r.ran and r.target.dtype == dtype]
        for first, second in combinations(ran, 2):
            worst_abs, worst_ratio, count = 0.0, 0.0, 0
            for case in fixture.cases:
                comparison = compare(first.results[case.name], second.results[case.name], tolerance)
                worst_abs, worst_ratio = max(worst_abs, comparison.max_abs), max(worst_ratio, comparison.max_ratio)
                if not comparison.ok:
                    count += 1
                    sides = (first.label, second.label)
                    failures.append(
                        Failure(
                            fixture.name, case.name, sides, dtype, tolerance.rule(),
                            comparison.mismatch, comparison.problem,
                        )
                    )  # fmt: skip
            graded = 0
            for case in fixture.cases:
                if case.name not in first.gradients or case.name not in second.gradients:
                    continue
                graded += 1
                ulp_dtype = coarser_dtype(dtype)
                comparison = compare_gradients(
                    first.gradients[case.name], second.gradients[case.name], tolerance, ulp_dtype
                )
                worst_abs, worst_ratio = max(worst_abs, comparison.max_abs), max(worst_ratio, comparison.max_ratio)
                if not comparison.ok:
                    count += 1
                    sides = (first.label, second.label)
                    failures.append(
                        Failure(
                            fixture.name, case.name, sides, dtype, tolerance.rule(),
                            comparison.mismatch, comparison.problem, True,
                        )
                    )  # fmt: skip
            pairs.append(PairRun(dtype, first.label, second.label, worst_abs, worst_ratio, count, graded))
    return pairs, failures


def check_fixture(
    fixture: Fixture, chosen: Sequence[Target], repeats: int, advance: Callable[[], None] = lambda: None
) -> FixtureReport:
    """Run every target on ``fixture`` (calling ``advance`` after each), then compare the pairs under the
    tolerance, and the exact kernels bit for bit."""
    runs = []
    for target in chosen:
        runs.append(run_target(fixture, target, repeats))
        advance()
    pairs, pair_failures = compare_pairs(fixture, runs)
    bits, bit_failures = compare_exact_bits(fixture, runs)
    return FixtureReport(fixture, runs, pairs, pair_failures, bits, bit_failures)


def _progress() -> Progress:
    """A progress bar on stderr, shown only when stderr is a terminal; gone when done."""
    stderr = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=stderr, transient=True, disable=not stderr.is_terminal)


def run_all(fixtures: Sequence[Fixture], chosen: Sequence[Target], repeats: int) -> list[FixtureReport]:
    """Every fixture against every target, with a progress bar on a terminal."""
    reports = []
    with _progress() as progress:
        task = progress.add_task("crosscheck", total=len(fixtures) * len(chosen))
        for fixture in fixtures:
            progress.update(task, description=f"crosscheck {fixture.name}")
            reports.append(check_fixture(fixture, chosen, repeats, lambda: progress.advance(task)))
    return reports


def _check_writable(destination: str | Path | None) -> None:
    """Refuse an ``--json`` destination that cannot be written before the run, not after it."""
    if destination is None or str(destination) == "-":
        return
    path = Path(destination)
    if path.is_dir():
        raise CliError(f"{path}: cannot write the JSON report: it is a folder")
    if not path.parent.is_dir():
        raise CliError(f"{path}: cannot write the JSON report: no folder {path.parent}")


def _write_json(document: dict[str, Any], destination: str | Path) -> None:
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    if str(destination) == "-":
        sys.stdout.write(text)
        return
    try:
        Path(destination).write_text(text, "utf-8")
    except OSError as exc:
        raise CliError(f"{destination}: cannot write the JSON report: {exc.strerror or exc}") from None


def crosscheck(
    given: Sequence[str | Path] = (),
    backends: Sequence[str] = BACKENDS,
    repeats: int = 5,
    console: Console | None = None,
    dtypes: Sequence[str] = DTYPES,
    all_kernels: bool = True,
    verbose: bool = False,
    json_out: str | Path | None = None,
) -> int:
    """Run the crosscheck and print the summary (or, ``verbose``, every table) and every failure.

    ``json_out``: a file, or ``"-"`` for stdout (the text then goes to stderr),
    receives every record. Returns the exit status: 0 when everything agrees, 1 otherwise.
    """
    if console is None:
        console = Console(stderr=str(json_out) == "-")
    _check_writable(json_out)
    files = expand_fixture_paths(given)
    fixtures = [load_fixture(path) for path in files]  # a broken fixture stops the run (exit 2)
    chosen = targets(backends, dtypes, all_kernels)
    reports = run_all(fixtures, chosen, repeats)
    if json_out is not None:
        _write_json(json_document(reports, dtypes), json_out)
    ok = print_report(reports, dtypes, console, verbose)
    return 0 if ok else 1

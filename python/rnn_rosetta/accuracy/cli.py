"""``rnn-rosetta accuracy`` (also ``python -m rnn_rosetta.accuracy``): every backend and kernel against the
exact oracle, on the committed accuracy cases and on a grid of sequence lengths and hidden sizes.

Prints the cases' float64 table; writes accuracy.md, accuracy.json and accuracy.png to ``--out``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnn_rosetta.accuracy.case_files import StoredCase, cases_dir, committed_cases
from rnn_rosetta.accuracy.case_table import CaseRecord, case_table_lines, measure_cases, problem_lines
from rnn_rosetta.accuracy.grid import HIDDEN_FULL, HIDDEN_QUICK, STEPS_FULL, STEPS_QUICK, GridRecord, measure_point
from rnn_rosetta.accuracy.targets import TORCH, Target, backend_targets
from rnn_rosetta.backends import BACKENDS
from rnn_rosetta.backends.base import DTYPES
from rnn_rosetta.cli_errors import CliError, OneLineArgumentParser, dispatch


def _positive_ints(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help=f"a small grid: T in {STEPS_QUICK}, H in {HIDDEN_QUICK}")
    parser.add_argument("--cases-only", action="store_true", help="only the committed accuracy cases, no grid")
    parser.add_argument("--grid-only", action="store_true", help="only the grid, not the committed cases")
    parser.add_argument("--backends", nargs="+", choices=[*BACKENDS, TORCH], default=[*BACKENDS, TORCH],
                        help="backends to measure (torch: PyTorch, where installed)")  # fmt: skip
    parser.add_argument("--kernels", default="all", help="'all' (default) or a comma list, e.g. auto,exact")
    parser.add_argument("--dtypes", nargs="+", choices=DTYPES, default=list(DTYPES))
    parser.add_argument("--cells", nargs="+", choices=("lstm", "gru", "rnn"), default=["lstm"], help="grid cells")
    parser.add_argument("--steps", type=_positive_ints, help=f"grid lengths T (default {STEPS_FULL})")
    parser.add_argument("--hidden", type=_positive_ints, help=f"grid hidden sizes H (default {HIDDEN_FULL})")
    parser.add_argument("--budget", type=float, default=120.0, metavar="S",
                        help="skip a grid point whose oracle (or a target's run) would take longer")  # fmt: skip
    parser.add_argument("--out", type=Path, default=Path("accuracy-report"), help="folder for the report files")
    parser.add_argument("--no-files", action="store_true", help="print the tables, write nothing")


def _load_cases() -> list[StoredCase]:
    if not cases_dir().is_dir():
        raise CliError(f"{cases_dir()}: no committed accuracy cases here (run from a checkout)")
    return committed_cases()


def _progress() -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description:<48.48}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    )  # fmt: skip


def run_accuracy(args: argparse.Namespace) -> int:
    if args.budget <= 0:
        raise CliError(f"--budget must be positive, got {args.budget:g}")
    if args.cases_only and args.grid_only:
        raise CliError("--cases-only and --grid-only exclude each other")
    targets: list[Target] = backend_targets(args.backends, args.kernels, torch=TORCH in args.backends)
    steps = args.steps or (list(STEPS_QUICK) if args.quick else list(STEPS_FULL))
    hidden = args.hidden or (list(HIDDEN_QUICK) if args.quick else list(HIDDEN_FULL))
    cases = [] if args.grid_only else _load_cases()
    points = [] if args.cases_only else [(c, h, t) for c in args.cells for h in hidden for t in steps]
    total = len(cases) * len(targets) * len(args.dtypes) + len(points) * len(targets) * len(args.dtypes)
    start = time.perf_counter()
    case_records: list[CaseRecord] = []
    grid_records: list[GridRecord] = []
    with _progress() as progress:
        task = progress.add_task("accuracy", total=total)

        def advance(label: str) -> None:
            progress.update(task, advance=1, description=label)

        case_records = measure_cases(cases, targets, args.dtypes, advance)
        for cell, h, t in points:
            grid_records += measure_point(cell, h, t, targets, args.dtypes, args.budget, advance)
    for dtype in args.dtypes:
        if case_records:
            print(f"\ncommitted accuracy cases, {dtype}: normwise error in eps ({cases[0].oracle} oracle)")
            print("\n".join(case_table_lines(case_records, dtype)))
    if grid_records:
        from rnn_rosetta.accuracy.report import grid_table_lines

        for dtype in args.dtypes:
            print(f"\ngrid, {dtype}: normwise error in eps")
            print("\n".join(grid_table_lines(grid_records, dtype)))
    for line in problem_lines(case_records):
        print(line, file=sys.stderr)
    if not args.no_files:
        from rnn_rosetta.accuracy.report import write_report

        settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "handler"}
        try:
            written = write_report(args.out, case_records, grid_records, args.dtypes, settings)
        except OSError as exc:
            raise CliError(f"{args.out}: cannot write the report: {exc.strerror or exc}") from None
        print("\nwrote " + ", ".join(str(p) for p in written))
    print(f"({time.perf_counter() - start:.0f} s)")
    return 0


def add_parser(commands: Any) -> None:
    """Register ``accuracy`` on the ``rnn-rosetta`` sub-command parser."""
    parser = commands.add_parser("accuracy", help="error against the exact oracle, per backend, kernel and dtype",
                                 description=__doc__)  # fmt: skip
    add_arguments(parser)
    parser.set_defaults(handler=run_accuracy)


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineArgumentParser(prog="rnn-rosetta accuracy", description=__doc__)
    add_arguments(parser)
    parser.set_defaults(handler=run_accuracy)
    return dispatch(parser.parse_args(argv))

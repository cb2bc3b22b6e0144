"""``python -m rnn_rosetta bench``: run the benchmark, print the table and goals, write JSON and PNG.

Wire it into the main CLI with ``add_parser(subparsers)``; ``main(argv)``
runs it alone (``python -m rnn_rosetta.bench``). The hidden ``--worker``
mode is what the parent starts once per thread count. Errors go through
:mod:`rnn_rosetta.cli_errors` as for every command; this module never
imports :mod:`rnn_rosetta.cli` (no import circle).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnn_rosetta.cli_errors import PROG, OneLineArgumentParser, dispatch

DEFAULT_OUT = Path("bench_out")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``bench`` options (and the hidden worker ones)."""
    from rnn_rosetta.bench.contenders import CONTENDERS
    from rnn_rosetta.bench.plan import DTYPES

    parser.add_argument("--quick", action="store_true", help="a small subset with few repeats (smoke run, < 1 min)")
    parser.add_argument(
        "--shapes", nargs="+", metavar="NAME", help="shape names (lstm-512-32-25, lstm-128-1-100-x2, any "
        "CELL-H-B-T[-xL]) or groups (main, growth); default: main growth",
    )  # fmt: skip
    parser.add_argument(
        "--fixture", nargs="+", metavar="FILE_OR_NAME", help="time these fixtures' models (v1 or v2 chains) "
        "instead of shapes: a file, or a committed fixture's name (e.g. char_model)",
    )  # fmt: skip
    parser.add_argument("--batch", type=int, metavar="B", help="with --fixture: batch size (default: its first case's)")
    parser.add_argument("--length", type=int, metavar="T", help="with --fixture: steps (default: its first case's)")
    parser.add_argument("--dtypes", nargs="+", choices=DTYPES, help="default: float32 float64")
    parser.add_argument("--threads", nargs="+", type=int, metavar="N", help="thread counts, default: 1 2")
    parser.add_argument("--repeats", type=int, metavar="N", help="minimum timed repeats per cell (default 7, quick 3)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="writes OUT/bench.json and OUT/bench.png")
    parser.add_argument(
        "--contenders", nargs="+", metavar="NAME", help=f"default: {' '.join(CONTENDERS)} (also c:KERNEL)"
    )
    parser.add_argument("--budget", type=float, metavar="SECONDS", help="soft time budget (then minimum repeats)")
    parser.add_argument(
        "--backward", action="store_true", help="also time forward + backward (training step gradients) against "
        "PyTorch autograd, at 1 thread, on the non-growth shapes",
    )  # fmt: skip
    parser.add_argument("--no-bridges", action="store_true", help="skip the bridge-cost rows")
    parser.add_argument(
        "--every-thread-count",
        action="store_true",
        help="also time our single-threaded backends (no thread count in load()) at 2+ threads",
    )
    parser.add_argument("--report", type=Path, metavar="JSON", help="re-print (and re-plot) a bench.json; no run")
    parser.add_argument(
        "--step", action="store_true", help="the streaming step instead: the C and Java step programs and "
        "Python's net.step loop (batch 1, one core) against RTNeural's figures; writes OUT/step.json and OUT/step.md",
    )  # fmt: skip
    parser.add_argument(
        "--first-calls", action="store_true", help="Java's first calls instead: a fresh JVM per shape and dtype "
        "(first call, calls 2-8, steady state); writes OUT/first_calls.json and OUT/first_calls.md",
    )  # fmt: skip
    parser.add_argument(
        "--step-count", type=int, metavar="N", help="with --step: timed steps per shape (default 10^6, quick 10^5)"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--plan", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run_command)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``bench`` to the main CLI's sub-commands."""
    parser = subparsers.add_parser(
        "bench", help="time numpy, C and Java against PyTorch and ONNX Runtime (table, JSON, PNG, goals)"
    )
    add_arguments(parser)
    return parser


def run_command(args: argparse.Namespace) -> int:
    """The ``bench`` handler: a worker, a re-report, or a whole run."""
    from rich.console import Console

    from rnn_rosetta.bench.plan import make_plan
    from rnn_rosetta.bench.plot import write_plot
    from rnn_rosetta.bench.report import render
    from rnn_rosetta.bench.results import assemble, read_json, write_json
    from rnn_rosetta.bench.run import BenchError, run_workers

    if args.worker:
        from rnn_rosetta.bench.worker import worker_main

        if args.plan is None or args.json is None or not args.threads:
            raise BenchError("--worker needs --plan, --threads and --json")
        return worker_main(args.plan, args.threads[0], args.json)
    console = Console()
    if not console.is_terminal:  # a file or a pipe: wide enough for the tables
        console = Console(width=170)
    if args.step:
        return _run_step(args, console)
    if args.first_calls:
        return _run_first_calls(args, console)
    if args.report is not None:
        try:
            document = read_json(args.report)
        except (OSError, ValueError) as exc:
            raise BenchError(str(exc)) from None
        no_plot = write_plot(document, args.report.with_suffix(".png"))
        render(document, console)
        if no_plot:
            console.print(f"no PNG: {no_plot}", highlight=False)
        return 0
    fixtures = _checked_fixtures(args.fixture or [])
    try:
        plan = make_plan(
            quick=args.quick,
            shapes=args.shapes,
            dtypes=args.dtypes,
            threads=args.threads,
            repeats=args.repeats,
            contenders=args.contenders,
            bridges=not args.no_bridges,
            budget_seconds=args.budget,
            every_thread_count=args.every_thread_count,
            fixtures=fixtures,
            batch=args.batch,
            length=args.length,
            backward=args.backward,
        )
    except ValueError as exc:
        raise BenchError(str(exc)) from None
    what = f"{len(plan.fixtures)} fixtures" if plan.fixtures else f"{len(plan.shapes)} shapes"
    console.print(
        f"benchmark: {what} x {' '.join(plan.dtypes)} x threads {' '.join(map(str, plan.threads))}"
        f" x {len(plan.contenders)} contenders, >= {plan.policy.min_repeats} repeats each"
        + (" (and forward + backward)" if plan.backward else ""),
        highlight=False,
    )
    document = assemble(plan, run_workers(plan, console))
    args.out.mkdir(parents=True, exist_ok=True)
    json_path, png_path = args.out / "bench.json", args.out / "bench.png"
    write_json(document, json_path)
    no_plot = write_plot(document, png_path)
    render(document, console)
    wrote = f"wrote {json_path}" + (f" (no PNG: {no_plot})" if no_plot else f" and {png_path}")
    console.print(wrote, highlight=False)
    return 0


def _run_step(args: argparse.Namespace, console: Any) -> int:
    """``--step``: the step programs, their table printed and written; BenchError when C did not run."""
    from rnn_rosetta.bench.run import BenchError
    from rnn_rosetta.bench.step import DEFAULT_STEPS, QUICK_STEPS, run_step_bench

    steps = args.step_count if args.step_count is not None else QUICK_STEPS if args.quick else DEFAULT_STEPS
    if steps < 1:
        raise BenchError(f"--step-count is {steps}, expected >= 1")
    console.print(f"step benchmark: C, Java and Python net.step, {steps:,} steps per shape, one core", highlight=False)
    table = run_step_bench(args.out, steps)
    text = table.read_text("utf-8")
    console.print(text, highlight=False, markup=False)
    if "\nc: not run" in text:
        raise BenchError(f"the C step benchmark did not run; see {table}")
    console.print(f"wrote {table} and {table.with_suffix('.json')}", highlight=False)
    return 0


def _checked_fixtures(given: list[str]) -> list[str]:
    """Each ``--fixture`` as a file path, read once here so that a bad one fails now, in one line."""
    from rnn_rosetta.fixture_files import resolve_fixture
    from rnn_rosetta.fixture_reader import load_fixture

    paths = []
    for item in given:
        path = resolve_fixture(item).resolve()
        load_fixture(path)  # FixtureError (one line, exit 2) before any worker starts
        paths.append(str(path))
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rnn_rosetta.bench [options]``: exit 0, or 2 with one line on stderr."""
    parser = OneLineArgumentParser(prog=f"{PROG} bench", description="The rnn-rosetta benchmark.")
    add_arguments(parser)
    return dispatch(parser.parse_args(argv))


def _run_first_calls(args: argparse.Namespace, console: Any) -> int:
    """``--first-calls``: FirstCallBench in a fresh JVM per one-layer shape and dtype; its table printed and written."""
    from rnn_rosetta.bench.first_calls import run_first_calls
    from rnn_rosetta.bench.run import BenchError
    from rnn_rosetta.bench.shapes import GROUPS, parse_shape

    try:
        names = args.shapes or (["lstm-64-1-1", "rnn-32-1-672"] if args.quick else ["main"])
        shapes = [shape for name in names for shape in (GROUPS[name] if name in GROUPS else (parse_shape(name),))]
    except ValueError as exc:
        raise BenchError(str(exc)) from None
    dtypes = args.dtypes or ["float32", "float64"]
    console.print(f"Java first calls: {len(shapes)} shapes x {' '.join(dtypes)}, a fresh JVM each", highlight=False)
    table = run_first_calls(args.out, shapes, dtypes, warm_seconds=1.0 if args.quick else 3.0)
    console.print(table.read_text("utf-8"), highlight=False, markup=False)
    console.print(f"wrote {table} and {table.with_suffix('.json')}", highlight=False)
    return 0

"""``rnn-rosetta COMMAND`` (also ``python -m rnn_rosetta``): run, crosscheck, demo, seed-demo, generate,
train, gradient-flow, validate, describe, convert, backends, bench, accuracy.

Errors: exit status 2 and one line on stderr, never a traceback
(:mod:`rnn_rosetta.cli_errors`). Wherever a fixture is taken, a bare name
(``gru_cho``) finds the committed fixture (:mod:`rnn_rosetta.fixture_files`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnn_rosetta.accuracy.cli import add_parser as add_accuracy_parser
from rnn_rosetta.backends import BACKENDS, available_backends, get_backend
from rnn_rosetta.backends.base import DTYPES
from rnn_rosetta.bench.cli import add_parser as add_bench_parser
from rnn_rosetta.cli_errors import PROG, CliError, OneLineArgumentParser, dispatch, fail
from rnn_rosetta.errors import FixtureError
from rnn_rosetta.fixture_files import expand_fixture_paths, resolve_fixture
from rnn_rosetta.fixtures import load_fixture
from rnn_rosetta.generate_cli import add_parser as add_generate_parser
from rnn_rosetta.gradient_flow_cli import add_parser as add_gradient_flow_parser
from rnn_rosetta.seed_demo import add_parser as add_seed_demo_parser
from rnn_rosetta.train_cli import add_parser as add_train_parser


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, "utf-8")
    except OSError as exc:
        raise CliError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _as_json(value: Any) -> Any:
    """An array, or a list of per-slot arrays (a chain's states of different sizes), as nested lists."""
    if isinstance(value, (list, tuple)):
        return [_as_json(item) for item in value]
    return value.tolist()


def _cmd_run(args: argparse.Namespace) -> int:
    fixture = load_fixture(resolve_fixture(args.fixture))
    net = get_backend(args.backend).load(fixture.model, dtype=args.dtype)
    cases: list[dict[str, Any]] = []
    for case in fixture.cases:
        given = case.x if case.tokens is None else case.tokens  # [T, B, I] or tokens [T, B]
        result = net.forward(given, case.h0, case.c0, case.lengths)
        cases.append({"name": case.name, **{k: _as_json(v) for k, v in result.fields().items()}})
    document = {"fixture": fixture.name, "backend": args.backend, "dtype": args.dtype, "cases": cases}
    text = json.dumps(document, allow_nan=False)
    if args.out is None:
        print(text)
    else:
        _write_text(args.out, text + "\n")
    return 0


def _cmd_crosscheck(args: argparse.Namespace) -> int:
    from rnn_rosetta.crosscheck import crosscheck

    if args.repeats < 1:
        raise CliError(f"--repeats must be at least 1, got {args.repeats}")
    return crosscheck(
        args.paths, args.backends, args.repeats, dtypes=args.dtypes, all_kernels=args.kernels == "all",
        verbose=args.verbose, json_out=args.json,
    )  # fmt: skip


def _cmd_demo(args: argparse.Namespace) -> int:
    from rnn_rosetta.demo import demo_lines, seed_table_lines

    fixture = load_fixture(resolve_fixture(args.fixture))
    net = get_backend(args.backend).load(fixture.model, dtype=args.dtype)
    lines = seed_table_lines(fixture, net) if args.seed_table else demo_lines(fixture, net)
    print("\n".join(lines))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    """Every file (folders: every ``*.json`` below): ok on stdout, each bad one on stderr; exit 2 if any is bad."""
    good = bad = 0
    for item in args.fixtures:
        try:
            files = expand_fixture_paths([item], default_folder=False)
        except CliError as exc:
            bad += 1
            fail(str(exc))
            continue
        for path in files:
            try:
                fixture = load_fixture(path)
            except FixtureError as exc:
                bad += 1
                fail(str(exc))
                continue
            good += 1
            print(f"{path}: ok: {fixture.model.describe()}, {len(fixture.cases)} cases")
    print(f"checked {good + bad}: {good} ok, {bad} bad")
    return 2 if bad else 0


def _cmd_describe(args: argparse.Namespace) -> int:
    from rnn_rosetta.describe import describe_lines

    print("\n".join(describe_lines(load_fixture(resolve_fixture(args.fixture)))))
    return 0


def _cmd_convert(args: argparse.Namespace) -> int:
    from rnn_rosetta.convert import Options, convert

    options = Options(cases=args.cases, seed=args.seed, length=args.length, batch=args.batch)
    return convert(args.source, args.out, options, backends=args.backends)


def _cmd_backends(args: argparse.Namespace) -> int:
    ready = available_backends()
    for name in BACKENDS:
        reason = get_backend(name).why_unavailable() if name not in ready else None
        print(f"{name:6s} {'ready' if reason is None else 'unavailable: ' + reason}")
    return 0


FIXTURE_HELP = "a fixture file, or the name of a committed one (e.g. gru_cho)"


def _add_run(commands: Any) -> None:
    run = commands.add_parser("run", help="run a fixture's cases through one backend, print JSON")
    run.add_argument("fixture", help=FIXTURE_HELP)
    run.add_argument("--backend", choices=BACKENDS, default="numpy")
    run.add_argument("--dtype", choices=DTYPES, default="float64")
    run.add_argument("--out", type=Path, help="write the JSON here instead of stdout")
    run.set_defaults(handler=_cmd_run)


def _add_crosscheck(commands: Any) -> None:
    check = commands.add_parser("crosscheck", help="every fixture x every backend, against the oracle and each other")
    check.add_argument("paths", nargs="*", help="fixture files, folders or names (default: every committed fixture)")
    check.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    check.add_argument("--dtypes", nargs="+", choices=DTYPES, default=list(DTYPES))
    check.add_argument(
        "--kernels", choices=("all", "auto"), default="all",
        help="all: every kernel (numpy plain, c portable/avx2/avx512, java plain) and the exact kernels, compared "
        "bit for bit; auto: what load() picks",
    )  # fmt: skip
    check.add_argument("--repeats", type=int, default=5, help="timed passes per fixture and backend (median)")
    check.add_argument("-v", "--verbose", action="store_true", help="every target and every pair, not the summary")
    check.add_argument(
        "--json", metavar="FILE", help="write every record as JSON to FILE ('-': stdout, text to stderr)"
    )
    check.set_defaults(handler=_cmd_crosscheck)


def _add_demo(commands: Any) -> None:
    demo = commands.add_parser("demo", help="the per-step demo table (same text as the C and Java demos)")
    demo.add_argument("fixture", help=FIXTURE_HELP)
    demo.add_argument("--backend", choices=BACKENDS, default="numpy")
    demo.add_argument("--dtype", choices=DTYPES, default="float64")
    demo.add_argument(
        "--seed-table", action="store_true", help="the seed programs' compact table (docs/demo-output.md), step mode"
    )
    demo.set_defaults(handler=_cmd_demo)


def _add_validate(commands: Any) -> None:
    validate = commands.add_parser("validate", help="check fixture files (or folders of them) against the format")
    validate.add_argument("fixtures", nargs="+", help="fixture files, folders (every *.json below) or names")
    validate.set_defaults(handler=_cmd_validate)


def _add_describe(commands: Any) -> None:
    describe = commands.add_parser("describe", help="the chain, every shape and the parameter count per layer")
    describe.add_argument("fixture", help=FIXTURE_HELP)
    describe.set_defaults(handler=_cmd_describe)


def _add_convert(commands: Any) -> None:
    convert = commands.add_parser(
        "convert",
        help="a .pt2, .onnx or .keras model -> a checked fixture (expected values from its own framework)",
        description=(
            "Import SOURCE, draw random cases, have SOURCE's own framework (PyTorch, Keras, ONNX Runtime)"
            " compute their expected values, write a version 2 fixture, then crosscheck it. Exit 0: every"
            " backend matches the framework; 1: one does not; 2: refused (one line saying why)."
        ),
    )
    convert.add_argument("source", type=Path, metavar="SOURCE", help="the model: .pt2 (torch.export), .onnx, .keras")
    convert.add_argument("-o", "--out", type=Path, required=True, metavar="FIXTURE", help="the fixture to write")
    convert.add_argument("--cases", type=int, default=3, metavar="N", help="how many cases to draw (default 3)")
    convert.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the random inputs (default 0)")
    convert.add_argument("--length", type=int, metavar="T", help="time steps per case (default: the source's, else 8)")
    convert.add_argument("--batch", type=int, metavar="B", help="sequences per case (default: the source's, else 2)")
    convert.add_argument(
        "--backends", nargs="+", choices=BACKENDS, help="crosscheck these (default: every backend that runs here)"
    )
    convert.set_defaults(handler=_cmd_convert)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(prog=PROG, description="Recurrent networks, three ways.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_run(commands)
    _add_crosscheck(commands)
    _add_demo(commands)
    add_seed_demo_parser(commands)
    add_generate_parser(commands)
    add_train_parser(commands)
    add_gradient_flow_parser(commands)
    _add_validate(commands)
    _add_describe(commands)
    _add_convert(commands)
    backends = commands.add_parser("backends", help="which backends can run here")
    backends.set_defaults(handler=_cmd_backends)
    add_bench_parser(commands)
    add_accuracy_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch(build_parser().parse_args(argv))


__all__ = ["build_parser", "dispatch", "main"]

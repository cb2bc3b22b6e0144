"""``python -m rnn_rosetta {run,crosscheck,demo,validate,backends,bench}``.

Errors: exit status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnn_rosetta.backends import BACKENDS, available_backends, get_backend
from rnn_rosetta.backends.base import DTYPES
from rnn_rosetta.errors import RosettaError
from rnn_rosetta.fixtures import load_fixture


def _cmd_run(args: argparse.Namespace) -> int:
    fixture = load_fixture(args.fixture)
    net = get_backend(args.backend).load(fixture.model, dtype=args.dtype)
    cases: list[dict[str, Any]] = []
    for case in fixture.cases:
        result = net.forward(case.x, case.h0, case.c0, case.lengths)
        cases.append({"name": case.name, **{k: v.tolist() for k, v in result.fields().items()}})
    document = {"fixture": fixture.name, "backend": args.backend, "dtype": args.dtype, "cases": cases}
    text = json.dumps(document, allow_nan=False)
    if args.out is None:
        print(text)
    else:
        args.out.write_text(text + "\n", "utf-8")
    return 0


def _cmd_crosscheck(args: argparse.Namespace) -> int:
    from rnn_rosetta.crosscheck import crosscheck

    return crosscheck(args.paths, args.backends, args.repeats, dtypes=args.dtypes, all_kernels=args.kernels == "all")


def _cmd_demo(args: argparse.Namespace) -> int:
    from rnn_rosetta.demo import demo_lines

    fixture = load_fixture(args.fixture)
    net = get_backend(args.backend).load(fixture.model, dtype=args.dtype)
    print("\n".join(demo_lines(fixture, net)))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    for path in args.fixtures:
        fixture = load_fixture(path)
        print(f"{path}: ok: {fixture.model.describe()}, {len(fixture.cases)} cases")
    return 0


def _cmd_backends(args: argparse.Namespace) -> int:
    ready = available_backends()
    for name in BACKENDS:
        reason = get_backend(name).why_unavailable() if name not in ready else None
        print(f"{name:6s} {'ready' if reason is None else 'unavailable: ' + reason}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rnn_rosetta", description="Recurrent networks, three ways.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a fixture's cases through one backend, print JSON")
    run.add_argument("fixture", type=Path)
    run.add_argument("--backend", choices=BACKENDS, default="numpy")
    run.add_argument("--dtype", choices=DTYPES, default="float64")
    run.add_argument("--out", type=Path, help="write the JSON here instead of stdout")
    run.set_defaults(handler=_cmd_run)

    check = commands.add_parser("crosscheck", help="every fixture x every backend, against the oracle and each other")
    check.add_argument("paths", nargs="*", help="fixture files or folders (default: shared_fixtures/)")
    check.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    check.add_argument("--dtypes", nargs="+", choices=DTYPES, default=list(DTYPES))
    check.add_argument(
        "--kernels", choices=("all", "auto"), default="all",
        help="all: also the plain reference kernels (c portable, java plain); auto: what load() picks",
    )  # fmt: skip
    check.add_argument("--repeats", type=int, default=5, help="timed passes per fixture and backend (median)")
    check.set_defaults(handler=_cmd_crosscheck)

    demo = commands.add_parser("demo", help="the per-step demo table (same text as the C and Java demos)")
    demo.add_argument("fixture", type=Path)
    demo.add_argument("--backend", choices=BACKENDS, default="numpy")
    demo.add_argument("--dtype", choices=DTYPES, default="float64")
    demo.set_defaults(handler=_cmd_demo)

    validate = commands.add_parser("validate", help="check fixture files against the format")
    validate.add_argument("fixtures", nargs="+", type=Path)
    validate.set_defaults(handler=_cmd_validate)

    backends = commands.add_parser("backends", help="which backends can run here")
    backends.set_defaults(handler=_cmd_backends)

    from rnn_rosetta.bench.cli import add_parser as add_bench_parser

    add_bench_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch(build_parser().parse_args(argv))


def dispatch(args: argparse.Namespace) -> int:
    """Run the chosen command: its exit status, or 2 and one line on stderr for any :class:`RosettaError`."""
    try:
        return int(args.handler(args))
    except RosettaError as exc:
        print(f"rnn-rosetta: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rnn-rosetta: interrupted", file=sys.stderr)
        return 130

"""``rnn-rosetta generate FIXTURE --prime TEXT [--length N] [--temperature T] [--seed S] [--backend B] [--dtype D]``.

Standard output receives exactly the prime, the generated characters and one ``\\n``, in UTF-8
(docs/generation.md, "What is printed"). Errors are one line on stderr: exit status 2 for a bad
argument (the numbers, an empty prime, a prime character outside the vocabulary), 1 for a fixture that
cannot be read or holds no model that can generate.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rnn_rosetta.backends import BACKENDS
from rnn_rosetta.backends.base import DTYPES
from rnn_rosetta.cli_errors import PROG, CliError
from rnn_rosetta.cli_numbers import integer_option, real_option
from rnn_rosetta.errors import FixtureError, InputError
from rnn_rosetta.fixture_files import resolve_fixture
from rnn_rosetta.fixture_reader import load_fixture
from rnn_rosetta.generation import MAX_LENGTH, CannotGenerate, generate_text
from rnn_rosetta.sampling import MAX_SEED

#: Exit status of a fixture that cannot be read or cannot generate.
EXIT_CANNOT_GENERATE = 1
#: Exit status of a bad argument (what argparse refuses exits 2 as well).
EXIT_BAD_ARGUMENT = 2

parse_length = integer_option("length", 0, MAX_LENGTH)  # --length: 0 .. 1000000
parse_seed = integer_option("seed", 0, MAX_SEED)  # --seed: 0 .. 2^64 - 1
parse_temperature = real_option("temperature", positive=False)  # --temperature: a finite real >= 0


def _write_utf8(text: str) -> None:
    """``text`` to stdout as UTF-8 bytes, whatever the locale's encoding."""
    stdout = sys.stdout
    buffer = getattr(stdout, "buffer", None)
    if buffer is None:
        stdout.write(text)
        return
    stdout.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def _cannot(message: str) -> int:
    print(f"{PROG}: generate: {message}", file=sys.stderr)
    return EXIT_CANNOT_GENERATE


def _bad_argument(message: str) -> int:
    print(f"{PROG}: generate: {message}", file=sys.stderr)
    return EXIT_BAD_ARGUMENT


def _cmd_generate(args: argparse.Namespace) -> int:
    if not args.prime:
        return _bad_argument("--prime must not be empty")
    try:
        fixture = load_fixture(resolve_fixture(args.fixture))
    except (FixtureError, CliError) as exc:
        return _cannot(str(exc))
    try:
        text = generate_text(
            fixture, args.prime, length=args.length, temperature=args.temperature, seed=args.seed,
            backend=args.backend, dtype=args.dtype,
        )  # fmt: skip
    except CannotGenerate as exc:
        return _cannot(str(exc))
    except InputError as exc:  # the prime holds a character the vocabulary lacks
        return _bad_argument(str(exc))
    _write_utf8(text + "\n")
    return 0


def add_parser(commands: Any) -> None:
    """Register ``generate`` on the ``rnn-rosetta`` sub-command parsers."""
    generate = commands.add_parser(
        "generate",
        help="character-level text from a character model (same bytes as rr_demo --generate and the Java demo)",
        description=(
            "Feed the prime to the model, then sample LENGTH characters one at a time with SplitMix64 and"
            " temperature (0: greedy). Prints the prime, the characters and a newline (docs/generation.md)."
            " Exit 2: a bad argument; 1: the fixture cannot be read or cannot generate."
        ),
    )
    generate.add_argument("fixture", help="a version-2 fixture with a vocabulary, or the name of a committed one")
    generate.add_argument("--prime", required=True, metavar="TEXT", help="the text to start from (non-empty)")
    generate.add_argument(
        "--length", type=parse_length, default=200, metavar="N", help="characters to generate, 0 .. 1000000 (200)"
    )
    generate.add_argument(
        "--temperature", type=parse_temperature, default=1.0, metavar="T", help="0 greedy, 1 as trained (1.0)"
    )
    generate.add_argument("--seed", type=parse_seed, default=0, metavar="S", help="SplitMix64 seed, 0 .. 2^64-1 (0)")
    generate.add_argument("--backend", choices=BACKENDS, default="numpy")
    generate.add_argument("--dtype", choices=DTYPES, default="float64")
    generate.set_defaults(handler=_cmd_generate)

"""``rnn-rosetta seed-demo {c-rnn,java-lstm}``: the seed articles' C and Java programs' table, on their fixtures.

The seed article 000 prints two small tables: its C ``SimpleRNN`` (section 7: step, active bit, ``|h|``, the
most probable class and its probability) and its Java ``LSTMCell`` (section 8: step, active bit, ``|c|``,
``|h|``). The committed fixtures ``seed_c_rnn`` and ``seed_java_lstm`` carry the very weights those programs
draw, so the seed table (docs/demo-output.md, "The seed table") prints their numbers to the digit, through
any backend.
"""

from __future__ import annotations

import argparse
from typing import Any

from rnn_rosetta.backends import BACKENDS, get_backend
from rnn_rosetta.backends.base import DTYPES
from rnn_rosetta.fixture_files import resolve_fixture
from rnn_rosetta.fixtures import load_fixture

#: program name on the command line -> the committed fixture that holds its weights
SEED_PROGRAMS: dict[str, str] = {"c-rnn": "seed_c_rnn", "java-lstm": "seed_java_lstm"}


def seed_demo_lines(program: str, backend: str = "numpy", dtype: str = "float64") -> list[str]:
    """The seed table of ``program`` (``c-rnn`` or ``java-lstm``) computed by ``backend`` in ``dtype``."""
    from rnn_rosetta.demo import seed_table_lines

    fixture = load_fixture(resolve_fixture(SEED_PROGRAMS[program]))
    net = get_backend(backend).load(fixture.model, dtype=dtype)
    return seed_table_lines(fixture, net)


def _cmd_seed_demo(args: argparse.Namespace) -> int:
    print("\n".join(seed_demo_lines(args.program, args.backend, args.dtype)))
    return 0


def add_parser(commands: Any) -> None:
    """Register ``seed-demo`` on the ``rnn-rosetta`` sub-command parsers."""
    seed = commands.add_parser(
        "seed-demo",
        help="the seed articles' C RNN and Java LSTM programs: their table, to the digit",
        description=(
            "Print the table the seed article's C SimpleRNN (c-rnn) or Java LSTMCell (java-lstm) prints, computed"
            " from the committed fixture that holds the very weights the program draws (seed_c_rnn, seed_java_lstm)."
        ),
    )
    seed.add_argument("program", choices=sorted(SEED_PROGRAMS), help="which seed program")
    seed.add_argument("--backend", choices=BACKENDS, default="numpy")
    seed.add_argument("--dtype", choices=DTYPES, default="float64")
    seed.set_defaults(handler=_cmd_seed_demo)

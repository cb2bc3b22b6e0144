"""How every ``rnn-rosetta`` command fails: exit status 2 and one line on stderr, never a traceback.

Shared by :mod:`rnn_rosetta.cli` and :mod:`rnn_rosetta.bench.cli`; it imports
neither, so the two command modules do not import each other.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from rnn_rosetta.errors import RosettaError

PROG = "rnn-rosetta"

#: Set to ``1`` to see the traceback of an unexpected error instead of one line.
DEBUG_VARIABLE = "RR_DEBUG"


class CliError(RosettaError):
    """A command cannot do what it was asked (unwritable ``--out``, no fixture by that name, ...)."""


class OneLineArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line (``rnn-rosetta: ...``) and exit status 2.

    Sub-command parsers made by ``add_subparsers`` are of the same class, so
    ``rnn-rosetta run`` (no fixture) fails the same way.
    """

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix(PROG).strip()  # "run" for `rnn-rosetta run`, "" for the top level
        where = f"{PROG}: {command}: " if command else f"{PROG}: "
        self.exit(2, f"{where}{message} (see {self.prog} --help)\n")


def fail(message: str) -> int:
    """Print ``rnn-rosetta: message`` on stderr; the exit status of a refused command (2)."""
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


def dispatch(args: argparse.Namespace) -> int:
    """Run ``args.handler(args)``: its exit status, or 2 and one line on stderr for any error.

    A :class:`RosettaError` is the expected kind (bad fixture, unwritable file);
    an ``OSError`` is reported with its file name; anything else is a bug,
    still reported on one line unless ``RR_DEBUG=1`` asks for the traceback.
    """
    try:
        return int(args.handler(args))
    except RosettaError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `rnn-rosetta crosscheck | head`: the reader left, nothing to report
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename is not None else ""
        return fail(f"{where}{exc.strerror or exc}")
    except Exception as exc:
        if os.environ.get(DEBUG_VARIABLE) == "1":
            raise
        return fail(f"internal error ({type(exc).__name__}: {exc}); {DEBUG_VARIABLE}=1 shows the traceback")

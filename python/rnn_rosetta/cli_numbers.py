"""The number grammar of the command lines (``generate``, ``train``; the same as ``rr_demo`` and the Java demo).

- integers: ASCII digits only, ``[0-9]+`` (any count of leading zeros; no sign, space or ``0x``), then a
  range check that never builds a huge int: digits beyond the largest value's are out of range at once
- reals: ``([0-9]+ .? [0-9]* | . [0-9]+) ([eE] [+-]? [0-9]+)?`` (no sign, no ``nan``/``inf``/hex); the value
  must be finite (``1e400`` is refused) and ``> 0`` or ``>= 0`` as the option says

Each parser is an argparse ``type``: a refused text raises :class:`argparse.ArgumentTypeError`, which the
commands print as one line and exit 2.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

INTEGER = re.compile(r"[0-9]+")
REAL = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def parse_integer(name: str, text: str, smallest: int, largest: int) -> int:
    """``text`` as an integer in ``smallest .. largest``; else :class:`argparse.ArgumentTypeError` naming ``name``."""
    refused = argparse.ArgumentTypeError(f"{name} must be an integer in {smallest} .. {largest}, got {text!r}")
    if not INTEGER.fullmatch(text):
        raise refused
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(largest)):  # out of range before int() could meet its digit limit
        raise refused
    value = int(digits)
    if not smallest <= value <= largest:
        raise refused
    return value


def parse_real(name: str, text: str, positive: bool) -> float:
    """``text`` as a finite real, ``> 0`` when ``positive`` else ``>= 0``; else :class:`argparse.ArgumentTypeError`."""
    bound = "> 0" if positive else ">= 0"
    refused = argparse.ArgumentTypeError(f"{name} must be a finite number {bound}, got {text!r}")
    if not REAL.fullmatch(text):
        raise refused
    value = float(text)
    if not math.isfinite(value) or (value <= 0.0 if positive else value < 0.0):
        raise refused
    return value


def integer_option(name: str, smallest: int, largest: int) -> Callable[[str], int]:
    """An argparse ``type`` for ``--name``: an integer in ``smallest .. largest``."""

    def parse(text: str) -> int:
        return parse_integer(name, text, smallest, largest)

    return parse


def real_option(name: str, positive: bool) -> Callable[[str], float]:
    """An argparse ``type`` for ``--name``: a finite real, ``> 0`` when ``positive`` else ``>= 0``."""

    def parse(text: str) -> float:
        return parse_real(name, text, positive)

    return parse

"""Bytes to a JSON document, strictly: the syntax every fixture reader (Python, C, Java) accepts.

Refused, each with one :class:`FixtureError` line naming the source:

- bytes that are not UTF-8, and empty or blank text;
- anything that is not JSON (RFC 8259), including the ``NaN``, ``Infinity``
  and ``-Infinity`` literals Python's ``json`` would otherwise accept;
- an object that repeats a key (the last one would silently win);
- nesting deeper than the interpreter can walk.

What the document means is the next part's job (:mod:`rnn_rosetta.fixture_reader`).
The C and Java readers have a part with the same job and name
(``c/fixture/strict_json.c``, ``rnnrosetta.fixture.StrictJson``).
"""

from __future__ import annotations

import json
import reprlib
from typing import Any

from rnn_rosetta.errors import FixtureError


def _refuse_constant(name: str) -> float:
    raise ValueError(f"non-finite number {name} is not allowed")


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a repeated key."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {reprlib.repr(key)} in a JSON object")
            seen.add(key)
    return document


def decode_json(raw: bytes | str, source: str) -> Any:
    """The JSON value in ``raw``; raise :class:`FixtureError` (``SOURCE: problem``) when it is not strict JSON."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FixtureError(source, "", f"not UTF-8 text (byte {exc.start})") from None
    if not raw.strip():
        raise FixtureError(source, "", "the file is empty")
    try:
        return json.loads(raw, parse_constant=_refuse_constant, object_pairs_hook=_object_without_duplicates)
    except json.JSONDecodeError as exc:
        raise FixtureError(source, "", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        raise FixtureError(source, "", str(exc)) from None
    except RecursionError:
        raise FixtureError(source, "", "JSON nested too deeply") from None

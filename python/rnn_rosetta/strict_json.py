"""Bytes to a JSON document, strictly: the syntax every fixture reader (Python, C, Java) accepts.

Refused, each with one :class:`FixtureError` line naming the source:

- bytes that are not UTF-8, and empty or blank text;
- anything that is not JSON (RFC 8259), including the ``NaN``, ``Infinity``
  and ``-Infinity`` literals Python's ``json`` would otherwise accept;
- an object that repeats a key (the last one would silently win);
- arrays and objects nested more than :data:`MAX_DEPTH` deep (a fixture needs 8);
- a string or key holding a lone UTF-16 surrogate (``"\\ud800"``), which is not Unicode text.
- a string or key holding U+0000 (``"\\u0000"``), where a C string would end.

What the document means is the next part's job (:mod:`rnn_rosetta.fixture_reader`).
The C and Java readers have a part with the same job and name
(``c/fixture/strict_json.c``, ``rnnrosetta.fixture.StrictJson``).
"""

from __future__ import annotations

import json
import reprlib
from typing import Any

from rnn_rosetta.errors import FixtureError

#: The deepest nesting of arrays and objects any reader accepts (C: STRICT_JSON_MAX_DEPTH, Java: MAX_DEPTH).
MAX_DEPTH = 64


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
        document = json.loads(raw, parse_constant=_refuse_constant, object_pairs_hook=_object_without_duplicates)
    except json.JSONDecodeError as exc:
        raise FixtureError(source, "", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        raise FixtureError(source, "", str(exc)) from None
    except RecursionError:
        raise FixtureError(source, "", f"JSON nested too deeply (more than {MAX_DEPTH} levels)") from None
    _check_depth_and_text(document, source)
    return document


#: U+0000 ends a C string, so "a\u0000b" would read as "a" in C: every reader refuses it, with these words.
NUL_REFUSED = "\\u0000 in a string is not accepted"


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \\uD8xx escape
        return False
    return True


def _check_depth_and_text(document: Any, source: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` and strings that are not Unicode, naming the JSON path."""
    pending: list[tuple[Any, str, int]] = [(document, "", 1)]  # (value, JSON path, its depth if a container)
    while pending:
        value, path, depth = pending.pop()
        if isinstance(value, str):
            if not _is_unicode(value):
                raise FixtureError(source, path, "string holds a lone UTF-16 surrogate (not Unicode text)")
            if "\x00" in value:
                raise FixtureError(source, path, NUL_REFUSED)
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            raise FixtureError(source, path, f"JSON nested too deeply (more than {MAX_DEPTH} levels)")
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else key
                if not _is_unicode(key):
                    raise FixtureError(source, path, "key holds a lone UTF-16 surrogate (not Unicode text)")
                if "\x00" in key:
                    raise FixtureError(source, path, NUL_REFUSED)
                pending.append((item, child, depth + 1))
        else:
            pending.extend((item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value))

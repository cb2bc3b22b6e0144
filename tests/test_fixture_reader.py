"""The reader's parts on their own: strict JSON, unknown keys first and in one line, the source recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.json_fields import PathError, float_array, json_path
from rnn_rosetta.strict_json import decode_json


def _document(name: str = "lstm_small") -> dict[str, Any]:
    return json.loads((paths.fixtures_dir() / f"{name}.json").read_text("utf-8"))


def _refusal(document: dict[str, Any]) -> str:
    with pytest.raises(rr.FixtureError) as caught:
        rr.parse_fixture(json.dumps(document), "<doc>")
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"a": [1, NaN]}', "NaN"),
        ('{"a": -Infinity}', "Infinity"),
        ("", "empty"),
        ('{"a": 1', "not valid JSON"),
    ],
)
def test_strict_json_refuses(text: str, words: str) -> None:
    with pytest.raises(rr.FixtureError, match=words):
        decode_json(text, "<doc>")


def test_strict_json_refuses_bytes_that_are_not_utf8() -> None:
    with pytest.raises(rr.FixtureError, match=r"not UTF-8 text \(byte 6\)"):
        decode_json(b'{"a": \xff}', "<doc>")


def test_a_misspelled_key_is_named_before_the_key_it_leaves_missing() -> None:
    document = _document()
    document["tolerance"]["atl"] = document["tolerance"].pop("atol")
    assert _refusal(document).startswith("<doc>: tolerance.atl: unknown key")


def test_an_unknown_key_with_a_line_break_is_reported_on_one_line() -> None:
    document = _document()
    document["model"]["evil\nkey" * 50] = 1
    message = _refusal(document)
    assert "\n" not in message and len(message) < 400 and "unknown key" in message


def test_a_missing_key_is_named() -> None:
    document = _document()
    del document["cases"][0]["expected"]["h_n"]
    assert _refusal(document) == "<doc>: cases[0].expected: missing required key 'h_n'"


def test_json_fields_name_the_element_at_fault() -> None:
    with pytest.raises(PathError) as caught:
        float_array([[1.0, 2.0], [3.0, "4"]], "w", (2, 2))
    assert (caught.value.path, caught.value.problem) == ("w[1][1]", "expected a number, got a string")
    with pytest.raises(PathError, match=r"expected shape \[2, 3\], got \[2, 2\]"):
        float_array([[1.0, 2.0], [3.0, 4.0]], "w", (2, 3))
    assert json_path(["model", "layers", 0, "forward"]) == "model.layers[0].forward"


def test_the_fixture_records_where_it_came_from() -> None:
    path = paths.fixtures_dir() / "gru_small.json"
    assert rr.load_fixture(path).source == str(path)

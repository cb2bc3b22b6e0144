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


def test_versions_1_and_2_are_read_and_another_is_named() -> None:
    document = json.loads((paths.fixtures_dir() / "reverse_last.json").read_text())
    assert isinstance(rr.parse_fixture(json.dumps(document)).model, rr.Chain)
    document["version"] = 3
    with pytest.raises(rr.FixtureError, match=r"version: this code reads versions 1 and 2, got 3"):
        rr.parse_fixture(json.dumps(document))


def test_a_v1_key_in_a_v2_file_is_unknown_in_v2_words() -> None:
    document = json.loads((paths.fixtures_dir() / "reverse_last.json").read_text())
    document["model"]["layers"][0]["num_layers"] = 1
    with pytest.raises(rr.FixtureError, match=r"model\.layers\[0\]\.num_layers: unknown key, not part of format v2"):
        rr.parse_fixture(json.dumps(document))


def test_ragged_state_slots_are_read_as_a_list_and_uniform_ones_as_an_array() -> None:
    stack = rr.load_fixture(paths.fixtures_dir() / "stack_64_32_softmax.json")  # slots of 12 and 7
    h0 = stack.cases[1].h0
    assert isinstance(h0, list) and [s.shape for s in h0] == [(3, 12), (3, 7)]
    seq = rr.load_fixture(paths.fixtures_dir() / "seq_classifier.json")  # two slots of 8
    assert getattr(seq.cases[1].h0, "shape", None) == (2, 3, 8)

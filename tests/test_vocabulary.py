"""The ``vocabulary`` key of format version 2 (docs/fixture-format.md#vocabulary): read, refused, written.

The C and Java readers are held to the same refusals by tests/bad_fixtures.py (``v2_vocabulary_*``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.fixture_reader import fixture_schema
from rnn_rosetta.fixture_writer import dump_document, fixture_document, write_fixture_file

SEQ = "seq_classifier"  # embedding 20x6
#: 20 entries, one code point each: control, ASCII, Latin-1, CJK, and one outside the BMP (a surrogate pair in UTF-16)
VOCABULARY = ["\n", " ", "!", ",", "T", "a", "b", "e", "o", "r", "t", "é", "ñ", "ß", "中", "😀", "\t", '"', "\\", "z"]


def _document(name: str, vocabulary: Any = None, with_key: bool = True) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((paths.fixtures_dir() / f"{name}.json").read_text("utf-8"))
    if not with_key:
        return document
    ordered: dict[str, Any] = {}
    for key, value in document.items():
        ordered[key] = value
        if key == "model":
            ordered["vocabulary"] = vocabulary
    return ordered


def _refusal(document: dict[str, Any]) -> str:
    with pytest.raises(rr.FixtureError) as caught:
        rr.parse_fixture(json.dumps(document), "f.json")
    return str(caught.value)


def test_a_vocabulary_is_read_as_a_tuple_of_characters() -> None:
    fixture = rr.parse_fixture(json.dumps(_document(SEQ, VOCABULARY)), "f.json")
    assert fixture.vocabulary == tuple(VOCABULARY)
    assert all(len(entry) == 1 for entry in fixture.vocabulary)


def test_the_utf8_text_and_escapes_read_the_same() -> None:
    document = _document(SEQ, VOCABULARY)
    as_utf8 = json.dumps(document, ensure_ascii=False).encode("utf-8")
    as_escapes = json.dumps(document, ensure_ascii=True).encode("ascii")  # 😀 becomes "\ud83d\ude00"
    assert b"\\ud83d\\ude00" in as_escapes
    assert rr.parse_fixture(as_utf8).vocabulary == rr.parse_fixture(as_escapes).vocabulary == tuple(VOCABULARY)


def test_no_vocabulary_and_null_read_as_none() -> None:
    assert rr.parse_fixture(json.dumps(_document(SEQ, with_key=False))).vocabulary is None
    assert rr.parse_fixture(json.dumps(_document(SEQ, None))).vocabulary is None
    assert rr.parse_fixture(json.dumps(_document("stack_64_32_softmax", None))).vocabulary is None
    assert rr.load_fixture(paths.fixtures_dir() / "lstm_small.json").vocabulary is None


def _replaced(k: int, value: Any) -> list[Any]:
    return [*VOCABULARY[:k], value, *VOCABULARY[k + 1 :]]


REFUSALS = [
    ("stack_64_32_softmax", ["a", "b"], "f.json: vocabulary: a vocabulary needs model.embedding"),
    (SEQ, VOCABULARY[:19], "f.json: vocabulary: expected 20 entries (the embedding's rows), got 19"),
    (SEQ, [*VOCABULARY, "x"], "f.json: vocabulary: expected 20 entries (the embedding's rows), got 21"),
    (SEQ, [], "f.json: vocabulary: expected 20 entries (the embedding's rows), got 0"),
    (SEQ, "abcdefghijklmnopqrst", "f.json: vocabulary: expected an array of one-character strings or null, got a"),
    (SEQ, _replaced(3, ""), "f.json: vocabulary[3]: expected exactly one character (one Unicode code point), got 0"),
    (SEQ, _replaced(4, "ab"), "f.json: vocabulary[4]: expected exactly one character (one Unicode code point), got 2"),
    (SEQ, _replaced(5, "e\u0301"), "f.json: vocabulary[5]: expected exactly one character"),
    (SEQ, _replaced(6, 7), "f.json: vocabulary[6]: expected a one-character string, got a number"),
    (SEQ, _replaced(6, None), "f.json: vocabulary[6]: expected a one-character string, got null"),
    (SEQ, _replaced(6, ["a"]), "f.json: vocabulary[6]: expected a one-character string, got an array"),
    (SEQ, _replaced(9, "a"), "f.json: vocabulary[9]: duplicate of vocabulary[5]"),
    (SEQ, _replaced(19, "\n"), "f.json: vocabulary[19]: duplicate of vocabulary[0]"),
]


@pytest.mark.parametrize(("base", "vocabulary", "message"), REFUSALS, ids=[m.split(": ", 2)[2] for *_, m in REFUSALS])
def test_a_broken_vocabulary_is_refused_with_its_path(base: str, vocabulary: Any, message: str) -> None:
    assert _refusal(_document(base, vocabulary)).startswith(message)


def test_a_version_1_file_has_no_vocabulary_key() -> None:
    message = _refusal(_document("lstm_softmax_head", ["a", "b", "c", "d"]))
    assert message.startswith("f.json: vocabulary: unknown key, not part of format v1"), message


def test_the_shipped_schema_states_the_same_rules() -> None:
    """Other tools read the schema file: it accepts the good vocabulary and refuses the entry faults."""
    validator = jsonschema.Draft202012Validator(fixture_schema(2))
    assert validator.is_valid(_document(SEQ, VOCABULARY))
    assert validator.is_valid(_document(SEQ, None))
    for vocabulary in (_replaced(3, ""), _replaced(4, "ab"), _replaced(6, 7), _replaced(9, "a"), "abc"):
        assert not validator.is_valid(_document(SEQ, vocabulary)), vocabulary


# -- the writer ---------------------------------------------------------------------------------------


def _seq_fixture() -> rr.Fixture:
    return rr.load_fixture(paths.fixtures_dir() / f"{SEQ}.json")


def test_the_writer_puts_the_vocabulary_after_the_model_and_reads_back(tmp_path: Path) -> None:
    fixture = _seq_fixture()
    document = fixture_document(
        "with_vocabulary", "d", fixture.model, fixture.cases, fixture.tolerance, {}, vocabulary=VOCABULARY
    )
    assert list(document)[:6] == ["format", "version", "name", "description", "model", "vocabulary"]
    path = write_fixture_file(tmp_path / "v.json", document)
    again = rr.load_fixture(path)
    assert again.vocabulary == tuple(VOCABULARY)
    written = fixture_document(
        again.name, again.description, again.model, again.cases, again.tolerance, again.provenance,
        vocabulary=again.vocabulary,
    )  # fmt: skip
    assert dump_document(written) == path.read_text("utf-8")  # byte for byte


def test_without_a_vocabulary_the_writer_leaves_the_key_out() -> None:
    fixture = _seq_fixture()
    document = fixture_document(SEQ, fixture.description, fixture.model, fixture.cases, fixture.tolerance, {})
    assert "vocabulary" not in document


def test_the_writer_checks_what_it_writes(tmp_path: Path) -> None:
    fixture = _seq_fixture()
    document = fixture_document("bad", "", fixture.model, (), fixture.tolerance, {}, vocabulary=VOCABULARY[:5])
    with pytest.raises(rr.FixtureError, match="vocabulary: expected 20 entries"):
        write_fixture_file(tmp_path / "bad.json", document)
    assert not (tmp_path / "bad.json").exists()


def test_the_writer_refuses_a_vocabulary_for_a_version_1_model() -> None:
    fixture = rr.load_fixture(paths.fixtures_dir() / "lstm_softmax_head.json")
    with pytest.raises(rr.ModelError, match="vocabulary: a vocabulary needs format version 2"):
        fixture_document("x", "", fixture.model, (), fixture.tolerance, {}, vocabulary=["a", "b", "c", "d"])

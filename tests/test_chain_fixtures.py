"""Format version 2 in Python: reader, writer, schema, and check_model(chain) saying what the reader says."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jsonschema
import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import chain as chain_module
from rnn_rosetta import paths
from rnn_rosetta.chain import Chain, Dense, chain_from_model, model_from_chain
from rnn_rosetta.compare import compare
from rnn_rosetta.fixture_reader import fixture_schema
from rnn_rosetta.fixture_writer import dump_document, fixture_document
from tests.conftest import CHAIN_FIXTURE_PATHS, FIXTURE_PATHS


@pytest.mark.parametrize("path", CHAIN_FIXTURE_PATHS, ids=[p.stem for p in CHAIN_FIXTURE_PATHS])
def test_a_chain_fixture_written_back_is_the_same_text(path) -> None:  # type: ignore[no-untyped-def]
    fixture = rr.load_fixture(path)
    assert isinstance(fixture.model, Chain)
    document = fixture_document(
        fixture.name, fixture.description, fixture.model, fixture.cases, fixture.tolerance, fixture.provenance,
        vocabulary=fixture.vocabulary,
    )  # fmt: skip
    assert document["version"] == 2
    assert dump_document(document) == path.read_text("utf-8")


@pytest.mark.parametrize("path", FIXTURE_PATHS[:8], ids=[p.stem for p in FIXTURE_PATHS[:8]])
def test_a_model_is_still_written_as_version_1(path) -> None:  # type: ignore[no-untyped-def]
    fixture = rr.load_fixture(path)
    document = fixture_document(
        fixture.name, fixture.description, fixture.model, fixture.cases, fixture.tolerance, fixture.provenance
    )
    assert document["version"] == 1
    assert dump_document(document) == path.read_text("utf-8")


def test_the_v2_schema_is_valid_and_names_the_rules_constants() -> None:
    schema = fixture_schema(2)
    jsonschema.Draft202012Validator.check_schema(schema)
    defs = schema["$defs"]
    assert tuple(defs["layer"]["properties"]["merge"]["enum"]) == chain_module.MERGES
    assert tuple(defs["model"]["properties"]["readout"]["enum"]) == chain_module.READOUTS
    assert tuple(defs["dense"]["properties"]["activation"]["enum"]) == chain_module.DENSE_ACTIVATIONS
    assert defs["model"]["properties"]["layers"]["maxItems"] == rr.model_rules.MAX_LAYERS  # type: ignore[attr-defined]


def test_token_cases_have_tokens_and_no_x() -> None:
    fixture = rr.load_fixture(paths.fixtures_dir() / "char_model.json")
    case = fixture.cases[0]
    assert case.x is None and case.tokens is not None and case.tokens.dtype == np.int64
    assert case.feed is case.tokens and case.inputs.tokens is case.tokens


def test_a_v1_model_run_as_a_chain_gives_the_same_numbers() -> None:
    for path in FIXTURE_PATHS:
        fixture = rr.load_fixture(path)
        model = fixture.model
        assert isinstance(model, rr.Model)
        chain = chain_from_model(model)
        assert model_from_chain(chain) == model or model.head is not None
        as_v1 = rr.get_backend("numpy").load(model)
        as_chain = rr.get_backend("numpy").load(chain)
        for case in fixture.cases:
            a = as_v1.forward(case.x, case.h0, case.c0, case.lengths)
            b = as_chain.forward(case.x, case.h0, case.c0, case.lengths)
            # the recurrent layers are the same code: exact; a head may differ in the last bit (BLAS order)
            assert compare(rr.Result(b.output, b.h_n, b.c_n), rr.Result(a.output, a.h_n, a.c_n), rr.Tolerance(0, 0)).ok
            assert compare(b, a, rr.Tolerance(1e-15, 1e-16)).ok, f"{fixture.name}/{case.name}"


# -- check_model(chain) refuses a broken chain with the reader's JSON path ---------------------------


def _base() -> Chain:
    chain = rr.load_fixture(paths.fixtures_dir() / "gru_bidirectional_merges.json").model
    assert isinstance(chain, Chain)
    return chain


def _seq() -> Chain:
    chain = rr.load_fixture(paths.fixtures_dir() / "seq_classifier.json").model
    assert isinstance(chain, Chain)
    return chain


def _layer(chain: Chain, index: int, **changes: object) -> Chain:
    layers = list(chain.layers)
    layers[index] = dataclasses.replace(layers[index], **changes)
    return dataclasses.replace(chain, layers=tuple(layers))


BROKEN: dict[str, tuple[Callable[[], Chain], str]] = {
    "unknown_merge": (lambda: dataclasses.replace(_base(), merges=("max", "mul", "ave")), "model.layers[0].merge"),
    "merge_on_forward": (lambda: dataclasses.replace(_seq(), merges=("sum", "concat")), "model.layers[0].merge"),
    "unknown_readout": (lambda: dataclasses.replace(_seq(), readout="first"), "model.readout"),
    "relu_on_lstm": (lambda: _layer(_seq(), 1, nonlinearity="relu"), "model.layers[1].nonlinearity"),
    "proj_on_gru": (lambda: _layer(_base(), 2, proj_size=1), "model.layers[2].proj_size"),
    "hidden_size_zero": (lambda: _layer(_base(), 1, hidden_size=0), "model.layers[1].hidden_size"),
    "width_after_sum": (lambda: _layer(_base(), 1, input_size=10), "model.layers[1].input_size"),
    "two_layers_in_one": (lambda: _layer(_base(), 0, num_layers=2), "model.layers[0]"),
    "dense_activation": (
        lambda: dataclasses.replace(_seq(), dense=(Dense(np.zeros((3, 8)), np.zeros(3), "gelu"),)),
        "model.dense[0].activation",
    ),
    "dense_width": (
        lambda: dataclasses.replace(_seq(), dense=(Dense(np.zeros((3, 7)), np.zeros(3), "softmax"),)),
        "model.dense[0].weight",
    ),
    "embedding_width": (
        lambda: dataclasses.replace(_seq(), embedding=rr.Embedding(np.zeros((20, 5)))),
        "model.embedding.weight",
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_check_model_names_the_path_of_a_broken_chain(name: str) -> None:
    build, path = BROKEN[name]
    with pytest.raises(rr.ModelError) as caught:
        rr.check_model(build())
    assert caught.value.path == path, str(caught.value)


def test_check_model_accepts_every_committed_chain() -> None:
    for path in CHAIN_FIXTURE_PATHS:
        rr.check_model(rr.load_fixture(path).model)


def test_model_import_error_is_a_value_error() -> None:
    assert issubclass(rr.ModelImportError, rr.RosettaError) and issubclass(rr.ModelImportError, ValueError)

"""The committed Keras-oracle fixtures (shared_fixtures/keras_*.json): GRU ``reset_after`` pinned both ways.

Issue 10: Keras' GRU docstring and its default disagree about ``reset_after``, so each value has its own
fixture, answered by Keras itself in float64. Here: the two GRU fixtures differ, each imports with the
``linear_before_reset`` it claims (and the other value fails its expected values), the seeded Keras
models import to exactly the committed chains, and the provenance names Keras, its backend and the
keras#23704 workaround. Without Keras the module is skipped, except under RR_STRICT=1, where it must run.
"""

from __future__ import annotations

import dataclasses
import os
from functools import cache

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.chain import Chain
from rnn_rosetta.compare import compare

os.environ.setdefault("KERAS_BACKEND", "torch")
if os.environ.get("RR_STRICT"):
    import keras
else:
    keras = pytest.importorskip("keras", reason="Keras is not installed (pip install 'rnn-rosetta[keras]')")

from rnn_rosetta.fixturegen.keras_build import keras_model
from rnn_rosetta.fixturegen.keras_specs import KERAS_SPECS, keras_spec_by_name
from rnn_rosetta.interop.keras_import import keras_expected, model_from_keras

GRU_FIXTURES = {"keras_gru_reset_after_true": True, "keras_gru_reset_after_false": False}
KERAS_IDS = [spec.name for spec in KERAS_SPECS]


@cache
def load(name: str) -> rr.Fixture:
    return rr.load_fixture(paths.fixtures_dir() / f"{name}.json")


def _chain(name: str) -> Chain:
    chain = load(name).model
    assert isinstance(chain, Chain)
    return chain


def _failing_cases(fixture: rr.Fixture, chain: Chain) -> list[str]:
    net = rr.get_backend("numpy").load(chain)
    return [
        case.name
        for case in fixture.cases
        if not compare(net.forward(case.feed, case.h0, case.c0, case.lengths), case.expected, fixture.tolerance).ok
    ]


def test_keras_runs_on_torch() -> None:
    assert keras.backend.backend() == "torch"


def test_keras_gru_default_is_reset_after_true() -> None:
    """What this Keras does by default (its docstring has said otherwise): the bidirectional fixture uses it."""
    assert keras.layers.GRU(2).reset_after is True
    assert [layer.linear_before_reset for layer in _chain("keras_bidirectional_gru_ave").layers] == [True]


@pytest.mark.parametrize(("name", "reset_after"), GRU_FIXTURES.items())
def test_each_gru_fixture_imports_with_the_linear_before_reset_it_claims(name: str, reset_after: bool) -> None:
    model = keras_model(keras_spec_by_name(name))
    assert model.layers[0].reset_after is reset_after  # the Keras layer was built as the name says
    imported = model_from_keras(model)
    assert imported.layers[0].linear_before_reset is reset_after
    assert _chain(name).layers[0].linear_before_reset is reset_after
    assert f"linear_before_reset: {str(reset_after).lower()}" in load(name).description


@pytest.mark.parametrize("name", GRU_FIXTURES)
def test_the_other_reset_placement_fails_the_fixture(name: str) -> None:
    fixture, chain = load(name), _chain(name)
    assert _failing_cases(fixture, chain) == []
    gru = chain.layers[0]
    flipped = dataclasses.replace(gru, linear_before_reset=not gru.linear_before_reset)
    wrong = dataclasses.replace(chain, layers=(flipped,))
    assert _failing_cases(fixture, wrong) == [c.name for c in fixture.cases], f"{name}: reset_after does not matter"


def test_the_two_gru_fixtures_read_the_same_inputs_and_differ() -> None:
    true, false = load("keras_gru_reset_after_true"), load("keras_gru_reset_after_false")
    assert [c.name for c in true.cases] == [c.name for c in false.cases]
    for a, b in zip(true.cases, false.cases, strict=True):
        np.testing.assert_array_equal(a.x, b.x)
        assert a.expected.y is not None and b.expected.y is not None
        assert np.max(np.abs(a.expected.y - b.expected.y)) > 1e-3, a.name


@pytest.mark.parametrize("name", KERAS_IDS)
def test_the_seeded_keras_model_imports_to_the_committed_chain(name: str) -> None:
    fresh = model_from_keras(keras_model(keras_spec_by_name(name)))
    committed = _chain(name)
    assert fresh.describe() == committed.describe()
    for got, want in zip(fresh.layers, committed.layers, strict=True):
        for (direction, w_got), (_, w_want) in zip(
            got.layers[0].directions(), want.layers[0].directions(), strict=True
        ):
            for key, value in w_want.arrays().items():
                np.testing.assert_array_equal(w_got.arrays()[key], value, err_msg=f"{name} {direction}.{key}")
    for got_dense, want_dense in zip(fresh.dense, committed.dense, strict=True):
        np.testing.assert_array_equal(got_dense.weight, want_dense.weight)
        assert got_dense.activation == want_dense.activation


@pytest.mark.parametrize("name", KERAS_IDS)
def test_keras_answers_the_first_case_again(name: str) -> None:
    fixture = load(name)
    case = fixture.cases[0]
    answer = keras_expected(keras_model(keras_spec_by_name(name)), case.inputs)
    assert compare(answer, case.expected, fixture.tolerance).ok


@pytest.mark.parametrize("name", KERAS_IDS)
def test_provenance_names_keras_its_backend_and_the_workaround(name: str) -> None:
    provenance = load(name).provenance
    assert provenance["oracle_name"] == "keras" and provenance["oracle_precision"] == "float64"
    assert provenance["oracle"].startswith(f"keras {keras.__version__} float64")
    assert provenance["keras_backend"] == "torch"
    assert provenance["framework_versions"]["keras"] == keras.__version__
    assert "keras#23704" in provenance["workaround"] or provenance["workaround"].startswith("none needed")

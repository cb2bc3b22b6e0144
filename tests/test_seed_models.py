"""The seed articles' PyTorch and Keras models as fixtures (issue 11): every backend, and their frameworks.

- every ``seed_sequence_model`` / ``keras_seed_*`` fixture runs in numpy, C and Java at float64 within
  its tolerance of the framework's own answers (PyTorch float64: the module itself; Keras float64);
- seed 001's ``SequenceModel`` imported by ``model_from_torch`` computes what the module computes on fresh
  random tokens, its weights are the module's own, and the fixture's cases are full length because
  ``lstm_out[:, -1, :]`` of a padded batch is not a sequence's own last step (shown here);
- Keras' ``Dropout`` is the identity in ``predict`` (the fixtures' answers) and not in training, and the
  imported chains hold no part for it; seed 004's ``RNN(SimpleRNN(10))`` cannot be built by Keras 3.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.chain import Chain
from rnn_rosetta.compare import compare
from rnn_rosetta.fixturegen import seed_model_fixtures as smf
from tests.conftest import require_torch, skip_or_fail

SEED_MODEL_FIXTURES = (
    "seed_sequence_model",
    "keras_seed_stack",  # seed 002's stack (issue 10)
    "keras_seed_char_lstm",
    "keras_seed_char_gru",
    "keras_seed_004_lstm",
    "keras_seed_004_gru",
    "keras_seed_004_simple_rnn",
)
CHAR_FIXTURES = ("keras_seed_char_lstm", "keras_seed_char_gru")


@cache
def load(name: str) -> rr.Fixture:
    return rr.load_fixture(paths.fixtures_dir() / f"{name}.json")


def _chain(name: str) -> Chain:
    chain = load(name).model
    assert isinstance(chain, Chain)
    return chain


@cache
def _sequence_model() -> Any:
    require_torch()
    return smf.sequence_model()


def _keras() -> Any:
    from rnn_rosetta.fixturegen.keras_build import keras_missing

    reason = keras_missing()
    if reason is not None:
        skip_or_fail(reason)
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    return keras


# -- every backend against the framework's answers ----------------------------------------------------


@pytest.mark.parametrize("name", SEED_MODEL_FIXTURES)
def test_each_seed_model_runs_in_every_backend(name: str, backend: str) -> None:
    fixture = load(name)
    net = rr.get_backend(backend).load(fixture.model)
    for case in fixture.cases:
        result = net.forward(case.feed, case.h0, case.c0, case.lengths)
        verdict = compare(result, case.expected, fixture.tolerance)
        assert verdict.ok, f"{name}/{case.name} on {backend}: {verdict}"
        assert verdict.max_ratio <= 0.1, f"{name}/{case.name} on {backend}: {verdict.max_ratio}x the tolerance"


def test_the_seed_fixtures_are_the_chains_their_programs_describe() -> None:
    described = {name: _chain(name).describe() for name in SEED_MODEL_FIXTURES}
    assert described == {
        "seed_sequence_model": "embedding 40x12 | lstm 12->16 | lstm 16->16 | last | dense 40 identity",
        "keras_seed_stack": "lstm 6->16 | lstm 16->8 | last | dense 10 softmax",
        "keras_seed_char_lstm": "lstm 15->12 | lstm 12->12 | last | dense 15 softmax",
        "keras_seed_char_gru": "gru 15->12 lbr=1 | gru 12->12 lbr=1 | last | dense 15 softmax",
        "keras_seed_004_lstm": "lstm 10->10 | sequence | dense 1 identity",
        "keras_seed_004_gru": "gru 10->10 lbr=1 | sequence | dense 1 identity",
        "keras_seed_004_simple_rnn": "rnn 1->10 tanh | last | dense 1 identity",
    }


@pytest.mark.parametrize("name", CHAR_FIXTURES)
def test_the_character_models_read_one_hot_characters(name: str) -> None:
    fixture = load(name)
    assert [case.name for case in fixture.cases] == ["random", "long", "window_100"]  # the seed's windows: 100
    for case in fixture.cases:
        assert case.x is not None
        assert set(np.unique(case.x)) == {0.0, 1.0} and np.all(case.x.sum(axis=-1) == 1.0), case.name
        assert case.expected.y is not None
        np.testing.assert_allclose(case.expected.y.sum(axis=-1), 1.0, rtol=0, atol=1e-14)  # softmax rows


# -- seed 001's SequenceModel: the importer against the module ----------------------------------------------


def _module_logits(tokens_tb: np.ndarray) -> np.ndarray:
    """The module's own logits ``[B, V]`` for time-major tokens (it reads ``[B, T]``)."""
    import torch

    with torch.no_grad():
        return np.asarray(_sequence_model()(torch.from_numpy(np.ascontiguousarray(tokens_tb.T))).numpy())


def test_the_committed_sequence_model_holds_the_modules_own_weights() -> None:
    module = _sequence_model()
    chain = _chain("seed_sequence_model")
    state = {key: value.numpy() for key, value in module.state_dict().items()}
    assert chain.embedding is not None
    np.testing.assert_array_equal(chain.embedding.weight, state["embedding.weight"])
    for index, layer in enumerate(chain.layers):
        weights = layer.layers[0].forward
        assert weights is not None
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            np.testing.assert_array_equal(getattr(weights, kind), state[f"lstm.{kind}_l{index}"], err_msg=kind)
    np.testing.assert_array_equal(chain.dense[0].weight, state["fc.weight"])
    np.testing.assert_array_equal(chain.dense[0].bias, state["fc.bias"])
    assert chain.readout == "last" and chain.dense[0].activation == "identity"


def test_the_sequence_model_fixture_holds_what_the_module_answers() -> None:
    fixture = load("seed_sequence_model")
    for case in fixture.cases:
        assert case.tokens is not None and case.lengths is None and case.h0 is None and case.c0 is None
        np.testing.assert_array_equal(case.expected.y, _module_logits(case.tokens), err_msg=case.name)


def test_the_imported_sequence_model_matches_the_module_on_fresh_tokens(backend: str) -> None:
    from rnn_rosetta.interop import model_from_torch

    module = _sequence_model()
    rng = np.random.default_rng(20261206)
    chain = model_from_torch(module, example_input=_as_torch(rng.integers(0, smf.VOCAB, size=(2, 7))))
    assert isinstance(chain, Chain) and chain.extra["batch_first"] is True
    net = rr.get_backend(backend).load(chain)
    for steps, batch in ((9, 4), (33, 1), (2, 6)):
        tokens = rng.integers(0, smf.VOCAB, size=(steps, batch)).astype(np.int64)  # [T, B]
        want = _module_logits(tokens)
        got = net.forward(tokens).y
        bound = 1e-13 + 1e-12 * np.abs(want)
        assert got is not None and np.all(np.abs(got - want) <= bound), f"T={steps} B={batch}"
        batch_first = net.forward(np.ascontiguousarray(tokens.T), batch_first=True).y  # the program's own layout
        np.testing.assert_array_equal(batch_first, got)


def _as_torch(array: np.ndarray) -> Any:
    import torch

    return torch.from_numpy(np.ascontiguousarray(array.astype(np.int64)))


def test_last_padded_step_is_not_a_short_sequences_last_step() -> None:
    """Why every case is full length: on a padded batch the program reads the padding's last step."""
    rng = np.random.default_rng(7)
    tokens = rng.integers(1, smf.VOCAB, size=(6, 2)).astype(np.int64)  # [T, B]
    tokens[3:, 0] = 0  # sequence 0 is 3 tokens long, padded with token 0
    net = rr.get_backend("numpy").load(_chain("seed_sequence_model"))
    with_lengths = net.forward(tokens, lengths=np.array([3, 6])).y  # the chain: each sequence's own last step
    padded = _module_logits(tokens)  # the program: lstm_out[:, -1, :], the last padded step
    alone = _module_logits(tokens[:3, :1])  # sequence 0 on its own 3 tokens
    assert with_lengths is not None
    np.testing.assert_allclose(with_lengths[0], alone[0], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(with_lengths[1], padded[1], rtol=1e-12, atol=1e-13)  # the full-length one agrees
    assert np.max(np.abs(padded[0] - alone[0])) > 1e-3


def test_the_sequence_model_is_answered_in_eval_mode() -> None:
    """Dropout 0.5 between the LSTM layers changes the answer in training mode: the fixture is eval()'s."""
    import torch

    module = _sequence_model()
    tokens = load("seed_sequence_model").cases[0].tokens
    assert tokens is not None
    torch.manual_seed(0)
    module.train()
    try:
        with torch.no_grad():
            training = module(torch.from_numpy(np.ascontiguousarray(tokens.T))).numpy()
    finally:
        module.eval()
    assert np.max(np.abs(training - load("seed_sequence_model").cases[0].expected.y)) > 1e-3


# -- Keras: Dropout at inference, and seed 004's SimpleRNN ------------------------------------------------


@pytest.mark.parametrize("name", CHAR_FIXTURES)
def test_keras_dropout_is_the_identity_in_predict_and_not_in_training(name: str) -> None:
    keras = _keras()
    from rnn_rosetta.fixturegen.keras_build import keras_model
    from rnn_rosetta.fixturegen.keras_specs import keras_spec_by_name
    from rnn_rosetta.interop.keras_import import keras_float64

    model = keras_model(keras_spec_by_name(name))
    dropouts = [layer for layer in model.layers if type(layer).__name__ == "Dropout"]
    assert [layer.rate for layer in dropouts] == [0.2, 0.2]
    fixture = load(name)
    case = fixture.cases[0]
    assert case.x is not None and case.expected.y is not None
    x = np.ascontiguousarray(case.x.swapaxes(0, 1))  # [B, T, V], as Keras reads it
    with keras_float64(keras):
        predicted = np.asarray(model.predict(x, verbose=0), dtype=np.float64)
        keras.utils.set_random_seed(0)
        training = np.asarray(keras.ops.convert_to_numpy(model(x, training=True)), dtype=np.float64)
    assert np.all(np.abs(predicted - case.expected.y) <= fixture.tolerance.bound(case.expected.y))
    assert np.max(np.abs(training - case.expected.y)) > 1e-4  # dropout is live in training
    chain = _chain(name)
    assert len(chain.layers) == 2 and len(chain.dense) == 1  # nothing was imported for Dropout


def test_seed_004s_rnn_of_a_simple_rnn_layer_cannot_be_built_by_keras_3() -> None:
    """The seed writes RNN(SimpleRNN(10)); an RNN wraps a cell, so the fixture is RNN(SimpleRNNCell(10))."""
    keras = _keras()
    with pytest.raises(ValueError):  # Keras 3.15: "Shapes used to initialize variables must be fully-defined"
        keras.Sequential([keras.Input((10, 1)), keras.layers.RNN(keras.layers.SimpleRNN(10)), keras.layers.Dense(1)])
    chain = _chain("keras_seed_004_simple_rnn")
    assert chain.layers[0].cell == "rnn" and chain.readout == "last" and chain.y_size == 1

"""Keras 3 models for the importer's tests: a zoo that must match Keras, and models that must be refused.

Import this module only after ``KERAS_BACKEND`` is set (tests/test_interop_keras.py sets ``torch``).
Every model is built in float64 (Keras' floatx is switched for the build only) and every weight is
redrawn from a seeded uniform distribution, so zero-initialised biases are tested too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import layers as kl

SEED = 71_003  # no committed fixture uses it


@contextmanager
def float64() -> Iterator[None]:
    """Build layers in float64, then give Keras back its previous floatx and dtype policy.

    Both: Keras fixes its global dtype policy from floatx the first time a layer asks for it, so
    once any float32 layer exists in the process (another test module), floatx alone no longer
    makes new layers float64.
    """
    previous, previous_policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous_policy)
        keras.config.set_floatx(previous)


def randomize(model: Any, seed: int, scale: float = 0.5) -> Any:
    """Every weight of ``model`` drawn from U(-scale, scale), so biases are not the initial zeros."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-scale, scale, w.shape) for w in model.get_weights()])
    return model


@dataclass(frozen=True)
class ZooModel:
    """A Keras model builder and what its inputs are: ``input_size`` features, or tokens below ``vocab``."""

    name: str
    build: Callable[[], Any]
    input_size: int = 0
    vocab: int = 0


def _seq(*layers: Any) -> Any:
    return keras.Sequential(list(layers))


def seed002_stack() -> Any:
    return _seq(
        keras.Input((None, 8)), kl.LSTM(64, return_sequences=True), kl.LSTM(32), kl.Dense(10, activation="softmax")
    )


def char_model() -> Any:
    return _seq(
        keras.Input((None,), dtype="int32"),
        kl.Embedding(30, 10),
        kl.LSTM(16, return_sequences=True),
        kl.Dropout(0.2),
        kl.LSTM(16, return_sequences=True),
        kl.Dense(30, activation="softmax"),
    )


def gru_reset_after(reset_after: bool) -> Callable[[], Any]:
    def build() -> Any:
        return _seq(keras.Input((None, 5)), kl.GRU(6, reset_after=reset_after, return_sequences=True), kl.Dense(3))

    return build


def bigru_classifier(merge: str) -> Callable[[], Any]:
    def build() -> Any:
        return _seq(
            keras.Input((None, 4)),
            kl.Bidirectional(kl.GRU(5), merge_mode=merge),
            kl.Dense(3, activation="softmax"),
        )

    return build


def go_backwards_last() -> Any:
    return _seq(
        keras.Input((None, 4)), kl.LSTM(7, go_backwards=True), kl.Dense(5), kl.ReLU(), kl.Dense(3, activation="sigmoid")
    )


def gru_backwards_no_dense() -> Any:
    return _seq(keras.Input((None, 3)), kl.GRU(4, go_backwards=True, reset_after=False))


def simple_rnn_relu() -> Any:
    return _seq(
        keras.Input((None, 5)),
        kl.SimpleRNN(6, activation="relu", return_sequences=True),
        kl.Dense(2, activation="relu"),
    )


def three_layer_mixed() -> Any:
    return _seq(
        keras.Input((None, 6)),
        kl.SimpleRNN(9, return_sequences=True),
        kl.GRU(5, return_sequences=True, reset_after=False),
        kl.SpatialDropout1D(0.1),
        kl.LSTM(3),
        kl.Dense(4, activation="tanh"),
    )


def functional_embedding_bilstm() -> Any:
    tokens = keras.Input((None,), dtype="int32")
    x = kl.Embedding(12, 5)(tokens)
    x = kl.Bidirectional(kl.LSTM(4, return_sequences=True))(x)
    x = kl.TimeDistributed(kl.Dense(6))(x)
    y = kl.Activation("softmax")(x)
    return keras.Model(tokens, y)


def rnn_cell_no_bias() -> Any:
    return _seq(
        keras.Input((None, 4)),
        kl.RNN(kl.LSTMCell(5, use_bias=False), return_sequences=True),
        kl.Dense(3, use_bias=False),
    )


def bilstm_ave_then_lstm() -> Any:
    return _seq(
        keras.Input((None, 3)),
        kl.Bidirectional(kl.LSTM(4, return_sequences=True), merge_mode="ave"),
        kl.LSTM(3, return_sequences=True),
    )


def simple_rnn_last_activation() -> Any:
    return _seq(keras.Input((None, 4)), kl.SimpleRNN(5, unroll=True), kl.Activation("tanh"), kl.Dense(2), kl.Softmax())


ZOO: tuple[ZooModel, ...] = (
    ZooModel("seed002_stack", seed002_stack, input_size=8),
    ZooModel("char_model", char_model, vocab=30),
    ZooModel("gru_reset_after_true", gru_reset_after(True), input_size=5),
    ZooModel("gru_reset_after_false", gru_reset_after(False), input_size=5),
    *(ZooModel(f"bigru_{m}", bigru_classifier(m), input_size=4) for m in ("concat", "sum", "mul", "ave")),
    ZooModel("go_backwards_last", go_backwards_last, input_size=4),
    ZooModel("gru_backwards_no_dense", gru_backwards_no_dense, input_size=3),
    ZooModel("simple_rnn_relu", simple_rnn_relu, input_size=5),
    ZooModel("three_layer_mixed", three_layer_mixed, input_size=6),
    ZooModel("functional_embedding_bilstm", functional_embedding_bilstm, vocab=12),
    ZooModel("rnn_cell_no_bias", rnn_cell_no_bias, input_size=4),
    ZooModel("bilstm_ave_then_lstm", bilstm_ave_then_lstm, input_size=3),
    ZooModel("simple_rnn_last_activation", simple_rnn_last_activation, input_size=4),
)


def build(entry: ZooModel, seed: int = SEED) -> Any:
    """The zoo model, float64, with seeded random weights."""
    with float64():
        return randomize(entry.build(), seed)


# -- models the importer must refuse: (name, builder, words the message must hold) --------------------------


class _Doubler(keras.Model):
    """A subclassed model: its call() is Python code the importer cannot read."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = kl.LSTM(3)

    def call(self, x: Any) -> Any:
        return self.lstm(x) * 2.0


def _subclassed() -> Any:
    model = _Doubler()
    model(np.zeros((1, 2, 4)))
    return model


def _mha() -> Any:
    x = keras.Input((None, 4))
    h = kl.LSTM(4, return_sequences=True)(x)
    a = kl.MultiHeadAttention(num_heads=1, key_dim=2)(h, h)
    return keras.Model(x, kl.LSTM(2)(a))


def _last_step_slice() -> Any:
    x = keras.Input((None, 4))
    h = kl.LSTM(3, return_sequences=True)(x)
    return keras.Model(x, kl.Dense(2)(h[:, -1, :]))


def _nested() -> Any:
    inner = keras.Sequential([keras.Input((None, 4)), kl.GRU(3, return_sequences=True)])
    return _seq(keras.Input((None, 4)), inner, kl.LSTM(2))


def _mask_argument() -> Any:
    x = keras.Input((None, 4))
    mask = keras.Input((None,), dtype="bool")
    return keras.Model([x, mask], kl.LSTM(2)(x, mask=mask))


def _dropout_in_training() -> Any:
    x = keras.Input((None, 4))
    return keras.Model(x, kl.LSTM(2)(kl.Dropout(0.5)(x, training=True)))


REFUSED: tuple[tuple[str, Callable[[], Any], str], ...] = (
    ("stateful", lambda: _seq(keras.Input(batch_shape=(2, None, 4)), kl.LSTM(3, stateful=True)), "'lstm"),
    ("masking", lambda: _seq(keras.Input((None, 4)), kl.Masking(0.0), kl.LSTM(3)), "masking repeats the last output"),
    (
        "mask_zero",
        lambda: _seq(keras.Input((None,), dtype="int32"), kl.Embedding(9, 4, mask_zero=True), kl.GRU(3)),
        "mask_zero=True",
    ),
    (
        "merge_none",
        lambda: _seq(keras.Input((None, 4)), kl.Bidirectional(kl.GRU(3), merge_mode=None)),
        "merge_mode=None is not supported",
    ),
    (
        "lstm_relu",
        lambda: _seq(keras.Input((None, 4)), kl.LSTM(3, activation="relu")),
        "activation relu is not supported",
    ),
    (
        "gru_hard_sigmoid",
        lambda: _seq(keras.Input((None, 4)), kl.GRU(3, recurrent_activation="hard_sigmoid")),
        "recurrent_activation hard_sigmoid is not supported",
    ),
    (
        "backwards_sequences",
        lambda: _seq(keras.Input((None, 4)), kl.LSTM(3, go_backwards=True, return_sequences=True)),
        "returns time reversed",
    ),
    (
        "layer_norm_between",
        lambda: _seq(keras.Input((None, 4)), kl.LSTM(3, return_sequences=True), kl.LayerNormalization(), kl.LSTM(2)),
        "(LayerNormalization): this layer type",
    ),
    ("conv1d_first", lambda: _seq(keras.Input((None, 4)), kl.Conv1D(3, 2), kl.LSTM(2)), "(Conv1D): this layer type"),
    ("attention", _mha, "(MultiHeadAttention)"),
    (
        "flatten_sequence",
        lambda: _seq(keras.Input((5, 4)), kl.LSTM(3, return_sequences=True), kl.Flatten(), kl.Dense(2)),
        "Flatten over a sequence",
    ),
    ("dense_first", lambda: _seq(keras.Input((None, 4)), kl.Dense(3), kl.LSTM(2)), "before the first recurrent layer"),
    (
        "time_distributed_elu",
        lambda: _seq(
            keras.Input((None, 4)), kl.LSTM(3, return_sequences=True), kl.TimeDistributed(kl.Dense(2, activation="elu"))
        ),
        "activation elu",
    ),
    ("subclassed", _subclassed, "subclassed model"),
    (
        "relu6",
        lambda: _seq(keras.Input((None, 4)), kl.LSTM(3), kl.ReLU(max_value=6.0)),
        "only ReLU() with no max_value",
    ),
    (
        "softmax_axis",
        lambda: _seq(keras.Input((None, 4)), kl.LSTM(3, return_sequences=True), kl.Softmax(axis=1)),
        "softmax over axis 1",
    ),
    ("last_step_slice", _last_step_slice, "(GetItem): this layer type is not supported"),
    ("nested_model", _nested, "nested model"),
    ("dropout_training", _dropout_in_training, "called with training=..."),
    ("mask_argument", _mask_argument, "2 inputs and 1 outputs"),
    ("no_recurrent", lambda: _seq(keras.Input((None, 4)), kl.Dropout(0.5)), "no recurrent layer"),
    (
        "return_state_sequential",
        lambda: _seq(keras.Input((None, 4)), kl.GRU(3, return_state=True)),
        "return_state=True",
    ),
)

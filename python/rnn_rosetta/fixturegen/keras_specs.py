"""The committed Keras-oracle fixtures, declared: Keras layers, sizes, cases and seeds.

Each spec is a Keras 3 ``Sequential`` model written as data (:class:`KerasLayer`: a ``keras.layers``
class name and its keyword arguments), built by :mod:`rnn_rosetta.fixturegen.keras_build` with every
weight redrawn from ``numpy.random.default_rng(seed)``, imported with ``model_from_keras`` and answered
by Keras itself in float64 on the torch backend. A Keras model takes neither initial states nor
lengths, so every case is plain random inputs: ``x`` standard normal times ``x_scale`` (or tokens
uniform in ``0..V-1``, or one-hot rows of characters uniform in ``0..I-1`` for a ``one_hot`` spec),
drawn from ``numpy.random.default_rng(input_seed)``.

Issue 11 adds the seed articles' Keras programs at small sizes (``keras_seed_*``): seed 002's stack
(``keras_seed_stack``, kept from issue 10), seed 000's character generator with LSTM and GRU layers
(one-hot characters in, Dropout(0.2) after each recurrent layer: identity in ``predict``), and seed
004's per-step regressors (LSTM, GRU and ``RNN(SimpleRNNCell)`` -> Dense(1)).

Issue 10: Keras' GRU docstring and its default disagree about ``reset_after``, so both values are
pinned here with an explicit fixture each (``keras_gru_reset_after_true`` / ``_false``: the same
input seed, hence the same inputs), and ``keras_bidirectional_gru_ave`` uses the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KerasLayer:
    """``keras.layers.<kind>(**options)``; ``inner`` is the wrapped layer of a ``Bidirectional`` or the cell of
    an ``RNN``."""

    kind: str
    options: tuple[tuple[str, Any], ...] = ()
    inner: KerasLayer | None = None

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.options)


@dataclass(frozen=True)
class KerasCase:
    name: str
    steps: int
    batch: int
    x_scale: float = 1.0  # x is standard normal times this (real inputs only)


@dataclass(frozen=True)
class KerasSpec:
    name: str
    description: str
    layers: tuple[KerasLayer, ...]
    cases: tuple[KerasCase, ...]
    input_size: int = 0  # features per step of a real-input model
    vocab_size: int | None = None  # the model starts with an Embedding of this many rows; inputs are tokens
    seed: int = 0  # the weights
    input_seed: int = 0  # the cases' inputs
    weight_scale: float = 0.5  # every Keras weight is uniform in +-this (so Keras' zero biases are not zero)
    one_hot: bool = False  # x [T, B, I] holds one-hot rows (characters uniform in 0..I-1), as a character model reads


def _layer(kind: str, **options: Any) -> KerasLayer:
    return KerasLayer(kind, tuple(options.items()))


CASES: tuple[KerasCase, ...] = (
    KerasCase("random", 5, 3),
    KerasCase("long", 12, 2),
    KerasCase("large_inputs", 4, 2, x_scale=4.0),
)
TOKEN_CASES: tuple[KerasCase, ...] = (KerasCase("random", 5, 3), KerasCase("long", 12, 2))


# seed 000's windows are 100 characters long; seed 004's inputs are 10 steps
CHAR_CASES: tuple[KerasCase, ...] = (
    KerasCase("random", 5, 3),
    KerasCase("long", 12, 2),
    KerasCase("window_100", 100, 2),
)
SEED_004_CASES: tuple[KerasCase, ...] = (*CASES, KerasCase("ten_steps", 10, 4))
CHAR_UNITS, CHAR_VOCAB = 12, 15  # the seed's are 128 units over its text's characters


def _char_generator(cell: str, seed: int) -> KerasSpec:
    """Seed 000 section 6: one-hot characters -> cell(u, sequences) -> Dropout -> cell(u) -> Dropout -> softmax."""
    return KerasSpec(
        f"keras_seed_char_{cell.lower()}",
        f"seed 000's character generator ({cell} version), small: one-hot characters [T, {CHAR_VOCAB}] -> "
        f"{cell}({CHAR_UNITS}, return_sequences=True) -> Dropout(0.2) -> {cell}({CHAR_UNITS}) -> Dropout(0.2) -> "
        f"Dense({CHAR_VOCAB}, softmax) (the seed: {cell}(128) over its text's characters, windows of 100; "
        "Dropout is the identity at inference)",
        (
            _layer(cell, units=CHAR_UNITS, return_sequences=True),
            _layer("Dropout", rate=0.2),
            _layer(cell, units=CHAR_UNITS),
            _layer("Dropout", rate=0.2),
            _layer("Dense", units=CHAR_VOCAB, activation="softmax"),
        ),
        CHAR_CASES,
        input_size=CHAR_VOCAB,
        seed=seed,
        input_seed=seed + 100,
        one_hot=True,
    )


def _seed_004(name: str, recurrent: KerasLayer, what: str, input_size: int, seed: int) -> KerasSpec:
    """Seed 004 chapter 10: a recurrent layer of 10 units -> Dense(1) (a regressor), at the seed's own sizes."""
    return KerasSpec(
        f"keras_seed_004_{name}",
        f"seed 004's {what} -> Dense(1) on input {input_size}, at the seed's sizes",
        (recurrent, _layer("Dense", units=1)),
        SEED_004_CASES,
        input_size=input_size,
        seed=seed,
        input_seed=seed + 100,
    )


def _gru_pair(reset_after: bool, seed: int) -> KerasSpec:
    flag = "True" if reset_after else "False"
    lbr = "true" if reset_after else "false"
    return KerasSpec(
        f"keras_gru_reset_after_{flag.lower()}",
        f"Keras GRU(5, reset_after={flag}, return_sequences=True) -> Dense(3) on input 4 "
        f"(imports as linear_before_reset: {lbr})",
        (_layer("GRU", units=5, reset_after=reset_after, return_sequences=True), _layer("Dense", units=3)),
        CASES,
        input_size=4,
        seed=seed,
        input_seed=3100,  # both GRU fixtures read the same inputs
    )


KERAS_SPECS: tuple[KerasSpec, ...] = (
    _gru_pair(True, 3001),
    _gru_pair(False, 3002),
    KerasSpec(
        "keras_seed_stack",
        "Keras LSTM(16, return_sequences=True) -> LSTM(8) -> Dense(10, softmax) on input 6 (the seed-002 stack, small)",
        (
            _layer("LSTM", units=16, return_sequences=True),
            _layer("LSTM", units=8),
            _layer("Dense", units=10, activation="softmax"),
        ),
        CASES, input_size=6, seed=3003, input_seed=3103,
    ),
    KerasSpec(
        "keras_bidirectional_gru_ave",
        "Keras Embedding(20, 6) -> Bidirectional(GRU(5), merge_mode='ave') -> Dense(3, sigmoid) "
        "(GRU's default reset_after; readout last)",
        (
            _layer("Embedding", input_dim=20, output_dim=6),
            KerasLayer("Bidirectional", (("merge_mode", "ave"),), _layer("GRU", units=5)),
            _layer("Dense", units=3, activation="sigmoid"),
        ),
        TOKEN_CASES, input_size=6, vocab_size=20, seed=3004, input_seed=3104,
    ),
    _char_generator("LSTM", 3005),
    _char_generator("GRU", 3006),
    _seed_004(
        "lstm", _layer("LSTM", units=10, activation="tanh", return_sequences=True),
        "LSTM(10, activation='tanh', return_sequences=True) (its x [100, 10, 10]: 10 steps of 10)", 10, 3007,
    ),
    _seed_004(
        "gru", _layer("GRU", units=10, activation="tanh", return_sequences=True),
        "GRU(10, activation='tanh', return_sequences=True) (its x [100, 10, 10]: 10 steps of 10)", 10, 3008,
    ),
    _seed_004(
        "simple_rnn", KerasLayer("RNN", (), _layer("SimpleRNNCell", units=10)),
        "RNN(SimpleRNNCell(10)) (the seed writes RNN(SimpleRNN(10)), which Keras 3 cannot build: an RNN wraps a "
        "cell; and feeds x [100, 10], read here as 10 steps of 1 feature; the last step's state is read out)",
        1, 3009,
    ),
)  # fmt: skip


def keras_spec_by_name(name: str) -> KerasSpec:
    for spec in KERAS_SPECS:
        if spec.name == name:
            return spec
    raise KeyError(name)

"""The committed Keras-oracle fixtures, declared: Keras layers, sizes, cases and seeds.

Each spec is a Keras 3 ``Sequential`` model written as data (:class:`KerasLayer`: a ``keras.layers``
class name and its keyword arguments), built by :mod:`rnn_rosetta.fixturegen.keras_build` with every
weight redrawn from ``numpy.random.default_rng(seed)``, imported with ``model_from_keras`` and answered
by Keras itself in float64 on the torch backend. A Keras model takes neither initial states nor
lengths, so every case is plain random inputs: ``x`` standard normal times ``x_scale`` (or tokens
uniform in ``0..V-1``), drawn from ``numpy.random.default_rng(input_seed)``.

Issue 10: Keras' GRU docstring and its default disagree about ``reset_after``, so both values are
pinned here with an explicit fixture each (``keras_gru_reset_after_true`` / ``_false``: the same
input seed, hence the same inputs), and ``keras_bidirectional_gru_ave`` uses the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KerasLayer:
    """``keras.layers.<kind>(**options)``; ``inner`` is the wrapped layer of a ``Bidirectional``."""

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


def _layer(kind: str, **options: Any) -> KerasLayer:
    return KerasLayer(kind, tuple(options.items()))


CASES: tuple[KerasCase, ...] = (
    KerasCase("random", 5, 3),
    KerasCase("long", 12, 2),
    KerasCase("large_inputs", 4, 2, x_scale=4.0),
)
TOKEN_CASES: tuple[KerasCase, ...] = (KerasCase("random", 5, 3), KerasCase("long", 12, 2))


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
)  # fmt: skip


def keras_spec_by_name(name: str) -> KerasSpec:
    for spec in KERAS_SPECS:
        if spec.name == name:
            return spec
    raise KeyError(name)

"""The committed version-2 fixtures ("a model is a chain"), declared: layers, sizes, cases, seeds.

Like :mod:`rnn_rosetta.fixturegen.specs`, every weight and input comes from
``numpy.random.default_rng(seed)`` in a fixed order (:mod:`rnn_rosetta.fixturegen.chain_build`);
only the expected values need the oracle (PyTorch float64, one module per layer; the ONNX reference
evaluator for a Cho GRU layer, which PyTorch does not have).
"""

from __future__ import annotations

from dataclasses import dataclass

from rnn_rosetta.fixturegen.specs import CaseSpec


@dataclass(frozen=True)
class LayerSpec:
    cell: str
    hidden_size: int
    direction: str = "forward"
    merge: str = "concat"
    nonlinearity: str = "tanh"
    linear_before_reset: bool = True
    proj_size: int = 0


@dataclass(frozen=True)
class ChainSpec:
    name: str
    description: str
    input_size: int  # features per step; with an embedding, its width
    layers: tuple[LayerSpec, ...]
    cases: tuple[CaseSpec, ...]
    vocab_size: int | None = None  # an embedding of this many rows; inputs are then tokens
    dense: tuple[tuple[int, str], ...] = ()  # (size, activation) per dense layer
    readout: str = "sequence"
    seed: int = 0


def _cases(lstm: bool, steps: int = 5, batch: int = 3) -> tuple[CaseSpec, ...]:
    """Zero state, given state, uneven lengths (with given states)."""
    return (
        CaseSpec("zero_state", steps, batch),
        CaseSpec("given_state", steps, batch, h0=True, c0=lstm),
        CaseSpec("uneven_lengths", 6, 4, h0=True, c0=lstm, lengths=(6, 2, 4, 1)),
    )


CHAIN_SPECS: tuple[ChainSpec, ...] = (
    ChainSpec(
        "seq_classifier", "embedding 20x6 -> lstm 6->8 -> lstm 8->8 -> last -> dense 3 softmax (a sequence classifier)",
        6, (LayerSpec("lstm", 8), LayerSpec("lstm", 8)), _cases(True),
        vocab_size=20, dense=((3, "softmax"),), readout="last", seed=2001,
    ),
    ChainSpec(
        "stack_64_32_softmax",
        "lstm 5->12 (sequence) -> lstm 12->7 -> last -> dense 4 softmax (Keras' stacked shape, small)",
        5, (LayerSpec("lstm", 12), LayerSpec("lstm", 7)), _cases(True),
        dense=((4, "softmax"),), readout="last", seed=2002,
    ),
    ChainSpec(
        "gru_bidirectional_merges", "three bidirectional gru layers merged by sum, mul and ave; uneven lengths",
        3,
        (
            LayerSpec("gru", 5, "bidirectional", "sum"),
            LayerSpec("gru", 4, "bidirectional", "mul"),
            LayerSpec("gru", 3, "bidirectional", "ave"),
        ),
        (*_cases(False), CaseSpec("all_length_one", 3, 3, lengths=(1, 1, 1))), seed=2003,
    ),
    ChainSpec(
        "mixed_cells_dense",
        "rnn relu 4->6 -> Cho gru 6->5 -> lstm 5->8 proj 3 -> dense 6 tanh -> dense 4 sigmoid -> dense 2 relu",
        4,
        (
            LayerSpec("rnn", 6, nonlinearity="relu"),
            LayerSpec("gru", 5, linear_before_reset=False),
            LayerSpec("lstm", 8, proj_size=3),
        ),
        _cases(True), dense=((6, "tanh"), (4, "sigmoid"), (2, "relu")), seed=2004,
    ),
    ChainSpec(
        "reverse_last", "reverse lstm 4->6, readout last (its state after t = 0), no dense; uneven lengths",
        4, (LayerSpec("lstm", 6, "reverse"),), _cases(True), readout="last", seed=2005,
    ),
    ChainSpec(
        "char_model",
        "embedding 30x10 -> lstm 10->16 -> lstm 16->16 -> sequence -> dense 30 softmax (a character model)",
        10, (LayerSpec("lstm", 16), LayerSpec("lstm", 16)), _cases(True),
        vocab_size=30, dense=((30, "softmax"),), seed=2006,
    ),
)  # fmt: skip


def chain_spec_by_name(name: str) -> ChainSpec:
    for spec in CHAIN_SPECS:
        if spec.name == name:
            return spec
    raise KeyError(name)

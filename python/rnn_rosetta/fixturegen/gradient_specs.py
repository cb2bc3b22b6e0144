"""The committed gradient fixtures (``grad_*``), declared: chains, cases and which ``d_*`` each case gives.

Every cell and option a backward pass must handle appears in at least one: rnn tanh and relu, lstm with
projection, peepholes and clip, gru with and without ``linear_before_reset``, forward, reverse and
bidirectional layers merged by concat, sum, mul and ave, an embedding (token inputs), dense layers of each
activation, both readouts, uneven lengths, given h0/c0, odd sizes. Weights, inputs and the ``d_*`` come
from ``numpy.random.default_rng(seed)`` (:mod:`rnn_rosetta.fixturegen.gradient_build`); the expected
gradients from PyTorch autograd in float64 (:mod:`rnn_rosetta.fixturegen.torch_backward`).
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_GRADIENTS = ("d_output", "d_h_n", "d_c_n", "d_y")


@dataclass(frozen=True)
class GradLayer:
    cell: str
    hidden: int
    direction: str = "forward"
    merge: str = "concat"
    nonlinearity: str = "tanh"
    linear_before_reset: bool = True
    proj_size: int = 0
    peepholes: bool = False
    clip: float | None = None


@dataclass(frozen=True)
class GradCase:
    """One case: sizes, whether h0/c0 are given, lengths, and the ``d_*`` drawn (those the chain has)."""

    name: str
    steps: int
    batch: int
    states: bool = False  # h0 (and c0 with lstm layers) given, else zeros
    lengths: tuple[int, ...] | None = None
    given: tuple[str, ...] = ALL_GRADIENTS  # which d_* are drawn; one the chain cannot have is left out
    x_scale: float = 1.0


@dataclass(frozen=True)
class GradientSpec:
    name: str
    description: str
    input_size: int  # features per step; with an embedding, its width
    layers: tuple[GradLayer, ...]
    cases: tuple[GradCase, ...]
    vocab_size: int | None = None
    dense: tuple[tuple[int, str], ...] = ()  # (size, activation) per dense layer
    readout: str = "sequence"
    seed: int = 0
    weight_scale: float = 0.6  # weights uniform in +-weight_scale


def _two(only: tuple[str, ...], lengths: tuple[int, ...] = (5, 2, 4), scale: float = 1.0) -> tuple[GradCase, ...]:
    """Case 1: given states, every d_*; case 2: uneven lengths, zero states, only ``only``."""
    return (
        GradCase("all_gradients", 4, 2, states=True, x_scale=scale),
        GradCase("uneven_some_gradients", max(lengths), len(lengths), lengths=lengths, given=only, x_scale=scale),
    )


GRADIENT_SPECS: tuple[GradientSpec, ...] = (
    GradientSpec(
        "grad_rnn_tanh_relu_stack", "rnn tanh 4->5 -> rnn relu 5->3, sequence, no dense: gradients of output and h_n",
        4, (GradLayer("rnn", 5), GradLayer("rnn", 3, nonlinearity="relu")), _two(("d_h_n",)), seed=3001,
    ),
    GradientSpec(
        "grad_lstm_projection_bidirectional",
        "bidirectional lstm 3->6 proj 4 (concat) -> dense 3 identity per step",
        3, (GradLayer("lstm", 6, "bidirectional", proj_size=4),), _two(("d_y",)),
        dense=((3, "identity"),), seed=3002,
    ),
    GradientSpec(
        "grad_lstm_peepholes_clip",
        "lstm 4->5 peepholes clip 0.8 -> lstm 5->3 clip 1.5 -> last -> dense 2 sigmoid; inputs x2 so the clips bite",
        4, (GradLayer("lstm", 5, peepholes=True, clip=0.8), GradLayer("lstm", 3, clip=1.5)),
        _two(("d_y",), scale=2.0), dense=((2, "sigmoid"),), readout="last", seed=3003, weight_scale=0.9,
    ),
    GradientSpec(
        "grad_gru_both_resets",
        "gru 3->5 (linear_before_reset) -> Cho gru 5->4 -> dense 3 tanh per step",
        3, (GradLayer("gru", 5), GradLayer("gru", 4, linear_before_reset=False)), _two(("d_y",)),
        dense=((3, "tanh"),), seed=3004,
    ),
    GradientSpec(
        "grad_embedding_last_readout",
        "embedding 9x4 -> lstm 4->6 -> gru 6->5 -> last -> dense 7 softmax (token inputs: no x gradient)",
        4, (GradLayer("lstm", 6), GradLayer("gru", 5)), _two(("d_y",)),
        vocab_size=9, dense=((7, "softmax"),), readout="last", seed=3005,
    ),
    GradientSpec(
        "grad_merges_dense",
        "bidirectional rnn 3->4 sum -> bidirectional gru 4->3 mul -> bidirectional lstm 3->5 ave -> dense 4 relu"
        " -> dense 2 identity",
        3,
        (
            GradLayer("rnn", 4, "bidirectional", "sum"),
            GradLayer("gru", 3, "bidirectional", "mul"),
            GradLayer("lstm", 5, "bidirectional", "ave"),
        ),
        _two(("d_output", "d_y")), dense=((4, "relu"), (2, "identity")), seed=3006,
    ),
    GradientSpec(
        "grad_uneven_lengths",
        "bidirectional lstm 3->4 concat -> reverse rnn relu 8->3 -> last -> dense 3 identity; lengths 6, 1, 3, 5",
        3, (GradLayer("lstm", 4, "bidirectional"), GradLayer("rnn", 3, "reverse", nonlinearity="relu")),
        (
            GradCase("all_gradients", 6, 4, states=True, lengths=(6, 1, 3, 5)),
            GradCase("only_d_y", 6, 4, lengths=(1, 6, 2, 4), given=("d_y",)),
        ),
        dense=((3, "identity"),), readout="last", seed=3007,
    ),
    GradientSpec(
        "grad_reverse_states",
        "reverse gru 3->4 -> reverse lstm 4->5 proj 2, sequence: given h0/c0, gradients of the final states",
        3, (GradLayer("gru", 4, "reverse"), GradLayer("lstm", 5, "reverse", proj_size=2)),
        (
            GradCase("all_gradients", 5, 3, states=True),
            GradCase("final_states_only", 5, 3, states=True, lengths=(3, 5, 1), given=("d_h_n", "d_c_n")),
        ),
        seed=3008,
    ),
)  # fmt: skip

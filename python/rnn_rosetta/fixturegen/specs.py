"""The committed fixtures, declared: model options, sizes, cases and which oracle answers them.

Every fixture's weights and inputs come from ``numpy.random.default_rng(seed)``
in a fixed order (see :mod:`rnn_rosetta.fixturegen.build`), so they can be
re-derived without PyTorch; only the expected values need the oracle.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CaseSpec:
    name: str
    steps: int
    batch: int
    h0: bool = False  # random initial hidden state
    c0: bool = False  # random initial cell state (lstm)
    lengths: tuple[int, ...] | None = None
    x_scale: float = 1.0  # inputs are standard normal times this


@dataclass(frozen=True)
class FixtureSpec:
    name: str
    description: str
    cell: str
    input_size: int
    hidden_size: int
    cases: tuple[CaseSpec, ...]
    oracle: str = "torch"
    num_layers: int = 1
    direction: str = "forward"
    nonlinearity: str = "tanh"
    linear_before_reset: bool = True
    proj_size: int = 0
    peepholes: bool = False
    clip: float | None = None
    head: tuple[str, int] | None = None  # (activation, size)
    weight_scale: float | None = None  # weights uniform in +-scale; default 1/sqrt(H) as PyTorch
    zero_weights: bool = False
    seed: int = 0
    extra: dict[str, object] = field(default_factory=dict)


# Cases most fixtures share: from zero state, from a given state, one step, one element.
def _basic(lstm: bool = False, steps: int = 5, batch: int = 3) -> tuple[CaseSpec, ...]:
    return (
        CaseSpec("zero_state", steps, batch),
        CaseSpec("given_state", steps, batch, h0=True, c0=lstm),
        CaseSpec("one_step", 1, batch, h0=True, c0=lstm),
        CaseSpec("one_element", steps + 2, 1),
    )


def _uneven(lstm: bool = False) -> tuple[CaseSpec, ...]:
    return (
        CaseSpec("uneven_lengths", 6, 4, h0=True, c0=lstm, lengths=(6, 2, 4, 1)),
        CaseSpec("full_lengths", 4, 2, lengths=(4, 4)),
        CaseSpec("all_length_one", 3, 3, lengths=(1, 1, 1)),
    )


SPECS: tuple[FixtureSpec, ...] = (
    # --- Elman RNN --------------------------------------------------------------
    FixtureSpec("rnn_tanh_small", "Elman RNN, tanh, 3 -> 5", "rnn", 3, 5, _basic(), seed=101),
    FixtureSpec("rnn_relu_small", "Elman RNN, relu, 3 -> 5", "rnn", 3, 5, _basic(), nonlinearity="relu", seed=102),
    FixtureSpec(
        "rnn_tanh_size1", "Elman RNN, input and hidden size 1", "rnn", 1, 1,
        (CaseSpec("t1_b1", 1, 1), CaseSpec("t7_b3", 7, 3, h0=True)), seed=103,
    ),
    FixtureSpec(
        "rnn_tanh_saturating", "tanh RNN driven deep into saturation (weights +-4, inputs x8)", "rnn", 4, 6,
        (CaseSpec("saturating", 6, 2, h0=True, x_scale=8.0),), weight_scale=4.0, seed=104,
    ),
    FixtureSpec(
        "rnn_relu_zero_weights", "relu RNN with all-zero weights: outputs must be exactly zero", "rnn", 3, 4,
        (CaseSpec("given_state", 4, 2, h0=True),), nonlinearity="relu", zero_weights=True, seed=105,
    ),
    FixtureSpec(
        "rnn_relu_bidirectional_stacked", "relu RNN, 2 layers, bidirectional, uneven lengths", "rnn", 3, 4,
        _basic() + _uneven(), num_layers=2, direction="bidirectional", nonlinearity="relu", seed=106,
    ),
    FixtureSpec(
        "rnn_tanh_realistic", "tanh RNN 32 -> 64, 40 steps, batch 4", "rnn", 32, 64,
        (CaseSpec("sequence", 40, 4, h0=True),), seed=107,
    ),
    # --- LSTM ---------------------------------------------------------------------
    FixtureSpec("lstm_small", "LSTM 4 -> 6", "lstm", 4, 6, _basic(lstm=True), seed=201),
    FixtureSpec(
        "lstm_size1", "LSTM, input and hidden size 1", "lstm", 1, 1,
        (CaseSpec("t1_b1", 1, 1), CaseSpec("t6_b2", 6, 2, h0=True, c0=True)), seed=202,
    ),
    FixtureSpec(
        "lstm_saturating", "LSTM with gates saturated (weights +-5, inputs x10)", "lstm", 3, 5,
        (CaseSpec("saturating", 8, 2, h0=True, c0=True, x_scale=10.0),), weight_scale=5.0, seed=203,
    ),
    FixtureSpec(
        "lstm_zero_weights", "LSTM with all-zero weights: every gate is 1/2, c halves each step", "lstm", 2, 3,
        (CaseSpec("given_state", 5, 2, h0=True, c0=True),), zero_weights=True, seed=204,
    ),
    FixtureSpec(
        "lstm_softmax_head", "LSTM 5 -> 7 with a softmax head of 4 classes (the demo fixture)", "lstm", 5, 7,
        _basic(lstm=True, steps=8, batch=2), head=("softmax", 4), seed=205,
    ),
    FixtureSpec(
        "lstm_stacked3", "LSTM, 3 layers, 4 -> 5", "lstm", 4, 5, _basic(lstm=True), num_layers=3, seed=206,
    ),
    FixtureSpec(
        "lstm_reverse", "LSTM, reverse direction only (ONNX), uneven lengths", "lstm", 3, 4,
        _basic(lstm=True) + _uneven(lstm=True), direction="reverse", seed=207,
    ),
    FixtureSpec(
        "lstm_bidirectional_lengths", "LSTM, 2 layers, bidirectional, uneven lengths, identity head",
        "lstm", 3, 5, _basic(lstm=True) + _uneven(lstm=True), num_layers=2, direction="bidirectional",
        head=("identity", 3), seed=208,
    ),
    FixtureSpec(
        "lstm_projection", "LSTM 4 -> 6 projected to 3 (PyTorch proj_size)", "lstm", 4, 6,
        _basic(lstm=True), proj_size=3, seed=209,
    ),
    FixtureSpec(
        "lstm_projection_bidirectional", "LSTM with projection, 2 layers, bidirectional, uneven lengths, softmax head",
        "lstm", 3, 5, _basic(lstm=True) + _uneven(lstm=True), proj_size=2, num_layers=2,
        direction="bidirectional", head=("softmax", 3), seed=210,
    ),
    FixtureSpec(
        "lstm_peepholes", "LSTM with peepholes (ONNX P)", "lstm", 3, 4, _basic(lstm=True),
        peepholes=True, oracle="onnx-reference", seed=211,
    ),
    FixtureSpec(
        "lstm_peepholes_bidirectional", "LSTM with peepholes, 2 layers, bidirectional, uneven lengths",
        "lstm", 3, 4, _basic(lstm=True) + _uneven(lstm=True), peepholes=True, num_layers=2,
        direction="bidirectional", oracle="onnx-reference", seed=212,
    ),
    FixtureSpec(
        "lstm_clip", "LSTM with clip 0.7 (binding) and peepholes; float32 oracle", "lstm", 3, 4,
        _basic(lstm=True) + _uneven(lstm=True), peepholes=True, clip=0.7, weight_scale=1.5,
        oracle="onnxruntime", seed=213,
    ),
    FixtureSpec(
        "lstm_realistic", "LSTM 40 -> 64, 30 steps, batch 3, softmax head of 10", "lstm", 40, 64,
        (CaseSpec("sequence", 30, 3, h0=True, c0=True),), head=("softmax", 10), seed=214,
    ),
    FixtureSpec(
        "lstm_model_only", "an LSTM with no cases: a model to load, benchmark or export", "lstm", 4, 8, (), seed=215,
    ),
    # --- GRU ----------------------------------------------------------------------
    FixtureSpec("gru_small", "GRU 4 -> 6, linear before reset (PyTorch)", "gru", 4, 6, _basic(), seed=301),
    FixtureSpec(
        "gru_cho", "GRU 4 -> 6, reset before the linear map (Cho et al. 2014, ONNX default)", "gru", 4, 6,
        _basic(), linear_before_reset=False, oracle="onnx-reference", seed=302,
    ),
    FixtureSpec(
        "gru_size1", "GRU, input and hidden size 1", "gru", 1, 1,
        (CaseSpec("t1_b1", 1, 1), CaseSpec("t6_b2", 6, 2, h0=True)), seed=303,
    ),
    FixtureSpec(
        "gru_bidirectional_stacked", "GRU, 2 layers, bidirectional, uneven lengths, identity head", "gru", 3, 5,
        _basic() + _uneven(), num_layers=2, direction="bidirectional", head=("identity", 2), seed=304,
    ),
    FixtureSpec(
        "gru_reverse", "GRU, reverse direction only, uneven lengths", "gru", 3, 4, _basic() + _uneven(),
        direction="reverse", seed=305,
    ),
    FixtureSpec(
        "gru_cho_bidirectional", "Cho GRU, bidirectional, 2 layers, uneven lengths", "gru", 3, 4,
        _basic() + _uneven(), num_layers=2, direction="bidirectional", linear_before_reset=False,
        oracle="onnx-reference", seed=306,
    ),
    FixtureSpec(
        "gru_saturating", "GRU with gates saturated (weights +-5, inputs x10)", "gru", 3, 5,
        (CaseSpec("saturating", 8, 2, h0=True, x_scale=10.0),), weight_scale=5.0, seed=307,
    ),
    FixtureSpec(
        "gru_clip", "GRU with clip 0.5 (binding); float32 oracle", "gru", 3, 4, _basic() + _uneven(),
        clip=0.5, weight_scale=1.5, oracle="onnxruntime", seed=308,
    ),
    FixtureSpec(
        "rnn_clip", "tanh RNN with clip 0.4 (binding), reverse; float32 oracle", "rnn", 3, 4, _basic() + _uneven(),
        clip=0.4, direction="reverse", weight_scale=1.5, oracle="onnxruntime", seed=109,
    ),
)  # fmt: skip


def spec_by_name(name: str) -> FixtureSpec:
    for spec in SPECS:
        if spec.name == name:
            return spec
    raise KeyError(name)

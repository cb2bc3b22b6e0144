"""The accuracy cases: models and inputs chosen to stress the arithmetic (docs/accuracy.md).

Each :class:`AccuracySpec` builds one v1 model and its inputs from a fixed seed:
every cell and option (tanh/relu RNN, LSTM peepholes/projection/clip, GRU both
resets, stacked, reverse, bidirectional, uneven lengths, both heads), plus

- saturating gates: biases large enough (up to 6) that most pre-activations sit far from 0; the
  "stress" group saturates through large input weights instead, whose dot products cancel;
- cancellation in ``f*c + i*g``: ``c0`` chosen so that ``f c0`` nearly cancels ``i g`` at the
  first step in half the units (relative sizes 1e-1 .. 1e-6);
- long sequences (T = 1000) with contractive dynamics (spectral norm of ``W_hh`` about 0.5), where
  rounding errors do not grow.

The oracle's answers for them are committed (:mod:`rnn_rosetta.accuracy.case_files`);
:func:`report_model` builds the models of the report's grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnn_rosetta.fixture_data import CaseInputs
from rnn_rosetta.model import GATE_COUNT, DirectionWeights, Head, Layer, Model
from rnn_rosetta.model_rules import check_model


@dataclass(frozen=True)
class Options:
    """A v1 model's shape and options, and how its weights are drawn."""

    cell: str
    input_size: int
    hidden_size: int
    num_layers: int = 1
    direction: str = "forward"
    nonlinearity: str = "tanh"
    linear_before_reset: bool = True
    proj_size: int = 0
    peepholes: bool = False
    clip: float | None = None
    head: str | None = None  # head activation ("softmax", "identity") or None
    head_size: int = 3
    weight_scale: float = 1.0  # input weights (W_ih, W_hr, head) ~ U(-1, 1) * weight_scale / sqrt(fan_in)
    recurrent_scale: float | None = None  # W_hh ~ U(-1, 1) * recurrent_scale / sqrt(H_out); None: weight_scale
    bias_scale: float = 0.3  # biases ~ U(-bias_scale, bias_scale)
    bias_floor: float = 0.0  # b_ih's magnitudes squeezed into [bias_floor, bias_scale] (b_hh: at most 0.3)
    gate_shift: tuple[float, ...] = ()  # added to bias_ih of gate block k (e.g. GRU (0, -4, 0): z mostly near 0)


def random_model(options: Options, rng: np.random.Generator) -> Model:
    """A model with uniform random weights: ``U(-1, 1) * weight_scale / sqrt(fan_in)``."""
    o = options
    h_out = o.proj_size or o.hidden_size
    dirs = ("forward", "reverse") if o.direction == "bidirectional" else (o.direction,)
    rows = GATE_COUNT[o.cell] * o.hidden_size

    def matrix(n: int, k: int, scale: float = o.weight_scale) -> np.ndarray:
        return rng.uniform(-1.0, 1.0, (n, k)) * (scale / np.sqrt(k))

    recurrent = o.weight_scale if o.recurrent_scale is None else o.recurrent_scale

    def vector(n: int, scale: float, floor: float = 0.0) -> np.ndarray:
        v = rng.uniform(-scale, scale, n)  # [n]
        return v if floor <= 0 else np.sign(v) * (floor + np.abs(v) * (scale - floor) / scale)

    layers = []
    for index in range(o.num_layers):
        fan_in = o.input_size if index == 0 else len(dirs) * h_out
        weights = {}
        for name in dirs:
            extra: dict[str, np.ndarray] = {}
            if o.proj_size:
                extra["weight_hr"] = matrix(o.proj_size, o.hidden_size)
            if o.peepholes:
                for key in ("peephole_i", "peephole_f", "peephole_o"):
                    extra[key] = vector(o.hidden_size, 0.5)
            bias_ih = vector(rows, o.bias_scale, o.bias_floor)  # [G*H]
            for gate, shift in enumerate(o.gate_shift):
                bias_ih[gate * o.hidden_size : (gate + 1) * o.hidden_size] += shift
            weights[name] = DirectionWeights(
                weight_ih=matrix(rows, fan_in),
                weight_hh=matrix(rows, h_out, recurrent),
                bias_ih=bias_ih,
                bias_hh=vector(rows, min(o.bias_scale, 0.3)),
                **extra,
            )
        layers.append(Layer(**weights))
    head = None
    if o.head is not None:
        width = len(dirs) * h_out
        head = Head(matrix(o.head_size, width), vector(o.head_size, o.bias_scale), o.head)
    model = Model(
        cell=o.cell,
        input_size=o.input_size,
        hidden_size=o.hidden_size,
        num_layers=o.num_layers,
        direction=o.direction,
        layers=tuple(layers),
        nonlinearity=o.nonlinearity,
        linear_before_reset=o.linear_before_reset,
        proj_size=o.proj_size,
        peepholes=o.peepholes,
        clip=o.clip,
        head=head,
    )
    check_model(model)
    return model


def random_inputs(
    model: Model, rng: np.random.Generator, steps: int, batch: int, x_scale: float = 1.0, uneven: bool = False
) -> CaseInputs:
    """x ~ U(-x_scale, x_scale) [T, B, I], random h0 (and c0), lengths T, T-1, ... when ``uneven``."""
    slots = model.num_layers * model.num_directions
    x = rng.uniform(-x_scale, x_scale, (steps, batch, model.input_size))
    h0 = rng.uniform(-0.5, 0.5, (slots, batch, model.output_size))
    c0 = rng.uniform(-0.5, 0.5, (slots, batch, model.hidden_size)) if model.cell == "lstm" else None
    lengths = None
    if uneven:
        lengths = np.maximum(1, steps - np.arange(batch) * max(1, steps // (batch + 1))).astype(np.int64)
    return CaseInputs("random", x, h0, c0, lengths)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def cancelling_inputs(model: Model, rng: np.random.Generator, steps: int, batch: int) -> CaseInputs:
    """Inputs whose ``c0`` makes ``f c0 + i g`` cancel at the first step in half the units of an lstm layer 0.

    In unit ``j`` of sequence ``b`` (even ``j``), ``c0 = -(i g / f) (1 + d)`` with ``d`` in
    ``1e-1 .. 1e-6``, so ``c_1 = f c0 + i g = -d i g``: the sum is ``d`` times the size of its terms.
    The gates are computed here in float64 from ``x_0`` and ``h0`` (only their sizes matter).
    """
    given = random_inputs(model, rng, steps, batch)
    assert given.c0 is not None
    c0 = given.c0.copy()
    w = model.layers[0].forward or model.layers[0].reverse
    assert w is not None
    hidden = model.hidden_size
    for b in range(batch):
        a = w.weight_ih @ given.x[0, b] + w.bias_ih + w.weight_hh @ given.h0[0, b] + w.bias_hh  # [4H]
        i, f, g = _sigmoid(a[:hidden]), _sigmoid(a[hidden : 2 * hidden]), np.tanh(a[2 * hidden : 3 * hidden])
        d = 10.0 ** -rng.uniform(1, 6, hidden)
        cancel = -(i * g / f) * (1 + d)  # [H]
        c0[0, b, ::2] = cancel[::2]  # peepholes shift f and i a little: the cancellation stays near
    return CaseInputs("cancel", given.x, given.h0, c0, given.lengths)


InputsMaker = Callable[[Model, np.random.Generator], CaseInputs]


@dataclass(frozen=True)
class AccuracySpec:
    """One committed accuracy case: a name, what it stresses, its model options and its inputs."""

    name: str
    description: str
    options: Options
    steps: int = 12
    batch: int = 2
    seed: int = 0
    x_scale: float = 1.0
    uneven: bool = False
    inputs: str = "random"  # "random" or "cancel"
    #: "bound": every kernel is held to the issue's bounds; "stress": dot products whose terms cancel
    #: (sum |w x| many times |a|), where only the exact kernel's compensated dot products can be held.
    group: str = "bound"

    def build(self) -> tuple[Model, CaseInputs]:
        rng = np.random.default_rng(self.seed)
        model = random_model(self.options, rng)
        if self.inputs == "cancel":
            given = cancelling_inputs(model, rng, self.steps, self.batch)
        else:
            given = random_inputs(model, rng, self.steps, self.batch, self.x_scale, self.uneven)
        return model, given._replace(name=self.name)


# Saturating gates through large biases: |b_ih| in [4, 6] against |W x + U h| of about 1, so every
# pre-activation sits far from 0 and no dot product cancels much. Every case keeps W_hh at most
# U(-1, 1)/sqrt(H): an expanding recurrence would amplify the 0.5 ulp that rounding each stored state must
# leave, and no kernel could then hold the 0.75 eps bound (docs/accuracy.md, limits). For the same reason no
# case has units that keep their state (LSTM f near 1, GRU z near 1: shifted to near 0 here); there each
# step's rounding adds up.
SAT = {"bias_scale": 6.0, "bias_floor": 4.0}
# Saturating through large input weights (stress): |a| is large only on average, and where it is small its
# terms cancel.
SAT_WEIGHTS = {"weight_scale": 6.0, "recurrent_scale": 1.0, "bias_scale": 3.0}
LONG = {"weight_scale": 0.5}  # contractive: W_hh's spectral norm about 0.5

#: The committed accuracy cases (tests/data/accuracy/<name>.json), every cell and option.
SPECS: tuple[AccuracySpec, ...] = (
    AccuracySpec("rnn_tanh", "tanh RNN 8->16", Options("rnn", 8, 16), seed=101),
    AccuracySpec("rnn_relu", "relu RNN 8->16", Options("rnn", 8, 16, nonlinearity="relu", weight_scale=0.9), seed=102),
    AccuracySpec("rnn_tanh_saturating", "tanh RNN, saturating (large biases)", Options("rnn", 6, 16, **SAT), seed=103),
    AccuracySpec(
        "rnn_tanh_large_weights",
        "tanh RNN, large input weights: cancelling dot products",
        Options("rnn", 6, 16, **SAT_WEIGHTS),
        seed=107,
        group="stress",
    ),
    AccuracySpec(
        "rnn_tanh_clip",
        "tanh RNN, clip 0.8",
        Options("rnn", 6, 12, clip=0.8, weight_scale=2.5, recurrent_scale=1.0),
        seed=104,
    ),
    AccuracySpec(
        "rnn_relu_bidirectional_stacked",
        "relu RNN x2 bidirectional, uneven lengths",
        Options("rnn", 5, 8, num_layers=2, direction="bidirectional", nonlinearity="relu"),
        batch=3,
        seed=105,
        uneven=True,
    ),
    AccuracySpec(
        "rnn_tanh_long", "tanh RNN, T=1000, contractive", Options("rnn", 4, 8, **LONG), steps=1000, batch=1, seed=106
    ),
    AccuracySpec("lstm_8_16", "LSTM 8->16", Options("lstm", 8, 16), seed=201),
    AccuracySpec("lstm_peepholes", "LSTM peepholes", Options("lstm", 6, 12, peepholes=True), seed=202),
    AccuracySpec("lstm_projection", "LSTM projection 16->6", Options("lstm", 6, 16, proj_size=6), seed=203),
    AccuracySpec(
        "lstm_peepholes_clip",
        "LSTM peepholes, clip 1.5",
        Options("lstm", 6, 12, peepholes=True, clip=1.5, weight_scale=3.0, recurrent_scale=1.0),
        seed=204,
    ),
    AccuracySpec(
        "lstm_saturating",
        "LSTM, saturating gates (large biases)",
        Options("lstm", 6, 16, gate_shift=(0.0, -8.0), **SAT),
        seed=205,
    ),
    AccuracySpec(
        "lstm_large_weights",
        "LSTM, large input weights: cancelling dot products",
        Options("lstm", 6, 16, **SAT_WEIGHTS),
        seed=211,
        group="stress",
    ),
    AccuracySpec(
        "lstm_cancellation",
        "LSTM, f*c + i*g cancels at step 1",
        Options("lstm", 6, 16),
        steps=4,
        batch=3,
        seed=206,
        inputs="cancel",
    ),
    AccuracySpec(
        "lstm_cancellation_peepholes",
        "LSTM peepholes, f*c + i*g nearly cancels",
        Options("lstm", 6, 16, peepholes=True),
        steps=4,
        batch=3,
        seed=207,
        inputs="cancel",
    ),
    AccuracySpec(
        "lstm_stacked_bidirectional_lengths",
        "LSTM x2 bidirectional, uneven lengths, identity head",
        Options("lstm", 5, 8, num_layers=2, direction="bidirectional", head="identity"),
        batch=3,
        seed=208,
        uneven=True,
    ),
    AccuracySpec(
        "lstm_reverse_projection",
        "LSTM reverse, projection, softmax head",
        Options("lstm", 4, 10, direction="reverse", proj_size=4, head="softmax", head_size=5),
        seed=209,
    ),
    AccuracySpec(
        "lstm_long", "LSTM, T=1000, contractive", Options("lstm", 4, 8, **LONG), steps=1000, batch=1, seed=210
    ),
    AccuracySpec("gru_lbr", "GRU linear_before_reset=1", Options("gru", 8, 16), seed=301),
    AccuracySpec(
        "gru_cho", "GRU linear_before_reset=0 (Cho)", Options("gru", 8, 16, linear_before_reset=False), seed=302
    ),
    AccuracySpec(
        "gru_saturating",
        "GRU, saturating gates (large biases; z near 0: no unit keeps its state)",
        Options("gru", 6, 16, gate_shift=(0.0, -8.0, 0.0), **SAT),
        seed=303,
    ),
    AccuracySpec(
        "gru_large_weights",
        "GRU, large input weights: cancelling dot products (z mostly near 0)",
        Options("gru", 6, 16, gate_shift=(0.0, -6.0, 0.0), **SAT_WEIGHTS),
        seed=307,
        group="stress",
    ),
    AccuracySpec(
        "gru_cho_clip_reverse",
        "GRU Cho, clip 1.0, reverse",
        Options(
            "gru",
            5,
            10,
            linear_before_reset=False,
            clip=1.0,
            direction="reverse",
            weight_scale=2.5,
            recurrent_scale=1.0,
        ),
        seed=304,
    ),
    AccuracySpec(
        "gru_bidirectional_stacked",
        "GRU x2 bidirectional, uneven lengths, softmax head",
        Options("gru", 5, 8, num_layers=2, direction="bidirectional", head="softmax", head_size=4),
        batch=3,
        seed=305,
        uneven=True,
    ),
    AccuracySpec("gru_long", "GRU, T=1000, contractive", Options("gru", 4, 8, **LONG), steps=1000, batch=1, seed=306),
)


def spec_named(name: str) -> AccuracySpec:
    for spec in SPECS:
        if spec.name == name:
            return spec
    raise KeyError(f"no accuracy case named {name!r}; known: {[s.name for s in SPECS]}")


def report_model(cell: str, hidden: int, seed: int) -> Model:
    """The report grid's model: one contractive layer ``I = min(H, 32) -> H`` (``W_hh`` norm about 0.5)."""
    return random_model(Options(cell, min(hidden, 32), hidden, weight_scale=0.5), np.random.default_rng(seed))

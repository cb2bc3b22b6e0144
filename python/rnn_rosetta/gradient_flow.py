"""How far a gradient travels back in time: ``||dL/dh_t||`` against ``t``, measured, next to the theory.

The loss reads the last output only, ``L = u . h_{T-1}`` with a unit vector ``u``, so ``dL/dh_{T-1} = u``
and ``dL/dh_t`` is the gradient that has flowed back ``k = T-1-t`` steps through the recurrence:

    dL/dh_{t-1} = J_t^T dL/dh_t,    J_t = dh_t/dh_{t-1}
    tanh RNN:  J_t = diag(1 - h_t^2) W_hh        -> with W_hh = g Q (Q orthogonal) and small h_t:  ||dL/dh_t|| ~ g^k
    relu RNN:  J_t = diag([a_t > 0]) W_hh        -> every a_t > 0, W_hh = g P (P a permutation): exactly g^k
    LSTM:      dL/dc_{t-1} = f_t * dL/dc_t + dL/dh_{t-1} o_{t-1} tanh'(c_{t-1})  -> ~ f^k; exactly f^k when W_hh = 0
    GRU:       dL/dh_{t-1} = z_t * dL/dh_t + (the paths through the gates) -> ~ z^k; exactly z^k when W_hh = 0

A gate held at ``f`` is a leaky integrator with time constant ``tau = -dt / ln f`` (``dt = 1`` step:
``f = 0.99`` forgets ``1/e`` of a memory in 99.5 steps). The seed's numbers: ``0.9^99 = 2.95e-5`` (its
``2.6e-5`` is ``0.9^100``), ``0.99^99 = 0.370``, and ``1.5^19 = 2216.8`` for a gain of 1.5 over 20 steps.

How it is measured, exactly and with the public API only: ``dL/dh_t`` (and ``dL/dc_t``) is the
``h0`` (``c0``) gradient of the same chain run on ``x[t+1:]`` from the state ``(h_t, c_t)`` that the
full forward pass reached: one ``forward(..., keep=True)`` and one ``backward(d_output=...)`` per
``t``, ``O(T^2)`` steps in all (5,000 for ``T = 100``). The run from ``t = -1`` (the initial state)
is the full pass; its weight gradients are what clipping by global norm scales
(``clip_grad_norm_``: ``coef = max_norm / (total + 1e-6)`` when ``total > max_norm``). The backward
pass is linear in ``dL/d(output)``, so clipping is the gradient of ``coef * L``: every ``dL/dh_t``
scales by the same ``coef``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnn_rosetta.backends import get_backend
from rnn_rosetta.backends.chain_net import ChainNet
from rnn_rosetta.chain import Chain
from rnn_rosetta.errors import InputError
from rnn_rosetta.model import GATE_COUNT, DirectionWeights, Layer, Model
from rnn_rosetta.model_rules import check_model
from rnn_rosetta.optimizers import clip_grad_norm

#: Steps of the vanishing models (the seed's 100) and of the exploding one (the seed's 20).
STEPS = 100
EXPLODING_STEPS = 20
#: The largest ``--steps`` (the measurement is O(T^2) steps).
MAX_STEPS = 1000
HIDDEN = 8
INPUTS = 4
#: ``clip_grad_norm_``'s ``max_norm`` for the clipped exploding model.
MAX_NORM = 5.0
SEED = 20261206


def time_constant(factor: float, dt: float = 1.0) -> float:
    """``tau = -dt / ln f``: the steps (times ``dt``) a leaky integrator with retention ``f`` takes to keep 1/e."""
    if not 0.0 < factor < 1.0:
        return math.inf
    return -dt / math.log(factor)


def logit(p: float) -> float:
    """``sigmoid^-1(p) = ln(p / (1 - p))``: the bias that holds a gate at ``p``."""
    return math.log(p / (1.0 - p))


def orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``[n, n]`` orthogonal matrix (QR of a Gaussian one, signs fixed): every singular value is 1."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def cyclic_shift(n: int) -> np.ndarray:
    """The ``[n, n]`` permutation ``e_i -> e_{i+1 mod n}``: orthogonal and non-negative (keeps relu inputs > 0)."""
    return np.roll(np.eye(n), 1, axis=0)


def one_layer(cell: str, weights: DirectionWeights, nonlinearity: str = "tanh") -> Chain:
    """A chain of one forward layer of ``cell`` with these weights (checked by the fixture rules)."""
    hidden = weights.bias_ih.shape[0] // GATE_COUNT[cell]
    model = Model(
        cell=cell, input_size=weights.weight_ih.shape[1], hidden_size=hidden, num_layers=1, direction="forward",
        layers=(Layer(forward=weights),), nonlinearity=nonlinearity,
    )  # fmt: skip
    chain = Chain(layers=(model,))
    check_model(chain)
    return chain


def rnn_chain(gain: float, nonlinearity: str, rng: np.random.Generator, positive: bool = False) -> Chain:
    """``h_t = phi(W_ih x_t + b + W_hh h_{t-1})`` with ``W_hh = gain * Q``.

    ``Q`` is a random orthogonal matrix, or with ``positive`` a cyclic shift and every input weight and
    bias > 0, so that with inputs > 0 every relu input is > 0 and the net is exactly linear.
    """
    w_ih = rng.standard_normal((HIDDEN, INPUTS)) / math.sqrt(INPUTS)  # [H, I]
    b_ih = np.zeros(HIDDEN)
    if positive:
        w_ih, w_hh, b_ih = np.abs(w_ih), gain * cyclic_shift(HIDDEN), np.full(HIDDEN, 0.01)
    else:
        w_hh = gain * orthogonal(HIDDEN, rng)  # [H, H]
    return one_layer("rnn", DirectionWeights(w_ih, w_hh, b_ih, np.zeros(HIDDEN)), nonlinearity)


def lstm_chain(forget: float, rng: np.random.Generator, recurrent: float = 0.01) -> Chain:
    """An LSTM whose forget gate sits near ``forget``: ``b_f = logit(forget)``, small weights elsewhere.

    Gate rows ``i, f, g, o``; ``W_hh = recurrent * Q`` per gate. ``recurrent = 0`` cuts the path through
    ``h`` and zeroes the f rows of ``W_ih`` too, so ``f_t = sigmoid(b_f)`` at every step and
    ``dL/dc_{t-1} = f dL/dc_t`` exactly.
    """
    w_ih = 0.1 * rng.standard_normal((4 * HIDDEN, INPUTS))  # [4H, I]
    w_hh = recurrent * np.concatenate([orthogonal(HIDDEN, rng) for _ in range(4)])  # [4H, H]
    if recurrent == 0.0:
        w_ih[HIDDEN : 2 * HIDDEN] = 0.0
    b_ih = np.zeros(4 * HIDDEN)
    b_ih[HIDDEN : 2 * HIDDEN] = logit(forget)
    return one_layer("lstm", DirectionWeights(w_ih, w_hh, b_ih, np.zeros(4 * HIDDEN)))


def gru_chain(update: float, rng: np.random.Generator, recurrent: float = 0.01) -> Chain:
    """A GRU whose update gate sits near ``update``: ``b_z = logit(update)`` (rows ``r, z, n``).

    ``h_t = (1 - z_t) n_t + z_t h_{t-1}``. ``recurrent = 0`` sets ``W_hh = 0`` and zeroes the z rows of
    ``W_ih``, so ``z_t = sigmoid(b_z)`` at every step and ``dL/dh_{t-1} = z dL/dh_t`` exactly.
    """
    w_ih = 0.1 * rng.standard_normal((3 * HIDDEN, INPUTS))  # [3H, I]
    w_hh = recurrent * np.concatenate([orthogonal(HIDDEN, rng) for _ in range(3)])  # [3H, H]
    if recurrent == 0.0:
        w_ih[HIDDEN : 2 * HIDDEN] = 0.0
    b_ih = np.zeros(3 * HIDDEN)
    b_ih[HIDDEN : 2 * HIDDEN] = logit(update)
    return one_layer("gru", DirectionWeights(w_ih, w_hh, b_ih, np.zeros(3 * HIDDEN)))


@dataclass(frozen=True)
class FlowModel:
    """One model whose gradient flow is measured: the chain, its inputs and the theory's per-step factor."""

    name: str
    chain: Chain
    x: np.ndarray  # [T, 1, I]
    u: np.ndarray  # [1, H]  dL/dh_{T-1}, unit norm
    factor: float  # the predicted ratio per step back: g, f or z
    tracks: str = "h"  # the state whose gradient the factor predicts: "h", or "c" (the LSTM's cell)
    max_norm: float | None = None  # clip by global norm at this
    note: str = ""  # why measured and predicted agree exactly, or not quite


def default_models(steps: int = STEPS, seed: int = SEED) -> list[FlowModel]:
    """The seed's cases: tanh RNN at gain 0.9 and 0.99, LSTM f = 0.99, GRU z = 0.95, relu RNN at 1.5 (+ clipped)."""
    rng = np.random.default_rng(seed)

    def inputs(count: int, scale: float, positive: bool = False) -> np.ndarray:
        x = scale * rng.standard_normal((count, 1, INPUTS))  # [T, 1, I]
        return np.abs(x) if positive else x

    u = rng.standard_normal((1, HIDDEN))
    u /= np.linalg.norm(u)  # [1, H], ||u|| = 1
    explode = min(EXPLODING_STEPS, steps)
    relu = rnn_chain(1.5, "relu", rng, positive=True)
    relu_x = inputs(explode, 0.1, positive=True)
    clip = f"rnn relu g=1.5 clip {MAX_NORM:g}"
    return [
        FlowModel("rnn tanh g=0.9", rnn_chain(0.9, "tanh", rng), inputs(steps, 1e-3), u, 0.9,
                  note="~: tanh' = 1 - h_t^2 is just below 1"),
        FlowModel("rnn tanh g=0.99", rnn_chain(0.99, "tanh", rng), inputs(steps, 1e-4), u, 0.99,
                  note="~: tanh' = 1 - h_t^2 is just below 1"),
        FlowModel("lstm f=0.99", lstm_chain(0.99, rng), inputs(steps, 1.0), u, 0.99, tracks="c",
                  note="~: plus the path through h_t (W_hh = 0.01 Q)"),
        FlowModel("gru z=0.95", gru_chain(0.95, rng), inputs(steps, 1.0), u, 0.95,
                  note="~: z_t moves with x_t; plus the paths through W_hh"),
        FlowModel("rnn relu g=1.5", relu, relu_x, u, 1.5, note="exact: every relu input > 0, W_hh = 1.5 P"),
        FlowModel(clip, relu, relu_x, u, 1.5, max_norm=MAX_NORM, note="the same, times clip_grad_norm_'s coef"),
    ]  # fmt: skip


@dataclass(frozen=True)
class StateGradients:
    """``dL/dh_t`` and ``dL/dc_t`` for every step, and the weight gradients of the full pass."""

    h: np.ndarray  # [T, 1, H]
    c: np.ndarray | None  # [T, 1, H], lstm only
    weights: dict[str, np.ndarray]


def lstm_output_gate(chain: Chain, x_t: np.ndarray, h_prev: np.ndarray) -> np.ndarray:
    """``o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)``, gate rows ``3H:4H``.

    x_t [B, I], h_prev [B, H] -> o_t [B, H]
    """
    w = chain.layers[0].layers[0].forward
    assert w is not None
    hidden = chain.layers[0].hidden_size
    rows = slice(3 * hidden, 4 * hidden)
    a = x_t @ w.weight_ih[rows].T + w.bias_ih[rows] + h_prev @ w.weight_hh[rows].T + w.bias_hh[rows]  # [B, H]
    return 1.0 / (1.0 + np.exp(-a))


def state_gradients(net: ChainNet, x: np.ndarray, u: np.ndarray) -> StateGradients:
    """``dL/dh_t`` (and ``dL/dc_t``) for ``L = u . h_{T-1}``, ``t = 0 .. T-1``: see the module docstring.

    ``dL/dh_t`` is the ``h0`` gradient of the run from ``(h_t, c_t)``. The cell state reaches the loss
    through ``c_{t+1}`` (that run's ``c0`` gradient) and through ``h_t = o_t * tanh(c_t)``, so its whole
    gradient (what autograd gives a retained ``c_t``) is
    ``dL/dc_t = dL/dc_t|_{h_t fixed} + dL/dh_t * o_t * (1 - tanh(c_t)^2)``.
    """
    chain = net.chain
    steps, batch, hidden = x.shape[0], x.shape[1], chain.state_sizes[0]
    is_lstm = chain.layers[0].cell == "lstm"
    hs, cs = [np.zeros((1, batch, hidden))], [np.zeros((1, batch, hidden)) if is_lstm else None]  # [1, B, H]
    for t in range(steps):  # the states the full pass reaches: hs[t + 1] = h_t
        _, state = net.step(x[t], (hs[-1], cs[-1]))
        hs.append(np.asarray(state.h))
        cs.append(None if state.c is None else np.asarray(state.c))
    d_h = np.zeros((steps, batch, hidden))  # [T, B, H]
    d_c = np.zeros((steps, batch, hidden)) if is_lstm else None
    d_h[steps - 1] = u
    weights: dict[str, np.ndarray] = {}
    for t in range(-1, steps - 1):  # the run on x[t+1:] from (h_t, c_t); t = -1 is the full pass
        rest = x[t + 1 :]  # [T-1-t, B, I]
        net.forward(rest, h0=hs[t + 1], c0=cs[t + 1], keep=True)
        d_output = np.zeros((rest.shape[0], batch, hidden))
        d_output[-1] = u
        grads = net.backward(d_output=d_output)
        if t == -1:
            weights = grads.weights
            continue
        d_h[t] = np.asarray(grads.h0)[0]
        if d_c is not None:
            d_c[t] = np.asarray(grads.c0)[0]
    if d_c is not None:
        for t in range(steps):  # plus the path through h_t = o_t * tanh(c_t)
            o = lstm_output_gate(chain, x[t], hs[t][0])  # [B, H]
            d_c[t] += d_h[t] * o * (1.0 - np.tanh(cs[t + 1][0]) ** 2)
    return StateGradients(d_h, d_c, weights)


@dataclass(frozen=True)
class Flow:
    """One model's measured gradient norms against ``t`` and the predicted ones."""

    model: FlowModel
    h_norms: np.ndarray  # [T]  ||dL/dh_t||
    c_norms: np.ndarray | None  # [T]  ||dL/dc_t||, lstm only
    clip_total: float | None  # the full pass's weight-gradient global norm before clipping
    clip_coef: float  # the factor clipping applied (1.0: none)
    gradients: StateGradients  # the vectors, before clipping

    @property
    def measured(self) -> np.ndarray:
        """``[T]``: the norms of the tracked state's gradient (``c`` for the LSTM), clipped when clipping."""
        norms = self.c_norms if self.model.tracks == "c" and self.c_norms is not None else self.h_norms
        return self.clip_coef * norms

    @property
    def predicted(self) -> np.ndarray:
        """``[T]``: ``measured[T-1] * factor^(T-1-t)``."""
        steps = self.measured.shape[0]
        back = np.arange(steps - 1, -1, -1, dtype=np.float64)  # k = T-1-t
        return self.measured[-1] * self.model.factor**back

    @property
    def effective_factor(self) -> float:
        """The per-step factor the measurement shows: ``(measured[0] / measured[T-1])^(1 / (T-1))``."""
        measured = self.measured
        if measured.shape[0] < 2 or not measured[-1] > 0.0:
            return math.nan
        return float((measured[0] / measured[-1]) ** (1.0 / (measured.shape[0] - 1)))

    @property
    def tau(self) -> float:
        """``-1 / ln factor`` in steps (inf for a factor >= 1)."""
        return time_constant(self.model.factor)

    @property
    def quantity(self) -> str:
        return "||dL/dc_t||" if self.model.tracks == "c" else "||dL/dh_t||"


def measure(model: FlowModel, backend: str = "numpy") -> Flow:
    """Load ``model.chain`` into ``backend`` (float64) and measure its gradient flow."""
    net = get_backend(backend).load(model.chain, dtype="float64")
    if not isinstance(net, ChainNet) or not net.supports_backward:
        raise InputError(f"backend {backend!r} has no backward pass")
    grads = state_gradients(net, model.x, model.u)
    h_norms = np.linalg.norm(grads.h[:, 0, :], axis=1)  # [T]
    c_norms = None if grads.c is None else np.linalg.norm(grads.c[:, 0, :], axis=1)
    total, coef = None, 1.0
    if model.max_norm is not None:
        _, total = clip_grad_norm(grads.weights, model.max_norm)
        coef = min(model.max_norm / (total + 1e-6), 1.0)  # what clip_grad_norm multiplied every gradient by
    return Flow(model, h_norms, c_norms, total, coef, grads)


def gradient_flow(
    steps: int = STEPS, backend: str = "numpy", progress: Callable[[str], None] | None = None
) -> list[Flow]:
    """Every default model measured (``progress(name)`` before each)."""
    if not 2 <= steps <= MAX_STEPS:
        raise InputError(f"steps must be in 2 .. {MAX_STEPS}, got {steps}")
    flows = []
    for model in default_models(steps):
        if progress is not None:
            progress(model.name)
        flows.append(measure(model, backend))
    return flows


def table_steps(steps: int, model_steps: int | None = None) -> list[int]:
    """The ``t`` a table shows: 0, 10, 50, 90, 99 for 100 steps; those below ``model_steps``, and its last."""
    last = steps if model_steps is None else model_steps
    wanted = (0, steps // 10, steps // 2, steps - 10, steps - 1, last - 1)
    return sorted({t for t in wanted if 0 <= t < last})

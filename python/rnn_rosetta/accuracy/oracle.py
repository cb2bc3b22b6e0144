"""The exact oracle: a v1 model's forward pass evaluated far more precisely than float64.

Written from docs/fixture-format.md alone; it shares no code with the backends
(nor with :mod:`rnn_rosetta.reference` or :mod:`rnn_rosetta.exact`). The same
equations run in one of two arithmetics (:mod:`rnn_rosetta.accuracy.arithmetic`):

- ``mpmath``: 200-bit binary floating point (60 decimal digits): every sum,
  product and elementary function is the real-number result to about 1e-60
  relative, so the answer is the real-number function of the (float64 or
  float32-rounded) weights and inputs;
- ``longdouble``: numpy's 80-bit x87 extended type (64-bit significand,
  unit roundoff 2^-64 = float64's 2^-53 / 2048), fast enough for the report's big
  sizes; the tests hold it to ``mpmath``.

Each sequence of the batch runs alone on its valid prefix (lengths), as the
format defines; the result is returned in the working type (rounded at the end
by :func:`rnn_rosetta.accuracy.arithmetic.Arithmetic.to_hi_lo`).

Equations (one direction, one step, ``a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh``, ``clip`` clamps
every full pre-activation before its nonlinearity):

- RNN: ``h_t = phi(a)``, phi = tanh or relu;
- LSTM (gates i, f, g, o): ``i = sigmoid(a_i + p_i c_{t-1})``, ``f = sigmoid(a_f + p_f c_{t-1})``,
  ``g = tanh(a_g)``, ``c_t = f c_{t-1} + i g``, ``o = sigmoid(a_o + p_o c_t)``, ``m = o tanh(c_t)``,
  ``h_t = W_hr m`` with a projection, else ``m``;
- GRU (gates r, z, n): ``r = sigmoid(a_r)``, ``z = sigmoid(a_z)``,
  lbr=1: ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``, lbr=0: ``n = tanh(W_in x + b_in + W_hn (r h) + b_hn)``,
  ``h_t = (1 - z) n + z h_{t-1}``;
- head: ``y_t = act(W_y out_t + b_y)`` on every step (padded ones too), act = identity or softmax.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_rosetta.accuracy.arithmetic import Arithmetic
from rnn_rosetta.model import DirectionWeights, Head, Model


@dataclass(frozen=True)
class ExactResult:
    """The oracle's answer in the working type (object arrays of mpf, or longdouble)."""

    output: np.ndarray  # [T, B, D*H_out]
    h_n: np.ndarray  # [L*D, B, H_out]
    c_n: np.ndarray | None  # [L*D, B, H], lstm only
    y: np.ndarray | None  # [T, B, O] with a head

    def fields(self) -> dict[str, np.ndarray]:
        pairs = (("output", self.output), ("h_n", self.h_n), ("c_n", self.c_n), ("y", self.y))
        return {name: value for name, value in pairs if value is not None}


class _Direction:
    """One direction of one layer, its weights converted once to the working type."""

    def __init__(self, model: Model, weights: DirectionWeights, ar: Arithmetic) -> None:
        self.model = model
        self.ar = ar
        hidden = model.hidden_size
        self.w_ih = ar.array(weights.weight_ih)  # [G*H, I_l]
        self.w_hh = ar.array(weights.weight_hh)  # [G*H, H_out]
        self.b_ih = ar.array(weights.bias_ih)  # [G*H]
        self.b_hh = ar.array(weights.bias_hh)  # [G*H]
        self.w_hr = None if weights.weight_hr is None else ar.array(weights.weight_hr)  # [P, H]
        peep = weights.peepholes
        self.peep = None if peep is None else ar.array(peep).reshape(3, hidden)  # [3, H]: p_i, p_f, p_o
        self.clip = None if model.clip is None else ar.scalar(model.clip)

    def _clip(self, a: np.ndarray) -> np.ndarray:
        if self.clip is None:
            return a
        bound = self.clip
        return np.where(a > bound, bound, np.where(a < -bound, -bound, a))

    def step(self, x_t: np.ndarray, h: np.ndarray, c: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """x_t [I_l], h [H_out], c [H] or None -> (h_t [H_out], c_t [H] or None)."""
        ar, model, hidden = self.ar, self.model, self.model.hidden_size
        a_x = self.w_ih @ x_t + self.b_ih  # [G*H]
        if model.cell == "gru":
            a_h = self.w_hh @ h + self.b_hh  # [3H]
            r = ar.sigmoid(self._clip(a_x[:hidden] + a_h[:hidden]))
            z = ar.sigmoid(self._clip(a_x[hidden : 2 * hidden] + a_h[hidden : 2 * hidden]))
            if model.linear_before_reset:
                a_n = a_x[2 * hidden :] + r * a_h[2 * hidden :]
            else:
                a_n = a_x[2 * hidden :] + (self.w_hh[2 * hidden :] @ (r * h) + self.b_hh[2 * hidden :])
            n = ar.tanh(self._clip(a_n))
            return (1 - z) * n + z * h, None
        a = a_x + (self.w_hh @ h + self.b_hh)  # [G*H]
        if model.cell == "rnn":
            a = self._clip(a)
            if model.nonlinearity == "relu":
                return np.where(a < 0, ar.scalar(0.0), a), None
            return ar.tanh(a), None
        assert c is not None
        a_i, a_f, a_g, a_o = (a[k * hidden : (k + 1) * hidden] for k in range(4))  # [H] each
        if self.peep is not None:
            a_i = a_i + self.peep[0] * c
            a_f = a_f + self.peep[1] * c
        i = ar.sigmoid(self._clip(a_i))
        f = ar.sigmoid(self._clip(a_f))
        g = ar.tanh(self._clip(a_g))
        c_t = f * c + i * g  # [H]
        if self.peep is not None:
            a_o = a_o + self.peep[2] * c_t
        o = ar.sigmoid(self._clip(a_o))
        m = o * ar.tanh(c_t)  # [H]
        return (m if self.w_hr is None else self.w_hr @ m), c_t


def _head(head: Head, out: np.ndarray, ar: Arithmetic) -> np.ndarray:
    """out [T, B, W] -> y [T, B, O]."""
    weight, bias = ar.array(head.weight), ar.array(head.bias)  # [O, W], [O]
    steps, batch, _ = out.shape
    y = ar.zeros((steps, batch, head.size))
    for t in range(steps):
        for b in range(batch):
            logits = weight @ out[t, b] + bias  # [O]
            if head.activation == "softmax":
                e = ar.exp(logits - logits.max())
                logits = e / e.sum()
            y[t, b] = logits
    return y


def exact_forward(
    model: Model,
    ar: Arithmetic,
    x: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    lengths: np.ndarray | None = None,
) -> ExactResult:
    """The model's forward pass in arithmetic ``ar``.

    x [T, B, I], h0 [L*D, B, H_out], c0 [L*D, B, H], lengths [B] (float64 values, or float32 values held
    as float64) -> :class:`ExactResult`. The model's arrays are used as given (round them first for float32).
    """
    steps, batch, _ = x.shape
    lengths = np.full(batch, steps) if lengths is None else np.asarray(lengths)
    is_lstm = model.cell == "lstm"
    slots, h_out, hidden = model.num_layers * model.num_directions, model.output_size, model.hidden_size
    h0_w = ar.zeros((slots, batch, h_out)) if h0 is None else ar.array(h0)
    c0_w = ar.zeros((slots, batch, hidden)) if c0 is None else ar.array(c0)
    h_n, c_n = ar.zeros((slots, batch, h_out)), ar.zeros((slots, batch, hidden))
    layer_in = ar.array(x)  # [T, B, I_l]
    with ar.context():
        for index, layer in enumerate(model.layers):
            dirs = layer.directions()
            out = ar.zeros((steps, batch, len(dirs) * h_out))  # [T, B, D*H_out], padded steps stay 0
            for offset, (name, weights) in enumerate(dirs):
                cell, slot = _Direction(model, weights, ar), index * model.num_directions + offset
                for b in range(batch):
                    h, c = h0_w[slot, b], (c0_w[slot, b] if is_lstm else None)
                    span = range(int(lengths[b]))
                    for t in reversed(span) if name == "reverse" else span:
                        h, c = cell.step(layer_in[t, b], h, c)
                        out[t, b, offset * h_out : (offset + 1) * h_out] = h
                    h_n[slot, b] = h
                    if c is not None:
                        c_n[slot, b] = c
            layer_in = out
        y = None if model.head is None else _head(model.head, layer_in, ar)
    return ExactResult(layer_in, h_n, c_n if is_lstm else None, y)

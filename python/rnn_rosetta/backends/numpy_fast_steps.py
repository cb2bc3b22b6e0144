"""The numpy default kernel's cell steps, computed in place on buffers allocated once per direction.

A step is a short chain of ufunc calls with ``out=`` on preallocated ``[n, G*H]`` blocks (``n`` = the
rows that run the step), so a small step pays for few calls and no temporaries. The equations are those
of :mod:`rnn_rosetta.reference`; what is arranged differently, and why it keeps the answer:

- ``b_hh`` is folded into the wide input projection once per direction (``a_x + b_hh``, see
  :func:`fold_bias_hh`); a step then adds ``W_hh h_{t-1}``. In a float32 net both sums are of float32 values
  in float64, the first one exact, so the result is the same rounding of the same three numbers;
- ``sigmoid(a) = 1 / (1 + exp(-a))`` (four calls; ``exp`` overflows to inf for ``a < -709``, giving 0, the
  caller ignores the overflow flag; NaN stays NaN);
- ``clip`` is :func:`numpy.clip` (NaN stays NaN);
- each value the net stores (``h_t``, ``c_t``, the output) is written by the ufunc that computes it, into an
  array of the net's dtype: computed wide, rounded once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_rosetta.model import GATE_COUNT, DirectionWeights, Model


@dataclass(frozen=True)
class FastDirectionWeights(DirectionWeights):
    """A direction's weights as :func:`rnn_rosetta.backends.numpy_fast.model_as` stores them, plus, in a float32
    net, ``W_hh`` a second time, row-major (``weight_hh_rows`` [G*H, H_out]) for batches of more than one row.

    OpenBLAS's ``sgemm`` of a few rows by ``W_hh^T`` is twice as fast as ``W_hh (rows)^T`` on the row-major
    copy (LSTM 512/4/25: 250 against 500 us a step) but slower at one row (a ``gemv``, 10-50 %) and in
    float64; hence both layouts, the row-major one only where it wins.
    """

    weight_hh_rows: np.ndarray | None = None


def fold_bias_hh(model: Model, w: DirectionWeights, a_x: np.ndarray, wide: np.dtype) -> np.ndarray:
    """``a_x + b_hh`` in the wide type for every step at once: [T, B, G*H] -> [T, B, G*H] wide (``a_x`` may be
    changed: it must be a fresh array).

    A linear-before-reset GRU keeps ``b_hn`` out (its ``n`` gate needs ``r * (W_hn h + b_hn)``).
    """
    folded = a_x.astype(wide, copy=False)  # [T, B, G*H]; a_x is the caller's fresh array: added to in place
    width = 2 * model.hidden_size if model.cell == "gru" and model.linear_before_reset else folded.shape[-1]
    folded[..., :width] += w.bias_hh[:width]
    return folded


def sigmoid_inplace(a: np.ndarray) -> None:
    """``a <- 1 / (1 + exp(-a))``, wide, in four calls (overflow of ``exp`` gives inf, then 0)."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    np.add(a, 1.0, out=a)
    np.reciprocal(a, out=a)


class Buffers:
    """Scratch for ``n`` rows: ``product`` [n, G*H] (net dtype), ``a`` [n, G*H] wide, ``c``, ``t`` [n, H] wide,
    ``h`` [n, H] (net dtype; the LSTM's unprojected ``h_t`` or the Cho GRU's ``r * h``)."""

    def __init__(self, rows: int, gates: int, hidden: int, dtype: np.dtype, wide: np.dtype) -> None:
        self.product = np.empty((rows, gates * hidden), dtype)
        self.a = np.empty((rows, gates * hidden), wide)
        self.c = np.empty((rows, hidden), wide)
        self.t = np.empty((rows, hidden), wide)
        self.h = np.empty((rows, hidden), dtype)
        self.product_t = np.empty((gates * hidden, rows), dtype)  # W_hh h as [G*H, n], for a row-major W_hh


class Stepper:
    """One direction's step: ``step(a_x_t, h, c, h_out)`` writes ``h_t`` into ``h_out`` and ``c_t`` over ``c``.

    ``a_x_t`` [n, G*H] wide (from :func:`fold_bias_hh`), ``h`` [n, H_out], ``c`` [n, H] or None, ``h_out``
    [n, H_out] (may be ``h`` itself: ``h`` is read before ``h_out`` is written).
    """

    def __init__(self, model: Model, w: DirectionWeights, dtype: np.dtype, wide: np.dtype, bound: float | None) -> None:
        self.model, self.w, self.dtype, self.wide, self.bound = model, w, dtype, wide, bound
        self.hidden = model.hidden_size
        self.gates = GATE_COUNT[model.cell]
        self.weight_hh_t = w.weight_hh.T  # [H_out, G*H], row-major when model_as stored W_hh column-major
        self.weight_hh_rows = getattr(w, "weight_hh_rows", None)  # [G*H, H_out] row-major, float32 nets only
        self.step = {"lstm": self.lstm, "gru": self.gru, "rnn": self.rnn}[model.cell]
        self._buffers: dict[int, Buffers] = {}

    def buffers(self, rows: int) -> Buffers:
        """The scratch for ``rows`` rows, made on first use."""
        found = self._buffers.get(rows)
        if found is None:
            found = self._buffers[rows] = Buffers(rows, self.gates, self.hidden, self.dtype, self.wide)
        return found

    def recurrent(self, h: np.ndarray, s: Buffers) -> np.ndarray:
        """``W_hh h_{t-1}`` for every row: [n, G*H] (net dtype), a view of ``s.product`` or ``s.product_t``."""
        if self.weight_hh_rows is not None and h.shape[0] > 1:
            return np.matmul(self.weight_hh_rows, h.T, out=s.product_t).T  # [G*H, n] computed, read transposed
        return np.dot(h, self.weight_hh_t, out=s.product)

    def clip(self, a: np.ndarray) -> None:
        """``a <- clip(a)`` to ``[-bound, bound]``; no bound, no change."""
        if self.bound is not None:
            np.clip(a, -self.bound, self.bound, out=a)

    def rnn(self, a_x: np.ndarray, h: np.ndarray, c: np.ndarray | None, h_out: np.ndarray) -> None:
        """``h_t = phi(clip((a_x + b_hh) + W_hh h_{t-1}))``, ``phi`` = tanh or relu; a [n, H] wide."""
        s = self.buffers(h.shape[0])
        np.add(a_x, self.recurrent(h, s), out=s.a)  # [n, H]
        self.clip(s.a)
        if self.model.nonlinearity == "relu":
            np.maximum(s.a, 0.0, out=h_out)  # NaN stays NaN
        else:
            np.tanh(s.a, out=h_out)

    def lstm(self, a_x: np.ndarray, h: np.ndarray, c: np.ndarray | None, h_out: np.ndarray) -> None:
        """Gates ``i, f, g, o``; peepholes ``p_*`` and projection ``W_hr`` when set.

        ``a = (a_x + b_hh) + W_hh h_{t-1}`` [n, 4H] wide, split into ``a_i, a_f, a_g, a_o``;
        ``i = sigmoid(clip(a_i + p_i * c_{t-1}))``, ``f = sigmoid(clip(a_f + p_f * c_{t-1}))``,
        ``g = tanh(clip(a_g))``, ``c_t = f * c_{t-1} + i * g``,
        ``o = sigmoid(clip(a_o + p_o * c_t))``, ``h_t = o * tanh(c_t)``, then ``h_t = W_hr h_t``.
        """
        assert c is not None  # [n, H], overwritten with c_t
        s, hidden, w = self.buffers(h.shape[0]), self.hidden, self.w
        a = np.add(a_x, self.recurrent(h, s), out=s.a)  # [n, 4H] wide
        a_i, a_f, a_g, a_o = a[:, :hidden], a[:, hidden : 2 * hidden], a[:, 2 * hidden : 3 * hidden], a[:, 3 * hidden :]
        if w.peephole_i is None:  # every block clipped, then one sigmoid over [n, 4H] (its g block unused)
            self.clip(a)
            np.tanh(a_g, out=s.t)  # g
            sigmoid_inplace(a)  # i, f, o
        else:
            np.multiply(w.peephole_i, c, out=s.c)
            np.add(a_i, s.c, out=a_i)
            np.multiply(w.peephole_f, c, out=s.c)
            np.add(a_f, s.c, out=a_f)
            self.clip(a[:, : 3 * hidden])  # i, f, g
            np.tanh(a_g, out=s.t)  # g
            sigmoid_inplace(a[:, : 2 * hidden])  # i, f
        np.multiply(a_i, s.t, out=s.t)  # i * g
        np.multiply(a_f, c, out=s.c)  # f * c_{t-1}
        np.add(s.c, s.t, out=s.c)  # c_t = f * c_{t-1} + i * g, wide
        if w.peephole_o is not None:
            np.multiply(w.peephole_o, s.c, out=s.t)
            np.add(a_o, s.t, out=a_o)
            self.clip(a_o)
            sigmoid_inplace(a_o)  # o
        np.copyto(c, s.c, casting="same_kind")  # c_t stored: rounded once
        np.tanh(s.c, out=s.t)
        if w.weight_hr is None:
            np.multiply(a_o, s.t, out=h_out)  # h_t = o * tanh(c_t), rounded once
        else:
            np.multiply(a_o, s.t, out=s.h)  # [n, H], rounded once
            np.dot(s.h, w.weight_hr.T, out=h_out)  # [n, P]: W_hr h_t

    def gru(self, a_x: np.ndarray, h: np.ndarray, c: np.ndarray | None, h_out: np.ndarray) -> None:
        """Gates ``r, z, n``: ``r = sigmoid(clip(a_xr + b_hr + W_hr h))``, ``z`` likewise;
        linear_before_reset (PyTorch, ONNX lbr=1): ``n = tanh(clip(a_xn + r * (W_hn h + b_hn)))``;
        otherwise (Cho et al. 2014): ``n = tanh(clip((a_xn + b_hn) + W_hn (r * h)))``, ``r * h`` rounded to the
        net's dtype for its product; ``h_t = (1 - z) * n + z * h``.
        """
        s, rz, w = self.buffers(h.shape[0]), 2 * self.hidden, self.w
        product = s.product  # [n, 3H] net dtype
        if self.model.linear_before_reset:
            product = self.recurrent(h, s)  # all three gates in one product
        else:
            np.matmul(h, self.weight_hh_t[:, :rz], out=product[:, :rz])  # n needs r first (matmul: a strided out)
        a_rz, a_n = s.a[:, :rz], s.a[:, rz:]  # [n, 2H], [n, H] wide
        np.add(a_x[:, :rz], product[:, :rz], out=a_rz)
        self.clip(a_rz)
        sigmoid_inplace(a_rz)
        r, z = a_rz[:, : self.hidden], a_rz[:, self.hidden :]
        if self.model.linear_before_reset:
            np.add(product[:, rz:], w.bias_hh[rz:], out=a_n)  # W_hn h + b_hn
            np.multiply(r, a_n, out=a_n)
            np.add(a_x[:, rz:], a_n, out=a_n)
        else:
            np.multiply(r, h, out=s.h)  # r * h, rounded to the net's dtype
            np.matmul(s.h, self.weight_hh_t[:, rz:], out=product[:, rz:])
            np.add(a_x[:, rz:], product[:, rz:], out=a_n)
        self.clip(a_n)
        np.tanh(a_n, out=a_n)  # n
        np.multiply(z, h, out=s.t)  # z * h
        np.subtract(1.0, z, out=z)
        np.multiply(z, a_n, out=a_n)  # (1 - z) * n
        np.add(a_n, s.t, out=h_out)  # h_t, rounded once

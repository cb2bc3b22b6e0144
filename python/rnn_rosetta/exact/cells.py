"""One time step of each cell, docs/exact-kernel.md ("One time step"), over a batch of rows.

The pre-activations are dd sums of the input projection ``gi`` (computed for every step before
the loop, :func:`rnn_rosetta.exact.dot.dot`) and the recurrent product ``gh``; the gates are the
dd elementary functions; every stored value is ``round(d) = d.hi``, then ``store`` (identity in
float64, the rounding to float32 in a float32 net). Gate blocks follow the fixture: LSTM
``i, f, g, o``, GRU ``r, z, n``; unit ``j`` of gate ``g`` is column ``g*H + j``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnn_rosetta.exact.dd import DD, dd, dd_add, dd_mul, dd_sub, two_prod
from rnn_rosetta.exact.dot import SplitMatrix, dot, dot_dd
from rnn_rosetta.exact.elementary import ONE, clip_dd, relu_dd, sigmoid_dd, tanh_dd
from rnn_rosetta.model import DirectionWeights

#: ``store(x)``: a stored value in the net's precision (float64 values either way).
Store = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class CellOptions:
    """What a step needs of the model besides the weights."""

    cell: str  # rnn, lstm, gru
    hidden_size: int  # H
    nonlinearity: str  # rnn: tanh or relu
    linear_before_reset: bool  # gru
    clip: float | None  # already rounded to the net's dtype
    store: Store


@dataclass(frozen=True)
class ExactDirection:
    """One direction of one layer, prepared once: float64 values of the dtype-rounded weights, splits."""

    w_ih: SplitMatrix  # W_ih [G*H, I_l]
    b_ih: np.ndarray  # [G*H]
    w_hh: SplitMatrix  # W_hh [G*H, H_out]; the Cho GRU: only the r, z rows [2H, H]
    b_hh: np.ndarray  # [G*H]; the Cho GRU: the r, z part [2H]
    w_hn: SplitMatrix | None  # the Cho GRU's W_hn [H, H]
    b_hn: np.ndarray | None  # [H]
    w_hr: SplitMatrix | None  # LSTM projection [P, H]
    peepholes: tuple[np.ndarray, np.ndarray, np.ndarray] | None  # p_i, p_f, p_o [H] each

    @classmethod
    def of(cls, w: DirectionWeights, options: CellOptions) -> ExactDirection:
        def f64(a: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(a, dtype=np.float64)

        w_hh, b_hh = f64(w.weight_hh), f64(w.bias_hh)
        w_hn = b_hn = None
        if options.cell == "gru" and not options.linear_before_reset:
            rz = 2 * options.hidden_size
            w_hn, b_hn = SplitMatrix.of(w_hh[rz:]), b_hh[rz:].copy()
            w_hh, b_hh = w_hh[:rz], b_hh[:rz].copy()
        peepholes = None
        if w.peephole_i is not None and w.peephole_f is not None and w.peephole_o is not None:
            peepholes = (f64(w.peephole_i), f64(w.peephole_f), f64(w.peephole_o))
        return cls(
            w_ih=SplitMatrix.of(w.weight_ih), b_ih=f64(w.bias_ih), w_hh=SplitMatrix.of(w_hh), b_hh=b_hh,
            w_hn=w_hn, b_hn=b_hn, w_hr=None if w.weight_hr is None else SplitMatrix.of(w.weight_hr),
            peepholes=peepholes,
        )  # fmt: skip


def _cols(a: DD, start: int, stop: int) -> DD:
    """Columns ``start:stop`` of a dd ``[B, G*H]``."""
    return a[0][:, start:stop], a[1][:, start:stop]


def rnn_step(o: CellOptions, w: ExactDirection, gi: DD, h: np.ndarray) -> np.ndarray:
    """``h_t = round(phi(clip(a)))``, ``a = gi + (b_hh + W_hh h_{t-1})``, ``phi`` = tanh_dd or relu_dd.

    gi dd [B, H], h [B, H] -> h_t [B, H]
    """
    a = clip_dd(dd_add(gi, dot(h, w.w_hh, w.b_hh)), o.clip)
    y = relu_dd(a) if o.nonlinearity == "relu" else tanh_dd(a)
    return o.store(y[0])


def lstm_step(o: CellOptions, w: ExactDirection, gi: DD, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LSTM, with ``a = gi + gh`` split into ``a_i, a_f, a_g, a_o`` ([B, H] each):

    - peepholes: ``a_i += two_prod(c_{t-1}, p_i)``, ``a_f += two_prod(c_{t-1}, p_f)``
    - ``i = sigmoid(clip(a_i))``, ``f = sigmoid(clip(a_f))``, ``g = tanh(clip(a_g))``
    - ``c_t = f * c_{t-1} + i * g`` (dd)
    - peephole o: ``a_o += c_t * p_o`` (the dd ``c_t``); ``o = sigmoid(clip(a_o))``
    - ``m = o * tanh(c_t)``; ``c_t = round(c_t)``, ``m = round(m)``
    - projection: ``h_t = round(W_hr m)`` (no bias) over the rounded ``m``; else ``h_t = m``.

    gi dd [B, 4H], h [B, H_out], c [B, H] -> h_t [B, H_out], c_t [B, H]
    """
    size = o.hidden_size
    a = dd_add(gi, dot(h, w.w_hh, w.b_hh))  # [B, 4H]
    a_o = _cols(a, 3 * size, 4 * size)
    if w.peepholes is None:
        gates = sigmoid_dd(clip_dd(a, o.clip))  # every block; the g block's value is not used
        i, f, o_gate = _cols(gates, 0, size), _cols(gates, size, 2 * size), _cols(gates, 3 * size, 4 * size)
    else:
        p_i, p_f, _ = w.peepholes
        a_i = dd_add(_cols(a, 0, size), two_prod(c, p_i))
        a_f = dd_add(_cols(a, size, 2 * size), two_prod(c, p_f))
        i_f = sigmoid_dd(clip_dd((np.hstack([a_i[0], a_f[0]]), np.hstack([a_i[1], a_f[1]])), o.clip))
        i, f = _cols(i_f, 0, size), _cols(i_f, size, 2 * size)
    g = tanh_dd(clip_dd(_cols(a, 2 * size, 3 * size), o.clip))
    c_t = dd_add(dd_mul(f, dd(c)), dd_mul(i, g))  # c_t = f * c_{t-1} + i * g
    if w.peepholes is not None:
        a_o = dd_add(a_o, dd_mul(c_t, dd(w.peepholes[2])))
        o_gate = sigmoid_dd(clip_dd(a_o, o.clip))
    m = dd_mul(o_gate, tanh_dd(c_t))[0]  # m = round(o * tanh(c_t))   [B, H]
    c_new = o.store(c_t[0])
    if w.w_hr is None:
        return o.store(m), c_new
    return o.store(dot(m, w.w_hr, None)[0]), c_new  # h_t = round(W_hr m)   [B, P]


def gru_step(o: CellOptions, w: ExactDirection, gi: DD, h: np.ndarray) -> np.ndarray:
    """GRU: ``r = sigmoid(clip(a_r))``, ``z = sigmoid(clip(a_z))``, then the new gate

    - linear before reset (PyTorch): ``n = tanh(clip(gi_n + r * gh_n))``
    - reset before linear (Cho): ``rh = r * h_{t-1}`` (dd), ``n = tanh(clip(gi_n + (b_hn + W_hn rh)))``

    and ``h_t = round((1 - z) * n + z * h_{t-1})``. gi dd [B, 3H], h [B, H] -> h_t [B, H]
    """
    size = o.hidden_size
    gh = dot(h, w.w_hh, w.b_hh)  # [B, 3H] (Cho: [B, 2H])
    rz = sigmoid_dd(clip_dd(dd_add(_cols(gi, 0, 2 * size), _cols(gh, 0, 2 * size)), o.clip))
    r, z = _cols(rz, 0, size), _cols(rz, size, 2 * size)
    gi_n = _cols(gi, 2 * size, 3 * size)
    if w.w_hn is None:
        a_n = dd_add(gi_n, dd_mul(r, _cols(gh, 2 * size, 3 * size)))
    else:
        assert w.b_hn is not None
        rh = dd_mul(r, dd(h))  # [B, H] dd
        a_n = dd_add(gi_n, dot_dd(rh, w.w_hn, w.b_hn))
    n = tanh_dd(clip_dd(a_n, o.clip))
    h_t = dd_add(dd_mul(dd_sub(ONE, z), n), dd_mul(z, dd(h)))
    return o.store(h_t[0])

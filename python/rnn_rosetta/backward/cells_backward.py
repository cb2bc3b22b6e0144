"""One step of each cell, forward (keeping what the backward step needs) and backward.

The forward equations are those of :mod:`rnn_rosetta.reference`, batched over the rows that run at a
step; each ``*_step`` returns the new state and a *tape* (the step's inputs and intermediate values),
and each ``*_step_backward`` takes the tape and the gradient of the loss with respect to the new state
and returns the gradients with respect to the step's input and previous state, adding the weight
gradients into ``grads`` (a dict keyed by the fixture's array names: ``weight_ih``, ``bias_hh``, ...).

Notation: ``d<v>`` is ``dL/dv`` for the scalar loss ``L``; ``*`` is element-wise; for a row-batch
``x [B, K]`` and a weight ``W [N, K]`` the product ``W x`` is written ``x @ W.T``, so its backward is
``dx = dv @ W`` and ``dW += dv.T @ x``. Derivatives used: ``sigmoid' = s (1 - s)``,
``tanh' = 1 - tanh^2``, ``relu'(a) = 1 if a > 0 else 0`` (0 at ``a = 0``, as PyTorch), and
``clip'(a) = 1 if -bound <= a <= bound else 0`` (a clamped value does not move: ONNX's clip).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_rosetta.model import DirectionWeights, Model
from rnn_rosetta.reference import clip, relu, sigmoid

Grads = dict[str, np.ndarray]


def clip_slope(a: np.ndarray, bound: float | None) -> np.ndarray | float:
    """``clip'(a)``: 1 where ``a`` passed through the clamp (NaN included), 0 where it was clamped."""
    if bound is None:
        return 1.0
    return np.where((a < -bound) | (a > bound), 0.0, 1.0).astype(a.dtype)


def add_linear_grads(grads: Grads, weight: str, bias: str, da: np.ndarray, v: np.ndarray) -> None:
    """For ``a = v @ W.T + b`` (rows): ``dW += da.T @ v``, ``db += sum_rows da``."""
    grads[weight] += da.T @ v  # [N, K]
    grads[bias] += da.sum(axis=0)  # [N]


# -- Elman RNN ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RnnTape:
    x: np.ndarray  # [B, I_l]
    h: np.ndarray  # [B, H]   h_{t-1}
    a: np.ndarray  # [B, H]   pre-activation before clip
    h_t: np.ndarray  # [B, H]


def rnn_step(model: Model, w: DirectionWeights, x: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, RnnTape]:
    """``h_t = phi(clip(x W_ih^T + b_ih + h W_hh^T + b_hh))``.  x [B, I_l], h [B, H] -> h_t [B, H]"""
    a = x @ w.weight_ih.T + w.bias_ih + h @ w.weight_hh.T + w.bias_hh  # [B, H]
    s = clip(a, model.clip)
    h_t = relu(s) if model.nonlinearity == "relu" else np.tanh(s)
    return h_t, RnnTape(x, h, a, h_t)


def rnn_step_backward(
    model: Model, w: DirectionWeights, tape: RnnTape, dh_t: np.ndarray, grads: Grads
) -> tuple[np.ndarray, np.ndarray]:
    """Backward of :func:`rnn_step`:

    - ``da = dh_t * phi'(clip(a)) * clip'(a)``, ``phi' = 1 - h_t^2`` (tanh) or ``[clip(a) > 0]`` (relu)
    - ``dW_ih += da^T x``, ``dW_hh += da^T h_{t-1}``, ``db_ih += sum da``, ``db_hh += sum da``
    - ``dx = da W_ih``, ``dh_{t-1} = da W_hh``

    -> dx [B, I_l], dh_{t-1} [B, H]
    """
    if model.nonlinearity == "relu":
        slope = (tape.h_t > 0).astype(dh_t.dtype)  # relu'(s) = [s > 0], and h_t = s there
    else:
        slope = 1.0 - tape.h_t * tape.h_t  # tanh'(s) = 1 - h_t^2
    da = dh_t * slope * clip_slope(tape.a, model.clip)  # [B, H]
    add_linear_grads(grads, "weight_ih", "bias_ih", da, tape.x)
    add_linear_grads(grads, "weight_hh", "bias_hh", da, tape.h)
    return da @ w.weight_ih, da @ w.weight_hh


# -- LSTM -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LstmTape:
    x: np.ndarray  # [B, I_l]
    h: np.ndarray  # [B, H_out]   h_{t-1}
    c: np.ndarray  # [B, H]       c_{t-1}
    z: np.ndarray  # [B, 4H]      the four gates' pre-activations before clip (peephole terms included)
    i: np.ndarray  # [B, H]
    f: np.ndarray  # [B, H]
    g: np.ndarray  # [B, H]
    o: np.ndarray  # [B, H]
    c_t: np.ndarray  # [B, H]
    tanh_c: np.ndarray  # [B, H]     tanh(c_t)
    m: np.ndarray  # [B, H]       o * tanh(c_t), before the projection


def lstm_step(
    model: Model, w: DirectionWeights, x: np.ndarray, h: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray, LstmTape]:
    """The LSTM step of :func:`rnn_rosetta.reference.lstm_cell`, on rows.

    ``a = x W_ih^T + b_ih + h W_hh^T + b_hh`` = ``[a_i, a_f, a_g, a_o]``;
    ``z_i = a_i + p_i * c``, ``z_f = a_f + p_f * c``, ``z_g = a_g``;
    ``i = sigmoid(clip(z_i))``, ``f = sigmoid(clip(z_f))``, ``g = tanh(clip(z_g))``;
    ``c_t = f * c + i * g``; ``z_o = a_o + p_o * c_t``, ``o = sigmoid(clip(z_o))``;
    ``m = o * tanh(c_t)``; ``h_t = m W_hr^T`` with a projection, else ``m``.

    x [B, I_l], h [B, H_out], c [B, H] -> h_t [B, H_out], c_t [B, H]
    """
    a = x @ w.weight_ih.T + w.bias_ih + h @ w.weight_hh.T + w.bias_hh  # [B, 4H]
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)  # [B, H] each
    z_i = a_i if w.peephole_i is None else a_i + w.peephole_i * c
    z_f = a_f if w.peephole_f is None else a_f + w.peephole_f * c
    i = sigmoid(clip(z_i, model.clip))
    f = sigmoid(clip(z_f, model.clip))
    g = np.tanh(clip(a_g, model.clip))
    c_t = f * c + i * g  # [B, H]
    z_o = a_o if w.peephole_o is None else a_o + w.peephole_o * c_t
    o = sigmoid(clip(z_o, model.clip))
    tanh_c = np.tanh(c_t)
    m = o * tanh_c  # [B, H]
    h_t = m if w.weight_hr is None else m @ w.weight_hr.T  # [B, H_out]
    z = np.concatenate([z_i, z_f, a_g, z_o], axis=1)  # [B, 4H]
    return h_t, c_t, LstmTape(x, h, c, z, i, f, g, o, c_t, tanh_c, m)


def lstm_step_backward(
    model: Model, w: DirectionWeights, tape: LstmTape, dh_t: np.ndarray, dc_t: np.ndarray, grads: Grads
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of :func:`lstm_step`, given ``dh_t`` [B, H_out] and ``dc_t`` [B, H] (from step t+1):

    - projection: ``dW_hr += dh_t^T m``, ``dm = dh_t W_hr`` (without one, ``dm = dh_t``)
    - ``dz_o = dm * tanh(c_t) * o (1 - o) * clip'(z_o)``, ``dp_o += sum dz_o * c_t``
    - ``dc = dc_t + dm * o * (1 - tanh(c_t)^2) + dz_o * p_o``    (all paths into c_t)
    - ``dz_i = dc * g * i (1 - i) * clip'(z_i)``, ``dz_f = dc * c_{t-1} * f (1 - f) * clip'(z_f)``,
      ``dz_g = dc * i * (1 - g^2) * clip'(z_g)``
    - ``dp_i += sum dz_i * c_{t-1}``, ``dp_f += sum dz_f * c_{t-1}``
    - ``dc_{t-1} = dc * f + dz_i * p_i + dz_f * p_f``
    - ``da = [dz_i, dz_f, dz_g, dz_o]``: ``dW_ih += da^T x``, ``dW_hh += da^T h_{t-1}``, both biases ``+= sum da``
    - ``dx = da W_ih``, ``dh_{t-1} = da W_hh``

    -> dx [B, I_l], dh_{t-1} [B, H_out], dc_{t-1} [B, H]
    """
    slope = np.broadcast_to(clip_slope(tape.z, model.clip), tape.z.shape)  # [B, 4H]: clip' of every gate
    slope_i, slope_f, slope_g, slope_o = np.split(slope, 4, axis=1)  # [B, H] each
    if w.weight_hr is not None:
        grads["weight_hr"] += dh_t.T @ tape.m  # [P, H]
        dm = dh_t @ w.weight_hr  # [B, H]
    else:
        dm = dh_t
    dz_o = dm * tape.tanh_c * tape.o * (1.0 - tape.o) * slope_o  # [B, H]
    dc = dc_t + dm * tape.o * (1.0 - tape.tanh_c * tape.tanh_c)
    if w.peephole_o is not None:
        dc = dc + dz_o * w.peephole_o
        grads["peephole_o"] += (dz_o * tape.c_t).sum(axis=0)
    dz_i = dc * tape.g * tape.i * (1.0 - tape.i) * slope_i
    dz_f = dc * tape.c * tape.f * (1.0 - tape.f) * slope_f
    dz_g = dc * tape.i * (1.0 - tape.g * tape.g) * slope_g
    dc_prev = dc * tape.f
    if w.peephole_i is not None and w.peephole_f is not None:
        dc_prev = dc_prev + dz_i * w.peephole_i + dz_f * w.peephole_f
        grads["peephole_i"] += (dz_i * tape.c).sum(axis=0)
        grads["peephole_f"] += (dz_f * tape.c).sum(axis=0)
    da = np.concatenate([dz_i, dz_f, dz_g, dz_o], axis=1)  # [B, 4H]
    add_linear_grads(grads, "weight_ih", "bias_ih", da, tape.x)
    add_linear_grads(grads, "weight_hh", "bias_hh", da, tape.h)
    return da @ w.weight_ih, da @ w.weight_hh, dc_prev


# -- GRU ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GruTape:
    x: np.ndarray  # [B, I_l]
    h: np.ndarray  # [B, H]   h_{t-1}
    z_rz: np.ndarray  # [B, 2H]  pre-activations of r and z before clip
    z_n: np.ndarray  # [B, H]   pre-activation of n before clip
    r: np.ndarray  # [B, H]
    z: np.ndarray  # [B, H]
    n: np.ndarray  # [B, H]
    hn: np.ndarray  # [B, H]   W_hn h + b_hn (linear_before_reset), else r * h (what W_hn reads)


def gru_step(model: Model, w: DirectionWeights, x: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, GruTape]:
    """The GRU step of :func:`rnn_rosetta.reference.gru_cell`, on rows.

    ``r = sigmoid(clip(x W_ir^T + b_ir + h W_hr^T + b_hr))``, ``z`` likewise with the ``z`` blocks;
    linear before reset: ``n = tanh(clip(x W_in^T + b_in + r * (h W_hn^T + b_hn)))``;
    reset before linear (Cho): ``n = tanh(clip(x W_in^T + b_in + (r * h) W_hn^T + b_hn))``;
    ``h_t = (1 - z) * n + z * h``.

    x [B, I_l], h [B, H] -> h_t [B, H]
    """
    size = model.hidden_size
    a_x = x @ w.weight_ih.T + w.bias_ih  # [B, 3H]
    z_rz = a_x[:, : 2 * size] + h @ w.weight_hh[: 2 * size].T + w.bias_hh[: 2 * size]  # [B, 2H]
    r, z = np.split(sigmoid(clip(z_rz, model.clip)), 2, axis=1)  # [B, H] each
    w_hn, b_hn = w.weight_hh[2 * size :], w.bias_hh[2 * size :]  # [H, H], [H]
    if model.linear_before_reset:
        hn = h @ w_hn.T + b_hn  # [B, H]
        z_n = a_x[:, 2 * size :] + r * hn
    else:
        hn = r * h  # [B, H]
        z_n = a_x[:, 2 * size :] + hn @ w_hn.T + b_hn
    n = np.tanh(clip(z_n, model.clip))
    h_t = (1.0 - z) * n + z * h
    return h_t, GruTape(x, h, z_rz, z_n, r, z, n, hn)


def gru_step_backward(
    model: Model, w: DirectionWeights, tape: GruTape, dh_t: np.ndarray, grads: Grads
) -> tuple[np.ndarray, np.ndarray]:
    """Backward of :func:`gru_step`:

    - ``dn = dh_t * (1 - z)``, ``dz = dh_t * (h_{t-1} - n)``, ``dh_{t-1} = dh_t * z`` (+ the terms below)
    - ``da_n = dn * (1 - n^2) * clip'(z_n)``
    - linear before reset: ``dr = da_n * (W_hn h_{t-1} + b_hn)``; the ``n`` rows of ``W_hh, b_hh`` get
      ``da_hn = da_n * r`` on input ``h_{t-1}``;
      Cho: ``d(r*h) = da_n W_hn``, ``dr = d(r*h) * h_{t-1}``, ``dh_{t-1} += d(r*h) * r``; the ``n`` rows
      of ``W_hh, b_hh`` get ``da_n`` on input ``r * h_{t-1}``
    - ``da_r = dr * r (1 - r) * clip'(.)``, ``da_z = dz * z (1 - z) * clip'(.)``
    - ``W_ih, b_ih`` get ``[da_r, da_z, da_n]`` on input ``x``; the ``r, z`` rows of ``W_hh, b_hh`` get
      ``[da_r, da_z]`` on input ``h_{t-1}``
    - ``dx = [da_r, da_z, da_n] W_ih``, ``dh_{t-1} += [da_r, da_z] W_hh[r, z] (+ da_hn W_hn, lbr)``

    -> dx [B, I_l], dh_{t-1} [B, H]
    """
    size = model.hidden_size
    w_hn = w.weight_hh[2 * size :]  # [H, H]
    dn = dh_t * (1.0 - tape.z)
    dz = dh_t * (tape.h - tape.n)
    dh_prev = dh_t * tape.z
    da_n = dn * (1.0 - tape.n * tape.n) * clip_slope(tape.z_n, model.clip)  # [B, H]
    if model.linear_before_reset:
        dr = da_n * tape.hn
        da_hn = da_n * tape.r  # gradient of W_hn h + b_hn
        dh_prev = dh_prev + da_hn @ w_hn
    else:
        d_rh = da_n @ w_hn  # [B, H]
        dr = d_rh * tape.h
        dh_prev = dh_prev + d_rh * tape.r
        da_hn = da_n  # W_hn reads r * h here
    rz = np.concatenate([tape.r, tape.z], axis=1)  # [B, 2H]
    d_rz = np.concatenate([dr, dz], axis=1) * rz * (1.0 - rz) * clip_slope(tape.z_rz, model.clip)  # [B, 2H]
    da_x = np.concatenate([d_rz, da_n], axis=1)  # [B, 3H]
    add_linear_grads(grads, "weight_ih", "bias_ih", da_x, tape.x)
    grads["weight_hh"][: 2 * size] += d_rz.T @ tape.h
    grads["bias_hh"][: 2 * size] += d_rz.sum(axis=0)
    grads["weight_hh"][2 * size :] += da_hn.T @ (tape.h if model.linear_before_reset else tape.hn)
    grads["bias_hh"][2 * size :] += da_hn.sum(axis=0)
    dh_prev = dh_prev + d_rz @ w.weight_hh[: 2 * size]
    return da_x @ w.weight_ih, dh_prev


# -- any cell -------------------------------------------------------------------------------------

Tape = RnnTape | LstmTape | GruTape


def cell_step(
    model: Model, w: DirectionWeights, x: np.ndarray, h: np.ndarray, c: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None, Tape]:
    """One step of the model's cell on rows: ``(h_t, c_t, tape)``, ``c_t`` None for rnn and gru."""
    if model.cell == "lstm":
        assert c is not None
        return lstm_step(model, w, x, h, c)
    if model.cell == "gru":
        h_t, gru_tape = gru_step(model, w, x, h)
        return h_t, None, gru_tape
    h_t, rnn_tape = rnn_step(model, w, x, h)
    return h_t, None, rnn_tape


def cell_step_backward(
    model: Model, w: DirectionWeights, tape: Tape, dh_t: np.ndarray, dc_t: np.ndarray | None, grads: Grads
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Backward of :func:`cell_step`: ``(dx, dh_{t-1}, dc_{t-1})``, ``dc_{t-1}`` None for rnn and gru."""
    if isinstance(tape, LstmTape):
        assert dc_t is not None
        return lstm_step_backward(model, w, tape, dh_t, dc_t, grads)
    if isinstance(tape, GruTape):
        dx, dh = gru_step_backward(model, w, tape, dh_t, grads)
        return dx, dh, None
    dx, dh = rnn_step_backward(model, w, tape, dh_t, grads)
    return dx, dh, None

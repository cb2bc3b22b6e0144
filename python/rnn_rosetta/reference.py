"""The numpy reference: every equation of docs/fixture-format.md, written to be read.

This is the numpy backend's kernel ``"plain"``. It runs one sequence at a
time, one step at a time, one gate per line; the backend's default kernel
(:mod:`rnn_rosetta.backends.numpy_fast`) computes the same equations in
batched form, and the tests hold both to every committed fixture.

Notation: ``T`` time steps, ``B`` batch, ``I`` input size, ``H`` hidden
size, ``H_out`` the state size (``proj_size`` when set, else ``H``).
Weights are in the canonical layout (:mod:`rnn_rosetta.model`): gate rows
stacked ``i, f, g, o`` (lstm) and ``r, z, n`` (gru). It computes in the dtype
of its arrays (float64, or float32 when weights and inputs are float32).

The scalar functions are written the same way in C and Java (``sigmoid``
splits on the sign, ``relu`` and ``clip`` let NaN through, ``softmax``
subtracts the maximum), so the three agree to the last bits where the
platform's ``exp`` and ``tanh`` allow.
"""

from __future__ import annotations

import numpy as np

from rnn_rosetta.model import DirectionWeights, Head, Model
from rnn_rosetta.result import Result

# -- scalar functions (element-wise) ----------------------------------------------


def sigmoid(a: np.ndarray) -> np.ndarray:
    """``sigmoid(a) = 1 / (1 + exp(-a))``, evaluated as ``exp(a) / (1 + exp(a))`` for ``a < 0``.

    Both branches divide by ``1 + e`` with ``e = exp(-|a|)`` in (0, 1], so
    neither overflows; NaN stays NaN (``NaN >= 0`` is false, ``e`` is NaN).
    """
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0, e) / (1.0 + e)


def relu(a: np.ndarray) -> np.ndarray:
    """``relu(a) = max(a, 0)``; NaN stays NaN."""
    return np.where(a < 0, 0.0, a)


def clip(a: np.ndarray, bound: float | None) -> np.ndarray:
    """Clamp a gate pre-activation to ``[-bound, bound]`` (ONNX ``clip``); no bound, no change; NaN stays NaN."""
    if bound is None:
        return a
    return np.where(a < -bound, -bound, np.where(a > bound, bound, a))


def softmax(v: np.ndarray) -> np.ndarray:
    """``softmax(v)_k = exp(v_k - max v) / sum_j exp(v_j - max v)`` over the last axis."""
    e = np.exp(v - v.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def peephole(p: np.ndarray | None, c: np.ndarray) -> np.ndarray | float:
    """The peephole term ``p * c`` of an lstm gate; 0 for a model without peepholes."""
    return 0.0 if p is None else p * c


# -- one step of one sequence ----------------------------------------------------


def rnn_cell(model: Model, w: DirectionWeights, x_t: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Elman RNN: ``h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``, ``phi`` = tanh or relu.

    x_t [I_l], h [H] -> h_t [H]
    """
    a = clip(w.weight_ih @ x_t + w.bias_ih + w.weight_hh @ h + w.bias_hh, model.clip)  # [H]
    return relu(a) if model.nonlinearity == "relu" else np.tanh(a)


def lstm_cell(
    model: Model, w: DirectionWeights, x_t: np.ndarray, h: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """LSTM. ``a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh`` split into ``a_i, a_f, a_g, a_o``; then

    - input gate      ``i = sigmoid(a_i + p_i * c_{t-1})``
    - forget gate     ``f = sigmoid(a_f + p_f * c_{t-1})``
    - cell candidate  ``g = tanh(a_g)``
    - cell state      ``c_t = f * c_{t-1} + i * g``
    - output gate     ``o = sigmoid(a_o + p_o * c_t)``
    - hidden state    ``h_t = o * tanh(c_t)``, then ``h_t = W_hr h_t`` with a projection.

    Peephole terms ``p_* * c`` only with ``peepholes``; ``clip`` clamps each
    gate's full pre-activation (peephole term included), never ``c_t``.

    x_t [I_l], h [H_out], c [H] -> h_t [H_out], c_t [H]
    """
    a = w.weight_ih @ x_t + w.bias_ih + w.weight_hh @ h + w.bias_hh  # [4H]
    a_i, a_f, a_g, a_o = np.split(a, 4)  # [H] each
    i = sigmoid(clip(a_i + peephole(w.peephole_i, c), model.clip))  # i = sigmoid(a_i + p_i * c_{t-1})
    f = sigmoid(clip(a_f + peephole(w.peephole_f, c), model.clip))  # f = sigmoid(a_f + p_f * c_{t-1})
    g = np.tanh(clip(a_g, model.clip))  # g = tanh(a_g)
    c_t = f * c + i * g  # c_t = f * c_{t-1} + i * g
    o = sigmoid(clip(a_o + peephole(w.peephole_o, c_t), model.clip))  # o = sigmoid(a_o + p_o * c_t)
    h_t = o * np.tanh(c_t)  # h_t = o * tanh(c_t)   [H]
    if w.weight_hr is not None:
        h_t = w.weight_hr @ h_t  # h_t = W_hr h_t   [P]
    return h_t, c_t


def gru_cell(model: Model, w: DirectionWeights, x_t: np.ndarray, h: np.ndarray) -> np.ndarray:
    """GRU. Gate blocks ``r, z, n`` of ``W_ih, b_ih`` (the ``i*`` parts) and ``W_hh, b_hh`` (the ``h*`` parts):

    - reset gate   ``r = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)``
    - update gate  ``z = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)``
    - new gate, linear before reset (PyTorch, ONNX lbr=1):
      ``n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn))``
    - new gate, reset before linear (Cho et al. 2014, ONNX default):
      ``n = tanh(W_in x_t + b_in + W_hn (r * h_{t-1}) + b_hn)``
    - hidden state ``h_t = (1 - z) * n + z * h_{t-1}``

    ``clip`` clamps each gate's pre-activation.

    x_t [I_l], h [H] -> h_t [H]
    """
    w_ir, w_iz, w_in = np.split(w.weight_ih, 3)  # [H, I_l] each
    w_hr, w_hz, w_hn = np.split(w.weight_hh, 3)  # [H, H] each
    b_ir, b_iz, b_in = np.split(w.bias_ih, 3)  # [H] each
    b_hr, b_hz, b_hn = np.split(w.bias_hh, 3)  # [H] each
    r = sigmoid(clip(w_ir @ x_t + b_ir + w_hr @ h + b_hr, model.clip))
    z = sigmoid(clip(w_iz @ x_t + b_iz + w_hz @ h + b_hz, model.clip))
    if model.linear_before_reset:
        n = np.tanh(clip(w_in @ x_t + b_in + r * (w_hn @ h + b_hn), model.clip))
    else:
        n = np.tanh(clip(w_in @ x_t + b_in + w_hn @ (r * h) + b_hn, model.clip))
    return (1.0 - z) * n + z * h


def cell_step(
    model: Model, w: DirectionWeights, x_t: np.ndarray, h: np.ndarray, c: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """One step of the model's cell: ``(h_t, c_t)``, ``c_t`` None for rnn and gru."""
    if model.cell == "lstm":
        assert c is not None
        return lstm_cell(model, w, x_t, h, c)
    if model.cell == "gru":
        return gru_cell(model, w, x_t, h), None
    return rnn_cell(model, w, x_t, h), None


# -- sequences, directions, layers ------------------------------------------------


def run_sequence(
    model: Model, w: DirectionWeights, x: np.ndarray, h: np.ndarray, c: np.ndarray | None, reverse: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One direction over one sequence of ``L`` valid steps: ``t = 0 .. L-1``, or ``L-1 .. 0`` reversed.

    The state at step ``t`` is written at position ``t`` (the input it read).

    x [L, I_l], h [H_out], c [H] or None -> output [L, H_out], h_n [H_out], c_n [H] or None
    """
    output = np.zeros((x.shape[0], h.shape[0]), dtype=x.dtype)  # [L, H_out]
    order = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    for t in order:
        h, c = cell_step(model, w, x[t], h, c)
        output[t] = h
    return output, h, c


def run_direction(
    model: Model,
    w: DirectionWeights,
    x: np.ndarray,
    lengths: np.ndarray,
    reverse: bool,
    h0: np.ndarray,
    c0: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One direction of one layer over the batch, each element ``b`` on its own first ``L_b`` steps.

    Padded positions (``t >= L_b``) stay zero; the state stops at the last step that ran.

    x [T, B, I_l], lengths [B], h0 [B, H_out], c0 [B, H] or None
    -> output [T, B, H_out], h_n [B, H_out], c_n [B, H] or None
    """
    steps, batch, _ = x.shape
    output = np.zeros((steps, batch, h0.shape[1]), dtype=x.dtype)  # [T, B, H_out]
    h_n = np.zeros_like(h0)  # [B, H_out]
    c_n = None if c0 is None else np.zeros_like(c0)  # [B, H]
    for b in range(batch):
        length = int(lengths[b])
        c_b = None if c0 is None else c0[b]
        out, h, c = run_sequence(model, w, x[:length, b], h0[b], c_b, reverse)
        output[:length, b] = out
        h_n[b] = h
        if c_n is not None:
            c_n[b] = c
    return output, h_n, c_n


def apply_head(head: Head, output: np.ndarray) -> np.ndarray:
    """``y_t = act(W_y output_t + b_y)`` at every ``(t, b)``, padded steps included: [T, B, D*H_out] -> [T, B, O]."""
    logits = output @ head.weight.T + head.bias  # [T, B, O]
    return softmax(logits) if head.activation == "softmax" else logits


def forward(
    model: Model,
    x: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    lengths: np.ndarray | None = None,
) -> Result:
    """The whole network over a batch of sequences: layers in order, directions per layer.

    Layer ``l > 0`` reads the concatenated outputs of layer ``l - 1``. States
    are ordered ``l0_fwd, l0_rev, l1_fwd, ...``; ``h0``/``c0`` None mean zeros,
    ``lengths`` None means every sequence is ``T`` steps long.

    x [T, B, I], h0 [L*D, B, H_out], c0 [L*D, B, H], lengths [B]
    -> output [T, B, D*H_out], h_n, c_n, y as in :class:`Result`.
    """
    steps, batch, _ = x.shape
    lengths = np.full(batch, steps, dtype=np.int64) if lengths is None else lengths
    h0 = np.zeros(model.state_shape(batch), dtype=x.dtype) if h0 is None else h0
    is_lstm = model.cell == "lstm"
    if is_lstm and c0 is None:
        c0 = np.zeros(model.cell_state_shape(batch), dtype=x.dtype)
    h_n, c_n = [], []
    layer_input = x  # [T, B, I_l]
    for index, layer in enumerate(model.layers):
        outputs = []
        for offset, (name, weights) in enumerate(layer.directions()):
            slot = index * model.num_directions + offset
            c_slot = c0[slot] if c0 is not None else None
            out, h, c = run_direction(model, weights, layer_input, lengths, name == "reverse", h0[slot], c_slot)
            outputs.append(out)
            h_n.append(h)
            c_n.append(c)
        layer_input = np.concatenate(outputs, axis=2)  # [T, B, D*H_out]
    y = None if model.head is None else apply_head(model.head, layer_input)
    return Result(output=layer_input, h_n=np.stack(h_n), c_n=np.stack(c_n) if is_lstm else None, y=y)

"""The numpy backend's default kernel ("auto"): the reference's equations, arranged for speed.

Same equations and scalar functions as :mod:`rnn_rosetta.reference` (which
is the numpy backend's kernel "plain", written to be read); three things
here are only about speed, and each is checked against every committed
fixture and against "plain" by the tests:

- ``a_x = W_ih x_t + b_ih`` is precomputed for all steps at once (one matrix
  product per layer and direction); each step adds ``W_hh h_{t-1} + b_hh``
  for the whole batch in one product;
- without peepholes, the LSTM's ``i``, ``f`` and ``o`` come from one sigmoid
  over the whole ``[B, 4H]`` block (its ``g`` part is computed and dropped:
  one call beats three on small blocks);
- when every sequence runs every step, the time loop takes plain slices;
  otherwise each step gathers the rows still running;
- :func:`model_as` stores matrices column-major, so ``rows @ W.T`` hands
  OpenBLAS a row-major operand.

It computes in the dtype of its arrays: float64 normally, float32 when the
model's weights and the inputs are float32.

Accuracy (issue 13, docs/accuracy.md): the matrix products run in the net's dtype (BLAS); everything
after them within a step -- adding the products and the biases, the gate functions, ``c_t = f*c + i*g``,
``o * tanh(c_t)``, the GRU's blend, the softmax -- runs in :func:`wide_dtype`, and each stored value
(state, output, head) is rounded to the net's dtype once. A float32 net's step thus runs in float64 (its
worst error against the exact result on the accuracy cases drops from 3.3 to 2.7 eps32; PyTorch float32:
3.3); a float64 net's in float64, as before (see :data:`FLOAT64_WIDE`).
"""

from __future__ import annotations

import numpy as np

from rnn_rosetta.model import DirectionWeights, Head, Model
from rnn_rosetta.reference import clip, relu, sigmoid
from rnn_rosetta.result import Result

#: The type a float64 net's step runs its elementwise part in: float64 itself (the same bits as before).
#: ``np.dtype(np.longdouble)`` (x87, 64-bit significand) would take the worst accuracy case from 2.6 to 1.5 eps
#: but make a step 1.2-3x slower (docs/accuracy.md, limits): not the default kernel's trade.
FLOAT64_WIDE = np.dtype(np.float64)
#: The same for a float32 net: float64 (worst accuracy case 2.7 eps32 instead of 3.3, PyTorch float32's 3.3).
FLOAT32_WIDE = np.dtype(np.float64)


def wide_dtype(dtype: np.dtype) -> np.dtype:
    """The type a step's elementwise part runs in: :data:`FLOAT32_WIDE` or :data:`FLOAT64_WIDE`."""
    return FLOAT32_WIDE if dtype == np.float32 else FLOAT64_WIDE


def widened(a: np.ndarray) -> np.ndarray:
    """``a`` (a product or a precomputed input projection) converted, exactly, to the wide type."""
    return a.astype(wide_dtype(a.dtype), copy=False)


def split_gates(a: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` gate blocks of ``a`` as views, in order: [B, count*H] -> [count, B, H]."""
    return a.reshape(a.shape[0], count, -1).swapaxes(0, 1)


def rnn_step(model: Model, w: DirectionWeights, a_x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Elman RNN: ``h_t = phi(a_x + W_hh h_{t-1} + b_hh)``, ``phi`` = tanh or relu (``a_x`` includes ``b_ih``).

    a_x [B, H], h [B, H] -> h_t [B, H] (the dtype of h)
    """
    a = clip(widened(a_x) + h @ w.weight_hh.T + w.bias_hh, clip_bound(model, h.dtype))  # [B, H] wide
    return (relu(a) if model.nonlinearity == "relu" else np.tanh(a)).astype(h.dtype)


def lstm_step(
    model: Model, w: DirectionWeights, a_x: np.ndarray, h: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """LSTM, gates ``i, f, g, o``; peepholes ``p_*`` and projection ``W_hr`` when set.

    ``a = a_x + W_hh h_{t-1} + b_hh``, split into ``a_i, a_f, a_g, a_o``;
    ``i = sigmoid(a_i + p_i * c_{t-1})``, ``f = sigmoid(a_f + p_f * c_{t-1})``,
    ``g = tanh(a_g)``, ``c_t = f * c_{t-1} + i * g``,
    ``o = sigmoid(a_o + p_o * c_t)``, ``h_t = o * tanh(c_t)``,
    then ``h_t = W_hr h_t`` with a projection. ``clip`` clamps each full
    pre-activation (peephole term included) before its sigmoid or tanh. ``a_x`` includes
    ``b_ih``; everything after the products up to ``h_t`` and ``c_t`` is wide, then rounded once.

    a_x [B, 4H], h [B, H_out], c [B, H] -> h_t [B, H_out], c_t [B, H] (the dtype of h)
    """
    bound = clip_bound(model, h.dtype)
    a = widened(a_x) + h @ w.weight_hh.T + w.bias_hh  # [B, 4H] wide
    a_i, a_f, a_g, a_o = split_gates(a, 4)  # [B, H] each
    g = np.tanh(clip(a_g, bound))
    c_w = widened(c)  # [B, H]
    if w.peephole_i is None:  # i, f and o from one sigmoid over [B, 4H] (its g block unused)
        i, f, _, o = split_gates(sigmoid(clip(a, bound)), 4)
        c_t = f * c_w + i * g  # [B, H] wide
    else:
        i = sigmoid(clip(a_i + w.peephole_i * c_w, bound))
        f = sigmoid(clip(a_f + w.peephole_f * c_w, bound))
        c_t = f * c_w + i * g  # [B, H] wide
        o = sigmoid(clip(a_o + w.peephole_o * c_t, bound))
    h_t = (o * np.tanh(c_t)).astype(h.dtype)  # [B, H]
    if w.weight_hr is not None:
        h_t = h_t @ w.weight_hr.T  # [B, P]
    return h_t, c_t.astype(h.dtype)


def gru_step(model: Model, w: DirectionWeights, a_x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """GRU, gates ``r, z, n``.

    ``r = sigmoid(a_xr + W_hr h + b_hr)``, ``z = sigmoid(a_xz + W_hz h + b_hz)``;
    linear_before_reset (PyTorch, ONNX lbr=1): ``n = tanh(a_xn + r * (W_hn h + b_hn))``;
    otherwise (Cho et al. 2014, ONNX default): ``n = tanh(a_xn + W_hn (r * h) + b_hn)``;
    ``h_t = (1 - z) * n + z * h``. ``clip`` clamps each pre-activation. ``a_x`` includes ``b_ih``;
    ``r * h`` is rounded to the dtype for its product (Cho), ``h_t`` once at the end.

    a_x [B, 3H], h [B, H] -> h_t [B, H] (the dtype of h)
    """
    rz = 2 * model.hidden_size  # r and z are the first 2H rows of every gate block
    bound = clip_bound(model, h.dtype)
    a_x = widened(a_x)  # [B, 3H] wide
    a_xrz, a_xn = a_x[:, :rz], a_x[:, rz:]  # [B, 2H], [B, H]
    if model.linear_before_reset:
        a_h = h @ w.weight_hh.T + w.bias_hh  # [B, 3H]: all three gates in one product
        a_hrz, a_hn = a_h[:, :rz], a_h[:, rz:]  # [B, 2H], [B, H]
    else:
        a_hrz = h @ w.weight_hh[:rz].T + w.bias_hh[:rz]  # [B, 2H]; n needs r first
    r, z = split_gates(sigmoid(clip(a_xrz + a_hrz, bound)), 2)  # [B, H] each, wide
    if model.linear_before_reset:
        a_n = a_xn + r * a_hn
    else:
        a_n = a_xn + (r * h).astype(h.dtype) @ w.weight_hh[rz:].T + w.bias_hh[rz:]
    n = np.tanh(clip(a_n, bound))
    return ((1.0 - z) * n + z * h).astype(h.dtype)


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """``x W^T (+ b)`` for every ``(t, b)`` as one matrix product: x [T, B, K], W [N, K] -> [T, B, N].

    (``x @ W.T`` on the 3-d array would run one product per time step, reading W T times.)
    """
    steps, batch, width = x.shape
    product = x.reshape(steps * batch, width) @ weight.T
    return (product if bias is None else product + bias).reshape(steps, batch, weight.shape[0])


def clip_bound(model: Model, dtype: np.dtype) -> float | None:
    """The model's clip as the net holds it: rounded to float32 in a float32 net (the wide type holds it exactly)."""
    if model.clip is None or dtype != np.float32:
        return model.clip
    return float(np.float32(model.clip))


def cell_step(
    model: Model, w: DirectionWeights, a_x: np.ndarray, h: np.ndarray, c: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """One step of the model's cell: ``(h_t, c_t)``, with ``c_t`` None for rnn and gru."""
    if model.cell == "lstm":
        assert c is not None
        return lstm_step(model, w, a_x, h, c)
    if model.cell == "gru":
        return gru_step(model, w, a_x, h), None
    return rnn_step(model, w, a_x, h), None


def run_direction(
    model: Model,
    w: DirectionWeights,
    x: np.ndarray,
    lengths: np.ndarray,
    reverse: bool,
    h0: np.ndarray,
    c0: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Run one direction of one layer over the whole (padded) batch.

    Batch element ``b`` runs ``t = 0 .. L_b-1`` (forward) or ``t = L_b-1 .. 0``
    (reverse) and writes its state at the position it read; padded positions
    stay zero and the state stops at the last step it ran.

    x [T, B, I_l], lengths [B], h0 [B, H_out], c0 [B, H]
    -> output [T, B, H_out], h_n [B, H_out], c_n [B, H] or None
    """
    steps, batch, _ = x.shape
    a_x = linear(x, w.weight_ih, w.bias_ih)  # [T, B, G*H]: every step's input projection at once
    output = np.zeros((steps, batch, h0.shape[1]), dtype=x.dtype)  # [T, B, H_out]
    h = h0.copy()
    c = None if c0 is None else c0.copy()
    if (lengths == steps).all():  # every sequence runs every step: plain slices, nothing gathered
        for t in range(steps - 1, -1, -1) if reverse else range(steps):
            h, c = cell_step(model, w, a_x[t], h, c)
            output[t] = h
        return output, h, c
    for step in range(int(lengths.max())):
        rows = np.flatnonzero(step < lengths)  # the sequences still running
        times = lengths[rows] - 1 - step if reverse else np.full(rows.size, step)
        h_t, c_t = cell_step(model, w, a_x[times, rows], h[rows], None if c is None else c[rows])
        h[rows] = h_t
        if c is not None:
            c[rows] = c_t
        output[times, rows] = h_t
    return output, h, c


def apply_head(head: Head, output: np.ndarray) -> np.ndarray:
    """``y_t = act(W_y output_t + b_y)`` for every t (padded steps included): [T, B, O].

    softmax: ``y_k = exp(v_k - max v) / sum_j exp(v_j - max v)``, in the wide type, rounded once.
    """
    logits = linear(output, head.weight, head.bias)  # [T, B, O]
    if head.activation != "softmax":
        return logits
    wide = widened(logits)
    e = np.exp(wide - wide.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(output.dtype)


def model_as(model: Model, dtype: np.dtype) -> Model:
    """A copy of ``model`` in ``dtype`` (each value rounded once), its matrices stored column-major.

    Every product here is ``rows @ W.T`` (``h @ W_hh.T``, ``x @ W_ih.T``); a
    column-major ``W`` makes ``W.T`` a plain row-major ``[K, N]`` block, which
    OpenBLAS (numpy's wheels) multiplies faster at batch 2..32 than the
    transposed operand it would otherwise be handed (LSTM 512/4/25: 1.8x
    faster end to end). Values and shapes are unchanged; only the memory
    order differs.
    """

    def prepared(array: np.ndarray) -> np.ndarray:
        return np.asfortranarray(array, dtype=dtype) if array.ndim == 2 else array.astype(dtype, copy=False)

    return model.map_arrays(prepared)


def forward(
    model: Model,
    x: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    lengths: np.ndarray | None = None,
) -> Result:
    """The whole network over a sequence: layers in order, directions per layer.

    x [T, B, I], h0 [L*D, B, H_out], c0 [L*D, B, H], lengths [B]
    -> output [T, B, D*H_out], h_n, c_n, y as in :class:`Result`.
    States are ordered ``l0_fwd, l0_rev, l1_fwd, ...``.
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
            out, h, c = run_direction(
                model, weights, layer_input, lengths, name == "reverse", h0[slot], c0[slot] if is_lstm else None
            )
            outputs.append(out)
            h_n.append(h)
            c_n.append(c)
        layer_input = np.concatenate(outputs, axis=2)  # [T, B, D*H_out]
    y = None if model.head is None else apply_head(model.head, layer_input)
    return Result(
        output=layer_input,
        h_n=np.stack(h_n),
        c_n=np.stack(c_n) if is_lstm else None,
        y=y,
    )

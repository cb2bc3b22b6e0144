"""The numpy backend's default kernel ("auto"): the reference's equations, arranged for speed.

Same equations as :mod:`rnn_rosetta.reference` (which is the numpy backend's
kernel "plain", written to be read); what is arranged differently is only
about speed, and each arrangement is checked against every committed fixture
and against "plain" by the tests:

- ``a_x = W_ih x_t + b_ih`` is precomputed for all steps at once (one matrix
  product per layer and direction), widened and given ``b_hh`` once
  (:func:`~rnn_rosetta.backends.numpy_fast_steps.fold_bias_hh`); each step
  adds ``W_hh h_{t-1}`` for the whole batch in one product;
- a step is a short chain of in-place ufunc calls on buffers allocated once
  per direction (:class:`~rnn_rosetta.backends.numpy_fast_steps.Stepper`):
  an LSTM step without peepholes is 13 calls, with no temporaries; the
  output row a step writes is the next step's ``h``;
- when every sequence runs every step, the time loop takes plain slices;
  otherwise each step gathers the rows still running and runs the same step
  on them;
- :func:`model_as` stores matrices column-major, so ``rows @ W.T`` hands
  OpenBLAS a row-major operand; a float32 net keeps ``W_hh`` row-major too,
  for batches of several rows (OpenBLAS's ``sgemm`` is twice as fast that way).

It computes in the dtype of its arrays: float64 normally, float32 when the
model's weights and the inputs are float32.

Accuracy (issue 13, docs/accuracy.md): the matrix products run in the net's dtype (BLAS); everything
after them within a step -- adding the products and the biases, the gate functions, ``c_t = f*c + i*g``,
``o * tanh(c_t)``, the GRU's blend, the softmax -- runs in :func:`wide_dtype`, and each stored value
(state, output, head) is rounded to the net's dtype once, by the ufunc that computes it. A float32 net's
step thus runs in float64 (its worst error against the exact result on the accuracy cases: 2.7 eps32;
PyTorch float32: 3.3); a float64 net's in float64 (worst 2.1 eps; see :data:`FLOAT64_WIDE`).
"""

from __future__ import annotations

import numpy as np

from rnn_rosetta.backends.numpy_fast_steps import FastDirectionWeights, Stepper, fold_bias_hh
from rnn_rosetta.model import DirectionWeights, Head, Layer, Model
from rnn_rosetta.result import Result

#: The type a float64 net's step runs its elementwise part in: float64 itself.
#: ``np.dtype(np.longdouble)`` (x87, 64-bit significand) would take the worst accuracy case to about 1.5 eps
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
    wide = wide_dtype(x.dtype)
    a_x = fold_bias_hh(model, w, linear(x, w.weight_ih, w.bias_ih), wide)  # [T, B, G*H] wide: every step's input
    stepper = Stepper(model, w, x.dtype, wide, clip_bound(model, x.dtype))
    output = np.zeros((steps, batch, h0.shape[1]), dtype=x.dtype)  # [T, B, H_out]
    h = h0.copy()  # [B, H_out]
    c = None if c0 is None else c0.copy()  # [B, H], updated in place
    with np.errstate(over="ignore"):  # a sigmoid's exp(-a) overflows to inf for a < -709: sigmoid 0, as it should
        if (lengths == steps).all():  # every sequence runs every step: plain slices, nothing gathered
            for t in range(steps - 1, -1, -1) if reverse else range(steps):
                stepper.step(a_x[t], h, c, output[t])
                h = output[t]  # h_t is the output row just written
            return output, h.copy(), c
        for step in range(int(lengths.max())):
            rows = np.flatnonzero(step < lengths)  # the sequences still running
            times = lengths[rows] - 1 - step if reverse else np.full(rows.size, step)
            h_rows = h[rows]  # [n, H_out], overwritten with h_t
            c_rows = None if c is None else c[rows]  # [n, H], overwritten with c_t
            stepper.step(a_x[times, rows], h_rows, c_rows, h_rows)
            h[rows] = h_rows
            if c is not None:
                c[rows] = c_rows
            output[times, rows] = h_rows
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
    order differs. A float32 net also keeps a row-major ``W_hh`` for batches
    of several rows (:class:`FastDirectionWeights`).
    """

    def prepared(array: np.ndarray) -> np.ndarray:
        return np.asfortranarray(array, dtype=dtype) if array.ndim == 2 else array.astype(dtype, copy=False)

    def with_rows(w: DirectionWeights) -> FastDirectionWeights:
        rows = np.ascontiguousarray(w.weight_hh) if w.weight_hh.dtype == np.float32 else None
        return FastDirectionWeights(**w.arrays(), weight_hh_rows=rows)

    stored = model.map_arrays(prepared)
    layers = tuple(Layer(**{name: with_rows(w) for name, w in layer.directions()}) for layer in stored.layers)
    return Model(**{**stored.__dict__, "layers": layers})


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

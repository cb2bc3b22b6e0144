"""The exact kernel's forward pass: layers in order, directions independent, variable lengths, the head.

Everything around the step is as in the other kernels (docs/exact-kernel.md): the reverse direction
walks each row's valid prefix backwards, padded steps output zeros and hold the state, layer ``l > 0``
reads the concatenation of layer ``l - 1``'s directions, the head runs on every step (padded ones too).
Rows never interact, so a row's bits do not depend on the batch it runs in.

Values are float64 throughout; a float32 net's weights, inputs and stored values are float32 values
(each exactly a double), and the result is handed back in the net's dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_rosetta.exact.cells import CellOptions, ExactDirection, gru_step, lstm_step, rnn_step
from rnn_rosetta.exact.dense import ExactDense, apply_dense, store_for
from rnn_rosetta.exact.dot import dot
from rnn_rosetta.model import Model
from rnn_rosetta.result import Result


@dataclass(frozen=True)
class ExactModel:
    """A v1 model prepared for the exact kernel in one dtype."""

    model: Model
    dtype: np.dtype
    options: CellOptions
    layers: tuple[tuple[tuple[str, ExactDirection], ...], ...]  # per layer: (direction name, weights)
    head: ExactDense | None


def prepare(model: Model, dtype: np.dtype) -> ExactModel:
    """Round the weights to ``dtype`` once, split them once (docs/exact-kernel.md, "float32")."""
    dtype = np.dtype(dtype)
    rounded = model.map_arrays(lambda a: np.asarray(a, dtype=dtype))
    clip = None if model.clip is None else float(np.asarray(model.clip, dtype=dtype))
    options = CellOptions(
        model.cell, model.hidden_size, model.nonlinearity, model.linear_before_reset, clip, store_for(dtype)
    )
    layers = tuple(
        tuple((name, ExactDirection.of(w, options)) for name, w in layer.directions()) for layer in rounded.layers
    )
    head = None
    if rounded.head is not None:
        head = ExactDense.of(rounded.head.weight, rounded.head.bias, rounded.head.activation)
    return ExactModel(model, dtype, options, layers, head)


def run_direction(
    o: CellOptions,
    w: ExactDirection,
    x: np.ndarray,
    lengths: np.ndarray,
    reverse: bool,
    h0: np.ndarray,
    c0: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One direction over the batch: at loop step ``s`` row ``b`` reads step ``t = s`` (``L_b - 1 - s``
    reversed) while ``s < L_b``; its state is written at ``t``.

    x [T, B, I_l], lengths [B], h0 [B, H_out], c0 [B, H] or None
    -> output [T, B, H_out], h_n [B, H_out], c_n [B, H] or None
    """
    steps, batch, width = x.shape
    gi_hi, gi_lo = dot(x.reshape(steps * batch, width), w.w_ih, w.b_ih)  # input projection, every step
    gi_hi = gi_hi.reshape(steps, batch, -1)  # [T, B, G*H]
    gi_lo = gi_lo.reshape(steps, batch, -1)
    h, c = h0.copy(), None if c0 is None else c0.copy()
    output = np.zeros((steps, batch, h0.shape[1]))  # [T, B, H_out]
    for s in range(int(lengths.max())):
        rows = np.flatnonzero(s < lengths)  # the rows still running
        t = lengths[rows] - 1 - s if reverse else np.full(rows.size, s)
        gi = (gi_hi[t, rows], gi_lo[t, rows])  # [B', G*H]
        if o.cell == "lstm":
            assert c is not None
            h_new, c[rows] = lstm_step(o, w, gi, h[rows], c[rows])
        elif o.cell == "gru":
            h_new = gru_step(o, w, gi, h[rows])
        else:
            h_new = rnn_step(o, w, gi, h[rows])
        h[rows] = h_new
        output[t, rows] = h_new
    return output, h, c


def forward(
    prepared: ExactModel,
    x: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    lengths: np.ndarray | None = None,
) -> Result:
    """The whole network, as :func:`rnn_rosetta.reference.forward`, in the exact kernel.

    x [T, B, I], h0 [L*D, B, H_out], c0 [L*D, B, H], lengths [B] -> :class:`Result` in the net's dtype.
    """
    model, dtype = prepared.model, prepared.dtype
    steps, batch, _ = x.shape
    lengths = np.full(batch, steps, dtype=np.int64) if lengths is None else np.asarray(lengths, dtype=np.int64)
    h0 = np.zeros(model.state_shape(batch)) if h0 is None else np.asarray(h0, dtype=np.float64)
    is_lstm = model.cell == "lstm"
    if is_lstm:
        c0 = np.zeros(model.cell_state_shape(batch)) if c0 is None else np.asarray(c0, dtype=np.float64)
    h_n, c_n = [], []
    layer_input = np.asarray(x, dtype=np.float64)  # [T, B, I_l]
    for index, directions in enumerate(prepared.layers):
        outputs = []
        for offset, (name, weights) in enumerate(directions):
            slot = index * model.num_directions + offset
            c_slot = None if c0 is None else c0[slot]
            out, h, c = run_direction(
                prepared.options, weights, layer_input, lengths, name == "reverse", h0[slot], c_slot
            )
            outputs.append(out)
            h_n.append(h)
            c_n.append(c)
        layer_input = np.concatenate(outputs, axis=2)  # [T, B, D*H_out]
    y = None
    if prepared.head is not None:
        y = apply_dense(prepared.head, layer_input, prepared.options.store).astype(dtype)  # [T, B, O]
    return Result(
        output=layer_input.astype(dtype),
        h_n=np.stack(h_n).astype(dtype),
        c_n=np.stack(c_n).astype(dtype) if is_lstm else None,
        y=y,
    )

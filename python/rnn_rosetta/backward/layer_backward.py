"""One direction of one layer over time, forward with a tape and backward (backpropagation through time).

Forward, as :func:`rnn_rosetta.reference.run_direction` defines it: batch element ``b`` runs
``t = 0 .. L_b-1`` (forward) or ``t = L_b-1 .. 0`` (reverse), writes its state at the position it
read, and keeps its state unchanged at padded steps ``t >= L_b``. Both directions therefore run
exactly the rows with ``t < L_b`` at step ``t``; a row that does not run passes its state through.

Backward visits the same steps in the opposite order. With ``dh`` the gradient of the loss with
respect to the state the direction holds after the step (it starts as ``dL/dh_n``):

- a row that runs at ``t``: ``dh += d_output[t]`` (the state is also written to ``output[t]``), then
  the cell's backward step turns ``dh`` (and ``dc``) into ``dL/dh_{t-1}`` and adds ``dx[t]``;
- a row that does not run: ``dh`` passes through unchanged (``output[t] = 0`` there, a constant);
- after the last step visited, ``dh`` and ``dc`` are ``dL/dh0`` and ``dL/dc0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_rosetta.backward.cells_backward import Grads, Tape, cell_step, cell_step_backward
from rnn_rosetta.model import DirectionWeights, Model


@dataclass(frozen=True)
class DirectionTape:
    """What one direction's forward pass keeps: the steps in the order they ran."""

    steps: tuple[tuple[int, np.ndarray | slice, Tape], ...]  # (t, rows that ran [R] or all, the cell's tape on them)
    input_shape: tuple[int, int, int]  # [T, B, I_l]


def direction_forward(
    model: Model,
    w: DirectionWeights,
    x: np.ndarray,
    lengths: np.ndarray,
    reverse: bool,
    h0: np.ndarray,
    c0: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, DirectionTape]:
    """x [T, B, I_l], lengths [B], h0 [B, H_out], c0 [B, H] or None
    -> output [T, B, H_out], h_n [B, H_out], c_n [B, H] or None, tape."""
    steps, batch, _ = x.shape
    output = np.zeros((steps, batch, h0.shape[1]), dtype=x.dtype)  # [T, B, H_out]
    h = h0  # [B, H_out]   never written into: replaced by a new array each step
    c = c0  # [B, H] or None
    kept = []
    for t in range(steps - 1, -1, -1) if reverse else range(steps):
        running = np.flatnonzero(t < lengths)  # [R] the sequences that run step t
        if running.size == 0:
            continue
        rows = slice(None) if running.size == batch else running  # every row: a view, nothing gathered
        h_t, c_t, tape = cell_step(model, w, x[t, rows], h[rows], None if c is None else c[rows])
        h = h.copy()  # a new array per step: the tapes hold the old ones
        h[rows] = h_t
        if c is not None:
            c = c.copy()
            c[rows] = c_t
        output[t, rows] = h_t
        kept.append((t, rows, tape))
    return output, h, c, DirectionTape(tuple(kept), x.shape)


def direction_backward(
    model: Model,
    w: DirectionWeights,
    tape: DirectionTape,
    d_output: np.ndarray,
    d_h_n: np.ndarray,
    d_c_n: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, Grads]:
    """d_output [T, B, H_out], d_h_n [B, H_out], d_c_n [B, H] or None
    -> dx [T, B, I_l], dh0 [B, H_out], dc0 [B, H] or None, the weight gradients by array name."""
    grads: Grads = {name: np.zeros_like(array) for name, array in w.arrays().items()}
    dx = np.zeros(tape.input_shape, dtype=d_output.dtype)  # [T, B, I_l]
    dh = d_h_n.copy()  # [B, H_out]   dL/d(state after the step)
    dc = None if d_c_n is None else d_c_n.copy()  # [B, H]
    for t, rows, step_tape in reversed(tape.steps):
        dh_t = dh[rows] + d_output[t, rows]  # the state is both carried on and written to output[t]
        dc_t = None if dc is None else dc[rows]
        dx_t, dh_prev, dc_prev = cell_step_backward(model, w, step_tape, dh_t, dc_t, grads)
        dx[t, rows] = dx_t
        dh[rows] = dh_prev
        if dc is not None:
            dc[rows] = dc_prev
    return dx, dh, dc, grads

"""A whole chain forward with a tape, and backward: embedding, layers, merges, readout, dense layers.

The forward pass is the chain of :mod:`rnn_rosetta.chain` (docs/fixture-format.md, "Version 2");
the backward pass walks it from the end:

- dense layer ``y = act(s)``, ``s = v W^T + b``: ``ds = dy * act'(s)`` (identity: ``dy``; tanh:
  ``dy (1 - y^2)``; sigmoid: ``dy y (1 - y)``; relu: ``dy [s > 0]``; softmax over the last axis:
  ``ds = y * (dy - sum_k dy_k y_k)``), then ``dW += ds^T v``, ``db += sum ds``, ``dv = ds W``;
- readout ``"sequence"``: ``dv`` joins ``d_output`` of the top layer; ``"last"``: ``dv`` is the
  gradient of the top layer's merged final states, split back by the merge into ``dh_n`` per direction;
- merge of halves ``f`` and ``r``: concat ``(d[:H], d[H:])``; sum ``(d, d)``; ave ``(d/2, d/2)``;
  mul ``(d * r, d * f)``;
- layer ``l``: each direction's BPTT (:mod:`~rnn_rosetta.backward.layer_backward`); their ``dx``
  add up into the gradient of layer ``l - 1``'s merged output;
- embedding ``x_t = E[token_t]``: ``dE[k] = sum of dx_t over every (t, b) whose token is k``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_rosetta.backward.gradients import Gradients, dense_path, layer_path
from rnn_rosetta.backward.layer_backward import DirectionTape, direction_backward, direction_forward
from rnn_rosetta.chain import Chain, Dense, activate, merge_directions


@dataclass(frozen=True)
class LayerTape:
    """One layer's forward: each direction's tape and its output and final state (the merge's halves)."""

    directions: tuple[DirectionTape, ...]
    outputs: tuple[np.ndarray, ...]  # per direction [T, B, H_out]
    h_n: tuple[np.ndarray, ...]  # per direction [B, H_out]


@dataclass(frozen=True)
class ChainTape:
    """Everything :func:`chain_backward` needs from one forward pass."""

    tokens: np.ndarray | None  # int64 [T, B], with an embedding
    layers: tuple[LayerTape, ...]
    dense_inputs: tuple[np.ndarray, ...]  # per dense layer: v [..., W_k]
    dense_pre: tuple[np.ndarray, ...]  # per dense layer: s = v W^T + b [..., O_k]
    dense_outputs: tuple[np.ndarray, ...]  # per dense layer: y = act(s) [..., O_k]


def chain_forward(
    chain: Chain,
    inputs: np.ndarray,
    h0: list[np.ndarray],
    c0: list[np.ndarray],
    lengths: np.ndarray | None,
) -> tuple[ChainTape, np.ndarray, list[np.ndarray], list[np.ndarray], np.ndarray | None]:
    """inputs x [T, B, I] or tokens [T, B]; h0/c0 one [B, H_k] per slot; lengths [B] or None (all T)
    -> (tape, output [T, B, W], h_n slots, c_n slots, y or None), in the dtype of the weights."""
    steps, batch = inputs.shape[0], inputs.shape[1]
    lengths = np.full(batch, steps, dtype=np.int64) if lengths is None else lengths
    tokens = None
    if chain.embedding is not None:
        tokens = inputs.copy()  # kept: the caller may reuse its array
        x = chain.embedding.weight[tokens]  # [T, B, E]
    else:
        x = inputs.copy()  # [T, B, I]; kept (the tapes hold views of it): the caller may reuse its array
    layer_tapes, h_n, c_n = [], [], []
    last: np.ndarray | None = None  # the top layer's merged final states [B, W]
    slot = c_slot = 0
    for layer, merge in zip(chain.layers, chain.merges, strict=True):
        tapes, outputs, finals = [], [], []
        for name, weights in layer.layers[0].directions():
            c_start = None
            if layer.cell == "lstm":
                c_start = c0[c_slot]
                c_slot += 1
            out, h, c, tape = direction_forward(layer, weights, x, lengths, name == "reverse", h0[slot], c_start)
            slot += 1
            tapes.append(tape)
            outputs.append(out)
            finals.append(h)
            h_n.append(h)
            if c is not None:
                c_n.append(c)
        layer_tapes.append(LayerTape(tuple(tapes), tuple(outputs), tuple(finals)))
        x = outputs[0] if len(outputs) == 1 else merge_directions(merge, outputs[0], outputs[1])  # [T, B, W_l]
        last = finals[0] if len(finals) == 1 else merge_directions(merge, finals[0], finals[1])  # [B, W_l]
    assert last is not None
    v = last if chain.readout == "last" else x
    dense_inputs, dense_pre, dense_outputs = [], [], []
    for dense in chain.dense:
        s = v @ dense.weight.T + dense.bias  # [..., O_k]
        dense_inputs.append(v)
        dense_pre.append(s)
        v = activate(dense.activation, s)
        dense_outputs.append(v)
    y = v if chain.dense or chain.readout == "last" else None
    tape = ChainTape(tokens, tuple(layer_tapes), tuple(dense_inputs), tuple(dense_pre), tuple(dense_outputs))
    return tape, x, h_n, c_n, y


def activation_backward(activation: str, dy: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``ds = dL/ds`` for ``y = act(s)`` over the last axis, given ``dy = dL/dy``."""
    if activation == "identity":
        return dy
    if activation == "softmax":
        return y * (dy - (dy * y).sum(axis=-1, keepdims=True))  # J^T dy with J = diag(y) - y y^T
    if activation == "tanh":
        return dy * (1.0 - y * y)
    if activation == "sigmoid":
        return dy * y * (1.0 - y)
    return dy * (s > 0)  # relu


def dense_backward(
    dense: Dense, dy: np.ndarray, v: np.ndarray, s: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One dense layer ``y = act(v W^T + b)`` backward: (dv [..., W], dW [O, W], db [O])."""
    ds = activation_backward(dense.activation, dy, s, y)  # [..., O]
    rows_ds = ds.reshape(-1, ds.shape[-1])  # [N, O]
    rows_v = v.reshape(-1, v.shape[-1])  # [N, W]
    return ds @ dense.weight, rows_ds.T @ rows_v, rows_ds.sum(axis=0)


def merge_backward(
    merge: str, d: np.ndarray, forward: np.ndarray, reverse: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The gradients of a merge's two halves ``[..., H]`` from the gradient ``d`` of its result."""
    if merge == "concat":
        size = forward.shape[-1]
        return d[..., :size], d[..., size:]
    if merge == "sum":
        return d, d
    if merge == "mul":
        return d * reverse, d * forward
    return d * 0.5, d * 0.5  # ave


def chain_backward(
    chain: Chain,
    tape: ChainTape,
    d_output: np.ndarray | None,
    d_h_n: list[np.ndarray],
    d_c_n: list[np.ndarray],
    d_y: np.ndarray | None,
) -> Gradients:
    """Gradients of ``L`` given ``dL/d(output, h_n slots, c_n slots, y)`` (``d_output``/``d_y`` None: zero).

    -> :class:`Gradients` with ``h0``/``c0`` as lists of slots ``[B, H_k]`` and ``x`` time-major.
    """
    top = tape.layers[-1]
    steps, batch = top.outputs[0].shape[0], top.outputs[0].shape[1]
    dtype = top.outputs[0].dtype
    width = chain.output_width
    d_top = np.zeros((steps, batch, width), dtype=dtype) if d_output is None else d_output.copy()  # [T, B, W]
    d_last = np.zeros((batch, width), dtype=dtype)  # [B, W]: gradient of the readout "last"
    weights: dict[str, np.ndarray] = {}
    if d_y is not None:
        dv = d_y
        for index in range(len(chain.dense) - 1, -1, -1):
            dense = chain.dense[index]
            dv, d_weight, d_bias = dense_backward(
                dense, dv, tape.dense_inputs[index], tape.dense_pre[index], tape.dense_outputs[index]
            )
            weights[dense_path(index, "weight")] = d_weight
            weights[dense_path(index, "bias")] = d_bias
        if chain.readout == "last":
            d_last += dv
        else:
            d_top += dv
    for index, dense in enumerate(chain.dense):  # a zero d_y still has gradients: zeros
        weights.setdefault(dense_path(index, "weight"), np.zeros_like(dense.weight))
        weights.setdefault(dense_path(index, "bias"), np.zeros_like(dense.bias))

    slots = [len(layer.direction_names) for layer in chain.layers]
    c_slots = [len(layer.direction_names) if layer.cell == "lstm" else 0 for layer in chain.layers]
    dh0: list[np.ndarray] = [np.empty(0)] * sum(slots)
    dc0: list[np.ndarray] = [np.empty(0)] * sum(c_slots)
    d_layer_out = d_top  # gradient of the merged output of the layer being visited
    for index in range(len(chain.layers) - 1, -1, -1):
        layer, merge, layer_tape = chain.layers[index], chain.merges[index], tape.layers[index]
        directions = layer.layers[0].directions()
        if len(directions) == 2:
            d_halves = merge_backward(merge, d_layer_out, *layer_tape.outputs)
        else:
            d_halves = (d_layer_out,)
        d_finals: tuple[np.ndarray, ...] = tuple(np.zeros_like(h) for h in layer_tape.h_n)
        if index == len(chain.layers) - 1 and chain.readout == "last":
            d_finals = merge_backward(merge, d_last, *layer_tape.h_n) if len(directions) == 2 else (d_last,)
        first_slot, first_c_slot = sum(slots[:index]), sum(c_slots[:index])
        dx = None
        for offset, (name, weights_dir) in enumerate(directions):
            slot = first_slot + offset
            d_c = d_c_n[first_c_slot + offset] if layer.cell == "lstm" else None
            dx_dir, dh, dc, grads = direction_backward(
                layer, weights_dir, layer_tape.directions[offset], d_halves[offset], d_h_n[slot] + d_finals[offset], d_c
            )
            dx = dx_dir if dx is None else dx + dx_dir
            dh0[slot] = dh
            if dc is not None:
                dc0[first_c_slot + offset] = dc
            for array_name, grad in grads.items():
                weights[layer_path(index, name, array_name)] = grad
        assert dx is not None
        d_layer_out = dx  # [T, B, I_l]
    d_x: np.ndarray | None = d_layer_out
    if chain.embedding is not None:
        assert tape.tokens is not None
        d_embedding = np.zeros_like(chain.embedding.weight)  # [V, E]
        np.add.at(d_embedding, tape.tokens, d_layer_out)  # dE[token[t, b]] += dx[t, b]
        weights["embedding.weight"] = d_embedding
        d_x = None
    return Gradients(weights=_in_chain_order(weights), x=d_x, h0=dh0, c0=dc0 or None)


def _in_chain_order(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The gradients ordered embedding, layers (bottom up, forward before reverse), dense layers."""

    def rank(path: str) -> tuple[int, int, str]:
        part = path.split(".")
        if part[0] == "embedding":
            return (0, 0, "")
        if part[0] == "layers":
            return (1, int(part[1]), part[2])
        return (2, int(part[1]), "")

    return {path: weights[path] for path in sorted(weights, key=rank)}

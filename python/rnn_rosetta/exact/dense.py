"""Heads and dense layers in the exact kernel, docs/exact-kernel.md ("Heads and dense layers").

``y_pre[r] = finish(add_term(b[r]); add_product(v[k], W[r][k]) for every k)``, then the activation:
identity ``round(y_pre)``; ``tanh_dd``, ``sigmoid_dd``, ``relu_dd`` then ``round``; softmax over a row
``e_i = exp(y_pre_i - max_i y_pre_i.hi)``, ``y_i = round(e_i / (e_0 + e_1 + ...))`` (the sum in index
order). The values stored are ``store(round(.))`` (float32 in a float32 net).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnn_rosetta.exact.dd import DD, dd, dd_add, dd_div, dd_sub
from rnn_rosetta.exact.dot import SplitMatrix, dot
from rnn_rosetta.exact.elementary import exp_dd, relu_dd, sigmoid_dd, tanh_dd


def store_for(dtype: np.dtype) -> Callable[[np.ndarray], np.ndarray]:
    """``store(d.hi)``: the value as a double in float64; ``(float) d.hi`` (held as a double) in float32."""
    if np.dtype(dtype) == np.float32:
        return lambda a: a.astype(np.float32).astype(np.float64)
    return lambda a: a


@dataclass(frozen=True)
class ExactDense:
    """A dense layer (or a v1 head) prepared once: ``W [O, W]`` split, the bias as float64 ``[O]``."""

    weight: SplitMatrix
    bias: np.ndarray  # [O]
    activation: str

    @classmethod
    def of(cls, weight: np.ndarray, bias: np.ndarray, activation: str) -> ExactDense:
        """From weights already rounded to the net's dtype."""
        return cls(SplitMatrix.of(weight), np.ascontiguousarray(bias, dtype=np.float64), activation)


def softmax_dd(y_pre: DD) -> np.ndarray:
    """Softmax over each row of ``n`` values: the maximum by ``>`` in index order (a NaN never wins),
    ``e_i = exp_dd(y_pre_i - m)``, ``s = e_0 + ... + e_{n-1}`` (dd, in order), ``round(e_i / s)``.

    y_pre dd [N, n] -> [N, n] float64
    """
    hi, lo = y_pre
    m = hi[:, 0].copy()  # [N]
    for i in range(1, hi.shape[1]):
        m = np.where(hi[:, i] > m, hi[:, i], m)
    e = exp_dd(dd_sub((hi, lo), dd(np.repeat(m[:, None], hi.shape[1], axis=1))))  # [N, n] dd
    s: DD = (np.zeros_like(m), np.zeros_like(m))
    for i in range(hi.shape[1]):
        s = dd_add(s, (e[0][:, i], e[1][:, i]))
    return dd_div(e, (s[0][:, None], s[1][:, None]))[0]


def activate_dd(activation: str, y_pre: DD) -> np.ndarray:
    """The rounded activation of a dd pre-activation ``[N, O]``."""
    if activation == "identity":
        return y_pre[0]
    if activation == "softmax":
        return softmax_dd(y_pre)
    if activation == "tanh":
        return tanh_dd(y_pre)[0]
    if activation == "sigmoid":
        return sigmoid_dd(y_pre)[0]
    if activation == "relu":
        return relu_dd(y_pre)[0]
    raise ValueError(f"unknown activation {activation!r}")


def apply_dense(layer: ExactDense, v: np.ndarray, store: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``store(round(act(W v + b)))`` at every leading index: v [..., W] -> [..., O] float64."""
    lead = v.shape[:-1]
    flat = np.asarray(v, dtype=np.float64).reshape(-1, v.shape[-1])  # [N, W]
    y = store(activate_dd(layer.activation, dot(flat, layer.weight, layer.bias)))  # [N, O]
    return y.reshape(*lead, -1)


def apply_dense_layers(
    layers: tuple[ExactDense, ...], v: np.ndarray, store: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """A chain's dense layers in order, each reading the previous one's stored output: [..., W] -> [..., O]."""
    for layer in layers:
        v = apply_dense(layer, v, store)
    return v

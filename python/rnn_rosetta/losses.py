"""Losses with their gradients, as PyTorch defines them: softmax cross-entropy (fused) and mean squared error.

Each function returns ``(loss, d_input)``: the scalar loss and its gradient with respect to the first
argument, ready to hand to ``net.backward(d_y=...)`` (or ``d_output=...``). ``reduction`` is
``"mean"`` (PyTorch's default) or ``"sum"``. They compute in the dtype of their input.
"""

from __future__ import annotations

import numpy as np

from rnn_rosetta.errors import InputError

REDUCTIONS: tuple[str, ...] = ("mean", "sum")


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise InputError(f"reduction must be one of {list(REDUCTIONS)}, got {reduction!r}")


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """``log softmax(s)_k = s_k - m - log sum_j exp(s_j - m)``, ``m = max_j s_j``, over the last axis."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray, reduction: str = "mean") -> tuple[float, np.ndarray]:
    """Cross-entropy of class ids ``targets [...]`` under ``softmax(logits [..., K])`` (``F.cross_entropy``).

    - per position ``n``: ``l_n = -log softmax(s_n)_{y_n}``
    - ``L = sum_n l_n`` (``"sum"``) or ``(1/N) sum_n l_n`` (``"mean"``, N positions)
    - fused gradient (softmax and log together): ``dL/ds_n = (softmax(s_n) - onehot(y_n)) / N``
      (without ``/ N`` for ``"sum"``)

    -> (L, dL/dlogits [..., K])
    """
    _check_reduction(reduction)
    logits = np.asarray(logits)
    targets = np.asarray(targets)
    if logits.ndim < 1 or targets.shape != logits.shape[:-1]:
        raise InputError(
            f"targets must have shape {list(logits.shape[:-1])} (logits without the class axis),"
            f" got {list(targets.shape)}"
        )
    if targets.dtype.kind not in "iu":
        raise InputError(f"targets must be integer class ids, got dtype {targets.dtype}")
    classes = logits.shape[-1]
    if targets.size and (targets.min() < 0 or targets.max() >= classes):
        raise InputError(f"targets must be class ids in 0..{classes - 1}")
    log_p = log_softmax(logits).reshape(-1, classes)  # [N, K]
    picked = targets.reshape(-1)  # [N]
    rows = np.arange(picked.size)
    count = max(picked.size, 1)
    total = -log_p[rows, picked].sum()
    grad = np.exp(log_p)  # softmax [N, K]
    grad[rows, picked] -= 1.0
    if reduction == "mean":
        total = total / count
        grad = grad / count
    return float(total), grad.reshape(logits.shape).astype(logits.dtype, copy=False)


def mean_squared_error(prediction: np.ndarray, target: np.ndarray, reduction: str = "mean") -> tuple[float, np.ndarray]:
    """``L = (1/N) sum (p - t)^2`` (``"mean"``, N elements) or ``sum (p - t)^2`` (``F.mse_loss``).

    ``dL/dp = 2 (p - t) / N`` (without ``/ N`` for ``"sum"``). -> (L, dL/dprediction)
    """
    _check_reduction(reduction)
    prediction = np.asarray(prediction)
    target = np.asarray(target)
    if prediction.shape != target.shape:
        raise InputError(f"target must have the prediction's shape {list(prediction.shape)}, got {list(target.shape)}")
    diff = prediction - target
    total = (diff * diff).sum()
    grad = 2.0 * diff
    if reduction == "mean":
        count = max(diff.size, 1)
        total = total / count
        grad = grad / count
    return float(total), grad

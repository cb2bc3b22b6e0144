"""Optimisers and gradient clipping, with PyTorch's update equations (``torch.optim.SGD``, ``torch.optim.Adam``,
``torch.nn.utils.clip_grad_norm_``), on weights kept by name.

Weights and gradients are ``dict[str, np.ndarray]`` keyed alike (e.g. by the dotted JSON paths of
:attr:`rnn_rosetta.backward.Gradients.weights`). ``step`` returns *new* arrays and never writes into
the ones it is given (a loaded net may share them); the optimiser keeps its state (momentum buffers,
moments, step count) per name. Each operation is written in the order PyTorch's single-tensor code
performs it, so float64 results agree to the last bits or nearly.
"""

from __future__ import annotations

import math

import numpy as np

from rnn_rosetta.errors import InputError

Arrays = dict[str, np.ndarray]


def _check_same_names(weights: Arrays, grads: Arrays) -> None:
    if set(weights) != set(grads):
        missing = sorted(set(weights) ^ set(grads))
        raise InputError(f"weights and gradients must have the same names; differ in {missing[:3]}")
    for name, weight in weights.items():
        if grads[name].shape != weight.shape:
            raise InputError(f"gradient {name} has shape {list(grads[name].shape)}, its weight {list(weight.shape)}")


def _non_negative(name: str, value: float) -> float:
    if not value >= 0.0:
        raise InputError(f"{name} must be >= 0, got {value!r}")
    return float(value)


class SGD:
    """Stochastic gradient descent with momentum (``torch.optim.SGD``). For each weight ``p`` with gradient ``g``:

    - weight decay:  ``g = g + weight_decay * p``
    - momentum ``mu``: ``b = g`` at the first step, then ``b = mu * b + (1 - dampening) * g``;
      ``g = g + mu * b`` (Nesterov) or ``g = b``
    - update:        ``p = p - lr * g``
    """

    def __init__(
        self,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        self.lr = _non_negative("lr", lr)
        self.momentum = _non_negative("momentum", momentum)
        self.dampening = float(dampening)
        self.weight_decay = _non_negative("weight_decay", weight_decay)
        if nesterov and (self.momentum <= 0.0 or self.dampening != 0.0):
            raise InputError("nesterov needs momentum > 0 and dampening 0 (as torch.optim.SGD)")
        self.nesterov = nesterov
        self.buffers: Arrays = {}

    def step(self, weights: Arrays, grads: Arrays) -> Arrays:
        """One update of every weight: -> the new weights (new arrays), same names."""
        _check_same_names(weights, grads)
        new: Arrays = {}
        for name, p in weights.items():
            g = grads[name]
            if self.weight_decay != 0.0:
                g = g + self.weight_decay * p
            if self.momentum != 0.0:
                buffer = self.buffers.get(name)
                if buffer is None:
                    buffer = g.copy()  # b = g
                else:
                    buffer = buffer * self.momentum + (1.0 - self.dampening) * g  # b = mu b + (1 - dampening) g
                self.buffers[name] = buffer
                g = g + self.momentum * buffer if self.nesterov else buffer
            new[name] = p - self.lr * g  # p = p - lr g
        return new


class Adam:
    """Adam (``torch.optim.Adam``; Kingma and Ba 2015; L2 weight decay as PyTorch's). At step ``t = 1, 2, ...``:

    - weight decay: ``g = g + weight_decay * p``
    - moments:      ``m = beta1 m + (1 - beta1) g`` (computed as torch's ``lerp``: ``m + (1 - beta1)(g - m)``),
      ``v = beta2 v + (1 - beta2) g^2``; both start at 0
    - bias correction: ``c1 = 1 - beta1^t``, ``c2 = 1 - beta2^t``
    - update: ``p = p - (lr / c1) * m / (sqrt(v) / sqrt(c2) + eps)``
    """

    def __init__(
        self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0
    ) -> None:
        self.lr = _non_negative("lr", lr)
        beta1, beta2 = (float(b) for b in betas)
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
            raise InputError(f"betas must each lie in [0, 1), got {list(betas)}")
        self.beta1, self.beta2 = beta1, beta2
        self.eps = _non_negative("eps", eps)
        self.weight_decay = _non_negative("weight_decay", weight_decay)
        self.steps: dict[str, int] = {}
        self.m: Arrays = {}
        self.v: Arrays = {}

    def step(self, weights: Arrays, grads: Arrays) -> Arrays:
        """One update of every weight: -> the new weights (new arrays), same names."""
        _check_same_names(weights, grads)
        new: Arrays = {}
        for name, p in weights.items():
            g = grads[name]
            if self.weight_decay != 0.0:
                g = g + self.weight_decay * p
            t = self.steps.get(name, 0) + 1
            self.steps[name] = t
            m = self.m.get(name, np.zeros_like(p))
            v = self.v.get(name, np.zeros_like(p))
            m = _lerp(m, g, 1.0 - self.beta1)  # m = beta1 m + (1 - beta1) g
            v = v * self.beta2 + (1.0 - self.beta2) * g * g  # v = beta2 v + ((1 - beta2) g) g, the spec's order
            self.m[name], self.v[name] = m, v
            bias_correction1 = 1.0 - self.beta1**t
            bias_correction2 = 1.0 - self.beta2**t
            step_size = self.lr / bias_correction1
            denominator = np.sqrt(v) / math.sqrt(bias_correction2) + self.eps
            new[name] = p - step_size * (m / denominator)
        return new


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``start + weight (end - start)``, evaluated as ``torch.lerp`` does (from the nearer end)."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def clip_grad_norm(grads: Arrays, max_norm: float) -> tuple[Arrays, float]:
    """Scale all gradients together so that their global 2-norm is at most ``max_norm`` (``clip_grad_norm_``).

    - ``total = || (||g_1||_2, ||g_2||_2, ...) ||_2`` (the 2-norm of every entry of every gradient)
    - ``coef = min(max_norm / (total + 1e-6), 1)``; each ``g = g * coef``

    The norms are summed in float64 whatever the gradients' dtype (docs/training.md); ``coef`` is applied
    in each gradient's own dtype, so a float32 gradient stays float32.

    -> (the scaled gradients (new arrays), ``total`` before scaling)
    """
    if not max_norm > 0.0:
        raise InputError(f"max_norm must be > 0, got {max_norm!r}")
    if not grads:
        return {}, 0.0
    norms = np.array([np.linalg.norm(g.reshape(-1).astype(np.float64)) for g in grads.values()])  # [n] float64
    total = float(np.linalg.norm(norms))
    coef = min(max_norm / (total + 1e-6), 1.0)
    return {name: g * g.dtype.type(coef) for name, g in grads.items()}, total

"""One training step and the training loop of docs/training.md ("One step", "Optimizers"), in numpy.

One step on a window ``x, y`` (``[T, B]`` token ids each), from the carried state::

    z, state_next = forward(x, h0 = state, c0 = state)                  logits z [T, B, V], kept for backward
    loss  = (1 / (T B)) sum_{t,b} ( lse(z[t,b]) - z[t,b,y[t][b]] )       float64
    dz    = ( softmax(z[t,b]) - onehot(y[t][b]) ) / (T B)                 the fused gradient
    grads = backward(d_y = dz)
    clip (c > 0):  total = sqrt(sum of every gradient's squares);  every gradient *= min(c / (total + 1e-6), 1)
    optimizer update of every weight array (Adam or SGD, torch's equations);  report the loss (before the update)

The loop (:func:`training_losses`) starts every window 0 from zeros and every other window from the
state the previous step ended in (truncated backpropagation through time). Every backend's trainer
(:class:`NumpyTrainer` here, ``CTrainer``, ``JavaTrainer``) has the same ``step``; they see the same
batches and so report the same losses.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from rnn_rosetta.backends import get_backend
from rnn_rosetta.backends.chain_net import ChainNet, join_slots, split_slots
from rnn_rosetta.backward.weights import chain_weights, chain_with_weights
from rnn_rosetta.chain import Chain
from rnn_rosetta.errors import InputError, RosettaError
from rnn_rosetta.losses import softmax_cross_entropy
from rnn_rosetta.optimizers import SGD, Adam, clip_grad_norm
from rnn_rosetta.training.batches import Streams

OPTIMIZERS: tuple[str, ...] = ("adam", "sgd")
#: Adam's constants (docs/training.md, "Optimizers").
ADAM_BETAS: tuple[float, float] = (0.9, 0.999)
ADAM_EPS = 1e-8


@dataclass(frozen=True)
class TrainSettings:
    """The options of docs/training.md, "Settings and defaults" (the data and the output aside)."""

    steps: int = 100
    optimizer: str = "adam"
    lr: float = 2e-3
    momentum: float = 0.9  # sgd only
    clip_norm: float = 5.0  # 0: no clipping
    bptt: int = 50
    batch: int = 16
    dtype: str = "float64"
    log_every: int = 1

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"optimizer must be one of {list(OPTIMIZERS)}, got {self.optimizer!r}")
        if not (math.isfinite(self.lr) and self.lr > 0.0):
            raise InputError(f"lr must be a finite number > 0, got {self.lr!r}")
        if not (math.isfinite(self.momentum) and self.momentum >= 0.0):
            raise InputError(f"momentum must be a finite number >= 0, got {self.momentum!r}")
        if not (math.isfinite(self.clip_norm) and self.clip_norm >= 0.0):
            raise InputError(f"clip-norm must be a finite number >= 0, got {self.clip_norm!r}")
        for name, value, largest in (
            ("steps", self.steps, 10**7),
            ("bptt", self.bptt, 10**6),
            ("batch", self.batch, 10**6),
        ):
            if not 1 <= value <= largest:
                raise InputError(f"{name} must be in 1 .. {largest}, got {value}")
        if self.log_every < 1:
            raise InputError(f"log-every must be >= 1, got {self.log_every}")


#: A carried state: flat ``h`` and flat ``c`` (each slot row-major ``[B, H_k]``, concatenated; float64),
#: ``c`` None for a chain without lstm layers; None as a whole for zeros.
FlatState = tuple[np.ndarray, np.ndarray | None]


class Trainer(Protocol):
    """What the loop drives: one step on a window, and the chain as trained so far."""

    def step(self, x: np.ndarray, y: np.ndarray, state: FlatState | None) -> tuple[float, FlatState]:
        """``x``, ``y`` ``[T, B]`` int64, the carried state (None: zeros) -> (loss, the state after the window)."""
        ...

    def trained_chain(self) -> Chain:
        """The logits chain with the weights trained so far."""
        ...


class LossNotFinite(RosettaError):
    """A step's loss is NaN or infinite (exit status 1): ``step S: the loss is nan``."""

    def __init__(self, step: int, loss: float) -> None:
        self.step = step
        self.loss = loss
        super().__init__(f"step {step}: the loss is {loss}")


def make_optimizer(settings: TrainSettings) -> Adam | SGD:
    """torch.optim.Adam (betas 0.9 0.999, eps 1e-8) or torch.optim.SGD (momentum mu; 0 plain), no weight decay."""
    if settings.optimizer == "adam":
        return Adam(lr=settings.lr, betas=ADAM_BETAS, eps=ADAM_EPS)
    return SGD(lr=settings.lr, momentum=settings.momentum)


class NumpyTrainer:
    """The step in numpy: ``ChainNet.forward(keep=True)``/``backward``, the loss, clipping and the optimizer.

    The weights live here, by dotted path, in the training dtype (float32 training updates float32
    arrays); after each update the net is loaded again from the chain holding them.
    """

    def __init__(self, logits: Chain, settings: TrainSettings) -> None:
        self.settings = settings
        self.dtype = np.dtype(settings.dtype)
        self._structure = logits
        self._weights = {path: np.array(w, dtype=self.dtype) for path, w in chain_weights(logits).items()}
        self._optimizer = make_optimizer(settings)
        self._net = self._load()

    def _chain(self) -> Chain:
        return chain_with_weights(self._structure, {p: w.astype(np.float64) for p, w in self._weights.items()})

    def _load(self) -> ChainNet:
        net = get_backend("numpy").load(self._chain(), dtype=self.settings.dtype)
        assert isinstance(net, ChainNet)
        return net

    def step(self, x: np.ndarray, y: np.ndarray, state: FlatState | None) -> tuple[float, FlatState]:
        with np.errstate(all="ignore"):  # a diverging run gives inf/nan: the loop refuses the loss, numpy stays quiet
            return self._step(x, y, state)

    def _step(self, x: np.ndarray, y: np.ndarray, state: FlatState | None) -> tuple[float, FlatState]:
        chain, batch = self._structure, x.shape[1]
        h0 = c0 = None
        if state is not None:
            h0 = split_slots(state[0], batch, chain.state_sizes)
            c0 = None if state[1] is None else split_slots(state[1], batch, chain.cell_state_sizes)
        result = self._net.forward(x, h0, c0, keep=True)
        logits = np.asarray(result.y, dtype=np.float64)  # [T, B, V], widened: the loss is float64
        loss, d_logits = softmax_cross_entropy(logits, y)  # d_logits [T, B, V]
        grads = self._net.backward(d_y=d_logits.astype(self.dtype)).weights
        if self.settings.clip_norm > 0.0:
            grads, _ = clip_grad_norm(grads, self.settings.clip_norm)
        self._weights = self._optimizer.step(self._weights, grads)
        self._net = self._load()
        h_next = join_slots(list(result.h_n), np.dtype(np.float64))
        c_next = None if result.c_n is None else join_slots(list(result.c_n), np.dtype(np.float64))
        return loss, (h_next, c_next)

    def trained_chain(self) -> Chain:
        return self._chain()


def training_losses(trainer: Trainer, streams: Streams, steps: int) -> Iterator[float]:
    """Run ``steps`` steps (step ``s`` on window ``s mod W``; zeros at every window 0): each step's loss in turn.

    A loss that is not finite raises :class:`LossNotFinite` (after that step).
    """
    state: FlatState | None = None
    for step in range(steps):
        window = streams.window_of_step(step)
        if window == 0:
            state = None  # every pass over the streams starts from zeros
        x, y = streams.window(window)  # [T_w, B] each
        loss, state = trainer.step(x, y, state)
        if not math.isfinite(loss):
            raise LossNotFinite(step + 1, loss)
        yield loss

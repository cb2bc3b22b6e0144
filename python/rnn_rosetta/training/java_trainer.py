"""The step of docs/training.md in Java: ``rnnrosetta.train.Trainer`` through JPype.

The JVM is the Java backend's (:func:`rnn_rosetta.backends.java_backend.start_jvm`); the chain is built
as the backend builds it (:func:`~rnn_rosetta.backends.java_backend.java_chain_spec`), float64
(``rnnrosetta.Chain``) or float32 (``rnnrosetta.Chain32``). Tokens and targets cross as ``int[]``, the
states as ``double[]``; ``Trainer.params()`` gives the trained weights by dotted path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_rosetta.backends.java_backend import java_chain_spec, start_jvm
from rnn_rosetta.backward.weights import chain_weights, chain_with_weights
from rnn_rosetta.chain import Chain
from rnn_rosetta.errors import BackendError, InputError
from rnn_rosetta.training.trainer import FlatState, TrainSettings


def _java_error(exc: Any) -> Exception:
    """The Python exception for a Java one: a refused argument is InputError, the rest BackendError."""
    java_class = str(exc.getClass().getSimpleName())
    message = str(exc.getMessage())
    if java_class in ("IllegalArgumentException", "TrainError"):
        return InputError(f"java: {message} ({java_class})", code=java_class)
    return BackendError("java", f"{message} ({java_class})", code=java_class)


class JavaTrainer:
    """One ``rnnrosetta.train.Trainer`` on the Java chain of ``logits``."""

    def __init__(self, logits: Chain, settings: TrainSettings) -> None:
        import jpype

        self._jpype = jpype
        self.settings = settings
        self._structure = logits
        rr = start_jvm()
        chain_class = rr.Chain32 if settings.dtype == "float32" else rr.Chain
        config = rr.train.TrainConfig(settings.optimizer, settings.lr, settings.momentum, settings.clip_norm)
        try:
            self._java = rr.train.Trainer(chain_class(java_chain_spec(rr, logits), rr.Kernel.AUTO), config)
        except jpype.JException as exc:
            raise _java_error(exc) from None
        self._h_size = sum(logits.state_sizes)
        self._c_size = sum(logits.cell_state_sizes)

    def _doubles(self, array: np.ndarray | None) -> Any:
        if array is None:
            return None
        return self._jpype.JArray(self._jpype.JDouble)(np.ascontiguousarray(array, dtype=np.float64))

    def step(self, x: np.ndarray, y: np.ndarray, state: FlatState | None) -> tuple[float, FlatState]:
        jpype = self._jpype
        steps, batch = x.shape
        tokens = jpype.JArray(jpype.JInt)(np.ascontiguousarray(x, dtype=np.int32).reshape(-1))  # [T, B]
        targets = jpype.JArray(jpype.JInt)(np.ascontiguousarray(y, dtype=np.int32).reshape(-1))  # [T, B]
        h, c = (None, None) if state is None else state
        h_next = jpype.JArray(jpype.JDouble)(batch * self._h_size)  # [S_h]
        c_next = jpype.JArray(jpype.JDouble)(batch * self._c_size) if self._c_size else None  # [S_c]
        try:
            loss = float(
                self._java.step(steps, batch, tokens, targets, self._doubles(h), self._doubles(c), h_next, c_next)
            )
        except jpype.JException as exc:
            raise _java_error(exc) from None
        c_out = None if c_next is None else np.array(c_next, dtype=np.float64)
        return loss, (np.array(h_next, dtype=np.float64), c_out)

    def trained_chain(self) -> Chain:
        """``Trainer.params()`` (dotted path -> flat ``double[]``) reshaped into the chain's arrays."""
        shapes = {path: w.shape for path, w in chain_weights(self._structure).items()}
        weights: dict[str, np.ndarray] = {}
        for entry in self._java.params().entrySet():
            path = str(entry.getKey())
            if path not in shapes:
                raise BackendError("java", f"Trainer.params() names {path}, which this chain does not have")
            weights[path] = np.array(entry.getValue(), dtype=np.float64).reshape(shapes[path])
        return chain_with_weights(self._structure, weights)

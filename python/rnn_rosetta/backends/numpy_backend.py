"""The numpy backend: :mod:`rnn_rosetta.reference` behind the ``Net`` interface."""

from __future__ import annotations

import numpy as np

from rnn_rosetta import reference
from rnn_rosetta.backends.base import Net
from rnn_rosetta.model import Model
from rnn_rosetta.result import Result


class NumpyNet(Net):
    backend = "numpy"

    def __init__(self, model: Model, dtype: str = "float64", kernel: str = "auto") -> None:
        super().__init__(model, dtype, kernel)
        self._model = reference.model_as(model, self.dtype)  # weights rounded once

    def _forward(
        self, x: np.ndarray, h0: np.ndarray | None, c0: np.ndarray | None, lengths: np.ndarray | None
    ) -> Result:
        # IEEE arithmetic, as in C and Java: inf and NaN in x propagate without a warning
        with np.errstate(over="ignore", invalid="ignore"):
            return reference.forward(self._model, x, h0, c0, lengths)


class NumpyBackend:
    name = "numpy"

    def why_unavailable(self) -> str | None:
        return None

    kernels = NumpyNet.kernels

    def load(self, model: Model, dtype: str = "float64", kernel: str = "auto") -> NumpyNet:
        return NumpyNet(model, dtype, kernel)

"""The numpy backend behind the ``Net`` interface, with three kernels.

- ``"auto"`` (kernel name ``fast``): :mod:`rnn_rosetta.backends.numpy_fast`,
  the equations in batched form, arranged for speed;
- ``"plain"``: :mod:`rnn_rosetta.reference`, the equations one gate per line;
- ``"exact"``: :mod:`rnn_rosetta.exact` (docs/exact-kernel.md), double-double
  arithmetic, bit-identical to C's and Java's exact kernels.

Like C's ``portable`` and Java's ``plain``, the plain kernel is the one to
read; the tests hold both to every committed fixture.
"""

from __future__ import annotations

import numpy as np

from rnn_rosetta import exact, reference
from rnn_rosetta.backends import numpy_fast
from rnn_rosetta.backends.base import Net
from rnn_rosetta.backends.chain_net import ChainNet
from rnn_rosetta.chain import Chain
from rnn_rosetta.model import Model
from rnn_rosetta.result import Result

KERNEL_NAMES: dict[str, str] = {"auto": "fast", "plain": "plain", "exact": "exact"}


class NumpyNet(Net):
    backend = "numpy"
    kernels = ("auto", "plain", "exact")

    def __init__(self, model: Model, dtype: str = "float64", kernel: str = "auto") -> None:
        super().__init__(model, dtype, kernel)
        self._kernel = kernel
        self._exact: exact.ExactModel | None = None
        if kernel == "exact":
            self._exact = exact.prepare(model, self.dtype)  # weights rounded and split once
        elif kernel == "plain":
            self._model = model.map_arrays(lambda array: array.astype(self.dtype))  # weights rounded once
        else:
            self._model = numpy_fast.model_as(model, self.dtype)  # rounded once, matrices column-major

    @property
    def kernel_name(self) -> str:
        return KERNEL_NAMES[self._kernel]

    def _forward(
        self, x: np.ndarray, h0: np.ndarray | None, c0: np.ndarray | None, lengths: np.ndarray | None
    ) -> Result:
        if self._exact is not None:
            with np.errstate(all="ignore"):  # IEEE arithmetic: inf and NaN propagate without a warning
                return exact.forward(self._exact, x, h0, c0, lengths)
        run = reference.forward if self._kernel == "plain" else numpy_fast.forward
        # IEEE arithmetic, as in C and Java: inf and NaN in x propagate without a warning
        with np.errstate(over="ignore", invalid="ignore"):
            return run(self._model, x, h0, c0, lengths)


class NumpyBackend:
    name = "numpy"
    kernels = NumpyNet.kernels

    def why_unavailable(self) -> str | None:
        return None

    def load(self, model: Model | Chain, dtype: str = "float64", kernel: str = "auto") -> NumpyNet | ChainNet:
        """A :class:`Model` gives a :class:`NumpyNet`, a :class:`Chain` a ``NumpyChainNet``."""
        if isinstance(model, Chain):
            from rnn_rosetta.backends.numpy_chain import NumpyChainNet

            return NumpyChainNet(model, dtype, kernel)
        return NumpyNet(model, dtype, kernel)

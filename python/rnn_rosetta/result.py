"""What a forward pass returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Result:
    """Outputs of ``Net.forward`` (or a fixture's expected values).

    ``output`` [T, B, D*H_out]; ``h_n`` [L*D, B, H_out]; ``c_n`` [L*D, B, H]
    for LSTM, else ``None``; ``y`` [T, B, O] with a head, else ``None``.
    """

    output: np.ndarray
    h_n: np.ndarray
    c_n: np.ndarray | None = None
    y: np.ndarray | None = None

    def fields(self) -> dict[str, np.ndarray]:
        """The arrays present, by name, in a fixed order."""
        pairs = (("output", self.output), ("h_n", self.h_n), ("c_n", self.c_n), ("y", self.y))
        return {name: value for name, value in pairs if value is not None}

"""What a forward pass returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: ``h_n``/``c_n``: one array ``[S, B, H]`` when every state slot has the same size, else one ``[B, H_k]`` per slot.
States = np.ndarray | list[np.ndarray]


@dataclass(frozen=True)
class Result:
    """Outputs of ``Net.forward`` / ``ChainNet.forward`` (or a fixture's expected values).

    ``output`` [T, B, W] (the top layer's merged output; v1: W = D*H_out); ``h_n`` [S, B, H_out]
    (v1: S = L*D), or a list of S arrays ``[B, H_out_k]`` when a chain's slots differ in size;
    ``c_n`` the same for lstm cell states, else ``None``; ``y`` [T, B, O] (head / dense layers on
    every step) or [B, O] (a chain with readout ``"last"``), else ``None``.

    A backend always fills ``output`` and ``h_n``; a v2 fixture's *expected* result may hold only
    some fields (e.g. only ``y``), the others ``None``.
    """

    output: np.ndarray | None = None
    h_n: States | None = None
    c_n: States | None = None
    y: np.ndarray | None = None

    def fields(self) -> dict[str, States]:
        """The arrays present, by name, in a fixed order."""
        pairs = (("output", self.output), ("h_n", self.h_n), ("c_n", self.c_n), ("y", self.y))
        return {name: value for name, value in pairs if value is not None}

"""What a fixture holds in memory: the types the reader builds and the writer writes.

A fixture file (docs/fixture-format.md) is a :class:`Model`, a list of cases
and a tolerance. A case's inputs alone are a :class:`CaseInputs` (what the
generator draws and an importer is handed); with the oracle's answer added it
is a :class:`Case`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from rnn_rosetta.compare import Tolerance
from rnn_rosetta.model import Model
from rnn_rosetta.result import Result

FORMAT = "rnn-rosetta-fixture"
VERSION = 1


class CaseInputs(NamedTuple):
    """The inputs of one case, time-major; ``None`` means zeros (states) or full length (``lengths``)."""

    name: str
    x: np.ndarray  # [T, B, I]
    h0: np.ndarray | None = None  # [L*D, B, H_out]
    c0: np.ndarray | None = None  # [L*D, B, H], lstm only
    lengths: np.ndarray | None = None  # [B] int64, each 1..T


@dataclass(frozen=True)
class Case:
    """One set of inputs and the oracle's answer for them."""

    name: str
    x: np.ndarray  # [T, B, I]
    h0: np.ndarray | None  # [L*D, B, H_out]
    c0: np.ndarray | None  # [L*D, B, H], lstm only
    lengths: np.ndarray | None  # [B] int64, each 1..T
    expected: Result

    @property
    def inputs(self) -> CaseInputs:
        """The case without its answer."""
        return CaseInputs(self.name, self.x, self.h0, self.c0, self.lengths)

    @classmethod
    def answered(cls, inputs: CaseInputs, expected: Result) -> Case:
        """``inputs`` with the oracle's ``expected`` result."""
        return cls(inputs.name, inputs.x, inputs.h0, inputs.c0, inputs.lengths, expected)


@dataclass(frozen=True)
class Fixture:
    """A model, its cases and the tolerance they are held to."""

    name: str
    description: str
    model: Model
    cases: tuple[Case, ...]
    tolerance: Tolerance
    provenance: dict[str, Any] = field(default_factory=dict)
    source: str = "<memory>"

"""What a fixture holds in memory: the types the reader builds and the writer writes.

A fixture file (docs/fixture-format.md) is a :class:`Model` (version 1) or a
:class:`Chain` (version 2), a list of cases and a tolerance. A case's inputs alone are a :class:`CaseInputs` (what the
generator draws and an importer is handed); with the oracle's answer added it
is a :class:`Case`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from rnn_rosetta.backward.gradients import Gradients
from rnn_rosetta.chain import Chain
from rnn_rosetta.compare import Tolerance
from rnn_rosetta.model import Model
from rnn_rosetta.result import Result, States

FORMAT = "rnn-rosetta-fixture"
VERSION = 1  # what a Model is written as
VERSION_2 = 2  # what a Chain is written as ("a model is a chain")
VERSIONS: tuple[int, ...] = (VERSION, VERSION_2)


class CaseInputs(NamedTuple):
    """The inputs of one case, time-major; ``None`` means zeros (states) or full length (``lengths``)."""

    name: str
    x: np.ndarray | None  # [T, B, I]; None for a token case (v2 chain with an embedding)
    h0: States | None = None  # [S, B, H_out] (v1: S = L*D), or a list of S slots [B, H_out_k] (v2, ragged)
    c0: States | None = None  # [S_c, B, H] likewise, lstm only
    lengths: np.ndarray | None = None  # [B] int64, each 1..T
    tokens: np.ndarray | None = None  # [T, B] int64 token ids (v2 chain with an embedding), else None

    @property
    def steps_batch(self) -> tuple[int, int]:
        """(T, B) of the case."""
        given = self.tokens if self.x is None else self.x
        assert given is not None
        return int(given.shape[0]), int(given.shape[1])


@dataclass(frozen=True)
class CaseBackward:
    """A version-2 case's ``backward`` (docs/fixture-format.md#gradients): given ``dL/d`` of the forward's
    results, the oracle's gradients of ``L = sum(d_output * output) + sum(d_h_n * h_n) + sum(d_c_n * c_n)
    + sum(d_y * y)`` through the case's forward pass. Each ``d_*`` is None for zeros (at least one is not).
    """

    d_output: np.ndarray | None  # [T, B, W]
    d_h_n: States | None  # [S, B, H_out], or a list of S slots [B, H_out_k]
    d_c_n: States | None  # [S_c, B, H] likewise, lstm layers only
    d_y: np.ndarray | None  # [T, B, O] (readout "sequence") or [B, O] (readout "last")
    expected: Gradients  # weights by dotted path in chain order; x (None for tokens), h0, c0 (None without lstm)


@dataclass(frozen=True)
class Case:
    """One set of inputs and the oracle's answer for them."""

    name: str
    x: np.ndarray | None  # [T, B, I]; None for a token case
    h0: States | None  # [S, B, H_out], or a list of S slots [B, H_out_k]
    c0: States | None  # [S_c, B, H] likewise, lstm only
    lengths: np.ndarray | None  # [B] int64, each 1..T
    expected: Result  # v2: only the fields the oracle gave (at least one)
    tokens: np.ndarray | None = None  # [T, B] int64 token ids, for a chain with an embedding
    backward: CaseBackward | None = None  # version 2: the oracle's gradients for given d_*, or None

    @property
    def inputs(self) -> CaseInputs:
        """The case without its answer."""
        return CaseInputs(self.name, self.x, self.h0, self.c0, self.lengths, self.tokens)

    @property
    def feed(self) -> np.ndarray:
        """What ``forward`` takes first: ``tokens`` for a token case, else ``x``."""
        given = self.tokens if self.x is None else self.x
        assert given is not None
        return given

    @classmethod
    def answered(cls, inputs: CaseInputs, expected: Result) -> Case:
        """``inputs`` with the oracle's ``expected`` result."""
        return cls(inputs.name, inputs.x, inputs.h0, inputs.c0, inputs.lengths, expected, inputs.tokens)


@dataclass(frozen=True)
class Fixture:
    """A model, its cases and the tolerance they are held to (and, for a character model, its vocabulary)."""

    name: str
    description: str
    model: Model | Chain  # Model for a version-1 file, Chain for version 2
    cases: tuple[Case, ...]
    tolerance: Tolerance
    provenance: dict[str, Any] = field(default_factory=dict)
    source: str = "<memory>"
    #: Version 2 only: the character of each token id (``vocabulary[k]`` is token ``k``), or None.
    vocabulary: tuple[str, ...] | None = None

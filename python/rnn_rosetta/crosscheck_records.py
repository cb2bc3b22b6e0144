"""The crosscheck's records: what ran, what it measured, what failed (no printing, no running)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from rnn_rosetta.backward.gradients import Gradients
from rnn_rosetta.compare import Comparison, Mismatch
from rnn_rosetta.fixtures import Fixture
from rnn_rosetta.result import Result

EXPECTED = "expected"  # the name of the oracle's side in a comparison
BIT_IDENTICAL = "bit-identical"  # the rule of the exact kernels against each other (crosscheck_bits)


@dataclass(frozen=True)
class Target:
    backend: str
    kernel: str
    dtype: str


def oracle_of(fixture: Fixture) -> tuple[str, str]:
    """(oracle name, the precision it computed in), from the fixture's provenance.

    ``provenance.oracle`` reads e.g. ``onnxruntime 1.32.0 float32``; a fixture
    that does not say is taken as float64.
    """
    described = str(fixture.provenance.get("oracle", ""))
    name = str(fixture.provenance.get("oracle_name") or (described.split() or ["?"])[0])
    precision = re.search(r"float(32|64)", described)
    return name, precision.group(0) if precision else "float64"


@dataclass(frozen=True)
class Failure:
    """One failing comparison (or a target that could not run), as a record."""

    fixture: str
    case: str | None  # None: the target failed before any case ran
    sides: tuple[str, str]  # (target label, "expected") or two target labels
    dtype: str
    rule: str  # the tolerance rule, `|got - expected| <= atol + rtol * |expected|`
    mismatch: Mismatch | None = None
    problem: str | None = None  # a structural difference, or the error that stopped the target
    gradient: bool = False  # a failure of the gradients (a case's ``backward``), not of the forward results

    def where(self) -> str:
        case = f" / {self.case}" if self.case is not None else ""
        return f"{self.fixture}{case} / {self.sides[0]} vs {self.sides[1]} {self.dtype}"

    def describe(self) -> str:
        if self.mismatch is not None and self.rule == BIT_IDENTICAL:
            detail = describe_bits(self.mismatch)
        elif self.mismatch is not None:
            detail = self.mismatch.describe_with_rule(self.rule)
        else:
            detail = self.problem or "failed"
        return f"{self.where()}: {detail}"

    def record(self) -> dict[str, Any]:
        """As JSON: ``got`` is ``sides[0]``'s value, ``expected`` is ``sides[1]``'s (the oracle's or the peer's)."""
        mismatch = self.mismatch
        return {
            "fixture": self.fixture,
            "case": self.case,
            "sides": list(self.sides),
            "dtype": self.dtype,
            "rule": self.rule,
            "problem": self.problem,
            "field": None if mismatch is None else mismatch.field,
            "index": None if mismatch is None else list(mismatch.index),
            "axes": None if mismatch is None else list(mismatch.axes()),
            "got": None if mismatch is None else json_number(mismatch.got),
            "expected": None if mismatch is None else json_number(mismatch.expected),
            "bound": None if mismatch is None else json_number(mismatch.bound),
            "got_hex": None if mismatch is None else mismatch.got.hex(),
            "expected_hex": None if mismatch is None else mismatch.expected.hex(),
            "gradient": self.gradient,
        }


def describe_bits(mismatch: Mismatch) -> str:
    """``first bit difference at output[t=0, b=1, h=2]: 0.1 (0x1.999...p-4) vs ...; rule bit-identical``."""
    got, want = mismatch.got, mismatch.expected
    return (
        f"first bit difference at {mismatch.where()}: {got!r} ({got.hex()}) vs {want!r} ({want.hex()}); "
        f"rule {BIT_IDENTICAL} (NaN == NaN)"
    )


def json_number(value: float | None) -> float | str | None:
    """``value`` for strict JSON: finite floats as they are, NaN and infinities as strings."""
    if value is None or math.isfinite(value):
        return value
    return str(value)


@dataclass
class TargetRun:
    """One target on one fixture."""

    target: Target
    label: str  # backend[kernel it really ran], or the backend alone when it has one kernel
    results: dict[str, Result] = field(default_factory=dict)  # by case name
    vs_expected: Comparison | None = None  # the worst case against the oracle
    failures: list[Failure] = field(default_factory=list)
    median_seconds: float | None = None
    error: str | None = None  # why it did not run
    ran: bool = False  # loaded and ran every case (whatever the comparison says)
    #: Gradients: None when no case of the fixture has ``backward``; "checked"; or "no backward" (the backend
    #: has none yet: reported, never skipped silently).
    backward: str | None = None
    gradients: dict[str, Gradients] = field(default_factory=dict)  # by case name, the cases with backward
    vs_expected_gradients: Comparison | None = None  # the worst gradient case against the oracle

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class PairRun:
    """Two targets of one dtype on one fixture, compared case by case."""

    dtype: str
    first: str
    second: str
    max_abs: float
    max_ratio: float  # the largest |a - b| / (atol + rtol * |b|), outputs and gradients alike
    failures: int
    gradient_cases: int = 0  # cases whose gradients both targets computed (and were compared)


@dataclass(frozen=True)
class BitsRun:
    """Two targets of one dtype that ran the exact kernel, on one fixture: cases compared, cases differing."""

    dtype: str
    first: str
    second: str
    cases: int
    differing: int


@dataclass
class FixtureReport:
    """One fixture: every target's run, every pair of targets, the exact kernels bit for bit, the failures."""

    fixture: Fixture
    runs: list[TargetRun]
    pairs: list[PairRun]
    pair_failures: list[Failure]
    bits: list[BitsRun] = field(default_factory=list)
    bit_failures: list[Failure] = field(default_factory=list)

    @property
    def oracle(self) -> tuple[str, str]:
        return oracle_of(self.fixture)

    def failures(self) -> list[Failure]:
        return [f for run in self.runs for f in run.failures] + self.pair_failures + self.bit_failures

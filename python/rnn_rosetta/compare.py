"""Compare two results under a tolerance rule and say exactly where they part.

The rule (fixture-format v1): a value matches when
``|got - expected| <= atol + rtol * |expected|``. NaN matches only NaN at the
same place; infinities must be equal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_rosetta.result import Result

# How each field's three axes are named in reports.
AXES: dict[str, tuple[str, str, str]] = {
    "output": ("t", "b", "h"),
    "y": ("t", "b", "o"),
    "h_n": ("state", "b", "h"),
    "c_n": ("state", "b", "h"),
}


@dataclass(frozen=True)
class Tolerance:
    """A value matches when ``|got - expected| <= atol + rtol * |expected|``."""

    rtol: float
    atol: float

    def bound(self, expected: np.ndarray) -> np.ndarray:
        return self.atol + self.rtol * np.abs(expected)

    def rule(self) -> str:
        return f"|got - expected| <= {self.atol:g} + {self.rtol:g} * |expected|"

    def for_dtype(self, dtype: str | np.dtype) -> Tolerance:
        """The rule a run in ``dtype`` is held to against these (float64) expected values.

        float64: the fixture's own rule. float32: at least ``FLOAT32``. Why that
        much: weights and inputs are rounded once to float32 (relative error
        u = 2^-24 = 6e-8), so a pre-activation ``sum_k w_k x_k`` carries an
        absolute error of about ``u * sum_k |w_k x_k|``; in the fixtures that
        sum reaches ~200 (saturating models: weights +-5, inputs x10), i.e.
        ~1e-5 before the gates, which damp it (tanh', sigmoid' <= 1), and the
        recurrence contracts it step by step. The numpy float32 reference
        stays within a tenth of ``1e-5 + 1e-4 * |expected|`` on every
        committed fixture (worst: gru_saturating, 1.0e-6).
        """
        if np.dtype(dtype) == np.float64:
            return self
        return Tolerance(rtol=max(self.rtol, FLOAT32.rtol), atol=max(self.atol, FLOAT32.atol))


#: The least a float32 run is held to (see :meth:`Tolerance.for_dtype`).
FLOAT32 = Tolerance(rtol=1e-4, atol=1e-5)


@dataclass(frozen=True)
class Mismatch:
    """The first value (in C order) that breaks the rule."""

    field: str
    index: tuple[int, ...]
    got: float
    expected: float
    bound: float

    def where(self) -> str:
        names = AXES.get(self.field, ("i", "j", "k"))
        return f"{self.field}[" + ", ".join(f"{n}={i}" for n, i in zip(names, self.index, strict=False)) + "]"

    def describe(self, tolerance: Tolerance) -> str:
        return (
            f"first mismatch at {self.where()}: got {self.got!r}, expected {self.expected!r}, "
            f"|diff| {abs(self.got - self.expected):.3e} > {self.bound:.3e} = {tolerance.rule()}"
        )


@dataclass(frozen=True)
class Comparison:
    max_abs: float  # the largest |got - expected| over every field
    max_ulp: int  # the largest distance in units in the last place of the result's dtype
    mismatch: Mismatch | None  # the first value that breaks the rule, if any
    problem: str | None = None  # a structural difference (missing field, shape)

    @property
    def ok(self) -> bool:
        return self.mismatch is None and self.problem is None


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How many values of ``a``'s dtype (float64 or float32) lie between ``a`` and ``b`` (0 when equal)."""
    float_type, int_type = (np.float32, np.int32) if a.dtype == np.float32 else (np.float64, np.int64)

    def ordered(x: np.ndarray) -> np.ndarray:
        bits = np.ascontiguousarray(x, dtype=float_type).view(int_type).astype(np.int64)
        return np.where(bits < 0, np.int64(np.iinfo(int_type).min) - bits, bits).astype(np.float64)

    return np.abs(ordered(a) - ordered(b))


def compare(got: Result, expected: Result, tolerance: Tolerance) -> Comparison:
    """Compare every field ``expected`` has; ``got`` must have the same fields and shapes."""
    want_fields, got_fields = expected.fields(), got.fields()
    if want_fields.keys() != got_fields.keys():
        return Comparison(np.inf, 0, None, f"fields {sorted(got_fields)} != expected {sorted(want_fields)}")
    max_abs, max_ulp, first = 0.0, 0.0, None
    for name, want in want_fields.items():
        have = got_fields[name]
        if have.shape != want.shape:
            return Comparison(np.inf, 0, None, f"{name} has shape {list(have.shape)}, expected {list(want.shape)}")
        both_nan = np.isnan(have) & np.isnan(want)
        diff = np.where(both_nan, 0.0, np.abs(have - want))
        diff = np.where(np.isnan(diff), np.inf, diff)
        diff = np.where(have == want, 0.0, diff)  # equal infinities
        bound = tolerance.bound(want)
        if diff.size:
            max_abs = max(max_abs, float(diff.max()))
            finite = np.isfinite(have) & np.isfinite(want)
            if finite.any():
                max_ulp = max(max_ulp, float(ulp_distance(have[finite], want[finite]).max()))
        bad = np.argwhere(~(diff <= bound))
        if first is None and bad.size:
            index = tuple(int(i) for i in bad[0])
            first = Mismatch(name, index, float(have[index]), float(want[index]), float(bound[index]))
    return Comparison(max_abs, int(max_ulp), first)

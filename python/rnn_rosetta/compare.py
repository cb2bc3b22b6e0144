"""Compare two results under a tolerance rule and say exactly where they part.

The rule (docs/fixture-format.md): a value matches when
``|got - expected| <= atol + rtol * |expected|``. NaN matches only NaN at the
same place; infinities must be equal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_rosetta.result import Result, States

# How each field's axes are named in reports (states: one slot per layer and direction).
AXES: dict[str, tuple[str, ...]] = {
    "output": ("t", "b", "h"),
    "y": ("t", "b", "o"),
    "h_n": ("slot", "b", "h"),
    "c_n": ("slot", "b", "h"),
}
#: A chain's readout "last" gives one ``y`` per sequence: [B, O].
LAST_Y_AXES: tuple[str, ...] = ("b", "o")
#: Fields an oracle may leave out of a version-2 ``expected`` (``y`` never, when the model produces it).
OPTIONAL_EXPECTED: frozenset[str] = frozenset({"output", "h_n", "c_n"})


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

    def axes(self) -> tuple[str, ...]:
        """The names of the index's axes: ``("t", "b", "h")`` for ``output``, ``("slot", "b", "h")`` for
        states, ``("b", "o")`` for the ``y`` of a chain with readout "last"."""
        if self.field == "y" and len(self.index) == 2:
            return LAST_Y_AXES
        return AXES.get(self.field, ("i", "j", "k"))[: len(self.index)]

    def where(self) -> str:
        return f"{self.field}[" + ", ".join(f"{n}={i}" for n, i in zip(self.axes(), self.index, strict=True)) + "]"

    def describe(self, tolerance: Tolerance) -> str:
        return self.describe_with_rule(tolerance.rule())

    def describe_with_rule(self, rule: str) -> str:
        return (
            f"first mismatch at {self.where()}: got {self.got!r}, expected {self.expected!r}, "
            f"|diff| {abs(self.got - self.expected):.3e} > {self.bound:.3e} = {rule}"
        )


@dataclass(frozen=True)
class Comparison:
    max_abs: float  # the largest |got - expected| over every field
    max_ulp: int  # the largest distance in units in the last place of ``ulp_dtype``
    mismatch: Mismatch | None  # the first value that breaks the rule, if any
    problem: str | None = None  # a structural difference (missing field, shape)
    max_ratio: float = 0.0  # the largest |got - expected| / (atol + rtol * |expected|): <= 1 passes
    ulp_dtype: str = "float64"  # the precision ``max_ulp`` counts in

    @property
    def ok(self) -> bool:
        return self.mismatch is None and self.problem is None


def ulp_distance(a: np.ndarray, b: np.ndarray, dtype: str | np.dtype | None = None) -> np.ndarray:
    """How many values of ``dtype`` (default: ``a``'s, float64 or float32) lie between ``a`` and ``b``.

    Both are rounded to ``dtype`` first; 0 when they round to the same value.
    """
    precision = np.dtype(dtype if dtype is not None else a.dtype)
    float_type, int_type = (np.float32, np.int32) if precision == np.float32 else (np.float64, np.int64)

    def ordered(x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):  # beyond float32's range: +-inf, as far as the format goes
            bits = np.ascontiguousarray(x, dtype=float_type).view(int_type).astype(np.int64)
        return np.where(bits < 0, np.int64(np.iinfo(int_type).min) - bits, bits).astype(np.float64)

    return np.abs(ordered(a) - ordered(b))


def coarser_dtype(*dtypes: str | np.dtype) -> str:
    """``"float32"`` if any of ``dtypes`` is float32, else ``"float64"``: the precision both sides share."""
    return "float32" if any(np.dtype(d) == np.float32 for d in dtypes) else "float64"


def _ratio(diff: np.ndarray, bound: np.ndarray) -> float:
    """The largest ``diff / bound`` (0 where ``diff`` is 0, inf where only the bound is 0)."""
    if not diff.size:
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(diff == 0, 0.0, diff / bound)
    return float(np.nan_to_num(ratio, nan=np.inf).max())


def _parts(value: States) -> list[np.ndarray]:
    """A field as the arrays to compare: itself, or one ``[B, H_k]`` array per slot of ragged states."""
    return [np.asarray(slot) for slot in value] if isinstance(value, (list, tuple)) else [np.asarray(value)]


def _shape_of(value: States) -> str:
    parts = _parts(value)
    if isinstance(value, (list, tuple)):
        return "slots " + str([list(p.shape) for p in parts])
    return str(list(parts[0].shape))


def _slots(value: States) -> list[np.ndarray]:
    """States as one ``[B, H_k]`` array per slot (a uniform ``[S, B, H]`` array split along S)."""
    if isinstance(value, (list, tuple)):
        return [np.asarray(slot) for slot in value]
    array = np.asarray(value)
    return list(array) if array.ndim == 3 else [array]


def _same_layout(have: States, want: States) -> bool:
    """Equal shapes; a uniform ``[S, B, H]`` array and a list of S equal ``[B, H]`` slots are the same layout."""
    if not isinstance(have, (list, tuple)) and not isinstance(want, (list, tuple)):
        return np.shape(have) == np.shape(want)
    a, b = _slots(have), _slots(want)
    return len(a) == len(b) and all(x.shape == y.shape for x, y in zip(a, b, strict=True))


def compare(got: Result, expected: Result, tolerance: Tolerance, ulp_dtype: str | None = None) -> Comparison:
    """Compare every field ``expected`` has; ``got`` must have each of them, in the same shapes.

    ``got`` may hold more of ``output``, ``h_n``, ``c_n`` than ``expected`` (a version-2 oracle may give
    only ``y``), never a ``y`` that ``expected`` lacks. States may be ragged lists of slots; a mismatch
    in them is indexed ``(slot, b, h)``. ``ulp_dtype`` is the precision the ulp distance counts in
    (default: that of ``got``). Pass the coarser of the run's and the oracle's precision: a float32
    oracle's answers compared in float64 ulps would count ~2^29 ulps for every float32 rounding.
    """
    want_fields, got_fields = expected.fields(), got.fields()
    missing = want_fields.keys() - got_fields.keys()
    extra = got_fields.keys() - want_fields.keys() - OPTIONAL_EXPECTED
    if missing or extra:
        problem = f"fields {sorted(got_fields)} != expected {sorted(want_fields)}"
        return Comparison(np.inf, 0, None, problem, np.inf)
    max_abs, max_ulp, max_ratio, first = 0.0, 0.0, 0.0, None
    counted_in = ulp_dtype
    for name, want_value in want_fields.items():
        have_value = got_fields[name]
        if not _same_layout(have_value, want_value):
            problem = f"{name} has shape {_shape_of(have_value)}, expected {_shape_of(want_value)}"
            return Comparison(np.inf, 0, None, problem, np.inf)
        sliced = isinstance(want_value, (list, tuple)) or isinstance(have_value, (list, tuple))
        have_parts, want_parts = (_slots(have_value), _slots(want_value)) if sliced else ([have_value], [want_value])
        for slot, (have, want) in enumerate(zip(have_parts, want_parts, strict=True)):
            counted_in = counted_in or str(have.dtype)
            both_nan = np.isnan(have) & np.isnan(want)
            diff = np.where(both_nan, 0.0, np.abs(have - want))
            diff = np.where(np.isnan(diff), np.inf, diff)
            diff = np.where(have == want, 0.0, diff)  # equal infinities
            bound = tolerance.bound(want)
            if diff.size:
                max_abs = max(max_abs, float(diff.max()))
                max_ratio = max(max_ratio, _ratio(diff, bound))
                finite = np.isfinite(have) & np.isfinite(want)
                if finite.any():
                    max_ulp = max(max_ulp, float(ulp_distance(have[finite], want[finite], counted_in).max()))
            bad = np.argwhere(~(diff <= bound))
            if first is None and bad.size:
                index = tuple(int(i) for i in bad[0])
                values = float(have[index]), float(want[index]), float(bound[index])
                first = Mismatch(name, ((slot,) if sliced else ()) + index, *values)
    return Comparison(max_abs, int(max_ulp), first, None, max_ratio, str(np.dtype(counted_in or "float64")))

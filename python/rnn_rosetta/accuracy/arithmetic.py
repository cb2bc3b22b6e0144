"""The two arithmetics the oracle runs in: mpmath (200 bits) and numpy longdouble (64-bit significand).

Both hand the oracle numpy arrays (object arrays of ``mpmath.mpf``, or
``np.longdouble``) on which ``+ - * /``, ``@``, comparisons and ``np.where``
work, plus ``exp``, ``tanh`` and ``sigmoid`` evaluated in that arithmetic.
:meth:`Arithmetic.to_hi_lo` turns a result into two float64 arrays whose sum
is the result to about 2^-106 relative (``hi`` is the float64 nearest).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

#: Bits of the mpmath oracle: 200 bits is 60 decimal digits.
MPMATH_BITS = 200


class Arithmetic:
    """What the oracle needs of a number type (subclasses: :class:`MpmathArithmetic`, :class:`LongdoubleArithmetic`)."""

    name = "?"

    def array(self, values: Any) -> np.ndarray:
        """float64 (or float32) values, exactly, in the working type."""
        raise NotImplementedError

    def scalar(self, value: float) -> Any:
        return self.array(np.array([value]))[0]

    def zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        return self.array(np.zeros(shape))

    def exp(self, a: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def tanh(self, a: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def sigmoid(self, a: np.ndarray) -> np.ndarray:
        """``1 / (1 + exp(-a))``."""
        raise NotImplementedError

    def to_hi_lo(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(hi, lo) float64 arrays: hi = the float64 nearest ``a``, lo = the float64 nearest ``a - hi``."""
        raise NotImplementedError

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        """The precision setting the evaluation runs under."""
        yield


class MpmathArithmetic(Arithmetic):
    """mpmath at :data:`MPMATH_BITS` bits (60 digits): every operation's relative error is about 1e-60."""

    name = "mpmath"

    def __init__(self, bits: int = MPMATH_BITS) -> None:
        import mpmath

        self.mp = mpmath.mp
        self.bits = bits
        self._mpf = np.frompyfunc(mpmath.mpf, 1, 1)
        self._exp = np.frompyfunc(mpmath.exp, 1, 1)
        self._tanh = np.frompyfunc(mpmath.tanh, 1, 1)
        self._sigmoid = np.frompyfunc(lambda v: 1 / (1 + mpmath.exp(-v)), 1, 1)

    def array(self, values: Any) -> np.ndarray:
        data = np.asarray(values, dtype=np.float64)  # float32 values are exact float64 values
        return np.asarray(self._mpf(data), dtype=object).reshape(data.shape)

    def exp(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(self._exp(a), dtype=object)

    def tanh(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(self._tanh(a), dtype=object)

    def sigmoid(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(self._sigmoid(a), dtype=object)

    def to_hi_lo(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        flat = np.asarray(a, dtype=object).ravel()
        with self.context():
            hi = np.array([float(v) for v in flat], dtype=np.float64)  # mpf -> float rounds to nearest
            lo = np.array([float(v - h) for v, h in zip(flat, hi, strict=True)], dtype=np.float64)
        return hi.reshape(np.shape(a)), lo.reshape(np.shape(a))

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        with self.mp.workprec(self.bits):
            yield


class LongdoubleArithmetic(Arithmetic):
    """numpy ``longdouble`` where it has a 64-bit significand (x86-64 Linux): unit roundoff 2^-64.

    ``exp`` and ``tanh`` are the C library's ``expl``/``tanhl`` (accurate to about 1 ulp of longdouble).
    """

    name = "longdouble"

    def __init__(self) -> None:
        if np.finfo(np.longdouble).nmant < 63:
            raise RuntimeError(
                f"numpy longdouble has a {np.finfo(np.longdouble).nmant + 1}-bit significand here; the fast oracle"
                " needs 64 (x86-64)"
            )

    def array(self, values: Any) -> np.ndarray:
        return np.asarray(values, dtype=np.float64).astype(np.longdouble)

    def exp(self, a: np.ndarray) -> np.ndarray:
        return np.exp(a)

    def tanh(self, a: np.ndarray) -> np.ndarray:
        return np.tanh(a)

    def sigmoid(self, a: np.ndarray) -> np.ndarray:
        """``e^min(a,0) / (1 + e^-|a|)``: neither branch overflows."""
        e = np.exp(-np.abs(a))
        return np.where(a >= 0, np.longdouble(1), e) / (1 + e)

    def to_hi_lo(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hi = np.asarray(a).astype(np.float64)  # round to nearest
        lo = (np.asarray(a) - hi.astype(np.longdouble)).astype(np.float64)  # exact difference, then rounded
        return hi, lo


ARITHMETICS: tuple[str, ...] = ("mpmath", "longdouble")


def get_arithmetic(name: str) -> Arithmetic:
    """The oracle arithmetic called ``name`` (one of :data:`ARITHMETICS`)."""
    if name == "mpmath":
        return MpmathArithmetic()
    if name == "longdouble":
        return LongdoubleArithmetic()
    raise ValueError(f"unknown oracle arithmetic {name!r}, expected one of {list(ARITHMETICS)}")

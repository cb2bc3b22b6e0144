"""Double-double primitives of docs/exact-kernel.md ("Primitives"), element-wise over numpy float64 arrays.

A dd is a pair ``(hi, lo)`` of float64 arrays (or Python floats) whose value is ``hi + lo``. Every line
is one IEEE binary64 operation, in the order the specification writes it: numpy's ``+ - * /`` on
float64 arrays are exactly those operations (no contraction, no reassociation), element by element.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np

#: A float64 array, or a Python float broadcast against arrays.
F: TypeAlias = np.ndarray | float
#: A double-double ``(hi, lo)``.
DD: TypeAlias = tuple[F, F]

#: Veltkamp's splitter ``2^27 + 1``.
SPLITTER = float.fromhex("0x1.0000002p+27")


def two_sum(a: F, b: F) -> DD:
    """``s + e == a + b`` exactly (Knuth): ``s = a + b``, ``v = s - a``, ``e = (a - (s - v)) + (b - v)``."""
    s = a + b
    v = s - a
    e = (a - (s - v)) + (b - v)
    return s, e


def fast_two_sum(a: F, b: F) -> DD:
    """``s + e == a + b`` exactly when ``|a| >= |b|`` or ``a == 0``: ``s = a + b``, ``e = b - (s - a)``."""
    s = a + b
    e = b - (s - a)
    return s, e


def split(a: F) -> DD:
    """Veltkamp: ``a == hi + lo``, 26 bits each: ``t = (2^27 + 1) a``, ``hi = t - (t - a)``, ``lo = a - hi``."""
    t = SPLITTER * a
    hi = t - (t - a)
    lo = a - hi
    return hi, lo


def two_prod_split(p: F, ah: F, al: F, bh: F, bl: F) -> F:
    """Dekker's error term of ``p = a * b`` from the splits of ``a`` and ``b``:
    ``e = (((ah bh - p) + ah bl) + al bh) + al bl`` (so that ``p + e == a * b``)."""
    return (((ah * bh - p) + ah * bl) + al * bh) + al * bl


def two_prod(a: F, b: F) -> DD:
    """``p + e == a * b`` exactly (Dekker); the order of the arguments is part of the specification."""
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    return p, two_prod_split(p, ah, al, bh, bl)


def dd(x: F) -> DD:
    """A double as a dd: ``(x, 0.0)``."""
    return x, np.zeros_like(x) if isinstance(x, np.ndarray) else 0.0


def dd_add(a: DD, b: DD) -> DD:
    """``a + b``: two_sum of the highs and of the lows, then two renormalizations."""
    s, e = two_sum(a[0], b[0])
    t, f = two_sum(a[1], b[1])
    e = e + t
    s, e = fast_two_sum(s, e)
    e = e + f
    return fast_two_sum(s, e)


def dd_neg(a: DD) -> DD:
    """``-a = (-hi, -lo)``."""
    return -a[0], -a[1]


def dd_sub(a: DD, b: DD) -> DD:
    """``a - b = dd_add(a, dd_neg(b))``."""
    return dd_add(a, dd_neg(b))


def dd_mul(a: DD, b: DD) -> DD:
    """``a * b``: ``(p, e) = two_prod(ah, bh)``, ``e = e + (ah bl + al bh)``, fast_two_sum(p, e)."""
    ah, al = a
    bh, bl = b
    p, e = two_prod(ah, bh)
    e = e + (ah * bl + al * bh)
    return fast_two_sum(p, e)


def dd_div(a: DD, b: DD) -> DD:
    """``a / b``: ``q1 = ah / bh``, remainder ``r = (((ah - p) - e) + al) - q1 bl`` with ``p + e = q1 bh``,
    ``q2 = r / bh``, fast_two_sum(q1, q2)."""
    ah, al = a
    bh, bl = b
    q1 = ah / bh
    p, e = two_prod(q1, bh)
    r = (((ah - p) - e) + al) - q1 * bl
    q2 = r / bh
    return fast_two_sum(q1, q2)


def dd_where(condition: np.ndarray, a: DD, b: DD) -> DD:
    """Per element ``condition ? a : b`` (a selection, no arithmetic: the bits of one side)."""
    return np.where(condition, a[0], b[0]), np.where(condition, a[1], b[1])

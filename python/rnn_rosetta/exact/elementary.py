"""The elementary functions of docs/exact-kernel.md ("Elementary functions") on dd arrays.

Each takes and returns normalized dd values, element-wise. The specification's branches are per
element: every branch is computed on the whole array (lanes that do not take it run on a harmless
stand-in value, 0) and :func:`dd_where` keeps, per element, the result of the branch that element
takes, so each element sees exactly the operations the scalar pseudo-code does.
"""

from __future__ import annotations

import numpy as np

from rnn_rosetta.exact.dd import DD, dd, dd_add, dd_div, dd_mul, dd_neg, dd_sub, dd_where, two_prod

h = float.fromhex
LN2_1 = h("0x1.62e42fefa39efp-1")
LN2_2 = h("0x1.abc9e3b39803fp-56")
LN2_3 = h("0x1.7b57a079a1934p-111")
INV_LN2 = h("0x1.71547652b82fep+0")
#: ``C[k] = (hi, lo)`` of ``1/k!``, k = 2 .. 9.
C: dict[int, tuple[float, float]] = {
    2: (h("0x1.0000000000000p-1"), h("0x0.0p+0")),
    3: (h("0x1.5555555555555p-3"), h("0x1.5555555555555p-57")),
    4: (h("0x1.5555555555555p-5"), h("0x1.5555555555555p-59")),
    5: (h("0x1.1111111111111p-7"), h("0x1.1111111111111p-63")),
    6: (h("0x1.6c16c16c16c17p-10"), h("-0x1.f49f49f49f49fp-65")),
    7: (h("0x1.a01a01a01a01ap-13"), h("0x1.a01a01a01a01ap-73")),
    8: (h("0x1.a01a01a01a01ap-16"), h("0x1.a01a01a01a01ap-76")),
    9: (h("0x1.71de3a556c734p-19"), h("-0x1.c154f8ddc6c00p-73")),
}
del h
ONE: tuple[float, float] = (1.0, 0.0)
TWO: tuple[float, float] = (2.0, 0.0)
SCALE_DOWN = 2.0**-10  # s = r 2^-10


def _full(x: DD) -> tuple[np.ndarray, np.ndarray]:
    """A dd as two float64 arrays of one shape (scalars broadcast)."""
    hi = np.asarray(x[0], dtype=np.float64)
    lo = np.asarray(x[1], dtype=np.float64)
    hi, lo = np.broadcast_arrays(hi, lo)
    return hi, lo


def reduce(x: DD) -> tuple[np.ndarray, DD]:
    """``e^x = 2^n (1 + q)`` for ``|x.hi| < 710``: ``n = rint(x.hi / ln 2)``, ``r = x - n ln 2`` (three pieces),
    ``s = r 2^-10``, ``q = e^s - 1`` by its Taylor polynomial to ``s^9/9!`` (Horner), then ten times
    ``q <- 2q + q^2`` (``(1 + q)^(2^10) - 1``)."""
    n = np.rint(x[0] * INV_LN2)
    r = dd_sub(x, two_prod(n, LN2_1))
    r = dd_sub(r, two_prod(n, LN2_2))
    r = dd_sub(r, dd(n * LN2_3))  # r = x - n ln 2, |r| <= 0.3466
    s = (r[0] * SCALE_DOWN, r[1] * SCALE_DOWN)
    t: DD = C[9]
    for k in range(8, 1, -1):
        t = dd_add(C[k], dd_mul(s, t))
    t = dd_add(ONE, dd_mul(s, t))
    q = dd_mul(s, t)
    for _ in range(10):
        q = dd_add((2 * q[0], 2 * q[1]), dd_mul(q, q))
    return n, q


def pow2(k: np.ndarray) -> np.ndarray:
    """``2^k`` exactly, ``k`` a float64 array of integers in ``-1022 .. 1023``."""
    return np.ldexp(1.0, k.astype(np.int64))


def scale(d: DD, n: np.ndarray) -> DD:
    """``d 2^n`` in two exact halves: ``n1 = floor(n / 2)``, ``n2 = n - n1``, each part times ``2^n1`` then ``2^n2``."""
    n1 = np.floor(n * 0.5)
    n2 = n - n1
    p1 = pow2(n1)
    p2 = pow2(n2)
    return (d[0] * p1) * p2, (d[1] * p1) * p2


def exp_dd(x: DD) -> DD:
    """``e^x``: NaN stays NaN, ``x.hi >= 710`` is ``+inf``, ``x.hi <= -746`` is 0, else ``scale(1 + q, n)``."""
    xh, xl = _full(x)
    nan = np.isnan(xh)
    over = xh >= 710
    under = xh <= -746
    inside = ~(nan | over | under)
    n, q = reduce((np.where(inside, xh, 0.0), np.where(inside, xl, 0.0)))
    y = scale(dd_add(ONE, q), n)
    y = dd_where(under, (np.zeros_like(xh), np.zeros_like(xh)), y)
    y = dd_where(over, (np.full_like(xh, np.inf), np.zeros_like(xh)), y)
    return dd_where(nan, (xh, xh), y)


def expm1_dd(x: DD) -> DD:
    """``e^x - 1`` for ``|x.hi| < 80``: ``q`` itself when ``n == 0``, else ``scale(1 + q, n) - 1``."""
    n, q = reduce(x)
    big = dd_sub(scale(dd_add(ONE, q), n), ONE)
    return dd_where(n == 0, q, big)


def tanh_dd(x: DD) -> DD:
    """``tanh x = (e^{2a} - 1) / (e^{2a} + 1)`` with ``a = |x|`` (sign restored); 1 for ``a >= 40``;
    NaN and zeros are returned as they are."""
    xh, xl = _full(x)
    neg = xh < 0
    a = dd_where(neg, dd_neg((xh, xl)), (xh, xl))
    small = a[0] < 40  # NaN is not: its lane is replaced below
    a_in = (np.where(small, a[0], 0.0), np.where(small, a[1], 0.0))
    m = expm1_dd((2 * a_in[0], 2 * a_in[1]))  # e^{2a} - 1
    t = dd_div(m, dd_add(m, TWO))
    t = dd_where(small, t, (np.ones_like(xh), np.zeros_like(xh)))
    t = dd_where(neg, dd_neg(t), t)
    keep = np.isnan(xh) | (xh == 0)
    return dd_where(keep, (xh, xl), t)


def sigmoid_dd(x: DD) -> DD:
    """``1 / (1 + e^-x)`` for ``x.hi >= 0``, ``e^x / (1 + e^x)`` below (neither overflows); NaN stays NaN."""
    xh, xl = _full(x)
    positive = xh >= 0
    e = exp_dd(dd_where(positive, dd_neg((xh, xl)), (xh, xl)))
    numerator = dd_where(positive, (np.ones_like(xh), np.zeros_like(xh)), e)
    y = dd_div(numerator, dd_add(ONE, e))
    return dd_where(np.isnan(xh), (xh, xl), y)


def relu_dd(x: DD) -> DD:
    """``x.hi < 0 ? 0 : x`` (NaN stays NaN)."""
    xh, xl = _full(x)
    return dd_where(xh < 0, (np.zeros_like(xh), np.zeros_like(xh)), (xh, xl))


def clip_dd(x: DD, bound: float | None) -> DD:
    """``x.hi > L ? L : (x.hi < -L ? -L : x)``; no bound, no change (NaN stays NaN)."""
    if bound is None:
        return x
    xh, xl = _full(x)
    zero = np.zeros_like(xh)
    inner = dd_where(xh < -bound, (np.full_like(xh, -bound), zero), (xh, xl))
    return dd_where(xh > bound, (np.full_like(xh, bound), zero), inner)

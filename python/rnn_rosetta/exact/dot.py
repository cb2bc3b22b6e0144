"""The dot-product accumulator of docs/exact-kernel.md ("Dot products: the pre-activations").

One pre-activation row ``r`` is ``add_term(b[r])``, then ``add_product(v[k], W[r][k])`` for
``k = 0 .. K-1`` in order, then ``finish()``. Here every row of a weight matrix and every row of a
batch of activations run at once: the loop over ``k`` stays sequential (the order of the sums is
the specification), each iteration is element-wise over ``[N, R]`` (activation rows times weight rows).

The Veltkamp split of every weight is computed once, when the net is loaded (:class:`SplitMatrix`):
``split`` is a function of its argument, so its result is the same bits wherever it is computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_rosetta.exact.dd import DD, split, two_prod_split, two_sum


@dataclass(frozen=True)
class SplitMatrix:
    """A weight matrix ``W [R, K]`` column by column, with its Veltkamp split: each ``[K, R]``."""

    w: np.ndarray  # [K, R]  w[k, r] = W[r][k]
    hi: np.ndarray  # [K, R]
    lo: np.ndarray  # [K, R]

    @classmethod
    def of(cls, weight: np.ndarray) -> SplitMatrix:
        """``W [R, K]`` (values already rounded to the net's dtype) as float64 columns and their split."""
        w = np.ascontiguousarray(np.asarray(weight, dtype=np.float64).T)  # [K, R]
        hi, lo = split(w)
        return cls(w, np.ascontiguousarray(hi), np.ascontiguousarray(lo))

    @property
    def rows(self) -> int:
        return int(self.w.shape[1])


def dot(v: np.ndarray, weight: SplitMatrix, bias: np.ndarray | None) -> DD:
    """``finish(add_term(b[r]); add_product(v[n, k], W[r][k]) for k)`` for every ``n`` and ``r``.

    ``add_product(v, w)``: ``(p, e) = two_prod(v, w)``; ``(s, q) = two_sum(s, p)``; ``c = c + (q + e)``.
    ``bias`` None: no ``add_term`` (the projection). v [N, K] float64 -> dd [N, R]
    """
    rows = v.shape[0]
    s = np.zeros((rows, weight.rows))  # [N, R]
    c = np.zeros((rows, weight.rows))  # [N, R]
    if bias is not None:
        s, q = two_sum(s, bias)  # add_term(b)
        c = c + q
    vh, vl = split(v)  # [N, K] each
    for k in range(v.shape[1]):
        v_k, vh_k, vl_k = v[:, k, None], vh[:, k, None], vl[:, k, None]  # [N, 1]
        p = v_k * weight.w[k]  # [N, R]
        e = two_prod_split(p, vh_k, vl_k, weight.hi[k], weight.lo[k])
        s, q = two_sum(s, p)
        c = c + (q + e)
    return two_sum(s, c)  # finish()


def dot_dd(v: DD, weight: SplitMatrix, bias: np.ndarray) -> DD:
    """As :func:`dot` with dd activations ``(vh, vl)`` (the Cho GRU's ``r * h``):

    ``add_product_dd((vh, vl), w)``: ``(p, e) = two_prod(vh, w)``; ``(s, q) = two_sum(s, p)``;
    ``c = c + ((q + e) + vl * w)``. v dd [N, K] -> dd [N, R]
    """
    v_hi, v_lo = v
    rows = v_hi.shape[0]
    s = np.zeros((rows, weight.rows))  # [N, R]
    c = np.zeros((rows, weight.rows))  # [N, R]
    s, q = two_sum(s, bias)
    c = c + q
    vh, vl = split(v_hi)  # [N, K] each
    for k in range(v_hi.shape[1]):
        v_k, vh_k, vl_k, lo_k = v_hi[:, k, None], vh[:, k, None], vl[:, k, None], v_lo[:, k, None]  # [N, 1]
        p = v_k * weight.w[k]  # [N, R]
        e = two_prod_split(p, vh_k, vl_k, weight.hi[k], weight.lo[k])
        s, q = two_sum(s, p)
        c = c + ((q + e) + lo_k * weight.w[k])
    return two_sum(s, c)

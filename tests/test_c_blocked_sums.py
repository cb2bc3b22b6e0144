"""The summation order of the C default kernels (c/src/internal.h, RR_DOT_BLOCK): blocked dot products.

Every output element of every product of the portable, AVX2 and AVX-512 kernels (and the fused AVX-512
step) is summed as

    total = bias
    for each block [kb, kb + 32) of k, in increasing kb:
        s = 0;  s = fma(a[k], w[k], s) for k ascending  (portable: s = s + a[k] * w[k])
        total = total + s

The oracle is an emulation of that order in exact rational arithmetic (fractions.Fraction), each
operation rounded once to the dtype (round half to even), so a fused multiply-add is one rounding and
the portable kernel's product and sum two. The net is one ReLU RNN layer run for one step, whose output
relu(gi + gh) is exact arithmetic on the two products: its bits are the products' bits. The weights hold
a huge term that cancels across blocks, so the single chain over all k (the order before) gives other
bits; the test checks that too, so it fails if the kernels go back to it.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta.backends import c_backend
from rnn_rosetta.model import DirectionWeights, Layer, Model
from tests.conftest import require_backend

BLOCK = 32  # RR_DOT_BLOCK
#: Significand bits of each dtype (the implicit bit included).
MANTISSA = {"float64": 53, "float32": 24}
#: Smallest normal exponent: below it the spacing stays that of subnormals.
MIN_EXPONENT = {"float64": -1022, "float32": -126}
#: The kernels that sum in the blocked order, and whether their multiply-add is fused.
KERNELS = {"portable": False, "avx2": True, "avx512": True}
#: Input width: 9 full blocks and a short one (two K-slices of the AVX-512 GEMM, 256; every count of
#: blocks the one-row kernels run at once). Hidden: one full block and a short one.
INPUTS, HIDDEN = 300, 40


def round_to(value: Fraction, dtype: str) -> Fraction:
    """``value`` rounded to the nearest number of ``dtype`` (ties to even); no overflow in this test."""
    num, den = abs(value.numerator), value.denominator
    if num == 0:
        return value
    exponent = num.bit_length() - den.bit_length()
    if (num << max(0, -exponent)) < (den << max(0, exponent)):
        exponent -= 1  # now 2**exponent <= |value| < 2**(exponent + 1)
    spacing = Fraction(2) ** (max(exponent, MIN_EXPONENT[dtype]) - MANTISSA[dtype] + 1)
    return round(value / spacing) * spacing  # Fraction.__round__ rounds half to even


def dot(start: Fraction, a: list[Fraction], w: list[Fraction], dtype: str, *, fused: bool, blocked: bool) -> Fraction:
    """start + sum_k a[k] w[k] in the blocked order (or, blocked=False, one chain from start), rounded
    like the kernel: fused: round(a*w + s) per k; else round(round(a*w) + s)."""

    def chain(s: Fraction, begin: int, end: int) -> Fraction:
        for k in range(begin, end):
            product = a[k] * w[k] if fused else round_to(a[k] * w[k], dtype)
            s = round_to(product + s, dtype)
        return s

    if not blocked:
        return chain(start, 0, len(a))
    total = start
    for kb in range(0, len(a), BLOCK):
        total = round_to(total + chain(Fraction(0), kb, min(kb + BLOCK, len(a))), dtype)
    return total


def exact(values: np.ndarray) -> list[Fraction]:
    return [Fraction(float(v)) for v in values]


def cancelling_model(dtype: str) -> tuple[Model, np.ndarray, np.ndarray]:
    """A ReLU RNN layer INPUTS -> HIDDEN, x [1, 3, INPUTS] and h0 [1, 3, HIDDEN], all values of ``dtype``:
    terms of mixed size (positive in W_ih x, so that most outputs are above 0), plus in every unit a
    product 2^40 at k = 5 that a product -2^40 at k = 40 (the next block) cancels."""
    rng = np.random.default_rng(13)

    def values(*shape: int) -> np.ndarray:
        mixed = rng.standard_normal(shape) * 2.0 ** rng.integers(-6, 7, shape)
        return mixed.astype(dtype).astype(np.float64)

    w_ih, w_hh = np.abs(values(HIDDEN, INPUTS)), values(HIDDEN, HIDDEN)
    b_ih, b_hh = np.abs(values(HIDDEN)), values(HIDDEN)
    x, h0 = np.abs(values(1, 3, INPUTS)), values(1, 3, HIDDEN)
    x[:, :, 5], x[:, :, 40] = 2.0**20, 2.0**20
    w_ih[:, 5], w_ih[:, 40] = 2.0**20, -(2.0**20)
    weights = DirectionWeights(w_ih, w_hh, b_ih, b_hh)
    model = Model(
        cell="rnn",
        input_size=INPUTS,
        hidden_size=HIDDEN,
        num_layers=1,
        direction="forward",
        layers=(Layer(forward=weights),),
        nonlinearity="relu",
    )
    return model, x, h0


@cache
def expected_step(dtype: str, *, fused: bool, blocked: bool) -> np.ndarray:
    """h_1 [B, H] = relu(gi + gh), gi = b_ih + W_ih x, gh = b_hh + W_hh h0, each in the given order, for
    the net and data of :func:`cancelling_model`."""
    model, x, h0 = cancelling_model(dtype)
    weights = model.layers[0].forward
    assert weights is not None
    out = np.empty((x.shape[1], HIDDEN))
    for b in range(x.shape[1]):
        x_b, h_b = exact(x[0, b]), exact(h0[0, b])
        for j in range(HIDDEN):
            gi = dot(
                Fraction(float(weights.bias_ih[j])),
                x_b,
                exact(weights.weight_ih[j]),
                dtype,
                fused=fused,
                blocked=blocked,
            )
            gh = dot(
                Fraction(float(weights.bias_hh[j])),
                h_b,
                exact(weights.weight_hh[j]),
                dtype,
                fused=fused,
                blocked=blocked,
            )
            out[b, j] = max(float(round_to(gi + gh, dtype)), 0.0)
    return out.astype(dtype)


@pytest.mark.parametrize("dtype", sorted(MANTISSA))
@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_products_are_summed_in_blocks(kernel: str, dtype: str) -> None:
    require_backend("c")
    reason = c_backend.kernel_unavailable(kernel)
    if reason is not None:
        pytest.skip(reason)
    model, x, h0 = cancelling_model(dtype)
    fused = KERNELS[kernel]
    want = expected_step(dtype, fused=fused, blocked=True)
    chained = expected_step(dtype, fused=fused, blocked=False)
    assert np.count_nonzero(want != chained) >= HIDDEN, "the data must tell the two orders apart"
    assert np.count_nonzero(want) >= 2 * HIDDEN, "most outputs must be above relu's 0"
    net = rr.get_backend("c").load(model, dtype=dtype, kernel=kernel)
    x_cast, h0_cast = x.astype(dtype), h0.astype(dtype)
    # batch 3: the many-row kernels (GEMM tiles); one row alone: the one-row kernels (GEMV)
    np.testing.assert_array_equal(net.forward(x_cast, h0_cast).output[0], want, err_msg=f"{kernel} {dtype} batch 3")
    for b in range(3):
        alone = net.forward(x_cast[:, b : b + 1], h0_cast[:, b : b + 1]).output[0, 0]
        np.testing.assert_array_equal(alone, want[b], err_msg=f"{kernel} {dtype} row {b} alone")
        stepped, _ = net.step(np.ascontiguousarray(x_cast[0, b : b + 1]), rr.State(h0_cast[:, b : b + 1], None))
        np.testing.assert_array_equal(stepped[0], want[b], err_msg=f"{kernel} {dtype} step, row {b}")

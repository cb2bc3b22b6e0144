"""The Java default kernels' dot-product order (docs/determinism.md, Java): every product sums its k in blocks
of 32 (Matrix.DOT_BLOCK), each block a chain from 0 in index order, the blocks added to the bias in order:

    total = b[o];  for kb = 0, 32, 64, ...:  s = 0;  s = s + W[o, k] x[k] for k in [kb, kb + 32);  total = total + s

The oracle is a numpy emulation of that order in the kernel's precision (each addition rounded by numpy in float64
or float32). The weights are 0 or powers of two and the inputs small integers, so every product is exact in
either precision and the plain kernel's mul-add and the vector kernel's fma give the same bits; only the order of
the additions decides them. Each product of the net (input projection, recurrent product, head) holds a pair of
huge terms, +2^62 v and -2^62 v, inside one block after the first: in the blocked order they cancel inside their
block and the earlier blocks' small sums survive; one chain over all of k (the order before) absorbs those into
the huge term and returns other values, which the test checks too (so it cannot pass on the old order).
Shapes cover the batch-1 product (four, two and one panels), the 6-, 4- and 1-row GEMM tiles, a last block
shorter than 32 and, with I = 530, a product longer than the vector kernel's k slice (512).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rnn_rosetta.model import DirectionWeights, Head, Layer, Model
from tests.conftest import require_backend

DOT_BLOCK = 32
HIDDEN = 112  # float64: 7 panels of 16 (4 + 2 + 1); K = 112: three blocks and one of 16
HEAD = 40  # float64: 3 panels (2 + 1); float32: 2 panels of 32
HUGE = 2.0**62  # absorbs any small sum in float64 (ulp 2^10) and float32
PAIRS = (32, 33)  # the cancelling pair of the input and recurrent products (block 1)
FAR_PAIR = (514, 515)  # and, when K > 512, one past the vector kernel's k slice


@pytest.fixture(scope="module")
def java() -> Any:
    require_backend("java")
    from rnn_rosetta import backends

    return backends.get_backend("java")


def _small_weights(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """0 or 2^e, e in -2..2 (nonnegative, so relu keeps the small sums): [shape]."""
    powers = 2.0 ** rng.integers(-2, 3, shape)
    return np.where(rng.random(shape) < 0.25, 0.0, powers)


def _plant_pair(w: np.ndarray, pair: tuple[int, int], rng: np.random.Generator, huge: float) -> None:
    """W[o, a] = +-huge, W[o, b] = -W[o, a] on every other row o (the rows between keep one chain's value)."""
    signs = np.where(rng.random(w.shape[0]) < 0.5, -huge, huge)
    rows = np.arange(w.shape[0]) % 2 == 0
    w[rows, pair[0]] = signs[rows]
    w[rows, pair[1]] = -signs[rows]


def _model(rng: np.random.Generator, inputs: int) -> Model:
    """An Elman relu net [inputs -> HIDDEN] with an identity head [HIDDEN -> HEAD], the pairs planted."""
    w_ih = _small_weights(rng, (HIDDEN, inputs))  # [H, I]
    w_hh = _small_weights(rng, (HIDDEN, HIDDEN))  # [H, H]
    b_ih = _small_weights(rng, (HIDDEN,))  # [H]
    b_hh = _small_weights(rng, (HIDDEN,))  # [H]
    _plant_pair(w_ih, PAIRS, rng, HUGE)
    if inputs > FAR_PAIR[1]:
        _plant_pair(w_ih, FAR_PAIR, rng, HUGE)
    _plant_pair(w_hh, PAIRS, rng, HUGE)
    # units 32 and 33 equal (same rows), so the head's pair over h_t cancels as well
    for a in (w_ih, w_hh, b_ih, b_hh):
        a[PAIRS[1]] = a[PAIRS[0]]
    w_y = _small_weights(rng, (HEAD, HIDDEN))  # [O, H]
    _plant_pair(w_y, PAIRS, rng, 2.0**40)
    layer = Layer(forward=DirectionWeights(weight_ih=w_ih, weight_hh=w_hh, bias_ih=b_ih, bias_hh=b_hh))
    return Model(
        cell="rnn", input_size=inputs, hidden_size=HIDDEN, num_layers=1, direction="forward", layers=(layer,),
        nonlinearity="relu", head=Head(weight=w_y, bias=_small_weights(rng, (HEAD,)), activation="identity"),
    )  # fmt: skip


def _inputs(rng: np.random.Generator, steps: int, batch: int, width: int) -> np.ndarray:
    """Integers 0..8 with the pairs' two columns equal: [steps, batch, width]."""
    v = rng.integers(0, 9, (steps, batch, width)).astype(np.float64)
    for a, b in (PAIRS, FAR_PAIR):
        if b < width:
            v[..., b] = v[..., a]
    return v


def _product(w: np.ndarray, b: np.ndarray, v: np.ndarray, dtype: type, block: int | None) -> np.ndarray:
    """y[r, o] = b[o] + sum_k W[o, k] v[r, k], every addition rounded to dtype: in the kernels' order with k
    blocks of `block`, or (None) in one chain from the bias, the order before: [R, O]."""
    w, v = w.astype(dtype), v.astype(dtype)  # [O, K], [R, K]
    total = np.broadcast_to(b.astype(dtype), (v.shape[0], w.shape[0])).copy()  # [R, O]
    if block is None:
        for k in range(w.shape[1]):
            total = total + v[:, k, None] * w[None, :, k]  # ((b + p_0) + p_1) + ...
        return total
    for kb in range(0, w.shape[1], block):
        s = np.zeros_like(total)  # [R, O]
        for k in range(kb, min(kb + block, w.shape[1])):
            s = s + v[:, k, None] * w[None, :, k]  # the product is exact: one rounding, the addition's
        total = total + s  # total = total + s, block after block
    return total


def _forward(
    model: Model, x: np.ndarray, h0: np.ndarray, dtype: type, block: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The net in the emulated order: (output [T, B, H], y [T, B, O])."""
    w = model.layers[0].forward
    assert w is not None and model.head is not None
    h = h0.astype(dtype)  # [B, H]
    outputs, ys = [], []
    for x_t in x:  # [B, I]
        xp = _product(w.weight_ih, w.bias_ih, x_t, dtype, block)  # [B, H]
        gh = _product(w.weight_hh, w.bias_hh, h, dtype, block)  # [B, H]
        pre = xp + gh  # one rounding
        h = np.where(pre < 0, dtype(0), pre)  # relu as the kernels: a < 0 ? 0 : a
        outputs.append(h)
        ys.append(_product(model.head.weight, model.head.bias, h, dtype, block))
    return np.stack(outputs), np.stack(ys)


@pytest.mark.parametrize("inputs", [64, 530])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kernel", ["plain", "vector"])
def test_products_sum_in_blocks_of_32(java: Any, kernel: str, dtype: str, inputs: int) -> None:
    rng = np.random.default_rng(inputs)
    model = _model(rng, inputs)
    net = java.load(model, dtype=dtype, kernel=kernel)
    assert net.kernel_name == kernel
    np_dtype = np.float64 if dtype == "float64" else np.float32
    for batch in (1, 4, 7):  # the batch-1 product; tiles of 4; tiles of 6 and 1
        x = _inputs(rng, 2, batch, inputs)  # [T, B, I]
        h0 = _inputs(rng, 1, batch, HIDDEN)[0]  # [B, H]
        got = net.forward(x, h0=h0[None])
        output, y = _forward(model, x, h0, np_dtype, DOT_BLOCK)
        where = f"{kernel} {dtype} I={inputs} B={batch}"
        assert got.output is not None and got.y is not None
        assert got.output.tobytes() == output.tobytes(), f"{where}: h differs in {np.sum(got.output != output)}"
        assert got.y.tobytes() == y.tobytes(), f"{where}: y differs in {np.sum(got.y != y)}"
        # the order matters on these values: one chain over all of k gives other results
        chain_output, chain_y = _forward(model, x, h0, np_dtype, None)
        assert np.sum(chain_output != output) > batch and np.sum(chain_y != y) > batch, where

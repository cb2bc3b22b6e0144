"""Java's float32 sigmoid and tanh are C's (issue 14): the same operations in the same order as C's AVX-512 and
AVX2 float32 functions (c/src/avx512_math_impl.h; Java: Activations.sigmoid/tanh(float), Lanes32), so the
same bits, in Java's plain kernel (scalar code) and vector kernel (lanes) alike.

Each function is read off a one-layer net that computes it exactly on its input: an RNN with W_ih = I and
everything else 0 gives h = tanh(x); an LSTM whose input gate sees x (W_ih's first block I), whose cell
candidate is tanh(40) = 1 and whose c_0 is 0 gives c = sigmoid(x) (test_c_determinism.py uses the same nets
for C's float64 functions). The arguments: random bit patterns over every finite float32, and dense runs at
the places where the code changes path (tanh's polynomial below 0.625, the clamps at 44.5 and -104,
subnormals, zeros). The two languages are independent implementations, each checked against mpmath
elsewhere (test_java_determinism.py: sigmoid within 2.45 ulp, tanh within 1.4); this test holds them to one
answer. The Java vector code runs three times and is compared every time, so the lanes C2 compiles are
checked, not only the interpreter's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rnn_rosetta.backends.c_backend import CBackend
from rnn_rosetta.errors import InputError
from rnn_rosetta.model import Model
from tests.conftest import require_backend
from tests.test_c_determinism import identity_rnn, sigmoid_lstm

UNITS = 5  # as the nets of test_c_determinism: one full vector and a masked lane per row in C


def float32_arguments() -> np.ndarray:
    """Finite float32 arguments: random bit patterns, and dense runs around every change of path."""
    rng = np.random.default_rng(1414)
    bits = rng.integers(0, 2**32, 400_000, dtype=np.uint64).astype(np.uint32)
    random = bits.view(np.float32)
    random = random[np.isfinite(random)]
    sign = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), 20_000)
    dense = [
        rng.uniform(-1, 1, 20_000),
        rng.uniform(0.6, 0.65, 20_000) * sign,  # tanh: polynomial below 0.625, expf above
        rng.uniform(-20, 20, 20_000),
        rng.uniform(44, 45, 20_000) * sign,  # tanh's a = min(44.5, |x|)
        rng.uniform(86, 106, 20_000) * sign,  # sigmoid's max(-104, -|x|), expf's range
        np.exp(rng.uniform(-103, 2, 20_000)) * sign,  # subnormal to small
    ]
    edges = np.array([0.0, -0.0, 0.625, -0.625, 44.5, -44.5, 104.0, -104.0, 1e-45, -1e-45, 3e38, -3e38])
    edges = np.concatenate([edges, np.nextafter(edges.astype(np.float32), np.float32(np.inf))])
    x = np.concatenate([random, *(d.astype(np.float32) for d in dense), edges.astype(np.float32)])
    return np.concatenate([x, np.zeros(-len(x) % UNITS, dtype=np.float32)])


def c_net(model: Model) -> Any:
    """The model in C's AVX-512 kernel where this CPU has it, else in its AVX2 twin (the same bits), else a skip."""
    require_backend("c")
    for kernel in ("avx512", "avx2"):
        try:
            return CBackend().load(model, "float32", kernel, 1)
        except InputError as exc:
            if exc.code != "RR_E_UNSUPPORTED":
                raise
    pytest.skip("this CPU (or build) runs neither C's AVX-512 nor its AVX2 kernel")


def evaluate(net: Any, function: str, x: np.ndarray) -> np.ndarray:
    """The function on x, read off the net (batch = len(x) / UNITS rows of UNITS units)."""
    result = net.forward(x.reshape(1, len(x) // UNITS, UNITS))
    values = result.output if function == "tanh" else result.c_n
    return np.asarray(values, dtype=np.float32).reshape(-1)


def first_difference(got: np.ndarray, want: np.ndarray, x: np.ndarray) -> str:
    bad = np.flatnonzero(got.view(np.uint32) != want.view(np.uint32))
    if len(bad) == 0:
        return ""
    i = int(bad[0])
    return f"{len(bad)} differ; first x={x[i]!r}: {got[i]!r} against C's {want[i]!r}"


@pytest.mark.parametrize("java_kernel", ["plain", "vector"])
@pytest.mark.parametrize("function", ["tanh", "sigmoid"])
def test_java_float32_function_is_cs(function: str, java_kernel: str) -> None:
    require_backend("java")
    from rnn_rosetta.backends.java_backend import JavaBackend

    model = identity_rnn(UNITS) if function == "tanh" else sigmoid_lstm(UNITS)
    x = float32_arguments()
    want = evaluate(c_net(model), function, x)
    net = JavaBackend().load(model, "float32", java_kernel)
    for run in range(3 if java_kernel == "vector" else 1):
        diff = first_difference(evaluate(net, function, x), want, x)
        assert not diff, f"java:{java_kernel} float32 {function}, run {run + 1}: {diff}"


def test_the_nets_compute_the_functions() -> None:
    """The nets read the functions off exactly: C's float32 values against float64 tanh and sigmoid, rounded,
    within the functions' few ulps (a net that computed something else would be far off)."""
    x = float32_arguments()[:50_000]
    for function, exact in (("tanh", np.tanh), ("sigmoid", lambda v: 1 / (1 + np.exp(-v)))):
        model = identity_rnn(UNITS) if function == "tanh" else sigmoid_lstm(UNITS)
        got = evaluate(c_net(model), function, x).astype(np.float64)
        with np.errstate(over="ignore"):
            want = exact(x.astype(np.float64))
        np.testing.assert_allclose(got, want, rtol=4 * 2.0**-23, atol=2.0**-149, err_msg=function)

"""The Java default kernels' bits (issue 13): the same bits on every call, in every thread and
for every batch split, in both kernels (plain, vector) and both precisions; and the elementary
functions they are built from (rnnrosetta.Activations, the scalar code, and Lanes64/Lanes32, its
lanewise twin) against mpmath.

Oracles: the bit-pattern tests compare a net with itself (first answer against every later one,
one thread against eight, a batch against its rows run alone) -- each fails if the JIT's tier,
the thread or the batch changes a single bit. The elementary functions are compared with mpmath
at 120 bits (an independent oracle), in ulps of the result's precision; the vector lanes are
compared with the scalar functions bit for bit (the two implementations of one algorithm).
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import numpy as np
import pytest

from tests.conftest import require_backend

KERNELS = ("plain", "vector")
PRECISIONS = ("float64", "float32")
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


@pytest.fixture(scope="module")
def rr() -> Any:
    """The ``rnnrosetta`` Java package (the JVM is started once per process, with the vector module)."""
    require_backend("java")
    from rnn_rosetta.backends.java_backend import start_jvm

    return start_jvm()


def _jarray(values: np.ndarray, precision: str) -> Any:
    import jpype

    kind = jpype.JDouble if precision == "float64" else jpype.JFloat
    dtype = np.float64 if precision == "float64" else np.float32
    return jpype.JArray(kind)(np.ascontiguousarray(values, dtype=dtype).ravel())


def _np(java_array: Any) -> np.ndarray | None:
    return None if java_array is None else np.array(java_array)


def make_net(
    rr: Any,
    precision: str,
    kernel: str,
    cell: str,
    *,
    input_size: int = 5,
    hidden: int = 11,
    layers: int = 1,
    direction: str = "FORWARD",
    proj: int = 0,
    peepholes: bool = False,
    clip: float = float("nan"),
    lbr: bool = True,
    relu: bool = False,
    head: int = 0,
    seed: int = 0,
    weights: dict[str, np.ndarray] | None = None,
) -> Any:
    """A Java Net/Net32 with random weights in [-1, 1) (or ``weights`` for a one-layer model)."""
    import jpype

    rng = np.random.default_rng(seed)
    dirs = 2 if direction == "BIDIRECTIONAL" else 1
    h_out = proj or hidden
    g = GATES[cell] * hidden
    config = rr.Config(
        rr.Cell.valueOf(cell),
        rr.Nonlinearity.RELU if relu else rr.Nonlinearity.TANH,
        lbr,
        input_size,
        hidden,
        layers,
        rr.Direction.valueOf(direction),
        proj,
        peepholes,
        clip,
        rr.HeadActivation.SOFTMAX if head else rr.HeadActivation.NONE,
        head,
    )

    def arr(n: int) -> Any:
        return jpype.JArray(jpype.JDouble)(rng.uniform(-1.0, 1.0, n))

    def layer(index: int) -> Any:
        if weights is not None:
            w = {k: jpype.JArray(jpype.JDouble)(np.ravel(v)) for k, v in weights.items()}
            return rr.LayerWeights(w["ih"], w["hh"], w["bih"], w["bhh"], None, None)
        width = input_size if index == 0 else dirs * h_out
        return rr.LayerWeights(
            arr(g * width),
            arr(g * h_out),
            arr(g),
            arr(g),
            arr(proj * hidden) if proj else None,
            arr(3 * hidden) if peepholes else None,
        )

    table = jpype.JArray(rr.LayerWeights, 2)([[layer(i) for _ in range(dirs)] for i in range(layers)])
    head_w = arr(head * dirs * h_out) if head else None
    head_b = arr(head) if head else None
    cls = rr.Net if precision == "float64" else rr.Net32
    net = cls(config, table, head_w, head_b, rr.Kernel.valueOf(kernel.upper()))
    if str(net.kernelName()) != kernel:
        pytest.fail(f"asked for the {kernel} kernel, got {net.kernelName()} (is the vector module missing?)")
    return net


def digest(result: Any) -> str:
    """One hash of every bit of a Result (output, hN, cN, y)."""
    h = hashlib.sha256()
    for part in (result.output(), result.hN(), result.cN(), result.y()):
        a = _np(part)
        h.update(b"-" if a is None else a.tobytes())
    return h.hexdigest()


# -- one net, many calls, many threads -----------------------------------------------------------

T, B, H = 20, 4, 64


@pytest.fixture(params=[(k, p) for k in KERNELS for p in PRECISIONS], ids=lambda kp: f"{kp[0]}-{kp[1]}")
def jit_sized(rr: Any, request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """LSTM 64 -> 64, T 20, B 4 (large enough for the JIT to move its loops between tiers) and its input."""
    kernel, precision = request.param
    net = make_net(rr, precision, kernel, "LSTM", input_size=H, hidden=H, peepholes=True, seed=3)
    x = _jarray(np.random.default_rng(4).uniform(-2.0, 2.0, T * B * H), precision)
    return net, x


def test_one_bit_pattern_over_ten_thousand_calls(jit_sized: tuple[Any, Any]) -> None:
    net, x = jit_sized
    first = digest(net.forward(T, B, x, None, None, None))
    for call in range(2, 10_001):
        again = digest(net.forward(T, B, x, None, None, None))
        assert again == first, f"call {call} returned other bits than call 1"


def test_eight_threads_return_the_first_answer(jit_sized: tuple[Any, Any]) -> None:
    net, x = jit_sized
    first = digest(net.forward(T, B, x, None, None, None))
    seen: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [digest(net.forward(T, B, x, None, None, None)) for _ in range(150)]
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 * 150
    assert set(seen) == {first}


# -- batch splits --------------------------------------------------------------------------------

SPLIT_MODELS = {
    "rnn-tanh": {"cell": "RNN"},
    "rnn-relu-clip": {"cell": "RNN", "relu": True, "clip": 0.7},
    "lstm": {"cell": "LSTM", "hidden": 37},
    "lstm-peep-proj-clip": {"cell": "LSTM", "hidden": 19, "proj": 7, "peepholes": True, "clip": 1.5},
    "lstm-2layer-bidi-head": {"cell": "LSTM", "layers": 2, "direction": "BIDIRECTIONAL", "head": 6},
    "gru": {"cell": "GRU", "hidden": 33},
    "gru-cho-reverse": {"cell": "GRU", "lbr": False, "direction": "REVERSE", "hidden": 17},
}


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("model", sorted(SPLIT_MODELS))
def test_row_of_a_batch_equals_the_sequence_alone(rr: Any, kernel: str, precision: str, model: str) -> None:
    """Row b of a batch-13 run (lengths 1..T) equals the batch-1 run of that sequence, every bit."""
    opts = SPLIT_MODELS[model]
    net = make_net(rr, precision, kernel, seed=11, **opts)
    cfg = net.config()
    t_len, batch, i_size = 9, 13, int(cfg.inputSize())
    rng = np.random.default_rng(12)
    x = rng.uniform(-3.0, 3.0, (t_len, batch, i_size))
    lengths = rng.integers(1, t_len + 1, batch)
    lengths[0] = t_len
    import jpype

    whole = net.forward(t_len, batch, _jarray(x, precision), None, None, jpype.JArray(jpype.JInt)(lengths.tolist()))
    out = _np(whole.output()).reshape(t_len, batch, -1)
    h_n = _np(whole.hN()).reshape(-1, batch, int(cfg.outputSize()))
    c_n = _np(whole.cN())
    y = _np(whole.y())
    for b in range(batch):
        n = int(lengths[b])
        alone = net.forward(n, 1, _jarray(x[:n, b, :], precision), None, None, None)
        assert np.array_equal(_np(alone.output()).reshape(n, -1), out[:n, b, :]), f"output row {b}"
        assert np.array_equal(_np(alone.hN()).reshape(-1, h_n.shape[2]), h_n[:, b, :]), f"hN row {b}"
        if c_n is not None:
            c_all = c_n.reshape(h_n.shape[0], batch, -1)
            assert np.array_equal(_np(alone.cN()).reshape(h_n.shape[0], -1), c_all[:, b, :]), f"cN row {b}"
        if y is not None:
            y_all = y.reshape(t_len, batch, -1)
            assert np.array_equal(_np(alone.y()).reshape(n, -1), y_all[:n, b, :]), f"y row {b}"


# -- the elementary functions --------------------------------------------------------------------


#: Edges: zeros, subnormals, where exp / sigmoid / tanh saturate in float32 and float64, huge values.
SPECIAL_ARGUMENTS = (
    "0 -0 1e-310 -1e-310 5e-324 1e-30 20 -20 36.7 -36.7 88 -88 103.9 -103.9 700 -700 745 -745 1e300 -1e300"
)


def arguments(precision: str) -> np.ndarray:
    """Arguments over every range the algorithm treats apart: tiny, the k = 0 / -1 seam, saturation."""
    rng = np.random.default_rng(21)
    parts = [
        rng.uniform(-1.0, 1.0, 1500),
        rng.uniform(-0.36, 0.36, 800),
        rng.uniform(0.15, 0.2, 400) * rng.choice([-1.0, 1.0], 400),
        rng.uniform(-45.0, 45.0, 1500),
        np.exp(rng.uniform(np.log(1e-300), np.log(700.0), 1200)) * rng.choice([-1.0, 1.0], 1200),
        np.array(SPECIAL_ARGUMENTS.split(), dtype=np.float64),
    ]
    x = np.concatenate(parts)
    if precision == "float32":
        with np.errstate(over="ignore"):
            x = x.astype(np.float32)
        x = x[np.isfinite(x)]
    return x


def scalar_function(rr: Any, name: str, precision: str) -> Any:
    """rnnrosetta.Activations.NAME(double|float), package-private, through reflection."""
    import jpype

    cls = jpype.JClass("java.lang.Class").forName("rnnrosetta.Activations")
    prim = jpype.JClass("java.lang.Double" if precision == "float64" else "java.lang.Float").TYPE
    method = cls.getDeclaredMethod(name, prim)
    method.setAccessible(True)
    box = jpype.JDouble if precision == "float64" else jpype.JFloat
    return lambda v: float(method.invoke(None, box(float(v))))


def ulps(got: float, exact: Any, precision: str) -> float:
    """|got - exact| in units in the last place of ``exact`` in ``precision`` (subnormal spacing below)."""
    import mpmath as mp

    if exact == 0:
        return 0.0 if got == 0 else float("inf")
    mant, emin = (52, -1022) if precision == "float64" else (23, -126)
    e = int(mp.floor(mp.log(abs(exact), 2)))
    unit = mp.mpf(2) ** (max(e, emin) - mant)
    return float(abs(mp.mpf(got) - exact) / unit)


EXACT = {
    "sigmoid": lambda mp, x: 1 / (1 + mp.exp(-x)),
    "tanh": lambda mp, x: mp.tanh(x),
    "expNonPositive": lambda mp, x: mp.exp(x),
}
#: Measured maxima (see docs/determinism.md) with a little room; float32 computes in float throughout. The
#: float32 sigmoid and tanh are C's float32 functions (one expf, one division): 2.40 and 1.37 ulp at worst over
#: every float32 input (a scan of all 2^32 against float64), where the pair algorithm of float64 gives 0.6.
MAX_ULP = {
    ("float64", "sigmoid"): 0.6,
    ("float64", "tanh"): 0.65,
    ("float64", "expNonPositive"): 0.6,
    ("float32", "sigmoid"): 2.45,
    ("float32", "tanh"): 1.4,
    ("float32", "expNonPositive"): 0.6,
}


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("name", sorted(EXACT))
def test_scalar_functions_against_mpmath(rr: Any, precision: str, name: str) -> None:
    mp = pytest.importorskip("mpmath")
    mp.mp.prec = 120
    f = scalar_function(rr, name, precision)
    worst, where = 0.0, None
    for x in arguments(precision):
        v = -abs(float(x)) if name == "expNonPositive" else float(x)
        got = f(v)
        err = ulps(got, EXACT[name](mp, mp.mpf(v)), precision)
        if err > worst:
            worst, where = err, v
    assert worst <= MAX_ULP[(precision, name)], f"{name} {precision}: {worst:.3f} ulp at {where!r}"


def test_special_values(rr: Any) -> None:
    for precision in PRECISIONS:
        sig, tanh = scalar_function(rr, "sigmoid", precision), scalar_function(rr, "tanh", precision)
        assert np.isnan(sig(float("nan"))) and np.isnan(tanh(float("nan")))
        assert sig(float("inf")) == 1.0 and sig(float("-inf")) == 0.0 and sig(0.0) == 0.5
        assert tanh(float("inf")) == 1.0 and tanh(float("-inf")) == -1.0
        assert np.signbit(tanh(-0.0)) and tanh(-0.0) == 0.0 and not np.signbit(tanh(0.0))


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("function", ["tanh", "sigmoid"])
def test_vector_lanes_equal_the_scalar_function(rr: Any, precision: str, function: str) -> None:
    """Through a net whose units compute exactly tanh(x_j) (RNN) or sigmoid(x_j) (GRU, z gate): the
    vector kernel's lanes and row tails return the scalar function's bits for every argument."""
    hidden = 67  # not a multiple of any vector length: lanes and a scalar tail
    x = arguments(precision)
    x = x[np.abs(x) < 1e30] + 0.0  # -0.0 reaches the gate as 0.0 + -0.0 = +0.0: keep it out
    rows = -(-len(x) // hidden)
    x = np.resize(x, rows * hidden)
    eye = np.eye(hidden)
    zeros = np.zeros
    if function == "tanh":
        weights = {"ih": eye, "hh": zeros((hidden, hidden)), "bih": zeros(hidden), "bhh": zeros(hidden)}
        cell, h0 = "RNN", None
    else:
        # z rows read x through the identity; r and n see nothing, so n = tanh(0) = 0 and h = z * h0 = z
        ih = np.vstack([zeros((hidden, hidden)), eye, zeros((hidden, hidden))])
        weights = {"ih": ih, "hh": zeros((3 * hidden, hidden)), "bih": zeros(3 * hidden), "bhh": zeros(3 * hidden)}
        cell, h0 = "GRU", _jarray(np.ones(rows * hidden), precision)
    f = scalar_function(rr, function, precision)
    expected = np.array([f(v) for v in x], dtype=np.float64 if precision == "float64" else np.float32)
    for kernel in KERNELS:
        net = make_net(rr, precision, kernel, cell, input_size=hidden, hidden=hidden, weights=weights)
        got = _np(net.forward(1, rows, _jarray(x, precision), h0, None, None).output())
        assert got.tobytes() == expected.tobytes(), f"{kernel}: {int(np.sum(got != expected))} values differ"

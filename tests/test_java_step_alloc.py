"""The Java zero-allocation streaming step (issue 14): Net.step(StepState, x), Chain.step(StepState, x),
Chain.stepTokens(StepState, tokens) and their float32 twins.

- Allocation: the calling thread's allocated bytes (com.sun.management.ThreadMXBean, measured
  inside the JVM by rnnrosetta.bench.StepBench) over 10^5 steps after 10^5 warm-up steps are 0,
  for LSTM and GRU, float32 and float64, both kernels; for nets and for two-layer chains with a
  dense layer, on real inputs and on tokens.
- Bits: T streamed steps equal forward() over the T steps, every output, y and the final state
  (the oracle is the model's own whole-sequence path, which other tests check against PyTorch).
- Refusals: a state of another net or chain, a wrong x length or token, a model that cannot stream.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import numpy as np
import pytest

from rnn_rosetta import paths
from rnn_rosetta.backends.java_backend import JVM_OPTIONS
from tests.conftest import require_backend
from tests.test_java_determinism import _jarray, _np, make_net

KERNELS = ("plain", "vector")
PRECISIONS = ("float64", "float32")


@pytest.fixture(scope="module")
def rr() -> Any:
    require_backend("java")
    from rnn_rosetta.backends.java_backend import start_jvm

    return start_jvm()


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("dtype", PRECISIONS)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_step_allocates_nothing_in_steady_state(rr: Any, cell: str, dtype: str, kernel: str) -> None:
    rows = _step_bench(cell, dtype, kernel, "net")
    assert len(rows) == 4  # hidden 8 and 32, input 1 and input = hidden
    for row in rows:
        assert row["kernel"] == kernel and row["steps"] == 100000 and row["model"] == "net"
        assert row["alloc_bytes_per_step"] == 0, row


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("dtype", PRECISIONS)
@pytest.mark.parametrize("model", ["chain", "chain-tokens"])
def test_chain_step_allocates_nothing_in_steady_state(rr: Any, model: str, dtype: str, kernel: str) -> None:
    rows = _step_bench("lstm,gru", dtype, kernel, model, hidden="8")
    assert len(rows) == 4  # LSTM and GRU, input 1 and input = hidden
    for row in rows:
        assert row["kernel"] == kernel and row["steps"] == 100000 and row["model"] == model
        assert row["alloc_bytes_per_step"] == 0, row


def _step_bench(cells: str, dtype: str, kernel: str, model: str, hidden: str = "8,32") -> list[dict[str, Any]]:
    """StepBench's JSON lines for 10^5 steps of each case."""
    jar = paths.java_jar()
    cmd = [
        "java",
        *JVM_OPTIONS,
        "-cp",
        str(jar),
        "rnnrosetta.bench.StepBench",
        "--steps",
        "100000",
        "--cells",
        cells,
        "--hidden",
        hidden,
        "--dtypes",
        dtype,
        "--kernel",
        kernel,
        "--model",
        model,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


STREAM_MODELS = {
    "lstm-2layer-peep-proj-head": {"cell": "LSTM", "layers": 2, "hidden": 19, "proj": 7, "peepholes": True, "head": 5},
    "gru-cho-clip": {"cell": "GRU", "lbr": False, "hidden": 21, "clip": 0.9},
    "gru-head": {"cell": "GRU", "hidden": 40, "head": 3},
    "rnn-relu": {"cell": "RNN", "relu": True, "hidden": 9},
}


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("model", sorted(STREAM_MODELS))
def test_streamed_steps_equal_forward(rr: Any, model: str, kernel: str, precision: str) -> None:
    net = make_net(rr, precision, kernel, seed=5, **STREAM_MODELS[model])
    cfg = net.config()
    t_len, batch, i_size = 12, 2, int(cfg.inputSize())
    x = np.random.default_rng(6).uniform(-2.0, 2.0, (t_len, batch, i_size))
    whole = net.forward(t_len, batch, _jarray(x, precision), None, None, None)
    out = _np(whole.output()).reshape(t_len, batch, -1)
    y = _np(whole.y())
    state = net.newStepState(batch)
    for t in range(t_len):
        net.step(state, _jarray(x[t], precision))
        assert np.array_equal(_np(state.output()).reshape(batch, -1), out[t]), f"output at t={t}"
        if y is not None:
            assert np.array_equal(_np(state.y()), y.reshape(t_len, -1)[t]), f"y at t={t}"
        else:
            assert state.y() is None
    h = _jarray(np.zeros(len(whole.hN())), precision)
    c = _jarray(np.zeros(len(whole.cN())), precision) if whole.cN() is not None else None
    state.getState(h, c)
    assert np.array_equal(_np(h), _np(whole.hN()))
    if c is not None:
        assert np.array_equal(_np(c), _np(whole.cN()))


@pytest.mark.parametrize("precision", PRECISIONS)
def test_set_state_then_step_equals_step_with_h_and_c(rr: Any, precision: str) -> None:
    net = make_net(rr, precision, "vector", "LSTM", hidden=13, layers=2, seed=8)
    rng = np.random.default_rng(9)
    h0 = _jarray(rng.uniform(-1, 1, 2 * 3 * 13), precision)
    c0 = _jarray(rng.uniform(-1, 1, 2 * 3 * 13), precision)
    x = _jarray(rng.uniform(-1, 1, 3 * 5), precision)
    reference = net.step(3, x, h0, c0)
    state = net.newStepState(3)
    state.setState(h0, c0)
    net.step(state, x)
    assert np.array_equal(_np(state.output()), _np(reference.output()).reshape(-1))
    state.setState(None, None)  # zeros
    net.step(state, x)
    assert np.array_equal(_np(state.output()), _np(net.step(3, x, None, None).output()).reshape(-1))


def test_step_refusals(rr: Any) -> None:
    import jpype

    net = make_net(rr, "float64", "plain", "GRU", hidden=6, seed=1)
    other = make_net(rr, "float64", "plain", "GRU", hidden=6, seed=1)
    state = net.newStepState(2)
    x = _jarray(np.zeros(2 * 5), "float64")
    cases = [
        (lambda: net.step(other.newStepState(2), x), "java.lang.IllegalArgumentException", "state"),
        (lambda: net.step(state, _jarray(np.zeros(7), "float64")), "java.lang.IllegalArgumentException", "B*I"),
        (lambda: net.newStepState(0), "java.lang.IllegalArgumentException", "batch"),
        (
            lambda: make_net(rr, "float64", "plain", "GRU", direction="BIDIRECTIONAL").newStepState(1),
            "java.lang.UnsupportedOperationException",
            "FORWARD",
        ),
        (lambda: state.setState(_jarray(np.zeros(3), "float64"), None), "java.lang.IllegalArgumentException", "h"),
    ]
    for call, java_class, word in cases:
        with pytest.raises(jpype.JException) as caught:
            call()
        assert str(caught.value.getClass().getName()) == java_class
        message = str(caught.value.getMessage())
        assert word in message and "\n" not in message, message


# -- chains ------------------------------------------------------------------------------------------


def _chain(rr: Any, precision: str, kernel: str, embedding: bool, readout: str) -> Any:
    """A two-layer (LSTM, GRU) chain with a softmax dense layer, as Chain or Chain32."""
    from rnn_rosetta.backends.java_backend import java_chain_spec
    from rnn_rosetta.chain import Chain, Dense, Embedding
    from tests.test_java_chain import _layer

    rng = np.random.default_rng(21)
    layers, width = [], 3
    for cell in ("lstm", "gru"):
        layers.append(_layer(rng, cell, width, 6, "forward"))
        width = 6
    table = Embedding(rng.uniform(-1, 1, (7, 3))) if embedding else None
    dense = (Dense(rng.uniform(-1, 1, (4, 6)), rng.uniform(-1, 1, 4), "softmax"),)
    chain = Chain(tuple(layers), embedding=table, dense=dense, readout=readout)
    cls = rr.Chain if precision == "float64" else rr.Chain32
    return cls(java_chain_spec(rr, chain), getattr(rr.Kernel, kernel.upper()))


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize(("embedding", "readout"), [(False, "sequence"), (True, "last")])
def test_chain_streamed_steps_equal_forward(
    rr: Any, embedding: bool, readout: str, kernel: str, precision: str
) -> None:
    """Steps from a set state give forward()'s output at every t, y (every t, or LAST's at the end), hN and cN."""
    chain = _chain(rr, precision, kernel, embedding, readout)
    t_len, batch = 9, 2
    rng = np.random.default_rng(22)
    h0 = _jarray(rng.uniform(-1, 1, 2 * batch * 6), precision)  # two slots of 6 units, B = 2
    c0 = _jarray(rng.uniform(-1, 1, batch * 6), precision)  # the LSTM's slot
    if embedding:
        tokens = rng.integers(0, 7, (t_len, batch)).astype(np.int32)
        whole = chain.forwardTokens(t_len, batch, tokens.ravel().tolist(), h0, c0, None)
    else:
        x = rng.uniform(-2.0, 2.0, (t_len, batch, 3))
        whole = chain.forward(t_len, batch, _jarray(x, precision), h0, c0, None)
    out = _np(whole.output()).reshape(t_len, batch, -1)
    y = _np(whole.y())
    state = chain.newStepState(batch)
    state.setState(h0, c0)
    for t in range(t_len):
        if embedding:
            chain.stepTokens(state, tokens[t].tolist())
        else:
            chain.step(state, _jarray(x[t], precision))
        assert np.array_equal(_np(state.output()).reshape(batch, -1), out[t]), f"output at t={t}"
        if readout == "sequence":
            assert np.array_equal(_np(state.y()), y.reshape(t_len, -1)[t]), f"y at t={t}"
    if readout == "last":
        assert np.array_equal(_np(state.y()), y)
    h = _jarray(np.zeros(len(whole.hN())), precision)
    c = _jarray(np.zeros(len(whole.cN())), precision)
    state.getState(h, c)
    assert np.array_equal(_np(h), _np(whole.hN())) and np.array_equal(_np(c), _np(whole.cN()))


def test_chain_step_refusals(rr: Any) -> None:
    import jpype

    chain = _chain(rr, "float64", "plain", False, "sequence")
    with_tokens = _chain(rr, "float64", "plain", True, "last")
    state = chain.newStepState(2)
    x = _jarray(np.zeros(2 * 3), "float64")
    cases = [
        (lambda: chain.step(_chain(rr, "float64", "plain", False, "sequence").newStepState(2), x), "state"),
        (lambda: chain.step(with_tokens.newStepState(2), x), "state"),
        (lambda: chain.step(state, _jarray(np.zeros(5), "float64")), "B*I"),
        (lambda: chain.stepTokens(state, [0, 1]), "tokens"),
        (lambda: with_tokens.stepTokens(with_tokens.newStepState(2), [0, 7]), "tokens[1]"),
        (lambda: with_tokens.stepTokens(with_tokens.newStepState(2), [0]), "tokens"),
        (lambda: chain.newStepState(0), "batch"),
        (lambda: state.setState(_jarray(np.zeros(3), "float64"), None), "h"),
    ]
    for call, word in cases:
        with pytest.raises(jpype.JException) as caught:
            call()
        assert str(caught.value.getClass().getName()) == "java.lang.IllegalArgumentException"
        message = str(caught.value.getMessage())
        assert word in message and "\n" not in message, message


# -- the vector kernel's gates, whole vectors and tails ----------------------------------------------

GATE_MODELS = {
    "lstm-peepholes-clip": ("LSTM", True, True, 1.5),
    "gru": ("GRU", True, False, float("nan")),
    "gru-cho": ("GRU", False, False, float("nan")),
}


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("model", sorted(GATE_MODELS))
def test_vector_gates_equal_plain_gates_on_exact_products(rr: Any, model: str, precision: str) -> None:
    """One step from h0 = 0 with weights, biases, x and c0 on a grid of 1/8 in [-2, 2]: every product and
    sum of W x + b is exact even in float32, so the plain kernel's mul-add and the vector kernel's fma
    agree there and the gate code alone decides the bits. The vector kernel (whole vectors of units,
    then the last units as a blended vector) must give the plain kernel's bits (its scalar loops, the
    reference) at every H from 1 to 40: below, at and between vector lengths."""
    import jpype

    cell, lbr, peepholes, clip = GATE_MODELS[model]
    gates = 4 if cell == "LSTM" else 3
    inputs, batch = 5, 3
    rng = np.random.default_rng(31)

    def grid(n: int) -> Any:
        return jpype.JArray(jpype.JDouble)(rng.integers(-16, 17, n) / 8.0)

    for hidden in range(1, 41):
        g = gates * hidden
        config = rr.Config(
            rr.Cell.valueOf(cell), rr.Nonlinearity.TANH, lbr, inputs, hidden, 1, rr.Direction.FORWARD, 0,
            peepholes, clip, rr.HeadActivation.NONE, 0,
        )  # fmt: skip
        w = rr.LayerWeights(grid(g * inputs), grid(g * hidden), grid(g), grid(g), None,
                            grid(3 * hidden) if peepholes else None)  # fmt: skip
        table = jpype.JArray(rr.LayerWeights, 2)([[w]])
        x = _jarray(rng.integers(-16, 17, batch * inputs) / 8.0, precision)
        c0 = _jarray(rng.integers(-16, 17, batch * hidden) / 8.0, precision) if cell == "LSTM" else None
        cls = rr.Net if precision == "float64" else rr.Net32
        results = [
            cls(config, table, None, None, getattr(rr.Kernel, kernel.upper())).forward(1, batch, x, None, c0, None)
            for kernel in KERNELS
        ]
        plain, vector = ([_np(r.output()), _np(r.cN())] for r in results)
        for name, p, v in zip(("h", "c"), plain, vector, strict=True):
            if p is not None:
                assert p.tobytes() == v.tobytes(), f"H={hidden}: {name} differs in {int(np.sum(p != v))} values"

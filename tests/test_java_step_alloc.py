"""The Java zero-allocation streaming step (issue 14): Net.step(StepState, x) and its float32 twin.

- Allocation: the calling thread's allocated bytes (com.sun.management.ThreadMXBean, measured
  inside the JVM by rnnrosetta.bench.StepBench) over 10^5 steps after 10^5 warm-up steps are 0,
  for LSTM and GRU, float32 and float64, both kernels.
- Bits: T streamed steps equal forward() over the T steps, every output, y and the final state
  (the oracle is the net's own whole-sequence path, which other tests check against PyTorch).
- Refusals: a state of another net, a wrong x length, a model that cannot stream.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import numpy as np
import pytest

from rnn_rosetta import paths
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
    jar = paths.java_jar()
    cmd = [
        "java",
        "--add-modules=jdk.incubator.vector",
        "-cp",
        str(jar),
        "rnnrosetta.bench.StepBench",
        "--steps",
        "100000",
        "--cells",
        cell,
        "--hidden",
        "8,32",
        "--dtypes",
        dtype,
        "--kernel",
        kernel,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == 4  # hidden 8 and 32, input 1 and input = hidden
    for row in rows:
        assert row["kernel"] == kernel and row["steps"] == 100000
        assert row["alloc_bytes_per_step"] == 0, row


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

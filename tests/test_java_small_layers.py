"""Java's vector kernel on small layers (issue 14): H from 1 to 40, below, at and between the vector widths
(16 float32 / 8 float64 lanes on AVX-512, fewer elsewhere), where the gate code runs the last units of a block
as a partly used vector and an LSTM's or a GRU's neighbouring gate blocks share vectors (Lanes64.gates /
Lanes32.gates: sigmoid on some lanes, tanh on others, in one pass).

- Vector == plain, bit for bit, for every cell (RNN tanh and relu, LSTM with and without peepholes and clip,
  GRU with and without linear_before_reset), both precisions, one forward step and one streamed step. Weights,
  biases, x, h0 and c0 lie on a grid of 1/8 in [-2, 2] (h0 = 0 for the Cho GRU), so every product and sum of
  W x + b and W h + b is exact even in float32: the plain kernel's mul-add and the vector kernel's fma agree
  there, and the gate code alone decides the bits. The oracle is the plain kernel (scalar loops, Activations'
  scalar functions: another implementation of the same equations, which other tests check against PyTorch and
  mpmath).
- Streamed steps == forward, bit for bit, in the vector kernel at every H from 1 to 40 (also with a projection),
  on random weights.

The vector code is compiled by C2 first (a long forward per cell and precision), so the bits checked are those of
the compiled gate loops (blends, masks, the mixed sigmoid / tanh pass), not only the interpreter's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.conftest import require_backend
from tests.test_java_determinism import _jarray, _np, make_net

PRECISIONS = ("float64", "float32")
HIDDEN_SIZES = range(1, 41)
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
NO_CLIP = float("nan")

# name: (cell, relu, linear_before_reset, peepholes, clip)
MODELS: dict[str, tuple[str, bool, bool, bool, float]] = {
    "rnn-tanh": ("RNN", False, True, False, NO_CLIP),
    "rnn-relu-clip": ("RNN", True, True, False, 1.5),
    "lstm": ("LSTM", False, True, False, NO_CLIP),
    "lstm-clip": ("LSTM", False, True, False, 1.25),
    "lstm-peepholes": ("LSTM", False, True, True, NO_CLIP),
    "lstm-peepholes-clip": ("LSTM", False, True, True, 1.5),
    "gru": ("GRU", False, True, False, NO_CLIP),
    "gru-cho-clip": ("GRU", False, False, False, 0.9),
}


@pytest.fixture(scope="module")
def rr() -> Any:
    require_backend("java")
    from rnn_rosetta.backends.java_backend import start_jvm

    jvm = start_jvm()
    _compile_vector_gates(jvm)
    return jvm


def _compile_vector_gates(rr: Any) -> None:
    """Long forwards of every model on the vector kernel at a small H (a tail in both precisions), so that C2
    compiles the gate code before the tests read its bits."""
    for cell, relu, lbr, peepholes, clip in MODELS.values():
        for precision in PRECISIONS:
            net = make_net(rr, precision, "vector", cell, hidden=5, relu=relu, lbr=lbr, peepholes=peepholes,
                           clip=clip, seed=1)  # fmt: skip
            x = _jarray(np.random.default_rng(2).uniform(-1.0, 1.0, (4000, 1, 5)), precision)
            for _ in range(3):
                net.forward(4000, 1, x, None, None, None)


def _grid_net(rr: Any, model: str, precision: str, kernel: str, hidden: int, rng: np.random.Generator) -> Any:
    """A one-layer net of the model whose weights, biases and peepholes lie on the 1/8 grid in [-2, 2]."""
    import jpype

    cell, relu, lbr, peepholes, clip = MODELS[model]
    g, inputs = GATES[cell] * hidden, 5
    config = rr.Config(
        rr.Cell.valueOf(cell), rr.Nonlinearity.RELU if relu else rr.Nonlinearity.TANH, lbr, inputs, hidden, 1,
        rr.Direction.FORWARD, 0, peepholes, clip, rr.HeadActivation.NONE, 0,
    )  # fmt: skip

    def grid(n: int) -> Any:
        return jpype.JArray(jpype.JDouble)(rng.integers(-16, 17, n) / 8.0)

    w = rr.LayerWeights(grid(g * inputs), grid(g * hidden), grid(g), grid(g), None,
                        grid(3 * hidden) if peepholes else None)  # fmt: skip
    cls = rr.Net if precision == "float64" else rr.Net32
    net = cls(config, jpype.JArray(rr.LayerWeights, 2)([[w]]), None, None, rr.Kernel.valueOf(kernel.upper()))
    assert str(net.kernelName()) == kernel, f"asked for the {kernel} kernel, got {net.kernelName()}"
    return net


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("model", sorted(MODELS))
def test_vector_kernel_equals_plain_kernel_at_small_widths(rr: Any, model: str, precision: str) -> None:
    cell = MODELS[model][0]
    batch, inputs = 3, 5
    for hidden in HIDDEN_SIZES:
        seed = 1000 * hidden + sorted(MODELS).index(model)
        plain = _grid_net(rr, model, precision, "plain", hidden, np.random.default_rng(seed))
        vector = _grid_net(rr, model, precision, "vector", hidden, np.random.default_rng(seed))
        rng = np.random.default_rng(seed + 1)
        x = _jarray(rng.integers(-16, 17, batch * inputs) / 8.0, precision)  # [1, B, I]
        # [1, B, H]; zero for the Cho GRU, whose W_hn (r * h_{t-1}) would not be exact on the grid
        h0 = _jarray(rng.integers(-16, 17, batch * hidden) / 8.0 * MODELS[model][2], precision)
        c0 = _jarray(rng.integers(-16, 17, batch * hidden) / 8.0, precision) if cell == "LSTM" else None
        expected = plain.forward(1, batch, x, h0, c0, None)
        got = vector.forward(1, batch, x, h0, c0, None)
        state = vector.newStepState(batch)
        state.setState(h0, c0)
        vector.step(state, x)
        step_h = _jarray(np.zeros(batch * hidden), precision)
        step_c = _jarray(np.zeros(batch * hidden), precision) if cell == "LSTM" else None
        state.getState(step_h, step_c)
        reference = {"h": _np(expected.output()), "c": _np(expected.cN())}
        for how, h, c in (
            ("forward", _np(got.output()), _np(got.cN())),
            ("step", _np(state.output()), _np(step_c)),
        ):
            for name, want, have in (("h", reference["h"], h), ("c", reference["c"], c)):
                if want is None:
                    assert have is None, f"H={hidden} {how}: {name} should be absent"
                    continue
                bits = f"u{want.itemsize}"
                differ = int(np.sum(want.view(bits) != have.view(bits)))
                assert want.tobytes() == have.tobytes(), f"H={hidden} {how}: {name} differs in {differ} value(s)"
        assert _np(step_h).tobytes() == reference["h"].tobytes(), f"H={hidden} step: the state's h differs"


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("model", [*sorted(MODELS), "lstm-projection-peepholes"])
def test_vector_steps_equal_vector_forward_at_small_widths(rr: Any, model: str, precision: str) -> None:
    if model == "lstm-projection-peepholes":
        cell, relu, lbr, peepholes, clip = "LSTM", False, True, True, 1.5
    else:
        cell, relu, lbr, peepholes, clip = MODELS[model]
    t_len, batch, inputs = 4, 2, 3
    for hidden in HIDDEN_SIZES:
        proj = hidden // 2 if model == "lstm-projection-peepholes" else 0  # 0 (none) at H = 1: P < H
        net = make_net(rr, precision, "vector", cell, input_size=inputs, hidden=hidden, proj=proj, relu=relu,
                       lbr=lbr, peepholes=peepholes, clip=clip, seed=hidden)  # fmt: skip
        x = np.random.default_rng(hidden).uniform(-2.0, 2.0, (t_len, batch, inputs))  # [T, B, I]
        whole = net.forward(t_len, batch, _jarray(x, precision), None, None, None)
        out = _np(whole.output()).reshape(t_len, batch, -1)  # [T, B, H_out]
        state = net.newStepState(batch)
        for t in range(t_len):
            net.step(state, _jarray(x[t], precision))
            assert _np(state.output()).tobytes() == out[t].tobytes(), f"H={hidden}: output at t={t}"
        h = _jarray(np.zeros(len(whole.hN())), precision)
        c = _jarray(np.zeros(len(whole.cN())), precision) if whole.cN() is not None else None
        state.getState(h, c)
        assert _np(h).tobytes() == _np(whole.hN()).tobytes(), f"H={hidden}: h_N"
        if c is not None:
            assert _np(c).tobytes() == _np(whole.cN()).tobytes(), f"H={hidden}: c_N"


def test_weight_panels_start_on_cache_lines(rr: Any) -> None:
    """The JVM the Python backend starts aligns objects to 64 bytes (JVM_OPTIONS) with 16-byte array headers, and
    the vector kernel leaves 48 bytes before its first weight panel (Vector64.PAD = 6 doubles, Vector32.PAD = 12
    floats): so every panel row starts on a cache line. The bits do not depend on it (the tests above run with it)."""
    import jpype

    management = jpype.JClass("java.lang.management.ManagementFactory")
    diagnostic = jpype.JClass("com.sun.management.HotSpotDiagnosticMXBean")
    vm = management.getPlatformMXBean(diagnostic)
    assert str(vm.getVMOption("ObjectAlignmentInBytes").getValue()) == "64"
    assert str(vm.getVMOption("UseCompressedClassPointers").getValue()) == "true"
    for name, lead in (("rnnrosetta.Vector64", 6), ("rnnrosetta.Vector32", 12)):
        field = jpype.JClass("java.lang.Class").forName(name).getDeclaredField("PAD")
        field.setAccessible(True)
        assert int(field.getInt(None)) == lead, name

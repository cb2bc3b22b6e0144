"""The Java API called directly (JPype), with every kind of bad argument.

The contract of rnnrosetta.Config / LayerWeights / Net / Net32: a bad argument is an
IllegalArgumentException (step() on a reverse or bidirectional model an
UnsupportedOperationException) with one line that names the argument; no other exception
type (NullPointerException, ArrayIndexOutOfBoundsException, NegativeArraySizeException,
ArithmeticException...) may escape. Each case checks the exact class, not a subclass.

The API takes flat arrays; its only nested array is LayerWeights[][] (layers x directions),
whose raggedness is checked here.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from rnn_rosetta import paths
from tests.conftest import require_backend

IAE = "java.lang.IllegalArgumentException"
UOE = "java.lang.UnsupportedOperationException"
INT_MAX = 2**31 - 1
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


@pytest.fixture(scope="module")
def rr() -> Any:
    """The ``rnnrosetta`` Java package (the JVM is started once per process)."""
    require_backend("java")
    from rnn_rosetta.backends.java_backend import start_jvm

    return start_jvm()


def refuses(call: Callable[[], Any], java_class: str, *words: str) -> str:
    """``call()`` throws exactly ``java_class`` with a one-line message naming every word."""
    import jpype

    try:
        call()
    except jpype.JException as exc:
        name = str(exc.getClass().getName())
        message = str(exc.getMessage())
        assert name == java_class, f"expected {java_class}, got {name}: {message}"
    else:
        pytest.fail(f"expected {java_class}, nothing was thrown")
    assert message and message != "None" and "\n" not in message, repr(message)
    for word in words:
        assert re.search(rf"(?<!\w){re.escape(word)}(?!\w)", message), f"{word!r} not named in {message!r}"
    return message


# -- models ----------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    cell: str = "gru"
    input_size: int = 2
    hidden_size: int = 3
    num_layers: int = 1
    direction: str = "forward"
    proj_size: int = 0
    peepholes: bool = False
    head_size: int = 0  # 0 = no head
    clip: float = math.nan

    @property
    def D(self) -> int:
        return 2 if self.direction == "bidirectional" else 1

    @property
    def H_out(self) -> int:
        return self.proj_size or self.hidden_size

    def layer_input(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.D * self.H_out


LSTM = Spec(cell="lstm", input_size=3, hidden_size=4, num_layers=2, proj_size=2, peepholes=True, head_size=2)
BIDI = Spec(cell="lstm", input_size=2, hidden_size=3, num_layers=2, direction="bidirectional", head_size=3)
GRU = Spec()
REVERSE = Spec(cell="rnn", direction="reverse")


def doubles(count: int) -> Any:
    import jpype

    return jpype.JArray(jpype.JDouble)(count)


def floats(count: int) -> Any:
    import jpype

    return jpype.JArray(jpype.JFloat)(count)


def ints(values: list[int]) -> Any:
    import jpype

    return jpype.JArray(jpype.JInt)(values)


def config(rr: Any, spec: Spec, **changes: Any) -> Any:
    """rnnrosetta.Config for ``spec``; ``changes`` replace raw constructor arguments by name."""
    args = {
        "cell": rr.Cell.valueOf(spec.cell.upper()),
        "nonlinearity": rr.Nonlinearity.TANH,
        "linearBeforeReset": True,
        "inputSize": spec.input_size,
        "hiddenSize": spec.hidden_size,
        "numLayers": spec.num_layers,
        "direction": rr.Direction.valueOf(spec.direction.upper()),
        "projSize": spec.proj_size,
        "peepholes": spec.peepholes,
        "clip": spec.clip,
        "head": rr.HeadActivation.SOFTMAX if spec.head_size else rr.HeadActivation.NONE,
        "headSize": spec.head_size,
    }
    unknown = set(changes) - set(args)
    assert not unknown, unknown
    args.update(changes)
    return rr.Config(*args.values())


def layer_weights(rr: Any, spec: Spec, layer: int, **changes: Any) -> Any:
    gh = GATES[spec.cell] * spec.hidden_size
    args = {
        "weightIh": doubles(gh * spec.layer_input(layer)),
        "weightHh": doubles(gh * spec.H_out),
        "biasIh": doubles(gh),
        "biasHh": doubles(gh),
        "weightHr": doubles(spec.proj_size * spec.hidden_size) if spec.proj_size else None,
        "peepholes": doubles(3 * spec.hidden_size) if spec.peepholes else None,
    }
    args.update(changes)
    return rr.LayerWeights(*args.values())


def weight_table(rr: Any, spec: Spec) -> Any:
    import jpype

    rows = [[layer_weights(rr, spec, layer) for _ in range(spec.D)] for layer in range(spec.num_layers)]
    return jpype.JArray(rr.LayerWeights, 2)(rows)


def head_arrays(spec: Spec) -> tuple[Any, Any]:
    if not spec.head_size:
        return None, None
    return doubles(spec.head_size * spec.D * spec.H_out), doubles(spec.head_size)


def net(rr: Any, spec: Spec, precision: str = "64") -> Any:
    cls = rr.Net32 if precision == "32" else rr.Net
    return cls(config(rr, spec), weight_table(rr, spec), *head_arrays(spec))


@pytest.fixture(params=["64", "32"], ids=["Net", "Net32"])
def precision(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# -- Config ----------------------------------------------------------------------

BAD_CONFIGS: list[tuple[str, Spec, dict[str, Any], tuple[str, ...]]] = [
    # (id, spec, changed constructor arguments (None = Java null), words the message must name)
    ("cell_null", GRU, {"cell": None}, ("cell",)),
    ("nonlinearity_null", GRU, {"nonlinearity": None}, ("nonlinearity",)),
    ("direction_null", GRU, {"direction": None}, ("direction",)),
    ("head_null", GRU, {"head": None}, ("head",)),
    ("input_size_zero", GRU, {"inputSize": 0}, ("inputSize",)),
    ("input_size_negative", GRU, {"inputSize": -1}, ("inputSize",)),
    ("hidden_size_zero", GRU, {"hiddenSize": 0}, ("hiddenSize",)),
    ("hidden_size_int_min", GRU, {"hiddenSize": -(2**31)}, ("hiddenSize",)),
    ("num_layers_zero", GRU, {"numLayers": 0}, ("numLayers",)),
    ("num_layers_negative", GRU, {"numLayers": -5}, ("numLayers",)),
    ("proj_size_negative", Spec(cell="lstm"), {"projSize": -1}, ("projSize",)),
    ("proj_size_equal_hidden", Spec(cell="lstm"), {"projSize": 3}, ("projSize",)),
    ("proj_on_gru", GRU, {"projSize": 1}, ("projSize",)),
    ("peepholes_on_gru", GRU, {"peepholes": True}, ("peepholes",)),
    ("clip_zero", GRU, {"clip": 0.0}, ("clip",)),
    ("clip_negative", GRU, {"clip": -1.0}, ("clip",)),
    ("clip_infinite", GRU, {"clip": math.inf}, ("clip",)),
    ("clip_negative_infinite", GRU, {"clip": -math.inf}, ("clip",)),
    ("head_size_without_head", GRU, {"headSize": 3}, ("headSize",)),
    ("head_size_negative_without_head", GRU, {"headSize": -3}, ("headSize",)),
    ("head_without_head_size", Spec(head_size=2), {"headSize": 0}, ("headSize",)),
    ("head_size_negative", Spec(head_size=2), {"headSize": -2}, ("headSize",)),
    ("weight_ih_overflows_int", Spec(cell="lstm"), {"hiddenSize": 2**16, "inputSize": 2**14}, ("G*H*I", "overflows")),
    ("weight_hh_overflows_int", Spec(cell="gru"), {"hiddenSize": 30000}, ("G*H*H_out", "overflows")),
    ("head_overflows_int", Spec(head_size=2), {"headSize": INT_MAX}, ("O*D*H_out", "overflows")),
    ("layers_times_directions", Spec(direction="bidirectional"), {"numLayers": INT_MAX}, ("L*D", "overflows")),
]  # fmt: skip


@pytest.mark.parametrize(("label", "spec", "changes", "words"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_config_refuses(rr: Any, label: str, spec: Spec, changes: dict[str, Any], words: tuple[str, ...]) -> None:
    refuses(lambda: config(rr, spec, **changes), IAE, *words)


def test_config_accepts_nan_clip_and_good_values(rr: Any) -> None:
    assert not config(rr, GRU).hasClip()
    assert config(rr, replace(GRU, clip=2.5)).hasClip()
    refuses(lambda: config(rr, GRU).layerInputSize(1), IAE, "layer")
    refuses(lambda: config(rr, GRU).layerInputSize(-1), IAE, "layer")


# -- LayerWeights and the Net constructors -----------------------------------------


@pytest.mark.parametrize("name", ["weightIh", "weightHh", "biasIh", "biasHh"])
def test_layer_weights_refuse_null_required_arrays(rr: Any, name: str) -> None:
    refuses(lambda: layer_weights(rr, GRU, 0, **{name: None}), IAE, name)


def _net_constructor(rr: Any, precision: str) -> Any:
    return rr.Net32 if precision == "32" else rr.Net


def test_net_refuses_null_config_weights_and_kernel(rr: Any, precision: str) -> None:
    cls = _net_constructor(rr, precision)
    table = weight_table(rr, GRU)
    refuses(lambda: cls(None, table, None, None), IAE, "config")
    refuses(lambda: cls(config(rr, GRU), None, None, None), IAE, "weights")
    refuses(lambda: cls(config(rr, GRU), table, None, None, None), IAE, "kernel")


def test_net_refuses_ragged_and_wrong_weight_tables(rr: Any, precision: str) -> None:
    import jpype

    cls = _net_constructor(rr, precision)
    table_type = jpype.JArray(rr.LayerWeights, 2)
    row_type = jpype.JArray(rr.LayerWeights)
    spec = BIDI  # 2 layers x 2 directions
    w0, w1 = layer_weights(rr, spec, 0), layer_weights(rr, spec, 1)
    cfg = config(rr, spec)
    head = head_arrays(spec)

    def build(rows: list[Any]) -> Any:
        return cls(cfg, table_type(rows), *head)

    refuses(lambda: build([[w0, w0]]), IAE, "weights", "numLayers")  # too few layers
    refuses(lambda: build([[w0, w0], [w1, w1], [w1, w1]]), IAE, "weights", "numLayers")  # too many
    refuses(lambda: build([[w0, w0], [w1]]), IAE, "weights[1]", "BIDIRECTIONAL")  # ragged: short row
    refuses(lambda: build([[w0, w0, w0], [w1, w1]]), IAE, "weights[0]")  # ragged: long row
    refuses(lambda: build([[w0, w0], row_type(0)]), IAE, "weights[1]")  # empty row
    refuses(lambda: build([[w0, w0], None]), IAE, "weights[1]")  # null row
    refuses(lambda: build([[w0, None], [w1, w1]]), IAE, "weights[0][1]")  # null entry
    refuses(lambda: build([[w0, w0], [w0, w1]]), IAE, "weights[1][0].weightIh")  # layer 0's weights as layer 1
    forward_only = config(rr, replace(spec, direction="forward"))
    refuses(lambda: cls(forward_only, table_type([[w0, w0], [w1, w1]]), *head), IAE, "weights[0]", "FORWARD")


LENGTH_CASES: list[tuple[str, Spec, str, str]] = [
    # (id, spec, LayerWeights argument, change): wrong length or presence -> IAE naming weights[0][0].<arg>
    ("weight_ih_short", GRU, "weightIh", "short"),
    ("weight_ih_long", GRU, "weightIh", "long"),
    ("weight_hh_empty", GRU, "weightHh", "empty"),
    ("bias_ih_short", GRU, "biasIh", "short"),
    ("bias_hh_long", GRU, "biasHh", "long"),
    ("weight_hr_missing", LSTM, "weightHr", "null"),
    ("weight_hr_short", LSTM, "weightHr", "short"),
    ("weight_hr_without_projection", Spec(cell="lstm"), "weightHr", "given"),
    ("peepholes_missing", LSTM, "peepholes", "null"),
    ("peepholes_long", LSTM, "peepholes", "long"),
    ("peepholes_without_peepholes", Spec(cell="lstm"), "peepholes", "given"),
]


@pytest.mark.parametrize(("label", "spec", "name", "change"), LENGTH_CASES, ids=[c[0] for c in LENGTH_CASES])
def test_net_refuses_weights_of_the_wrong_length(
    rr: Any, precision: str, label: str, spec: Spec, name: str, change: str
) -> None:
    import jpype

    gh = GATES[spec.cell] * spec.hidden_size
    right = {
        "weightIh": gh * spec.input_size,
        "weightHh": gh * spec.H_out,
        "biasIh": gh,
        "biasHh": gh,
        "weightHr": spec.proj_size * spec.hidden_size,
        "peepholes": 3 * spec.hidden_size,
    }[name]
    makers: dict[str, Callable[[], Any]] = {
        "short": lambda: doubles(right - 1),
        "long": lambda: doubles(right + 1),
        "empty": lambda: doubles(0),
        "null": lambda: None,
        "given": lambda: doubles(5),
    }
    value = makers[change]()
    rows = [[layer_weights(rr, spec, 0, **{name: value})]]
    rows += [[layer_weights(rr, spec, layer)] for layer in range(1, spec.num_layers)]
    table = jpype.JArray(rr.LayerWeights, 2)(rows)
    cls = _net_constructor(rr, precision)
    refuses(lambda: cls(config(rr, spec), table, *head_arrays(spec)), IAE, f"weights[0][0].{name}")


def test_net_refuses_bad_head_arrays(rr: Any, precision: str) -> None:
    cls = _net_constructor(rr, precision)
    spec = replace(GRU, head_size=2)
    table, cfg = weight_table(rr, spec), config(rr, spec)
    weight, bias = head_arrays(spec)
    refuses(lambda: cls(cfg, table, None, bias), IAE, "headWeight")
    refuses(lambda: cls(cfg, table, weight, None), IAE, "headBias")
    refuses(lambda: cls(cfg, table, doubles(5), bias), IAE, "headWeight")
    refuses(lambda: cls(cfg, table, weight, doubles(3)), IAE, "headBias")
    headless, headless_table = config(rr, GRU), weight_table(rr, GRU)
    refuses(lambda: cls(headless, headless_table, weight, None), IAE, "headWeight")
    refuses(lambda: cls(headless, headless_table, None, bias), IAE, "headBias")


def test_vector_kernel_is_refused_or_honoured(rr: Any, precision: str) -> None:
    import jpype

    cls = _net_constructor(rr, precision)
    try:
        made = cls(config(rr, GRU), weight_table(rr, GRU), None, None, rr.Kernel.VECTOR)
    except jpype.JException as exc:
        assert str(exc.getClass().getName()) == UOE, str(exc)
        assert "jdk.incubator.vector" in str(exc.getMessage())
    else:
        assert str(made.kernelName()) == "vector"


# -- forward -----------------------------------------------------------------------

T, B = 3, 2


def _arrays(precision: str) -> Callable[[int], Any]:
    return floats if precision == "32" else doubles


def forward_args(spec: Spec, precision: str, seq_len: int = T, batch: int = B) -> dict[str, Any]:
    make = _arrays(precision)
    slots = spec.num_layers * spec.D
    return {
        "seqLen": seq_len,
        "batch": batch,
        "x": make(seq_len * batch * spec.input_size),
        "h0": make(slots * batch * spec.H_out),
        "c0": make(slots * batch * spec.hidden_size) if spec.cell == "lstm" else None,
        "lengths": ints([seq_len] * batch),
    }


def test_forward_and_step_succeed_with_correct_arguments(rr: Any, precision: str) -> None:
    for spec in (LSTM, BIDI, GRU):
        result = net(rr, spec, precision).forward(*forward_args(spec, precision).values())
        assert len(result.output()) == T * B * spec.D * spec.H_out
    spec = LSTM
    make = _arrays(precision)
    result = net(rr, spec, precision).step(
        B,
        make(B * spec.input_size),
        make(spec.num_layers * B * spec.H_out),
        make(spec.num_layers * B * spec.hidden_size),
    )
    assert len(result.hN()) == spec.num_layers * B * spec.H_out


def _forward_cases() -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
    spec = LSTM
    slots = spec.num_layers * spec.D
    x_count = T * B * spec.input_size
    return [
        ("seq_len_zero", {"seqLen": 0}, ("seqLen",)),
        ("seq_len_negative", {"seqLen": -1}, ("seqLen",)),
        ("batch_zero", {"batch": 0}, ("batch",)),
        ("batch_int_min", {"batch": -(2**31)}, ("batch",)),
        ("t_times_b_overflows", {"seqLen": 2**16, "batch": 2**16}, ("T*B*I", "overflows")),
        ("x_null", {"x": None}, ("x",)),
        ("x_short", {"x": x_count - 1}, ("x",)),
        ("x_long", {"x": x_count + 1}, ("x",)),
        ("x_empty", {"x": 0}, ("x",)),
        ("h0_short", {"h0": slots * B * spec.H_out - 1}, ("h0",)),
        ("c0_long", {"c0": slots * B * spec.hidden_size + 1}, ("c0",)),
        ("lengths_short", {"lengths": [T]}, ("lengths",)),
        ("lengths_long", {"lengths": [T, T, T]}, ("lengths",)),
        ("lengths_empty", {"lengths": []}, ("lengths",)),
        ("lengths_zero", {"lengths": [T, 0]}, ("lengths[1]",)),
        ("lengths_negative", {"lengths": [-1, T]}, ("lengths[0]",)),
        ("lengths_too_long", {"lengths": [T, T + 1]}, ("lengths[1]",)),
        ("lengths_int_min", {"lengths": [-(2**31), T]}, ("lengths[0]",)),
    ]


FORWARD_CASES = _forward_cases()


@pytest.mark.parametrize(("label", "changes", "words"), FORWARD_CASES, ids=[c[0] for c in FORWARD_CASES])
def test_forward_refuses(rr: Any, precision: str, label: str, changes: dict[str, Any], words: tuple[str, ...]) -> None:
    spec = LSTM
    made = net(rr, spec, precision)
    args = forward_args(spec, precision)
    make = _arrays(precision)
    for name, value in changes.items():
        if name in ("seqLen", "batch") or value is None:
            args[name] = value
        elif name == "lengths":
            args[name] = ints(value)
        else:
            args[name] = make(value)
    refuses(lambda: made.forward(*args.values()), IAE, *words)


def test_forward_refuses_c0_on_a_gru(rr: Any, precision: str) -> None:
    made = net(rr, GRU, precision)
    args = forward_args(GRU, precision)
    args["c0"] = _arrays(precision)(GRU.num_layers * B * GRU.hidden_size)
    refuses(lambda: made.forward(*args.values()), IAE, "c0")


# -- step ------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [REVERSE, BIDI], ids=["reverse", "bidirectional"])
def test_step_on_reverse_models_is_unsupported(rr: Any, precision: str, spec: Spec) -> None:
    made = net(rr, spec, precision)
    make = _arrays(precision)
    refuses(lambda: made.step(B, make(B * spec.input_size), None, None), UOE, "forward()")
    refuses(lambda: made.step(0, None, None, None), UOE, "forward()")  # unsupported comes first


def test_step_refusals(rr: Any, precision: str) -> None:
    spec = LSTM
    made = net(rr, spec, precision)
    make = _arrays(precision)
    L = spec.num_layers
    x, h, c = make(B * spec.input_size), make(L * B * spec.H_out), make(L * B * spec.hidden_size)
    refuses(lambda: made.step(0, x, h, c), IAE, "batch")
    refuses(lambda: made.step(-1, x, h, c), IAE, "batch")
    refuses(lambda: made.step(2**30, x, h, c), IAE, "B*I", "overflows")
    refuses(lambda: made.step(B, None, h, c), IAE, "x")
    refuses(lambda: made.step(B, make(B * spec.input_size + 1), h, c), IAE, "x")
    refuses(lambda: made.step(B, x, make(L * B * spec.H_out - 1), c), IAE, "h")
    refuses(lambda: made.step(B, x, h, make(1)), IAE, "c")
    gru = net(rr, GRU, precision)
    refuses(lambda: gru.step(B, make(B * GRU.input_size), None, make(B * GRU.hidden_size)), IAE, "c")


# -- Bridge: the inputs in one buffer, the results in one array --------------------


def _bridge_inputs(precision: str, *arrays: list[float] | None) -> tuple[Any, list[int]]:
    """A direct buffer holding the arrays one after another (native order) and their lengths (-1: null)."""
    import numpy as np

    from rnn_rosetta.backends.java_backend import DirectBuffer

    dtype = np.float32 if precision == "32" else np.float64
    parts = tuple(None if a is None else np.asarray(a, dtype=dtype) for a in arrays)
    buffer = DirectBuffer(max(sum(p.nbytes for p in parts if p is not None), 1))
    return buffer.java, buffer.fill(parts)


def test_bridge_packs_what_forward_and_step_return(rr: Any, precision: str) -> None:
    """Bridge.forward/step equal Net.forward/step, packed as output, hN, cN, y."""
    spec = LSTM
    made = net(rr, spec, precision)
    slots = spec.num_layers * spec.D
    x = [0.1 * i for i in range(T * B * spec.input_size)]
    h0 = [0.01 * i for i in range(slots * B * spec.H_out)]
    c0 = [-0.02 * i for i in range(slots * B * spec.hidden_size)]
    make = _arrays(precision)
    java_x, java_h0, java_c0 = make(len(x)), make(len(h0)), make(len(c0))
    java_x[:], java_h0[:], java_c0[:] = x, h0, c0
    want = made.forward(T, B, java_x, java_h0, java_c0, ints([T, 1]))
    buffer, counts = _bridge_inputs(precision, x, h0, c0)
    packed = list(rr.Bridge.forward(made, T, B, buffer, *counts, ints([T, 1])))
    assert packed == [*want.output(), *want.hN(), *want.cN(), *want.y()]
    want = made.step(B, make(B * spec.input_size), None, None)
    buffer, counts = _bridge_inputs(precision, [0.0] * (B * spec.input_size), None, None)
    assert counts[1:] == [-1, -1]
    assert list(rr.Bridge.step(made, B, buffer, *counts)) == [*want.output(), *want.hN(), *want.cN(), *want.y()]


def test_bridge_refuses_short_null_and_wrong_buffers(rr: Any, precision: str) -> None:
    spec = GRU
    made = net(rr, spec, precision)
    x_count = T * B * spec.input_size
    buffer, _ = _bridge_inputs(precision, [0.0] * x_count)
    refuses(lambda: rr.Bridge.forward(made, T, B, buffer, x_count + 1, -1, -1, None), IAE, "inputs", "need")
    refuses(lambda: rr.Bridge.forward(made, T, B, buffer, x_count, 1, -1, None), IAE, "inputs", "need")
    refuses(lambda: rr.Bridge.forward(made, T, B, None, x_count, -1, -1, None), IAE, "inputs", "null")
    # the right room, but a length that disagrees with the model: Net's own check names it
    refuses(lambda: rr.Bridge.forward(made, T, B, buffer, x_count - 1, -1, -1, None), IAE, "x")
    refuses(lambda: rr.Bridge.step(made, B, buffer, -1, -1, -1), IAE, "x")
    refuses(lambda: rr.Bridge.step(net(rr, REVERSE, precision), B, buffer, 2, -1, -1), UOE, "forward()")
    refuses(lambda: rr.Bridge.forward(rr.Net @ None, T, B, buffer, x_count, -1, -1, None), IAE, "net")


# -- the float32 kernels are generated from the float64 ones ----------------------------

JAVA_SRC = paths.REPO_ROOT / "java" / "src"
JAVA_GEN = paths.REPO_ROOT / "java" / "build" / "gen"
GENERATED = {  # template -> what make java writes from it
    JAVA_SRC / "main/java/rnnrosetta/Plain64.java": JAVA_GEN / "main/rnnrosetta/Plain32.java",
    JAVA_SRC / "vector/java/rnnrosetta/Vector64.java": JAVA_GEN / "vector/rnnrosetta/Vector32.java",
}
FLOAT64_TOKENS = re.compile(
    r"\b(double|Double|DoubleVector|Long|reinterpretAsLongs|reinterpretAsDoubles|Plain64|Vector64|Lanes64|Compute64|float64)\b"
    r"|\b\d+\.\d+\b(?!f)"  # a float literal without the f suffix
)


@pytest.mark.parametrize("template", list(GENERATED), ids=[p.stem for p in GENERATED])
def test_float32_kernel_is_the_current_translation_of_its_template(template: Path) -> None:
    """The generated file is what the substitution table makes of the template today (make java is current)."""
    require_backend("java")
    generated = GENERATED[template]
    assert generated.is_file(), f"{generated} is missing; run `make java`"
    table = JAVA_SRC / "float32.sed"
    translated = subprocess.run(["sed", "-f", str(table), str(template)], capture_output=True, text=True, check=True)
    banner, body = generated.read_text("utf-8").split("\n", 1)
    assert banner.startswith("// GENERATED from ") and template.name in banner, banner
    assert body == translated.stdout, f"{generated} is stale: run `make java`"


@pytest.mark.parametrize("template", list(GENERATED), ids=[p.stem for p in GENERATED])
def test_substitution_table_leaves_no_float64_token(template: Path) -> None:
    """Every precision-specific token of a template is in the table: none survives into the float32 file."""
    translated = subprocess.run(
        ["sed", "-f", str(JAVA_SRC / "float32.sed"), str(template)], capture_output=True, text=True, check=True
    ).stdout
    left = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(translated.splitlines(), start=1)
        if FLOAT64_TOKENS.search(line)
    ]
    assert not left, "float64 tokens the table does not translate:\n" + "\n".join(left)
    assert FLOAT64_TOKENS.search(template.read_text("utf-8")), "the check itself finds nothing in the template"


# -- the JVM's incubator warning -----------------------------------------------------------

_START_JAVA = (
    "import rnn_rosetta as rr; from rnn_rosetta import paths;"
    "fx = rr.load_fixture(paths.fixtures_dir() / 'lstm_small.json');"
    "print(rr.get_backend('java').load(fx.model).kernel_name)"
)


def test_backend_start_keeps_the_incubator_warning_and_only_it_off_stderr() -> None:
    require_backend("java")
    quiet = subprocess.run([sys.executable, "-c", _START_JAVA], capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.strip() == "vector" and quiet.stderr == "", (quiet.stdout, quiet.stderr)
    # what else the JVM prints while it starts still gets through
    env = {**os.environ, "RR_JVM_OPTIONS": "-Xlog:gc:stderr"}
    logged = subprocess.run([sys.executable, "-c", _START_JAVA], capture_output=True, text=True, timeout=120, env=env)
    assert logged.returncode == 0, logged.stderr
    assert "Using G1" in logged.stderr and "incubator" not in logged.stderr, logged.stderr


# -- the fixture package and the README's Java example -------------------------------------

CLASSPATH = f"{paths.java_jar()}:{paths.gson_jar()}"


def test_fixture_reader_gives_the_fixture_and_names_path_of_a_fault(rr: Any, tmp_path: Path) -> None:
    fixture = rr.fixture.FixtureReader.read(str(paths.fixtures_dir() / "lstm_small.json"))
    assert str(fixture.name()) == "lstm_small" and fixture.cases().size() == 4
    assert str(fixture.net(rr.Kernel.PLAIN).kernelName()) == "plain"
    assert fixture.tolerance().allows(1.0, 1.0) and not fixture.tolerance().allows(1.0, 1.1)
    document = json.loads((paths.fixtures_dir() / "lstm_small.json").read_text("utf-8"))
    document["model"]["clp"] = document["model"].pop("clip")
    bad = tmp_path / "clp.json"
    bad.write_text(json.dumps(document), "utf-8")
    message = refuses(lambda: rr.fixture.FixtureReader.read(str(bad)), "rnnrosetta.fixture.FixtureError", "model.clp")
    assert message.startswith(f"{bad}: model.clp: "), message


@pytest.fixture(scope="module")
def run_fixture_class(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/java/RunFixture.java compiled as the README tells a user to."""
    require_backend("java")
    classes = tmp_path_factory.mktemp("run_fixture")
    source = paths.REPO_ROOT / "examples" / "java" / "RunFixture.java"
    done = subprocess.run(
        ["javac", "-Xlint:all", "-Werror", "-cp", CLASSPATH, "-d", str(classes), str(source)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return classes


def _run_example(classes: Path, fixture: Path) -> subprocess.CompletedProcess[str]:
    classpath = f"{CLASSPATH}:{classes}"
    command = ["java", "--add-modules=jdk.incubator.vector", "-cp", classpath, "RunFixture", str(fixture)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ["lstm_bidirectional_lengths", "gru_cho"])
def test_run_fixture_example_passes_with_the_vector_kernel(run_fixture_class: Path, name: str) -> None:
    done = _run_example(run_fixture_class, paths.fixtures_dir() / f"{name}.json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"{name}, case ") and "kernel vector" in done.stdout, done.stdout
    assert done.stdout.rstrip().endswith(": ok"), done.stdout
    error = float(re.search(r"max error (\S+) ", done.stdout).group(1))  # type: ignore[union-attr]
    assert 0 <= error < 1e-9, done.stdout


def test_run_fixture_example_fails_on_a_wrong_expected_value(run_fixture_class: Path, tmp_path: Path) -> None:
    document = json.loads((paths.fixtures_dir() / "lstm_small.json").read_text("utf-8"))
    document["cases"][0]["expected"]["h_n"][0][0][1] += 1e-6
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(document), "utf-8")
    done = _run_example(run_fixture_class, wrong)
    assert done.returncode == 1 and "MISMATCH" in done.stdout, done.stdout + done.stderr
    missing = _run_example(run_fixture_class, tmp_path / "missing.json")
    assert missing.returncode == 2 and f"{tmp_path / 'missing.json'}: cannot read" in missing.stderr, missing.stderr

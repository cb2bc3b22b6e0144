"""ONNX import and export, against ONNX Runtime.

- Hand-built ONNX ``RNN``/``LSTM``/``GRU`` graphs (``onnx.helper``, not our
  exporter) -> ``model_from_onnx`` -> every backend, against ONNX Runtime on
  the same inputs.
- Every committed fixture (v1 and v2) -> ``model_to_onnx`` -> ONNX Runtime, against the
  fixture's expected values.
- Export -> import gives back the same chain, bit for bit.

ONNX Runtime computes in float32, so weights and inputs are drawn as float32
and widened to float64 for the backends; the tolerance is the one the
fixtures use for the ONNX Runtime oracle.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from rnn_rosetta import CaseInputs, Chain, Fixture, Model, ModelImportError, load_fixture
from rnn_rosetta.backends import BACKENDS, get_backend
from rnn_rosetta.chain import chain_from_model
from rnn_rosetta.interop import (
    canonical_outputs_to_onnx,
    model_from_onnx,
    model_to_onnx,
    onnx_expected,
    onnx_inputs_to_canonical,
)
from rnn_rosetta.interop.onnx_import import from_onnx_gates
from rnn_rosetta.paths import fixtures_dir
from tests.conftest import ALL_FIXTURE_PATHS, CHAIN_FIXTURE_PATHS, FIXTURE_PATHS, require_backend

RTOL, ATOL = 1e-5, 2e-6
SEED = 77_031  # committed fixtures use 101..308
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


@dataclass(frozen=True)
class OnnxSpec:
    """One hand-built ONNX graph with a single recurrent node, and its runtime inputs."""

    name: str
    op: str  # RNN, LSTM, GRU
    direction: str
    input_size: int
    hidden_size: int
    layout: int = 0
    activations: tuple[str, ...] | None = None  # per direction, written as given
    clip: float | None = None
    linear_before_reset: int | None = None  # GRU; None: attribute absent (0)
    bias: bool = True
    peepholes: bool = False
    initial_h: bool = False
    initial_c: bool = False
    lengths: tuple[int, ...] | None = None
    steps: int = 6
    batch: int = 3
    x_scale: float = 1.0

    @property
    def dirs(self) -> int:
        return 2 if self.direction == "bidirectional" else 1


SPECS: tuple[OnnxSpec, ...] = (
    OnnxSpec("rnn_tanh_forward", "RNN", "forward", 7, 13),
    OnnxSpec(
        "rnn_relu_bidirectional_layout1",
        "RNN",
        "bidirectional",
        7,
        5,
        layout=1,
        activations=("Relu", "Relu"),
        initial_h=True,
        lengths=(6, 2, 4),
    ),
    OnnxSpec(
        "rnn_tanh_reverse_clip", "RNN", "reverse", 5, 7, activations=("Tanh",), clip=0.6, lengths=(3, 6, 1), x_scale=2.0
    ),
    OnnxSpec("rnn_relu_forward_state", "RNN", "forward", 13, 7, layout=1, activations=("Relu",), initial_h=True),
    OnnxSpec("lstm_forward_peepholes_state", "LSTM", "forward", 7, 13, peepholes=True, initial_h=True, initial_c=True),
    OnnxSpec(
        "lstm_forward_no_bias_layout1", "LSTM", "forward", 5, 7, layout=1, bias=False, initial_h=True, initial_c=True
    ),
    OnnxSpec(
        "lstm_bidirectional_peepholes_clip",
        "LSTM",
        "bidirectional",
        7,
        5,
        layout=1,
        peepholes=True,
        clip=0.8,
        initial_h=True,
        initial_c=True,
        lengths=(6, 1, 4),
        x_scale=2.0,
    ),
    OnnxSpec(
        "lstm_reverse_lengths",
        "LSTM",
        "reverse",
        13,
        7,
        activations=("Sigmoid", "Tanh", "Tanh"),
        initial_c=True,
        lengths=(2, 6, 5),
    ),
    OnnxSpec("gru_lbr0_forward", "GRU", "forward", 7, 13, initial_h=True),
    OnnxSpec(
        "gru_lbr1_bidirectional_layout1",
        "GRU",
        "bidirectional",
        7,
        5,
        layout=1,
        linear_before_reset=1,
        initial_h=True,
        lengths=(4, 6, 1),
    ),
    OnnxSpec(
        "gru_lbr0_reverse_clip", "GRU", "reverse", 5, 7, linear_before_reset=0, clip=0.7, lengths=(6, 3, 2), x_scale=2.0
    ),
    OnnxSpec(
        "gru_lbr1_bidirectional_state_layout1",
        "GRU",
        "bidirectional",
        5,
        7,
        layout=1,
        linear_before_reset=1,
        initial_h=True,
    ),
    OnnxSpec(
        "gru_lbr1_forward_no_bias_clip", "GRU", "forward", 13, 7, layout=1, linear_before_reset=1, bias=False, clip=0.9
    ),
)


# -- building and running hand-made ONNX graphs ----------------------------------------


def build_graph(spec: OnnxSpec, index: int) -> tuple[Any, dict[str, np.ndarray]]:
    """``(onnx.ModelProto, feeds)``: random float32 weights and inputs in the spec's layout."""
    rng = np.random.default_rng(SEED + index)
    dirs, hidden, rows = spec.dirs, spec.hidden_size, GATES[spec.op] * spec.hidden_size

    def uniform(*shape: int) -> np.ndarray:
        return rng.uniform(-0.6, 0.6, shape).astype(np.float32)

    initializers = {"W": uniform(dirs, rows, spec.input_size), "R": uniform(dirs, rows, hidden)}
    if spec.bias:
        initializers["B"] = uniform(dirs, 2 * rows)
    if spec.peepholes:
        initializers["P"] = uniform(dirs, 3 * hidden)
    batch_major = spec.layout == 1
    x_shape = (spec.batch, spec.steps, spec.input_size) if batch_major else (spec.steps, spec.batch, spec.input_size)
    state_shape = (spec.batch, dirs, hidden) if batch_major else (dirs, spec.batch, hidden)
    feeds = {"X": (rng.standard_normal(x_shape) * spec.x_scale).astype(np.float32)}
    if spec.lengths is not None:
        feeds["sequence_lens"] = np.array(spec.lengths, dtype=np.int32)
    if spec.initial_h:
        feeds["initial_h"] = rng.uniform(-1, 1, state_shape).astype(np.float32)
    if spec.initial_c:
        feeds["initial_c"] = rng.uniform(-1, 1, state_shape).astype(np.float32)
    order = ["X", "W", "R", "B", "sequence_lens", "initial_h"] + (["initial_c", "P"] if spec.op == "LSTM" else [])
    present = set(initializers) | set(feeds)
    node_inputs = [name if name in present else "" for name in order]
    while node_inputs[-1] == "":
        node_inputs.pop()
    attributes: dict[str, Any] = {"hidden_size": hidden, "direction": spec.direction, "layout": spec.layout}
    if spec.activations is not None:
        attributes["activations"] = list(spec.activations)
    if spec.clip is not None:
        attributes["clip"] = spec.clip
    if spec.linear_before_reset is not None:
        attributes["linear_before_reset"] = spec.linear_before_reset
    outputs = ["Y", "Y_h"] + (["Y_c"] if spec.op == "LSTM" else [])
    steps, batch = spec.steps, spec.batch
    y_shape = [batch, steps, dirs, hidden] if batch_major else [steps, dirs, batch, hidden]
    out_shapes = {"Y": y_shape, "Y_h": list(state_shape), "Y_c": list(state_shape)}
    node = helper.make_node(spec.op, node_inputs, outputs, name=f"the_{spec.op.lower()}", **attributes)
    graph = helper.make_graph(
        [node],
        spec.name,
        [helper.make_tensor_value_info(k, _elem(v), list(v.shape)) for k, v in feeds.items()],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, out_shapes[name]) for name in outputs],
        initializer=[numpy_helper.from_array(v, k) for k, v in initializers.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, feeds


def _elem(array: np.ndarray) -> int:
    return TensorProto.INT32 if array.dtype == np.int32 else TensorProto.FLOAT


def run_onnxruntime(model: Any, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """ONNX Runtime's outputs by name, widened to float64."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return {n: v.astype(np.float64) for n, v in zip(names, session.run(None, feeds), strict=True)}


@cache
def hand_built(index: int) -> tuple[Any, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``(model proto, feeds, ONNX Runtime outputs)`` of spec ``index``, computed once."""
    model, feeds = build_graph(SPECS[index], index)
    return model, feeds, run_onnxruntime(ort_runnable(model), feeds)


def ort_runnable(proto: Any) -> Any:
    """The graph as ONNX Runtime can run it: its CPU kernels refuse ``layout=1``.

    A layout-1 node becomes the same node with ``layout=0`` between transposes,
    which is what the ONNX spec defines layout 1 to mean: ``X [B,T,I]``,
    ``initial_h``/``initial_c [B,D,H]`` are swapped to ``[T,B,I]``/``[D,B,H]``
    on the way in; ``Y [T,D,B,H]`` leaves as ``[B,T,D,H]`` and ``Y_h``/``Y_c``
    as ``[B,D,H]``. :func:`test_layout1_twin_matches_reference_evaluator`
    checks this against ONNX's reference evaluator, which runs layout 1 itself.
    """
    node = proto.graph.node[0]
    if not any(a.name == "layout" and a.i == 1 for a in node.attribute):
        return proto
    inputs, outputs = list(node.input), list(node.output)
    before, after = [], []
    for position in (0, 5, 6):  # X, initial_h, initial_c
        if position < len(inputs) and inputs[position]:
            name = inputs[position]
            before.append(helper.make_node("Transpose", [name], [f"{name}_tm"], perm=[1, 0, 2]))
            inputs[position] = f"{name}_tm"
    for position, name in enumerate(outputs):
        perm = [2, 0, 1, 3] if position == 0 else [1, 0, 2]
        after.append(helper.make_node("Transpose", [f"{name}_tm"], [name], perm=perm))
        outputs[position] = f"{name}_tm"
    attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute} | {"layout": 0}
    twin_node = helper.make_node(node.op_type, inputs, outputs, name=node.name, **attributes)
    twin = onnx.ModelProto()
    twin.CopyFrom(proto)
    del twin.graph.node[:]
    twin.graph.node.extend([*before, twin_node, *after])
    onnx.checker.check_model(twin)
    return twin


def assert_close(got: np.ndarray | None, want: np.ndarray | None, where: str) -> None:
    assert got is not None and want is not None, where
    assert got.shape == want.shape, f"{where}: shape {got.shape} vs {want.shape}"
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=where)


# -- hand-built graphs -> model_from_onnx -> backends, against ONNX Runtime ---------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("index", range(len(SPECS)), ids=[s.name for s in SPECS])
def test_imported_node_matches_onnxruntime(index: int, backend: str) -> None:
    require_backend(backend)
    spec = SPECS[index]
    proto, feeds, want = hand_built(index)
    model = model_from_onnx(proto)
    assert model.extra["onnx_layout"] == spec.layout
    fixed = [spec.batch, spec.steps] if spec.layout else [spec.steps, spec.batch]
    assert model.extra["input_shape"] == [*fixed, spec.input_size]  # the graph's own (static) input shape
    assert model.direction == spec.direction and model.peepholes == spec.peepholes and model.clip == spec.clip
    x, h0, c0 = onnx_inputs_to_canonical(feeds["X"], feeds.get("initial_h"), feeds.get("initial_c"), spec.layout)
    lengths = feeds.get("sequence_lens")
    result = get_backend(backend).load(model).forward(x, h0, c0, None if lengths is None else lengths.astype(np.int64))
    y, y_h, y_c = canonical_outputs_to_onnx(result, spec.layout)
    assert_close(y, want["Y"], f"{spec.name}/{backend}/Y")
    assert_close(y_h, want["Y_h"], f"{spec.name}/{backend}/Y_h")
    if spec.op == "LSTM":
        assert_close(y_c, want["Y_c"], f"{spec.name}/{backend}/Y_c")


REFERENCE_LAYOUT1 = [
    i
    for i, s in enumerate(SPECS)
    if s.layout == 1 and s.clip is None and s.lengths is None and s.activations in (None, ("Tanh",))
]


@pytest.mark.parametrize("index", REFERENCE_LAYOUT1, ids=[SPECS[i].name for i in REFERENCE_LAYOUT1])
def test_layout1_twin_matches_reference_evaluator(index: int) -> None:
    """ONNX's reference evaluator runs ``layout=1`` directly (no clip, no lengths, no Relu there)."""
    from onnx.reference import ReferenceEvaluator

    proto, feeds, want = hand_built(index)
    got = ReferenceEvaluator(proto).run(None, feeds)
    for name, value in zip([o.name for o in proto.graph.output], got, strict=True):
        assert_close(value.astype(np.float64), want[name], f"{SPECS[index].name}/{name}")


def test_imported_options_and_gate_order() -> None:
    """Options come from the attributes; rows are the ONNX blocks moved to canonical order."""
    proto, _, _ = hand_built(6)  # LSTM, bidirectional, peepholes, clip 0.8
    arrays = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in proto.graph.initializer}
    model = model_from_onnx(proto, node_name="the_lstm")
    assert model.describe() == "lstm 7->5 bidirectional peepholes clip=0.8"
    reverse = model.layers[0].reverse
    assert reverse is not None and reverse.peephole_f is not None
    hidden = 5
    w_i, w_o, w_f, w_c = np.split(arrays["W"][1], 4)  # ONNX: i, o, f, c
    assert np.array_equal(reverse.weight_ih, np.concatenate([w_i, w_f, w_c, w_o]))
    assert np.array_equal(reverse.bias_hh, from_onnx_gates("lstm", arrays["B"][1, 4 * hidden :], hidden))
    assert np.array_equal(reverse.peephole_f, arrays["P"][1, 2 * hidden :])  # ONNX P: p_i, p_o, p_f
    gru = model_from_onnx(hand_built(8)[0])
    assert gru.linear_before_reset is False and gru.cell == "gru"
    z, r, h = np.split(numpy_helper.to_array(hand_built(8)[0].graph.initializer[1]).astype(np.float64)[0], 3)
    assert gru.layers[0].forward is not None
    assert np.array_equal(gru.layers[0].forward.weight_hh, np.concatenate([r, z, h]))  # R: z, r, h -> r, z, n
    assert model_from_onnx(hand_built(1)[0]).nonlinearity == "relu"


def test_import_from_path_and_bytes(tmp_path: Path) -> None:
    proto, _, _ = hand_built(4)
    path = tmp_path / "lstm.onnx"
    onnx.save(proto, str(path))
    from_object = model_from_onnx(proto)
    for source in (path, str(path), proto.SerializeToString(), proto.graph):
        model = model_from_onnx(source)
        assert model.describe() == from_object.describe()
        assert model.layers[0].forward is not None and from_object.layers[0].forward is not None
        assert np.array_equal(model.layers[0].forward.weight_hh, from_object.layers[0].forward.weight_hh)


def test_import_reads_constant_nodes() -> None:
    """Weights held by ``Constant`` nodes instead of initializers import the same."""
    proto, _, _ = hand_built(7)  # LSTM reverse
    changed = onnx.ModelProto()
    changed.CopyFrom(proto)
    constants = [helper.make_node("Constant", [], [t.name], value=t) for t in changed.graph.initializer]
    del changed.graph.initializer[:]
    nodes = list(changed.graph.node)
    del changed.graph.node[:]
    changed.graph.node.extend([*constants, *nodes])
    onnx.checker.check_model(changed)
    want, got = model_from_onnx(proto).layers[0].reverse, model_from_onnx(changed).layers[0].reverse
    assert want is not None and got is not None
    for key, array in want.arrays().items():
        assert np.array_equal(got.arrays()[key], array), key


def _variant(index: int, **changes: Any) -> Any:
    """Spec ``index``'s graph with node attributes replaced (``None`` removes one)."""
    proto, _, _ = hand_built(index)
    changed = onnx.ModelProto()
    changed.CopyFrom(proto)
    node = changed.graph.node[0]
    kept = [a for a in node.attribute if a.name not in changes]
    del node.attribute[:]
    node.attribute.extend(kept)
    node.attribute.extend(helper.make_attribute(k, v) for k, v in changes.items() if v is not None)
    return changed


def _weights_as_graph_input() -> Any:
    proto, _, _ = hand_built(0)
    changed = onnx.ModelProto()
    changed.CopyFrom(proto)
    kept = [t for t in changed.graph.initializer if t.name != "R"]
    del changed.graph.initializer[:]
    changed.graph.initializer.extend(kept)
    return changed


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: model_from_onnx(_variant(4, activations=["HardSigmoid", "Tanh", "Tanh"])), "cannot be represented"),
        (lambda: model_from_onnx(_variant(8, activations=["Sigmoid", "Relu"])), "cannot be represented"),
        (lambda: model_from_onnx(_variant(1, activations=["Tanh", "Relu"])), "the same in every direction"),
        (lambda: model_from_onnx(_variant(0, activations=["Sigmoid"])), "only Tanh or Relu"),
        (lambda: model_from_onnx(_variant(4, input_forget=1)), "input_forget"),
        (lambda: model_from_onnx(_variant(4, layout=2)), "layout must be 0 or 1"),
        (lambda: model_from_onnx(_variant(4, hidden_size=6)), "hidden_size=6"),
        (lambda: model_from_onnx(_variant(4, direction="sideways")), "unknown direction"),
        (lambda: model_from_onnx(_variant(4, direction="bidirectional")), "W must have shape"),
        (lambda: model_from_onnx(_variant(4, output_gate=1)), "unknown attribute"),
        (lambda: model_from_onnx(_weights_as_graph_input()), "input R .* is not an initializer"),
        (lambda: model_from_onnx(hand_built(4)[0], node_name="nope"), r"no RNN/LSTM/GRU node named 'nope'"),
        (lambda: model_from_onnx(helper.make_model(helper.make_graph([], "empty", [], []))), "has no RNN"),
        (lambda: model_from_onnx(42), "expected an onnx.ModelProto"),
    ],
    ids=[
        "lstm_activations",
        "gru_activations",
        "rnn_mixed_activations",
        "rnn_sigmoid",
        "input_forget",
        "layout",
        "hidden_size",
        "direction_name",
        "direction_shapes",
        "unknown_attribute",
        "weights_not_constant",
        "node_name",
        "no_node",
        "not_onnx",
    ],
)
def test_import_refuses_what_cannot_be_represented(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_layout_helpers_round_trip() -> None:
    rng = np.random.default_rng(SEED)
    x, h = rng.standard_normal((3, 5, 4)), rng.standard_normal((3, 2, 6))  # [B, T, I], [B, D, H]
    x_t, h_t, c_t = onnx_inputs_to_canonical(x, h, None, layout=1)
    assert x_t.shape == (5, 3, 4) and h_t is not None and h_t.shape == (2, 3, 6) and c_t is None
    assert np.array_equal(x_t[4, 2], x[2, 4]) and np.array_equal(h_t[1, 0], h[0, 1])
    same, _, _ = onnx_inputs_to_canonical(x, layout=0)
    assert np.array_equal(same, x)


# -- committed fixtures (v1 and v2) -> model_to_onnx -> ONNX Runtime and back ---------------------


@cache
def committed(path: Path) -> Fixture:
    return load_fixture(path)


def as_chain(model: Model | Chain) -> Chain:
    return chain_from_model(model) if isinstance(model, Model) else model


def has_projection(model: Model | Chain) -> bool:
    return any(layer.proj_size for layer in as_chain(model).layers)


def exported_for(fixture: Fixture, case: Any, dtype: str = "float32") -> Any:
    return model_to_onnx(
        fixture.model,
        dtype,
        with_h0=case.h0 is not None,
        with_c0=case.c0 is not None,
        with_lengths=case.lengths is not None,
    )


def test_committed_fixtures_are_present() -> None:
    assert len(FIXTURE_PATHS) >= 20, f"expected the committed fixtures in {fixtures_dir()}"
    assert len(CHAIN_FIXTURE_PATHS) >= 6, f"expected the version-2 fixtures in {fixtures_dir()}"


@pytest.mark.parametrize("path", ALL_FIXTURE_PATHS, ids=[p.stem for p in ALL_FIXTURE_PATHS])
def test_exported_fixture_matches_expected(path: Path) -> None:
    """ONNX Runtime on the exported chain reproduces the fixture (projection: export is refused)."""
    fixture = committed(path)
    if has_projection(fixture.model):  # ONNX has no LSTM projection: the one thing it cannot express
        with pytest.raises(ValueError, match="proj_size"):
            model_to_onnx(fixture.model)
        return
    for case in fixture.cases:
        got = onnx_expected(exported_for(fixture, case), case.inputs)
        for key, want in case.expected.fields().items():
            value = got.fields()[key]
            if isinstance(want, list):
                assert isinstance(value, list) and len(value) == len(want)
                for k, (g, w) in enumerate(zip(value, want, strict=True)):
                    assert_close(g, w, f"{fixture.name}/{case.name}/{key}[{k}]")
            else:
                assert_close(np.asarray(value), want, f"{fixture.name}/{case.name}/{key}")


def assert_same_chain(got: Chain, want: Chain, where: str) -> None:
    """The same chain: options, merges, readout and bit-identical arrays."""
    assert got.describe() == want.describe(), where
    assert (got.merges, got.readout, len(got.dense)) == (want.merges, want.readout, len(want.dense)), where
    options = ("cell", "direction", "input_size", "hidden_size", "nonlinearity", "linear_before_reset", "clip")
    for index, (a, b) in enumerate(zip(got.layers, want.layers, strict=True)):
        assert [getattr(a, o) for o in options] == [getattr(b, o) for o in options], f"{where} layer {index}"
        assert a.peepholes == b.peepholes
        for (name, wa), (_, wb) in zip(a.layers[0].directions(), b.layers[0].directions(), strict=True):
            assert wa.arrays().keys() == wb.arrays().keys()
            for key, array in wb.arrays().items():
                assert np.array_equal(wa.arrays()[key], array), f"{where} layer{index}.{name}.{key}"
    if want.embedding is not None:
        assert got.embedding is not None and np.array_equal(got.embedding.weight, want.embedding.weight), where
    for a, b in zip(got.dense, want.dense, strict=True):
        assert a.activation == b.activation and np.array_equal(a.weight, b.weight), where
        assert np.array_equal(a.bias, b.bias), where


@pytest.mark.parametrize("path", ALL_FIXTURE_PATHS, ids=[p.stem for p in ALL_FIXTURE_PATHS])
def test_export_import_round_trip_is_exact(path: Path) -> None:
    """model_to_onnx(float64) -> model_from_onnx: the same chain, bit-identical weights (with and without states)."""
    fixture = committed(path)
    if has_projection(fixture.model):
        return  # refused by the exporter, see test_exported_fixture_matches_expected
    want = as_chain(fixture.model)
    for states in (False, True):
        exported = model_to_onnx(fixture.model, "float64", with_h0=states, with_c0=states, with_lengths=states)
        imported = model_from_onnx(exported)
        assert_same_chain(as_chain(imported), want, f"{path.stem} states={states}")
        for index, layer in enumerate(want.layers):  # one node read alone is that layer
            alone = model_from_onnx(exported, node_name=f"layer{index}")
            assert alone.describe() == layer.describe()


def test_round_trip_through_float32_rounds_once() -> None:
    """A float32 export imports as the float32-rounded weights, widened exactly."""
    model = committed(fixtures_dir() / "gru_cho_bidirectional.json").model
    imported = as_chain(model_from_onnx(model_to_onnx(model, "float32")))
    rounded = as_chain(model).map_arrays(lambda a: a.astype(np.float32).astype(np.float64))
    assert_same_chain(imported, rounded, "gru_cho_bidirectional float32")


@pytest.mark.parametrize("index", [i for i, s in enumerate(SPECS) if s.layout == 1], ids=lambda i: SPECS[i].name)
def test_onnx_expected_on_layout1_falls_back_or_refuses(index: int) -> None:
    """ORT has no layout-1 kernels: onnx.reference computes it, unless it would ignore clip or sequence_lens."""
    spec = SPECS[index]
    proto, feeds, want = hand_built(index)
    x, h0, c0 = onnx_inputs_to_canonical(feeds["X"], feeds.get("initial_h"), feeds.get("initial_c"), 1)
    lengths = feeds.get("sequence_lens")
    case = CaseInputs("c", x, h0, c0, None if lengths is None else lengths.astype(np.int64))
    if spec.clip is not None or spec.lengths is not None or spec.activations == ("Relu",):
        with pytest.raises(ModelImportError, match=r"onnx\.reference"):
            onnx_expected(proto, case)
        return
    got = onnx_expected(proto, case)
    y, y_h, _ = canonical_outputs_to_onnx(got, 1)
    assert_close(y, want["Y"], f"{spec.name}/Y")
    assert_close(y_h, want["Y_h"], f"{spec.name}/Y_h")

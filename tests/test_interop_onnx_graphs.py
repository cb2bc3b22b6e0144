"""Whole ONNX graphs written by ``torch.onnx.export``: imported whole, or refused by name.

Each model of the zoo is a PyTorch module exported the way users export them (the TorchScript
exporter, ``dynamo=False``, with dynamic time and batch axes). The imported chain runs in every
backend and is held to two oracles: PyTorch itself in float64 (the graph's float32 weights widened
exactly, so float64 agreement is 1e-9) and ONNX Runtime on the graph (float32, so float32
tolerance). :func:`onnx_expected` must give what ONNX Runtime gives when fed by hand.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

import rnn_rosetta as rr
from rnn_rosetta.backends import BACKENDS, get_backend
from rnn_rosetta.chain import Chain
from rnn_rosetta.fixture_data import CaseInputs
from rnn_rosetta.interop import model_from_onnx, model_to_onnx, onnx_expected
from tests.conftest import import_torch_or_skip_module, require_backend

torch = import_torch_or_skip_module()
nn = torch.nn

F64_RTOL, F64_ATOL = 1e-9, 1e-12  # the backends against PyTorch float64
F32_RTOL, F32_ATOL = 1e-5, 1e-5  # against ONNX Runtime's float32
STEPS, BATCH = 6, 3


# -- the zoo -----------------------------------------------------------------------------------


class Lstm2(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 7, num_layers=2)

    def forward(self, x: Any) -> Any:
        out, (h, c) = self.lstm(x)
        return out, h, c


class Lstm3LastStep(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 6, num_layers=3, batch_first=True)
        self.fc = nn.Linear(6, 4)

    def forward(self, x: Any) -> Any:
        out, _ = self.lstm(x)
        return self.fc(out[:, -1, :])


class LstmBidirectional2(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 4, num_layers=2, bidirectional=True)

    def forward(self, x: Any) -> Any:
        out, (h, _) = self.lstm(x)
        return out, h


class GruBidirectionalClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(5, 6, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(12, 3)

    def forward(self, x: Any) -> Any:
        _, h = self.gru(x)
        return torch.softmax(self.fc(torch.cat([h[-2], h[-1]], dim=1)), dim=-1)


class SequenceModel(nn.Module):
    """seed-001's classifier: Embedding -> 2-layer LSTM -> Linear on the last step."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(30, 8)
        self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True)
        self.fc = nn.Linear(16, 4)

    def forward(self, tokens: Any) -> Any:
        out, _ = self.lstm(self.embedding(tokens))
        return self.fc(out[:, -1, :])


class RnnReluTanhHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.RNN(5, 7, nonlinearity="relu")
        self.fc = nn.Linear(7, 3)

    def forward(self, x: Any) -> Any:
        out, _ = self.rnn(x)
        return torch.tanh(self.fc(out))


class Gru2HiddenLast(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(5, 7, num_layers=2, batch_first=True)
        self.fc = nn.Linear(7, 3)

    def forward(self, x: Any) -> Any:
        _, h = self.gru(x)
        return self.fc(h[-1])


class LstmStates(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 7, num_layers=2)

    def forward(self, x: Any, h0: Any, c0: Any) -> Any:
        out, (h, c) = self.lstm(x, (h0, c0))
        return out, h, c


class DenseStack(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 8)
        self.fc1 = nn.Linear(8, 6)
        self.fc2 = nn.Linear(6, 2)

    def forward(self, x: Any) -> Any:
        out, _ = self.lstm(x)
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(out[-1]))))


class MixedStack(nn.Module):
    """Three modules of different cells and sizes: GRU 5->12, LSTM 12->6 bidirectional, RNN 12->4."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(5, 12)
        self.lstm = nn.LSTM(12, 6, bidirectional=True)
        self.rnn = nn.RNN(12, 4)

    def forward(self, x: Any) -> Any:
        a, _ = self.gru(x)
        b, _ = self.lstm(a)
        c, h = self.rnn(b)
        return c, h


class PackedLengths(nn.Module):
    """pack_padded_sequence -> 2-layer LSTM -> pad_packed_sequence, and a Linear on h_n[-1]."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 7, num_layers=2)
        self.fc = nn.Linear(7, 3)

    def forward(self, x: Any, lengths: Any) -> Any:
        from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

        out, (h, _) = self.lstm(pack_padded_sequence(x, lengths))
        out, _ = pad_packed_sequence(out, total_length=x.shape[0])
        return out, self.fc(h[-1])


@dataclass(frozen=True)
class Zoo:
    name: str
    make: Callable[[], Any]
    outputs: tuple[str, ...]  # the Result field of each module output, in order
    batch_first: bool = False
    tokens: bool = False
    states: bool = False  # forward(x, h0, c0)
    lengths: bool = False  # forward(x, lengths), lengths sorted longest first
    describe: str = ""


ZOO: tuple[Zoo, ...] = (
    Zoo("lstm_2layer", Lstm2, ("output", "h_n", "c_n"), describe="lstm 5->7 | lstm 7->7 | sequence"),
    Zoo("lstm_3layer_last_step", Lstm3LastStep, ("y",), batch_first=True),
    Zoo("lstm_bidirectional_2layer", LstmBidirectional2, ("output", "h_n")),
    Zoo("gru_bidirectional_classifier", GruBidirectionalClassifier, ("y",), batch_first=True),
    Zoo("sequence_model_embedding", SequenceModel, ("y",), batch_first=True, tokens=True),
    Zoo("rnn_relu_tanh_head", RnnReluTanhHead, ("y",)),
    Zoo("gru_2layer_h_n_last", Gru2HiddenLast, ("y",), batch_first=True),
    Zoo("lstm_2layer_initial_states", LstmStates, ("output", "h_n", "c_n"), states=True),
    Zoo("dense_stack", DenseStack, ("y",)),
    Zoo("mixed_cells_sizes", MixedStack, ("output", "h_top")),  # h of the top module only
    Zoo("lstm_2layer_packed_lengths", PackedLengths, ("output", "y"), lengths=True),
)


def _export(module: Any, args: tuple[Any, ...], names: list[str], dynamic: dict[str, Any], **kw: Any) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, buffer, dynamo=False, input_names=names, dynamic_axes=dynamic, **kw)
    return buffer.getvalue()


def _inputs(spec: Zoo, seed: int) -> CaseInputs:
    """Time-major case inputs; float32-representable so both oracles see the same numbers."""
    rng = np.random.default_rng(seed)
    if spec.tokens:
        return CaseInputs("case", None, tokens=rng.integers(0, 30, (STEPS, BATCH)))
    x = rng.standard_normal((STEPS, BATCH, 5)).astype(np.float32).astype(np.float64)
    if spec.lengths:
        return CaseInputs("case", x, lengths=np.array([STEPS, STEPS - 2, 1]))
    if not spec.states:
        return CaseInputs("case", x)
    h0 = rng.uniform(-1, 1, (2, BATCH, 7)).astype(np.float32).astype(np.float64)
    c0 = rng.uniform(-1, 1, (2, BATCH, 7)).astype(np.float32).astype(np.float64)
    return CaseInputs("case", x, h0, c0)


def _torch_args(spec: Zoo, case: CaseInputs, dtype: Any) -> tuple[Any, ...]:
    feed = case.tokens if spec.tokens else case.x
    assert feed is not None
    tensor = torch.from_numpy(np.swapaxes(feed, 0, 1).copy() if spec.batch_first else feed.copy())
    tensor = tensor if spec.tokens else tensor.to(dtype)
    if spec.lengths:
        assert case.lengths is not None
        return (tensor, torch.from_numpy(case.lengths))
    if not spec.states:
        return (tensor,)
    return (tensor, torch.from_numpy(case.h0).to(dtype), torch.from_numpy(case.c0).to(dtype))


@cache
def exported(index: int) -> tuple[bytes, Any]:
    """``(graph bytes, the float64 twin of the exported module)``."""
    spec = ZOO[index]
    torch.manual_seed(1000 + index)
    module = spec.make().eval()
    args = _torch_args(spec, _inputs(spec, index), torch.float32)
    names = ["x", "lengths"] if spec.lengths else ["x", "h0", "c0"][: len(args)]
    time_axis, batch_axis = (1, 0) if spec.batch_first else (0, 1)
    dynamic: dict[str, Any] = {"x": {time_axis: "T", batch_axis: "B"}}
    if spec.states:
        dynamic |= {"h0": {1: "B"}, "c0": {1: "B"}}
    if spec.lengths:
        dynamic |= {"lengths": {0: "B"}}
    graph = _export(module, args, names, dynamic)
    return graph, module.double()


def _torch_result(spec: Zoo, twin: Any, case: CaseInputs) -> dict[str, np.ndarray]:
    with torch.no_grad():
        outputs = twin(*_torch_args(spec, case, torch.float64))
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    fields = {}
    for name, value in zip(spec.outputs, outputs, strict=True):
        array = value.numpy()
        if name == "output" and spec.batch_first:
            array = np.swapaxes(array, 0, 1)
        fields[name] = array
    return fields


def _ort_by_hand(graph: bytes, spec: Zoo, case: CaseInputs) -> dict[str, np.ndarray]:
    """ONNX Runtime fed in the graph's own layout, outputs in the module's order."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    args = _torch_args(spec, case, torch.float32)
    feeds = {i.name: a.numpy() for i, a in zip(session.get_inputs(), args, strict=True)}
    fields = {}
    for name, value in zip(spec.outputs, session.run(None, feeds), strict=True):
        value = value.astype(np.float64)
        fields[name] = np.swapaxes(value, 0, 1) if name == "output" and spec.batch_first else value
    return fields


def _compare(got: Any, want: np.ndarray, rtol: float, atol: float, where: str) -> float:
    got = np.stack(got) if isinstance(got, list) else np.asarray(got)
    assert got.shape == want.shape, f"{where}: shape {got.shape} vs {want.shape}"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=where)
    return float(np.max(np.abs(got - want))) if got.size else 0.0


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("index", range(len(ZOO)), ids=[z.name for z in ZOO])
def test_exported_graph_matches_pytorch_and_onnxruntime(index: int, backend: str) -> None:
    require_backend(backend)
    spec = ZOO[index]
    graph, twin = exported(index)
    model = model_from_onnx(graph)
    assert isinstance(model, Chain)
    assert model.extra["batch_first"] is spec.batch_first
    assert model.extra["input_shape"] == ([None, None] if spec.tokens else [None, None, 5])  # dynamic T and B
    if spec.describe:
        assert model.describe() == spec.describe
    case = _inputs(spec, 500 + index)
    want64 = _torch_result(spec, twin, case)
    want32 = _ort_by_hand(graph, spec, case)
    feed = case.tokens if spec.tokens else case.x
    result = get_backend(backend).load(model, dtype="float64").forward(feed, case.h0, case.c0, case.lengths)
    for name in spec.outputs:
        got = result.h_n[-1][None] if name == "h_top" else getattr(result, name)
        _compare(got, want64[name], F64_RTOL, F64_ATOL, f"{spec.name}/{backend}/{name} vs PyTorch float64")
        _compare(got, want32[name], F32_RTOL, F32_ATOL, f"{spec.name}/{backend}/{name} vs ONNX Runtime")


@pytest.mark.parametrize("index", range(len(ZOO)), ids=[z.name for z in ZOO])
def test_onnx_expected_is_onnxruntime(index: int) -> None:
    """``onnx_expected`` feeds the graph in its own layout and maps its outputs to the chain's fields."""
    spec = ZOO[index]
    graph, _ = exported(index)
    case = _inputs(spec, 700 + index)
    got = onnx_expected(graph, case).fields()
    want = _ort_by_hand(graph, spec, case)
    want.pop("h_top", None)  # some state slots only: a graph output the result has no field for
    assert set(want) <= set(got)
    for name, value in want.items():
        _compare(got[name], value, 0.0, 0.0, f"{spec.name}/{name}")


def test_two_layer_lstm_is_whole_not_its_first_layer() -> None:
    """The issue's case: a 2-layer nn.LSTM was read as its first layer, 1.56 away from PyTorch."""
    graph, _ = exported(0)
    chain = model_from_onnx(graph)
    assert isinstance(chain, Chain) and len(chain.layers) == 2
    proto = onnx.load_from_string(graph)
    assert [n.op_type for n in proto.graph.node].count("LSTM") == 2


def test_chain_export_reimports_and_runs(tmp_path: Any) -> None:
    """A torch-exported chain -> model_to_onnx -> ONNX Runtime gives the same y; the file path works too."""
    graph, _ = exported(4)  # embedding classifier
    chain = model_from_onnx(graph)
    path = tmp_path / "again.onnx"
    onnx.save(model_to_onnx(chain, "float32"), str(path))
    case = _inputs(ZOO[4], 9)
    again = onnx_expected(path, case).y
    want = onnx_expected(graph, case).y
    assert again is not None and want is not None
    np.testing.assert_allclose(again, want, rtol=F32_RTOL, atol=F32_ATOL)


def test_ragged_states_go_through_one_input_per_layer() -> None:
    """Layers of different sizes: h0/c0 per layer in, h_n/c_n per layer out, slots in chain order."""
    fixture = rr.load_fixture(rr.paths.fixtures_dir() / "stack_64_32_softmax.json")
    chain = fixture.model
    assert isinstance(chain, Chain) and len(set(chain.state_sizes)) > 1
    rng = np.random.default_rng(3)
    case = fixture.cases[0]
    batch = case.feed.shape[1]
    h0 = [rng.uniform(-1, 1, (batch, size)) for size in chain.state_sizes]
    c0 = [rng.uniform(-1, 1, (batch, size)) for size in chain.cell_state_sizes]
    inputs = CaseInputs("ragged", case.x, h0, c0 if c0 else None, None, case.tokens)
    graph = model_to_onnx(chain, "float64", with_h0=True, with_c0=bool(c0))
    got = onnx_expected(graph, inputs)
    want = get_backend("numpy").load(chain).forward(case.feed, h0, c0 if c0 else None)
    assert isinstance(got.h_n, list) and len(got.h_n) == len(h0)
    for name in ("output", "y"):
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-9, atol=1e-12)
    for g, w in zip(got.h_n, want.h_n, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)


# -- refusals --------------------------------------------------------------------------------


class TwoModules(nn.Module):
    """lstm1 -> ``between`` -> lstm2; ``top`` picks what is returned."""

    def __init__(self, between: Callable[[Any], Any] | None = None, bidirectional: bool = False) -> None:
        super().__init__()
        self.lstm1 = nn.LSTM(5, 6, bidirectional=bidirectional)
        self.lstm2 = nn.LSTM(12 if bidirectional else 6, 6)
        self.norm = nn.LayerNorm(12 if bidirectional else 6)
        self.fc = nn.Linear(6, 3)
        self.fc2 = nn.Linear(6, 2)
        self.between = between

    def forward(self, x: Any) -> Any:
        a, _ = self.lstm1(x)
        b, (h, c) = self.lstm2(self.between(self, a) if self.between else a)
        return self.returns(a, b, h, c)

    def returns(self, a: Any, b: Any, h: Any, c: Any) -> Any:
        return b


def _refusal_graph(between: Any = None, returns: Any = None, bidirectional: bool = False, **kw: Any) -> bytes:
    torch.manual_seed(5)
    module = TwoModules(between, bidirectional).eval()
    if returns is not None:
        module.returns = returns  # type: ignore[method-assign]
    return _export(module, (torch.zeros(4, 2, 5),), ["x"], {"x": {0: "T", 1: "B"}}, **kw)


class BidirectionalOutLast(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 6, bidirectional=True)
        self.fc = nn.Linear(12, 3)

    def forward(self, x: Any) -> Any:
        out, _ = self.lstm(x)
        return self.fc(out[-1])


def _bidirectional_out_last() -> bytes:
    return _export(BidirectionalOutLast().eval(), (torch.zeros(4, 2, 5),), ["x"], {"x": {0: "T", 1: "B"}})


def _scan_graph() -> Any:
    """A recurrence written as a Scan over time (what a hand-written loop exports to)."""
    body = helper.make_graph(
        [helper.make_node("Add", ["h_in", "x_t"], ["h_out"]), helper.make_node("Identity", ["h_out"], ["y_t"])],
        "body",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2, 5]) for n in ("h_in", "x_t")],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2, 5]) for n in ("h_out", "y_t")],
    )
    scan = helper.make_node("Scan", ["h0", "x"], ["h_n", "y"], name="loop_over_time", num_scan_inputs=1, body=body)
    graph = helper.make_graph(
        [scan],
        "scan",
        [helper.make_tensor_value_info("h0", TensorProto.FLOAT, [2, 5]),
         helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 2, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 2, 5])],
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])


def _lengths_then_last_step() -> Any:
    """Our own export with sequence_lens, plus ``output[-1]`` as the graph's one output."""
    fixture = rr.load_fixture(rr.paths.fixtures_dir() / "lstm_small.json")
    proto = model_to_onnx(fixture.model, "float32", with_lengths=True)
    proto.graph.initializer.append(numpy_helper.from_array(np.array(-1, dtype=np.int64), "minus_one"))
    proto.graph.node.append(helper.make_node("Gather", ["output", "minus_one"], ["last"], name="out_last", axis=0))
    del proto.graph.output[:]
    proto.graph.output.append(helper.make_tensor_value_info("last", TensorProto.FLOAT, ["B", 6]))
    return proto


def _softmax_without_axis_opset11() -> Any:
    """Before opset 13 a Softmax without ``axis`` spans axes 1.. of ``[T, B, O]``: not per step."""
    fixture = rr.load_fixture(rr.paths.fixtures_dir() / "lstm_softmax_head.json")
    proto = model_to_onnx(fixture.model, "float32")
    for graph_node in proto.graph.node:
        if graph_node.op_type == "Softmax":
            del graph_node.attribute[:]
            graph_node.name = "softmax_opset11"
    del proto.opset_import[:]
    proto.opset_import.append(helper.make_opsetid("", 11))
    return proto


REFUSALS: dict[str, tuple[Callable[[], Any], str]] = {
    "layernorm_between_layers": (
        lambda: _refusal_graph(lambda m, a: m.norm(a), opset_version=17),
        r"LayerNormalization node '.*': op LayerNormalization between the recurrent layers",
    ),
    "relu_between_layers": (
        lambda: _refusal_graph(lambda m, a: torch.relu(a)),
        r"Relu node .*: Relu on layer 0's output; activations follow a dense",
    ),
    "residual_add": (
        lambda: _refusal_graph(returns=lambda a, b, h, c: a + b),
        r"Add node .*combines layer 0's output and layer 1's output",
    ),
    "scan_loop": (_scan_graph, r"Scan node 'loop_over_time': a recurrence written as a loop"),
    "two_dense_heads": (
        lambda: _refusal_graph(
            returns=lambda a, b, h, c: (
                nn.functional.linear(b[-1], torch.ones(3, 6)),
                nn.functional.linear(b[-1], torch.ones(2, 6)),
            )
        ),
        r"MatMul node .*a second branch of dense layers|Gemm node .*a second branch of dense layers",
    ),
    "lower_layer_as_output": (
        lambda: _refusal_graph(returns=lambda a, b, h, c: (a, b)),
        r"graph output .* comes from layer 0, not the top layer 1",
    ),
    "bidirectional_out_last": (_bidirectional_out_last, r"Gather node .*time step of a bidirectional layer"),
    "first_step_of_forward": (
        lambda: _refusal_graph(returns=lambda a, b, h, c: b[0]),
        r"Gather node .*the first step of the forward direction is not its final state",
    ),
    "cell_state_readout": (
        lambda: _refusal_graph(returns=lambda a, b, h, c: torch.tanh(c[-1] @ torch.ones(6, 2))),
        r"a cell state \(Y_c\) is not a readout",
    ),
    "log_softmax": (
        lambda: _refusal_graph(returns=lambda a, b, h, c: torch.log_softmax(b @ torch.ones(6, 2), dim=-1)),
        r"LogSoftmax node .*: op LogSoftmax",
    ),
    "lengths_then_out_last": (_lengths_then_last_step, r"Gather node 'out_last': with sequence_lens"),
    "softmax_opset11_no_axis": (_softmax_without_axis_opset11, r"Softmax node 'softmax_opset11': softmax over axis 1"),
    "no_recurrent_node": (
        lambda: helper.make_model(
            helper.make_graph(
                [helper.make_node("Identity", ["x"], ["y"])],
                "plain",
                [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
            )
        ),
        r"Identity|no RNN, LSTM or GRU node|is none of the chain's",
    ),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_graphs_that_are_not_chains_are_refused(name: str) -> None:
    make, message = REFUSALS[name]
    source = make()
    with pytest.raises(rr.ModelImportError, match=message) as info:
        model_from_onnx(source)
    assert "\n" not in str(info.value)


def test_one_node_read_alone_still_works_in_a_refused_graph() -> None:
    """``node_name`` reads one layer on purpose; the whole graph is refused without it."""
    graph = _refusal_graph(lambda m, a: torch.relu(a))
    proto = onnx.load_from_string(graph)
    name = next(n.name for n in proto.graph.node if n.op_type == "LSTM")
    assert model_from_onnx(proto, node_name=name).cell == "lstm"


# -- graphs in tf2onnx's style: batch-major input, Split directions, Squeeze, Dropout, MatMul+Add ------


@dataclass(frozen=True)
class Styled:
    """A hand-built graph the way tf2onnx writes a Keras stack: ``first`` bidirectional (merged by
    ``merge``), then ``top`` (forward, or bidirectional with the same merge) read at its last step."""

    name: str
    first: str  # "LSTM" or "GRU"
    merge: str  # concat, sum, mul, ave
    top_bidirectional: bool = False


STYLED: tuple[Styled, ...] = (
    Styled("lstm_concat", "LSTM", "concat"),
    Styled("lstm_sum", "LSTM", "sum"),
    Styled("gru_ave", "GRU", "ave"),
    Styled("gru_mul_bidirectional_top", "GRU", "mul", top_bidirectional=True),
    Styled("lstm_concat_bidirectional_top", "LSTM", "concat", top_bidirectional=True),
)
GATES = {"LSTM": 4, "GRU": 3}


def _styled_graph(spec: Styled, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    nodes: list[Any] = []
    inits: list[Any] = []

    def const(name: str, value: Any) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, inputs: list[str], outputs: list[str], **attrs: Any) -> list[str]:
        nodes.append(helper.make_node(op, inputs, outputs, name=f"{op.lower()}_{len(nodes)}", **attrs))
        return outputs

    def zeros_state(x: str, dirs: int, hidden: int, tag: str) -> str:
        (shape,) = node("Shape", [x], [f"{tag}_shape"])
        (batch,) = node("Gather", [shape, const(f"{tag}_one", np.array(1, np.int64))], [f"{tag}_batch"], axis=0)
        (batch1,) = node("Unsqueeze", [batch, const(f"{tag}_ax", np.array([0], np.int64))], [f"{tag}_batch1"])
        dims = [const(f"{tag}_d", np.array([dirs], np.int64)), batch1, const(f"{tag}_h", np.array([hidden], np.int64))]
        (full,) = node("Concat", dims, [f"{tag}_dims"], axis=0)
        zero = helper.make_tensor("zero", TensorProto.FLOAT, [1], [0.0])
        return node("ConstantOfShape", [full], [f"{tag}_zeros"], value=zero)[0]

    def recurrent(op: str, x: str, width: int, hidden: int, dirs: int, tag: str) -> tuple[str, str]:
        g = GATES[op] * hidden
        w = const(f"{tag}_W", rng.uniform(-0.5, 0.5, (dirs, g, width)).astype(np.float32))
        r = const(f"{tag}_R", rng.uniform(-0.5, 0.5, (dirs, g, hidden)).astype(np.float32))
        b = const(f"{tag}_B", rng.uniform(-0.5, 0.5, (dirs, 2 * g)).astype(np.float32))
        h0 = zeros_state(x, dirs, hidden, tag)
        attrs: dict[str, Any] = {"hidden_size": hidden, "direction": "bidirectional" if dirs == 2 else "forward"}
        if op == "GRU":
            attrs["linear_before_reset"] = 1  # Keras reset_after=True
        inputs = [x, w, r, b, "", h0] + ([h0] if op == "LSTM" else [])
        outs = [f"{tag}_Y", f"{tag}_Yh"] + ([f"{tag}_Yc"] if op == "LSTM" else [])
        node(op, inputs, outs, **attrs)
        return outs[0], outs[1]

    def merge(pair: list[str], tag: str) -> str:
        if spec.merge == "concat":
            return node("Concat", pair, [f"{tag}_merged"], axis=-1)[0]
        if spec.merge == "mul":
            return node("Mul", pair, [f"{tag}_merged"])[0]
        (total,) = node("Add", pair, [f"{tag}_sum"])
        if spec.merge == "sum":
            return total
        return node("Mul", [total, const(f"{tag}_half", np.array(0.5, np.float32))], [f"{tag}_merged"])[0]

    def halves(value: str, axis: int, tag: str) -> list[str]:
        parts = node("Split", [value], [f"{tag}_fw", f"{tag}_bw"], axis=axis)
        axes = const(f"{tag}_sq", np.array([axis], np.int64))
        return [node("Squeeze", [p, axes], [f"{p}_sq"])[0] for p in parts]

    (x_tm,) = node("Transpose", ["input_1"], ["x_tm"], perm=[1, 0, 2])
    y1, _ = recurrent(spec.first, x_tm, 5, 6, 2, "l0")
    merged = merge(halves(y1, 1, "l0"), "l0")  # [T, B, W]
    (dropped,) = node("Dropout", [merged], ["l0_dropout"])
    (batch_major,) = node("Transpose", [dropped], ["l0_bm"], perm=[1, 0, 2])  # what Keras hands on
    (again,) = node("Transpose", [batch_major], ["l1_x"], perm=[1, 0, 2])
    width = 12 if spec.merge == "concat" else 6
    top_dirs = 2 if spec.top_bidirectional else 1
    _, yh = recurrent("LSTM", again, width, 4, top_dirs, "l1")
    if spec.top_bidirectional:
        readout = merge(halves(yh, 0, "l1"), "l1")
    else:
        readout = node("Squeeze", [yh, const("l1_sq", np.array([0], np.int64))], ["readout"])[0]
    top_width = 8 if spec.top_bidirectional and spec.merge == "concat" else 4
    kernel = const("dense_kernel", rng.uniform(-0.5, 0.5, (top_width, 3)).astype(np.float32))
    (logits,) = node("MatMul", [readout, kernel], ["dense_mm"])
    (biased,) = node("Add", [logits, const("dense_bias", rng.uniform(-0.5, 0.5, 3).astype(np.float32))], ["dense_b"])
    node("Softmax", [biased], ["dense"], axis=-1)
    graph = helper.make_graph(
        nodes,
        spec.name,
        [helper.make_tensor_value_info("input_1", TensorProto.FLOAT, ["unk__1", "unk__2", 5])],
        [helper.make_tensor_value_info("dense", TensorProto.FLOAT, ["unk__1", 3])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("index", range(len(STYLED)), ids=[s.name for s in STYLED])
def test_tf2onnx_style_graph_matches_onnxruntime(index: int, backend: str) -> None:
    require_backend(backend)
    spec = STYLED[index]
    proto = _styled_graph(spec, 40 + index)
    chain = model_from_onnx(proto)
    assert isinstance(chain, Chain) and chain.extra["batch_first"] is True
    assert chain.merges[0] == spec.merge and chain.readout == "last"
    rng = np.random.default_rng(60 + index)
    x_bm = rng.standard_normal((BATCH, STEPS, 5)).astype(np.float32)
    session = onnxruntime.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    (want,) = session.run(None, {"input_1": x_bm})
    x = np.swapaxes(x_bm, 0, 1).astype(np.float64)
    got = get_backend(backend).load(chain).forward(x).y
    _compare(got, want.astype(np.float64), F32_RTOL, F32_ATOL, f"{spec.name}/{backend}")
    expected = onnx_expected(proto, CaseInputs("c", x)).y
    _compare(expected, want.astype(np.float64), 0.0, 0.0, f"{spec.name}/onnx_expected")


def _reverse_step_graph(index: int) -> Any:
    """A reverse layer's output at time step ``index`` (0 or -1) as the graph's one output."""
    fixture = rr.load_fixture(rr.paths.fixtures_dir() / "lstm_reverse.json")
    proto = model_to_onnx(fixture.model, "float32", with_lengths=True)
    proto.graph.initializer.append(numpy_helper.from_array(np.array(index, dtype=np.int64), "step_index"))
    proto.graph.node.append(helper.make_node("Gather", ["output", "step_index"], ["step"], name="pick_step", axis=0))
    del proto.graph.output[:]
    proto.graph.output.append(helper.make_tensor_value_info("step", TensorProto.FLOAT, ["B", "H"]))
    return proto


def test_reverse_layer_first_step_is_its_final_state_even_with_lengths() -> None:
    """``out[0]`` of a reverse layer is the state it ends in (each sequence's own), ``out[-1]`` is not."""
    proto = _reverse_step_graph(0)
    chain = model_from_onnx(proto)
    assert isinstance(chain, Chain) and chain.readout == "last" and chain.y_size == chain.output_width
    fixture = rr.load_fixture(rr.paths.fixtures_dir() / "lstm_reverse.json")
    case = fixture.cases[0]
    lengths = np.array([max(1, case.feed.shape[0] - k) for k in range(case.feed.shape[1])])
    inputs = CaseInputs("c", case.x, lengths=lengths)
    want = onnx_expected(proto, inputs).y
    got = get_backend("numpy").load(chain).forward(case.x, lengths=lengths).y
    assert want is not None
    _compare(got, want, F32_RTOL, F32_ATOL, "reverse out[0]")
    with pytest.raises(rr.ModelImportError, match="pick_step': the last step of the reverse direction is not"):
        model_from_onnx(_reverse_step_graph(-1))


def test_onnx_expected_refuses_lengths_a_graph_cannot_take() -> None:
    """A graph without sequence_lens would run every sequence to T: uneven lengths are refused, not ignored."""
    fixture = rr.load_fixture("shared_fixtures/lstm_small.json")
    proto = model_to_onnx(fixture.model, dtype="float32", with_lengths=False)
    x = np.random.default_rng(5).standard_normal((4, 2, fixture.model.input_size)).astype(np.float32)
    with pytest.raises(rr.InputError, match="sequence_lens"):
        onnx_expected(proto, CaseInputs("uneven", x, lengths=np.array([4, 2])))
    full = onnx_expected(proto, CaseInputs("full", x, lengths=np.array([4, 4])))  # full lengths change nothing
    assert full.output is not None and full.output.shape == (4, 2, fixture.model.hidden_size)

"""The Java chain (fixture format v2): rnnrosetta.Chain / Chain32, the v2 reader, the demo and JavaChainNet.

Expected values come from the committed v2 fixtures (PyTorch float64, or the ONNX reference for a Cho
GRU layer) and, for what they do not cover (a bidirectional concat readout "last", an identity dense
layer, peepholes and clip inside a chain), from PyTorch float64 computed here. The bad-argument
contract is the one of tests/test_java_api.py: exactly IllegalArgumentException (step() on a chain
with a reverse layer: UnsupportedOperationException), one line naming the argument.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.backends.java_backend import java_chain_spec
from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.compare import Tolerance
from rnn_rosetta.demo import chain_demo_lines
from rnn_rosetta.model import DirectionWeights, Layer, Model
from tests.conftest import import_torch_or_skip_module, require_backend
from tests.test_java_api import IAE, UOE, refuses

V2_FIXTURES = (
    "seq_classifier",
    "stack_64_32_softmax",
    "gru_bidirectional_merges",
    "mixed_cells_dense",
    "reverse_last",
    "char_model",
)
FIELDS = ("output", "h_n", "c_n", "y")
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


@pytest.fixture(scope="module")
def java() -> Any:
    """The ``rnnrosetta`` Java package (the JVM is started once per process, with the Vector API)."""
    require_backend("java")
    from rnn_rosetta.backends.java_backend import start_jvm

    return start_jvm()


def _flat(value: Any) -> np.ndarray:
    """Result / expected field (array, list of slot arrays or Java array) -> 1-d float64."""
    if isinstance(value, (list, tuple)):
        return np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in value])
    return np.ravel(np.asarray(value, dtype=np.float64))


def _worst(got: np.ndarray, expected: np.ndarray, tolerance: Tolerance) -> float:
    """The largest |got - expected|, after asserting every element is within the rule."""
    assert got.shape == expected.shape, (got.shape, expected.shape)
    bad = np.abs(got - expected) > tolerance.bound(expected)
    assert not bad.any(), f"first bad index {np.argwhere(bad)[0]}: {got[bad][0]} vs {expected[bad][0]}"
    return float(np.max(np.abs(got - expected), initial=0.0))


def _fixture_path(name: str) -> Path:
    path = paths.fixtures_dir() / f"{name}.json"
    assert path.exists(), f"{path} is missing (rnn-rosetta fixtures regenerates the committed fixtures)"
    return path


# -- the Java reader and Chain / Chain32 against the committed v2 fixtures --------------------------


@pytest.mark.parametrize("name", V2_FIXTURES)
@pytest.mark.parametrize("kernel", ["PLAIN", "VECTOR"])
def test_java_chain_matches_the_committed_fixture(java: Any, name: str, kernel: str) -> None:
    fixture = java.fixture.FixtureReader.readAny(str(_fixture_path(name)))
    assert isinstance(fixture, java.fixture.ChainFixture) and str(fixture.name()) == name
    tolerance = Tolerance(float(fixture.tolerance().rtol()), float(fixture.tolerance().atol()))
    chains = {
        "float64": fixture.chain(java.Kernel.valueOf(kernel)),
        "float32": fixture.chain32(java.Kernel.valueOf(kernel)),
    }
    worst = 0.0
    for dtype, chain in chains.items():
        assert str(chain.kernelName()) == kernel.lower()
        narrow = (lambda a: a) if dtype == "float64" else (lambda a: None if a is None else np.asarray(a, np.float32))
        for case in fixture.cases():
            args = (case.seqLen(), case.batch())
            states = (narrow(case.h0()), narrow(case.c0()), case.lengths())
            if case.tokens() is not None:
                got = chain.forwardTokens(*args, case.tokens(), *states)
            else:
                got = chain.forward(*args, narrow(case.x()), *states)
            expected_arrays = (case.output(), case.hN(), case.cN(), case.y())
            for actual, expected in zip((got.output(), got.hN(), got.cN(), got.y()), expected_arrays, strict=True):
                if expected is not None:
                    error = _worst(_flat(actual), _flat(expected), tolerance.for_dtype(dtype))
                    worst = max(worst, error) if dtype == "float64" else worst
    assert worst < 1e-12, f"{name}: worst float64 error {worst:.3g}"


@pytest.mark.parametrize("name", V2_FIXTURES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_java_backend_matches_the_committed_fixture(name: str, dtype: str) -> None:
    require_backend("java")
    fixture = rr.load_fixture(_fixture_path(name))
    assert isinstance(fixture.model, Chain)
    net = rr.get_backend("java").load(fixture.model, dtype=dtype)
    tolerance = fixture.tolerance.for_dtype(dtype)
    for case in fixture.cases:
        got = net.forward(case.feed, case.h0, case.c0, case.lengths)
        for field in FIELDS:
            expected = getattr(case.expected, field)
            if expected is not None:
                _worst(_flat(getattr(got, field)), _flat(expected), tolerance)


def test_a_version_2_file_is_refused_by_the_version_1_reader(java: Any) -> None:
    path = _fixture_path("seq_classifier")
    refuses(lambda: java.fixture.FixtureReader.read(str(path)), "rnnrosetta.fixture.FixtureError", "version")


@pytest.mark.parametrize("name", V2_FIXTURES)
def test_java_demo_prints_what_the_python_demo_prints(java: Any, name: str) -> None:
    path = _fixture_path(name)
    fixture = rr.load_fixture(path)
    python = "\n".join(chain_demo_lines(fixture, rr.get_backend("numpy").load(fixture.model))) + "\n"
    assert str(java.demo.Demo.render(java.fixture.FixtureReader.readAny(str(path)))) == python


# -- what the committed fixtures do not cover, against PyTorch float64 -----------------------------


def _random_weights(rng: np.random.Generator, model: Model, inputs: int) -> DirectionWeights:
    """Uniform(-0.5, 0.5) arrays of the shapes ``model`` (one layer) needs."""
    g, hidden = GATES[model.cell] * model.hidden_size, model.hidden_size
    extra: dict[str, np.ndarray] = {}
    if model.peepholes:
        extra = {k: rng.uniform(-0.5, 0.5, hidden) for k in ("peephole_i", "peephole_f", "peephole_o")}
    if model.proj_size:
        extra["weight_hr"] = rng.uniform(-0.5, 0.5, (model.proj_size, hidden))
    return DirectionWeights(
        rng.uniform(-0.5, 0.5, (g, inputs)), rng.uniform(-0.5, 0.5, (g, model.output_size)),
        rng.uniform(-0.5, 0.5, g), rng.uniform(-0.5, 0.5, g), **extra,
    )  # fmt: skip


def _layer(rng: np.random.Generator, cell: str, inputs: int, hidden: int, direction: str, **options: Any) -> Model:
    """A one-layer model with random weights (no head): one layer of a chain."""
    names = ("forward", "reverse") if direction == "bidirectional" else (direction,)
    shell = Model(cell, inputs, hidden, 1, direction, (), **options)
    layer = Layer(**{n: _random_weights(rng, shell, inputs) for n in names})
    return Model(cell, inputs, hidden, 1, direction, (layer,), **options)


def _torch_lstm_last(torch: Any, chain: Chain, tokens: np.ndarray, h0: np.ndarray, c0: np.ndarray,
                     lengths: np.ndarray) -> np.ndarray:  # fmt: skip
    """PyTorch float64: embedding -> bidirectional nn.LSTM -> cat(h_n fwd, h_n rev) -> nn.Linear."""
    layer = chain.layers[0]
    lstm = torch.nn.LSTM(layer.input_size, layer.hidden_size, bidirectional=True, dtype=torch.float64)
    with torch.no_grad():
        for suffix, (_, w) in zip(("", "_reverse"), layer.layers[0].directions(), strict=True):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(lstm, f"{name}_l0{suffix}").copy_(torch.from_numpy(getattr(w, name)))
        assert chain.embedding is not None
        x = torch.from_numpy(chain.embedding.weight)[torch.from_numpy(tokens)]  # [T, B, E]
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.from_numpy(lengths), enforce_sorted=False)
        _, (h_n, _) = lstm(packed, (torch.from_numpy(h0), torch.from_numpy(c0)))
        last = torch.cat([h_n[0], h_n[1]], dim=1)  # [B, 2H]
        dense = chain.dense[0]
        return (last @ torch.from_numpy(dense.weight).T + torch.from_numpy(dense.bias)).numpy()


def test_bidirectional_concat_last_readout_and_identity_dense_match_pytorch() -> None:
    require_backend("java")
    torch = import_torch_or_skip_module()
    rng = np.random.default_rng(10)
    layer = _layer(rng, "lstm", 4, 5, "bidirectional")
    dense = Dense(rng.uniform(-1, 1, (3, 10)), rng.uniform(-1, 1, 3), "identity")
    chain = Chain((layer,), embedding=Embedding(rng.uniform(-1, 1, (9, 4))), dense=(dense,), readout="last")
    tokens = rng.integers(0, 9, (7, 5))  # T*B odd: the int32 tokens need padding in the bridge buffer
    h0, c0 = rng.uniform(-1, 1, (2, 5, 5)), rng.uniform(-1, 1, (2, 5, 5))
    lengths = np.array([7, 1, 3, 6, 2])
    expected = _torch_lstm_last(torch, chain, tokens, h0, c0, lengths)
    for dtype in ("float64", "float32"):
        got = rr.get_backend("java").load(chain, dtype=dtype).forward(tokens, h0, c0, lengths)
        assert got.y is not None and got.y.shape == (5, 3)
        rule = Tolerance(rtol=1e-12, atol=1e-13).for_dtype(dtype)
        _worst(_flat(got.y), _flat(expected), rule)


def test_peepholes_and_clip_inside_a_chain_match_the_v1_net() -> None:
    """A chain of one layer is the v1 model of that layer: same numbers as rnnrosetta.Net, to the bit."""
    require_backend("java")
    rng = np.random.default_rng(11)
    layer = _layer(rng, "lstm", 3, 6, "bidirectional", peepholes=True, clip=0.8, proj_size=2)
    x = rng.uniform(-2, 2, (5, 3, 3))
    lengths = np.array([5, 2, 4])
    v1 = rr.get_backend("java").load(layer).forward(x, lengths=lengths)
    v2 = rr.get_backend("java").load(Chain((layer,))).forward(x, lengths=lengths)
    assert np.array_equal(v1.output, v2.output) and np.array_equal(v1.h_n, v2.h_n)
    assert np.array_equal(v1.c_n, v2.c_n)


# -- step, threads, the float32 twin ---------------------------------------------------------------


def test_step_is_forward_of_one_step_to_the_bit(java: Any) -> None:
    fixture = java.fixture.FixtureReader.readAny(str(_fixture_path("char_model")))
    for chain in (fixture.chain(java.Kernel.PLAIN), fixture.chain32(java.Kernel.AUTO)):
        case = fixture.cases().get(1)
        batch = case.batch()
        tokens = list(case.tokens())
        h, c = None, None
        for t in range(case.seqLen()):
            row = tokens[t * batch : (t + 1) * batch]
            stepped = chain.stepTokens(batch, row, h, c)
            whole = chain.forwardTokens(1, batch, row, h, c, None)
            for a, b in ((stepped.output(), whole.output()), (stepped.hN(), whole.hN()), (stepped.y(), whole.y())):
                assert list(a) == list(b)
            h, c = stepped.hN(), stepped.cN()


def test_step_streams_through_the_python_backend() -> None:
    require_backend("java")
    fixture = rr.load_fixture(_fixture_path("char_model"))
    case = fixture.cases[0]
    assert case.tokens is not None and case.expected.y is not None
    net = rr.get_backend("java").load(fixture.model)
    state = None
    for t in range(case.tokens.shape[0]):
        y_t, state = net.step(case.tokens[t], state)
        _worst(_flat(y_t), _flat(case.expected.y[t]), fixture.tolerance)


def test_bridge_step_packs_what_step_returns(java: Any) -> None:
    from rnn_rosetta.backends.java_backend import staged

    fixture = java.fixture.FixtureReader.readAny(str(_fixture_path("char_model")))
    chain = fixture.chain(java.Kernel.AUTO)
    h = np.linspace(-1, 1, 2 * 3 * 16)  # [S_h * B], two slots of 16, B = 3
    c = np.linspace(1, -1, 2 * 3 * 16)
    tokens = np.array([4, 29, 0, 0], dtype=np.int32)  # 3 tokens, padded to 8 bytes
    buffer, counts = staged(tokens, h, c)
    packed = np.asarray(java.Bridge.step(chain, 3, buffer, 3, -1, counts[1], counts[2]))
    direct = chain.stepTokens(3, [4, 29, 0], _doubles(h), _doubles(c))
    parts = [np.asarray(a) for a in (direct.output(), direct.hN(), direct.cN(), direct.y())]
    assert np.array_equal(packed, np.concatenate(parts))


@pytest.mark.parametrize("name", ["gru_bidirectional_merges", "reverse_last"])
def test_step_on_a_chain_with_a_reverse_layer_is_unsupported(java: Any, name: str) -> None:
    fixture = java.fixture.FixtureReader.readAny(str(_fixture_path(name)))
    size = fixture.spec().inputSize()
    refuses(lambda: fixture.chain(java.Kernel.AUTO).step(1, [0.0] * size, None, None), UOE, "step()", "FORWARD")


def test_one_chain_serves_many_threads_with_the_same_bits() -> None:
    require_backend("java")
    fixture = rr.load_fixture(_fixture_path("mixed_cells_dense"))
    net = rr.get_backend("java").load(fixture.model)
    case = fixture.cases[2]
    alone = net.forward(case.feed, case.h0, case.c0, case.lengths)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: net.forward(case.feed, case.h0, case.c0, case.lengths), range(16)))
    for res in results:
        assert np.array_equal(_flat(res.y), _flat(alone.y)) and np.array_equal(_flat(res.h_n), _flat(alone.h_n))


def _public_methods(cls: Any) -> dict[str, list[str]]:
    """name -> sorted parameter lists of the public methods and constructors, float[] written as double[]."""
    methods: dict[str, list[str]] = {}
    for m in [*cls.class_.getDeclaredMethods(), *cls.class_.getDeclaredConstructors()]:
        if m.getModifiers() & 1:  # public
            name = "<init>" if "Constructor" in str(m.getClass().getName()) else str(m.getName())
            params = ",".join(str(p.getTypeName()).replace("float", "double") for p in m.getParameterTypes())
            methods.setdefault(name, []).append(params.replace("Chain32", "Chain"))
    return {name: sorted(lists) for name, lists in methods.items()}


def test_chain32_has_the_api_of_chain_in_float(java: Any) -> None:
    """Chain32 cannot drift from Chain: the same methods, float[] for double[]; both are ChainEngine."""
    assert _public_methods(java.Chain32) == _public_methods(java.Chain)


# -- bad arguments -----------------------------------------------------------------------------------


def _doubles(values: Any) -> Any:
    import jpype

    return jpype.JArray(jpype.JDouble)(np.ascontiguousarray(values, dtype=np.float64).ravel())


def _small_chain(embedding: bool = False, cells: tuple[str, ...] = ("lstm", "gru")) -> Chain:
    rng = np.random.default_rng(12)
    layers, width = [], 3
    for cell in cells:
        layers.append(_layer(rng, cell, width, 4, "forward"))
        width = 4
    table = Embedding(rng.uniform(-1, 1, (5, 3))) if embedding else None
    dense = (Dense(rng.uniform(-1, 1, (2, 4)), rng.uniform(-1, 1, 2), "softmax"),)
    return Chain(tuple(layers), embedding=table, dense=dense)


@pytest.fixture(params=["Chain", "Chain32"])
def make_chain(request: pytest.FixtureRequest, java: Any) -> Callable[[Chain], Any]:
    cls = getattr(java, request.param)
    return lambda chain: cls(java_chain_spec(java, chain), java.Kernel.AUTO)


def _reals(chain_object: Any) -> Callable[[int], Any]:
    import jpype

    kind = jpype.JFloat if "Chain32" in str(chain_object.getClass().getName()) else jpype.JDouble
    return lambda n: jpype.JArray(kind)(n)


FORWARD_CASES: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("zero_steps", {"seq_len": 0}, ("seqLen",)),
    ("short_x", {"x": 17}, ("x", "T*B*I")),
    ("null_x", {"x": None}, ("x",)),
    ("tokens_without_embedding", {"tokens": [0] * 6}, ("tokens",)),
    ("short_h0", {"h0": 3}, ("h0", "sum(H_out_k)*B")),
    ("long_c0", {"c0": 9}, ("c0", "sum(H_k)*B")),
    ("lengths_too_long", {"lengths": [4, 1]}, ("lengths[0]",)),
    ("lengths_wrong_count", {"lengths": [1]}, ("lengths",)),
]


@pytest.mark.parametrize(("label", "changes", "words"), FORWARD_CASES, ids=[c[0] for c in FORWARD_CASES])
def test_forward_refuses(make_chain: Any, label: str, changes: dict[str, Any], words: tuple[str, ...]) -> None:
    chain = make_chain(_small_chain())
    reals = _reals(chain)
    args: dict[str, Any] = {"seq_len": 3, "batch": 2, "x": 18, "h0": 16, "c0": 8, "lengths": None}
    args.update(changes)
    sized = {k: (reals(v) if isinstance(v, int) else v) for k, v in args.items() if k in ("x", "h0", "c0")}
    steps, batch = args["seq_len"], args["batch"]

    def call() -> Any:
        if "tokens" in changes:
            return chain.forwardTokens(steps, batch, changes["tokens"], None, None, None)
        return chain.forward(steps, batch, sized["x"], sized["h0"], sized["c0"], args["lengths"])

    refuses(call, IAE, *words)


def test_forward_succeeds_with_the_flat_slot_sizes(make_chain: Any) -> None:
    chain = make_chain(_small_chain())
    reals = _reals(chain)
    got = chain.forward(3, 2, reals(18), reals(16), reals(8), None)
    assert len(got.output()) == 3 * 2 * 4 and len(got.hN()) == 16 and len(got.cN()) == 8 and len(got.y()) == 12


def test_token_chains_refuse_x_and_bad_tokens(make_chain: Any) -> None:
    chain = make_chain(_small_chain(embedding=True))
    reals = _reals(chain)
    refuses(lambda: chain.forward(1, 2, reals(6), None, None, None), IAE, "x", "tokens")
    refuses(lambda: chain.forwardTokens(1, 2, [0, 5], None, None, None), IAE, "tokens[1]", "0..V-1")
    refuses(lambda: chain.forwardTokens(1, 2, [0, -1], None, None, None), IAE, "tokens[1]")
    refuses(lambda: chain.forwardTokens(2, 2, [0, 1, 2], None, None, None), IAE, "tokens", "T*B")
    refuses(lambda: chain.forwardTokens(1, 2, None, None, None, None), IAE, "tokens")
    refuses(lambda: chain.stepTokens(2, [0], None, None), IAE, "tokens", "B")


def test_c0_is_refused_without_lstm_layers(make_chain: Any) -> None:
    chain = make_chain(_small_chain(cells=("gru", "rnn")))
    reals = _reals(chain)
    refuses(lambda: chain.forward(1, 1, reals(3), None, reals(8), None), IAE, "c0", "LSTM")
    refuses(lambda: chain.step(1, reals(3), None, reals(8)), IAE, "c", "LSTM")


def _config(java: Any, cell: str = "gru", inputs: int = 3, hidden: int = 4, layers: int = 1,
            direction: str = "FORWARD", head: str = "NONE", head_size: int = 0) -> Any:  # fmt: skip
    return java.Config(java.Cell.valueOf(cell.upper()), java.Nonlinearity.TANH, True, inputs, hidden, layers,
                       java.Direction.valueOf(direction), 0, False, float("nan"), java.HeadActivation.valueOf(head),
                       head_size)  # fmt: skip


def _weights(java: Any, inputs: int = 3, hidden: int = 4, gates: int = 3) -> Any:
    g = gates * hidden
    zeros = (np.zeros(g * inputs), np.zeros(g * hidden), np.zeros(g), np.zeros(g))
    return java.LayerWeights(*(_doubles(z) for z in zeros), None, None)


def test_parts_refuse_bad_shapes(java: Any) -> None:
    import jpype

    one = jpype.JArray(java.LayerWeights)([_weights(java)])
    two = jpype.JArray(java.LayerWeights)([_weights(java), _weights(java)])
    concat, total = java.Merge.CONCAT, java.Merge.SUM
    refuses(lambda: java.RecurrentLayer(_config(java), total, one), IAE, "merge", "BIDIRECTIONAL")
    refuses(lambda: java.RecurrentLayer(_config(java, layers=2), concat, one), IAE, "numLayers")
    refuses(lambda: java.RecurrentLayer(_config(java, head="SOFTMAX", head_size=2), concat, one), IAE, "head")
    refuses(lambda: java.RecurrentLayer(_config(java, direction="BIDIRECTIONAL"), concat, one), IAE, "weights[0]")
    refuses(lambda: java.RecurrentLayer(_config(java), concat, two), IAE, "weights[0]")
    refuses(lambda: java.RecurrentLayer(None, concat, one), IAE, "config")
    refuses(lambda: java.Embedding(5, 3, _doubles(np.zeros(14))), IAE, "embedding weight", "V*E")
    refuses(lambda: java.Embedding(0, 3, _doubles(np.zeros(0))), IAE, "embedding vocabSize")
    identity = java.DenseActivation.IDENTITY
    refuses(lambda: java.DenseLayer(2, 4, _doubles(np.zeros(7)), _doubles(np.zeros(2)), identity), IAE, "O*W")
    refuses(lambda: java.DenseLayer(2, 4, _doubles(np.zeros(8)), _doubles(np.zeros(3)), identity), IAE, "dense bias")
    refuses(lambda: java.DenseLayer(2, 4, _doubles(np.zeros(8)), _doubles(np.zeros(2)), None), IAE, "activation")

    layer = java.RecurrentLayer(_config(java), concat, one)
    four = java.RecurrentLayer(_config(java, inputs=4), concat, one_of(java, 4))
    wide = java.RecurrentLayer(_config(java, inputs=5), concat, one_of(java, 5))
    dense = java.DenseLayer(2, 3, _doubles(np.zeros(6)), _doubles(np.zeros(2)), identity)
    sequence = java.Readout.SEQUENCE
    refuses(lambda: java.ChainSpec(None, _jlist(), _jlist(), sequence), IAE, "at least one")
    refuses(lambda: java.ChainSpec(None, _jlist(layer, four, wide), _jlist(), sequence), IAE, "layers[2]", "layers[1]")
    refuses(lambda: java.ChainSpec(java.Embedding(5, 2, _doubles(np.zeros(10))), _jlist(layer), _jlist(), sequence),
            IAE, "layers[0]", "embedding")  # fmt: skip
    refuses(lambda: java.ChainSpec(None, _jlist(layer), _jlist(dense), sequence), IAE, "dense[0]", "readout")
    refuses(lambda: java.ChainSpec(None, _jlist(layer), _jlist(), None), IAE, "readout")
    refuses(lambda: java.Chain(None), IAE, "spec")


def _jlist(*items: Any) -> Any:
    """A java.util.ArrayList of ``items`` (List.of is ambiguous between its overloads through JPype)."""
    import jpype

    out = jpype.JClass("java.util.ArrayList")()
    for item in items:
        out.add(item)
    return out


def one_of(java: Any, inputs: int) -> Any:
    import jpype

    return jpype.JArray(java.LayerWeights)([_weights(java, inputs=inputs)])


def test_bridge_refuses_a_short_buffer_and_a_null_chain(java: Any) -> None:
    import jpype

    chain = java.Chain(java_chain_spec(java, _small_chain(embedding=True)), java.Kernel.AUTO)
    buffer = jpype.JClass("java.nio.ByteBuffer").allocateDirect(12)
    refuses(lambda: java.Bridge.forward(chain, 1, 3, buffer, 3, -1, -1, -1, None), IAE, "3 tokens need 16")
    refuses(lambda: java.Bridge.forward(chain, 1, 4, buffer, 4, -1, -1, -1, None), IAE, "inputs buffer")
    refuses(lambda: java.Bridge.forward(jpype.JObject(None, java.Chain), 1, 1, buffer, 1, -1, -1, -1, None),
            IAE, "net")  # fmt: skip


# -- the v2 reader names the JSON path of a fault ------------------------------------------------------


def _mutated(name: str, tmp_path: Path, mutate: Callable[[dict[str, Any]], None]) -> str:
    document = json.loads(_fixture_path(name).read_text("utf-8"))
    mutate(document)
    path = tmp_path / f"{name}_bad.json"
    path.write_text(json.dumps(document), "utf-8")
    return str(path)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        keys = [int(k) if k.isdigit() else k for k in path.split(".")]
        node: Any = document
        for key in keys[:-1]:
            node = node[key]
        if value is KeyError:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value

    return mutate


READER_CASES = [
    ("merge_on_a_forward_layer", "seq_classifier", "model.layers.0.merge", "sum", "model.layers[0].merge"),
    ("relu_on_lstm", "seq_classifier", "model.layers.1.nonlinearity", "relu", "model.layers[1].nonlinearity"),
    ("unknown_layer_key", "char_model", "model.layers.0.units", 3, "model.layers[0].units"),
    ("unknown_readout", "reverse_last", "model.readout", "first", "model.readout"),
    ("unknown_activation", "mixed_cells_dense", "model.dense.1.activation", "gelu", "model.dense[1].activation"),
    ("no_layers", "reverse_last", "model.layers", [], "model.layers"),
    ("token_out_of_range", "seq_classifier", "cases.0.inputs.tokens.0.1", 20, "cases[0].inputs.tokens[0][1]"),
    ("x_with_an_embedding", "char_model", "cases.0.inputs.x", [[[0.0] * 10]], "cases[0].inputs.x"),
    ("tokens_without_embedding", "reverse_last", "cases.0.inputs.tokens", [[0]], "cases[0].inputs.tokens"),
    ("c0_without_lstm", "gru_bidirectional_merges", "cases.0.inputs.c0", [[[0.0]]], "cases[0].inputs.c0"),
    ("y_without_dense_or_last", "gru_bidirectional_merges", "cases.0.expected.y", [[[0.0]]], "cases[0].expected.y"),
    ("wrong_slot_count", "stack_64_32_softmax", "cases.1.inputs.h0", [[[0.0] * 12] * 3], "cases[1].inputs.h0"),
    ("wrong_slot_width", "stack_64_32_softmax", "cases.1.inputs.h0.1", [[0.0] * 12] * 3, "cases[1].inputs.h0[1]"),
    ("no_expected", "reverse_last", "cases.0.expected", {}, "cases[0].expected"),
    ("embedding_width", "char_model", "model.input_size", 9, "model.embedding.weight"),
]


@pytest.mark.parametrize(("label", "base", "where", "value", "named"), READER_CASES, ids=[c[0] for c in READER_CASES])
def test_the_v2_reader_names_the_path_of_a_fault(
    java: Any, tmp_path: Path, label: str, base: str, where: str, value: Any, named: str
) -> None:
    path = _mutated(base, tmp_path, _set(where, value))
    message = refuses(lambda: java.fixture.FixtureReader.readAny(path), "rnnrosetta.fixture.FixtureError")
    assert message.startswith(f"{path}: {named}"), message

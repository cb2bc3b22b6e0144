"""PyTorch import: held-out random modules -> fixture -> every backend's CLI, against PyTorch itself.

The modules are new (seeded with :data:`SEED`, which no committed fixture
uses), so this checks the importer and the backends on weights nobody tuned
them on. Without PyTorch the module is skipped, except under RR_STRICT=1 (nox, CI), where it must run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnn_rosetta import CaseInputs, FixtureError, load_fixture
from rnn_rosetta.backends import BACKENDS, get_backend
from rnn_rosetta.interop import fixture_from_torch, model_from_state_dict, model_from_torch, write_fixture
from rnn_rosetta.interop.torch_import import torch_expected as library_expected
from rnn_rosetta.oracles import oracle_version, torch_module
from rnn_rosetta.paths import REPO_ROOT
from rnn_rosetta.result import Result
from tests.conftest import import_torch_or_skip_module, require_backend

torch = import_torch_or_skip_module()

SEED = 90_417  # committed fixtures use 101..308
RTOL, ATOL = 1e-9, 1e-11
BATCH = 3


@dataclass(frozen=True)
class TorchSpec:
    """One held-out PyTorch model: the module's options plus an optional head."""

    name: str
    kind: str  # "rnn_tanh", "rnn_relu", "lstm", "gru"
    input_size: int
    hidden_size: int
    num_layers: int = 1
    bidirectional: bool = False
    proj_size: int = 0
    bias: bool = True
    batch_first: bool = False
    dropout: float = 0.0
    head: str | None = None  # "linear" (identity), "softmax" (Linear + Softmax), "linear_softmax"
    head_size: int = 0

    @property
    def cell(self) -> str:
        return self.kind.split("_")[0]


SPECS: tuple[TorchSpec, ...] = (
    TorchSpec("rnn_tanh_bi2", "rnn_tanh", 7, 13, num_layers=2, bidirectional=True),
    TorchSpec("rnn_relu_l3_nobias", "rnn_relu", 5, 7, num_layers=3, bias=False),
    TorchSpec(
        "rnn_tanh_bi3_linear_head", "rnn_tanh", 3, 5, num_layers=3, bidirectional=True, head="linear", head_size=4
    ),
    TorchSpec("lstm_l1", "lstm", 7, 13),
    TorchSpec("lstm_bi2_proj_dropout", "lstm", 13, 7, num_layers=2, bidirectional=True, proj_size=4, dropout=0.25),
    TorchSpec("lstm_l3_proj_softmax_head", "lstm", 7, 13, num_layers=3, proj_size=5, head="softmax", head_size=11),
    TorchSpec("gru_bi2_softmax_head", "gru", 7, 13, num_layers=2, bidirectional=True, head="sequential", head_size=6),
    TorchSpec("gru_l1_batch_first_nobias", "gru", 13, 7, bias=False, batch_first=True),
)


# -- the held-out models and their PyTorch answers ------------------------------------


def build_module(spec: TorchSpec, index: int) -> tuple[Any, Any, str | None]:
    """``(module, head, head_activation)`` in float64, eval mode, seeded per spec."""
    torch.manual_seed(SEED + index)
    kind = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[spec.cell]
    options: dict[str, Any] = {
        "num_layers": spec.num_layers,
        "bidirectional": spec.bidirectional,
        "bias": spec.bias,
        "batch_first": spec.batch_first,
        "dropout": spec.dropout,
        "dtype": torch.float64,
    }
    if spec.cell == "rnn":
        options["nonlinearity"] = spec.kind.split("_")[1]
    if spec.proj_size:
        options["proj_size"] = spec.proj_size
    module = kind(spec.input_size, spec.hidden_size, **options).eval()
    if spec.head is None:
        return module, None, None
    width = (2 if spec.bidirectional else 1) * (spec.proj_size or spec.hidden_size)
    linear = torch.nn.Linear(width, spec.head_size, dtype=torch.float64)
    if spec.head == "sequential":
        return module, torch.nn.Sequential(linear, torch.nn.Softmax(dim=-1)), None
    return module, linear, "softmax" if spec.head == "softmax" else None


def case_inputs(spec: TorchSpec, index: int) -> list[tuple[str, np.ndarray, Any, Any, Any]]:
    """Three cases: zero state; given state; uneven lengths (with a given state)."""
    rng = np.random.default_rng(SEED + 1000 + index)
    slots = spec.num_layers * (2 if spec.bidirectional else 1)
    h_out = spec.proj_size or spec.hidden_size

    def states() -> tuple[np.ndarray, np.ndarray | None]:
        h0 = rng.uniform(-1, 1, (slots, BATCH, h_out))
        c0 = rng.uniform(-1, 1, (slots, BATCH, spec.hidden_size)) if spec.cell == "lstm" else None
        return h0, c0

    zero = ("zero_state", rng.standard_normal((5, BATCH, spec.input_size)), None, None, None)
    given = ("given_state", rng.standard_normal((4, BATCH, spec.input_size)), *states(), None)
    uneven = ("uneven_lengths", rng.standard_normal((6, BATCH, spec.input_size)), *states(), np.array([6, 1, 4]))
    return [zero, given, uneven]


def run_torch(module: Any, x: np.ndarray, h0: np.ndarray | None, c0: np.ndarray | None) -> tuple[Any, ...]:
    """The module itself on time-major ``x``: ``(output [T, B, .], h_n, c_n or None)`` as numpy."""
    inputs = torch.from_numpy(x)
    if module.batch_first:
        inputs = inputs.transpose(0, 1)
    state: Any = None
    if h0 is not None:
        state = torch.from_numpy(h0) if c0 is None else (torch.from_numpy(h0), torch.from_numpy(c0))
    with torch.no_grad():
        output, final = module(inputs, state)
    if module.batch_first:
        output = output.transpose(0, 1)
    if isinstance(final, tuple):
        return output.numpy(), final[0].numpy(), final[1].numpy()
    return output.numpy(), final.numpy(), None


def torch_expected(
    module: Any, head: Any, activation: str | None, x: np.ndarray, h0: Any, c0: Any, lengths: Any
) -> Result:
    """What the format says, computed by PyTorch: uneven lengths as one run per element on its prefix."""
    steps, batch, _ = x.shape
    is_lstm = isinstance(module, torch.nn.LSTM)
    if lengths is None:
        output, h_n, c_n = run_torch(module, x, h0, c0)
    else:
        slots = module.num_layers * (2 if module.bidirectional else 1)
        h_out = module.proj_size or module.hidden_size
        output = np.zeros((steps, batch, output_width(module)))
        h_n = np.zeros((slots, batch, h_out))
        c_n = np.zeros((slots, batch, module.hidden_size)) if is_lstm else None
        for b, length in enumerate(lengths):
            part = run_torch(
                module,
                x[:length, b : b + 1].copy(),
                None if h0 is None else h0[:, b : b + 1].copy(),
                None if c0 is None else c0[:, b : b + 1].copy(),
            )
            output[:length, b] = part[0][:, 0]
            h_n[:, b] = part[1][:, 0]
            if c_n is not None:
                c_n[:, b] = part[2][:, 0]
    y = None
    if head is not None:
        with torch.no_grad():
            logits = head(torch.from_numpy(output))
            y = (torch.softmax(logits, dim=-1) if activation == "softmax" else logits).numpy()
    return Result(output=np.ascontiguousarray(output), h_n=h_n, c_n=c_n if is_lstm else None, y=y)


def output_width(module: Any) -> int:
    return (2 if module.bidirectional else 1) * (module.proj_size or module.hidden_size)


@dataclass(frozen=True)
class Built:
    spec: TorchSpec
    path: Path
    expected: dict[str, Result]


@cache
def built(index: int, folder: Path) -> Built:
    """Spec ``index`` imported and written as a fixture with PyTorch's answers (once per session)."""
    spec = SPECS[index]
    module, head, activation = build_module(spec, index)
    model = model_from_torch(module, head, activation)
    cases = []
    expected = {}
    for name, x, h0, c0, lengths in case_inputs(spec, index):
        result = torch_expected(module, head, activation, x, h0, c0, lengths)
        cases.append((name, x, h0, c0, lengths, result))
        expected[name] = result
    path = write_fixture(
        folder / f"{spec.name}.json",
        model,
        cases,
        name=f"interop_{spec.name}",
        description=f"held-out torch.nn model: {model.describe()}",
        oracle_name="torch",
        oracle_version=oracle_version("torch"),
        tolerance=(RTOL, ATOL),
        provenance={"seed": SEED + index},
    )
    return Built(spec, path, expected)


@pytest.fixture(scope="module")
def fixture_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("interop_torch")


def assert_matches(got: dict[str, Any], expected: Result, where: str) -> None:
    fields = expected.fields()
    assert set(got) - {"name"} == set(fields), f"{where}: fields {sorted(got)} vs {sorted(fields)}"
    for key, want in fields.items():
        array = np.asarray(got[key], dtype=np.float64)
        assert array.shape == want.shape, f"{where}.{key}: shape {array.shape} vs {want.shape}"
        np.testing.assert_allclose(array, want, rtol=RTOL, atol=ATOL, err_msg=f"{where}.{key}")


# -- the tests --------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("index", range(len(SPECS)), ids=[s.name for s in SPECS])
def test_cli_run_matches_torch(index: int, backend: str, fixture_folder: Path, tmp_path: Path) -> None:
    """``python -m rnn_rosetta run`` on the imported fixture reproduces the PyTorch module."""
    require_backend(backend)
    fixture = built(index, fixture_folder)
    out = tmp_path / "out.json"
    command = [sys.executable, "-m", "rnn_rosetta", "run", str(fixture.path), "--backend", backend, "--out", str(out)]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text("utf-8"))
    assert report["backend"] == backend
    assert [c["name"] for c in report["cases"]] == list(fixture.expected)
    for case in report["cases"]:
        assert_matches(case, fixture.expected[case["name"]], f"{fixture.spec.name}/{backend}/{case['name']}")


@pytest.mark.parametrize("index", range(len(SPECS)), ids=[s.name for s in SPECS])
def test_written_fixture_loads_with_module_weights(index: int, fixture_folder: Path) -> None:
    """The file passes the loader and holds the module's parameters bit for bit."""
    spec = SPECS[index]
    fixture = load_fixture(built(index, fixture_folder).path)
    module, _, _ = build_module(spec, index)
    model = fixture.model
    assert (model.cell, model.input_size, model.hidden_size, model.num_layers, model.proj_size) == (
        spec.cell,
        spec.input_size,
        spec.hidden_size,
        spec.num_layers,
        spec.proj_size,
    )
    assert model.direction == ("bidirectional" if spec.bidirectional else "forward")
    params = dict(module.named_parameters())
    for layer_index, layer in enumerate(model.layers):
        for direction, weights in layer.directions():
            suffix = "_reverse" if direction == "reverse" else ""
            for key, array in weights.arrays().items():
                name = f"{key}_l{layer_index}{suffix}"
                want = params[name].detach().numpy() if name in params else np.zeros_like(array)
                assert np.array_equal(array, want), name
    assert fixture.provenance["oracle_name"] == "torch"
    assert (fixture.tolerance.rtol, fixture.tolerance.atol) == (RTOL, ATOL)
    if spec.head is not None:
        assert model.head is not None
        assert model.head.activation == ("identity" if spec.head == "linear" else "softmax")


@pytest.mark.parametrize("index", [2, 4, 6, 7], ids=[SPECS[i].name for i in (2, 4, 6, 7)])
def test_fixture_from_torch(index: int, tmp_path: Path) -> None:
    """``fixture_from_torch`` (oracle: ``oracles.expected("torch")``) agrees with the module run here."""
    spec = SPECS[index]
    module, head, activation = build_module(spec, index)
    inputs = case_inputs(spec, index)
    path = fixture_from_torch(module, inputs, tmp_path / "from_torch.json", head, head_activation=activation)
    fixture = load_fixture(path)
    assert fixture.name == "from_torch"
    assert [c.name for c in fixture.cases] == [c[0] for c in inputs]
    for case, (name, x, h0, c0, lengths) in zip(fixture.cases, inputs, strict=True):
        want = torch_expected(module, head, activation, x, h0, c0, lengths)
        for key, array in want.fields().items():
            np.testing.assert_allclose(getattr(case.expected, key), array, rtol=1e-12, atol=1e-13, err_msg=name)


@pytest.mark.parametrize("index", range(len(SPECS)), ids=[s.name for s in SPECS])
def test_state_dict_round_trip_is_bit_identical(index: int) -> None:
    """state_dict -> model_from_state_dict -> oracles.torch_module(model) -> the same tensors."""
    spec = SPECS[index]
    module, _, _ = build_module(spec, index)
    state = module.state_dict()
    nonlinearity = spec.kind.split("_")[1] if spec.cell == "rnn" else "tanh"
    model = model_from_state_dict(state, spec.cell, nonlinearity=nonlinearity)
    assert _same_weights(model, model_from_torch(module))
    assert model.nonlinearity == nonlinearity
    rebuilt = torch_module(model).state_dict()
    for key, tensor in state.items():
        assert rebuilt[key].dtype == torch.float64
        assert torch.equal(rebuilt[key], tensor), key
    for key in rebuilt.keys() - state.keys():  # bias=False: the importer's zeros
        assert key.startswith("bias_") and not spec.bias and not rebuilt[key].any(), key


@pytest.mark.parametrize("index", range(len(SPECS)), ids=[s.name for s in SPECS])
def test_library_torch_expected_on_a_bare_module(index: int) -> None:
    """``interop.torch_expected(module, case)`` gives what this file's own PyTorch runner gives."""
    spec = SPECS[index]
    module, _, _ = build_module(spec, index)
    for name, x, h0, c0, lengths in case_inputs(spec, index):
        got = library_expected(module, CaseInputs(name, x, h0, c0, lengths))
        want = torch_expected(module, None, None, x, h0, c0, lengths)
        for key, array in want.fields().items():
            if key != "y":
                np.testing.assert_allclose(getattr(got, key), array, rtol=1e-13, atol=1e-14, err_msg=f"{name}.{key}")


def _same_weights(a: Any, b: Any) -> bool:
    pairs = zip(a.layers, b.layers, strict=True)
    return all(
        all(np.array_equal(x, y) for x, y in zip(wa.arrays().values(), wb.arrays().values(), strict=True))
        for la, lb in pairs
        for (_, wa), (_, wb) in zip(la.directions(), lb.directions(), strict=True)
    )


def test_float32_module_converts_exactly() -> None:
    """float32 parameters become float64 copies with the same values; the module is untouched."""
    torch.manual_seed(SEED)
    module = torch.nn.LSTM(7, 13, num_layers=2, bidirectional=True, proj_size=3)
    model = model_from_torch(module)
    weights = model.layers[1].reverse
    assert weights is not None and weights.weight_hr is not None
    assert weights.weight_hr.dtype == np.float64
    assert np.array_equal(weights.weight_hr, module.weight_hr_l1_reverse.detach().double().numpy())
    weights.weight_hr[0, 0] = 123.0
    assert module.weight_hr_l1_reverse[0, 0].item() != 123.0


def test_state_dict_with_prefix_and_head_mapping() -> None:
    """The state_dict of a larger network, read under a prefix, with the head given as a mapping."""
    torch.manual_seed(SEED + 1)

    class Tagger(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = torch.nn.GRU(5, 7, num_layers=2, bidirectional=True, dtype=torch.float64)
            self.fc = torch.nn.Linear(14, 3, dtype=torch.float64)

    net = Tagger()
    state = net.state_dict()
    head = {"weight": state["fc.weight"], "bias": state["fc.bias"]}
    model = model_from_state_dict(state, "gru", prefix="rnn.", head=head, head_activation="softmax")
    assert model.describe() == "gru 5->7 x2 bidirectional lbr=1 head=softmax/3"
    assert model.head is not None and np.array_equal(model.head.weight, net.fc.weight.detach().numpy())
    with pytest.raises(ValueError, match="not a parameter"):
        model_from_state_dict(state, "gru")


def test_cell_imports_as_one_layer_model() -> None:
    """``nn.LSTMCell`` is a one-layer forward LSTM: one step through the numpy backend equals the cell."""
    torch.manual_seed(SEED + 2)
    cell = torch.nn.LSTMCell(7, 13, dtype=torch.float64)
    model = model_from_torch(cell)
    rng = np.random.default_rng(SEED)
    x, h, c = rng.standard_normal((BATCH, 7)), rng.uniform(-1, 1, (BATCH, 13)), rng.uniform(-1, 1, (BATCH, 13))
    with torch.no_grad():
        h1, c1 = cell(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
    result = get_backend("numpy").load(model).forward(x[None], h[None], c[None])
    np.testing.assert_allclose(result.h_n[0], h1.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(result.c_n[0], c1.numpy(), rtol=RTOL, atol=ATOL)


def _lstm_state(hidden: int = 6) -> dict[str, Any]:
    torch.manual_seed(SEED + 3)
    return dict(torch.nn.LSTM(4, hidden, num_layers=3, dtype=torch.float64).state_dict())


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: model_from_torch(torch.nn.Linear(3, 4)), "Linear: pass example_input="),
        (lambda: model_from_state_dict(_lstm_state(), "transformer"), "unknown cell"),
        (lambda: model_from_state_dict(_lstm_state(), "rnn", nonlinearity="gelu"), "unknown nonlinearity"),
        (lambda: model_from_state_dict(_lstm_state(13), "gru"), "stacks 3 gate"),
        (lambda: model_from_state_dict(_lstm_state(6), "gru"), r"weight_hh_l0: expected shape \[24, 8\]"),
        (
            lambda: model_from_state_dict({k: v for k, v in _lstm_state().items() if "_l1" not in k}, "lstm"),
            r"missing every \*_l1",
        ),
        (
            lambda: model_from_state_dict({**_lstm_state(), "weight_hh_l2": torch.zeros(24, 5)}, "lstm"),
            r"weight_hh_l2: expected shape \[24, 6\]",
        ),
        (
            lambda: model_from_state_dict({k: v for k, v in _lstm_state().items() if k != "bias_ih_l1"}, "lstm"),
            "missing bias_ih_l1",
        ),
        (
            lambda: model_from_state_dict(
                {**_lstm_state(), "weight_ih_l0": torch.zeros(24, 4, dtype=torch.int64)}, "lstm"
            ),
            "real floating-point",
        ),
        (lambda: model_from_torch(torch.nn.GRU(3, 4), torch.nn.Linear(5, 2)), "reads 5 features"),
        (
            lambda: model_from_torch(torch.nn.GRU(3, 4), torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.ReLU())),
            "only nn.Softmax",
        ),
        (lambda: model_from_torch(torch.nn.GRU(3, 4), torch.nn.Linear(4, 2), "tanh"), "head_activation must be"),
        (
            lambda: model_from_torch(torch.nn.RNN(3, 4), {"weight": torch.full((2, 4), float("nan"))}),
            "non-finite",
        ),
    ],
    ids=[
        "not_recurrent",
        "unknown_cell",
        "unknown_nonlinearity",
        "wrong_cell_rows",
        "wrong_cell_shape",
        "missing_layer",
        "bad_shape",
        "partial_biases",
        "integer_weights",
        "head_width",
        "head_activation_module",
        "head_activation_name",
        "non_finite_head",
    ],
)
def test_refuses_what_cannot_be_represented(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_write_fixture_refuses_a_broken_case_and_writes_nothing(tmp_path: Path) -> None:
    spec = SPECS[3]
    module, _, _ = build_module(spec, 3)
    model = model_from_torch(module)
    x = np.zeros((2, BATCH, spec.input_size + 1))  # one input feature too many
    result = Result(output=np.zeros((2, BATCH, 13)), h_n=np.zeros((1, BATCH, 13)), c_n=np.zeros((1, BATCH, 13)))
    target = tmp_path / "broken.json"
    with pytest.raises(FixtureError, match=r"cases\[0\]\.inputs\.x"):
        write_fixture(target, model, [("bad", x, None, None, None, result)], "broken", "", "torch", "?", (0.0, 0.0))
    assert not target.exists()

"""Whole PyTorch programs: ``model_from_torch(program)`` -> Chain, matching PyTorch itself in every backend.

The zoo (tests/torch_zoo.py) holds programs written as people write them; each is imported by
walking its ``torch.export`` graph and run in numpy, C and Java against the program itself in
float64 (rtol 1e-9), with and without uneven lengths. A ``.pt2`` file round-trips through
``torch.export.save``/``load``. The refused programs each raise ``ModelImportError`` with the
expected words. Without PyTorch the module is skipped, except under RR_STRICT=1.
"""

from __future__ import annotations

import zlib
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnn_rosetta import Chain, InputError, Model, ModelImportError
from rnn_rosetta.backends import BACKENDS, get_backend
from rnn_rosetta.fixture_data import CaseInputs
from rnn_rosetta.interop.torch_import import model_from_torch, torch_expected
from rnn_rosetta.result import Result
from tests.conftest import import_torch_or_skip_module, require_backend

torch = import_torch_or_skip_module()
pytestmark = pytest.mark.filterwarnings("ignore:The tensor attributes:UserWarning")  # torch.export on nn.RNNBase

from tests import torch_zoo  # noqa: E402  (needs torch)

RTOL, ATOL = 1e-9, 1e-12
SEED = 71_003
STEPS, BATCH = 6, 3
LENGTHS = np.array([6, 2, 4])


def _seed(name: str) -> int:
    return SEED + zlib.crc32(name.encode()) % 10_000


@cache
def zoo_entry(index: int) -> tuple[Any, Chain]:
    """Program ``index`` built (seeded) and imported once per session."""
    program = torch_zoo.PROGRAMS[index]
    torch.manual_seed(_seed(program.name))
    module = program.build().eval()
    chain = model_from_torch(module)
    assert isinstance(chain, Chain)
    return module, chain


def zoo_cases(index: int) -> list[CaseInputs]:
    """Time-major inputs: full length, and uneven lengths."""
    program = torch_zoo.PROGRAMS[index]
    rng = np.random.default_rng(_seed(program.name) + 1)
    cases = []
    for name, lengths in (("full", None), ("uneven", LENGTHS)):
        if program.tokens:
            tokens = rng.integers(0, torch_zoo.VOCAB, (STEPS, BATCH))
            cases.append(CaseInputs(name, None, None, None, lengths, tokens))
        else:
            cases.append(CaseInputs(name, rng.standard_normal((STEPS, BATCH, program.features)), None, None, lengths))
    return cases


def compare(got: Result, want: Result, where: str) -> float:
    """Assert the fields PyTorch answered; return the worst absolute error."""
    worst = 0.0
    for key, expected in want.fields().items():
        array = getattr(got, key)
        assert array is not None, f"{where}: no {key}"
        array = np.asarray(array)
        assert array.shape == expected.shape, f"{where}.{key}: shape {array.shape} vs {expected.shape}"
        np.testing.assert_allclose(array, expected, rtol=RTOL, atol=ATOL, err_msg=f"{where}.{key}")
        worst = max(worst, float(np.abs(array - expected).max()))
    return worst


def _inputs(case: CaseInputs) -> Any:
    return case.tokens if case.x is None else case.x


# -- the zoo matches PyTorch ---------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("index", range(len(torch_zoo.PROGRAMS)), ids=[p.name for p in torch_zoo.PROGRAMS])
def test_program_matches_torch(index: int, backend: str) -> None:
    """Every zoo program, imported, computes what PyTorch computes (y, or the output sequence)."""
    require_backend(backend)
    module, chain = zoo_entry(index)
    net = get_backend(backend).load(chain, dtype="float64")
    for case in zoo_cases(index):
        want = torch_expected(module, case)
        got = net.forward(_inputs(case), lengths=case.lengths)
        worst = compare(got, want, f"{torch_zoo.PROGRAMS[index].name}/{backend}/{case.name}")
        print(f"{torch_zoo.PROGRAMS[index].name} {backend} {case.name} worst={worst:.3g}")


@pytest.mark.parametrize("index", range(len(torch_zoo.PROGRAMS)), ids=[p.name for p in torch_zoo.PROGRAMS])
def test_program_shape_and_layout(index: int) -> None:
    """The chain has the program's readout, layout and parameters (bit for bit)."""
    program = torch_zoo.PROGRAMS[index]
    module, chain = zoo_entry(index)
    assert chain.readout == program.readout
    assert chain.extra["batch_first"] is program.batch_first
    assert chain.takes_tokens is program.tokens
    params = {name: p.detach().numpy() for name, p in module.named_parameters()}
    if chain.embedding is not None:
        (table,) = [v for k, v in params.items() if k.endswith("embedding.weight")]
        assert np.array_equal(chain.embedding.weight, table)
    arrays = [a for layer in chain.layers for _, w in layer.layers[0].directions() for a in w.arrays().values()]
    arrays += [a for d in chain.dense for a in (d.weight, d.bias)]
    for array in arrays:
        assert any(array.shape == p.shape and np.array_equal(array, p) for p in params.values()) or not array.any()


def test_batch_first_forward_equals_the_program() -> None:
    """``forward(x, batch_first=True)`` takes the program's own [B, T] layout and answers as it does."""
    module, chain = zoo_entry(0)  # seed-001: batch-first tokens, readout last
    tokens = np.random.default_rng(SEED).integers(0, torch_zoo.VOCAB, (BATCH, STEPS))
    with torch.no_grad():
        want = module(torch.from_numpy(tokens)).numpy()
    got = get_backend("numpy").load(chain).forward(tokens, batch_first=True)
    np.testing.assert_allclose(got.y, want, rtol=RTOL, atol=ATOL)
    index = [p.name for p in torch_zoo.PROGRAMS].index("gru_tagger")  # per-step y comes back batch-first
    module, chain = zoo_entry(index)
    with torch.no_grad():
        want = module(torch.from_numpy(tokens)).numpy()
    got = get_backend("numpy").load(chain).forward(tokens, batch_first=True)
    np.testing.assert_allclose(got.y, want, rtol=RTOL, atol=ATOL)


def test_pt2_file_round_trip(tmp_path: Path) -> None:
    """A program saved with ``torch.export.save`` imports from the file and matches the module."""
    module, chain = zoo_entry(0)
    example = torch.zeros((BATCH, STEPS), dtype=torch.long)
    path = tmp_path / "seed001.pt2"
    dynamic = ({0: torch.export.Dim.AUTO},)  # any batch; the time axis stays as traced (nn.LSTM specialises it)
    torch.export.save(torch.export.export(module, (example,), dynamic_shapes=dynamic), str(path))
    loaded = model_from_torch(path)
    assert isinstance(loaded, Chain)
    assert loaded.describe() == chain.describe()
    assert loaded.extra["batch_first"] is True
    assert loaded.extra["input_shape"] == [None, STEPS]
    assert chain.extra["input_shape"] == [None, None]  # the module itself runs at any size
    case = zoo_cases(0)[0]
    want = torch_expected(path, case)
    np.testing.assert_allclose(want.y, torch_expected(module, case).y, rtol=RTOL, atol=ATOL)
    got = get_backend("numpy").load(loaded).forward(case.tokens)
    np.testing.assert_allclose(got.y, want.y, rtol=RTOL, atol=ATOL)


def test_float32_program_is_answered_in_float64() -> None:
    """A float32 program imports its float32 weights exactly; ``torch_expected`` runs a float64 copy."""
    torch.manual_seed(SEED)
    module = _Float32Classifier().eval()
    chain = model_from_torch(module)
    assert isinstance(chain, Chain)
    assert np.array_equal(chain.dense[0].weight, module.fc.weight.detach().double().numpy())
    x = np.random.default_rng(SEED).standard_normal((STEPS, BATCH, 4))
    want = torch_expected(module, CaseInputs("f32", x))
    got = get_backend("numpy").load(chain).forward(x)
    np.testing.assert_allclose(got.y, want.y, rtol=RTOL, atol=ATOL)
    assert module.fc.weight.dtype == torch.float32  # the user's module is untouched


def test_float32_exported_program_is_answered_in_float64() -> None:
    """``torch_expected`` on a float32 ExportedProgram runs its graph in float64 (zeros' dtype too)."""
    torch.manual_seed(SEED)
    module = _Float32Classifier().eval()
    x = np.random.default_rng(SEED).standard_normal((STEPS, BATCH, 4))
    program = torch.export.export(module, (torch.zeros((STEPS, BATCH, 4)),))
    want = torch_expected(module, CaseInputs("f32", x))
    np.testing.assert_allclose(torch_expected(program, CaseInputs("f32", x)).y, want.y, rtol=RTOL, atol=ATOL)
    with pytest.raises(InputError, match="the program refused input of shape"):  # static shapes: T=6, B=3 only
        torch_expected(program, CaseInputs("short", x[:2]))


class _Float32Classifier(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = torch.nn.GRU(4, 5)
        self.fc = torch.nn.Linear(5, 2)

    def forward(self, x: Any) -> Any:
        _, h_n = self.gru(x)
        return self.fc(h_n[-1])


def test_example_input_positional_or_keyword() -> None:
    """``model_from_torch(program, x)`` and ``model_from_torch(program, example_input=x)`` are the same import."""
    module, chain = zoo_entry(1)  # h_n classifier, time-major x [T, B, 6]
    x = torch.zeros((4, 2, 6), dtype=torch.float64)
    assert model_from_torch(module, x).describe() == chain.describe()
    assert model_from_torch(module, example_input=x).describe() == chain.describe()


def test_bare_module_still_gives_a_model() -> None:
    """``nn.LSTM`` alone stays a v1 :class:`Model` (the state_dict path), never a chain."""
    assert isinstance(model_from_torch(torch.nn.LSTM(3, 4)), Model)


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "build", "example", "words"), torch_zoo.REFUSED, ids=[entry[0] for entry in torch_zoo.REFUSED]
)
def test_refused_with_a_named_reason(name: str, build: Any, example: Any, words: str) -> None:
    torch.manual_seed(SEED)
    with pytest.raises(ModelImportError, match=words) as caught:
        model_from_torch(build().eval(), example_input=example())
    message = str(caught.value)
    assert "\n" not in message, f"{name}: one line please: {message!r}"


def test_training_mode_program_is_refused() -> None:
    """An ExportedProgram exported in training mode keeps its dropout: refused, not silently dropped."""
    module = torch_zoo.SequenceModel().train()
    program = torch.export.export(module, (torch.zeros((2, 5), dtype=torch.long),))
    with pytest.raises(ModelImportError, match="training mode"):
        model_from_torch(program)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch's own pytree deprecation inside run_decompositions
def test_decomposed_program_is_refused() -> None:
    """After ``run_decompositions()`` the recurrent modules are loops of matmuls: refused, named."""
    module = torch_zoo.HiddenClassifier().eval()
    program = torch.export.export(module, (torch.zeros((5, 2, 6), dtype=torch.float64),)).run_decompositions()
    with pytest.raises(ModelImportError, match=r"run_decompositions\(\)"):
        model_from_torch(program)


def test_two_inputs_are_refused() -> None:
    class WithState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru = torch.nn.GRU(4, 6, dtype=torch.float64)

        def forward(self, x: Any, h0: Any) -> Any:
            out, _ = self.gru(x, h0)
            return out

    program = torch.export.export(
        WithState(), (torch.zeros(5, 3, 4, dtype=torch.float64), torch.zeros(1, 3, 6, dtype=torch.float64))
    )
    with pytest.raises(ModelImportError, match="takes 2 inputs"):
        model_from_torch(program)


def test_missing_pt2_and_head_on_program_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelImportError, match="no such file"):
        model_from_torch(tmp_path / "missing.pt2")
    with pytest.raises(ModelImportError, match="head"):
        model_from_torch(torch_zoo.SequenceModel(), torch.nn.Linear(5, 2))

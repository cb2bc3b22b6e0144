"""``rnn-rosetta convert``: a .onnx, a .pt2 and a .keras file, each made by its framework as users make them,
become fixtures whose expected values that framework computed; the fixtures load, pass the crosscheck
and run in the standalone C and Java demos; refusals are one line and write nothing."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import convert, paths
from rnn_rosetta.compare import FLOAT32
from rnn_rosetta.result import Result
from tests.conftest import import_torch_or_skip_module, require_backend, skip_or_fail

torch = import_torch_or_skip_module()


def _cli(*args: str | Path, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80"}
    command = [sys.executable, "-m", "rnn_rosetta", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd, env=env)


def _assert_one_line_refusal(done: subprocess.CompletedProcess[str], starts: str) -> str:
    assert done.returncode == 2, f"exit {done.returncode}: {done.stdout} {done.stderr}"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(starts), lines[0]
    return lines[0]


# -- sources, made by each framework the way users make them ----------------------------------------


class SequenceModel(torch.nn.Module):
    """seed-001's shape: Embedding -> 2-layer LSTM (batch_first) -> Dropout -> Linear on out[:, -1, :]."""

    def __init__(self, vocab: int = 12, embed: int = 5, hidden: int = 7, classes: int = 3) -> None:
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, embed)
        self.lstm = torch.nn.LSTM(embed, hidden, num_layers=2, batch_first=True)
        self.dropout = torch.nn.Dropout(0.2)
        self.fc = torch.nn.Linear(hidden, classes)

    def forward(self, tokens: Any) -> Any:
        out, _ = self.lstm(self.embedding(tokens))  # [B, T, H]
        return self.fc(self.dropout(out[:, -1, :]))  # [B, classes]


class NormBetween(torch.nn.Module):
    """An LSTM, a LayerNorm, an LSTM: nothing the format can express, to be refused by name."""

    def __init__(self) -> None:
        super().__init__()
        self.first = torch.nn.LSTM(4, 6, batch_first=True)
        self.norm = torch.nn.LayerNorm(6)
        self.second = torch.nn.LSTM(6, 5, batch_first=True)

    def forward(self, x: Any) -> Any:
        out, _ = self.first(x)
        out, _ = self.second(self.norm(out))
        return out


def _pt2(module: Any, example: Any, path: Path) -> Path:
    torch.manual_seed(0)
    module.eval()
    program = torch.export.export(module, (example,))
    torch.export.save(program, str(path))
    return path


def _onnx_two_layer_lstm(path: Path) -> Path:
    """``torch.onnx.export`` of a 2-layer nn.LSTM (the model whose second layer was once dropped)."""
    torch.manual_seed(1)
    module = torch.nn.LSTM(4, 6, num_layers=2).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.randn(5, 2, 4),), str(path), dynamo=False, input_names=["x"])
    return path


KERAS_STACK = """
import keras
keras.utils.set_random_seed(2)
model = keras.Sequential([
    keras.Input((None, 5)),
    keras.layers.LSTM(6, return_sequences=True),
    keras.layers.LSTM(4),
    keras.layers.Dense(3, activation="softmax"),
])
model.save({path!r})
"""


def _keras_file(path: Path, script: str = KERAS_STACK) -> Path:
    """A ``.keras`` file saved by Keras 3 on the torch backend, in its own process."""
    if importlib.util.find_spec("keras") is None:
        skip_or_fail("Keras is not installed (pip install keras h5py)")
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    code = textwrap.dedent(script.format(path=str(path)))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return path


# -- the demos the converted fixture must run in ------------------------------------------------------


def _demo_texts(fixture: Path) -> dict[str, str]:
    """The demo's text from Python, the C binary and the Java class (each as a user runs it)."""
    texts = {}
    python = _cli("demo", fixture)
    assert python.returncode == 0, python.stderr
    texts["python"] = python.stdout
    require_backend("c")
    done = subprocess.run([str(paths.c_demo()), str(fixture)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"C demo: {done.stderr}"
    texts["c"] = done.stdout
    require_backend("java")
    classpath = f"{paths.java_jar()}:{paths.gson_jar()}"
    command = ["java", "-cp", classpath, "rnnrosetta.demo.Demo", str(fixture)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"Java demo: {done.stderr}"
    texts["java"] = done.stdout
    return texts


def _check_converted(done: subprocess.CompletedProcess[str], source: Path, out: Path, precision: str) -> rr.Fixture:
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    verdict = [line for line in done.stdout.splitlines() if line.startswith("verdict: ")]
    assert verdict and "matches" in verdict[-1], done.stdout
    fixture = rr.load_fixture(out)
    assert isinstance(fixture.model, rr.Chain)
    provenance = fixture.provenance
    assert provenance["source"] == source.name
    assert provenance["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert provenance["oracle_precision"] == precision and provenance["oracle"].endswith(precision)
    assert fixture.tolerance == (convert.FLOAT64_TOLERANCE if precision == "float64" else FLOAT32)
    assert len(fixture.cases) == 3
    return fixture


def _check_demos(out: Path) -> None:
    texts = _demo_texts(out)
    assert texts["python"].startswith(f"rnn-rosetta demo: {out.stem}\nmodel: chain ")
    assert texts["c"] == texts["python"], "C demo differs from the Python demo"
    assert texts["java"] == texts["python"], "Java demo differs from the Python demo"


# -- convert, end to end -------------------------------------------------------------------------------


def test_convert_an_onnx_file_from_torch_onnx_export(tmp_path: Path) -> None:
    source = _onnx_two_layer_lstm(tmp_path / "lstm2.onnx")
    out = tmp_path / "lstm2.json"
    done = _cli("convert", source, "-o", out)
    fixture = _check_converted(done, source, out, "float32")  # ORT's LSTM computes in float32
    assert len(fixture.model.layers) == 2, "both layers, not the first one only"
    names = [case.name for case in fixture.cases]
    assert names[0] == "random", names
    _check_demos(out)


def test_convert_a_pt2_file_from_torch_export(tmp_path: Path) -> None:
    source = _pt2(SequenceModel(), torch.zeros(2, 6, dtype=torch.long), tmp_path / "sequence_model.pt2")
    out = tmp_path / "sequence_model.json"
    done = _cli("convert", source, "-o", out, "--seed", "4")
    fixture = _check_converted(done, source, out, "float64")
    chain = fixture.model
    assert chain.embedding is not None and chain.readout == "last" and len(chain.layers) == 2
    for case in fixture.cases:  # torch.export fixes the input's shape: convert takes the exported one, [B=2, T=6]
        assert case.x is None and case.tokens is not None and case.tokens.shape == (6, 2)
        assert case.tokens.min() >= 0 and case.tokens.max() < 12
        assert case.expected.y is not None and case.expected.y.shape == (2, 3)
    notes = " ".join(fixture.provenance["notes"])
    assert "given_state: the source cannot take it" in notes, "a program starts from zeros: said, not hidden"
    _check_demos(out)


def test_a_shape_the_exported_program_cannot_take_is_one_line(tmp_path: Path) -> None:
    source = _pt2(SequenceModel(), torch.zeros(2, 6, dtype=torch.long), tmp_path / "sequence_model.pt2")
    done = _cli("convert", source, "-o", tmp_path / "out.json", "--length", "9")
    line = _assert_one_line_refusal(done, f"rnn-rosetta: {source}: torch refused a case of T=9, B=2")
    assert "--length" in line


def test_convert_a_keras_file(tmp_path: Path) -> None:
    source = _keras_file(tmp_path / "stack.keras")
    out = tmp_path / "stack.json"
    fixture = _check_converted(_cli("convert", source, "-o", out), source, out, "float64")
    chain = fixture.model
    assert [layer.hidden_size for layer in chain.layers] == [6, 4] and chain.readout == "last"
    assert [d.activation for d in chain.dense] == ["softmax"]
    _check_demos(out)


def test_convert_is_reproducible_from_its_seed(tmp_path: Path) -> None:
    source = _onnx_two_layer_lstm(tmp_path / "lstm2.onnx")
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for out in (first, second):
        done = _cli("convert", source, "-o", out, "--backends", "numpy", "--cases", "4", "--seed", "9")
        assert done.returncode == 0, done.stdout + done.stderr
    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    assert a["cases"] == b["cases"] and [c["name"] for c in a["cases"]][3] == "random_2"


# -- refusals: one line, exit 2, nothing written -------------------------------------------------------


def test_an_unknown_extension_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "model.h5"
    source.write_bytes(b"\x89HDF")
    out = tmp_path / "out.json"
    line = _assert_one_line_refusal(_cli("convert", source, "-o", out), f"rnn-rosetta: {source}: unknown extension")
    assert ".pt2" in line and ".onnx" in line and ".keras" in line
    assert not out.exists()


def test_a_missing_source_and_an_unwritable_out_are_refused_before_any_work(tmp_path: Path) -> None:
    _assert_one_line_refusal(_cli("convert", tmp_path / "no.onnx", "-o", tmp_path / "o.json"), "rnn-rosetta: ")
    source = _onnx_two_layer_lstm(tmp_path / "lstm2.onnx")
    _assert_one_line_refusal(_cli("convert", source, "-o", tmp_path), f"rnn-rosetta: {tmp_path}: cannot write")
    _assert_one_line_refusal(_cli("convert", source, "-o", tmp_path / "o.json", "--cases", "0"), "rnn-rosetta: --cases")


def test_an_importer_refusal_is_one_line_naming_the_source(tmp_path: Path) -> None:
    source = _pt2(NormBetween(), torch.zeros(2, 5, 4), tmp_path / "norm_between.pt2")
    out = tmp_path / "norm_between.json"
    line = _assert_one_line_refusal(_cli("convert", source, "-o", out), f"rnn-rosetta: {source}: ")
    assert "norm" in line.lower(), line
    assert not out.exists()


def test_an_onnx_op_the_importer_does_not_know_is_refused(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    source = _onnx_two_layer_lstm(tmp_path / "lstm2.onnx")
    model = onnx.load(str(source))
    graph = model.graph
    old = graph.output[0].name
    graph.node.append(helper.make_node("Cos", [old], ["cosine"], name="strange_cos"))
    graph.output[0].CopyFrom(helper.make_tensor_value_info("cosine", TensorProto.FLOAT, None))
    strange = tmp_path / "strange.onnx"
    onnx.save(model, str(strange))
    out = tmp_path / "strange.json"
    line = _assert_one_line_refusal(_cli("convert", strange, "-o", out), f"rnn-rosetta: {strange}: ")
    assert "Cos" in line or "strange_cos" in line, line
    assert not out.exists()


def test_a_wrong_oracle_fails_the_verdict_with_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The crosscheck after convert is a real check: an oracle off by 1e-3 is caught (exit 1)."""
    source = _onnx_two_layer_lstm(tmp_path / "lstm2.onnx")
    real = convert._interop

    def shifted(name: str, framework: convert.Framework, where: Path) -> Any:
        found = real(name, framework, where)
        if name != framework.runner:
            return found

        def runner(path: str, inputs: Any) -> Result:
            result = found(path, inputs)
            return Result(**{k: None if v is None else _shift(v) for k, v in vars(result).items()})

        return runner

    monkeypatch.setattr(convert, "_interop", shifted)
    from rich.console import Console

    console = Console(record=True, width=100)
    options = convert.Options(cases=1)  # the plain case only: nothing but the shift can fail it
    status = convert.convert(source, tmp_path / "off.json", options, backends=["numpy"], console=console)
    text = console.export_text()
    assert status == 1, text
    assert "FAIL off / random / numpy" in text and "verdict: MISMATCH" in text, text


def _shift(value: Any) -> Any:
    if isinstance(value, list):
        return [np.asarray(v) + 1e-3 for v in value]
    return np.asarray(value) + 1e-3


# -- the cases convert draws ----------------------------------------------------------------------------


def _chain(embedding: bool, sizes: tuple[int, ...]) -> rr.Chain:
    """A small chain of lstm layers of the given sizes, straight from PyTorch modules' shapes."""
    from rnn_rosetta.chain import Embedding
    from rnn_rosetta.interop import model_from_torch

    layers, width = [], 3
    for size in sizes:
        layers.append(model_from_torch(torch.nn.LSTM(width, size)))
        width = size
    table = Embedding(np.zeros((9, 3))) if embedding else None
    return rr.Chain(layers=tuple(layers), embedding=table)


def test_drawn_inputs_fit_the_chain_and_the_oracle_precision() -> None:
    rng = np.random.default_rng(0)
    options = convert.Options(length=7, batch=4)
    chain = _chain(embedding=True, sizes=(5, 2))
    tokens = convert.draw_inputs(chain, "random", "r", options, rng, "float64")
    assert tokens.x is None and tokens.tokens.dtype == np.int64 and tokens.tokens.shape == (7, 4)
    assert tokens.tokens.min() >= 0 and tokens.tokens.max() < 9
    state = convert.draw_inputs(chain, "given_state", "s", options, rng, "float32")
    assert isinstance(state.h0, list) and [h.shape for h in state.h0] == [(4, 5), (4, 2)], "ragged slots: a list"
    assert all(np.array_equal(h, h.astype(np.float32)) for h in state.h0), "float32 values for a float32 oracle"
    uneven = convert.draw_inputs(_chain(False, (5, 5)), "uneven_lengths", "u", options, rng, "float32")
    assert uneven.x.shape == (7, 4, 3) and np.array_equal(uneven.x, uneven.x.astype(np.float32))
    assert uneven.lengths[-1] == 7 and uneven.lengths[0] < 7 and uneven.lengths.min() >= 1
    uniform = convert.draw_inputs(_chain(False, (5, 5)), "given_state", "g", options, rng, "float64")
    assert isinstance(uniform.h0, np.ndarray) and uniform.h0.shape == (2, 4, 5)


def test_case_plan_names() -> None:
    plan = convert.case_plan(5)
    assert [name for _, name in plan] == ["random", "uneven_lengths", "given_state", "random_2", "uneven_lengths_2"]


KERAS_MASKED = """
import keras
model = keras.Sequential([
    keras.Input((None,), dtype="int32"),
    keras.layers.Embedding(10, 4, mask_zero=True),
    keras.layers.LSTM(3),
])
model.save({path!r})
"""


def test_a_keras_refusal_is_one_line_naming_the_layer(tmp_path: Path) -> None:
    """mask_zero: Keras repeats the last output on masked steps; the importer refuses, convert says so."""
    source = _keras_file(tmp_path / "masked.keras", KERAS_MASKED)
    out = tmp_path / "masked.json"
    line = _assert_one_line_refusal(_cli("convert", source, "-o", out), f"rnn-rosetta: {source}: ")
    assert "mask" in line.lower(), line
    assert not out.exists()


def test_every_interop_name_resolves() -> None:
    from rnn_rosetta import interop

    assert sorted(interop._WHERE) == sorted(interop.__all__)
    for name in interop.__all__:
        assert callable(getattr(interop, name)) or name in ("CaseData", "CaseInputs"), name
    assert interop.CaseInputs is rr.CaseInputs


def test_an_oracle_that_ignores_lengths_is_caught() -> None:
    """Lengths mean each sequence alone on its prefix; an answer that is not that is refused, not written."""
    chain = _chain(embedding=False, sizes=(4, 3))
    net = rr.get_backend("numpy").load(chain)
    options = convert.Options(length=6, batch=3)
    inputs = convert.draw_inputs(chain, "uneven_lengths", "u", options, np.random.default_rng(1), "float64")

    def honest(path: str, case: Any) -> Result:  # stands in for a framework that honours lengths
        return net.forward(case.x, lengths=case.lengths)

    def careless(path: str, case: Any) -> Result:  # ... and for one that silently ignores them
        return net.forward(case.x)

    def careless_y_only(path: str, case: Any) -> Result:  # no output to see padding in: only the per-sequence check
        answer = net.forward(case.x)
        return Result(y=np.asarray(answer.output)[-1])

    tolerance = convert.FLOAT64_TOLERANCE
    convert._check_lengths(honest, Path("m.onnx"), inputs, honest("", inputs), tolerance)
    for runner in (careless, careless_y_only):
        with pytest.raises(rr.InputError, match="ignored lengths"):
            convert._check_lengths(runner, Path("m.onnx"), inputs, runner("", inputs), tolerance)


@pytest.mark.parametrize(
    ("shape", "batch_first", "expected"),
    [
        ([None, 6, 5], True, (6, 2)),  # dynamic batch, fixed T (batch-first program)
        ([7, None, 5], False, (7, 2)),  # dynamic batch, fixed T (time-major graph)
        ([3, None], True, (8, 3)),  # fixed batch, dynamic T
        ([4, 9, 5], False, (4, 9)),  # both fixed
        (None, False, (8, 2)),  # nothing known: the defaults
    ],
)
def test_shape_for_takes_each_fixed_axis_on_its_own(shape: Any, batch_first: bool, expected: tuple[int, int]) -> None:
    from rnn_rosetta.convert import Options, shape_for

    chosen = shape_for(Options(), {"input_shape": shape, "batch_first": batch_first})
    assert (chosen.length, chosen.batch) == expected

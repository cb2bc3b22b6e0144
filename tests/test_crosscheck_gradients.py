"""The gradient fixtures (``grad_*``, docs/fixture-format.md#gradients) in the crosscheck and the reader.

The expected gradients come from PyTorch float64 autograd (rnn_rosetta.fixturegen.torch_backward); here
each backend with backward is held to them, and to each other, and a wrong value is named precisely.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.backends.numpy_chain import NumpyChainNet
from rnn_rosetta.crosscheck import crosscheck
from rnn_rosetta.fixture_reader import parse_fixture
from rnn_rosetta.fixture_writer import dump_document, fixture_document
from tests.conftest import require_backend

GRADIENT_FIXTURES = sorted(paths.fixtures_dir().glob("grad_*.json"))
LSTM_BI = "grad_lstm_projection_bidirectional"


def _console() -> Console:
    return Console(record=True, width=200, file=open("/dev/null", "w"))


def _run(given: list[Path], backends: list[str], tmp_path: Path, **options: Any) -> tuple[int, str, dict[str, Any]]:
    console, report = _console(), tmp_path / "report.json"
    status = crosscheck(given, backends, 1, console, json_out=report, **options)
    return status, console.export_text(), json.loads(report.read_text())


def test_there_are_gradient_fixtures_with_two_cases_each() -> None:
    assert len(GRADIENT_FIXTURES) >= 8
    for path in GRADIENT_FIXTURES:
        fixture = rr.load_fixture(path)
        assert len(fixture.cases) == 2 and all(case.backward is not None for case in fixture.cases), path.name
        assert (fixture.tolerance.rtol, fixture.tolerance.atol) == (1e-10, 1e-12)


def test_every_backend_with_backward_matches_the_oracle_and_each_other(tmp_path: Path) -> None:
    for name in rr.BACKENDS:
        require_backend(name)
    status, text, document = _run(GRADIENT_FIXTURES, list(rr.BACKENDS), tmp_path, all_kernels=False)
    assert status == 0, text
    assert "gradients" in text and "all agree" in text
    for fixture in document["fixtures"]:
        for run in fixture["runs"]:
            assert run["ran"] and run["grad_cases"] == 2, (fixture["name"], run)
            net = rr.get_backend(run["backend"]).load(rr.load_fixture(fixture["source"]).model)
            if net.supports_backward:
                assert run["backward"] == "checked" and 0 < run["grad_max_ratio"] < 1, (fixture["name"], run)
            else:  # reported, never skipped silently
                assert run["backward"] == "no backward", run
        for pair in fixture["pairs"]:
            assert pair["failures"] == 0, pair
        assert all(line["gradients"] != "-" for line in fixture["summary"])


def _with_wrong_gradient(tmp_path: Path, delta: float) -> tuple[Path, float]:
    document = json.loads((paths.fixtures_dir() / f"{LSTM_BI}.json").read_text())
    weights = document["cases"][1]["backward"]["expected"]["weights"]
    original = weights["layers.0.reverse.weight_hh"][3][1]
    weights["layers.0.reverse.weight_hh"][3][1] = original + delta
    path = tmp_path / f"{LSTM_BI}.json"
    path.write_text(json.dumps(document))
    return path, original + delta


def test_a_wrong_expected_gradient_is_named_precisely(tmp_path: Path) -> None:
    path, wrong = _with_wrong_gradient(tmp_path, 1e-8)
    status, text, document = _run([path], ["numpy"], tmp_path, dtypes=["float64"])
    assert status == 1
    where = r"grad_lstm_projection_bidirectional / uneven_some_gradients / numpy\[\w+\] vs expected float64"
    assert re.search(where + r": first mismatch at grad layers\.0\.reverse\.weight_hh\[i=3, j=1\]", text), text
    assert re.search(rf"expected\s+{re.escape(repr(wrong))}", text), text  # the line may fold there
    assert "<= 1e-12 + 1e-10 * |expected|" in text
    record = document["failures"][0]
    assert record["field"] == "grad layers.0.reverse.weight_hh" and record["index"] == [3, 1]
    assert record["case"] == "uneven_some_gradients" and record["expected"] == wrong
    assert len(document["failures"]) == 3  # numpy fast, plain and exact; the forward outputs still agree


def test_a_backend_without_backward_is_reported_not_skipped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(NumpyChainNet, "supports_backward", False)
    status, text, document = _run([paths.fixtures_dir() / f"{LSTM_BI}.json"], ["numpy"], tmp_path)
    assert status == 0, text  # the forward pass agrees; the gradients were not checked and it says so
    assert "no backward: numpy[fast], numpy[plain], numpy[exact]" in text
    runs = document["fixtures"][0]["runs"]
    assert {run["backward"] for run in runs} == {"no backward"} and {run["grad_cases"] for run in runs} == {0}
    assert document["fixtures"][0]["summary"][0]["no_backward"] == ["numpy[fast]", "numpy[plain]", "numpy[exact]"]


def test_backends_disagreeing_on_a_gradient_are_named_as_a_pair(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The plain kernel's backward is made wrong by 1e-7 in one bias gradient: it fails against the oracle
    and against the fast kernel, by name."""
    original = NumpyChainNet._backward_flat

    def skewed(self: NumpyChainNet, *args: Any) -> Any:
        gradients = original(self, *args)
        if self.kernel_name != "plain":
            return gradients
        weights = dict(gradients.weights)
        weights["dense.0.bias"] = weights["dense.0.bias"] + np.array([0.0, 1e-7, 0.0])
        return replace(gradients, weights=weights)

    monkeypatch.setattr(NumpyChainNet, "_backward_flat", skewed)
    status, text, document = _run([paths.fixtures_dir() / f"{LSTM_BI}.json"], ["numpy"], tmp_path, dtypes=["float64"])
    assert status == 1
    pair = r"grad_lstm_projection_bidirectional / all_gradients / numpy\[fast\] vs numpy\[plain\] float64"
    assert re.search(pair + r": first mismatch at grad dense\.0\.bias\[i=1\]", text), text
    assert document["fixtures"][0]["pairs"][0]["failures"] == 2
    assert document["fixtures"][0]["pairs"][0]["gradient_cases"] == 2


def test_the_writer_and_the_reader_round_trip_every_gradient_exactly() -> None:
    for path in GRADIENT_FIXTURES[:3]:
        text = path.read_text("utf-8")
        fixture = parse_fixture(text, str(path))
        document = json.loads(text)
        rewritten = fixture_document(
            fixture.name, fixture.description, fixture.model, fixture.cases, fixture.tolerance, fixture.provenance
        )
        assert dump_document(rewritten) == dump_document(document), path.name
        for case, case_doc in zip(fixture.cases, document["cases"], strict=True):
            assert case.backward is not None
            weights = case_doc["backward"]["expected"]["weights"]
            assert list(case.backward.expected.weights) == list(weights)
            for name, array in case.backward.expected.weights.items():
                np.testing.assert_array_equal(array, np.array(weights[name]))


def test_a_stale_backward_block_is_found_by_its_freshness_check() -> None:
    """``backward_differences`` (for ``generate --check``): the regenerated block is fresh, an edited one is not."""
    from rnn_rosetta.fixturegen.gradient_build import backward_differences, build_gradient_document
    from rnn_rosetta.fixturegen.gradient_specs import GRADIENT_SPECS

    spec = next(s for s in GRADIENT_SPECS if s.name == "grad_rnn_tanh_relu_stack")
    fresh = build_gradient_document(spec)
    committed = json.loads((paths.fixtures_dir() / f"{spec.name}.json").read_text())
    tolerance = fresh["tolerance"]
    for old, new in zip(committed["cases"], fresh["cases"], strict=True):
        assert backward_differences(old, new, tolerance) == []
    stale = json.loads(json.dumps(committed["cases"][0]))
    stale["backward"]["expected"]["weights"]["layers.1.forward.bias_hh"][2] += 1e-9
    stale["backward"]["d_output"][0][0][0] += 1.0
    assert backward_differences(stale, fresh["cases"][0], tolerance) == [
        "case all_gradients: backward d_output differs",
        "case all_gradients: backward expected weights layers.1.forward.bias_hh differs from the oracle's answer",
    ]
    del stale["backward"]
    assert backward_differences(stale, fresh["cases"][0], tolerance) == ["case all_gradients: backward is missing"]

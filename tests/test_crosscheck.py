"""The crosscheck and `run` commands: the verdict, the table and what a mismatch report names."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.crosscheck import crosscheck
from rnn_rosetta.crosscheck_records import Target, TargetRun
from tests.conftest import require_backend


def _console() -> Console:
    return Console(record=True, width=200, file=open("/dev/null", "w"))


def test_crosscheck_passes_on_every_committed_fixture(tmp_path: Path) -> None:
    for name in rr.BACKENDS:
        require_backend(name)
    console = _console()
    report = tmp_path / "crosscheck.json"
    status = crosscheck(backends=rr.BACKENDS, repeats=1, console=console, verbose=True, json_out=report)
    assert status == 0, console.export_text()
    text = console.export_text()
    assert "all agree" in text and "float32" in text and "c[portable] vs java[plain]" in text
    assert "numpy[exact] vs c[exact]" in text and "c[exact] vs java[exact]" in text  # the bit-equality table
    document = json.loads(report.read_text())
    assert document["ok"] is True and document["failures"] == []
    assert len(document["fixtures"]) == len(list(paths.fixtures_dir().glob("*.json")))
    labels = {run["label"] for fixture in document["fixtures"] for run in fixture["runs"]}
    assert {"c[portable]", "java[plain]", "numpy[exact]", "c[exact]", "java[exact]"} <= labels
    for fixture in document["fixtures"]:
        with_cases = bool(fixture["cases"])
        assert len(fixture["bits"]) == 6, fixture["name"]  # 3 pairs x 2 dtypes
        assert all(bits["differing"] == 0 and bits["cases"] == fixture["cases"] for bits in fixture["bits"])
        assert {line["exact_bits"] for line in fixture["summary"]} == ({"same"} if with_cases else {"-"})


def test_float32_oracle_errors_are_never_counted_in_float64_ulps(tmp_path: Path) -> None:
    """onnxruntime computes in float32: a float64 run against it is measured in float32 ulps.

    Rounding a float64 value to float32 moves it by up to half a float32 ulp,
    which is 2^28 float64 ulps: a count that large means the wrong unit.
    """
    chosen = [
        p for p in sorted(paths.fixtures_dir().glob("*.json")) if "float32" in rr.load_fixture(p).provenance["oracle"]
    ]
    assert chosen, "no committed fixture has a float32 oracle"
    report = tmp_path / "crosscheck.json"
    status = crosscheck(chosen, ["numpy"], 1, _console(), json_out=report)
    assert status == 0
    runs = [run for fixture in json.loads(report.read_text())["fixtures"] for run in fixture["runs"]]
    assert {run["dtype"] for run in runs} == {"float32", "float64"}
    for run in runs:
        assert run["ulp_dtype"] == "float32", run
        assert 0 < run["max_ulp"] < 2**16, run


def test_a_wrong_expected_value_is_reported_precisely(tmp_path: Path) -> None:
    document = json.loads((paths.fixtures_dir() / "gru_small.json").read_text())
    original = document["cases"][1]["expected"]["output"][2][1][3]
    document["cases"][1]["expected"]["output"][2][1][3] = original + 1e-6
    path = tmp_path / "gru_small.json"
    path.write_text(json.dumps(document))
    console = _console()
    assert crosscheck([path], backends=["numpy"], repeats=1, console=console, dtypes=["float64"]) == 1
    text = console.export_text()
    assert re.search(r"gru_small / given_state / numpy(\[[\w-]+\])? vs expected float64: first mismatch", text)
    assert "output[t=2, b=1, h=3]" in text
    assert f"expected {original + 1e-6!r}" in text
    assert "<= 1e-13 + 1e-12 * |expected|" in text


def test_backends_disagreeing_are_named_as_a_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    """A backend that is wrong by 1e-9 fails against the oracle and against its peer."""
    from rnn_rosetta.backends import numpy_backend

    original = numpy_backend.NumpyNet._forward

    def skewed(self, x, h0, c0, lengths):  # type: ignore[no-untyped-def]
        result = original(self, x, h0, c0, lengths)
        result.h_n[0, 0, 0] += 1e-9
        return result

    require_backend("c")
    monkeypatch.setattr(numpy_backend.NumpyNet, "_forward", skewed)
    console = _console()
    status = crosscheck([paths.fixtures_dir() / "rnn_tanh_small.json"], ["numpy", "c"], 1, console, dtypes=["float64"])
    text = console.export_text()
    assert status == 1
    expected_line = (
        r"rnn_tanh_small / zero_state / numpy\S* vs c\[[\w-]+\] float64: first mismatch at h_n\[slot=0, b=0, h=0\]"
    )
    assert re.search(expected_line, text), text


def test_run_command_writes_the_documented_json(tmp_path: Path, backend: str) -> None:
    out = tmp_path / "out.json"
    fixture_path = paths.fixtures_dir() / "lstm_softmax_head.json"
    subprocess.run(
        [sys.executable, "-m", "rnn_rosetta", "run", str(fixture_path), "--backend", backend, "--out", str(out)],
        check=True,
        timeout=120,
    )
    written = json.loads(out.read_text())
    fixture = rr.load_fixture(fixture_path)
    assert written["fixture"] == "lstm_softmax_head" and written["backend"] == backend
    assert [c["name"] for c in written["cases"]] == [c.name for c in fixture.cases]
    for got, case in zip(written["cases"], fixture.cases, strict=True):
        assert sorted(got) == ["c_n", "h_n", "name", "output", "y"]
        for field, want in case.expected.fields().items():
            np.testing.assert_allclose(np.array(got[field]), want, rtol=1e-12, atol=1e-13)


def test_cli_crosscheck_exit_status_and_errors(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "rnn_rosetta", "crosscheck", str(paths.fixtures_dir() / "rnn_tanh_size1.json"),
         "--backends", "numpy", "--repeats", "1"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "rnn_tanh_size1" in ok.stdout
    bad = tmp_path / "broken.json"
    bad.write_text("{")
    refused = subprocess.run(
        [sys.executable, "-m", "rnn_rosetta", "crosscheck", str(bad)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0 and str(bad) in refused.stderr


# -- version 2: chains -----------------------------------------------------------------------------


def test_chain_fixtures_are_compared_with_ragged_states_and_last_readout_y(tmp_path: Path) -> None:
    document = json.loads((paths.fixtures_dir() / "stack_64_32_softmax.json").read_text())
    document["cases"][1]["expected"]["h_n"][1][2][5] += 1e-6  # slot 1 (layer 1, [B, 7]), b = 2, h = 5
    document["cases"][2]["expected"]["y"][3][1] += 1e-6  # readout "last": y [B, O]
    path = tmp_path / "stack_64_32_softmax.json"
    path.write_text(json.dumps(document))
    console = _console()
    assert crosscheck([path], backends=["numpy"], repeats=1, console=console, dtypes=["float64"]) == 1
    text = console.export_text()
    assert "first mismatch at h_n[slot=1, b=2, h=5]" in text, text
    assert "first mismatch at y[b=3, o=1]" in text, text


def test_an_expected_with_only_y_is_enough(tmp_path: Path) -> None:
    document = json.loads((paths.fixtures_dir() / "char_model.json").read_text())
    for case in document["cases"]:
        case["expected"] = {"y": case["expected"]["y"]}
    path = tmp_path / "char_model.json"
    path.write_text(json.dumps(document))
    assert crosscheck([path], backends=["numpy"], repeats=1, console=_console(), dtypes=["float64"]) == 0


def _refuse_chains(monkeypatch: pytest.MonkeyPatch) -> None:
    """The numpy backend as one that knows only Model (what c/java were before their chains landed)."""
    from rnn_rosetta.backends import numpy_backend

    original = numpy_backend.NumpyBackend.load

    def load(self, model, dtype="float64", kernel="auto"):  # type: ignore[no-untyped-def]
        if isinstance(model, rr.Chain):
            raise rr.BackendUnavailable("this build has no chains")
        return original(self, model, dtype, kernel)

    monkeypatch.setattr(numpy_backend.NumpyBackend, "load", load)


def test_a_backend_that_cannot_load_a_chain_fails_the_crosscheck(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every backend loads chains: one that refuses is a failure, never a skipped target."""
    _refuse_chains(monkeypatch)
    chosen = [paths.fixtures_dir() / "reverse_last.json", paths.fixtures_dir() / "rnn_tanh_small.json"]
    console = _console()
    assert crosscheck(chosen, ["numpy"], 1, console, dtypes=["float64"]) == 1
    assert "this build has no chains" in " ".join(console.export_text().split())


# -- the exact kernels, bit for bit --------------------------------------------------------------------


def test_every_backend_offering_exact_is_a_target() -> None:
    from rnn_rosetta.crosscheck import targets

    chosen = targets(["numpy"], ["float64", "float32"])
    assert [t.kernel for t in chosen] == ["auto", "plain", "exact"] * 2
    assert [t.kernel for t in targets(["numpy"], ["float64"], all_kernels=False)] == ["auto"]


def _exact_run(backend: str, result: rr.Result) -> TargetRun:
    run = TargetRun(Target(backend, "exact", "float64"), label=f"{backend}[exact]")
    run.results, run.ran = {"only": result}, True
    return run


def test_a_bit_difference_is_reported_with_both_values_in_hex() -> None:
    from rnn_rosetta.crosscheck_bits import compare_exact_bits

    fixture = rr.load_fixture(paths.fixtures_dir() / "rnn_tanh_small.json")
    fixture = dataclasses.replace(fixture, cases=fixture.cases[:1])
    case = fixture.cases[0]
    mine = (
        rr.get_backend("numpy").load(fixture.model, kernel="exact").forward(case.feed, case.h0, case.c0, case.lengths)
    )
    output = mine.output.copy()  # type: ignore[union-attr]
    output[1, 0, 2] = np.nextafter(output[1, 0, 2], np.inf)  # one ulp: far inside every tolerance
    theirs = dataclasses.replace(mine, output=output)
    runs = [_exact_run("numpy", mine), _exact_run("c", theirs)]
    bits, failures = compare_exact_bits(
        dataclasses.replace(fixture, cases=(dataclasses.replace(case, name="only"),)), runs
    )
    assert [(b.first, b.second, b.cases, b.differing) for b in bits] == [("numpy[exact]", "c[exact]", 1, 1)]
    (failure,) = failures
    text = failure.describe()
    want, got = float(mine.output[1, 0, 2]), float(output[1, 0, 2])  # type: ignore[index]
    assert f"{fixture.name} / only / numpy[exact] vs c[exact] float64" in text
    assert "first bit difference at output[t=1, b=0, h=2]" in text
    assert f"{want!r} ({want.hex()}) vs {got!r} ({got.hex()})" in text and "bit-identical" in text
    record = failure.record()
    assert record["rule"] == "bit-identical" and record["index"] == [1, 0, 2]
    assert record["got_hex"] == want.hex() and record["expected_hex"] == got.hex()


def test_bits_nan_equals_any_nan_and_signed_zeros_differ() -> None:
    from rnn_rosetta.crosscheck_bits import first_bit_difference

    quiet, other = np.array([np.nan]), np.frombuffer(np.uint64(0x7FF8000000000123).tobytes(), np.float64)
    assert first_bit_difference(rr.Result(output=quiet), rr.Result(output=-other)) is None
    found = first_bit_difference(rr.Result(output=np.array([[[0.0]]])), rr.Result(output=np.array([[[-0.0]]])))
    assert found is not None and not isinstance(found, str) and found.index == (0, 0, 0)
    slots = [np.zeros((2, 3)), np.zeros((2, 1))]
    changed = [slots[0], np.array([[0.0], [1e-300]])]
    found = first_bit_difference(rr.Result(h_n=slots), rr.Result(h_n=changed))
    assert found is not None and not isinstance(found, str) and found.where() == "h_n[slot=1, b=1, h=0]"
    assert first_bit_difference(rr.Result(output=quiet), rr.Result(y=quiet)) == "fields differ: ['output'] vs ['y']"


def test_numpy_alone_says_nothing_was_compared_bit_for_bit(tmp_path: Path) -> None:
    report = tmp_path / "crosscheck.json"
    console = _console()
    path = paths.fixtures_dir() / "rnn_tanh_size1.json"
    assert crosscheck([path], ["numpy"], 1, console, dtypes=["float64"], json_out=report) == 0
    assert "fewer than two backends ran the exact kernel" in console.export_text()
    fixture = json.loads(report.read_text())["fixtures"][0]
    assert fixture["bits"] == [] and fixture["summary"][0]["exact_bits"] == "-"
    assert "numpy[exact]" in {run["label"] for run in fixture["runs"]}

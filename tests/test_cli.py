"""The command line as a person meets it: 80 columns, bare fixture names, one-line errors, folders to validate,
``describe`` and the demo of a chain."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import cli, paths
from rnn_rosetta.compare import Tolerance, compare
from rnn_rosetta.crosscheck_report import times_tolerance
from rnn_rosetta.result import Result
from tests.bad_fixtures import CATALOGUE, make
from tests.conftest import require_backend, require_torch

COMMITTED = sorted(p.stem for p in paths.fixtures_dir().glob("*.json"))
WIDTH = 80


def _cli(*args: str, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """``python -m rnn_rosetta ARGS`` as a separate process, at 80 columns, not on a terminal."""
    env = {**os.environ, "COLUMNS": str(WIDTH)}
    command = [sys.executable, "-m", "rnn_rosetta", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd, env=env)


def _assert_one_line_refusal(done: subprocess.CompletedProcess[str], *phrases: str) -> str:
    assert done.returncode == 2, f"exit {done.returncode}: {done.stderr!r}"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("rnn-rosetta: "), lines[0]
    assert "Traceback" not in done.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def _assert_fits(text: str) -> None:
    """Every line fits 80 columns and nothing was cut short with an ellipsis."""
    for line in text.splitlines():
        assert len(line) <= WIDTH, f"{len(line)} columns: {line!r}"
        assert "…" not in line and "..." not in line, line


def _ready_backends() -> list[str]:
    for name in rr.BACKENDS:
        require_backend(name)
    return list(rr.BACKENDS)


# -- the crosscheck at 80 columns ---------------------------------------------------


def test_crosscheck_summary_fits_80_columns_with_every_name_whole() -> None:
    done = _cli("crosscheck", "--backends", *_ready_backends(), "--repeats", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    _assert_fits(done.stdout)
    rows = [line.split() for line in done.stdout.splitlines()]
    named = {row[0] for row in rows if row and row[0] in COMMITTED}
    assert named == set(COMMITTED), "every fixture has a summary row, its name whole"
    for row in rows:
        if row and row[0] in COMMITTED:  # fixture, float64, ratio, "x", "tol", target, pass, bits
            # the outputs' table ends in the exact kernels' bits ("-": no case); the gradients' table in pass
            assert row[1] == "float64" and (row[-2:] in (["pass", "same"], ["pass", "-"]) or row[-1] == "pass"), row
    assert "all agree" in done.stdout
    assert "Traceback" not in done.stderr and "crosscheck " not in done.stderr, "no progress bar off a terminal"


def test_crosscheck_verbose_fits_80_columns_with_every_target_whole() -> None:
    done = _cli("crosscheck", "--verbose", "--backends", *_ready_backends(), "--repeats", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    _assert_fits(done.stdout)
    for label in ("c[portable]", "java[plain]", "float32 tol: |got - expected| <= 1e-05 + 0.0001 * |expected|"):
        assert label in done.stdout
    assert "c[portable] vs java[plain]" in done.stdout
    for name in COMMITTED:
        assert re.search(rf"^{name}: oracle \S+ \(float(32|64)\), \d+ cases", done.stdout, re.MULTILINE), name


def _wrong_expected_fixture(folder: Path) -> tuple[Path, float]:
    """gru_small with one expected value moved by 1e-6 (1e6 times its tolerance); that value."""
    document = json.loads((paths.fixtures_dir() / "gru_small.json").read_text())
    document["cases"][1]["expected"]["output"][2][1][3] += 1e-6
    path = folder / "gru_small.json"
    path.write_text(json.dumps(document))
    return path, document["cases"][1]["expected"]["output"][2][1][3]


def test_a_wrong_expected_value_fails_with_one_record_naming_everything(tmp_path: Path) -> None:
    path, wrong = _wrong_expected_fixture(tmp_path)
    report = tmp_path / "report.json"
    done = _cli("crosscheck", str(path), "--backends", "numpy", "--repeats", "1", "--json", str(report))
    assert done.returncode == 1, done.stdout + done.stderr
    _assert_fits(done.stdout)
    records, current = [], None  # a record is a "FAIL ..." line and its indented continuation lines
    for line in done.stdout.splitlines():
        if line.startswith("FAIL "):
            current = [line]
            records.append(current)
        elif current is not None and line.startswith("    "):
            current.append(line.strip())
        else:
            current = None
    texts = [" ".join(record) for record in records]
    assert texts and all(text.startswith("FAIL gru_small / given_state / numpy") for text in texts), texts
    text = texts[0]
    assert "vs expected float64" in text and "output[t=2, b=1, h=3]" in text, text
    assert f"expected {wrong!r}" in text, text
    assert "|got - expected| <= 1e-13 + 1e-12 * |expected|" in text, text
    got = float(re.search(r"got (\S+),", text).group(1))  # type: ignore[union-attr]
    assert abs(got - (wrong - 1e-6)) < 1e-12, "the backend's value is the oracle's, not the moved one"
    summary = next(line for line in done.stdout.splitlines() if line.startswith("gru_small "))
    assert summary.split()[1] == "float64" and summary.split()[-2] == "FAIL"  # then the exact kernels' bits
    ratio = float(re.search(r"([\d.e+]+)x tol", summary).group(1))  # type: ignore[union-attr]
    assert 1.3e6 < ratio < 1.4e6, summary  # 1e-6 / (1e-13 + 1e-12 * 0.634)

    document = json.loads(report.read_text())
    assert document["ok"] is False
    failure = document["failures"][0]
    assert failure["fixture"] == "gru_small" and failure["case"] == "given_state"
    assert failure["sides"][1] == "expected" and failure["dtype"] == "float64"
    assert (failure["field"], failure["index"], failure["axes"]) == ("output", [2, 1, 3], ["t", "b", "h"])
    assert failure["expected"] == wrong and abs(failure["got"] - (wrong - 1e-6)) < 1e-12


def test_crosscheck_json_to_stdout_is_pure_json(tmp_path: Path) -> None:
    done = _cli("crosscheck", "rnn_tanh_size1", "--backends", "numpy", "--repeats", "1", "--json", "-")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["format"] == "rnn-rosetta-crosscheck" and document["ok"] is True
    assert [f["name"] for f in document["fixtures"]] == ["rnn_tanh_size1"]
    assert "all agree" in done.stderr


def test_ratio_to_the_tolerance_and_ulps_in_the_oracles_precision() -> None:
    """Worked by hand: |1.05 - 1| / (0.1 + 0 * 1) = 0.5; a float64 value is 0 float32 ulps from its rounding."""
    tolerance = Tolerance(rtol=0.0, atol=0.1)
    expected = Result(output=np.array([[[1.0]]]), h_n=np.array([[[0.0]]]))
    got = Result(output=np.array([[[1.05]]]), h_n=np.array([[[0.0]]]))
    comparison = compare(got, expected, tolerance)
    assert comparison.ok and comparison.max_ratio == pytest.approx(0.5)
    assert times_tolerance(comparison.max_ratio) == "0.50x tol" and times_tolerance(0.02) == "0.02x tol"

    exact = 0.1  # not a float32: its float32 rounding differs by ~1.5e-9
    rounded = float(np.float32(exact))
    next_up = float(np.nextafter(np.float32(exact), np.float32(1)))
    oracle32 = Result(output=np.array([[[rounded]]]), h_n=np.array([[[rounded]]]))
    run64 = Result(output=np.array([[[exact]]]), h_n=np.array([[[next_up]]]))
    wide = Tolerance(rtol=1e-5, atol=1e-6)
    assert compare(run64, oracle32, wide, "float32").max_ulp == 1  # h_n: one float32 step; output: 0
    assert compare(run64, oracle32, wide, "float64").max_ulp > 2**28  # the unit the report must not use


# -- one-line errors, never a traceback ---------------------------------------------


def test_run_out_to_a_folder_is_one_line(tmp_path: Path) -> None:
    _assert_one_line_refusal(_cli("run", "gru_cho", "--out", str(tmp_path)), str(tmp_path), "cannot write")


def test_run_out_to_an_unwritable_path_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    target = blocker / "out.json"  # a path below a file cannot be created, even by root
    _assert_one_line_refusal(_cli("run", "gru_cho", "--out", str(target)), str(target), "cannot write")


def test_crosscheck_json_to_a_folder_is_refused_before_running(tmp_path: Path) -> None:
    done = _cli("crosscheck", "gru_cho", "--backends", "numpy", "--json", str(tmp_path))
    _assert_one_line_refusal(done, str(tmp_path))
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        ([], "required"),
        (["frobnicate"], "invalid choice"),
        (["run"], "run: the following arguments are required: fixture"),
        (["run", "gru_cho", "--backend", "fortran"], "invalid choice"),
        (["crosscheck", "--repeats", "0"], "--repeats must be at least 1"),
        (["bench", "--no-such-option"], "unrecognized arguments"),
    ],
)
def test_usage_errors_are_one_line(argv: list[str], phrase: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        status = cli.main(argv)
        raise SystemExit(status)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("rnn-rosetta: ") and phrase in err, err


def test_an_unexpected_error_is_one_line_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("something nobody planned for")

    monkeypatch.setattr(cli, "_cmd_backends", broken)
    monkeypatch.delenv("RR_DEBUG", raising=False)
    assert cli.main(["backends"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RuntimeError: something nobody planned for" in err and "RR_DEBUG=1" in err


def test_bench_cli_does_not_import_the_main_cli() -> None:
    code = "import sys, rnn_rosetta.bench.cli; print('rnn_rosetta.cli' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"


# -- fixtures by name ---------------------------------------------------------------------


def test_a_bare_name_finds_the_committed_fixture(tmp_path: Path) -> None:
    by_name = _cli("run", "gru_cho", cwd=tmp_path)
    by_path = _cli("run", str(paths.fixtures_dir() / "gru_cho.json"), cwd=tmp_path)
    assert by_name.returncode == 0, by_name.stderr
    assert json.loads(by_name.stdout) == json.loads(by_path.stdout)
    assert json.loads(by_name.stdout)["fixture"] == "gru_cho"
    demo = _cli("demo", "gru_cho", cwd=tmp_path)
    assert demo.returncode == 0 and demo.stdout.startswith("rnn-rosetta demo: gru_cho\n"), demo.stderr
    validate = _cli("validate", "gru_cho", "lstm_small.json", cwd=tmp_path)
    assert validate.returncode == 0 and validate.stdout.count(": ok: ") == 2, validate.stderr
    check = _cli("crosscheck", "gru_cho", "lstm_small", "--backends", "numpy", "--repeats", "1", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "2 fixtures" in check.stdout


def test_a_file_in_the_working_directory_wins_over_the_committed_one(tmp_path: Path) -> None:
    document = json.loads((paths.fixtures_dir() / "gru_cho.json").read_text())
    document["name"] = "my_local_copy"
    (tmp_path / "gru_cho.json").write_text(json.dumps(document))
    done = _cli("run", "gru_cho.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["fixture"] == "my_local_copy"


def test_an_unknown_name_lists_close_ones(tmp_path: Path) -> None:
    line = _assert_one_line_refusal(_cli("demo", "gru_ch", cwd=tmp_path), "gru_ch", str(paths.fixtures_dir()))
    assert "close names: " in line and "gru_cho" in line.split("close names: ")[1]


# -- validate: files and folders, every bad file ------------------------------------------


def test_validate_reports_every_bad_file_in_a_folder_tree(tmp_path: Path) -> None:
    bads = CATALOGUE[:3]
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    (tmp_path / "good.json").write_bytes((paths.fixtures_dir() / "lstm_small.json").read_bytes())
    (tmp_path / "notes.txt").write_text("not a fixture, not a *.json: ignored")
    written = []
    for index, bad in enumerate(bads):
        path = tmp_path / ("nested" if index % 2 else "nested/deeper") / f"{bad.name}.json"
        path.write_bytes(make(bad))
        written.append((path, bad))
    done = _cli("validate", str(tmp_path), "gru_small", str(tmp_path / "missing.json"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    errors = done.stderr.strip().splitlines()
    assert len(errors) == len(bads) + 1, errors  # each bad file and the missing one
    for path, bad in written:
        line = next((e for e in errors if e.startswith(f"rnn-rosetta: {path}: ")), None)
        assert line is not None and bad.path in line, (path, errors)
    assert any(str(tmp_path / "missing.json") in e for e in errors)
    assert done.stdout.count(": ok: ") == 2
    assert done.stdout.strip().splitlines()[-1] == f"checked {len(bads) + 3}: 2 ok, {len(bads) + 1} bad"


def test_validate_a_good_folder_exits_0() -> None:
    done = _cli("validate", str(paths.fixtures_dir()))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok: ") == len(COMMITTED)
    assert done.stdout.strip().splitlines()[-1] == f"checked {len(COMMITTED)}: {len(COMMITTED)} ok, 0 bad"


def test_validate_an_empty_folder_is_refused(tmp_path: Path) -> None:
    _assert_one_line_refusal(_cli("validate", str(tmp_path)), str(tmp_path), "no *.json")


def test_a_backend_that_cannot_load_fails_the_crosscheck_by_name() -> None:
    missing = "/nonexistent/librnn_rosetta.so"  # short: a path longer than a line is folded mid-word
    env = {**os.environ, "COLUMNS": str(WIDTH), "RR_C_LIBRARY": str(missing)}
    command = [
        sys.executable,
        "-m",
        "rnn_rosetta",
        "crosscheck",
        "gru_cho",
        "--backends",
        "numpy",
        "c",
        "--repeats",
        "1",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    _assert_fits(done.stdout)
    assert re.search(r"^gru_cho\s+float64\s+did not run\s+c\[auto\]\s+FAIL", done.stdout, re.MULTILINE), done.stdout
    assert f"FAIL gru_cho / c[auto] vs expected float64: c: {missing}" in done.stdout.replace("\n    ", " ")


# -- describe: the chain, every shape, parameters per part ---------------------------------------------


def _torch_parameter_counts(chain: rr.Chain) -> list[int] | None:
    """The parameters of the same model built from PyTorch modules, part by part; None where torch has no twin."""
    torch = require_torch()
    counts = []
    if chain.embedding is not None:
        counts.append(sum(p.numel() for p in torch.nn.Embedding(*chain.embedding.weight.shape).parameters()))
    for layer in chain.layers:
        if layer.peepholes:
            return None  # PyTorch has no peepholes
        kind = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[layer.cell]
        options = {"proj_size": layer.proj_size} if layer.cell == "lstm" else {}
        both = layer.direction == "bidirectional"  # a reverse-only layer has the parameters of one direction
        module = kind(layer.input_size, layer.hidden_size, bidirectional=both, **options)
        counts.append(sum(p.numel() for p in module.parameters()))
    for dense in chain.dense:
        linear = torch.nn.Linear(int(dense.weight.shape[1]), dense.size)
        counts.append(sum(p.numel() for p in linear.parameters()))
    return counts


@pytest.mark.parametrize("name", COMMITTED)
def test_describe_counts_parameters_as_torch_does(name: str) -> None:
    from rnn_rosetta.describe import as_chain

    done = _cli("describe", name)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    fixture = rr.load_fixture(paths.fixtures_dir() / f"{name}.json")
    chain = as_chain(fixture.model)
    assert lines[0].startswith(f"fixture: {name}, format version ") and f"chain: {chain.describe()}" in lines
    printed = []
    for label, _ in chain.parameter_counts():
        line = next(line for line in lines if line.startswith(f"  {label} "))
        printed.append(int(line.split()[-1].replace(",", "")))
    total = next(line for line in lines if line.startswith("  total "))
    assert int(total.split()[-1].replace(",", "")) == sum(printed)
    expected = _torch_parameter_counts(chain)
    if expected is not None:
        assert printed == expected
    for line in lines:
        if not line.startswith(("chain: ", "model: ")):  # one line each, as long as the model
            assert len(line) <= WIDTH, line
    shapes = "\n".join(lines)
    for index, layer in enumerate(chain.layers):
        assert f"layers[{index}] {layer.cell}" in shapes
        for _, weights in layer.layers[0].directions():
            for key, array in weights.arrays().items():
                assert f"{key} [{', '.join(map(str, array.shape))}]" in shapes, (index, key)


def test_describe_a_missing_fixture_is_one_line(tmp_path: Path) -> None:
    _assert_one_line_refusal(_cli("describe", "gru_ch", cwd=tmp_path), "gru_ch", "close names: ")


# -- demo: version 2 fixtures (docs/demo-output.md) -----------------------------------------------------

V2_COMMITTED = [
    name for name in COMMITTED if isinstance(rr.load_fixture(paths.fixtures_dir() / f"{name}.json").model, rr.Chain)
]


@pytest.mark.parametrize("name", V2_COMMITTED)
def test_the_python_demo_of_a_chain_follows_the_format(name: str) -> None:
    from rnn_rosetta.demo import demo_lines, norm

    fixture = rr.load_fixture(paths.fixtures_dir() / f"{name}.json")
    chain = fixture.model
    lines = demo_lines(fixture, rr.get_backend("numpy").load(chain))
    assert lines[0] == f"rnn-rosetta demo: {name}"
    assert lines[1].startswith(f"model: chain input={chain.input_size} layers={len(chain.layers)} readout=")
    case = fixture.cases[0]
    given = case.x if case.tokens is None else case.tokens
    length = given.shape[0] if case.lengths is None else int(case.lengths[0])
    assert lines[2] == f"case: {case.name} (batch element 0 of {given.shape[1]}, {length} steps, forward mode)"
    rows = lines[4 : 4 + length]
    assert [int(row.split()[0]) for row in rows] == list(range(length))
    # |h| against the backend's own output on the whole batch: padding never reaches element 0's first L0 steps
    whole = rr.get_backend("numpy").load(chain).forward(given, case.h0, case.c0, case.lengths)
    for t, row in enumerate(rows):
        assert row.split()[3] == "%.6f" % norm(whole.output[t, 0])
    assert lines[4 + length].startswith("final: |h_n|=")
    has_last = chain.readout == "last" and chain.y_size is not None
    assert len(lines) == 5 + length + int(has_last)
    if has_last:
        assert lines[-1].startswith("last: class=")


def test_run_prints_a_chain_with_slots_of_different_sizes(tmp_path: Path) -> None:
    """gru_bidirectional_merges: h_n is one list per slot ([B, 5], [B, 5], [B, 4], ...), as JSON lists."""
    done = _cli("run", "gru_bidirectional_merges", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    fixture = rr.load_fixture(paths.fixtures_dir() / "gru_bidirectional_merges.json")
    for case, printed in zip(fixture.cases, document["cases"], strict=True):
        widths = [len(slot[0]) for slot in printed["h_n"]]
        assert widths == list(fixture.model.state_sizes)
        expected = case.expected.output
        assert np.allclose(np.asarray(printed["output"]), expected, rtol=1e-9, atol=1e-12)

"""The benchmark harness: a smoke run on one tiny shape, runs on fixtures' models, and its pure parts.

Nothing here asserts a speed: timings depend on the machine and its load.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from rnn_rosetta.bench.cli import main
from rnn_rosetta.bench.contenders import CONTENDERS, NotAvailable
from rnn_rosetta.bench.fixture_cells import load_job, prepare_for_fixture
from rnn_rosetta.bench.goals import GOALS, evaluate_goals
from rnn_rosetta.bench.probes import Probes
from rnn_rosetta.bench.report import goal_lines, render
from rnn_rosetta.bench.roofline import floor_seconds, input_flops, recurrent_weight_bytes
from rnn_rosetta.bench.shapes import MAIN_SHAPES, build_model, parse_shape, select_shapes
from rnn_rosetta.fixture_files import resolve_fixture
from tests.conftest import skip_or_fail

TINY = "lstm-8-1-4"
CELL_KEYS = {"shape", "group", "dtype", "threads", "contender", "ours", "status", "reason"}
TIMING_KEYS = {"median_s", "q1_s", "q3_s", "min_s", "max_s", "spread", "repeats", "inner", "samples_s"}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One real run: the tiny shape, 1 repeat, 1 thread (a worker subprocess), both dtypes."""
    out = tmp_path_factory.mktemp("bench")
    capture = pytest.MonkeyPatch()
    lines: list[str] = []
    capture.setattr("sys.stdout", _Tee(lines))
    try:
        status = main(["--quick", "--shapes", TINY, "--repeats", "1", "--threads", "1", "--out", str(out)])
    finally:
        capture.undo()
    assert status == 0
    return out, "".join(lines)


class _Tee:
    """A stand-in for stdout that keeps what is written."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def write(self, text: str) -> int:
        self.lines.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def test_json_structure(smoke: tuple[Path, str]) -> None:
    document = json.loads((smoke[0] / "bench.json").read_text("utf-8"))
    assert document["schema"] == "rnn-rosetta-bench/1"
    for key in ("plan", "machine", "shapes", "workers", "probes", "cells", "bridges", "goals"):
        assert key in document
    assert [s["name"] for s in document["shapes"]] == [TINY]
    contenders = document["plan"]["contenders"]
    assert len(document["cells"]) == 2 * len(contenders)  # two dtypes
    for cell in document["cells"]:
        assert cell.keys() >= CELL_KEYS
        assert cell["status"] in ("ok", "n/a"), cell  # "error" would be a bug somewhere
        if cell["status"] == "ok":
            assert cell.keys() >= TIMING_KEYS
            assert cell["repeats"] == 1 and len(cell["samples_s"]) == 1
            assert cell["check"]["ok"], cell  # every contender computed the same h_n
        else:
            assert cell["reason"]
    numpy64 = next(c for c in document["cells"] if c["contender"] == "numpy" and c["dtype"] == "float64")
    assert numpy64["status"] == "ok"
    assert {row["bridge"] for row in document["bridges"]} <= {"call", "handover"}
    assert len(document["goals"]) == len(GOALS)
    assert document["backward"] == [] and document["plan"]["backward"] is False  # fwd+bwd only with --backward


def test_table_png_and_goal_lines(smoke: tuple[Path, str]) -> None:
    out, printed = smoke
    assert "float64, 1 thread: median time per forward call" in printed
    assert TINY in printed
    for text, _, _ in GOALS:
        assert text in printed
    document = json.loads((out / "bench.json").read_text("utf-8"))
    for line in goal_lines(document):
        assert line.split()[0] in ("PASS", "MISS", "INCOMPLETE", "N/A")


def test_png(smoke: tuple[Path, str]) -> None:
    if importlib.util.find_spec("matplotlib") is None:
        skip_or_fail("matplotlib is not installed (pip install matplotlib)")
    assert (smoke[0] / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_rerenders_saved_json(smoke: tuple[Path, str], tmp_path: Path) -> None:
    saved = tmp_path / "bench.json"
    saved.write_text((smoke[0] / "bench.json").read_text("utf-8"), "utf-8")
    assert main(["--report", str(saved)]) == 0


def test_shapes_are_the_issues() -> None:
    labels = [s.label for s in MAIN_SHAPES]
    assert "LSTM 512/32/25" in labels and "2-layer LSTM 128/1/100" in labels and len(labels) == 12
    assert parse_shape("lstm-128-1-100-x2").layers == 2
    assert parse_shape("gru-3-2-5").group == "custom"
    assert len(select_shapes(["main", "lstm-512-32-25"])) == 12
    assert build_model(parse_shape("gru-4-1-2")).linear_before_reset
    with pytest.raises(ValueError, match="unknown shape"):
        parse_shape("lstm-512")


def test_roofline_floor() -> None:
    shape = parse_shape("lstm-256-1-150")
    assert recurrent_weight_bytes(shape, "float32") == 4 * 256 * 256 * 4
    probes = Probes(peak_gflops={"float32": 100.0}, read_gbps={4 * 256 * 256 * 4: 50.0})
    expected = 150 * 4 * 256 * 256 * 4 / 50e9 + input_flops(shape) / 100e9
    assert floor_seconds(shape, "float32", probes) == pytest.approx(expected)
    assert floor_seconds(shape, "float64", probes) is None  # no probe for it: n/a


def _document(c_time: float, c_status: str = "ok") -> dict[str, object]:
    """A made-up result: one main shape, float64 only, C against PyTorch."""
    shape = parse_shape("lstm-512-1-25")
    cells = []
    for contender, median in (("c", c_time), ("torch", 1.0), ("torch-native", 1.0), ("numpy", 1.2), ("java", 1.3)):
        status = c_status if contender == "c" else "ok"
        cell = {"shape": shape.name, "dtype": "float64", "threads": 1, "contender": contender, "status": status}
        if status == "ok":
            cell.update(median_s=median, ratio_to_best_peer=median / 1.0, best_peer="torch", spread=0.0)
        else:
            cell["reason"] = "not built"
        cells.append(cell)
    return {
        "plan": {"dtypes": ["float64"], "threads": [1], "contenders": ["c", "java", "numpy", "torch", "torch-native"]},
        "shapes": [shape.to_json()],
        "cells": cells,
    }


def test_goal_verdicts() -> None:
    fast = {g["goal"][:20]: g["status"] for g in evaluate_goals(_document(0.9))}
    slow = {g["goal"][:20]: g["status"] for g in evaluate_goals(_document(1.1))}
    missing = {g["goal"][:20]: g["status"] for g in evaluate_goals(_document(0.9, "n/a"))}
    first, java = GOALS[0][0][:20], GOALS[3][0][:20]
    assert fast[first] == "INCOMPLETE"  # float32 was not run
    assert slow[first] == "MISS"
    assert missing[first] == "N/A"
    assert fast[java] == "PASS" and slow[java] == "PASS"  # 1.3 / 1.1 and 1.3 / 0.9 are within 1.5x
    assert GOALS[4][0][:20] in fast


def test_render_made_up_document() -> None:
    document = _document(0.9)
    document.update(
        machine={"cpu": "test", "cores": 2, "platform": "test"},
        workers=[{"threads": 1, "versions": {"numpy": "x"}, "elapsed_s": 1.0}],
        probes={"reason": "no probes here"},
        bridges=[],
    )
    document["goals"] = evaluate_goals(document)
    console = Console(record=True, width=200)
    render(document, console)
    text = console.export_text()
    assert "lstm-512-1-25" in text and "roofline probes: n/a" in text
    assert all(goal in text for goal, _, _ in GOALS)


# -- bench --fixture: a fixture's model (v2 chains here) -------------------------------------------

#: The committed fixtures run end to end, and the answer each one's check compares.
FIXTURE_RUNS: dict[str, str] = {"seq_classifier": "y", "gru_bidirectional_merges": "output"}


def _run_quiet(argv: list[str]) -> tuple[int, str]:
    capture = pytest.MonkeyPatch()
    lines: list[str] = []
    capture.setattr("sys.stdout", _Tee(lines))
    try:
        status = main(argv)
    finally:
        capture.undo()
    return status, "".join(lines)


@pytest.fixture(scope="module", params=list(FIXTURE_RUNS))
def fixture_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict, str]:
    """``bench --quick --fixture NAME`` at 1 thread, both dtypes: (name, bench.json, what it printed)."""
    name = request.param
    out = tmp_path_factory.mktemp(f"bench-{name}")
    status, printed = _run_quiet(["--quick", "--fixture", name, "--threads", "1", "--out", str(out)])
    assert status == 0
    return name, json.loads((out / "bench.json").read_text("utf-8")), printed


def test_fixture_run_has_a_row_per_contender(fixture_run: tuple[str, dict, str]) -> None:
    name, document, printed = fixture_run
    assert document["plan"]["fixtures"] and document["plan"]["shapes"] == []
    [shape] = document["shapes"]
    assert shape["name"] == name and shape["group"] == "fixture" and shape["format_version"] == 2
    assert shape["checked_field"] == FIXTURE_RUNS[name]
    assert document["goals"] == [] and document["bridges"] == []
    cells = {(c["contender"], c["dtype"]): c for c in document["cells"]}
    assert set(cells) == {(c, d) for c in CONTENDERS for d in ("float32", "float64")}
    for cell in cells.values():
        assert cell["shape"] == name and cell["threads"] == 1
        assert cell["status"] in ("ok", "n/a"), cell  # "error" would be a bug somewhere
        if cell["status"] == "ok":
            assert cell["median_s"] > 0 and len(cell["samples_s"]) == cell["repeats"] >= 1
            check = cell["check"]  # the agreement check ran, before the timing, for every timed contender
            assert check["vs"] == "numpy float64" and check["field"] == FIXTURE_RUNS[name]
            assert check["ok"] and check["max_abs"] <= check["tolerance"], cell
        else:
            assert cell["reason"]
    for contender in ("numpy", "c", "java"):  # ours run every chain in both dtypes
        assert cells[(contender, "float64")]["status"] == "ok", cells[(contender, "float64")]
    assert cells[("onnxruntime", "float64")]["status"] == "n/a"
    assert f"fixture {name} (v2, B=" in printed and "all agree" in printed
    assert "float32, 1 thread: median time per forward call" in printed


def test_fixture_run_torch_and_onnxruntime_take_part(fixture_run: tuple[str, dict, str]) -> None:
    _, document, _ = fixture_run
    cells = {(c["contender"], c["dtype"]): c for c in document["cells"]}
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("onnxruntime") is None:
        skip_or_fail("PyTorch and ONNX Runtime are both needed here")
    for key in (("torch", "float64"), ("torch-native", "float32"), ("onnxruntime", "float32")):
        assert cells[key]["status"] == "ok" and cells[key]["check"]["ok"], cells[key]


def test_fixture_sizes_and_seeded_inputs() -> None:
    job = load_job(resolve_fixture("char_model"), batch=4, steps=7)
    tokens = job.inputs("float32")
    assert tokens.shape == (7, 4) and tokens.dtype == np.int64
    assert np.array_equal(tokens, job.inputs("float64"))  # seeded: the same every time
    chain = job.chain
    assert chain.embedding is not None and tokens.min() >= 0 and tokens.max() < chain.embedding.vocab_size
    default = load_job(resolve_fixture("stack_64_32_softmax"))
    x = default.inputs("float32")
    assert x.dtype == np.float32 and x.shape == (default.steps, default.batch, default.chain.input_size)


@pytest.mark.parametrize(
    ("name", "contender", "words"),
    [
        ("gru_cho", "torch", "linear-before-reset only"),
        ("lstm_peepholes", "torch-native", "no peepholes"),
        ("rnn_clip", "torch", "no clip"),
        ("lstm_projection", "onnxruntime", "refuses this model"),
    ],
)
def test_fixture_peers_say_what_they_cannot_run(name: str, contender: str, words: str) -> None:
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("onnx") is None:
        skip_or_fail("PyTorch and onnx are both needed here")
    job = load_job(resolve_fixture(name))
    with pytest.raises(NotAvailable, match=words):
        prepare_for_fixture(contender, job, "float32", 1, job.inputs("float32"))


def test_fixture_that_does_not_exist(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["--fixture", "no_such_fixture_anywhere", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no_such_fixture_anywhere" in err
    assert not (tmp_path / "bench.json").exists()


def test_fixture_options_go_together(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--fixture", "char_model", "--shapes", "main"]) == 2
    assert main(["--batch", "4"]) == 2
    assert main(["--fixture", "char_model", "--length", "0"]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 3

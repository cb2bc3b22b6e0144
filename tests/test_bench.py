"""The benchmark harness: a smoke run on one tiny shape, and its pure parts.

Nothing here asserts a speed: timings depend on the machine and its load.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from rich.console import Console

from rnn_rosetta.bench.cli import main
from rnn_rosetta.bench.goals import GOALS, evaluate_goals
from rnn_rosetta.bench.probes import Probes
from rnn_rosetta.bench.report import goal_lines, render
from rnn_rosetta.bench.roofline import floor_seconds, input_flops, recurrent_weight_bytes
from rnn_rosetta.bench.shapes import MAIN_SHAPES, build_model, parse_shape, select_shapes
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

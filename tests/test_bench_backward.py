"""``bench --backward``: the forward + backward rows (ours and PyTorch autograd), smoke run and pure parts.

Nothing here asserts a speed: timings depend on the machine and its load. The gradients each row
computed are checked against PyTorch autograd's (an independent implementation) inside the run.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from rnn_rosetta.backends.c_backend import CChainNet
from rnn_rosetta.backends.numpy_chain import NumpyChainNet
from rnn_rosetta.bench.backward_cells import (
    BACKWARD_CONTENDERS,
    CHECKED_PATH,
    build_d_output,
    measure_backward_cells,
)
from rnn_rosetta.bench.cli import main
from rnn_rosetta.bench.plan import QUICK_POLICY, make_plan
from rnn_rosetta.bench.report import backward_table, render
from rnn_rosetta.bench.results import add_torch_ratios
from rnn_rosetta.bench.shapes import build_model, parse_shape
from rnn_rosetta.bench.worker import backward_shapes
from tests.conftest import skip_or_fail
from tests.test_bench import _run_quiet

TINY = "gru-8-2-4"
OURS = ("numpy", "c", "java")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, Path]:
    """One real ``bench --quick --backward`` on a tiny shape, 1 thread, both dtypes, 1 repeat."""
    out = tmp_path_factory.mktemp("bench-backward")
    argv = ["--quick", "--backward", "--shapes", TINY, "--threads", "1", "--repeats", "1", "--no-bridges"]
    status, printed = _run_quiet([*argv, "--out", str(out)])
    assert status == 0
    return json.loads((out / "bench.json").read_text("utf-8")), printed, out


def test_every_backend_has_a_backward_row(run: tuple[dict, str, Path]) -> None:
    document, _, _ = run
    assert document["plan"]["backward"] is True
    rows = {(c["contender"], c["dtype"]): c for c in document["backward"]}
    assert set(rows) == {(name, dtype) for name in BACKWARD_CONTENDERS for dtype in ("float32", "float64")}
    for cell in rows.values():
        assert cell["shape"] == TINY and cell["threads"] == 1 and cell["pass"] == "fwd+bwd"
        assert cell["status"] in ("ok", "n/a"), cell  # "error" would be a bug somewhere
        if cell["status"] == "n/a":
            assert cell["reason"]
            continue
        assert cell["median_s"] > 0 and cell["repeats"] == 1 and cell["first_call_s"] > 0
        check = cell["check"]
        assert check["field"] == CHECKED_PATH and check["ok"], cell  # the same dL/dW_hh as the reference
    for name in OURS:  # the three backends have backward passes now: timed, in both dtypes
        assert rows[(name, "float64")]["status"] == "ok", rows[(name, "float64")]
        assert rows[(name, "float32")]["status"] == "ok", rows[(name, "float32")]
    if importlib.util.find_spec("torch") is None:
        skip_or_fail("PyTorch is needed for the autograd rows")
    for dtype in ("float32", "float64"):
        torch = rows[("torch", dtype)]
        assert torch["status"] == "ok" and torch["ratio_to_torch"] == pytest.approx(1.0)
        for name in OURS:
            ours = rows[(name, dtype)]
            assert ours["check"]["vs"] == "torch"
            assert ours["ratio_to_torch"] == pytest.approx(ours["median_s"] / torch["median_s"])


def test_table_json_and_png(run: tuple[dict, str, Path]) -> None:
    document, printed, out = run
    for dtype in ("float32", "float64"):
        assert f"fwd+bwd, {dtype}, 1 thread: median time per forward + backward" in printed
    assert "c x torch" in printed and "java 1st call" in printed and "c ÷ fwd" in printed
    assert "bridge costs" not in printed
    assert len(document["cells"]) > 0  # the forward rows are still there
    if importlib.util.find_spec("matplotlib") is not None:
        assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["--report", str(out / "bench.json")]) == 0  # a saved run re-renders


def test_backend_without_backward_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """A net whose ``supports_backward`` is False is n/a with that reason, never left out."""
    monkeypatch.setattr(NumpyChainNet, "supports_backward", False)
    shape = parse_shape("rnn-4-1-3")
    cells = measure_backward_cells(shape, build_model(shape), "float64", 1, ("numpy", "c"), QUICK_POLICY)
    by_name = {c["contender"]: c for c in cells}
    assert set(by_name) == {"numpy", "c"}
    assert by_name["numpy"]["status"] == "n/a" and "supports_backward is False" in by_name["numpy"]["reason"]
    assert by_name["c"]["status"] == "ok" and by_name["c"]["median_s"] > 0
    document = {
        "plan": {"dtypes": ["float64"], "threads": [1], "contenders": ["numpy", "c"]},
        "cells": [],
        "backward": cells,
    }
    console = Console(record=True, width=200)
    console.print(backward_table(document, "float64", 1))
    text = console.export_text()
    assert "rnn-4-1-3" in text and "n/a" in text


def test_onnxruntime_has_no_backward_row() -> None:
    shape = parse_shape("lstm-4-1-2")
    cells = measure_backward_cells(shape, build_model(shape), "float64", 1, ("onnxruntime", "c"), QUICK_POLICY)
    assert [c["contender"] for c in cells] == ["c"]


def test_wrong_gradient_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is live: a backend whose dL/dW_hh is off gets ok False (and the report says so)."""
    original = CChainNet.backward

    def skewed(self: CChainNet, *args: object, **kwargs: object) -> object:
        grads = original(self, *args, **kwargs)
        grads.weights[CHECKED_PATH][0, 0] += 1e-3
        return grads

    monkeypatch.setattr(CChainNet, "backward", skewed)
    shape = parse_shape("lstm-4-1-3")
    cells = measure_backward_cells(shape, build_model(shape), "float64", 1, ("c", "numpy"), QUICK_POLICY)
    by_name = {c["contender"]: c for c in cells}
    assert by_name["numpy"]["check"]["ok"] and by_name["c"]["check"]["vs"] == "numpy"  # numpy: the reference here
    assert not by_name["c"]["check"]["ok"]
    assert by_name["c"]["check"]["max_abs"] == pytest.approx(1e-3)


def test_d_output_is_seeded_and_ratios_are_to_torch() -> None:
    shape = parse_shape("lstm-4-2-3")
    d32, d64 = build_d_output(shape, "float32"), build_d_output(shape, "float64")
    assert d64.shape == (3, 2, 4) and d32.dtype == np.float32
    assert np.array_equal(d64, build_d_output(shape, "float64")) and np.allclose(d32, d64, atol=1e-6)
    cells = [
        {"shape": "s", "dtype": "float64", "threads": 1, "contender": name, "status": "ok", "median_s": t}
        for name, t in (("torch", 2.0), ("c", 1.0), ("java", 3.0))
    ]
    cells.append({"shape": "s", "dtype": "float32", "threads": 1, "contender": "c", "status": "ok", "median_s": 1.0})
    add_torch_ratios(cells)
    assert [c.get("ratio_to_torch") for c in cells] == [1.0, 0.5, 1.5, None]  # no torch in float32: no ratio


def test_plan_options() -> None:
    plan = make_plan(backward=True)
    assert plan.backward and "lstm-512-32-25" in plan.shapes
    assert [s.group for s in backward_shapes(plan)] == ["main"] * 12  # the growth sweep is forward only
    assert backward_shapes(make_plan(shapes=["growth"], backward=True))[0].group == "growth"
    assert not make_plan().backward
    with pytest.raises(ValueError, match="--backward"):
        make_plan(fixtures=["x.json"], backward=True)


def _saved_document() -> dict:
    """A minimal whole document with no backward rows."""
    return {
        "plan": {"dtypes": ["float64"], "threads": [1], "contenders": ["c"]},
        "machine": {"cpu": "test", "cores": 2, "platform": "test"},
        "workers": [{"threads": 1, "versions": {"numpy": "x"}, "elapsed_s": 1.0}],
        "probes": {"reason": "no probes here"},
        "shapes": [parse_shape("lstm-4-1-2").to_json()],
        "cells": [],
        "bridges": [],
        "goals": [],
    }


def test_render_without_backward_key() -> None:
    """A bench.json from before ``--backward`` (no ``backward`` key) still renders, with no fwd+bwd table."""
    document = {"plan": {"dtypes": ["float64"], "threads": [1]}, "cells": []}
    assert backward_table(document, "float64", 1) is None
    console = Console(record=True, width=200)
    render({**_saved_document(), "backward": None}, console)
    assert "fwd+bwd" not in console.export_text()

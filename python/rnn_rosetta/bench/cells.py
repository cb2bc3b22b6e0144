"""One measurement group: every contender on one (shape, dtype) at one thread count -> cells.

A cell is a JSON-ready dict: the shape, dtype, threads and contender, a
status (``ok``, ``n/a`` with the reason, or ``error`` with the message), the
timing summary (:meth:`rnn_rosetta.bench.timing.Timing.summary`), what the
contender reported about itself, and a sanity check of its final state
against a peer's (so a fast but wrong path cannot win unseen).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rnn_rosetta.bench.contenders import NotAvailable, Prepared, follows_threads, is_ours, prepare
from rnn_rosetta.bench.shapes import Shape, build_input
from rnn_rosetta.bench.timing import TimingPolicy, measure
from rnn_rosetta.errors import BackendUnavailable, InputError
from rnn_rosetta.model import Model

#: Largest |h_n - reference h_n| accepted as "the same answer" per dtype.
CHECK_TOLERANCE: dict[str, float] = {"float32": 1e-3, "float64": 1e-8}
#: Whose final state the others are checked against, first available.
CHECK_REFERENCES: tuple[str, ...] = ("torch", "numpy", "torch-native", "c", "java", "onnxruntime")


#: Messages of an AttributeError that mean "the built library is older than the Python side".
STALE_LIBRARY = ("not found in library", "Java package")


def classify(exc: BaseException) -> tuple[str, str]:
    """``("n/a", reason)`` for what is not available (yet), ``("error", message)`` for a failure."""
    if isinstance(exc, (NotAvailable, BackendUnavailable)):
        return "n/a", str(exc)
    if isinstance(exc, InputError) and "dtype must be one of" in str(exc):
        return "n/a", str(exc)
    if isinstance(exc, AttributeError) and any(s in str(exc) for s in STALE_LIBRARY):
        symbol = str(exc).split(":")[0]
        return "n/a", f"the built library lacks it ({symbol}); rebuild with `make`"
    return "error", f"{type(exc).__name__}: {exc}"


def new_cell(shape: Shape, dtype: str, threads: int, contender: str) -> dict[str, Any]:
    return {
        "shape": shape.name,
        "group": shape.group,
        "dtype": dtype,
        "threads": threads,
        "contender": contender,
        "ours": is_ours(contender),
        "status": "ok",
        "reason": None,
    }


def _check(cells: dict[str, dict[str, Any]], states: dict[str, np.ndarray], dtype: str) -> None:
    reference = next((name for name in CHECK_REFERENCES if name in states), None)
    if reference is None:
        return
    expected = states[reference]
    for name, state in states.items():
        cell = cells[name]
        if state.shape != expected.shape:
            cell["check"] = {"vs": reference, "max_abs": None, "ok": False}
            continue
        diff = float(np.max(np.abs(state - expected))) if state.size else 0.0
        finite = math.isfinite(diff)
        cell["check"] = {
            "vs": reference,
            "max_abs": diff if finite else None,
            "ok": finite and diff <= CHECK_TOLERANCE[dtype],
        }


def measure_cells(
    shape: Shape,
    model: Model,
    dtype: str,
    threads: int,
    contenders: tuple[str, ...],
    policy: TimingPolicy,
    skip_single_threaded: bool = True,
) -> list[dict[str, Any]]:
    """Prepare every contender, time them interleaved, check their answers: one cell each.

    With ``skip_single_threaded``, a backend of ours that takes no thread
    count is n/a at more than one thread (its time is the 1-thread one).
    """
    x = build_input(shape, dtype)
    cells = {name: new_cell(shape, dtype, threads, name) for name in contenders}
    prepared: dict[str, Prepared] = {}

    def failed(name: str, exc: BaseException) -> None:
        cells[name]["status"], cells[name]["reason"] = classify(exc)

    for name in contenders:
        if threads > 1 and skip_single_threaded and not follows_threads(name):
            cells[name]["status"] = "n/a"
            cells[name]["reason"] = f"{name} runs on one thread (its load() takes no thread count): see 1 thread"
            continue
        try:
            prepared[name] = prepare(name, model, dtype, threads, x)
            cells[name]["info"] = prepared[name].info
        except Exception as exc:  # recorded in the cell, never fatal
            failed(name, exc)
    timings = measure({name: p.timed for name, p in prepared.items()}, policy, on_error=failed)
    states: dict[str, np.ndarray] = {}
    for name, timing in timings.items():
        cells[name].update(timing.summary())
        cells[name]["per_step_s"] = timing.median / shape.steps
        try:
            states[name] = np.asarray(prepared[name].final_state(timing.first_result), dtype=np.float64)
        except Exception as exc:
            cells[name]["check"] = {"vs": None, "max_abs": None, "ok": False, "error": str(exc)}
    _check(cells, states, dtype)
    return list(cells.values())

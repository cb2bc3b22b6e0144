"""The report's grid: error against the oracle for sequence lengths T and hidden sizes H, per target and dtype.

Each grid point is one contractive single-layer model (:func:`rnn_rosetta.accuracy.cases.report_model`,
``I = min(H, 32)``, batch 1, x ~ U(-1, 1)). Its oracle is chosen by estimated cost:
mpmath (exact, 200 bits) when that costs at most a tenth of the budget, else longdouble (64-bit
significand) when that fits the budget, else the point is skipped and shown as such. A target whose own
estimated run time exceeds the budget (the exact kernels are 10-30x the default) is skipped the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnn_rosetta.accuracy.answers import exact_answer
from rnn_rosetta.accuracy.cases import report_model
from rnn_rosetta.accuracy.measure import Error, result_error
from rnn_rosetta.accuracy.targets import TORCH, Target
from rnn_rosetta.fixture_data import CaseInputs
from rnn_rosetta.model import GATE_COUNT

STEPS_FULL: tuple[int, ...] = (10, 1000, 100000)
HIDDEN_FULL: tuple[int, ...] = (8, 32, 128, 512, 1024)
STEPS_QUICK: tuple[int, ...] = (10, 1000)
HIDDEN_QUICK: tuple[int, ...] = (8, 32)

# Rough speeds measured on the development machine (one core): multiply-adds per second and the fixed
# cost of one time step, for the oracles and for the targets (the exact kernels and numpy's plain kernel
# pay a per-step price in Python or in the bridge; numpy's exact kernel about 4 ms a step).
MPMATH_RATE, MPMATH_STEP = 3.5e5, 2e-4
LONGDOUBLE_RATE, LONGDOUBLE_STEP = 1.0e8, 5e-5
TARGET_RATE = {"exact": 2e7, "plain": 2e8, "portable": 5e8}  # others (auto, avx2, vector, torch): DEFAULT_RATE
TARGET_STEP = {("numpy", "exact"): 5e-3, ("java", "exact"): 1e-3, ("c", "exact"): 1e-4, ("numpy", "plain"): 1.5e-4}
DEFAULT_RATE, DEFAULT_STEP = 1e9, 3e-5


def multiply_adds(cell: str, hidden: int, steps: int) -> int:
    """Multiply-adds of one sequence: ``T * G*H * (I + H)``."""
    return steps * GATE_COUNT[cell] * hidden * (min(hidden, 32) + hidden)


def oracle_seconds(arithmetic: str, cell: str, hidden: int, steps: int) -> float:
    """Estimated oracle time for one dtype."""
    rate, per_step = (MPMATH_RATE, MPMATH_STEP) if arithmetic == "mpmath" else (LONGDOUBLE_RATE, LONGDOUBLE_STEP)
    return multiply_adds(cell, hidden, steps) / rate + steps * per_step


def target_seconds(target: Target, cell: str, hidden: int, steps: int) -> float:
    rate = DEFAULT_RATE if target.backend == TORCH else TARGET_RATE.get(target.kernel, DEFAULT_RATE)
    per_step = TARGET_STEP.get((target.backend, target.kernel), DEFAULT_STEP)
    return multiply_adds(cell, hidden, steps) / rate + steps * per_step


def choose_oracle(cell: str, hidden: int, steps: int, dtypes: int, budget: float) -> str | None:
    """mpmath if it costs <= budget/10, else longdouble if it fits the budget, else None (skip)."""
    if dtypes * oracle_seconds("mpmath", cell, hidden, steps) <= budget / 10:
        return "mpmath"
    if dtypes * oracle_seconds("longdouble", cell, hidden, steps) <= budget:
        return "longdouble"
    return None


@dataclass(frozen=True)
class GridRecord:
    """One (cell, H, T, target, dtype) measurement, or why it was skipped."""

    cell: str
    hidden: int
    steps: int
    target: str
    dtype: str
    oracle: str | None
    error: Error | None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        measured = {} if self.error is None else self.error.as_dict()
        return {
            "cell": self.cell, "hidden": self.hidden, "steps": self.steps, "target": self.target,
            "dtype": self.dtype, "oracle": self.oracle, **measured, "note": self.note,
        }  # fmt: skip


def grid_inputs(hidden: int, steps: int, seed: int) -> CaseInputs:
    """x ~ U(-1, 1) [T, 1, I], zero initial states."""
    x = np.random.default_rng(seed).uniform(-1.0, 1.0, (steps, 1, min(hidden, 32)))
    return CaseInputs(f"grid_{hidden}_{steps}", x)


def measure_point(
    cell: str, hidden: int, steps: int, targets: Sequence[Target], dtypes: Sequence[str], budget: float,
    advance: Callable[[str], None] | None = None, seed: int = 7,
) -> list[GridRecord]:  # fmt: skip
    """Every target and dtype at one grid point."""
    oracle = choose_oracle(cell, hidden, steps, len(dtypes), budget)
    records: list[GridRecord] = []
    model = report_model(cell, hidden, seed + hidden)
    given = grid_inputs(hidden, steps, seed + steps)
    for dtype in dtypes:
        exact = None if oracle is None else exact_answer(model, given, dtype, oracle)
        for target in targets:
            label = f"{cell} H={hidden} T={steps} {target.label} {dtype}"
            record = GridRecord(cell, hidden, steps, target.label, dtype, oracle, None)
            if exact is None:
                cost = len(dtypes) * oracle_seconds("longdouble", cell, hidden, steps)
                record = _skip(record, f"skipped: oracle over budget (about {cost:.0f} s > {budget:g} s)")
            elif (reason := target.refusal(model)) is not None:
                record = _skip(record, f"skipped: {reason}")
            elif (cost := target_seconds(target, cell, hidden, steps)) > budget:
                record = _skip(record, f"skipped: run over budget (about {cost:.0f} s > {budget:g} s)")
            else:
                record = _measured(record, target, model, given, dtype, exact)
            records.append(record)
            if advance is not None:
                advance(label)
    return records


def _skip(record: GridRecord, note: str) -> GridRecord:
    return GridRecord(record.cell, record.hidden, record.steps, record.target, record.dtype, record.oracle, None, note)


def _measured(record: GridRecord, target: Target, model: Any, given: CaseInputs, dtype: str, exact: Any) -> GridRecord:
    try:
        with np.errstate(all="ignore"):
            error = result_error(target.run(model, given, dtype), exact, dtype)
    except Exception as exc:  # reported on its line; the rest of the grid still runs
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return _skip(record, f"failed: {message}")
    return GridRecord(record.cell, record.hidden, record.steps, record.target, dtype, record.oracle, error)

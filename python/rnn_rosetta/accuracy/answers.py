"""The oracle's answer for a model and its inputs, in float64 or float32 (weights rounded first)."""

from __future__ import annotations

import dataclasses

import numpy as np

from rnn_rosetta.accuracy.arithmetic import Arithmetic, get_arithmetic
from rnn_rosetta.accuracy.measure import Exact
from rnn_rosetta.accuracy.oracle import exact_forward
from rnn_rosetta.fixture_data import CaseInputs
from rnn_rosetta.model import Model


def rounded_to(model: Model, given: CaseInputs, dtype: str) -> tuple[Model, CaseInputs]:
    """The model and inputs a ``dtype`` net actually computes with: every value (and the clip) rounded once.

    float64 values come back unchanged; float32 values are held as float64 (each exactly representable).
    """
    if dtype == "float64":
        return model, given

    def f32(array: np.ndarray | None) -> np.ndarray | None:
        return None if array is None else np.asarray(array).astype(np.float32).astype(np.float64)

    clip = None if model.clip is None else float(np.float32(model.clip))
    rounded = dataclasses.replace(model.map_arrays(f32), clip=clip)  # type: ignore[arg-type]
    return rounded, given._replace(x=f32(given.x), h0=f32(given.h0), c0=f32(given.c0))


def exact_answer(
    model: Model, given: CaseInputs, dtype: str = "float64", arithmetic: str | Arithmetic = "mpmath"
) -> Exact:
    """The oracle's (hi, lo) per result field for ``model`` on ``given`` as a ``dtype`` net sees them."""
    ar = get_arithmetic(arithmetic) if isinstance(arithmetic, str) else arithmetic
    model, given = rounded_to(model, given, dtype)
    result = exact_forward(model, ar, given.x, given.h0, given.c0, given.lengths)
    return {name: ar.to_hi_lo(value) for name, value in result.fields().items()}

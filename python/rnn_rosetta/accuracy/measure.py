"""Errors against the oracle: normwise (in eps) and elementwise (in ulp), and the nets they are measured on.

For one array ``y`` (``output``, ``h_n``, ``c_n`` or ``y``) with exact value ``e = hi + lo``:

- normwise error ``max_k |y_k - e_k| / (eps * max_k |e_k|)``, with ``eps`` the dtype's machine epsilon
  (2^-52 for float64, 2^-23 for float32); a case's error is the largest over its arrays;
- elementwise error ``max_k |y_k - e_k| / ulp(e_k)``, ``ulp`` the spacing of the dtype at ``|e_k|``.

The differences are taken in longdouble where it is wider than float64 (``y - hi`` is exact there), so
the error of a correctly rounded answer reads at most 0.5 ulp.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnn_rosetta.backends import get_backend
from rnn_rosetta.result import Result

EPS: dict[str, float] = {"float64": 2.0**-52, "float32": 2.0**-23}

#: A field's exact value: (hi, lo) float64 arrays.
Exact = dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Error:
    """One run's error against the oracle."""

    normwise: float  # in eps of the dtype
    ulp: float  # the largest elementwise error, in ulp of the dtype
    field: str  # the array with the largest normwise error

    def as_dict(self) -> dict[str, Any]:
        return {"normwise_eps": self.normwise, "max_ulp": self.ulp, "field": self.field}


def _difference(got: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """``|got - (hi + lo)|`` as float64, the subtraction carried in longdouble."""
    wide = np.longdouble
    return np.abs((got.astype(wide) - hi.astype(wide)) - lo.astype(wide)).astype(np.float64)


def field_error(got: np.ndarray, hi: np.ndarray, lo: np.ndarray, dtype: str) -> tuple[float, float]:
    """(normwise in eps, max elementwise in ulp) of one array; inf where an answer is NaN or infinite."""
    got = np.asarray(got, dtype=np.float64)
    if got.shape != hi.shape:
        raise ValueError(f"shape {list(got.shape)} is not the oracle's {list(hi.shape)}")
    if not np.all(np.isfinite(got)):
        return float("inf"), float("inf")
    diff = _difference(got, hi, lo)  # [...]
    scale = float(np.max(np.abs(hi))) if hi.size else 0.0
    worst = float(np.max(diff)) if diff.size else 0.0
    normwise = worst / (EPS[dtype] * scale) if scale > 0 else (0.0 if worst == 0 else float("inf"))
    spacing = np.spacing(np.abs(hi).astype(dtype)).astype(np.float64)  # ulp at each exact value
    ulp = float(np.max(diff / spacing)) if diff.size else 0.0
    return normwise, ulp


def result_error(result: Result, exact: Exact, dtype: str) -> Error:
    """The error of a whole :class:`Result`: the worst over its arrays."""
    got = result.fields()
    best = Error(0.0, 0.0, "-")
    for name, (hi, lo) in exact.items():
        if name not in got:
            raise ValueError(f"the result has no {name!r}")
        normwise, ulp = field_error(np.asarray(got[name]), hi, lo, dtype)
        if normwise > best.normwise or best.field == "-":
            best = Error(normwise, max(ulp, best.ulp), name)
        else:
            best = Error(best.normwise, max(ulp, best.ulp), best.field)
    return best


def run_net(backend: str, kernel: str, model: Any, dtype: str, given: Any) -> Result:
    """``given`` (a :class:`~rnn_rosetta.fixture_data.CaseInputs`) through ``backend``'s ``kernel`` in ``dtype``."""
    net = get_backend(backend).load(model, dtype=dtype, kernel=kernel)
    return net.forward(given.x, given.h0, given.c0, given.lengths)


def kernels_of(backend: str) -> tuple[str, ...]:
    """The kernels ``backend`` offers now (``auto`` first)."""
    return tuple(get_backend(backend).kernels)

"""The crosscheck's gradient part: a case's ``backward`` block run through a backend, and compared.

For a case with ``backward`` (docs/fixture-format.md#gradients) a backend that has backward
(``net.supports_backward``) runs ``forward(..., keep=True)`` then ``backward(d_output, d_h_n, d_c_n, d_y)``;
every gradient is compared with the oracle's, or with another backend's, under the same rule as the
outputs (``|got - expected| <= atol + rtol * |expected|``, :meth:`Tolerance.for_dtype` for float32). A
gradient is named ``grad <dotted path>`` (``grad layers.0.forward.weight_hh``, ``grad x``, ``grad h0``,
``grad c0``); an index into states is ``(slot, b, h)``.
"""

from __future__ import annotations

import numpy as np

from rnn_rosetta.backends.chain_net import ChainNet
from rnn_rosetta.backward.gradients import Gradients
from rnn_rosetta.compare import Comparison, Mismatch, Tolerance, ulp_distance
from rnn_rosetta.fixture_data import Case
from rnn_rosetta.result import States

GRAD = "grad "  # what a gradient's field name starts with in a mismatch
NO_BACKWARD = "no backward"  # what a run of a backend without backward reports for its gradients


def cases_with_backward(cases: tuple[Case, ...]) -> list[Case]:
    """The cases that carry a ``backward`` block."""
    return [case for case in cases if case.backward is not None]


def run_backward(net: object, case: Case) -> Gradients:
    """The gradients ``net`` computes for ``case``'s backward block (``net`` must support backward)."""
    backward = case.backward
    assert backward is not None and isinstance(net, ChainNet)
    net.forward(case.feed, case.h0, case.c0, case.lengths, keep=True)
    return net.backward(backward.d_output, backward.d_h_n, backward.d_c_n, backward.d_y)


def has_backward(net: object) -> bool:
    """Whether ``net`` computes gradients (a chain net of a backend with backward)."""
    return isinstance(net, ChainNet) and net.supports_backward


def _slots(value: States) -> list[np.ndarray]:
    if isinstance(value, (list, tuple)):
        return [np.asarray(slot) for slot in value]
    array = np.asarray(value)
    return list(array) if array.ndim == 3 else [array]


def gradient_fields(grads: Gradients) -> dict[str, tuple[list[np.ndarray], bool]]:
    """Every gradient by field name (``grad layers.0.forward.weight_ih``, ..., ``grad x``, ``grad h0``,
    ``grad c0``): its parts (one array, or one ``[B, H_k]`` per state slot) and whether it is sliced by slot."""
    fields: dict[str, tuple[list[np.ndarray], bool]] = {
        GRAD + name: ([np.asarray(array)], False) for name, array in grads.weights.items()
    }
    if grads.x is not None:
        fields[GRAD + "x"] = ([np.asarray(grads.x)], False)
    fields[GRAD + "h0"] = (_slots(grads.h0), True)
    if grads.c0 is not None:
        fields[GRAD + "c0"] = (_slots(grads.c0), True)
    return fields


def _ratio(diff: np.ndarray, bound: np.ndarray) -> float:
    """The largest ``diff / bound`` (0 where ``diff`` is 0, inf where only the bound is 0)."""
    if not diff.size:
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(diff == 0, 0.0, diff / bound)
    return float(np.nan_to_num(ratio, nan=np.inf).max())


def compare_gradients(got: Gradients, expected: Gradients, tolerance: Tolerance, ulp_dtype: str) -> Comparison:
    """Every gradient of ``expected`` against ``got``'s: the same names, shapes and the tolerance rule.

    The first mismatch (in field order, then C order) is a :class:`Mismatch` whose ``field`` is the
    gradient's name (``grad layers.0.forward.weight_hh``); the ulp distance counts in ``ulp_dtype``.
    """
    have_fields, want_fields = gradient_fields(got), gradient_fields(expected)
    if list(have_fields) != list(want_fields):
        differ = sorted(set(have_fields) ^ set(want_fields)) or ["(their order)"]
        return Comparison(np.inf, 0, None, f"gradients differ from expected in {', '.join(differ[:3])}", np.inf)
    max_abs, max_ulp, max_ratio, first = 0.0, 0.0, 0.0, None
    for name, (want_parts, sliced) in want_fields.items():
        have_parts = have_fields[name][0]
        shapes = [p.shape for p in have_parts], [p.shape for p in want_parts]
        if shapes[0] != shapes[1]:
            return Comparison(np.inf, 0, None, f"{name} has shape {shapes[0]}, expected {shapes[1]}", np.inf)
        for slot, (have, want) in enumerate(zip(have_parts, want_parts, strict=True)):
            have = have.astype(np.float64)
            both_nan = np.isnan(have) & np.isnan(want)
            diff = np.where(both_nan, 0.0, np.abs(have - want))
            diff = np.where(np.isnan(diff), np.inf, diff)
            diff = np.where(have == want, 0.0, diff)
            bound = tolerance.bound(want)
            if diff.size:
                max_abs = max(max_abs, float(diff.max()))
                max_ratio = max(max_ratio, _ratio(diff, bound))
                finite = np.isfinite(have) & np.isfinite(want)
                if finite.any():
                    max_ulp = max(max_ulp, float(ulp_distance(have[finite], want[finite], ulp_dtype).max()))
            bad = np.argwhere(~(diff <= bound))
            if first is None and bad.size:
                index = tuple(int(i) for i in bad[0])
                values = float(have[index]), float(want[index]), float(bound[index])
                first = Mismatch(name, ((slot,) if sliced else ()) + index, *values)
    return Comparison(max_abs, int(max_ulp), first, None, max_ratio, ulp_dtype)

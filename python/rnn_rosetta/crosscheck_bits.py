"""The crosscheck's bit-equality column: the ``exact`` kernels of every backend, compared bit for bit.

docs/exact-kernel.md promises the same bits from numpy, C and Java in float64 and float32. For each
fixture and dtype, every two targets that ran kernel ``exact`` are compared case by case, every field,
every value: equal means the same 64 (or 32) bits, or both NaN (a NaN's sign and payload are not
compared). A difference is a :class:`Failure` with the rule :data:`BIT_IDENTICAL`, naming the first
index and both values (``repr`` and ``float.hex``); the tolerance checks of the same targets are kept
as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from rnn_rosetta.compare import Mismatch
from rnn_rosetta.crosscheck_records import BIT_IDENTICAL, BitsRun, Failure, TargetRun
from rnn_rosetta.fixtures import Fixture
from rnn_rosetta.result import Result, States

EXACT_KERNEL = "exact"


def _slots(value: States) -> list[np.ndarray]:
    return [np.asarray(v) for v in value] if isinstance(value, list) else [np.asarray(value)]


def first_bit_difference(first: Result, second: Result) -> Mismatch | str | None:
    """None when every field holds the same bits (any NaN equals any NaN); else the first value that
    differs (C order; a list of state slots is indexed ``(slot, b, h)``) or a structural difference."""
    one, two = first.fields(), second.fields()
    if list(one) != list(two):
        return f"fields differ: {list(one)} vs {list(two)}"
    for name, value in one.items():
        mine, theirs = _slots(value), _slots(two[name])
        if len(mine) != len(theirs):
            return f"{name}: {len(mine)} vs {len(theirs)} state slots"
        for slot, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            if a.shape != b.shape or a.dtype != b.dtype:
                return f"{name}: {a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)}"
            same = (a.view(np.uint8).reshape(*a.shape, -1) == b.view(np.uint8).reshape(*b.shape, -1)).all(axis=-1)
            same |= np.isnan(a) & np.isnan(b)
            if same.all():
                continue
            index = tuple(int(i) for i in np.argwhere(~same)[0])
            if isinstance(value, list):
                index = (slot, *index)
            return Mismatch(name, index, float(a[index[-a.ndim :]]), float(b[index[-b.ndim :]]), 0.0)
    return None


def compare_exact_bits(fixture: Fixture, runs: Sequence[TargetRun]) -> tuple[list[BitsRun], list[Failure]]:
    """Every two targets of one dtype that ran the exact kernel, case by case, bit for bit."""
    bits: list[BitsRun] = []
    failures: list[Failure] = []
    exact = [r for r in runs if r.ran and r.target.kernel == EXACT_KERNEL]
    for dtype in dict.fromkeys(r.target.dtype for r in exact):
        ran = [r for r in exact if r.target.dtype == dtype]
        for first, second in combinations(ran, 2):
            differing = 0
            for case in fixture.cases:
                difference = first_bit_difference(first.results[case.name], second.results[case.name])
                if difference is None:
                    continue
                differing += 1
                sides = (first.label, second.label)
                if isinstance(difference, Mismatch):
                    failures.append(Failure(fixture.name, case.name, sides, dtype, BIT_IDENTICAL, difference))
                else:
                    failures.append(Failure(fixture.name, case.name, sides, dtype, BIT_IDENTICAL, problem=difference))
            bits.append(BitsRun(dtype, first.label, second.label, len(fixture.cases), differing))
    return bits, failures


def bits_verdict(bits: Sequence[BitsRun], dtype: str) -> str:
    """The bit-equality cell of one fixture at one dtype: ``same``, ``DIFF`` or ``-`` (nothing compared: fewer
    than two exact targets ran, or the fixture has no cases)."""
    chosen = [b for b in bits if b.dtype == dtype and b.cases]
    if not chosen:
        return "-"
    return "DIFF" if any(b.differing for b in chosen) else "same"

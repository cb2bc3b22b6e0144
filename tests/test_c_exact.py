"""The C exact kernel (``kernel="exact"``, RR_KERNEL_EXACT: c/src/exact*, docs/exact-kernel.md) on its own.

Its bits against numpy's and Java's exact kernels are tests/test_exact_kernel.py. Here:

- every committed fixture, nets and chains, float64 and float32, within the fixture's tolerance of its
  expected values (PyTorch float64 / mpmath, the independent oracles);
- rows never interact: each batch row run alone gives the bits that row has in the whole batch;
- ``threads=2`` gives the bits of ``threads=1``;
- a step-by-step run gives the bits of the forward (nets and all-forward chains), float64 and float32;
- random chains with every dense activation (softmax included), merge and readout stay within
  1e-12 (float64) of numpy's plain ChainNet.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta.backends.c_backend import CChainNet, CNet
from rnn_rosetta.chain import DENSE_ACTIVATIONS
from rnn_rosetta.compare import compare
from rnn_rosetta.result import Result
from tests.conftest import (
    CHAIN_FIXTURE_IDS,
    FIXTURE_IDS,
    STREAMABLE_CHAIN_IDS,
    STREAMABLE_IDS,
    require_backend,
)
from tests.test_c_chain import random_chain, random_inputs

DTYPES = ["float64", "float32"]
Fixtures = dict[str, rr.Fixture]


@pytest.fixture(scope="module", autouse=True)
def _c() -> None:
    require_backend("c")


def assert_same_bits(got: Any, want: Any, what: str) -> None:
    """Equal to the last bit (any NaN equals any NaN), lists of arrays element by element."""
    if want is None:
        assert got is None, what
        return
    if isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), what
        for index, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same_bits(g, w, f"{what}[{index}]")
        return
    g, w = np.asarray(got), np.asarray(want)
    assert g.shape == w.shape and g.dtype == w.dtype, f"{what}: {g.shape} {g.dtype} vs {w.shape} {w.dtype}"
    assert np.array_equal(g, w, equal_nan=True), f"{what}: max |diff| {np.nanmax(np.abs(g - w))}"


def assert_same_results(got: Result, want: Result, what: str) -> None:
    for name, value in want.fields().items():
        assert_same_bits(got.fields()[name], value, f"{what}: {name}")


def test_exact_is_the_kernel_that_runs(loaded_fixtures: Fixtures) -> None:
    net = rr.get_backend("c").load(loaded_fixtures["lstm_small"].model, kernel="exact")
    assert net.kernel_name == "exact"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FIXTURE_IDS)
def test_exact_net_matches_oracle(name: str, dtype: str, loaded_fixtures: Fixtures) -> None:
    fixture = loaded_fixtures[name]
    tolerance = fixture.tolerance.for_dtype(dtype)
    net = rr.get_backend("c").load(fixture.model, dtype=dtype, kernel="exact")
    for case in fixture.cases:
        result = net.forward(case.x, case.h0, case.c0, case.lengths)
        assert all(value.dtype == np.dtype(dtype) for value in result.fields().values())
        comparison = compare(result, case.expected, tolerance)
        assert comparison.ok, (
            f"{name} / {case.name} / c[exact] {dtype} vs expected: "
            f"{comparison.problem or comparison.mismatch.describe(tolerance)}"  # type: ignore[union-attr]
        )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CHAIN_FIXTURE_IDS)
def test_exact_chain_matches_oracle(name: str, dtype: str, loaded_chain_fixtures: Fixtures) -> None:
    fixture = loaded_chain_fixtures[name]
    tolerance = fixture.tolerance.for_dtype(dtype)
    net = rr.get_backend("c").load(fixture.model, dtype=dtype, kernel="exact")
    for case in fixture.cases:
        result = net.forward(case.feed, case.h0, case.c0, case.lengths)
        comparison = compare(result, case.expected, tolerance)
        assert comparison.ok, (
            f"{name} / {case.name} / c[exact] {dtype} vs expected: "
            f"{comparison.problem or comparison.mismatch.describe(tolerance)}"  # type: ignore[union-attr]
        )


def _row(value: np.ndarray | None, b: int, axis: int) -> np.ndarray | None:
    """Batch row b of value, keeping the axis (None stays None)."""
    return None if value is None else np.take(value, [b], axis=axis)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FIXTURE_IDS)
def test_each_row_alone_gives_the_bits_of_the_batch(name: str, dtype: str, loaded_fixtures: Fixtures) -> None:
    fixture = loaded_fixtures[name]
    net = rr.get_backend("c").load(fixture.model, dtype=dtype, kernel="exact")
    for case in fixture.cases:
        batch = case.x.shape[1]  # x [T, B, I]; h0, c0, h_n, c_n [L*D, B, .]; output, y [T, B, .]
        if batch < 2:
            continue
        whole = net.forward(case.x, case.h0, case.c0, case.lengths)
        for b in range(batch):
            alone = net.forward(_row(case.x, b, 1), _row(case.h0, b, 1), _row(case.c0, b, 1), _row(case.lengths, b, 0))
            for field, value in whole.fields().items():
                assert_same_bits(alone.fields()[field], _row(value, b, 1), f"{name}/{case.name} row {b}: {field}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FIXTURE_IDS)
def test_two_threads_give_the_bits_of_one(name: str, dtype: str, loaded_fixtures: Fixtures) -> None:
    fixture = loaded_fixtures[name]
    one = CNet(fixture.model, dtype=dtype, kernel="exact", threads=1)
    two = CNet(fixture.model, dtype=dtype, kernel="exact", threads=2)
    for case in fixture.cases:
        args = (case.x, case.h0, case.c0, case.lengths)
        assert_same_results(two.forward(*args), one.forward(*args), f"{name}/{case.name}")


@pytest.mark.parametrize("name", CHAIN_FIXTURE_IDS)
def test_chain_two_threads_give_the_bits_of_one(name: str, loaded_chain_fixtures: Fixtures) -> None:
    fixture = loaded_chain_fixtures[name]
    one = CChainNet(fixture.model, kernel="exact", threads=1)
    two = CChainNet(fixture.model, kernel="exact", threads=2)
    for case in fixture.cases:
        args = (case.feed, case.h0, case.c0, case.lengths)
        assert_same_results(two.forward(*args), one.forward(*args), f"{name}/{case.name}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", STREAMABLE_IDS)
def test_steps_give_the_bits_of_the_forward(name: str, dtype: str, loaded_fixtures: Fixtures) -> None:
    fixture = loaded_fixtures[name]
    net = rr.get_backend("c").load(fixture.model, dtype=dtype, kernel="exact")
    for case in fixture.cases:
        if case.lengths is not None:
            continue
        whole = net.forward(case.x, case.h0, case.c0)
        state = None if case.h0 is None and case.c0 is None else (case.h0, case.c0)
        for t in range(case.x.shape[0]):
            y_t, state = net.step(case.x[t], state)
            want = whole.y[t] if whole.y is not None else whole.output[t]
            assert_same_bits(y_t, want, f"{name}/{case.name} t={t}")
        assert state is not None
        assert_same_bits(state.h, whole.h_n, f"{name}/{case.name}: h")
        if whole.c_n is not None:
            assert_same_bits(state.c, whole.c_n, f"{name}/{case.name}: c")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", STREAMABLE_CHAIN_IDS)
def test_chain_steps_give_the_bits_of_the_forward(name: str, dtype: str, loaded_chain_fixtures: Fixtures) -> None:
    fixture = loaded_chain_fixtures[name]
    chain = fixture.model
    net = rr.get_backend("c").load(chain, dtype=dtype, kernel="exact")
    for case in fixture.cases:
        if case.lengths is not None:
            continue
        whole = net.forward(case.feed, case.h0, case.c0)
        state = None if case.h0 is None else rr.State(case.h0, case.c0)
        steps = case.feed.shape[0]
        for t in range(steps):
            y_t, state = net.step(case.feed[t], state)
            if chain.dense and chain.readout == "sequence":
                assert_same_bits(y_t, whole.y[t], f"{name}/{case.name} t={t}")  # type: ignore[index]
            elif chain.dense and t == steps - 1:
                assert_same_bits(y_t, whole.y, f"{name}/{case.name}: y")  # readout last: y of the final step
            elif not chain.dense:
                assert_same_bits(y_t, whole.output[t], f"{name}/{case.name} t={t}")  # type: ignore[index]
        assert state is not None
        assert_same_bits(state.h, whole.h_n, f"{name}/{case.name}: h")


@pytest.mark.parametrize("seed", range(40))
def test_random_chain_near_numpy_plain(seed: int) -> None:
    chain = random_chain(seed)
    inputs = random_inputs(chain, seed)
    want = rr.get_backend("numpy").load(chain, kernel="plain").forward(**inputs)
    got = rr.get_backend("c").load(chain, kernel="exact").forward(**inputs)
    for name, value in want.fields().items():
        values = value if isinstance(value, list) else [value]
        gots = got.fields()[name]
        for g, w in zip(gots if isinstance(gots, list) else [gots], values, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12, err_msg=f"{chain.describe()}: {name}")


def test_random_chains_cover_every_dense_activation() -> None:
    seen = {d.activation for seed in range(40) for d in random_chain(seed).dense}
    assert seen == set(DENSE_ACTIVATIONS)

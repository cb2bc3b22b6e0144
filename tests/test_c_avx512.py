"""The C library's AVX-512 kernel (c/src/avx512*): numbers, determinism and how it is chosen.

Oracles: each committed fixture's expected values (PyTorch float64 / the fixture generator's
oracles) and, for the random models of odd sizes, the numpy reference (rnn_rosetta.reference,
another language's implementation). The portable C kernel is a second witness on the fixtures.
Bit-identity across batch splits and thread counts is checked against the same kernel run on
the other split: row b of a batch must carry exactly the bits of that sequence run alone.

On a CPU without AVX-512 every test here skips, naming the kernel and the reason
(``c_backend.kernel_unavailable``); the choice of kernel is then covered by tests/test_c_api.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.backends import c_backend
from rnn_rosetta.compare import compare
from rnn_rosetta.model import GATE_COUNT, DirectionWeights, Layer, Model
from rnn_rosetta.reference import forward as reference_forward
from tests.conftest import CHAIN_FIXTURE_IDS, FIXTURE_IDS, require_backend

DTYPES = ("float64", "float32")
#: Odd hidden sizes: one unit, less than a vector, around one and two vectors, and many groups.
ODD_SIZES = (1, 7, 15, 17, 33, 100)
#: Batch sizes for the split test: a single row, tiles of every row count up to 12, and remainders.
BATCHES = (1, 2, 3, 5, 8, 13, 17, 33)
#: Against the numpy reference (float64 throughout): float64 runs to roundoff, float32 to its own.
REFERENCE_TOL = {"float64": rr.Tolerance(1e-12, 1e-13), "float32": rr.Tolerance(2e-5, 2e-5)}


@pytest.fixture(autouse=True)
def avx512_here() -> None:
    """Skip (by name, with the reason) where the library or the CPU cannot run the kernel."""
    require_backend("c")
    reason = c_backend.kernel_unavailable("avx512")
    if reason is not None:
        pytest.skip(reason)


def _uniform(rng: np.random.Generator, bound: float, *shape: int) -> np.ndarray:
    return rng.uniform(-bound, bound, shape)


def random_model(
    seed: int,
    cell: str,
    hidden: int,
    input_size: int,
    *,
    direction: str = "forward",
    layers: int = 1,
    proj: int = 0,
    peepholes: bool = False,
    clip: float | None = None,
    linear_before_reset: bool = True,
    nonlinearity: str = "tanh",
) -> Model:
    """A model with seeded random weights, U(-1/sqrt(H), 1/sqrt(H)) as PyTorch draws them (sums of
    about unit size, so that roundoff stays near eps); every layer's directions alike in shape."""
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(hidden)
    out = proj or hidden
    rows = GATE_COUNT[cell] * hidden
    width = 2 * out if direction == "bidirectional" else out

    def weights(inputs: int) -> DirectionWeights:
        extra: dict[str, Any] = {}
        if proj:
            extra["weight_hr"] = _uniform(rng, bound, proj, hidden)
        if peepholes:
            extra.update(peephole_i=_uniform(rng, bound, hidden), peephole_f=_uniform(rng, bound, hidden))
            extra["peephole_o"] = _uniform(rng, bound, hidden)
        return DirectionWeights(
            _uniform(rng, bound, rows, inputs),
            _uniform(rng, bound, rows, out),
            _uniform(rng, bound, rows),
            _uniform(rng, bound, rows),
            **extra,
        )

    names = ("forward", "reverse") if direction == "bidirectional" else (direction,)
    stack = tuple(
        Layer(**{name: weights(input_size if index == 0 else width) for name in names}) for index in range(layers)
    )
    return Model(
        cell=cell,
        input_size=input_size,
        hidden_size=hidden,
        num_layers=layers,
        direction=direction,
        layers=stack,
        nonlinearity=nonlinearity,
        linear_before_reset=linear_before_reset,
        proj_size=proj,
        peepholes=peepholes,
        clip=clip,
    )


#: One model of every cell and option the kernel has code for (name -> keyword arguments).
VARIANTS: dict[str, dict[str, Any]] = {
    "rnn_tanh": {"cell": "rnn"},
    "rnn_relu_clip": {"cell": "rnn", "nonlinearity": "relu", "clip": 0.7},
    "lstm": {"cell": "lstm"},
    "lstm_peepholes_clip": {"cell": "lstm", "peepholes": True, "clip": 1.5},
    "lstm_projection_bidirectional": {"cell": "lstm", "proj": 5, "direction": "bidirectional"},
    "gru": {"cell": "gru"},
    "gru_cho_reverse": {"cell": "gru", "linear_before_reset": False, "direction": "reverse"},
    "gru_stacked": {"cell": "gru", "layers": 2},
}


def _load(model: Model | rr.Chain, dtype: str, kernel: str = "avx512", threads: int = 1) -> Any:
    return rr.get_backend("c").load(model, dtype=dtype, kernel=kernel, threads=threads)


def _uneven_lengths(rng: np.random.Generator, steps: int, batch: int) -> np.ndarray:
    lengths = rng.integers(1, steps + 1, batch).astype(np.int64)
    lengths[rng.integers(0, batch)] = steps  # at least one row runs every step
    return lengths


# -- the committed fixtures: the oracle's values and the portable kernel ------------------------


@pytest.fixture(scope="module")
def every_fixture(loaded_fixtures: dict[str, rr.Fixture], loaded_chain_fixtures: dict[str, rr.Fixture]) -> Any:
    return {**loaded_fixtures, **loaded_chain_fixtures}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FIXTURE_IDS + CHAIN_FIXTURE_IDS)
def test_fixture_matches_oracle_and_portable(name: str, dtype: str, every_fixture: dict[str, rr.Fixture]) -> None:
    fixture = every_fixture[name]
    tolerance = fixture.tolerance.for_dtype(dtype)
    fast, portable = _load(fixture.model, dtype), _load(fixture.model, dtype, "portable")
    assert fast.kernel_name == "avx512"
    for case in fixture.cases:
        inputs = (case.x if case.x is not None else case.tokens, case.h0, case.c0, case.lengths)
        got = fast.forward(*inputs)
        for witness, want in (("oracle", case.expected), ("portable", portable.forward(*inputs))):
            comparison = compare(got, want, tolerance)
            assert comparison.ok, (
                f"{name} / {case.name} avx512 {dtype} vs {witness}: "
                f"{comparison.problem or comparison.mismatch.describe(tolerance)}"  # type: ignore[union-attr]
            )


# -- odd sizes against the numpy reference -------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hidden", ODD_SIZES)
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_odd_sizes_match_the_numpy_reference(variant: str, hidden: int, dtype: str) -> None:
    options = dict(VARIANTS[variant])
    if options.get("proj"):
        options["proj"] = max(1, hidden // 2) if hidden > 1 else 0
    input_size = hidden + 2
    model = random_model(hidden * 31 + len(variant), hidden=hidden, input_size=input_size, **options)
    rng = np.random.default_rng(hidden)
    steps, batch = 6, 5
    x = rng.standard_normal((steps, batch, input_size))
    lengths = _uneven_lengths(rng, steps, batch)
    want = reference_forward(model, x, lengths=lengths)
    got = _load(model, dtype).forward(x.astype(dtype), lengths=lengths)
    comparison = compare(got, want, REFERENCE_TOL[dtype])
    assert comparison.ok, f"{variant} H={hidden} {dtype}: {comparison.problem or comparison.mismatch}"


# -- determinism: batch splits, threads, repeated calls ------------------------------------------


def _rows_equal(batched: Any, single: Any, b: int, where: str) -> None:
    np.testing.assert_array_equal(batched.output[:, b], single.output[:, 0], err_msg=f"{where}: output")
    np.testing.assert_array_equal(np.asarray(batched.h_n)[:, b], np.asarray(single.h_n)[:, 0], err_msg=f"{where}: h_n")
    if batched.c_n is not None:
        np.testing.assert_array_equal(np.asarray(batched.c_n)[:, b], np.asarray(single.c_n)[:, 0], err_msg=where)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hidden", (7, 33, 100))
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_batch_row_has_the_bits_of_the_row_run_alone(variant: str, hidden: int, dtype: str) -> None:
    options = dict(VARIANTS[variant])
    if options.get("proj"):
        options["proj"] = hidden // 2
    model = random_model(hidden + 7 * len(variant), hidden=hidden, input_size=hidden, **options)
    net = _load(model, dtype)
    rng = np.random.default_rng(hidden + 1)
    steps = 5
    for batch in BATCHES:
        x = rng.standard_normal((steps, batch, hidden)).astype(dtype)
        lengths = _uneven_lengths(rng, steps, batch)
        batched = net.forward(x, lengths=lengths)
        for b in range(batch):
            single = net.forward(x[:, b : b + 1], lengths=lengths[b : b + 1])
            _rows_equal(batched, single, b, f"{variant} H={hidden} {dtype} row {b} of {batch}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", ("lstm", "gru_cho_reverse", "lstm_projection_bidirectional"))
def test_one_and_two_threads_give_the_same_bits(variant: str, dtype: str) -> None:
    """Large enough (B H G H_out >= 2^20 multiply-adds a step) that a library built with
    -DRR_SECOND_THREAD=1 splits the groups of units between two threads."""
    options = dict(VARIANTS[variant])
    if options.get("proj"):
        options["proj"] = 160
    model = random_model(5, hidden=256, input_size=64, **options)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 9, 64)).astype(dtype)
    lengths = _uneven_lengths(rng, 4, 9)
    one = _load(model, dtype, threads=1).forward(x, lengths=lengths)
    two = _load(model, dtype, threads=2).forward(x, lengths=lengths)
    for field, value in one.fields().items():
        np.testing.assert_array_equal(np.asarray(two.fields()[field]), np.asarray(value), err_msg=field)


@pytest.mark.parametrize("dtype", DTYPES)
def test_repeated_calls_give_the_same_bits(dtype: str) -> None:
    model = random_model(11, "lstm", 40, 24, peepholes=True)
    net = _load(model, dtype)
    x = np.random.default_rng(0).standard_normal((7, 3, 24)).astype(dtype)
    first = net.forward(x)
    for _ in range(50):
        again = net.forward(x)
        np.testing.assert_array_equal(again.output, first.output)
        np.testing.assert_array_equal(again.c_n, first.c_n)


# -- which kernel runs --------------------------------------------------------------------------


def test_auto_chooses_avx512_and_names_it() -> None:
    model = random_model(1, "gru", 8, 4)
    assert _load(model, "float64", "avx512").kernel_name == "avx512"
    assert _load(model, "float32", "auto").kernel_name == "avx512"
    assert _load(model, "float64", "avx2").kernel_name == "avx2-fma"
    assert _load(model, "float64", "portable").kernel_name == "portable"
    assert "avx512" in rr.get_backend("c").kernels


def test_a_chain_runs_avx512_in_every_layer() -> None:
    fixture = rr.load_fixture(paths.fixtures_dir() / "mixed_cells_dense.json")
    net = _load(fixture.model, "float32")
    assert net.kernel_name == "avx512"


# -- the benchmark's view: the AVX-512 peak probe and the kernel each contender ran ------------


def test_probe_measures_the_avx512_peak() -> None:
    from rnn_rosetta.bench.probes import load_probe_library

    try:
        lib, dtypes = load_probe_library()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    for dtype in dtypes.values():
        assert lib.rr_probe_peak_isa_gflops(lib.RR_PROBE_AVX512, dtype, 0.02) > 0
    assert lib.rr_probe_peak_isa_gflops(7, lib.RR_PROBE_FLOAT32, 0.02) < 0  # not an ISA
    assert lib.rr_probe_peak_isa_gflops(lib.RR_PROBE_AVX512, lib.RR_PROBE_FLOAT32, float("nan")) < 0


def test_report_names_the_kernel_each_contender_ran() -> None:
    from rnn_rosetta.bench.report import _kernels

    cells = [
        {"contender": "c", "dtype": "float32", "info": {"kernel": "avx512"}},
        {"contender": "c", "dtype": "float64", "info": {"kernel": "avx512"}},
        {"contender": "torch", "dtype": "float32", "info": {"kernel": "oneDNN rnn brgemm:avx512_core"}},
        {"contender": "numpy", "dtype": "float32", "status": "n/a"},
    ]
    assert _kernels({"cells": cells}) == [  # type: ignore[arg-type]
        "kernels run:",
        "  c: avx512 (float32, float64)",
        "  torch: oneDNN rnn brgemm:avx512_core (float32)",
    ]

"""The C exact kernel (``kernel="exact"``, RR_KERNEL_EXACT: c/src/exact*, docs/exact-kernel.md) on its own.

Its bits against numpy's and Java's exact kernels are tests/test_exact_kernel.py. Here:

- every committed fixture, nets and chains, float64 and float32, within the fixture's tolerance of its
  expected values (PyTorch float64 / mpmath, the independent oracles);
- rows never interact: each batch row run alone gives the bits that row has in the whole batch;
- ``threads=2`` gives the bits of ``threads=1``;
- a step-by-step run gives the bits of the forward (nets and all-forward chains), float64 and float32;
- random chains with every dense activation (softmax included), merge and readout stay within
  1e-12 (float64) of numpy's plain ChainNet;
- every ISA variant the CPU runs (base, avx2, avx512: c/src/exact.h) gives numpy's exact bits on random
  models wide enough (8 units and more, 1-7 batch rows) for the vector blocks and the row groups to run,
  and the widest is the one in use.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.backends.c_backend import CChainNet, CNet
from rnn_rosetta.chain import DENSE_ACTIVATIONS
from rnn_rosetta.compare import compare
from rnn_rosetta.model import DirectionWeights, Head, Layer, Model
from rnn_rosetta.model_rules import check_model
from rnn_rosetta.result import Result
from tests.conftest import (
    CHAIN_FIXTURE_IDS,
    FIXTURE_IDS,
    STREAMABLE_CHAIN_IDS,
    STREAMABLE_IDS,
    require_backend,
)
from tests.test_c_chain import random_chain, random_inputs
from tests.test_exact_kernel import first_bit_difference

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


# -- the ISA variants (c/src/exact.h): the same bits in each -----------------------------------------

# the library's test hooks (c/src/exact.h, not in the public header) and the CPU checks it chooses by
ISA_DECLARATIONS = """
const char *rr_exact_isa_name(void);
int rr_exact_isa_select(const char *name);
int rr_cpu_has_avx2_fma(void);
int rr_cpu_has_avx512(void);
"""


@functools.cache
def _isa_library() -> tuple[Any, Any]:
    """(ffi, lib) over the library the C backend has open (the same handle, so the same variant in use)."""
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(ISA_DECLARATIONS)
    return ffi, ffi.dlopen(str(paths.c_library()))


def _widest_variant() -> str:
    _, lib = _isa_library()
    return "avx512" if lib.rr_cpu_has_avx512() else "avx2" if lib.rr_cpu_has_avx2_fma() else "base"


def _variant_in_use() -> str:
    ffi, lib = _isa_library()
    return str(ffi.string(lib.rr_exact_isa_name()).decode())


@pytest.fixture
def _widest_after() -> Iterator[None]:
    yield
    assert _isa_library()[1].rr_exact_isa_select(_isa_library()[0].NULL) == 1


def test_widest_variant_is_in_use(_widest_after: None) -> None:
    ffi, lib = _isa_library()
    assert lib.rr_exact_isa_select(ffi.NULL) == 1
    assert _variant_in_use() == _widest_variant()
    net = rr.get_backend("c").load(_wide_model(np.random.default_rng(0)), kernel="exact")
    assert net.kernel_name == "exact"  # the variant is not a kernel of its own


def test_unknown_or_unrunnable_variant_is_refused(_widest_after: None) -> None:
    _, lib = _isa_library()
    assert lib.rr_exact_isa_select(b"base") == 1
    assert lib.rr_exact_isa_select(b"sse9") == 0
    if _widest_variant() != "avx512":
        assert lib.rr_exact_isa_select(b"avx512") == 0
    assert _variant_in_use() == "base"  # a refusal changes nothing


def _uniform(rng: np.random.Generator, shapes: dict[str, tuple[int, ...]], scale: float) -> DirectionWeights:
    return DirectionWeights(**{name: rng.uniform(-scale, scale, shape) for name, shape in shapes.items()})


def _wide_model(rng: np.random.Generator) -> Model:
    """A random model whose products have 8 units and more (full vector blocks and a tail), any cell and option."""
    cell = str(rng.choice(("rnn", "lstm", "gru")))
    hidden, input_size, layers = int(rng.integers(8, 30)), int(rng.integers(1, 12)), int(rng.integers(1, 3))
    direction = str(rng.choice(("forward", "reverse", "bidirectional")))
    lstm = cell == "lstm"
    options: dict[str, Any] = {
        "nonlinearity": str(rng.choice(("tanh", "relu"))) if cell == "rnn" else "tanh",
        "linear_before_reset": bool(rng.random() < 0.5) if cell == "gru" else True,
        "proj_size": int(rng.integers(8, hidden)) if lstm and hidden > 9 and rng.random() < 0.4 else 0,
        "peepholes": lstm and bool(rng.random() < 0.5),
        "clip": float(rng.choice((0.5, 1.7, 3.0))) if rng.random() < 0.3 else None,
    }
    shell = Model(cell, input_size, hidden, layers, direction, (), **options)
    scale = float(rng.choice((0.3, 1.0)))
    built = [
        Layer(**{name: _uniform(rng, shell.expected_shapes(index), scale) for name in shell.direction_names})
        for index in range(layers)
    ]
    head = None
    if rng.random() < 0.5:
        size, width = int(rng.integers(1, 12)), shell.num_directions * shell.output_size
        activation = str(rng.choice(("identity", "softmax")))
        head = Head(rng.uniform(-1, 1, (size, width)), rng.uniform(-1, 1, size), activation)
    model = Model(cell, input_size, hidden, layers, direction, tuple(built), head=head, **options)
    check_model(model)
    return model


def _wide_case(rng: np.random.Generator, model: Model) -> dict[str, Any]:
    """1-7 batch rows (row groups of 4 and a rest), maybe special values, maybe h0/c0, maybe uneven lengths."""
    steps, batch = int(rng.integers(1, 7)), int(rng.integers(1, 8))
    x = rng.normal(0.0, 1.5, (steps, batch, model.input_size))
    if rng.random() < 0.4:  # special values through every elementary function's selects
        specials = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 3e38, -3e38, 40.0, -710.0, 5e-324])
        x.flat[rng.choice(x.size, min(x.size, 4), replace=False)] = rng.choice(specials, min(x.size, 4))
    case: dict[str, Any] = {"x": x, "h0": None, "c0": None}
    if rng.random() < 0.5:
        case["h0"] = rng.normal(0, 1, model.state_shape(batch))
        if model.cell == "lstm":
            case["c0"] = rng.normal(0, 2, model.cell_state_shape(batch))
    case["lengths"] = rng.integers(1, steps + 1, batch) if rng.random() < 0.5 else None
    return case


@functools.cache
def _wide_subject(seed: int, dtype: str) -> tuple[Model, dict[str, Any], Result]:
    """Wide model number ``seed``, a case, and numpy's exact result for it (the other implementation)."""
    rng = np.random.default_rng(7100 + seed)
    model = _wide_model(rng)
    case = _wide_case(rng, model)
    want = rr.get_backend("numpy").load(model, dtype=dtype, kernel="exact").forward(**case)
    return model, case, want


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(16))
@pytest.mark.parametrize("variant", ["base", "avx2", "avx512"])
def test_every_variant_gives_the_numpy_bits(variant: str, seed: int, dtype: str, _widest_after: None) -> None:
    order = ("base", "avx2", "avx512")
    if order.index(variant) > order.index(_widest_variant()):
        pytest.skip(f"this library (its build or the CPU) does not run the {variant} variant")
    _, lib = _isa_library()
    model, case, want = _wide_subject(seed, dtype)
    assert lib.rr_exact_isa_select(variant.encode()) == 1
    assert _variant_in_use() == variant
    got = CNet(model, dtype=dtype, kernel="exact").forward(**case)
    problem = first_bit_difference(got, want)
    assert problem is None, f"{variant} {dtype} {model.cell} H={model.hidden_size} B={case['x'].shape[1]}: {problem}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_two_threads_share_the_rows_with_the_numpy_bits(cell: str, dtype: str) -> None:
    """threads=2 on a call big enough to start the second thread (c/src/exact_isa_impl.h: 2^18 multiply-adds)."""
    rng = np.random.default_rng(7300)
    hidden, input_size, steps, batch = 40, 12, 9, 5  # 9 * 5 * (G*40) * (40 + 12) multiply-adds >= 2^18
    shell = Model(cell, input_size, hidden, 1, "forward", ())
    layer = Layer(**{name: _uniform(rng, shell.expected_shapes(0), 0.4) for name in shell.direction_names})
    model = Model(cell, input_size, hidden, 1, "forward", (layer,), linear_before_reset=cell == "lstm")
    x = rng.normal(0, 1.5, (steps, batch, input_size))
    lengths = np.array([9, 3, 9, 1, 6])
    want = rr.get_backend("numpy").load(model, dtype=dtype, kernel="exact").forward(x, lengths=lengths)
    got = CNet(model, dtype=dtype, kernel="exact", threads=2).forward(x, lengths=lengths)
    problem = first_bit_difference(got, want)
    assert problem is None, f"{cell} {dtype} threads=2: {problem}"

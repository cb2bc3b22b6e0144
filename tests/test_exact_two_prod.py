"""two_prod's error term by FMA in the C and Java exact kernels (docs/exact-kernel.md, "two_prod by FMA").

The AVX2 and AVX-512 variants of the C exact kernel (c/src/exact.h), and Java where HotSpot runs Math.fma as an
instruction (UseFMA), compute ``e = fma(a, b, -a*b)`` where the operands are tame (0, or 2^-480 <= |x| < 2^500:
every weight of a matrix and every activation of a dot product; the elementary functions' products where their
argument is not tiny); float32 nets whose activations are float32 values skip e (it is +0). The other
implementation, numpy's exact kernel (Dekker's formula everywhere), gives the expected bits. Here:

- the C variant in use says how it computes two_prod, and the fast paths really run (the library's tallies grow);
  Java's choice follows the JVM's UseFMA;
- models whose weights and inputs sit on both sides of the tame bounds, whose products underflow, overflow or
  are exact, whose rounded products cancel (the outputs are the error terms), and whose outputs are subnormal,
  give numpy's bits in every C variant the CPU runs and in Java, float64 and float32.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.backends.c_backend import CNet
from rnn_rosetta.model import DirectionWeights, Layer, Model
from rnn_rosetta.model_rules import check_model
from tests.conftest import require_backend
from tests.test_exact_kernel import first_bit_difference

# the library's test hooks (c/src/exact.h, not in the public header) and the CPU checks it chooses by
HOOKS = """
const char *rr_exact_isa_name(void);
int rr_exact_isa_select(const char *name);
const char *rr_exact_two_prod_name(void);
size_t rr_exact_fast_dots(int fma);
int rr_cpu_has_avx2_fma(void);
int rr_cpu_has_avx512(void);
"""
VARIANTS = ("base", "avx2", "avx512")
DTYPES = ("float64", "float32")

# exponents of the values each scenario draws (with random significands in [1, 2) and signs; 0 means a zero)
SCENARIOS: dict[str, tuple[tuple[int | None, ...], tuple[int | None, ...]]] = {
    # name: (weight exponents, input exponents)
    "tame_low": ((-480, -479, -470), (-480, -479, -475)),  # every product in [2^-960, 2^-940): FMA, all exact
    "tame_high": ((498, 499), (-3, 0)),  # weights up to 2^500 - ulp: FMA
    "tame_with_zeros": ((None, -2, 0), (None, -1, 0)),  # exact zeros of both signs
    "below_low": ((-481, -480), (-482, -481, -480)),  # 2^-481: not tame, Dekker; subnormal products
    "above_high": ((499, 500), (-1, 0)),  # 2^500: not tame, Dekker
    "underflow": ((-540, -530), (-540, -520)),  # products far below 2^-1022, some underflow to -0 / +0
    "overflow": ((600, 1000), (-1, 300)),  # split and product overflow: inf and NaN, the same in both
}


@pytest.fixture(scope="module", autouse=True)
def _c() -> None:
    require_backend("c")


@functools.cache
def _hooks() -> tuple[Any, Any]:
    """(ffi, lib) over the library the C backend has open (the same handle, so the same variant in use)."""
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(HOOKS)
    return ffi, ffi.dlopen(str(paths.c_library()))


def _widest() -> str:
    lib = _hooks()[1]
    return "avx512" if lib.rr_cpu_has_avx512() else "avx2" if lib.rr_cpu_has_avx2_fma() else "base"


def _select(variant: str) -> None:
    ffi, lib = _hooks()
    if VARIANTS.index(variant) > VARIANTS.index(_widest()):
        pytest.skip(f"this library (its build or the CPU) does not run the {variant} variant")
    assert lib.rr_exact_isa_select(variant.encode()) == 1
    assert ffi.string(lib.rr_exact_isa_name()).decode() == variant


@pytest.fixture
def _widest_after() -> Iterator[None]:
    yield
    ffi, lib = _hooks()
    assert lib.rr_exact_isa_select(ffi.NULL) == 1


def _draw(rng: np.random.Generator, exponents: tuple[int | None, ...], shape: tuple[int, ...]) -> np.ndarray:
    """Values +-m * 2^e, m uniform in [1, 2), e drawn from ``exponents`` (None: a zero of either sign)."""
    picks = rng.integers(0, len(exponents), shape)
    signs = rng.choice((-1.0, 1.0), shape)
    out = np.empty(shape)
    for index, exponent in enumerate(exponents):
        where = picks == index
        if exponent is None:
            out[where] = signs[where] * 0.0
        else:
            out[where] = signs[where] * np.ldexp(rng.uniform(1.0, 2.0, int(where.sum())), exponent)
    return out


def _scenario_case(name: str, seed: int, dtype: str) -> tuple[Model, dict[str, Any]]:
    """A random one-layer model (8-24 units: full vector blocks and a tail) and input for scenario ``name``."""
    rng = np.random.default_rng(9300 + 31 * seed + len(name))
    weight_exps, input_exps = SCENARIOS[name]
    if dtype == "float32":  # float32 cannot hold these magnitudes: keep the pattern (zeros, spread), scaled in
        weight_exps = tuple(None if e is None else max(-60, min(60, e // 10)) for e in weight_exps)
        input_exps = tuple(None if e is None else max(-60, min(60, e // 10)) for e in input_exps)
    cell = str(rng.choice(("rnn", "lstm", "gru")))
    hidden, input_size = int(rng.integers(8, 25)), int(rng.integers(8, 20))
    options: dict[str, Any] = {"linear_before_reset": bool(rng.random() < 0.5)} if cell == "gru" else {}
    shell = Model(cell, input_size, hidden, 1, "forward", (), **options)
    shapes = shell.expected_shapes(0)
    weights = DirectionWeights(**{n: _draw(rng, weight_exps, shape) for n, shape in shapes.items()})
    model = Model(cell, input_size, hidden, 1, "forward", (Layer(forward=weights),), **options)
    check_model(model)
    steps, batch = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    return model, {"x": _draw(rng, input_exps, (steps, batch, input_size)), "h0": None, "c0": None, "lengths": None}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("variant", VARIANTS)
def test_edges_of_tame_give_the_numpy_bits(
    variant: str, scenario: str, seed: int, dtype: str, _widest_after: None
) -> None:
    _select(variant)
    model, case = _scenario_case(scenario, seed, dtype)
    with np.errstate(all="ignore"):
        want = rr.get_backend("numpy").load(model, dtype=dtype, kernel="exact").forward(**case)
    got = CNet(model, dtype=dtype, kernel="exact").forward(**case)
    problem = first_bit_difference(got, want)
    assert problem is None, f"{variant} {scenario} {dtype} {model.cell} H={model.hidden_size}: {problem}"


def _cancelling_case(seed: int, a_exp: int, b_exp: int) -> tuple[Model, dict[str, Any]]:
    """An RNN whose pre-activations are a1*b1[j] - a2*b2[j] with RN(a1*b1[j]) == RN(a2*b2[j]): the sums p
    cancel and the output is the difference of the two error terms, made visible (no bias, no state)."""
    rng = np.random.default_rng(9500 + seed)
    hidden = input_size = 8
    a1, a2 = (float(np.ldexp(rng.uniform(1.0, 2.0), a_exp)) for _ in range(2))
    w_ih = np.zeros((hidden, input_size))
    for j in range(hidden):
        while True:  # b2 near a1*b1/a2, one of its neighbours: the same rounded product, another exact one
            b1 = float(np.ldexp(rng.uniform(1.0, 2.0), b_exp))
            b2 = float(np.nextafter(a1 * b1 / a2, rng.choice((-np.inf, np.inf))))
            if a1 * b1 == a2 * b2 and Fraction(a1) * Fraction(b1) != Fraction(a2) * Fraction(b2):
                break
        w_ih[j, :2] = (b1, -b2)
    zeros = {"weight_hh": np.zeros((hidden, hidden)), "bias_ih": np.zeros(hidden), "bias_hh": np.zeros(hidden)}
    layer = Layer(forward=DirectionWeights(weight_ih=w_ih, **zeros))
    model = Model("rnn", input_size, hidden, 1, "forward", (layer,))
    check_model(model)
    x = np.zeros((1, 1, input_size))
    x[0, 0, :2] = (a1, a2)
    return model, {"x": x, "h0": None, "c0": None, "lengths": None}


@pytest.mark.parametrize("scale", [(-480, -470), (-500, -500), (-490, -515)])
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("variant", VARIANTS)
def test_cancelling_products_show_the_error_terms(
    variant: str, seed: int, scale: tuple[int, int], _widest_after: None
) -> None:
    """Tame (2^-950) and tiny (2^-1000, 2^-1005) products whose rounded parts cancel: the outputs are
    the error terms, which FMA and Dekker's formula (numpy) round differently below 2^-996."""
    _select(variant)
    model, case = _cancelling_case(seed, *scale)
    with np.errstate(all="ignore"):
        want = rr.get_backend("numpy").load(model, dtype="float64", kernel="exact").forward(**case)
    got = CNet(model, dtype="float64", kernel="exact").forward(**case)
    assert np.any(want.output != 0), "the error terms cancel to zero: the case shows nothing"
    problem = first_bit_difference(got, want)
    assert problem is None, f"{variant} 2^{scale}: {problem}"


def _tiny_gates_case(seed: int, cell: str) -> tuple[Model, dict[str, Any]]:
    """8 units whose outputs are subnormal or tiny: an RNN h = tanh(x) with x in [2^-1074, 2^-1000), or an LSTM
    h = tanh(sigmoid(x) * 1) with x in (-745, -690): the elementary functions' products (two_prod in exp's
    polynomial, in tanh's and sigmoid's divisions) are not tame there and must keep Dekker's formula."""
    rng = np.random.default_rng(9700 + seed)
    units = 8
    eye = np.eye(units)
    if cell == "rnn":
        x = rng.choice((-1.0, 1.0), units) * np.ldexp(rng.uniform(1.0, 2.0, units), rng.integers(-1074, -1000, units))
        zeros = {"weight_hh": np.zeros((units, units)), "bias_ih": np.zeros(units), "bias_hh": np.zeros(units)}
        weights = DirectionWeights(weight_ih=eye, **zeros)
    else:  # gates i, f, g, o: i = sigmoid(x) tiny, f = 0 (c0 = 0), g = tanh(40) = 1, o = sigmoid(40) = 1
        x = -rng.uniform(690.0, 745.0, units)
        weight_ih = np.concatenate([eye, np.zeros((3 * units, units))])
        bias_ih = np.concatenate([np.zeros(units), np.full(units, -40.0), np.full(2 * units, 40.0)])
        zeros = {"weight_hh": np.zeros((4 * units, units)), "bias_hh": np.zeros(4 * units)}
        weights = DirectionWeights(weight_ih=weight_ih, bias_ih=bias_ih, **zeros)
    model = Model(cell, units, units, 1, "forward", (Layer(forward=weights),))
    check_model(model)
    return model, {"x": x.reshape(1, 1, units), "h0": None, "c0": None, "lengths": None}


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("variant", VARIANTS)
def test_tiny_values_through_the_elementary_functions(variant: str, seed: int, cell: str, _widest_after: None) -> None:
    _select(variant)
    model, case = _tiny_gates_case(seed, cell)
    with np.errstate(all="ignore"):
        want = rr.get_backend("numpy").load(model, dtype="float64", kernel="exact").forward(**case)
    got = CNet(model, dtype="float64", kernel="exact").forward(**case)
    assert np.all(np.abs(want.output) < 2.0**-990) and np.any(want.output != 0), "not the tiny outputs meant"
    problem = first_bit_difference(got, want)
    assert problem is None, f"{variant} {cell}: {problem}"


@pytest.fixture(scope="module")
def _java() -> Any:
    require_backend("java")
    from rnn_rosetta.backends.java_backend import start_jvm

    return start_jvm()


def _java_bits(model: Model, case: dict[str, Any], dtype: str, what: str) -> None:
    from rnn_rosetta.backends.java_backend import JavaNet

    with np.errstate(all="ignore"):
        want = rr.get_backend("numpy").load(model, dtype=dtype, kernel="exact").forward(**case)
    got = JavaNet(model, dtype=dtype, kernel="exact").forward(**case)
    problem = first_bit_difference(got, want)
    assert problem is None, f"java {what} {dtype} {model.cell}: {problem}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_java_edges_of_tame_give_the_numpy_bits(_java: Any, scenario: str, seed: int, dtype: str) -> None:
    _java_bits(*_scenario_case(scenario, seed, dtype), dtype, scenario)


@pytest.mark.parametrize("scale", [(-480, -470), (-500, -500), (-490, -515)])
@pytest.mark.parametrize("seed", range(4))
def test_java_cancelling_products_show_the_error_terms(_java: Any, seed: int, scale: tuple[int, int]) -> None:
    _java_bits(*_cancelling_case(seed, *scale), "float64", f"cancelling 2^{scale}")


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("seed", range(4))
def test_java_tiny_values_through_the_elementary_functions(_java: Any, seed: int, cell: str) -> None:
    _java_bits(*_tiny_gates_case(seed, cell), "float64", "tiny")


def test_java_uses_fma_exactly_when_the_jvm_runs_it_as_an_instruction(_java: Any) -> None:
    import jpype

    management = jpype.JClass("java.lang.management.ManagementFactory")
    bean_class = jpype.JClass("com.sun.management.HotSpotDiagnosticMXBean")
    use_fma = str(management.getPlatformMXBean(bean_class).getVMOption("UseFMA").getValue()) == "true"
    field = jpype.JClass("java.lang.Class").forName("rnnrosetta.DoubleDouble").getDeclaredField("FMA")
    field.setAccessible(True)
    assert bool(field.getBoolean(None)) == use_fma


def test_fma_variants_say_fma(_widest_after: None) -> None:
    ffi, lib = _hooks()
    for variant in VARIANTS[: VARIANTS.index(_widest()) + 1]:
        _select(variant)
        assert ffi.string(lib.rr_exact_two_prod_name()).decode() == ("dekker" if variant == "base" else "fma")


@pytest.mark.parametrize("variant", VARIANTS)
def test_fma_path_runs_on_a_tame_float64_model(variant: str, _widest_after: None) -> None:
    """The tally of FMA dot products grows by a forward in an FMA variant, and not in base."""
    _select(variant)
    lib = _hooks()[1]
    model, case = _scenario_case("tame_high", 0, "float64")
    net = CNet(model, dtype="float64", kernel="exact")
    before = lib.rr_exact_fast_dots(1)
    net.forward(**case)
    grew = lib.rr_exact_fast_dots(1) - before
    assert (grew > 0) == (variant != "base"), f"{variant}: {grew} FMA dot products"


@pytest.mark.parametrize("variant", VARIANTS)
def test_float32_products_skip_the_error_term(variant: str, _widest_after: None) -> None:
    """float32 values' products are exact: the tally of dot products with e = +0 grows in every variant."""
    _select(variant)
    lib = _hooks()[1]
    model, case = _scenario_case("tame_with_zeros", 0, "float32")
    net = CNet(model, dtype="float32", kernel="exact")
    before = lib.rr_exact_fast_dots(0)
    net.forward(**case)
    assert lib.rr_exact_fast_dots(0) > before

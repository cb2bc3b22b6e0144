"""The exact kernel (docs/exact-kernel.md): its arithmetic against exact oracles, and the bits of numpy, C and Java.

- the primitives are exact (``fractions.Fraction``) and the elementary functions are within 2^-95 of
  mpmath at 300 bits, over thousands of arguments (tiny, huge, saturating, subnormal results, +-0, inf, NaN);
- numpy's exact kernel gives the same bits as C's and Java's on every committed fixture and on 200
  random models and chains (every cell and option), float64 and float32 (the expected bits come from
  the other languages, never from numpy itself);
- a row's bits do not depend on the batch it runs in, nor on the call;
- the kernel agrees with the fixtures' oracles (PyTorch float64 and others) and with PyTorch float64
  on random models, within the fixtures' tolerance.
"""

from __future__ import annotations

import functools
import zlib
from fractions import Fraction
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import oracles
from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.compare import compare
from rnn_rosetta.exact.dd import two_prod, two_sum
from rnn_rosetta.exact.elementary import exp_dd, expm1_dd, sigmoid_dd, tanh_dd
from rnn_rosetta.model import DirectionWeights, Head, Layer, Model
from rnn_rosetta.model_rules import check_model
from rnn_rosetta.result import Result
from tests.conftest import ALL_FIXTURE_PATHS, require_backend, require_torch

DTYPES = ("float64", "float32")
OTHER_BACKENDS = ("c", "java")
RANDOM_MODELS = 200
BOUND = 2.0**-95  # the elementary functions' relative error (docs/exact-kernel.md)
TINY = 2.0**-1074  # the least subnormal: the absolute error a subnormal result may carry

# -- the primitives and the elementary functions against exact oracles ------------------------------


def _doubles(rng: np.random.Generator, count: int, low: int, high: int) -> np.ndarray:
    """Random signed doubles with exponents uniform in ``low .. high``."""
    mantissa = rng.uniform(1.0, 2.0, count) * rng.choice((-1.0, 1.0), count)
    return np.ldexp(mantissa, rng.integers(low, high + 1, count))


def test_two_sum_is_exact() -> None:
    rng = np.random.default_rng(1)
    a, b = _doubles(rng, 4000, -1000, 1000), _doubles(rng, 4000, -1000, 1000)
    b[:1000] = a[:1000] * rng.uniform(0.5, 2.0, 1000)  # near cancellation
    s, e = two_sum(a, b)
    for k in range(a.size):
        assert Fraction(s[k]) + Fraction(e[k]) == Fraction(a[k]) + Fraction(b[k]), (a[k].hex(), b[k].hex())
    assert np.all(s == a + b)


def test_two_prod_is_exact() -> None:
    rng = np.random.default_rng(2)
    a, b = _doubles(rng, 4000, -480, 480), _doubles(rng, 4000, -480, 480)
    p, e = two_prod(a, b)
    for k in range(a.size):
        assert Fraction(p[k]) + Fraction(e[k]) == Fraction(a[k]) * Fraction(b[k]), (a[k].hex(), b[k].hex())
    assert np.all(p == a * b)


def _arguments(rng: np.random.Generator, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """dd arguments: uniform in [low, high], tiny ones down to 2^-960, round numbers, each with a low part."""
    hi = np.concatenate([
        rng.uniform(low, high, 2000),
        rng.uniform(-1.0, 1.0, 500),
        _doubles(rng, 500, -960, -1),
        np.arange(np.ceil(low), np.floor(high) + 1.0),
    ])  # fmt: skip
    hi = hi[(hi >= low) & (hi <= high)]
    lo = hi * rng.uniform(-(2.0**-54), 2.0**-54, hi.size)  # |lo| <= ulp(hi) / 2
    lo[::3] = 0.0
    return hi, lo


def _relative_errors(function: Any, reference: Any, hi: np.ndarray, lo: np.ndarray) -> tuple[float, float, float]:
    """The worst ``|f(x) - F(x)| - TINY`` relative to ``|F(x)|`` over the arguments, and where."""
    got_hi, got_lo = function((hi, lo))
    worst, at_hi, at_lo = 0.0, 0.0, 0.0
    with mpmath.workprec(300):
        for k in range(hi.size):
            x = mpmath.mpf(float(hi[k])) + mpmath.mpf(float(lo[k]))
            want = reference(x)
            error = abs(mpmath.mpf(float(got_hi[k])) + mpmath.mpf(float(got_lo[k])) - want)
            error = max(error - TINY, 0)  # a subnormal result carries up to one subnormal ulp
            ratio = float(error / abs(want)) if want != 0 else float(error)
            if ratio > worst:
                worst, at_hi, at_lo = ratio, float(hi[k]), float(lo[k])
    return worst, at_hi, at_lo


def _sigmoid(x: Any) -> Any:
    return 1 / (1 + mpmath.exp(-x))


@pytest.mark.parametrize(
    ("name", "function", "reference", "low", "high"),
    [
        ("exp", exp_dd, mpmath.exp, -745.0, 709.7),  # below -708: subnormal results
        ("expm1", expm1_dd, mpmath.expm1, -79.0, 79.0),
        ("tanh", tanh_dd, mpmath.tanh, -45.0, 45.0),  # saturating beyond 40
        ("sigmoid", sigmoid_dd, _sigmoid, -800.0, 800.0),  # subnormal and zero results below -708
    ],
)
def test_elementary_function_within_2_to_minus_95(
    name: str, function: Any, reference: Any, low: float, high: float
) -> None:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    hi, lo = _arguments(rng, low, high)
    with np.errstate(all="ignore"):
        worst, at_hi, at_lo = _relative_errors(function, reference, hi, lo)
    assert worst < BOUND, f"{name}: relative error {worst:.3g} at ({at_hi.hex()}, {at_lo.hex()})"


def _one(function: Any, x: float) -> tuple[float, float]:
    with np.errstate(all="ignore"):
        hi, lo = function((np.array([x]), np.array([0.0])))
    return float(hi[0]), float(lo[0])


def _same_bits(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or np.float64(a).tobytes() == np.float64(b).tobytes()


@pytest.mark.parametrize(
    ("function", "x", "want"),
    [
        (exp_dd, 0.0, 1.0), (exp_dd, -0.0, 1.0), (exp_dd, np.inf, np.inf), (exp_dd, -np.inf, 0.0),
        (exp_dd, 710.0, np.inf), (exp_dd, -746.0, 0.0), (exp_dd, np.nan, np.nan),
        (tanh_dd, 0.0, 0.0), (tanh_dd, -0.0, -0.0), (tanh_dd, np.inf, 1.0), (tanh_dd, -np.inf, -1.0),
        (tanh_dd, 40.0, 1.0), (tanh_dd, -1e300, -1.0), (tanh_dd, np.nan, np.nan),
        (sigmoid_dd, 0.0, 0.5), (sigmoid_dd, -0.0, 0.5), (sigmoid_dd, np.inf, 1.0), (sigmoid_dd, -np.inf, 0.0),
        (sigmoid_dd, -1e300, 0.0), (sigmoid_dd, 1e300, 1.0), (sigmoid_dd, np.nan, np.nan),
    ],
)  # fmt: skip
def test_elementary_special_values(function: Any, x: float, want: float) -> None:
    hi, lo = _one(function, x)
    assert _same_bits(hi, want), f"{function.__name__}({x!r}) = {hi!r}, want {want!r}"
    if not np.isnan(want):
        assert lo == 0.0


def test_exp_subnormal_results_are_correctly_rounded_or_next() -> None:
    """Down where results are subnormal (x in [-745, -708]) the rounded value is within one subnormal step."""
    xs = np.linspace(-745.1, -708.5, 997)
    with np.errstate(all="ignore"):
        hi, _ = exp_dd((xs, np.zeros_like(xs)))
    with mpmath.workprec(200):
        for x, got in zip(xs, hi, strict=True):
            assert abs(mpmath.mpf(float(got)) - mpmath.exp(mpmath.mpf(float(x)))) <= TINY, float(x).hex()


# -- random models and chains (every cell and option) -----------------------------------------------


def _weights(rng: np.random.Generator, shapes: dict[str, tuple[int, ...]], scale: float) -> DirectionWeights:
    return DirectionWeights(**{name: rng.uniform(-scale, scale, shape) for name, shape in shapes.items()})


def random_model(rng: np.random.Generator, input_size: int, layers: int, head: bool) -> Model:
    """A random v1 model: any cell, direction, nonlinearity, GRU reset, projection, peepholes, clip, head."""
    cell = str(rng.choice(("rnn", "lstm", "gru")))
    hidden = int(rng.integers(1, 6))
    direction = str(rng.choice(("forward", "reverse", "bidirectional")))
    lstm = cell == "lstm"
    options: dict[str, Any] = {
        "nonlinearity": str(rng.choice(("tanh", "relu"))) if cell == "rnn" else "tanh",
        "linear_before_reset": bool(rng.random() < 0.5) if cell == "gru" else True,
        "proj_size": int(rng.integers(1, hidden)) if lstm and hidden > 1 and rng.random() < 0.4 else 0,
        "peepholes": lstm and bool(rng.random() < 0.5),
        "clip": float(rng.choice((0.5, 1.7, 3.0))) if rng.random() < 0.3 else None,
    }
    shell = Model(cell, input_size, hidden, layers, direction, (), **options)
    scale = float(rng.choice((0.3, 1.0, 3.0)))
    built = []
    for index in range(layers):
        shapes = shell.expected_shapes(index)
        built.append(Layer(**{name: _weights(rng, shapes, scale) for name in shell.direction_names}))
    model_head = None
    if head:
        size, width = int(rng.integers(1, 5)), shell.num_directions * shell.output_size
        activation = str(rng.choice(("identity", "softmax")))
        model_head = Head(rng.uniform(-1, 1, (size, width)), rng.uniform(-1, 1, size), activation)
    model = Model(cell, input_size, hidden, layers, direction, tuple(built), head=model_head, **options)
    check_model(model)
    return model


def random_chain(rng: np.random.Generator) -> Chain:
    """A random chain: embedding or not, 1-3 layers with any merge, a readout, 0-2 dense layers."""
    embedding = None
    width = int(rng.integers(1, 5))
    if rng.random() < 0.4:
        embedding = Embedding(rng.uniform(-1, 1, (int(rng.integers(2, 9)), width)))
    layers, merges = [], []
    for _ in range(int(rng.integers(1, 4))):
        layer = random_model(rng, width, 1, head=False)
        merge = str(rng.choice(("concat", "sum", "mul", "ave"))) if layer.num_directions == 2 else "concat"
        layers.append(layer)
        merges.append(merge)
        width = layer.output_size * (2 if merge == "concat" and layer.num_directions == 2 else 1)
    dense = []
    for _ in range(int(rng.integers(0, 3))):
        size = int(rng.integers(1, 5))
        activation = str(rng.choice(("identity", "softmax", "tanh", "sigmoid", "relu")))
        dense.append(Dense(rng.uniform(-1.5, 1.5, (size, width)), rng.uniform(-1, 1, size), activation))
        width = size
    readout = str(rng.choice(("sequence", "last")))
    chain = Chain(tuple(layers), tuple(merges), embedding, tuple(dense), readout)
    check_model(chain)
    return chain


def random_case(rng: np.random.Generator, model: Model | Chain) -> dict[str, Any]:
    """forward()'s arguments: inputs (or tokens), maybe h0/c0 (a list of slots for a chain), maybe lengths."""
    steps, batch = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    chain = model if isinstance(model, Chain) else None
    if chain is not None and chain.embedding is not None:
        x: np.ndarray = rng.integers(0, chain.embedding.vocab_size, (steps, batch))
    else:
        x = rng.normal(0.0, float(rng.choice((0.5, 2.0, 6.0))), (steps, batch, model.input_size))
    case: dict[str, Any] = {"x": x, "h0": None, "c0": None, "lengths": None}
    if rng.random() < 0.5:
        if chain is not None:
            case["h0"] = [rng.normal(0, 1, (batch, size)) for size in chain.state_sizes]
            if chain.cell_state_sizes:
                case["c0"] = [rng.normal(0, 1, (batch, size)) for size in chain.cell_state_sizes]
        else:
            assert isinstance(model, Model)
            case["h0"] = rng.normal(0, 1, model.state_shape(batch))
            if model.cell == "lstm":
                case["c0"] = rng.normal(0, 2, model.cell_state_shape(batch))
    if rng.random() < 0.5:
        case["lengths"] = rng.integers(1, steps + 1, batch)
    return case


@functools.cache
def random_subject(seed: int) -> tuple[Model | Chain, tuple[dict[str, Any], ...]]:
    """Model or chain number ``seed`` (a third are chains) and two cases for it."""
    rng = np.random.default_rng(1300 + seed)
    if seed % 3 == 2:
        subject: Model | Chain = random_chain(rng)
    else:
        subject = random_model(rng, int(rng.integers(1, 5)), int(rng.integers(1, 3)), head=rng.random() < 0.4)
    return subject, (random_case(rng, subject), random_case(rng, subject))


# -- bits -----------------------------------------------------------------------------------------------


def _parts(value: Any) -> list[np.ndarray]:
    return [np.asarray(v) for v in value] if isinstance(value, list) else [np.asarray(value)]


def first_bit_difference(got: Result, want: Result) -> str | None:
    """None when every field holds the same bits (any NaN equals any NaN), else where and what differs."""
    got_fields, want_fields = got.fields(), want.fields()
    if set(got_fields) != set(want_fields):
        return f"fields {sorted(got_fields)} vs {sorted(want_fields)}"
    for name, value in got_fields.items():
        mine, theirs = _parts(value), _parts(want_fields[name])
        for slot, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            if a.shape != b.shape or a.dtype != b.dtype:
                return f"{name}[{slot}]: {a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)}"
            same = (a.view(np.uint8).reshape(*a.shape, -1) == b.view(np.uint8).reshape(*b.shape, -1)).all(axis=-1)
            same |= np.isnan(a) & np.isnan(b)
            if not same.all():
                index = tuple(int(i) for i in np.argwhere(~same)[0])
                x, y = float(a[index]), float(b[index])
                return f"{name} slot {slot} at {index}: {x!r} ({x.hex()}) vs {y!r} ({y.hex()})"
    return None


def run_exact(backend: str, subject: Model | Chain, dtype: str, case: dict[str, Any]) -> Result:
    net = rr.get_backend(backend).load(subject, dtype=dtype, kernel="exact")
    assert net.kernel_name == "exact"
    return net.forward(case["x"], case["h0"], case["c0"], case["lengths"])


@functools.cache
def _fixture(path: Path) -> rr.Fixture:
    return rr.load_fixture(path)


@functools.cache
def numpy_exact_fixture(path: Path, dtype: str) -> tuple[Result, ...]:
    fixture = _fixture(path)
    net = rr.get_backend("numpy").load(fixture.model, dtype=dtype, kernel="exact")
    return tuple(net.forward(case.feed, case.h0, case.c0, case.lengths) for case in fixture.cases)


@pytest.mark.parametrize("other", OTHER_BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("path", ALL_FIXTURE_PATHS, ids=[p.stem for p in ALL_FIXTURE_PATHS])
def test_fixture_bits_numpy_vs(path: Path, dtype: str, other: str) -> None:
    require_backend(other)
    fixture = _fixture(path)
    net = rr.get_backend(other).load(fixture.model, dtype=dtype, kernel="exact")
    assert net.kernel_name == "exact"
    for case, mine in zip(fixture.cases, numpy_exact_fixture(path, dtype), strict=True):
        theirs = net.forward(case.feed, case.h0, case.c0, case.lengths)
        difference = first_bit_difference(mine, theirs)
        assert difference is None, f"{path.stem} / {case.name} {dtype}: numpy vs {other}: {difference}"


@functools.cache
def numpy_exact_random(seed: int, dtype: str) -> tuple[Result, ...]:
    subject, cases = random_subject(seed)
    return tuple(run_exact("numpy", subject, dtype, case) for case in cases)


@pytest.mark.parametrize("other", OTHER_BACKENDS)
@pytest.mark.parametrize("seed", range(RANDOM_MODELS))
def test_random_bits_numpy_vs(seed: int, other: str) -> None:
    require_backend(other)
    subject, cases = random_subject(seed)
    for dtype in DTYPES:
        for number, (case, mine) in enumerate(zip(cases, numpy_exact_random(seed, dtype), strict=True)):
            difference = first_bit_difference(mine, run_exact(other, subject, dtype, case))
            assert difference is None, f"{subject.describe()} / case {number} {dtype}: numpy vs {other}: {difference}"


SPECIAL_VALUES = np.array([np.inf, -np.inf, np.nan, 1e300, -1e300, 5e-324, -0.0, 745.0, -746.0, 40.0])


@pytest.mark.filterwarnings("ignore:overflow encountered in cast")  # 1e300 as float32 is inf, as it should be
@pytest.mark.parametrize("other", OTHER_BACKENDS)
@pytest.mark.parametrize("seed", range(0, RANDOM_MODELS, 10))
def test_special_inputs_bits_numpy_vs(seed: int, other: str) -> None:
    """inf, NaN, huge, subnormal and signed-zero inputs (and states) go through the same operations."""
    require_backend(other)
    subject, cases = random_subject(seed)
    case = dict(cases[0])
    rng = np.random.default_rng(seed)
    if not (isinstance(subject, Chain) and subject.embedding is not None):
        x = case["x"].copy()
        x.flat[rng.integers(0, x.size, min(x.size, 4))] = rng.choice(SPECIAL_VALUES, min(x.size, 4))
        case["x"] = x
    if isinstance(case["h0"], np.ndarray):
        h0 = case["h0"].copy()
        h0.flat[0] = rng.choice(SPECIAL_VALUES)
        case["h0"] = h0
    for dtype in DTYPES:
        mine = run_exact("numpy", subject, dtype, case)
        difference = first_bit_difference(mine, run_exact(other, subject, dtype, case))
        assert difference is None, f"{subject.describe()} {dtype}: numpy vs {other}: {difference}"


# -- numpy's own guarantees --------------------------------------------------------------------------


def _row(case: dict[str, Any], subject: Model | Chain, b: int) -> dict[str, Any]:
    """Batch row ``b`` of a case, as a batch of one."""

    def states(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            return [slot[b : b + 1] for slot in value]
        return value[:, b : b + 1]

    x = case["x"][:, b : b + 1]
    lengths = None if case["lengths"] is None else case["lengths"][b : b + 1]
    return {"x": x, "h0": states(case["h0"]), "c0": states(case["c0"]), "lengths": lengths}


def _take_row(result: Result, b: int, last: bool) -> Result:
    def states(value: Any) -> Any:
        if value is None:
            return None
        return [slot[b : b + 1] for slot in value] if isinstance(value, list) else value[:, b : b + 1]

    y = None if result.y is None else (result.y[b : b + 1] if last else result.y[:, b : b + 1])
    return Result(result.output[:, b : b + 1], states(result.h_n), states(result.c_n), y)  # type: ignore[index]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(0, RANDOM_MODELS, 5))
def test_rows_do_not_depend_on_the_batch_and_calls_repeat(seed: int, dtype: str) -> None:
    subject, cases = random_subject(seed)
    last = isinstance(subject, Chain) and subject.readout == "last"
    for case in cases:
        whole = run_exact("numpy", subject, dtype, case)
        assert first_bit_difference(whole, run_exact("numpy", subject, dtype, case)) is None  # determinism
        for b in range(case["x"].shape[1]):
            alone = run_exact("numpy", subject, dtype, _row(case, subject, b))
            difference = first_bit_difference(_take_row(whole, b, last), alone)
            assert difference is None, f"{subject.describe()} row {b}: batch vs alone: {difference}"


# -- agreement with the oracles ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("path", ALL_FIXTURE_PATHS, ids=[p.stem for p in ALL_FIXTURE_PATHS])
def test_fixture_within_the_oracle_tolerance(path: Path, dtype: str) -> None:
    fixture = _fixture(path)
    tolerance = fixture.tolerance.for_dtype(dtype)
    for case, got in zip(fixture.cases, numpy_exact_fixture(path, dtype), strict=True):
        comparison = compare(got, case.expected, tolerance)
        assert comparison.ok, f"{path.stem} / {case.name} {dtype}: {comparison.problem or comparison.mismatch}"


def _torch_runs(seed: int) -> bool:
    subject = random_subject(seed)[0]
    if not isinstance(subject, Model) or oracles.why_not("torch", subject) is not None:
        return False
    # oracles._torch_head cannot take the reversed (negative-stride) output of a reverse-only model
    return not (subject.direction == "reverse" and subject.head is not None)


#: The random v1 models PyTorch runs (no peepholes, clip or Cho GRU).
TORCH_SEEDS = [seed for seed in range(RANDOM_MODELS) if _torch_runs(seed)]


@pytest.mark.parametrize("seed", TORCH_SEEDS)
def test_random_model_within_torch_float64(seed: int) -> None:
    require_torch()
    subject, cases = random_subject(seed)
    assert isinstance(subject, Model)
    tolerance = rr.Tolerance(**oracles.TOLERANCES["torch"])
    for case in cases:
        want = oracles.expected("torch", subject, case["x"], case["h0"], case["c0"], case["lengths"])
        comparison = compare(run_exact("numpy", subject, "float64", case), want, tolerance)
        assert comparison.ok, f"{subject.describe()}: {comparison.problem or comparison.mismatch}"


@pytest.mark.parametrize("nonlinearity", ("tanh", "relu"))
def test_one_rnn_step_is_correctly_rounded(nonlinearity: str) -> None:
    """float64: ``h_1 = phi(W_ih x + b_ih + W_hh h0 + b_hh)`` of the exact kernel is within half an ulp
    (plus 2^-90 of one) of the real-number value, computed by mpmath at 300 bits."""
    rng = np.random.default_rng(13 if nonlinearity == "tanh" else 14)
    for _ in range(20):
        inputs, hidden = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        shapes = {
            "weight_ih": (hidden, inputs),
            "weight_hh": (hidden, hidden),
            "bias_ih": (hidden,),
            "bias_hh": (hidden,),
        }
        weights = _weights(rng, shapes, 2.0)
        model = Model("rnn", inputs, hidden, 1, "forward", (Layer(forward=weights),), nonlinearity=nonlinearity)
        x, h0 = rng.normal(0, 2, (1, 4, inputs)), rng.normal(0, 1, (1, 4, hidden))
        got = rr.get_backend("numpy").load(model, kernel="exact").forward(x, h0).output[0]  # [B, H]
        with mpmath.workprec(300):
            for b in range(4):
                for j in range(hidden):
                    a = mpmath.mpf(float(weights.bias_ih[j])) + mpmath.mpf(float(weights.bias_hh[j]))
                    a += mpmath.fsum(
                        mpmath.mpf(float(weights.weight_ih[j, k])) * float(x[0, b, k]) for k in range(inputs)
                    )
                    a += mpmath.fsum(
                        mpmath.mpf(float(weights.weight_hh[j, k])) * float(h0[0, b, k]) for k in range(hidden)
                    )
                    want = mpmath.tanh(a) if nonlinearity == "tanh" else max(a, mpmath.mpf(0))
                    error = abs(mpmath.mpf(float(got[b, j])) - want)
                    assert error <= (0.5 + 2.0**-90) * float(np.spacing(abs(got[b, j]))), (b, j, float(got[b, j]))


def _forward_only(seed: int) -> bool:
    subject = random_subject(seed)[0]
    layers = subject.layers if isinstance(subject, Chain) else (subject,)
    return all(layer.direction == "forward" for layer in layers)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", [seed for seed in range(0, RANDOM_MODELS, 3) if _forward_only(seed)])
def test_steps_give_the_bits_of_forward(seed: int, dtype: str) -> None:
    """docs/exact-kernel.md, float32: states are stored between steps, so T single steps equal one forward."""
    subject, cases = random_subject(seed)
    case = {**cases[0], "lengths": None}
    net = rr.get_backend("numpy").load(subject, dtype=dtype, kernel="exact")
    whole = net.forward(case["x"], case["h0"], case["c0"])
    state = None if case["h0"] is None else (case["h0"], case["c0"])
    last = isinstance(subject, Chain) and subject.readout == "last"  # one y per sequence, after the last step
    per_step = whole.output if whole.y is None or last else whole.y  # [T, B, .]
    for t in range(case["x"].shape[0]):
        y_t, state = net.step(case["x"][t], state)
        if not last:
            assert first_bit_difference(Result(output=y_t), Result(output=per_step[t])) is None, t
    assert state is not None
    assert first_bit_difference(Result(h_n=state.h, c_n=state.c), Result(h_n=whole.h_n, c_n=whole.c_n)) is None
    if last:
        assert first_bit_difference(Result(y=y_t), Result(y=whole.y)) is None

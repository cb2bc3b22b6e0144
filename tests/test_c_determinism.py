"""The C library's determinism guarantees (docs/determinism.md, ``## C``), for every kernel of
``c_backend.KERNELS`` (a kernel this CPU lacks is skipped by name), float64 and float32, nets and chains:

- the same bits on every call: one net used 10^4 times, and from 8 Python threads at once (cffi releases
  the GIL, so the calls really overlap);
- batch-split invariance: row b of a batch-B forward has the bits of a batch-1 forward of that sequence
  (its own length, its own initial state), B in {1, 2, 3, 5, 8, 17, 33}, uneven lengths; sizes that give
  a vector tail (H % VLEN != 0) and a K longer than one K-slice of the AVX2 product;
- ``num_threads`` 1 and 2 give the same bits (a model large enough for the second thread to run);
- ``step`` gives the bits of ``forward`` with T = 1.

The expected bits come from the same library in another shape of call (alone, one thread, forward), never
from a stored answer. The last tests hold the AVX2 kernel's float64 sigmoid and tanh within 0.6 ulp of
mpmath (120 bits) over arguments from tiny to saturating, read through the public API: an RNN whose W_ih
is the identity computes h = tanh(x), an LSTM whose g gate saturates at 1 and c0 = 0 computes c = sigmoid(x).
"""

from __future__ import annotations

import threading
from typing import Any

import mpmath
import numpy as np
import pytest

from rnn_rosetta.backends.c_backend import KERNELS, CBackend
from rnn_rosetta.chain import Chain
from rnn_rosetta.errors import InputError
from rnn_rosetta.model import GATE_COUNT, DirectionWeights, Head, Layer, Model
from rnn_rosetta.result import Result
from tests.conftest import require_backend
from tests.test_c_chain import random_chain

DTYPES = ("float64", "float32")
BATCHES = (1, 2, 3, 5, 8, 17, 33)
#: Cell variants: (cell, options); together they reach every gate function of every kernel.
VARIANTS: dict[str, dict[str, Any]] = {
    "rnn_tanh": {"cell": "rnn"},
    "rnn_relu_clip": {"cell": "rnn", "nonlinearity": "relu", "clip": 1.5},
    "lstm_peep_proj": {"cell": "lstm", "peepholes": True, "proj_size": 7},
    "gru_lbr": {"cell": "gru", "clip": 2.0},
    "gru_no_lbr": {"cell": "gru", "linear_before_reset": False},
}


def load(model: Model | Chain, dtype: str, kernel: str, threads: int = 1) -> Any:
    """The C net, or a skip naming the kernel when this CPU lacks it."""
    require_backend("c")
    try:
        return CBackend().load(model, dtype, kernel, threads)
    except InputError as exc:
        if exc.code == "RR_E_UNSUPPORTED":
            pytest.skip(f"this CPU lacks the C kernel {kernel!r}: {exc}")
        raise


def random_model(
    variant: str, seed: int, hidden: int = 13, input_size: int = 6, layers: int = 2, direction: str = "bidirectional"
) -> Model:
    """A model of ``variant`` (VARIANTS or SMALL_STEP_VARIANTS) with a softmax head; H = 13 leaves a vector
    tail in both precisions."""
    options = VARIANTS[variant] if variant in VARIANTS else SMALL_STEP_VARIANTS[variant]
    rng = np.random.default_rng(seed)
    skeleton = Model(
        input_size=input_size, hidden_size=hidden, num_layers=layers, direction=direction, layers=(), **options
    )
    built = []
    for index in range(layers):
        shapes = skeleton.expected_shapes(index)
        built.append(
            Layer(
                **{
                    name: DirectionWeights(**{k: rng.uniform(-0.6, 0.6, s) for k, s in shapes.items()})
                    for name in skeleton.direction_names
                }
            )
        )
    width = skeleton.num_directions * skeleton.output_size
    head = Head(rng.uniform(-1, 1, (5, width)), rng.uniform(-1, 1, 5), "softmax")
    return Model(**{**skeleton.__dict__, "layers": tuple(built), "head": head})


def random_inputs(model: Model, steps: int, batch: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    inputs = {
        "x": rng.standard_normal((steps, batch, model.input_size)) * 1.5,
        "h0": rng.uniform(-1, 1, model.state_shape(batch)),
        "lengths": rng.integers(1, steps + 1, batch),
    }
    if model.cell == "lstm":
        inputs["c0"] = rng.uniform(-2, 2, model.cell_state_shape(batch))
    return inputs


def result_arrays(result: Result) -> list[np.ndarray]:
    arrays = [result.output, result.h_n, result.c_n, result.y]
    flat: list[np.ndarray] = []
    for array in arrays:
        if isinstance(array, list):
            flat.extend(np.asarray(a) for a in array)
        elif array is not None:
            flat.append(np.asarray(array))
    return flat


def assert_same_bits(got: Result, want: Result, what: str) -> None:
    for g, w in zip(result_arrays(got), result_arrays(want), strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype, what
        mismatch = np.flatnonzero(g.reshape(-1).view(np.uint8) != w.reshape(-1).view(np.uint8))
        assert mismatch.size == 0, f"{what}: bits differ at byte {mismatch[0]} of a {g.shape} array"


# --- the same bits on every call -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", KERNELS)
def test_one_net_gives_one_bit_pattern_in_ten_thousand_calls(kernel: str, dtype: str) -> None:
    model = random_model("lstm_peep_proj", seed=1, hidden=9, input_size=4, layers=1)
    net = load(model, dtype, kernel)
    inputs = random_inputs(model, steps=3, batch=2, seed=2)
    first = net.forward(**inputs)
    for call in range(1, 10_000):
        assert_same_bits(net.forward(**inputs), first, f"{kernel} {dtype}: call {call}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", KERNELS)
def test_one_chain_gives_one_bit_pattern_in_ten_thousand_calls(kernel: str, dtype: str) -> None:
    chain = random_chain(seed=11)
    net = load(chain, dtype, kernel)
    rng = np.random.default_rng(3)
    x = (
        rng.integers(0, chain.embedding.vocab_size, (4, 3))
        if chain.embedding
        else rng.uniform(-2, 2, (4, 3, chain.input_size))
    )
    first = net.forward(x, lengths=np.array([4, 2, 3]))
    for call in range(1, 10_000):
        assert_same_bits(net.forward(x, lengths=np.array([4, 2, 3])), first, f"{kernel} {dtype}: call {call}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", KERNELS)
def test_eight_python_threads_share_one_net(kernel: str, dtype: str) -> None:
    model = random_model("gru_no_lbr", seed=4, hidden=21, input_size=5)
    net = load(model, dtype, kernel)
    inputs = random_inputs(model, steps=7, batch=3, seed=5)
    first = net.forward(**inputs)
    failures: list[str] = []
    start = threading.Barrier(8)

    def work(index: int) -> None:
        start.wait()
        for call in range(150):
            try:
                assert_same_bits(net.forward(**inputs), first, f"thread {index} call {call}")
            except AssertionError as exc:
                failures.append(str(exc))
                return

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]


# --- batch-split invariance ------------------------------------------------------------------------


def row_alone(model: Model, inputs: dict[str, np.ndarray], b: int) -> dict[str, np.ndarray]:
    """Sequence b of a batch as a batch of one: its own length, its own initial state."""
    length = int(inputs["lengths"][b])
    alone = {"x": inputs["x"][:length, b : b + 1], "h0": inputs["h0"][:, b : b + 1]}
    if "c0" in inputs:
        alone["c0"] = inputs["c0"][:, b : b + 1]
    return alone


def assert_rows_split_invariant(net: Any, model: Model, inputs: dict[str, np.ndarray], what: str) -> None:
    whole = net.forward(**inputs)
    for b, length in enumerate(inputs["lengths"]):
        alone = net.forward(**row_alone(model, inputs, b))
        row = Result(
            output=np.ascontiguousarray(whole.output[:length, b : b + 1]),
            h_n=np.ascontiguousarray(whole.h_n[:, b : b + 1]),
            c_n=None if whole.c_n is None else np.ascontiguousarray(whole.c_n[:, b : b + 1]),
            y=np.ascontiguousarray(whole.y[:length, b : b + 1]),
        )
        assert_same_bits(row, alone, f"{what}: row {b} (length {length})")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_row_of_a_batch_equals_the_sequence_alone(variant: str, kernel: str, dtype: str) -> None:
    model = random_model(variant, seed=7)
    net = load(model, dtype, kernel)
    for batch in BATCHES:
        inputs = random_inputs(model, steps=6, batch=batch, seed=100 + batch)
        assert_rows_split_invariant(net, model, inputs, f"{variant} {kernel} {dtype} B={batch}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("variant", ["rnn_tanh", "gru_lbr", "gru_no_lbr"])
def test_batch_split_with_products_longer_than_one_k_slice(variant: str, kernel: str, dtype: str) -> None:
    """K = 600 input features: the AVX2 product sums K in slices of 512 (one and four phases)."""
    model = random_model(variant, seed=8, hidden=9, input_size=600, layers=1, direction="forward")
    net = load(model, dtype, kernel)
    for batch in (1, 3, 8):
        inputs = random_inputs(model, steps=3, batch=batch, seed=200 + batch)
        assert_rows_split_invariant(net, model, inputs, f"{variant} K=600 {kernel} {dtype} B={batch}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", KERNELS)
def test_row_of_a_chain_batch_equals_the_sequence_alone(kernel: str, dtype: str) -> None:
    for seed in (21, 22, 23, 24):
        chain = random_chain(seed)
        net = load(chain, dtype, kernel)
        rng = np.random.default_rng(seed)
        for batch in (2, 5, 17):
            steps = 5
            if chain.embedding is not None:
                x = rng.integers(0, chain.embedding.vocab_size, (steps, batch))
            else:
                x = rng.uniform(-2, 2, (steps, batch, chain.input_size))
            lengths = rng.integers(1, steps + 1, batch)
            whole = net.forward(x, lengths=lengths)
            for b, length in enumerate(lengths):
                alone = net.forward(x[:length, b : b + 1])
                what = f"chain {seed} {kernel} {dtype} B={batch} row {b}"
                np.testing.assert_array_equal(whole.output[:length, b], alone.output[:, 0], err_msg=what)
                for got, want in zip(result_arrays(Result(None, whole.h_n, whole.c_n, None)),
                                     result_arrays(Result(None, alone.h_n, alone.c_n, None)), strict=True):  # fmt: skip
                    np.testing.assert_array_equal(got[..., b, :], want[..., 0, :], err_msg=what)
                if whole.y is not None:
                    got_y = whole.y[b] if chain.readout == "last" else whole.y[:length, b]
                    want_y = alone.y[0] if chain.readout == "last" else alone.y[:, 0]
                    np.testing.assert_array_equal(got_y, want_y, err_msg=what)


# --- thread count, step ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("variant", ["rnn_tanh", "lstm_peep_proj", "gru_no_lbr"])
def test_one_and_two_threads_give_the_same_bits(variant: str, kernel: str, dtype: str) -> None:
    """B * K * G * H >= 2^20 multiply-adds per step: the second thread runs (sequence.c)."""
    model = random_model(variant, seed=9, hidden=131, input_size=40)
    one, two = load(model, dtype, kernel, threads=1), load(model, dtype, kernel, threads=2)
    inputs = random_inputs(model, steps=4, batch=64, seed=10)
    assert_same_bits(two.forward(**inputs), one.forward(**inputs), f"{variant} {kernel} {dtype}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_step_equals_forward_of_one_step(variant: str, kernel: str, dtype: str) -> None:
    model = random_model(variant, seed=12, direction="forward")
    net = load(model, dtype, kernel)
    for batch in (1, 4):
        inputs = random_inputs(model, steps=1, batch=batch, seed=13)
        inputs.pop("lengths")
        whole = net.forward(**inputs)
        y_t, state = net.step(inputs["x"][0], (inputs["h0"], inputs.get("c0")))
        what = f"{variant} {kernel} {dtype} B={batch}"
        np.testing.assert_array_equal(y_t, whole.y[0], err_msg=what)
        np.testing.assert_array_equal(state.h, whole.h_n, err_msg=what)
        if whole.c_n is not None:
            np.testing.assert_array_equal(state.c, whole.c_n, err_msg=what)


#: Cells the AVX-512 step runs two gates to a vector for, at H <= half a vector (8 float32, 4 float64).
SMALL_STEP_VARIANTS: dict[str, dict[str, Any]] = {
    "lstm": {"cell": "lstm"},
    "lstm_clip": {"cell": "lstm", "clip": 1.0},
    "gru": {"cell": "gru"},
    "gru_clip": {"cell": "gru", "clip": 1.5},
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("hidden", [1, 3, 4, 7, 8])
@pytest.mark.parametrize("variant", sorted(SMALL_STEP_VARIANTS))
def test_small_layer_step_equals_forward_of_one_step(variant: str, hidden: int, kernel: str, dtype: str) -> None:
    """The step of layers of at most half a vector (two gates per vector on AVX-512) gives the forward's bits,
    over several steps with the state passed back."""
    model = random_model(variant, seed=15 + hidden, hidden=hidden, direction="forward")
    net = load(model, dtype, kernel)
    inputs = random_inputs(model, steps=5, batch=1, seed=16)
    inputs.pop("lengths")
    whole = net.forward(**inputs)
    state: Any = (inputs["h0"], inputs.get("c0"))
    for t in range(5):
        y_t, state = net.step(inputs["x"][t], state)
        np.testing.assert_array_equal(y_t, whole.y[t], err_msg=f"{variant} H={hidden} {kernel} {dtype} t={t}")
    np.testing.assert_array_equal(state.h, whole.h_n, err_msg=f"{variant} H={hidden} {kernel} {dtype}")
    if whole.c_n is not None:
        np.testing.assert_array_equal(state.c, whole.c_n, err_msg=f"{variant} H={hidden} {kernel} {dtype}")


# --- the AVX2 kernel's float64 sigmoid and tanh ------------------------------------------------------

UNITS = 5  # not a multiple of 4: each row runs one full vector and one masked lane


def function_arguments() -> np.ndarray:
    """Arguments from subnormal-tiny to saturating, both signs, and the branch points of tanh (0.25)."""
    rng = np.random.default_rng(14)
    n = 1500
    sign = rng.choice([-1.0, 1.0], n)
    parts = [
        rng.uniform(-1, 1, n), rng.uniform(0.2, 0.3, n) * sign, rng.uniform(-20, 20, n), rng.uniform(-45, 45, n),
        np.exp(rng.uniform(-700, 3, n)) * sign, rng.uniform(-760, 760, 100),
        np.array([0.0, -0.0, 0.25, -0.25, np.nextafter(0.25, 0), 20.0, 19.06, 709.0, -709.0, 5e-324, -5e-324]),
    ]  # fmt: skip
    x = np.concatenate(parts)
    return np.concatenate([x, np.zeros(-len(x) % UNITS)])


def one_layer(cell: str, weights: DirectionWeights, units: int) -> Model:
    return Model(
        cell=cell, input_size=units, hidden_size=units, num_layers=1, direction="forward", layers=(Layer(weights),)
    )


def identity_rnn(units: int = UNITS) -> Model:
    """h = tanh(x): W_ih = I, the rest 0."""
    zeros = np.zeros(units)
    return one_layer("rnn", DirectionWeights(np.eye(units), np.zeros((units, units)), zeros, zeros), units)


def sigmoid_lstm(units: int = UNITS) -> Model:
    """c = f * 0 + i * g with i = sigmoid(x), g = tanh(40) = 1."""
    rows = GATE_COUNT["lstm"] * units
    w_ih = np.zeros((rows, units))
    w_ih[:units] = np.eye(units)
    b_ih = np.zeros(rows)
    b_ih[2 * units : 3 * units] = 40.0
    return one_layer("lstm", DirectionWeights(w_ih, np.zeros((rows, units)), b_ih, np.zeros(rows)), units)


def ulp_errors(got: np.ndarray, x: np.ndarray, exact: Any) -> np.ndarray:
    """|got - f(x)| in units of the last place of f(x) (float64, subnormal ulp 2^-1074), mpmath 120 bits."""
    errors = np.empty(len(x))
    with mpmath.workprec(120):
        for i, (g, v) in enumerate(zip(got, x, strict=True)):
            value = exact(mpmath.mpf(float(v)))
            if value == 0:
                errors[i] = 0.0 if g == 0 else np.inf
                continue
            ulp = mpmath.ldexp(1, max(int(mpmath.floor(mpmath.log(abs(value), 2))) - 52, -1074))
            errors[i] = float(abs(mpmath.mpf(float(g)) - value) / ulp)
    return errors


@pytest.mark.parametrize("function", ["tanh", "sigmoid"])
def test_avx2_float64_functions_within_0_6_ulp(function: str) -> None:
    x = function_arguments()
    batch = len(x) // UNITS
    if function == "tanh":
        got = load(identity_rnn(), "float64", "avx2").forward(x.reshape(1, batch, UNITS)).output.reshape(-1)
        errors = ulp_errors(got, x, mpmath.tanh)
    else:
        got = load(sigmoid_lstm(), "float64", "avx2").forward(x.reshape(1, batch, UNITS)).c_n.reshape(-1)
        errors = ulp_errors(got, x, lambda v: 1 / (1 + mpmath.exp(-v)))
    worst = int(np.argmax(errors))
    assert errors[worst] <= 0.6, f"{function}({x[worst]!r}) = {got[worst]!r}: {errors[worst]:.3f} ulp"


def test_avx2_float64_functions_special_values() -> None:
    """One unit per row; the LSTM's zero weights times inf would give NaN gates, so sigmoid sees no inf."""
    x = np.array([np.nan, np.inf, -np.inf, 1e308, -1e308])
    tanh = load(identity_rnn(1), "float64", "avx2").forward(x.reshape(1, -1, 1)).output.reshape(-1)
    sigmoid = load(sigmoid_lstm(1), "float64", "avx2").forward(x[[0, 3, 4]].reshape(1, -1, 1)).c_n.reshape(-1)
    assert np.isnan(tanh[0]) and tanh[1:].tolist() == [1.0, -1.0, 1.0, -1.0]
    assert np.isnan(sigmoid[0]) and sigmoid[1:].tolist() == [1.0, 0.0]

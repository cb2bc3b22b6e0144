"""The Java exact kernel (``Kernel.EXACT``, docs/exact-kernel.md) on its own, float64 and float32:

- every committed fixture (v1 models and chains) within the fixture's tolerance of its expected values
  (the fixtures' oracles: PyTorch float64 and others);
- one Net gives one bit pattern over 10^4 calls (every JIT tier) and from 8 threads at once, and that
  pattern is numpy's exact kernel's (the expected bits come from numpy, never from Java);
- a row's bits do not depend on the batch it runs in; streaming ``step`` equals ``forward`` to the bit;
- inf, NaN and huge inputs give numpy's bits too.

The cross-language bit test on every fixture and 200 random models and chains is tests/test_exact_kernel.py.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta.compare import compare
from rnn_rosetta.model import DirectionWeights, Head, Layer, Model
from rnn_rosetta.result import Result
from tests.conftest import ALL_FIXTURE_PATHS, require_backend

DTYPES = ("float64", "float32")
CALLS = 10_000
THREADS = 8
CALLS_PER_THREAD = 40


@pytest.fixture(autouse=True)
def _java() -> None:
    require_backend("java")


def java_exact(subject: Model | Any, dtype: str) -> Any:
    net = rr.get_backend("java").load(subject, dtype=dtype, kernel="exact")
    assert net.kernel_name == "exact"
    return net


def numpy_exact(subject: Model | Any, dtype: str) -> Any:
    return rr.get_backend("numpy").load(subject, dtype=dtype, kernel="exact")


def bits(result: Result) -> dict[str, bytes]:
    """Every field's bytes, NaNs made canonical (a NaN's sign and payload are not compared)."""
    out = {}
    for name, value in result.fields().items():
        parts = value if isinstance(value, list) else [value]
        out[name] = b"".join(np.where(np.isnan(p), np.nan, p).astype(p.dtype).tobytes() for p in parts)
    return out


def random_model(
    seed: int, cell: str, input_size: int, hidden: int, direction: str = "forward", layers: int = 1, **options: Any
) -> Model:
    """A random model with weights in [-0.5, 0.5] and, when ``head`` is given, a head of that activation."""
    rng = np.random.default_rng(seed)
    head_activation = options.pop("head", None)
    shell = Model(cell, input_size, hidden, layers, direction, (), **options)
    built = []
    for index in range(layers):
        shapes = shell.expected_shapes(index)
        weights = {n: DirectionWeights(**{k: rng.uniform(-0.5, 0.5, s) for k, s in shapes.items()})
                   for n in shell.direction_names}  # fmt: skip
        built.append(Layer(**weights))
    head = None
    if head_activation is not None:
        width = shell.num_directions * shell.output_size
        head = Head(rng.uniform(-1, 1, (3, width)), rng.uniform(-1, 1, 3), head_activation)
    return Model(cell, input_size, hidden, layers, direction, tuple(built), head=head, **options)


# -- against the fixtures' oracles ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("path", ALL_FIXTURE_PATHS, ids=[p.stem for p in ALL_FIXTURE_PATHS])
def test_fixture_within_tolerance(path: Path, dtype: str) -> None:
    fixture = rr.load_fixture(path)
    tolerance = fixture.tolerance.for_dtype(dtype)
    net = java_exact(fixture.model, dtype)
    for case in fixture.cases:
        result = net.forward(case.feed, case.h0, case.c0, case.lengths)
        assert all(np.asarray(v[0] if isinstance(v, list) else v).dtype == np.dtype(dtype)
                   for v in result.fields().values())  # fmt: skip
        comparison = compare(result, case.expected, tolerance)
        assert comparison.ok, (
            f"{path.stem} / {case.name} / java[exact] {dtype} vs expected: "
            f"{comparison.problem or comparison.mismatch.describe(tolerance)}"  # type: ignore[union-attr]
        )


# -- one bit pattern: every call, every thread --------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_same_bits_over_ten_thousand_calls(dtype: str) -> None:
    """10^4 calls of one Net (the JIT compiles the kernel's loops and elementary functions early on)."""
    model = random_model(5, "lstm", 12, 16, proj_size=10, peepholes=True, clip=2.5, head="softmax")
    x = np.random.default_rng(6).normal(0.0, 2.0, (6, 2, 12))
    want = bits(numpy_exact(model, dtype).forward(x))
    net = java_exact(model, dtype)
    for call in range(CALLS):
        got = bits(net.forward(x))
        assert got == want, f"call {call}: the bits differ from numpy's exact kernel"


@pytest.mark.parametrize("dtype", DTYPES)
def test_same_bits_on_a_large_model(dtype: str) -> None:
    """LSTM 64/64, T 20: the first calls and the compiled ones all give numpy's bits."""
    model = random_model(7, "lstm", 64, 64)
    x = np.random.default_rng(8).normal(0.0, 1.0, (20, 1, 64))
    want = bits(numpy_exact(model, dtype).forward(x))
    net = java_exact(model, dtype)
    for call in range(30):
        assert bits(net.forward(x)) == want, f"call {call}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_same_bits_from_eight_threads(dtype: str) -> None:
    model = random_model(
        9, "gru", 8, 12, direction="bidirectional", layers=2, linear_before_reset=False, head="identity"
    )
    x = np.random.default_rng(10).normal(0.0, 1.5, (7, 3, 8))
    lengths = np.array([7, 3, 5])
    want = bits(numpy_exact(model, dtype).forward(x, lengths=lengths))
    net = java_exact(model, dtype)

    def run(_: int) -> list[bool]:
        return [bits(net.forward(x, lengths=lengths)) == want for _ in range(CALLS_PER_THREAD)]

    with ThreadPoolExecutor(THREADS) as pool:
        results = [ok for thread in pool.map(run, range(THREADS)) for ok in thread]
    assert all(results), f"{results.count(False)} of {len(results)} calls differ from numpy's exact kernel"


# -- batch splits and streaming ------------------------------------------------------------------------


def _row(result: Result, b: int) -> Result:
    """Row b of every field (the batch axis is 1 for output, h_n, c_n and a head's y [T, B, O])."""
    return Result(**{name: value[:, b : b + 1] for name, value in result.fields().items()})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "model",
    [
        random_model(11, "lstm", 5, 6, direction="bidirectional", layers=2, proj_size=4, peepholes=True,
                     head="softmax"),
        random_model(12, "gru", 5, 6, direction="reverse", linear_before_reset=False, clip=1.0),
        random_model(13, "rnn", 5, 6, direction="bidirectional", nonlinearity="relu", head="identity"),
    ],
    ids=["lstm", "gru_cho", "rnn_relu"],
)  # fmt: skip
def test_row_bits_do_not_depend_on_the_batch(model: Model, dtype: str) -> None:
    rng = np.random.default_rng(14)
    batch, steps = 5, 6
    x = rng.normal(0.0, 1.5, (steps, batch, 5))
    h0 = rng.normal(0.0, 1.0, model.state_shape(batch))
    c0 = rng.normal(0.0, 1.0, model.cell_state_shape(batch)) if model.cell == "lstm" else None
    lengths = np.array([6, 1, 4, 6, 2])
    net = java_exact(model, dtype)
    together = net.forward(x, h0, c0, lengths)
    for b in range(batch):
        alone = net.forward(
            x[:, b : b + 1], h0[:, b : b + 1], None if c0 is None else c0[:, b : b + 1], lengths[b : b + 1]
        )
        assert bits(_row(together, b)) == bits(alone), f"row {b}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_step_equals_forward(dtype: str) -> None:
    model = random_model(15, "lstm", 4, 5, layers=2, peepholes=True, proj_size=3, head="softmax")
    x = np.random.default_rng(16).normal(0.0, 1.0, (8, 2, 4))
    net = java_exact(model, dtype)
    whole = net.forward(x)
    state = None
    for t in range(x.shape[0]):
        y_t, state = net.step(x[t], state)
        assert y_t.tobytes() == whole.y[t].tobytes(), f"step {t}"
    assert state is not None and state.c is not None
    assert state.h.tobytes() == whole.h_n.tobytes()
    assert state.c.tobytes() == whole.c_n.tobytes()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "model",
    [
        random_model(19, "lstm", 4, 5, layers=2, peepholes=True, proj_size=3, clip=1.5, head="softmax"),
        random_model(20, "gru", 4, 5, layers=2, linear_before_reset=False, head="identity"),
    ],
    ids=["lstm", "gru_cho"],
)
def test_streaming_step_state_equals_forward(model: Model, dtype: str) -> None:
    """Net.step(StepState, x), the in-place streaming step, gives forward's bits at every step."""
    import jpype

    x = np.random.default_rng(21).normal(0.0, 1.0, (8, 2, 4))
    net = java_exact(model, dtype)
    whole = net.forward(x)
    java = net._net  # the rnnrosetta.Net / Net32 itself
    array = jpype.JArray(jpype.JDouble if dtype == "float64" else jpype.JFloat)
    state = java.newStepState(2)
    for t in range(x.shape[0]):
        java.step(state, array(x[t].ravel().astype(dtype)))
        y_t = np.array(state.y(), dtype=dtype).reshape(2, -1)
        assert y_t.tobytes() == whole.y[t].tobytes(), f"step {t}"


# -- special values --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_inf_nan_and_huge_inputs_give_numpy_bits(cell: str, dtype: str) -> None:
    model = random_model(17, cell, 3, 4, head="softmax")
    x = np.random.default_rng(18).normal(0.0, 1.0, (5, 6, 3))
    x[0, 0, 0] = np.inf
    x[1, 1, 1] = -np.inf
    x[2, 2, 2] = np.nan
    x[:, 3, 0] = 1e300 if dtype == "float64" else 3e38  # huge, yet finite in the net's precision
    x[:, 4, 1] = -1e30
    x[3, 5, :] = 1e-310
    with np.errstate(all="ignore"):
        want = bits(numpy_exact(model, dtype).forward(x))
    assert bits(java_exact(model, dtype).forward(x)) == want

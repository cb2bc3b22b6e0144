"""Extreme numbers, many threads, many calls, very long sequences: same answers, no NaN, no growth."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta.model import DirectionWeights, Head, Layer, Model


def _model(
    cell: str, hidden: int = 3, inputs: int = 2, scale: float = 1.0, head: str | None = None, **options: Any
) -> Model:
    skeleton = Model(
        cell=cell, input_size=inputs, hidden_size=hidden, num_layers=1, direction="forward", layers=(), **options
    )
    rng = np.random.default_rng(11)
    shapes = skeleton.expected_shapes(0)
    weights = DirectionWeights(**{k: rng.uniform(-scale, scale, size=s) for k, s in shapes.items()})
    head_part = None
    if head is not None:
        head_part = Head(rng.uniform(-scale, scale, (4, skeleton.output_size)), rng.uniform(-1, 1, 4), head)
    return Model(**{**skeleton.__dict__, "layers": (Layer(forward=weights),), "head": head_part})


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("magnitude", [1e300, 1e150, 700.0, 1e-300])
def test_huge_pre_activations_stay_finite(cell: str, magnitude: float, backend: str) -> None:
    """Pre-activations of +-1e300: sigmoid, tanh and softmax saturate, never overflow or NaN."""
    model = _model(cell, head="softmax", peepholes=cell == "lstm")
    x = np.array([[[1.0, -1.0]], [[-1.0, 1.0]], [[1.0, 1.0]]]) * magnitude  # [T=3, B=1, I=2]
    result = rr.get_backend(backend).load(model).forward(x)
    for field, value in result.fields().items():
        assert np.isfinite(value).all(), f"{field} of {cell} at {magnitude:g}: {value}"
    assert result.y is not None
    np.testing.assert_allclose(result.y.sum(axis=-1), 1.0, rtol=1e-15)
    reference = rr.get_backend("numpy").load(model).forward(x)
    for field, value in reference.fields().items():
        np.testing.assert_allclose(result.fields()[field], value, rtol=1e-12, atol=1e-300)


def test_softmax_of_huge_logits(backend: str) -> None:
    model = _model("lstm", head="softmax", scale=1.0)
    head = model.head
    assert head is not None
    wide = Model(**{**model.__dict__, "head": Head(head.weight * 1e305, head.bias, "softmax")})
    result = rr.get_backend(backend).load(wide).forward(np.ones((2, 1, 2)))
    assert result.y is not None and np.isfinite(result.y).all()
    np.testing.assert_allclose(result.y.sum(axis=-1), 1.0, rtol=1e-15)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_zero_and_constant_weights(cell: str, backend: str) -> None:
    """All-zero weights: exact closed forms (gates 1/2; rnn/gru states as derived below)."""
    model = _model(cell, hidden=2, scale=0.0)
    h0 = np.full(model.state_shape(1), 0.5)
    c0 = np.full(model.cell_state_shape(1), 0.8) if cell == "lstm" else None
    result = rr.get_backend(backend).load(model).forward(np.ones((3, 1, 2)), h0, c0)
    if cell == "rnn":  # h = tanh(0) = 0
        np.testing.assert_array_equal(result.output, 0.0)
    elif cell == "gru":  # r = z = 1/2, n = 0: h_t = h_{t-1} / 2
        np.testing.assert_allclose(result.output[:, 0, 0], [0.25, 0.125, 0.0625], rtol=1e-15)
    else:  # c_t = c/2 (i*g = 0), h_t = tanh(c_t)/2
        c = 0.8 * 0.5 ** np.arange(1, 4)
        np.testing.assert_allclose(result.output[:, 0, 0], np.tanh(c) / 2, rtol=1e-15)
        np.testing.assert_allclose(result.c_n[0, 0], [0.1, 0.1], rtol=1e-15)  # type: ignore[index]


def test_one_net_many_threads_same_answer(backend: str, loaded_fixtures: dict[str, rr.Fixture]) -> None:
    """One loaded Net shared by 8 Python threads gives the single-threaded answer every time."""
    fixture = loaded_fixtures["lstm_bidirectional_lengths"]
    net = rr.get_backend(backend).load(fixture.model)
    cases = [c for c in fixture.cases if c.x.shape[0] > 1]
    single = [net.forward(c.x, c.h0, c.c0, c.lengths) for c in cases]
    failures: list[str] = []

    def worker(index: int) -> None:
        for round_ in range(25):
            k = (index + round_) % len(cases)
            case = cases[k]
            got = net.forward(case.x, case.h0, case.c0, case.lengths)
            for field, value in single[k].fields().items():
                if not np.array_equal(got.fields()[field], value):
                    failures.append(f"thread {index} round {round_} case {case.name} {field}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:5]


_MEMORY_SCRIPT = textwrap.dedent(
    """
    import sys, numpy as np, rnn_rosetta as rr

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 2**20

    backend, calls = sys.argv[1], int(sys.argv[2])
    fixture = rr.load_fixture("shared_fixtures/gru_small.json")
    x = fixture.cases[0].x[:1]  # [T=1, B=3, I]: the per-call path, not the arithmetic
    for _ in range(3):  # load and drop nets: the weights must be freed
        net = rr.get_backend(backend).load(fixture.model)
    warm = calls // 5
    for i in range(calls):
        net.forward(x)
        if i == warm:
            before = rss_mb()
    for _ in range(200):
        net = rr.get_backend(backend).load(fixture.model)
    heap = "-"
    if backend == "java":  # the JVM grows its heap lazily: what counts is the live heap after a GC
        import jpype
        runtime = jpype.JClass("java.lang.Runtime").getRuntime()
        jpype.JClass("java.lang.System").gc()
        heap = f"{(runtime.totalMemory() - runtime.freeMemory()) / 2**20:.1f}"
    print(f"{before:.1f} {rss_mb():.1f} {heap}")
    """
)


@pytest.mark.parametrize("backend_name", ["numpy", "c", "java"])
def test_resident_memory_is_flat_over_many_calls(backend_name: str) -> None:
    """10^5 forward calls and 200 load/drop cycles: resident memory grows by less than 8 MB.

    The JVM runs with a 64 MB heap cap (a leak would end in OutOfMemoryError) and
    its heap may grow up to that cap on its own, so for Java the check is the
    live heap after a full GC.
    """
    from tests.conftest import require_backend

    require_backend(backend_name)
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT, backend_name, "100000"],
        capture_output=True, text=True, timeout=600, check=True,
        env={**os.environ, "RR_JVM_OPTIONS": "-Xmx64m"},
    )  # fmt: skip
    before, after, heap = done.stdout.split()
    if backend_name == "java":
        assert float(heap) < 16.0, f"java: live heap after 10^5 calls and 200 loads is {heap} MB"
        assert float(after) < 64 + 200, f"java: RSS {after} MB with a 64 MB heap"
    else:
        assert float(after) - float(before) < 8.0, f"{backend_name}: RSS {before} MB -> {after} MB"


_LONG_SCRIPT = textwrap.dedent(
    """
    import sys, numpy as np, rnn_rosetta as rr
    backend, steps = sys.argv[1], int(sys.argv[2])
    fixture = rr.load_fixture("shared_fixtures/lstm_small.json")
    x = np.random.default_rng(1).standard_normal((steps, 1, fixture.model.input_size))
    result = rr.get_backend(backend).load(fixture.model).forward(x)
    print(result.output.shape[0], bool(np.isfinite(result.output).all()), repr(float(result.h_n.sum())))
    """
)


@pytest.mark.parametrize("backend_name", ["c", "java"])
def test_a_million_steps_forward(backend_name: str) -> None:
    """T = 10^6 at batch 1 in one forward call: nothing sized by T on the stack, no crash."""
    from tests.conftest import require_backend

    require_backend(backend_name)
    done = subprocess.run(
        [sys.executable, "-c", _LONG_SCRIPT, backend_name, "1000000"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    steps, finite, _ = done.stdout.split()
    assert steps == "1000000" and finite == "True"


def _live_memory_mb(backend: str) -> float:
    """Resident memory of this process now (not its peak: what earlier tests left behind once must not count);
    for Java, the JVM's live heap after a full GC (its heap grows lazily)."""
    if backend == "java":
        import jpype

        jpype.JClass("java.lang.System").gc()
        runtime = jpype.JClass("java.lang.Runtime").getRuntime()
        return float(runtime.totalMemory() - runtime.freeMemory()) / 2**20
    import gc
    import os

    gc.collect()
    with open("/proc/self/statm", encoding="ascii") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_streaming_a_long_sequence_keeps_memory_bounded(backend: str) -> None:
    """10^5 `step` calls carry only the state: memory use does not grow with the sequence."""
    fixture = rr.load_fixture("shared_fixtures/lstm_small.json")
    net = rr.get_backend(backend).load(fixture.model)
    x = np.random.default_rng(2).standard_normal((1, fixture.model.input_size))
    state = None
    for _ in range(2000):
        _, state = net.step(x, state)
    before = _live_memory_mb(backend)
    for _ in range(100_000):
        _, state = net.step(x, state)
    after = _live_memory_mb(backend)
    assert state is not None and np.isfinite(state.h).all()
    assert after - before < 8.0, f"memory grew from {before:.1f} MB to {after:.1f} MB"


def test_a_million_streaming_steps_in_c_run_in_constant_memory() -> None:
    """10^6 calls of rr_net_step at batch 1, updating the state in place: no growth at all."""
    import resource

    from rnn_rosetta.backends.c_backend import CCall
    from tests.conftest import require_backend

    require_backend("c")
    fixture = rr.load_fixture("shared_fixtures/lstm_stacked3.json")  # 3 layers, I=4, H=5
    net = rr.get_backend("c").load(fixture.model)
    call = CCall()
    model = fixture.model
    x = np.random.default_rng(4).standard_normal((1, model.input_size))
    h = np.zeros((model.num_layers, 1, model.hidden_size))
    c = np.zeros((model.num_layers, 1, model.hidden_size))
    out = np.empty((1, model.hidden_size))
    args = (*call.reals(x), *call.reals(h), *call.reals(c), *call.reals(out), *call.reals(h), *call.reals(c))
    step = call.lib.rr_net_step
    handle = net._net
    before = 0
    for i in range(1_000_000):
        status = step(handle, 1, *args, call.ffi.NULL, 0, call.err)
        if status:
            call.check(status)
        if i == 1000:
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert np.isfinite(h).all() and np.abs(h).max() <= 1.0
    assert (after - before) / 1024 < 1.0, f"peak RSS grew by {(after - before) / 1024:.2f} MB"

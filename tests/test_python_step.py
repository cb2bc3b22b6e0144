"""``CNet.step``'s fast path (python/rnn_rosetta/backends/c_step.py, ``rr_net_step_bound``).

The fast path must give the bits of the checked path (``Net.step`` -> ``rr_net_step``, taken here by handing
x_t over as a list) and of ``forward`` with T = 1 (the library's contract, a different entry point); thread
the state; never write an array it returned while anything still refers to it; and leave every refusal to
the checked path's one-line errors. All of it in both ways of calling C (c_step_call.py): the API-mode module
``make c-step-py`` builds (required under RR_STRICT=1) and the ABI-mode fallback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.backends import c_step_call
from rnn_rosetta.backends.base import State
from rnn_rosetta.backends.c_backend import load_library
from rnn_rosetta.errors import BackendUnavailable, InputError
from tests.conftest import require_backend, skip_or_fail

# forward-direction fixtures that cover every cell, stacks, projection, peepholes, clip and a head
STREAMABLE = [
    "lstm_small",
    "lstm_stacked3",
    "lstm_projection",
    "lstm_peepholes",
    "lstm_clip",
    "lstm_softmax_head",
    "gru_small",
    "gru_cho",
    "rnn_relu_small",
]
DTYPES = ["float32", "float64"]
MODES = list(c_step_call.STEP_CALL_MODES)  # "api" (the built module), "abi" (the fallback)


@pytest.fixture(autouse=True)
def _c_library() -> None:
    require_backend("c")


def require_api_module() -> None:
    if c_step_call.step_call_mode() != "api":
        skip_or_fail(f"{c_step_call.module_path()} is not built (make c-step-py PYTHON=python)")


def load(name: str, dtype: str, mode: str | None = None) -> Any:
    """The fixture's net on the C backend; ``mode``: how its fast step calls C (None: the best there is)."""
    if mode == "api":
        require_api_module()
    model = rr.load_fixture(paths.fixtures_dir() / f"{name}.json").model
    net = rr.get_backend("c").load(model, dtype=dtype)
    net._step_call_mode = mode
    return net


def inputs(net: Any, steps: int, batch: int, seed: int = 5) -> np.ndarray:
    """[T, B, I] in the net's dtype, C-contiguous (each x[t] too)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-2.0, 2.0, (steps, batch, net.model.input_size)).astype(net.dtype)


def bits(array: np.ndarray | None) -> Any:
    """The array's exact bits (for float arrays: the bytes), for ==; None stays None."""
    return None if array is None else (array.shape, array.dtype.str, array.tobytes())


def same_bits(a: tuple[np.ndarray, State], b: tuple[np.ndarray, State]) -> bool:
    (y_a, s_a), (y_b, s_b) = a, b
    return bits(y_a) == bits(y_b) and bits(s_a.h) == bits(s_b.h) and bits(s_a.c) == bits(s_b.c)


def checked_step(net: Any, x_t: np.ndarray, state: State | None) -> tuple[np.ndarray, State]:
    """The checked path: a list is no array, so Net.step converts it and calls rr_net_step."""
    return net.step(x_t.tolist(), None if state is None else State(*(copy_or_none(a) for a in state)))


def copy_or_none(array: np.ndarray | None) -> np.ndarray | None:
    return None if array is None else array.copy()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", STREAMABLE)
@pytest.mark.parametrize("batch", [1, 3])
def test_fast_step_has_the_bits_of_the_checked_step_and_of_forward(
    name: str, dtype: str, batch: int, mode: str
) -> None:
    """Every step of a stream (state None first, then the one returned): the checked path's bits, and those of
    forward over that one step from the same state."""
    net = load(name, dtype, mode)
    x = inputs(net, 9, batch)
    state = None
    for t in range(len(x)):
        fast = net.step(x[t], state)
        assert same_bits(fast, checked_step(net, x[t], state)), f"{name} {dtype} step {t}"
        h0, c0 = (None, None) if state is None else state
        whole = net.forward(x[t : t + 1], copy_or_none(h0), copy_or_none(c0))
        y_forward = whole.output[0] if whole.y is None else whole.y[0]
        assert same_bits(fast, (y_forward, State(whole.h_n, whole.c_n))), f"{name} {dtype} step {t} vs forward"
        state = fast[1]


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_stream_follows_the_numpy_backend(dtype: str) -> None:
    """The states threaded through 40 fast steps give the numpy backend's forward over the 40 steps (an
    independent implementation), within the dtype's rounding."""
    net = load("lstm_stacked3", dtype)
    reference = rr.get_backend("numpy").load(net.model, dtype="float64")
    x = inputs(net, 40, 2)
    state, ys = None, []
    for x_t in x:
        y_t, state = net.step(x_t, state)
        ys.append(y_t.copy())
    whole = reference.forward(x.astype(np.float64))
    tol = {"rtol": 2e-4, "atol": 2e-5} if dtype == "float32" else {"rtol": 1e-11, "atol": 1e-12}
    np.testing.assert_allclose(np.stack(ys), whole.output, **tol)
    assert state is not None
    np.testing.assert_allclose(state.h, whole.h_n, **tol)
    np.testing.assert_allclose(state.c, whole.c_n, **tol)


# What a caller keeps of each step's result: each returns the array whose values must stay as they were.
HOLDS: dict[str, Callable[[np.ndarray, State], Any]] = {
    "y_t": lambda y, s: y,
    "state": lambda y, s: s,
    "h alone": lambda y, s: s.h,
    "c alone": lambda y, s: s.c,
    "a view of h": lambda y, s: s.h[-1],
    "a memoryview of y_t": lambda y, s: memoryview(y),
    "the result tuple": lambda y, s: (y, s),
}


def values(kept: Any) -> list[np.ndarray]:
    """Copies of every array in what was kept."""
    if isinstance(kept, memoryview):
        return [np.array(kept)]
    if isinstance(kept, tuple):
        return [a.copy() for part in kept for a in (part if isinstance(part, tuple) else (part,))]
    return [np.array(kept, copy=True)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("hold", list(HOLDS))
def test_arrays_returned_earlier_are_never_overwritten(hold: str, mode: str) -> None:
    """Keep one thing of every step's result (the rest dropped) over many more steps than a plan has records:
    what is kept still holds its own step's values."""
    net = load("lstm_softmax_head", "float32", mode)
    x = inputs(net, 40, 2)
    kept, expected, state = [], [], None
    for x_t in x:
        y_t, state = net.step(x_t, state)
        kept.append(HOLDS[hold](y_t, state))
        expected.append(values(kept[-1]))
        del y_t  # only what is kept (and the state passed back) refers to the step's arrays
    for t, (now, then) in enumerate(zip(kept, expected, strict=True)):
        for a, b in zip(values(now), then, strict=True):
            assert bits(a) == bits(b), f"holding {hold}: step {t}'s result was overwritten"


@pytest.mark.parametrize("mode", MODES)
def test_the_plain_loop_reuses_its_records(mode: str) -> None:
    """``y, s = net.step(x, s)`` cycles through a few output sets (calibrated counts), and allocates none."""
    from rnn_rosetta.backends.c_step import RING

    net = load("lstm_small", "float32", mode)
    x = inputs(net, 64, 1)
    y, s = net.step(x[0])
    assert net._step_plans[x[0].shape].fn is c_step_call.step_function(*load_library(), True, mode)  # as asked
    seen = set()
    for x_t in x:
        y, s = net.step(x_t, s)
        seen.add(id(y))
    assert len(seen) <= RING, f"{len(seen)} distinct y_t arrays over {len(x)} steps"


@pytest.mark.parametrize("mode", MODES)
def test_a_result_kept_aside_is_replaced_once_in_the_cycle(mode: str) -> None:
    """A caller that keeps one early result (a state to go back to) while streaming on: that record is left to
    it, one new record takes its place, and the loop cycles again without allocating."""
    from rnn_rosetta.backends.c_step import RING

    net = load("gru_small", "float32", mode)
    x = inputs(net, 64, 1)
    kept_y, kept = net.step(x[0])
    kept_bits = (bits(kept_y), bits(kept.h))
    y, s = net.step(x[1], kept)
    seen = set()
    for x_t in x:
        y, s = net.step(x_t, s)
        seen.add(id(y))
    assert len(seen) <= RING, f"{len(seen)} distinct y_t arrays over {len(x)} steps"
    assert (bits(kept_y), bits(kept.h)) == kept_bits
    assert same_bits(net.step(x[5], kept), checked_step(net, x[5], kept))  # going back to the kept state


@pytest.mark.parametrize("mode", MODES)
def test_two_streams_on_one_net_do_not_mix(mode: str) -> None:
    """Two streams stepped in turn on one net, and a state passed back twice: each as if alone."""
    net = load("gru_small", "float64", mode)
    x1, x2 = inputs(net, 12, 1, seed=1), inputs(net, 12, 1, seed=2)
    s1 = s2 = None
    out1, out2 = [], []
    for t in range(12):
        y1, s1 = net.step(x1[t], s1)
        y2, s2 = net.step(x2[t], s2)
        out1.append(y1)
        out2.append(y2)
    for x, out in ((x1, out1), (x2, out2)):
        alone, state = load("gru_small", "float64"), None
        for t in range(12):
            y_t, state = alone.step(x[t], state)
            assert bits(y_t) == bits(out[t])
    branch_a, branch_b = net.step(x1[0], s1), net.step(x2[0], s1)  # two steps from one state
    assert bits(branch_a[0]) == bits(checked_step(net, x1[0], s1)[0])
    assert bits(branch_b[0]) == bits(checked_step(net, x2[0], s1)[0])


@pytest.mark.parametrize("mode", MODES)
def test_threads_stepping_one_net_get_their_own_results(mode: str) -> None:
    """Four threads, each its own stream on one shared net: each thread's outputs are those of a net alone."""
    net = load("lstm_small", "float32", mode)
    streams = [inputs(net, 300, 1, seed=k) for k in range(4)]
    results: list[list[np.ndarray]] = [[] for _ in streams]

    def run(k: int) -> None:
        state = None
        for x_t in streams[k]:
            y_t, state = net.step(x_t, state)
            results[k].append(y_t)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(streams))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for k, x in enumerate(streams):
        alone, state = load("lstm_small", "float32"), None
        for t, x_t in enumerate(x):
            y_t, state = alone.step(x_t, state)
            assert bits(y_t) == bits(results[k][t]), f"thread {k} step {t}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_state_of_the_callers_own_arrays(dtype: str) -> None:
    """A State (or tuple) of the caller's arrays, contiguous or not, and h alone: the checked path's bits."""
    net = load("lstm_projection", dtype)
    model = net.model
    rng = np.random.default_rng(9)
    h = rng.standard_normal((model.num_layers, 2, model.output_size)).astype(dtype)
    c = rng.standard_normal((model.num_layers, 2, model.hidden_size)).astype(dtype)
    x_t = inputs(net, 1, 2)[0]
    for state in (State(h, c), (h, c), State(np.asfortranarray(h), c), State(h, None), State(None, c)):
        assert same_bits(net.step(x_t, state), checked_step(net, x_t, state))  # type: ignore[arg-type]


def test_inputs_the_fast_path_leaves_to_the_checked_path() -> None:
    """Non-contiguous x_t, another dtype, a list: converted by Net.step, with the same bits as the fast path
    on the converted array."""
    net = load("gru_cho", "float32")
    x = inputs(net, 1, 3)[0]
    wide = np.zeros((3, 2 * net.model.input_size), np.float32)
    wide[:, ::2] = x
    expected = net.step(x.copy())
    for other in (wide[:, ::2], x.astype(np.float64), x.tolist(), np.asfortranarray(x)):
        assert same_bits(net.step(other), expected)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda n: (np.zeros((1, n.model.input_size + 1), n.dtype), None), "x_t must have shape [1, "),
        (lambda n: (np.zeros((1, 1, n.model.input_size), n.dtype), None), "x_t must be a non-empty [B, I] array"),
        (lambda n: (np.zeros((0, n.model.input_size), n.dtype), None), "x_t must be a non-empty [B, I] array"),
        (lambda n: (np.zeros((1, n.model.input_size), complex), None), "x_t must hold real numbers"),
        (
            lambda n: (np.zeros((1, n.model.input_size), n.dtype), State(np.zeros((1, 2, 1), n.dtype), None)),
            "state.h must have shape",
        ),
        (
            lambda n: (
                np.zeros((2, n.model.input_size), n.dtype),
                n.step(np.zeros((1, n.model.input_size), n.dtype))[1],
            ),
            "state.h must have shape [1, 2, ",
        ),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_refusals_keep_their_one_line_errors(make: Callable[[Any], tuple[Any, Any]], message: str, mode: str) -> None:
    net = load("lstm_small", "float32", mode)
    x_t, state = make(net)
    with pytest.raises(InputError) as caught:
        net.step(x_t, state)
    assert message in str(caught.value) and "\n" not in str(caught.value), str(caught.value)


def test_a_c_state_on_a_gru_and_a_bidirectional_model_are_refused() -> None:
    gru = load("gru_small", "float64")
    x_t = np.zeros((1, gru.model.input_size))
    h = np.zeros((gru.model.num_layers, 1, gru.model.output_size))
    with pytest.raises(InputError, match=r"state\.c is only for lstm"):
        gru.step(x_t, State(h, h.copy()))
    both = load("lstm_bidirectional_lengths", "float64")
    with pytest.raises(InputError, match="step\\(\\) streams forward-direction models only"):
        both.step(np.zeros((1, both.model.input_size)))


@pytest.mark.parametrize("mode", MODES)
def test_the_bound_entry_point_checks_its_arguments(mode: str) -> None:
    """rr_net_step_bound, called as the fast step calls it in each mode ("api": through _rr_step_call's
    trampoline, for the rr_step_bound records the ABI-mode ffi makes): RR_E_NULL for no struct; otherwise
    rr_net_step's checks and messages."""
    if mode == "api":
        require_api_module()
    ffi, lib = load_library()
    step, step_f32 = (c_step_call.step_function(ffi, lib, f32, mode) for f32 in (False, True))
    assert (step is lib.rr_net_step_bound) == (mode == "abi")
    net = load("lstm_small", "float64")
    x = np.zeros(net.model.input_size)
    x_ptr = ffi.from_buffer("double[]", x)
    assert step(ffi.NULL, x_ptr) == lib.RR_E_NULL
    err = ffi.new("rr_error *")
    bound = ffi.new("rr_step_bound *")  # every output NULL
    bound.net, bound.batch, bound.x_len, bound.err = net._net, 1, x.size, err
    assert step(bound, x_ptr) == lib.RR_E_NULL
    assert "NULL" in ffi.string(err.message).decode()
    assert step_f32(bound, ffi.cast("float *", x_ptr)) == lib.RR_E_CONFIG
    assert "float64" in ffi.string(err.message).decode()
    bound.x_len = x.size + 1
    assert step(bound, x_ptr) == lib.RR_E_SHAPE


@pytest.fixture
def step_call_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], None]:
    """Points c_step_call at another module file (forgetting the loaded one); the real one is back afterwards."""

    def point(path: Any) -> None:
        monkeypatch.setattr(c_step_call, "module_path", lambda: path)
        forget()

    def forget() -> None:
        c_step_call._api_module.cache_clear()
        c_step_call._bound_module.cache_clear()

    yield point  # type: ignore[misc]
    forget()  # before monkeypatch puts module_path back: the next use loads the real module anew


def test_without_the_module_the_step_calls_through_abi_mode(step_call_at: Callable[[Any], None], tmp_path: Any) -> None:
    """The documented fallback: no module beside the library (a wheel, another Python) -> mode "abi", the same
    bits; asking for "api" then is a one-line error saying what to build."""
    step_call_at(tmp_path / "absent.so")
    assert c_step_call.step_call_mode() == "abi"
    net = load("lstm_peepholes", "float32")
    x = inputs(net, 3, 2)
    state = None
    for x_t in x:
        fast = net.step(x_t, state)
        assert same_bits(fast, checked_step(net, x_t, state))
        state = fast[1]
    net._step_call_mode = "api"  # now asking for the module outright (load() would skip or fail here)
    net._step_plans.clear()
    with pytest.raises(BackendUnavailable, match="make c-step-py") as caught:
        net.step(x[0])
    assert "\n" not in str(caught.value)


def test_a_module_that_does_not_load_is_a_one_line_error(step_call_at: Callable[[Any], None], tmp_path: Any) -> None:
    """A damaged module (or one built for another Python) is never skipped quietly: the step says to rebuild."""
    broken = tmp_path / "broken.so"
    broken.write_bytes(b"not a shared object")
    step_call_at(broken)
    net = load("gru_small", "float64")
    with pytest.raises(BackendUnavailable, match="rebuild it: make c-step-py") as caught:
        net.step(np.zeros((1, net.model.input_size)))
    assert "\n" not in str(caught.value)

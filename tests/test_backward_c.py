"""Backpropagation through time in the C backend (rr_chain_forward_keep / rr_chain_backward) against
PyTorch autograd float64 and the numpy backend, and its C API refusing bad calls.

The loss is ``L = sum(d_output * output) + sum(d_h_n * h_n) + sum(d_c_n * c_n) + sum(d_y * y)`` with
random cotangents. Oracles: PyTorch autograd float64 (tests/backward_oracle.py; rule: |c - torch| <=
1e-9 |torch| + 1e-12 max(1, max |torch| of the array)) and, as a second witness, the numpy backend's
gradients (rule: |c - numpy| <= 1e-12 |numpy| + 1e-13 max(1, max |numpy| of the array): the two compute
the same equations in float64, so they differ only by rounding, a few ulps of the largest term).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta.backends.c_backend import CCall, load_library
from rnn_rosetta.backward.weights import chain_weights
from rnn_rosetta.chain import Chain
from tests.backward_oracle import CHAINS, LayerOpts, autograd_gradients, named_gradients, random_chain
from tests.conftest import require_backend

try:
    import torch
except ImportError:  # the sanitizer session (c/fuzz/run_sanitize.py) has no torch: numpy is the witness there
    torch = None

TORCH_RTOL, TORCH_ATOL = 1e-9, 1e-12  # atol scaled by max(1, max |want|) of the array
NUMPY_RTOL, NUMPY_ATOL = 1e-12, 1e-13
F32_RTOL, F32_ATOL = 2e-4, 2e-5  # float32 vs float64 (the rule of tests/test_backward_numpy.py)
L = LayerOpts


@pytest.fixture(autouse=True)
def _c_built() -> None:
    require_backend("c")


def _slots(value: Any) -> list[np.ndarray]:
    return [np.asarray(v) for v in value] if isinstance(value, list) else list(np.asarray(value))


def _close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float, label: str) -> None:
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol * scale, err_msg=label)


def _case(chain: Chain, seed: int, given_state: bool, lengths: list[int] | None) -> dict[str, Any]:
    """Inputs, states and cotangents of one case (T = 5, B = 3)."""
    rng = np.random.default_rng(seed)
    steps, batch = 5, 3
    if chain.embedding is not None:
        feed = rng.integers(0, chain.embedding.vocab_size, (steps, batch))
    else:
        feed = rng.uniform(-1.0, 1.0, (steps, batch, chain.input_size))
    h0 = [rng.uniform(-0.8, 0.8, (batch, s)) for s in chain.state_sizes] if given_state else None
    c0 = [rng.uniform(-0.8, 0.8, (batch, s)) for s in chain.cell_state_sizes] if given_state else None
    return {"feed": feed, "h0": h0, "c0": c0 or None, "lengths": lengths, "rng": rng}


def _backward(net: Any, case: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """forward(keep=True) then backward with random cotangents: (gradients, the cotangents)."""
    res = net.forward(case["feed"], case["h0"], case["c0"], case["lengths"], keep=True)
    rng = np.random.default_rng(99)
    cot = {
        "d_output": rng.normal(size=res.output.shape),
        "d_h_n": [rng.normal(size=s.shape) for s in _slots(res.h_n)],
        "d_c_n": None if res.c_n is None else [rng.normal(size=s.shape) for s in _slots(res.c_n)],
        "d_y": None if res.y is None else rng.normal(size=res.y.shape),
    }
    return net.backward(**cot), cot


def _autograd(chain: Chain, case: dict[str, Any], cot: dict[str, Any]) -> dict[str, np.ndarray] | None:
    """autograd's gradients, named as :func:`named_gradients`; None where torch is not installed and RR_STRICT
    is not set (the sanitizer session, which looks for memory errors and compares with numpy)."""
    if torch is None:
        if os.environ.get("RR_STRICT"):
            pytest.fail("PyTorch is not installed (pip install torch==2.13.0): autograd is this test's oracle")
        return None
    return autograd_gradients(chain, case["feed"], case["h0"], case["c0"], case["lengths"], cot)


def _check(chain: Chain, case: dict[str, Any], kernel: str) -> None:
    got, cot = _backward(rr.get_backend("c").load(chain, kernel=kernel), case)
    numpy_grads, _ = _backward(rr.get_backend("numpy").load(chain), case)
    assert list(got.weights) == list(chain_weights(chain)), "gradient paths, in chain order"
    assert (got.x is None) == (chain.embedding is not None)
    assert (got.c0 is None) == (not chain.cell_state_sizes)
    want, witness, flat = _autograd(chain, case, cot), named_gradients(numpy_grads), named_gradients(got)
    assert set(flat) == set(witness) and (want is None or set(want) == set(flat))
    for key, value in flat.items():
        label = f"{chain.describe()} [{kernel}]: {key}"
        if want is not None:
            _close(value, want[key], TORCH_RTOL, TORCH_ATOL, f"{label} vs autograd")
        _close(value, witness[key], NUMPY_RTOL, NUMPY_ATOL, f"{label} vs numpy")


@pytest.mark.parametrize("spec", CHAINS, ids=[c[0] for c in CHAINS])
def test_gradients_equal_autograd_and_numpy(spec: tuple[Any, ...]) -> None:
    """Every cell and option (tests/test_backward_numpy.py's chains), whole and uneven lengths, given and
    zero initial states, on both C kernels (their packed weights unpack into the tape)."""
    name, input_size, layers, vocab, dense, readout = spec
    chain = random_chain(np.random.default_rng(len(name)), input_size, layers, vocab, dense, readout)
    _check(chain, _case(chain, 1, False, None), "portable")
    _check(chain, _case(chain, 2, True, [5, 1, 3]), "auto")
    _check(chain, _case(chain, 3, True, [2, 5, 4]), "portable")


def test_clamped_gates_pass_no_gradient() -> None:
    """clip 0.05 clamps most gates: their gradient is zero there, as autograd's torch.clamp has it."""
    layers = (L("lstm", 5, "bidirectional", "mul", peepholes=True, clip=0.05), L("gru", 9, lbr=False, clip=0.05))
    chain = random_chain(np.random.default_rng(11), 3, layers, None, ((2, "sigmoid"),), "last")
    case = _case(chain, 12, True, [4, 5, 2])
    _check(chain, case, "auto")
    clamped = rr.get_backend("c").load(chain)
    free = rr.get_backend("c").load(
        random_chain(
            np.random.default_rng(11),
            3,
            (L("lstm", 5, "bidirectional", "mul", peepholes=True), L("gru", 9, lbr=False)),
            None,
            ((2, "sigmoid"),),
            "last",
        )
    )
    grads_clamped, _ = _backward(clamped, case)
    grads_free, _ = _backward(free, case)
    path = "layers.1.forward.weight_hh"
    assert not np.allclose(grads_clamped.weights[path], grads_free.weights[path], rtol=0.1), "the clip did not bite"


def test_float32_follows_float64() -> None:
    _, input_size, layers, vocab, dense, readout = CHAINS[-2]  # stacked, embedding, every dense activation
    chain = random_chain(np.random.default_rng(7), input_size, layers, vocab, dense, readout)
    case = _case(chain, 8, True, [3, 5, 1])
    got = {dtype: _backward(rr.get_backend("c").load(chain, dtype=dtype), case)[0] for dtype in ("float64", "float32")}
    single, double = named_gradients(got["float32"]), named_gradients(got["float64"])
    for key, want in double.items():
        assert single[key].dtype == np.float32, key
        _close(single[key], want, F32_RTOL, F32_ATOL, key)


def test_tape_reused_gives_the_same_answer_and_keep_changes_no_result() -> None:
    _, input_size, layers, vocab, dense, readout = CHAINS[-1]
    chain = random_chain(np.random.default_rng(4), input_size, layers, vocab, dense, readout)
    net = rr.get_backend("c").load(chain)
    case = _case(chain, 5, True, [5, 2, 4])
    plain = net.forward(case["feed"], case["h0"], case["c0"], case["lengths"])
    first, cot = _backward(net, case)
    kept = net.forward(case["feed"], case["h0"], case["c0"], case["lengths"], keep=True)
    for field, value in plain.fields().items():
        for one, other in zip(_slots(value), _slots(kept.fields()[field]), strict=True):
            assert np.array_equal(one, other), field  # not one bit changed
    again = net.backward(**cot)
    net.backward(d_y=np.ones_like(cot["d_y"]))  # another call in between
    third = net.backward(**cot)
    for key, value in named_gradients(first).items():
        assert np.array_equal(named_gradients(again)[key], value), key
        assert np.array_equal(named_gradients(third)[key], value), key
    zero = net.backward()
    assert all(not g.any() for g in named_gradients(zero).values())


def test_tape_keeps_the_weights_of_its_forward() -> None:
    """Weights set after forward(keep=True) do not change what backward computes for that forward."""
    chain = random_chain(np.random.default_rng(6), 3, (L("gru", 4, "bidirectional", "mul"),), None, ((2, "tanh"),))
    net = rr.get_backend("c").load(chain)
    case = _case(chain, 7, True, [5, 3, 4])
    before, cot = _backward(net, case)
    net.forward(case["feed"], case["h0"], case["c0"], case["lengths"], keep=True)
    ffi, lib = load_library()
    err = ffi.new("rr_error *")
    weight, bias = np.full((2, 4), 0.5), np.zeros(2)  # [O, W], W = H (merge mul)
    status = lib.rr_chain_set_dense(
        net._chain_c, 0, ffi.from_buffer("double[]", weight), weight.size, ffi.from_buffer("double[]", bias), 2, err
    )
    assert status == lib.RR_OK
    layer = chain.layers[0].layers[0].forward
    assert layer is not None
    doubled = type(layer)(**{name: 2.0 * array for name, array in layer.arrays().items()})
    net._set_weights(CCall(), 0, lib.RR_FORWARD, doubled)
    after = net.backward(**cot)
    for key, value in named_gradients(before).items():
        assert np.array_equal(named_gradients(after)[key], value), key
    changed, _ = _backward(net, case)  # a new forward sees the new weights
    assert not np.allclose(changed.weights["dense.0.weight"], before.weights["dense.0.weight"])


# -- the C API, called directly -------------------------------------------------------------------


def _raw(net: Any, steps: int, batch: int, tokens: bool = False) -> tuple[Any, Any, Any, dict[str, np.ndarray]]:
    """(ffi, lib, tape handle, buffers) from rr_chain_forward_keep on zeros."""
    ffi, lib = load_library()
    sizes = net._sizes
    dtype = np.float32 if net.dtype == np.float32 else np.float64
    buf = {
        "output": np.zeros((steps, batch, sizes.output_width), dtype),
        "h_n": np.zeros(batch * sizes.state_size, dtype),
        "c_n": np.zeros(batch * sizes.cell_state_size, dtype),
        "y": np.zeros(batch * (1 if net.chain.readout == "last" else steps) * sizes.y_size, dtype),
        "d_weights": np.zeros(lib.rr_chain_param_count(net._chain_c), dtype),
        "x": np.zeros(steps * batch * sizes.input_size, dtype),
        "tokens": np.zeros(steps * batch, np.int64),
    }
    kind = "float[]" if dtype == np.float32 else "double[]"

    def reals(name: str) -> tuple[Any, int]:
        array = buf[name]
        return (ffi.from_buffer(kind, array), array.size) if array.size else (ffi.NULL, 0)

    handle = ffi.new("rr_chain_tape **")
    err = ffi.new("rr_error *")
    keep = lib.rr_chain_forward_keep_f32 if dtype == np.float32 else lib.rr_chain_forward_keep
    feed = (ffi.NULL, 0, ffi.from_buffer("int64_t[]", buf["tokens"]), steps * batch) if tokens else (
        *reals("x"), ffi.NULL, 0)  # fmt: skip
    status = keep(
        net._chain_c, steps, batch, *feed, ffi.NULL, 0, ffi.NULL, 0, ffi.NULL, 0,
        *reals("output"), *reals("h_n"), *reals("c_n"), *reals("y"), handle, err,
    )  # fmt: skip
    assert status == lib.RR_OK, ffi.string(err.message).decode()
    return ffi, lib, ffi.gc(handle[0], lib.rr_chain_tape_free), buf


def _backward_status(
    net: Any, tape: Any, buf: dict[str, np.ndarray], f32: bool = False, **over: Any
) -> tuple[int, str]:
    """rr_chain_backward with d_weights (and the arguments in ``over``: name -> (pointer, len))."""
    ffi, lib = load_library()
    err = ffi.new("rr_error *")
    kind = "float[]" if f32 else "double[]"
    args = {name: (ffi.NULL, 0) for name in ("d_output", "d_h_n", "d_c_n", "d_y", "d_x", "d_h0", "d_c0")}
    args["d_weights"] = (ffi.from_buffer(kind, buf["d_weights"]), buf["d_weights"].size)
    args.update(over)
    order = ("d_output", "d_h_n", "d_c_n", "d_y", "d_weights", "d_x", "d_h0", "d_c0")
    fn = lib.rr_chain_backward_f32 if f32 else lib.rr_chain_backward
    status = fn(net._chain_c, tape, *(v for name in order for v in args[name]), err)
    return int(status), ffi.string(err.message).decode()


def test_param_info_lists_every_array_in_chain_order() -> None:
    _, input_size, layers, vocab, dense, readout = CHAINS[-2]
    chain = random_chain(np.random.default_rng(1), input_size, layers, vocab, dense, readout)
    net = rr.get_backend("c").load(chain)
    ffi, lib = load_library()
    err = ffi.new("rr_error *")
    path, offset, count = ffi.new("char **"), ffi.new("size_t *"), ffi.new("size_t *")
    want = chain_weights(chain)
    assert lib.rr_chain_num_params(net._chain_c) == len(want)
    at = 0
    for k, (name, array) in enumerate(want.items()):
        assert lib.rr_chain_param_info(net._chain_c, k, path, offset, count, err) == lib.RR_OK
        assert (ffi.string(path[0]).decode(), offset[0], count[0]) == (name, at, array.size)
        at += array.size
    assert lib.rr_chain_param_count(net._chain_c) == at
    assert lib.rr_chain_param_info(net._chain_c, len(want), path, offset, count, err) == lib.RR_E_SIZE
    assert ffi.string(err.message).decode() == f"k is {len(want)}, but the chain has {len(want)} weight arrays"
    assert lib.rr_chain_num_params(ffi.NULL) == 0 and lib.rr_chain_param_count(ffi.NULL) == 0


def test_bad_backward_calls_give_status_and_message() -> None:
    chain = random_chain(np.random.default_rng(2), 2, (L("lstm", 3, "bidirectional", "sum"),), None, ((2, "tanh"),))
    net = rr.get_backend("c").load(chain)
    other = rr.get_backend("c").load(chain)
    ffi, lib, tape, buf = _raw(net, 4, 2)
    p = int(buf["d_weights"].size)
    assert _backward_status(net, tape, buf) == (lib.RR_OK, "")
    assert _backward_status(net, ffi.NULL, buf) == (lib.RR_E_NULL, "tape is NULL")
    assert _backward_status(other, tape, buf) == (
        lib.RR_E_CONFIG,
        "tape was made by another chain (rr_chain_forward_keep of this chain makes one)",
    )
    assert _backward_status(net, tape, buf, f32=True)[0] == lib.RR_E_CONFIG  # a float64 tape to the _f32 entry
    short = np.zeros(p - 1)
    assert _backward_status(net, tape, buf, d_weights=(ffi.from_buffer("double[]", short), p - 1)) == (
        lib.RR_E_SHAPE,
        f"d_weights_len is {p - 1}, expected {p} = P (P={p})",
    )
    assert _backward_status(net, tape, buf, d_weights=(ffi.NULL, 0)) == (lib.RR_E_NULL, "d_weights is NULL")
    d_out = np.zeros(4 * 2 * 3 + 1)
    status, message = _backward_status(net, tape, buf, d_output=(ffi.from_buffer("double[]", d_out), d_out.size))
    assert (status, message) == (lib.RR_E_SHAPE, "d_output_len is 25, expected 24 = T*B*W (T=4, B=2, W=3)")
    d_y = np.zeros(4 * 2 * 2)
    assert _backward_status(net, tape, buf, d_y=(ffi.from_buffer("double[]", d_y), 15))[0] == lib.RR_E_SHAPE
    d_h0 = np.zeros(2 * 6)
    assert _backward_status(net, tape, buf, d_h0=(ffi.from_buffer("double[]", d_h0), 11))[0] == lib.RR_E_SHAPE
    keep = ffi.new("rr_chain_tape **")
    err = ffi.new("rr_error *")
    status = lib.rr_chain_forward_keep(net._chain_c, 4, 2, *(ffi.NULL, 0) * 7, *(ffi.NULL, 0) * 2, keep, err)
    assert status == lib.RR_E_NULL and keep[0] == ffi.NULL  # x missing: no tape
    assert lib.rr_chain_forward_keep(net._chain_c, 4, 2, *(ffi.NULL, 0) * 9, ffi.NULL, err) == lib.RR_E_NULL
    assert ffi.string(err.message).decode() == "tape is NULL"
    lib.rr_chain_tape_free(ffi.NULL)  # allowed


def test_tokens_take_no_d_x_and_float32_tapes_refuse_float64() -> None:
    chain = random_chain(np.random.default_rng(3), 2, (L("gru", 3),), 6, ((2, "softmax"),), "last")
    net = rr.get_backend("c").load(chain, dtype="float32")
    ffi, lib, tape, buf = _raw(net, 3, 2, tokens=True)
    assert _backward_status(net, tape, buf, f32=True) == (lib.RR_OK, "")
    d_x = np.zeros(3 * 2 * 2, np.float32)
    status, message = _backward_status(net, tape, buf, f32=True, d_x=(ffi.from_buffer("float[]", d_x), d_x.size))
    assert status == lib.RR_E_CONFIG and message.startswith("d_x must be NULL with d_x_len 0: the chain takes tokens")
    wide = np.zeros(buf["d_weights"].size)
    status, message = _backward_status(net, tape, buf, d_weights=(ffi.from_buffer("double[]", wide), wide.size))
    assert (status, message) == (lib.RR_E_CONFIG, "tape holds float32; call the _f32 entry point")


def test_python_backward_needs_keep() -> None:
    chain = random_chain(np.random.default_rng(5), 2, (L("rnn", 3),))
    net = rr.get_backend("c").load(chain)
    with pytest.raises(rr.InputError, match=r"keep=True"):
        net.backward()
    net.forward(np.zeros((2, 1, 2)), keep=True)
    net.forward(np.zeros((2, 1, 2)))
    with pytest.raises(rr.InputError, match=r"keep=True"):
        net.backward()

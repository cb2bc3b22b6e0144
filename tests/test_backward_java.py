"""Backpropagation through time in Java (rnnrosetta.Chain / Chain32 forwardKeep + backward, and JavaChainNet).

The loss is ``L = sum(d_output * output) + sum(d_h_n * h_n) + sum(d_c_n * c_n) + sum(d_y * y)`` with random
cotangents, so ``backward(d_output, d_h_n, d_c_n, d_y)`` must equal ``dL/d`` of every weight, of x and of the
initial states. Oracle: PyTorch autograd in float64 (tests/backward_oracle.py: torch modules, and torch
operations for what torch has no module for), rtol 1e-9; the numpy backward agrees too. Bad calls throw
exactly IllegalArgumentException with a one-line message naming the argument (tests/test_java_api.py's rule).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta.backends.java_backend import java_chain_spec
from rnn_rosetta.backward import Gradients
from rnn_rosetta.chain import Chain
from tests.backward_oracle import LayerOpts, autograd_gradients, named_gradients, random_chain, torch_leaves
from tests.conftest import import_torch_or_skip_module, require_backend
from tests.test_java_api import IAE, refuses

torch = import_torch_or_skip_module()

RTOL = 1e-9  # autograd vs Java, float64: |got - want| <= RTOL |want| + ATOL * max(1, max |want| of the array)
ATOL = 1e-12
NUMPY_RTOL = 1e-11  # Java vs numpy: the same equations, another summation order

L = LayerOpts
#: (name, input size, layers, vocabulary or None, dense layers, readout): every cell, option, merge, readout.
CHAINS: list[tuple[str, int, tuple[LayerOpts, ...], int | None, tuple[tuple[int, str], ...], str]] = [
    ("rnn_tanh", 3, (L("rnn", 5),), None, (), "sequence"),
    ("rnn_relu_clip_last", 2, (L("rnn", 4, nonlinearity="relu", clip=0.5),), None, (), "last"),
    ("rnn_relu_bidirectional_concat", 4, (L("rnn", 3, "bidirectional", nonlinearity="relu"),), None, (), "sequence"),
    ("rnn_clip_reverse_identity", 2, (L("rnn", 4, "reverse", clip=0.7),), None, ((3, "identity"),), "sequence"),
    ("lstm", 3, (L("lstm", 4),), None, (), "sequence"),
    ("lstm_projection_bidirectional_sum_last", 5, (L("lstm", 5, "bidirectional", "sum", proj=3),), None, (),
     "last"),
    ("lstm_peepholes_softmax", 3, (L("lstm", 4, peepholes=True),), None, ((2, "softmax"),), "sequence"),
    ("lstm_peepholes_clip_projection_reverse", 3, (L("lstm", 5, "reverse", proj=2, peepholes=True, clip=0.9),),
     None, (), "sequence"),
    ("lstm_bidirectional_mul_clip_relu", 2, (L("lstm", 3, "bidirectional", "mul", clip=0.6),), None,
     ((4, "relu"),), "sequence"),
    ("gru", 3, (L("gru", 4),), None, ((2, "sigmoid"),), "sequence"),
    ("gru_reverse", 4, (L("gru", 3, "reverse"),), None, (), "sequence"),
    ("gru_cho_bidirectional_mul_last", 3, (L("gru", 4, "bidirectional", "mul", lbr=False),), None, ((2, "tanh"),),
     "last"),
    ("gru_cho_clip_bidirectional_ave", 2, (L("gru", 3, "bidirectional", "ave", lbr=False, clip=0.8),), None, (),
     "sequence"),
    ("gru_clip_bidirectional_concat_last", 3, (L("gru", 3, "bidirectional", "concat", clip=0.7),), None,
     ((2, "relu"),), "last"),
    ("embedding_lstm_sequence_softmax", 4, (L("lstm", 5, "bidirectional", "ave", proj=3),), 7, ((6, "softmax"),),
     "sequence"),
    ("stacked_embedding_last_dense", 4,
     (L("lstm", 5, "bidirectional", "concat"), L("gru", 3, "bidirectional", "mul"), L("rnn", 4, nonlinearity="relu")),
     9, ((6, "tanh"), (5, "sigmoid"), (4, "relu"), (3, "identity"), (3, "softmax")), "last"),
    ("stacked_mixed_options_sequence", 3,
     (L("gru", 4, "reverse", lbr=False), L("lstm", 6, "bidirectional", "ave", proj=2, peepholes=True),
      L("rnn", 3, "bidirectional", "sum", clip=0.6)),
     None, ((2, "sigmoid"),), "sequence"),
]  # fmt: skip


@pytest.fixture(scope="module")
def java() -> Any:
    """The ``rnnrosetta`` Java package (the JVM is started once per process)."""
    require_backend("java")
    from rnn_rosetta.backends.java_backend import start_jvm

    return start_jvm()


def _chain(spec: tuple[Any, ...]) -> Chain:
    name, input_size, layers, vocab, dense, readout = spec
    return random_chain(np.random.default_rng(len(name)), input_size, layers, vocab, dense, readout)


def _feed(rng: np.random.Generator, chain: Chain, steps: int, batch: int) -> np.ndarray:
    if chain.embedding is not None:
        return rng.integers(0, chain.embedding.vocab_size, (steps, batch))
    return rng.uniform(-1.0, 1.0, (steps, batch, chain.input_size))


def _slots(value: Any) -> list[np.ndarray]:
    return [np.asarray(v) for v in value] if isinstance(value, list) else list(np.asarray(value))


def _close(got: np.ndarray, want: np.ndarray, label: str, rtol: float = RTOL) -> float:
    """Assert the tolerance; return the relative error ``max |got - want| / max |want|``."""
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=ATOL * scale, err_msg=label)
    return float(np.abs(got - want).max(initial=0.0) / max(float(np.abs(want).max(initial=0.0)), 1e-300))


def _case(chain: Chain, seed: int, given_state: bool, lengths: list[int] | None) -> dict[str, Any]:
    """Inputs and cotangents of one case (the cotangents drawn for the shapes numpy's forward returns)."""
    rng = np.random.default_rng(seed)
    steps, batch = 5, 3
    feed = _feed(rng, chain, steps, batch)
    h0 = [rng.uniform(-0.8, 0.8, (batch, s)) for s in chain.state_sizes] if given_state else None
    c0 = [rng.uniform(-0.8, 0.8, (batch, s)) for s in chain.cell_state_sizes] if given_state else None
    res = rr.get_backend("numpy").load(chain).forward(feed, h0, c0 or None, lengths)
    return {
        "feed": feed, "h0": h0, "c0": c0 or None, "lengths": lengths, "steps": steps, "batch": batch,
        "d_output": rng.normal(size=res.output.shape),
        "d_h_n": [rng.normal(size=s.shape) for s in _slots(res.h_n)],
        "d_c_n": None if res.c_n is None else [rng.normal(size=s.shape) for s in _slots(res.c_n)],
        "d_y": None if res.y is None else rng.normal(size=res.y.shape),
    }  # fmt: skip


def _grads(backend: str, chain: Chain, case: dict[str, Any], dtype: str = "float64", kernel: str = "auto") -> Gradients:
    net = rr.get_backend(backend).load(chain, dtype=dtype, kernel=kernel)
    net.forward(case["feed"], case["h0"], case["c0"], case["lengths"], keep=True)
    return net.backward(d_output=case["d_output"], d_h_n=case["d_h_n"], d_c_n=case["d_c_n"], d_y=case["d_y"])


def _autograd(chain: Chain, case: dict[str, Any]) -> dict[str, np.ndarray]:
    """autograd's gradients of the case's loss, named as :func:`named_gradients` names ours."""
    return autograd_gradients(chain, case["feed"], case["h0"], case["c0"], case["lengths"], case)


@pytest.mark.parametrize("spec", CHAINS, ids=[c[0] for c in CHAINS])
def test_java_gradients_equal_autograd_and_numpy(spec: tuple[Any, ...]) -> None:
    require_backend("java")
    chain = _chain(spec)
    for seed, given_state, lengths in ((1, False, None), (2, True, [5, 1, 3]), (3, True, [2, 5, 4])):
        case = _case(chain, seed, given_state, lengths)
        got = _grads("java", chain, case)
        assert list(got.weights) == list(torch_leaves(torch, chain)), "gradient paths, in chain order"
        assert (got.x is None) == (chain.embedding is not None)
        assert (got.c0 is None) == (not chain.cell_state_sizes)
        named, want, numpy = named_gradients(got), _autograd(chain, case), named_gradients(_grads("numpy", chain, case))
        assert set(named) == set(want) == set(numpy)
        for key, expected in want.items():
            label = f"{chain.describe()} seed {seed}: {key}"
            _close(named[key], expected, label)
            _close(named[key], numpy[key], label, NUMPY_RTOL)


@pytest.mark.parametrize("spec", [CHAINS[-2], CHAINS[-1], CHAINS[11]], ids=lambda s: s[0])
def test_the_plain_kernel_gives_the_same_gradients(spec: tuple[Any, ...]) -> None:
    """The large products run on the chain's kernel (vector above); on the plain one they equal autograd too."""
    require_backend("java")
    chain = _chain(spec)
    case = _case(chain, 7, True, [5, 3, 1])
    got, want = named_gradients(_grads("java", chain, case, kernel="plain")), _autograd(chain, case)
    for key, expected in want.items():
        _close(got[key], expected, f"plain kernel: {key}")


@pytest.mark.parametrize("spec", [CHAINS[-2], CHAINS[-1], CHAINS[8]], ids=lambda s: s[0])
def test_float32_gradients_within_float32_of_float64(spec: tuple[Any, ...]) -> None:
    """float32: the float64 gradients of the float32-rounded model, rounded; within float32's reach of float64."""
    require_backend("java")
    chain = _chain(spec)
    case = _case(chain, 4, True, [4, 5, 2])
    single = named_gradients(_grads("java", chain, case, "float32"))
    double = named_gradients(_grads("java", chain, case))
    for key, want in double.items():
        assert single[key].dtype == np.float32, key
        np.testing.assert_allclose(single[key], want, rtol=2e-4, atol=2e-5 * max(1.0, np.abs(want).max()), err_msg=key)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kernel", ["plain", "vector"])
def test_keep_changes_no_bit_of_the_forward_result(java: Any, dtype: str, kernel: str) -> None:
    chain = _chain(CHAINS[-1])
    case = _case(chain, 5, True, [5, 2, 4])
    net = rr.get_backend("java").load(chain, dtype=dtype, kernel=kernel)
    plain = net.forward(case["feed"], case["h0"], case["c0"], case["lengths"])
    kept = net.forward(case["feed"], case["h0"], case["c0"], case["lengths"], keep=True)
    for field, value in plain.fields().items():
        if value is None:
            assert kept.fields()[field] is None, field
            continue
        for a, b in zip(_slots(value), _slots(kept.fields()[field]), strict=True):
            assert np.array_equal(a, b), field
    # and in Java: the tape's result is forward's result, array by array
    real = np.float32 if dtype == "float32" else np.float64
    spec = java_chain_spec(java, chain)
    chain_class = java.Chain32 if dtype == "float32" else java.Chain
    jchain = chain_class(spec, java.Kernel.valueOf(kernel.upper()))
    import jpype

    jreal = jpype.JFloat if dtype == "float32" else jpype.JDouble
    x = jpype.JArray(jreal)(np.asarray(case["feed"], dtype=real).ravel())
    lengths = jpype.JArray(jpype.JInt)(case["lengths"])
    direct = jchain.forward(5, 3, x, None, None, lengths)
    tape = jchain.forwardKeep(5, 3, x, None, None, lengths)
    for name in ("output", "hN", "y"):
        assert np.array_equal(np.array(getattr(direct, name)()), np.array(getattr(tape.result(), name)())), name


def test_a_tape_reused_gives_the_same_answer(java: Any) -> None:
    """backward only reads the tape: the same cotangents give the same bits, before and after other ones."""
    chain = _chain(CHAINS[-3])  # embedding, bidirectional LSTM with projection, softmax dense
    case = _case(chain, 6, True, [3, 5, 1])
    net = rr.get_backend("java").load(chain)
    net.forward(case["feed"], case["h0"], case["c0"], case["lengths"], keep=True)
    args = {k: case[k] for k in ("d_output", "d_h_n", "d_c_n", "d_y")}
    first = named_gradients(net.backward(**args))
    other = named_gradients(net.backward(d_y=case["d_y"]))
    again = named_gradients(net.backward(**args))
    for key, value in first.items():
        assert np.array_equal(value, again[key]), key
    assert any(not np.array_equal(value, other[key]) for key, value in first.items())
    zero = net.backward()
    assert all(not np.any(g) for g in named_gradients(zero).values())


def test_bad_backward_calls_throw_naming_the_argument(java: Any) -> None:
    import jpype

    gru = java.Chain(java_chain_spec(java, random_chain(np.random.default_rng(1), 2, (L("gru", 3),))))
    other = java.Chain(java_chain_spec(java, random_chain(np.random.default_rng(1), 2, (L("gru", 3),))))
    lstm = java.Chain(java_chain_spec(java, _chain(CHAINS[5])))  # bidirectional lstm P=3, LAST: y [B, 3]
    doubles = jpype.JArray(jpype.JDouble)
    x2 = doubles(np.zeros(2 * 1 * 2))
    tape = gru.forwardKeep(2, 1, x2, None, None, None)
    refuses(lambda: gru.backward(None, None, None, None, None), IAE, "tape")
    refuses(lambda: other.backward(tape, None, None, None, None), IAE, "tape", "another")
    refuses(lambda: gru.backward(tape, doubles(np.zeros(5)), None, None, None), IAE, "dOutput", "T*B*W")
    refuses(lambda: gru.backward(tape, None, doubles(np.zeros(4)), None, None), IAE, "dHn")
    refuses(lambda: gru.backward(tape, None, None, doubles(np.zeros(3)), None), IAE, "dCn", "LSTM")
    refuses(lambda: gru.backward(tape, None, None, None, doubles(np.zeros(6))), IAE, "dY")
    refuses(lambda: gru.forwardKeep(2, 1, x2, None, None, jpype.JArray(jpype.JInt)([3])), IAE, "lengths[0]")
    x5 = doubles(np.zeros(2 * 1 * 5))
    lstm_tape = lstm.forwardKeep(2, 1, x5, None, None, None)
    refuses(lambda: lstm.backward(lstm_tape, None, None, None, doubles(np.zeros(6))), IAE, "dY", "B*O")
    refuses(lambda: lstm.backward(lstm_tape, None, None, doubles(np.zeros(5)), None), IAE, "dCn")
    refuses(lambda: lstm.forwardTokensKeep(2, 1, jpype.JArray(jpype.JInt)([0, 0]), None, None, None), IAE, "tokens")
    chain32 = java.Chain32(java_chain_spec(java, random_chain(np.random.default_rng(1), 2, (L("gru", 3),))))
    tape32 = chain32.forwardKeep(2, 1, jpype.JArray(jpype.JFloat)(np.zeros(4, dtype=np.float32)), None, None, None)
    refuses(lambda: gru.backward(tape32, None, None, None, None), IAE, "tape")  # a float32 tape in the float64 chain
    # Python: InputError before any Java call
    net = rr.get_backend("java").load(random_chain(np.random.default_rng(1), 2, (L("gru", 3),)))
    with pytest.raises(rr.InputError, match=r"keep=True"):
        net.backward()
    net.forward(np.zeros((2, 1, 2)), keep=True)
    with pytest.raises(rr.InputError, match=r"d_output must have shape \[2, 1, 3\]"):
        net.backward(d_output=np.zeros((2, 1, 4)))


def test_gradients_do_not_change_once_the_jit_compiles(java: Any) -> None:
    """200 forwardKeep + backward calls of an LSTM 64, B=4, T=20: the last call's gradients are the first's.

    Bit for bit: the JIT compiles the loops between the two, and must not reorder the floating-point sums.
    """
    import jpype

    rng = np.random.default_rng(11)
    chain = random_chain(rng, 16, (L("lstm", 64),), None, ((8, "softmax"),), "sequence")
    jchain = java.Chain(java_chain_spec(java, chain))
    doubles = jpype.JArray(jpype.JDouble)
    x = doubles(rng.uniform(-1, 1, 20 * 4 * 16))
    d_y = doubles(rng.normal(size=20 * 4 * 8))
    lengths = jpype.JArray(jpype.JInt)([20, 13, 20, 7])

    def gradients() -> list[np.ndarray]:
        grads = jchain.backward(jchain.forwardKeep(20, 4, x, None, None, lengths), None, None, None, d_y)
        return [np.array(v) for v in grads.weights().values()] + [np.array(grads.x()), np.array(grads.h0())]

    first = gradients()
    for _ in range(198):
        jchain.backward(jchain.forwardKeep(20, 4, x, None, None, lengths), None, None, None, d_y)
    last = gradients()
    assert len(first) == len(last)
    for a, b in zip(first, last, strict=True):
        assert np.array_equal(a, b)
    assert all(np.isfinite(a).all() for a in first) and np.abs(first[0]).max() > 0

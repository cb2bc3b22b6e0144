"""Backpropagation through time in the numpy backend against PyTorch autograd (float64) and central differences.

The loss is ``L = sum(d_output * output) + sum(d_h_n * h_n) + sum(d_c_n * c_n) + sum(d_y * y)`` with
random cotangents, so ``net.backward(d_output, d_h_n, d_c_n, d_y)`` must equal autograd's ``dL/d``
of every weight, of ``x`` and of the initial states. Oracles: tests/backward_oracle.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnn_rosetta as rr
from rnn_rosetta.backends.chain_net import ChainNet, FlatResult
from rnn_rosetta.chain import Chain
from tests.backward_oracle import CHAINS, LayerOpts, random_chain, torch_chain_forward, torch_leaves, with_entry_moved
from tests.conftest import import_torch_or_skip_module

torch = import_torch_or_skip_module()

RTOL = 1e-9  # autograd vs ours, float64: |got - want| <= RTOL |want| + ATOL * max(1, max |want| of the array)
ATOL = 1e-12

L = LayerOpts


def _feed(rng: np.random.Generator, chain: Chain, steps: int, batch: int) -> np.ndarray:
    if chain.embedding is not None:
        return rng.integers(0, chain.embedding.vocab_size, (steps, batch))
    return rng.uniform(-1.0, 1.0, (steps, batch, chain.input_size))


def _slots(value: Any) -> list[np.ndarray]:
    return [np.asarray(v) for v in value] if isinstance(value, list) else list(np.asarray(value))


def _close(got: np.ndarray, want: np.ndarray, label: str) -> float:
    """Assert autograd's tolerance; return the array's relative error ``max |got - want| / max |want|``."""
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL * scale, err_msg=label)
    return float(np.abs(got - want).max(initial=0.0) / max(float(np.abs(want).max(initial=0.0)), 1e-300))


def check_against_autograd(chain: Chain, seed: int, given_state: bool, lengths: list[int] | None) -> float:
    """One chain, one case: every gradient ours vs autograd's; returns the worst relative error."""
    rng = np.random.default_rng(seed)
    steps, batch = 5, 3
    feed = _feed(rng, chain, steps, batch)
    h0 = [rng.uniform(-0.8, 0.8, (batch, s)) for s in chain.state_sizes] if given_state else None
    c0 = [rng.uniform(-0.8, 0.8, (batch, s)) for s in chain.cell_state_sizes] if given_state else None
    if c0 == []:
        c0 = None
    net = rr.get_backend("numpy").load(chain)
    res = net.forward(feed, h0, c0, lengths, keep=True)
    d_output = rng.normal(size=res.output.shape)
    d_h_n = [rng.normal(size=s.shape) for s in _slots(res.h_n)]
    d_c_n = None if res.c_n is None else [rng.normal(size=s.shape) for s in _slots(res.c_n)]
    d_y = None if res.y is None else rng.normal(size=res.y.shape)
    grads = net.backward(d_output=d_output, d_h_n=d_h_n, d_c_n=d_c_n, d_y=d_y)

    leaves = torch_leaves(torch, chain)
    t_feed = torch.tensor(feed) if chain.embedding is not None else torch.tensor(feed, requires_grad=True)
    t_h0 = [torch.tensor(h, requires_grad=True) for h in (h0 or [np.zeros((batch, s)) for s in chain.state_sizes])]
    t_c0 = [torch.tensor(c, requires_grad=True) for c in (c0 or [np.zeros((batch, s)) for s in chain.cell_state_sizes])]
    t_lengths = np.full(batch, steps) if lengths is None else np.asarray(lengths)
    out = torch_chain_forward(torch, chain, leaves, t_feed, t_lengths, t_h0, t_c0)
    loss = (out["output"] * torch.tensor(d_output)).sum()
    loss = loss + sum((h * torch.tensor(d)).sum() for h, d in zip(out["h_n"], d_h_n, strict=True))
    if d_c_n is not None:
        loss = loss + sum((c * torch.tensor(d)).sum() for c, d in zip(out["c_n"], d_c_n, strict=True))
    if d_y is not None:
        loss = loss + (out["y"] * torch.tensor(d_y)).sum()
    loss.backward()

    # the forward it kept is the forward it returned, and torch's
    np.testing.assert_allclose(res.output, out["output"].detach().numpy(), rtol=1e-12, atol=1e-14)
    assert list(grads.weights) == list(leaves), "gradient paths, in chain order"
    worst = 0.0
    for path, leaf in leaves.items():
        worst = max(worst, _close(grads.weights[path], leaf.grad.numpy(), f"{chain.describe()}: {path}"))
    if chain.embedding is None:
        worst = max(worst, _close(grads.x, t_feed.grad.numpy(), "x"))
    else:
        assert grads.x is None
    for k, (got, leaf) in enumerate(zip(_slots(grads.h0), t_h0, strict=True)):
        worst = max(worst, _close(got, leaf.grad.numpy(), f"h0[{k}]"))
    if chain.cell_state_sizes:
        for k, (got, leaf) in enumerate(zip(_slots(grads.c0), t_c0, strict=True)):
            worst = max(worst, _close(got, leaf.grad.numpy(), f"c0[{k}]"))
    else:
        assert grads.c0 is None
    return worst


@pytest.mark.parametrize("spec", CHAINS, ids=[c[0] for c in CHAINS])
def test_gradients_equal_autograd(spec: tuple[Any, ...]) -> None:
    name, input_size, layers, vocab, dense, readout = spec
    chain = random_chain(np.random.default_rng(len(name)), input_size, layers, vocab, dense, readout)
    check_against_autograd(chain, seed=1, given_state=False, lengths=None)
    check_against_autograd(chain, seed=2, given_state=True, lengths=[5, 1, 3])
    check_against_autograd(chain, seed=3, given_state=True, lengths=[2, 5, 4])


def test_float32_follows_float64() -> None:
    """Same code in float32: gradients within float32's reach of the float64 ones."""
    _, input_size, layers, vocab, dense, readout = CHAINS[-1]
    chain = random_chain(np.random.default_rng(7), input_size, layers, vocab, dense, readout)
    rng = np.random.default_rng(8)
    x = rng.uniform(-1, 1, (4, 2, input_size))
    d_y = rng.normal(size=(4, 2, 2))
    got = {}
    for dtype in ("float64", "float32"):
        net = rr.get_backend("numpy").load(chain, dtype=dtype)
        net.forward(x, lengths=[4, 2], keep=True)
        got[dtype] = net.backward(d_y=d_y)
    for path, want in got["float64"].weights.items():
        single = got["float32"].weights[path]
        assert single.dtype == np.float32, path
        np.testing.assert_allclose(single, want, rtol=2e-4, atol=2e-5 * max(1.0, np.abs(want).max()), err_msg=path)
    assert got["float32"].x.dtype == np.float32  # type: ignore[union-attr]


def test_keep_changes_no_result_and_batch_first_round_trips() -> None:
    chain = random_chain(np.random.default_rng(3), 3, (L("lstm", 4, "bidirectional", "sum"),), None, ((2, "tanh"),))
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, (5, 3, 3))
    for kernel in ("auto", "plain"):
        net = rr.get_backend("numpy").load(chain, kernel=kernel)
        plain, kept = net.forward(x, lengths=[5, 2, 4]), net.forward(x, lengths=[5, 2, 4], keep=True)
        for field, value in plain.fields().items():
            assert np.array_equal(value, kept.fields()[field]), field  # not one bit changed
    d_y = rng.normal(size=(5, 3, 2))
    time_major = net.backward(d_y=d_y)
    net.forward(x.swapaxes(0, 1), lengths=[5, 2, 4], batch_first=True, keep=True)
    batch_first = net.backward(d_y=d_y.swapaxes(0, 1))
    np.testing.assert_array_equal(batch_first.x, time_major.x.swapaxes(0, 1))  # type: ignore[union-attr]
    for path, grad in time_major.weights.items():
        np.testing.assert_array_equal(batch_first.weights[path], grad)


def test_backward_refuses_what_it_cannot_do() -> None:
    chain = random_chain(np.random.default_rng(5), 2, (L("gru", 3),))
    net = rr.get_backend("numpy").load(chain)
    x = np.zeros((2, 1, 2))
    with pytest.raises(rr.InputError, match=r"keep=True"):
        net.backward()
    net.forward(x, keep=True)
    net.forward(x)  # a forward without keep drops what the previous one kept
    with pytest.raises(rr.InputError, match=r"keep=True"):
        net.backward()
    net.forward(x, keep=True)
    with pytest.raises(rr.InputError, match=r"d_y must be None"):
        net.backward(d_y=np.zeros((2, 1, 3)))
    with pytest.raises(rr.InputError, match=r"d_output must have shape \[2, 1, 3\]"):
        net.backward(d_output=np.zeros((2, 1, 4)))
    with pytest.raises(rr.InputError, match=r"d_c_n must be None"):
        net.backward(d_c_n=np.zeros((1, 1, 3)))
    zero = net.backward()
    assert all(not g.any() for g in zero.weights.values())


def test_other_backends_refuse_backward_by_name() -> None:
    class Elsewhere(ChainNet):
        backend = "elsewhere"

        def _forward_flat(self, inputs: Any, h0: Any, c0: Any, lengths: Any) -> FlatResult:
            raise AssertionError("not reached")

    net = Elsewhere(random_chain(np.random.default_rng(6), 2, (L("rnn", 2),)))
    for call in (lambda: net.forward(np.zeros((1, 1, 2)), keep=True), net.backward):
        with pytest.raises(rr.BackendError, match=r"^elsewhere: backward\(\) is not implemented"):
            call()


# -- property: random chains against central differences ---------------------------------------------

FD_STEP = 1e-4  # five-point central difference: truncation O(h^4) ~ 1e-16, rounding ~ 2e-12 * (size of L's terms)
#: relative error is |num - ours| / max(|num|, |ours|, FD_FLOOR * max(1, S)), S = sum of |L|'s terms, so that a
#: gradient that is exactly 0 (e.g. dW_hh after one step from h0 = 0) is not judged against rounding noise alone
FD_FLOOR = 1e-5


@st.composite
def chains_and_cases(draw: st.DrawFn) -> tuple[Chain, np.ndarray, list[int], np.random.Generator]:
    layers = []
    for _ in range(draw(st.integers(1, 2))):
        cell = draw(st.sampled_from(("rnn", "lstm", "gru")))
        hidden = draw(st.integers(1, 4))
        direction = draw(st.sampled_from(("forward", "reverse", "bidirectional")))
        layers.append(L(
            cell, hidden, direction,
            merge=draw(st.sampled_from(("concat", "sum", "mul", "ave"))) if direction == "bidirectional" else "concat",
            nonlinearity=draw(st.sampled_from(("tanh", "relu"))) if cell == "rnn" else "tanh",
            lbr=draw(st.booleans()) if cell == "gru" else True,
            proj=draw(st.integers(0, hidden - 1)) if cell == "lstm" else 0,
            peepholes=draw(st.booleans()) if cell == "lstm" else False,
            clip=draw(st.sampled_from((None, 0.5, 2.0))),
        ))  # fmt: skip
    dense = tuple(
        (draw(st.integers(1, 3)), draw(st.sampled_from(("identity", "softmax", "tanh", "sigmoid", "relu"))))
        for _ in range(draw(st.integers(0, 2)))
    )
    vocab = draw(st.sampled_from((None, 5)))
    readout = draw(st.sampled_from(("sequence", "last")))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    chain = random_chain(rng, draw(st.integers(1, 3)), tuple(layers), vocab, dense, readout)
    steps, batch = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    lengths = [draw(st.integers(1, steps)) for _ in range(batch)]
    return chain, _feed(rng, chain, steps, batch), lengths, rng


@settings(max_examples=50, deadline=None, derandomize=True)
@given(chains_and_cases())
def test_gradients_equal_central_differences(case: tuple[Chain, np.ndarray, list[int], np.random.Generator]) -> None:
    chain, feed, lengths, rng = case
    net = rr.get_backend("numpy").load(chain)
    res = net.forward(feed, lengths=lengths, keep=True)
    d_output = rng.normal(size=res.output.shape)
    d_y = None if res.y is None else rng.normal(size=res.y.shape)
    grads = net.backward(d_output=d_output, d_y=d_y)
    terms = float(np.abs(res.output * d_output).sum() + (0.0 if d_y is None else np.abs(res.y * d_y).sum()))
    floor = FD_FLOOR * max(1.0, terms)

    def loss(moved: Chain) -> float:
        out = rr.get_backend("numpy").load(moved).forward(feed, lengths=lengths)
        return float((out.output * d_output).sum() + (0.0 if d_y is None else (out.y * d_y).sum()))

    for path, grad in grads.weights.items():
        for _ in range(2):
            index = tuple(int(rng.integers(0, n)) for n in grad.shape)
            f = [loss(with_entry_moved(chain, path, index, k * FD_STEP)) for k in (2, 1, -1, -2)]
            numeric = (-f[0] + 8 * f[1] - 8 * f[2] + f[3]) / (12 * FD_STEP)
            error = abs(numeric - grad[index]) / max(abs(numeric), abs(grad[index]), floor)
            assert error <= 1e-6, f"{chain.describe()}: {path}{list(index)}: ours {grad[index]!r}, numeric {numeric!r}"

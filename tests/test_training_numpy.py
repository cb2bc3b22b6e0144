"""Training in numpy (backward + cross-entropy + norm clipping + Adam) gives PyTorch's loss curve, float64."""

from __future__ import annotations

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta.backward.weights import chain_weights, chain_with_weights
from rnn_rosetta.losses import softmax_cross_entropy
from rnn_rosetta.optimizers import Adam, clip_grad_norm
from tests.backward_oracle import LayerOpts, random_chain, torch_chain_forward, torch_leaves
from tests.conftest import import_torch_or_skip_module

torch = import_torch_or_skip_module()


def test_weights_round_trip_by_path() -> None:
    chain = random_chain(
        np.random.default_rng(1), 3, (LayerOpts("lstm", 4, "bidirectional", "sum", proj=2, peepholes=True),), 6,
        ((2, "tanh"),), "last",
    )  # fmt: skip
    weights = chain_weights(chain)
    assert list(weights)[:3] == ["embedding.weight", "layers.0.forward.weight_ih", "layers.0.forward.weight_hh"]
    doubled = chain_with_weights(chain, {path: 2.0 * w for path, w in weights.items()})
    for path, w in chain_weights(doubled).items():
        np.testing.assert_array_equal(w, 2.0 * weights[path], err_msg=path)
    assert doubled.describe() == chain.describe()
    with pytest.raises(rr.InputError, match=r"dense\.0\.bias must have shape \[2\]"):
        chain_with_weights(chain, {**weights, "dense.0.bias": np.zeros(3)})
    with pytest.raises(rr.InputError, match=r"differ in \['dense\.0\.bias'\]"):
        chain_with_weights(chain, {p: w for p, w in weights.items() if p != "dense.0.bias"})


def test_adam_with_norm_clipping_follows_torch_step_by_step() -> None:
    """A character-model-shaped chain, next-token cross-entropy, clip 0.1 (bites on most steps), Adam 2e-3, 100 steps.

    (Trained much harder, e.g. lr 2e-2, the gates saturate: ``1 - sigmoid`` then cancels, and one-ulp differences
    between our forward and torch's grow to 1e-9 in the gradients within 70 steps. Both are right; the issue's
    target, 100 steps at lr 2e-3, stays at 1e-16.)
    """
    rng = np.random.default_rng(5)
    vocab, steps, batch = 7, 6, 3
    layers = (LayerOpts("lstm", 6), LayerOpts("gru", 5, "bidirectional", "ave"))
    chain = random_chain(rng, 4, layers, vocab, ((vocab, "identity"),), "sequence")
    text = rng.integers(0, vocab, (steps + 1, batch))
    inputs, targets = text[:-1], text[1:]  # [T, B] each

    structure = chain  # torch reads the options from it; its weights are the leaves, stepped by torch's Adam
    leaves = torch_leaves(torch, chain)
    h0 = [torch.zeros(batch, size, dtype=torch.float64) for size in chain.state_sizes]
    c0 = [torch.zeros(batch, size, dtype=torch.float64) for size in chain.cell_state_sizes]
    theirs = torch.optim.Adam(list(leaves.values()), lr=2e-3)
    ours = Adam(lr=2e-3)
    for step in range(100):
        net = rr.get_backend("numpy").load(chain)
        res = net.forward(inputs, keep=True)
        loss, d_logits = softmax_cross_entropy(res.y, targets)
        grads = net.backward(d_y=d_logits)
        clipped, norm = clip_grad_norm(grads.weights, 0.1)
        chain = chain_with_weights(chain, ours.step(chain_weights(chain), clipped))

        theirs.zero_grad()
        out = torch_chain_forward(torch, structure, leaves, torch.tensor(inputs), np.full(batch, steps), h0, c0)
        want = torch.nn.functional.cross_entropy(out["y"].reshape(-1, vocab), torch.tensor(targets).reshape(-1))
        want.backward()
        want_norm = torch.nn.utils.clip_grad_norm_(list(leaves.values()), 0.1)
        theirs.step()
        assert loss == pytest.approx(want.item(), rel=1e-9), f"step {step}"
        assert norm == pytest.approx(want_norm.item(), rel=1e-9), f"step {step}"
    for path, w in chain_weights(chain).items():
        np.testing.assert_allclose(w, leaves[path].detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=path)


def test_truncated_bptt_carries_the_state_across_windows() -> None:
    """Windows of k = 4 steps: each window starts from the last one's final states, gradients stop at its start."""
    rng = np.random.default_rng(8)
    vocab, batch, window = 6, 2, 4
    chain = random_chain(rng, 3, (LayerOpts("lstm", 5, proj=3), LayerOpts("gru", 4)), vocab, ((vocab, "identity"),))
    text = rng.integers(0, vocab, (3 * window + 1, batch))
    net = rr.get_backend("numpy").load(chain)
    leaves = torch_leaves(torch, chain)
    h = [np.zeros((batch, size)) for size in chain.state_sizes]
    c = [np.zeros((batch, size)) for size in chain.cell_state_sizes]
    total: dict[str, np.ndarray] = {}
    t_h = [torch.tensor(s) for s in h]
    t_c = [torch.tensor(s) for s in c]
    for start in range(0, 3 * window, window):
        inputs, targets = text[start : start + window], text[start + 1 : start + window + 1]
        res = net.forward(inputs, h, c, keep=True)
        loss, d_logits = softmax_cross_entropy(res.y, targets)
        grads = net.backward(d_y=d_logits)
        total = {path: total.get(path, 0.0) + g for path, g in grads.weights.items()}
        h, c = list(res.h_n), list(res.c_n)  # carried, as values: the next window's gradients stop here

        out = torch_chain_forward(torch, chain, leaves, torch.tensor(inputs), np.full(batch, window), t_h, t_c)
        want = torch.nn.functional.cross_entropy(out["y"].reshape(-1, vocab), torch.tensor(targets).reshape(-1))
        want.backward()  # .grad accumulates over the windows
        t_h = [s.detach() for s in out["h_n"]]
        t_c = [s.detach() for s in out["c_n"]]
        assert loss == pytest.approx(want.item(), rel=1e-12), f"window at {start}"
    for path, leaf in leaves.items():
        np.testing.assert_allclose(total[path], leaf.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=path)

"""Losses, optimisers and norm clipping against PyTorch float64.

Oracles: F.cross_entropy, F.mse_loss (autograd for their gradients), torch.optim.SGD/Adam, clip_grad_norm_.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta.losses import mean_squared_error, softmax_cross_entropy
from rnn_rosetta.optimizers import SGD, Adam, clip_grad_norm
from tests.conftest import import_torch_or_skip_module

torch = import_torch_or_skip_module()
F = torch.nn.functional


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(7,), (4, 3), (5, 2, 3)])
def test_cross_entropy_and_its_fused_gradient(shape: tuple[int, ...], reduction: str) -> None:
    rng = np.random.default_rng(len(shape))
    logits = rng.normal(0.0, 3.0, (*shape, 6))
    logits[..., 0] += 40.0  # a large logit: the shifted log-sum-exp must not overflow or lose the rest
    targets = rng.integers(0, 6, shape)
    loss, grad = softmax_cross_entropy(logits, targets, reduction)
    t_logits = torch.tensor(logits, requires_grad=True)
    want = F.cross_entropy(t_logits.reshape(-1, 6), torch.tensor(targets).reshape(-1), reduction=reduction)
    want.backward()
    assert loss == pytest.approx(want.item(), rel=1e-13)
    np.testing.assert_allclose(grad, t_logits.grad.numpy(), rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mean_squared_error(reduction: str) -> None:
    rng = np.random.default_rng(9)
    prediction, target = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2))
    loss, grad = mean_squared_error(prediction, target, reduction)
    t_prediction = torch.tensor(prediction, requires_grad=True)
    want = F.mse_loss(t_prediction, torch.tensor(target), reduction=reduction)
    want.backward()
    assert loss == pytest.approx(want.item(), rel=1e-14)
    np.testing.assert_allclose(grad, t_prediction.grad.numpy(), rtol=1e-14, atol=0)


def test_losses_refuse_bad_targets() -> None:
    with pytest.raises(rr.InputError, match=r"class ids in 0\.\.2"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(rr.InputError, match=r"targets must have shape \[2\]"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([[0, 1]]))
    with pytest.raises(rr.InputError, match=r"reduction"):
        mean_squared_error(np.zeros(2), np.zeros(2), "none")


def _run_both(make_ours: Callable[[], SGD | Adam], make_torch: Callable[[list[Any]], Any], steps: int = 25) -> None:
    """The same weights and the same gradient sequence through ours and torch's optimiser; compare every step."""
    rng = np.random.default_rng(11)
    weights = {"a": rng.normal(size=(3, 4)), "b": rng.normal(size=5)}
    leaves = {n: torch.tensor(w.copy(), requires_grad=True) for n, w in weights.items()}
    ours, theirs = make_ours(), make_torch(list(leaves.values()))
    for step in range(steps):
        grads = {n: rng.normal(size=w.shape) * (1 + step % 3) for n, w in weights.items()}
        before = {n: w.copy() for n, w in weights.items()}
        weights = ours.step(weights, grads)
        for name, leaf in leaves.items():
            leaf.grad = torch.tensor(grads[name])
        theirs.step()
        for name, leaf in leaves.items():
            np.testing.assert_allclose(weights[name], leaf.detach().numpy(), rtol=1e-14, atol=1e-15, err_msg=name)
            assert not np.shares_memory(weights[name], before[name])


@pytest.mark.parametrize(
    "options",
    [
        {"lr": 0.1},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    ],
)
def test_sgd_matches_torch(options: dict[str, float]) -> None:
    _run_both(lambda: SGD(**options), lambda params: torch.optim.SGD(params, **options))


@pytest.mark.parametrize(
    "options",
    [{"lr": 2e-3}, {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}, {"lr": 0.01, "weight_decay": 0.05}],
)
def test_adam_matches_torch(options: dict[str, object]) -> None:
    _run_both(lambda: Adam(**options), lambda params: torch.optim.Adam(params, **options), steps=100)


@pytest.mark.parametrize("max_norm", [0.5, 5.0, 1e3])
def test_clip_grad_norm_matches_torch(max_norm: float) -> None:
    rng = np.random.default_rng(13)
    grads = {"a": rng.normal(size=(4, 5)), "b": rng.normal(size=3), "c": rng.normal(size=(2, 2))}
    clipped, total = clip_grad_norm(grads, max_norm)
    leaves = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()]
    for leaf, g in zip(leaves, grads.values(), strict=True):
        leaf.grad = torch.tensor(g)
    want_total = torch.nn.utils.clip_grad_norm_(leaves, max_norm)
    assert total == pytest.approx(want_total.item(), rel=1e-15)
    for leaf, got in zip(leaves, clipped.values(), strict=True):
        np.testing.assert_allclose(got, leaf.grad.numpy(), rtol=1e-15, atol=0)
    assert (float(np.sqrt(sum((g * g).sum() for g in clipped.values()))) <= max_norm) or max_norm > total

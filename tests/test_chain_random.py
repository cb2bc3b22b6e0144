"""Random chains (every cell, direction, merge, readout, dense activation) against PyTorch composed part by part."""

from __future__ import annotations

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta.compare import compare
from rnn_rosetta.fixture_data import CaseInputs
from rnn_rosetta.fixture_writer import dump_document, fixture_document
from rnn_rosetta.fixturegen.chain_build import build_chain, build_inputs, chain_expected
from rnn_rosetta.fixturegen.chain_specs import ChainSpec, LayerSpec
from rnn_rosetta.fixturegen.specs import CaseSpec
from tests.conftest import require_torch

CELLS = ("rnn", "lstm", "gru")
DIRECTIONS = ("forward", "reverse", "bidirectional")
MERGES = ("concat", "sum", "mul", "ave")
ACTIVATIONS = ("identity", "softmax", "tanh", "sigmoid", "relu")


def random_spec(seed: int) -> ChainSpec:
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(int(rng.integers(1, 4))):
        cell = str(rng.choice(CELLS))
        hidden = int(rng.integers(1, 7))
        direction = str(rng.choice(DIRECTIONS))
        layers.append(
            LayerSpec(
                cell,
                hidden,
                direction,
                merge=str(rng.choice(MERGES)) if direction == "bidirectional" else "concat",
                nonlinearity=str(rng.choice(("tanh", "relu"))) if cell == "rnn" else "tanh",
                proj_size=int(rng.integers(0, hidden)) if cell == "lstm" and hidden > 1 and rng.random() < 0.3 else 0,
            )
        )
    dense = tuple((int(rng.integers(1, 5)), str(rng.choice(ACTIVATIONS))) for _ in range(int(rng.integers(0, 3))))
    vocab = int(rng.integers(2, 12)) if rng.random() < 0.4 else None
    cases = (
        CaseSpec("zero_state", 4, 3),
        CaseSpec("given_state", 3, 2, h0=True, c0=True),
        CaseSpec("uneven", 5, 3, h0=True, c0=True, lengths=(5, 1, 3)),
    )
    return ChainSpec(
        f"random_{seed}", "random chain", int(rng.integers(1, 5)), tuple(layers), cases,
        vocab_size=vocab, dense=dense, readout=str(rng.choice(("sequence", "last"))), seed=seed,
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(40))
def test_random_chain_matches_torch(seed: int) -> None:
    require_torch()
    spec = random_spec(seed)
    rng = np.random.default_rng(spec.seed)
    chain = build_chain(spec, rng)
    cases: list[CaseInputs] = build_inputs(spec, chain, rng)
    tolerance = rr.Tolerance(rtol=1e-12, atol=1e-13)
    nets = [rr.get_backend("numpy").load(chain, kernel=k) for k in ("auto", "plain")]
    for case in cases:
        feed = case.tokens if case.tokens is not None else case.x
        want = chain_expected(chain, case)
        for net in nets:
            got = net.forward(feed, case.h0, case.c0, case.lengths)
            comparison = compare(got, want, tolerance)
            assert comparison.ok, (
                f"{chain.describe()} / {case.name} / {net.kernel_name}: "
                f"{comparison.problem or comparison.mismatch.describe(tolerance)}"  # type: ignore[union-attr]
            )
    # every random chain is a valid version-2 file, read back as the same chain
    answered = [rr.Case.answered(case, chain_expected(chain, case)) for case in cases]
    text = dump_document(fixture_document(spec.name, "random", chain, answered, tolerance, {}))
    again = rr.parse_fixture(text)
    assert again.model.describe() == chain.describe()  # type: ignore[union-attr]


@pytest.mark.parametrize("seed", range(0, 40, 3))
def test_random_chain_on_every_backend(seed: int, backend_kernel: tuple[str, str]) -> None:
    require_torch()
    backend, kernel = backend_kernel
    spec = random_spec(seed)
    rng = np.random.default_rng(spec.seed)
    chain = build_chain(spec, rng)
    tolerance = rr.Tolerance(rtol=1e-12, atol=1e-13)
    net = rr.get_backend(backend).load(chain, kernel=kernel)
    for case in build_inputs(spec, chain, rng):
        feed = case.tokens if case.tokens is not None else case.x
        comparison = compare(net.forward(feed, case.h0, case.c0, case.lengths), chain_expected(chain, case), tolerance)
        assert comparison.ok, (
            f"{chain.describe()} / {case.name} / {backend}[{net.kernel_name}]: "
            f"{comparison.problem or comparison.mismatch.describe(tolerance)}"  # type: ignore[union-attr]
        )

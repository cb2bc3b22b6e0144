"""The C chain (rr_chain in c/src/chain.c) against the numpy ChainNet, on random chains of every
shape format v2 allows: embeddings, mixed cells and sizes, every merge, both readouts, every dense
activation, float64 and float32, lengths, initial states, and the streaming step.

The numpy ChainNet is the reference here (both read the same Chain); the committed v2 fixtures,
whose expected values come from the oracles, are checked in tests/test_c_fixture_library.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
import rnn_rosetta.paths
from rnn_rosetta.chain import DENSE_ACTIVATIONS, MERGES, Chain, Dense, Embedding
from rnn_rosetta.errors import InputError
from rnn_rosetta.model import GATE_COUNT, DirectionWeights, Layer, Model
from tests.conftest import require_backend

TOL = {"float64": 1e-12, "float32": 2e-5}


def random_layer(rng: np.random.Generator, cell: str, input_size: int, direction: str) -> Model:
    """One one-layer model with random weights and random options that apply to ``cell``."""
    hidden = int(rng.integers(1, 7))
    proj = int(rng.integers(1, hidden)) if cell == "lstm" and hidden > 1 and rng.random() < 0.3 else 0
    peepholes = cell == "lstm" and rng.random() < 0.3
    out = proj or hidden
    rows = GATE_COUNT[cell] * hidden

    def u(*shape: int) -> np.ndarray:
        return rng.uniform(-0.8, 0.8, shape)

    def weights() -> DirectionWeights:
        extra: dict[str, Any] = {}
        if proj:
            extra["weight_hr"] = u(proj, hidden)
        if peepholes:
            extra.update(peephole_i=u(hidden), peephole_f=u(hidden), peephole_o=u(hidden))
        return DirectionWeights(u(rows, input_size), u(rows, out), u(rows), u(rows), **extra)

    names = ("forward", "reverse") if direction == "bidirectional" else (direction,)
    layer = Layer(**{name: weights() for name in names})
    return Model(
        cell=cell,
        input_size=input_size,
        hidden_size=hidden,
        num_layers=1,
        direction=direction,
        layers=(layer,),
        nonlinearity="relu" if cell == "rnn" and rng.random() < 0.3 else "tanh",
        linear_before_reset=bool(rng.random() < 0.5) if cell == "gru" else True,
        proj_size=proj,
        peepholes=peepholes,
        clip=float(rng.uniform(0.5, 3.0)) if rng.random() < 0.2 else None,
    )


def random_chain(seed: int, directions: tuple[str, ...] | None = None) -> Chain:
    rng = np.random.default_rng(seed)
    count = int(rng.integers(1, 4))
    embedding = None
    width = int(rng.integers(1, 6))
    if rng.random() < 0.4:
        embedding = Embedding(rng.uniform(-1, 1, (int(rng.integers(1, 12)), width)))
    layers, merges = [], []
    for index in range(count):
        if directions is not None:
            direction = directions[index % len(directions)]
        else:
            direction = str(rng.choice(["forward", "reverse", "bidirectional"]))
        layer = random_layer(rng, str(rng.choice(["rnn", "lstm", "gru"])), width, direction)
        merge = str(rng.choice(MERGES)) if direction == "bidirectional" else "concat"
        layers.append(layer)
        merges.append(merge)
        out = layer.output_size
        width = 2 * out if direction == "bidirectional" and merge == "concat" else out
    dense = []
    for _ in range(int(rng.integers(0, 3))):
        size = int(rng.integers(1, 5))
        dense.append(
            Dense(rng.uniform(-1, 1, (size, width)), rng.uniform(-1, 1, size), str(rng.choice(DENSE_ACTIVATIONS)))
        )
        width = size
    readout = "last" if rng.random() < 0.5 else "sequence"
    return Chain(layers=tuple(layers), merges=tuple(merges), embedding=embedding, dense=tuple(dense), readout=readout)


def random_inputs(chain: Chain, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed + 1000)
    steps, batch = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    if chain.embedding is not None:
        x: np.ndarray = rng.integers(0, chain.embedding.vocab_size, (steps, batch))
    else:
        x = rng.uniform(-2, 2, (steps, batch, chain.input_size))
    h0 = [rng.uniform(-1, 1, (batch, size)) for size in chain.state_sizes] if rng.random() < 0.5 else None
    c0 = None
    if chain.cell_state_sizes and rng.random() < 0.5:
        c0 = [rng.uniform(-1, 1, (batch, size)) for size in chain.cell_state_sizes]
    lengths = rng.integers(1, steps + 1, batch) if rng.random() < 0.5 else None
    return {"x": x, "h0": h0, "c0": c0, "lengths": lengths}


def as_list(states: Any) -> list[np.ndarray]:
    return [] if states is None else [np.asarray(s) for s in states]


def assert_close(got: Any, want: Any, tol: float, what: str) -> None:
    if want is None:
        assert got is None, what
        return
    got_list, want_list = (as_list(got), as_list(want)) if isinstance(want, list) else ([got], [want])
    for g, w in zip(got_list, want_list, strict=True):
        assert g.shape == w.shape, what
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=what)


@pytest.fixture(scope="module", autouse=True)
def _c() -> None:
    require_backend("c")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("seed", range(40))
def test_random_chain_matches_numpy(seed: int, dtype: str) -> None:
    chain = random_chain(seed)
    inputs = random_inputs(chain, seed)
    want = rr.get_backend("numpy").load(chain, dtype=dtype).forward(**inputs)
    got = rr.get_backend("c").load(chain, dtype=dtype).forward(**inputs)
    tol = TOL[dtype]
    for name in ("output", "h_n", "c_n", "y"):
        assert_close(getattr(got, name), getattr(want, name), tol, f"{chain.describe()}: {name}")


@pytest.mark.parametrize("kernel", ["portable", "auto"])
@pytest.mark.parametrize("seed", range(10))
def test_step_matches_forward(seed: int, kernel: str) -> None:
    chain = random_chain(seed, directions=("forward",))
    inputs = random_inputs(chain, seed)
    net = rr.get_backend("c").load(chain, kernel=kernel)
    whole = net.forward(inputs["x"], h0=inputs["h0"], c0=inputs["c0"])
    state: Any = (inputs["h0"], inputs["c0"])
    ys = []
    for t in range(len(inputs["x"])):
        y_t, state = net.step(inputs["x"][t], state)
        ys.append(y_t)
    if chain.readout == "sequence" and whole.y is not None:
        np.testing.assert_allclose(np.stack(ys), whole.y, rtol=1e-12, atol=1e-12)
    elif whole.y is not None:
        np.testing.assert_allclose(ys[-1], whole.y, rtol=1e-12, atol=1e-12)
    assert_close(state.h, whole.h_n, 1e-12, "h")
    assert_close(state.c, whole.c_n, 1e-12, "c")


def test_tokens_out_of_range_is_an_input_error() -> None:
    chain = replace(random_chain(3), embedding=Embedding(np.ones((4, random_chain(3).input_size))))
    net = rr.get_backend("c").load(chain)
    with pytest.raises(InputError):
        net.forward(np.array([[4]]))


def _v2_fixtures() -> list[str]:
    names = []
    for path in sorted(rr.paths.fixtures_dir().glob("*.json")):
        if '"version": 2' in path.read_text("utf-8")[:200]:
            names.append(path.name)
    return names


def _flat(states: Any) -> np.ndarray | None:
    if states is None:
        return None
    if isinstance(states, np.ndarray):
        return states.ravel()
    return np.concatenate([np.asarray(slot).ravel() for slot in states])


@pytest.mark.parametrize("kernel", ["portable", "auto"])
@pytest.mark.parametrize("name", _v2_fixtures())
def test_committed_v2_fixture_matches_expected_and_numpy(name: str, kernel: str) -> None:
    fixture = rr.load_fixture(rr.paths.fixtures_dir() / name)
    chain = fixture.model
    assert isinstance(chain, Chain)
    c_net = rr.get_backend("c").load(chain, kernel=kernel)
    numpy_net = rr.get_backend("numpy").load(chain)
    tol = fixture.tolerance
    for case in fixture.cases:
        given = case.tokens if case.tokens is not None else case.x
        got = c_net.forward(given, h0=case.h0, c0=case.c0, lengths=case.lengths)
        ref = numpy_net.forward(given, h0=case.h0, c0=case.c0, lengths=case.lengths)
        for field in ("output", "h_n", "c_n", "y"):
            where = f"{name}/{case.name}/{field}"
            want = _flat(getattr(case.expected, field))
            if want is not None:
                np.testing.assert_allclose(
                    _flat(getattr(got, field)), want, rtol=tol.rtol, atol=tol.atol, err_msg=where
                )
            reference = _flat(getattr(ref, field))
            if reference is not None:
                np.testing.assert_allclose(_flat(getattr(got, field)), reference, rtol=1e-12, atol=1e-12, err_msg=where)

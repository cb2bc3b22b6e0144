"""Every backend that loads chains against every committed version-2 fixture; the ChainNet interface."""

from __future__ import annotations

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta.backends.chain_net import join_slots, split_slots
from rnn_rosetta.compare import compare
from tests.conftest import CHAIN_FIXTURE_IDS, STREAMABLE_CHAIN_IDS

Fixtures = dict[str, rr.Fixture]


def test_there_are_chain_fixtures_of_every_kind(loaded_chain_fixtures: Fixtures) -> None:
    chains = [f.model for f in loaded_chain_fixtures.values()]
    assert all(isinstance(c, rr.Chain) for c in chains)
    assert {layer.cell for c in chains for layer in c.layers} == {"rnn", "lstm", "gru"}
    assert {m for c in chains for m in c.merges} == {"concat", "sum", "mul", "ave"}
    assert {c.readout for c in chains} == {"sequence", "last"}
    assert {d.activation for c in chains for d in c.dense} == {"identity", "softmax", "tanh", "sigmoid", "relu"}
    assert any(c.embedding is not None for c in chains)
    assert any(len(set(c.state_sizes)) > 1 for c in chains)  # ragged state slots
    assert any(c.readout == "last" and not c.dense for c in chains)  # y is the readout itself
    cases = [case for f in loaded_chain_fixtures.values() for case in f.cases]
    assert any(case.lengths is not None for case in cases) and any(case.tokens is not None for case in cases)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", CHAIN_FIXTURE_IDS)
def test_chain_backend_matches_oracle(
    name: str, dtype: str, backend_kernel: tuple[str, str], loaded_chain_fixtures: Fixtures
) -> None:
    backend, kernel = backend_kernel
    fixture = loaded_chain_fixtures[name]
    tolerance = fixture.tolerance.for_dtype(dtype)
    net = rr.get_backend(backend).load(fixture.model, dtype=dtype, kernel=kernel)
    assert isinstance(net, rr.backends.ChainNet)
    for case in fixture.cases:
        result = net.forward(case.feed, case.h0, case.c0, case.lengths)
        comparison = compare(result, case.expected, tolerance)
        assert comparison.ok, (
            f"{name} / {case.name} / {backend}[{net.kernel_name}] {dtype} vs expected: "
            f"{comparison.problem or comparison.mismatch.describe(tolerance)}"  # type: ignore[union-attr]
        )


@pytest.mark.parametrize("name", STREAMABLE_CHAIN_IDS)
def test_chain_step_by_step_equals_forward(
    name: str, backend_kernel: tuple[str, str], loaded_chain_fixtures: Fixtures
) -> None:
    backend, kernel = backend_kernel
    fixture = loaded_chain_fixtures[name]
    net = rr.get_backend(backend).load(fixture.model, kernel=kernel)
    for case in fixture.cases:
        if case.lengths is not None:
            continue
        whole = net.forward(case.feed, case.h0, case.c0)
        state = None if case.h0 is None else rr.State(case.h0, case.c0)
        for t in range(case.feed.shape[0]):
            y_t, state = net.step(case.feed[t], state)
            if fixture.model.dense and fixture.model.readout == "sequence":
                want = whole.y[t]  # type: ignore[index]
            elif fixture.model.dense:
                want = y_t if t < case.feed.shape[0] - 1 else whole.y  # readout last: y of the final step
            else:
                want = whole.output[t]  # type: ignore[index]
            np.testing.assert_allclose(y_t, want, rtol=1e-13, atol=1e-14, err_msg=f"{name}/{case.name} t={t}")
        assert state is not None
        for got, want in zip(_slots(state.h), _slots(whole.h_n), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)


def _slots(value: object) -> list[np.ndarray]:
    return [np.asarray(v) for v in value] if isinstance(value, list) else list(np.asarray(value))


def test_numpy_kernels_agree_with_each_other_exactly_enough(loaded_chain_fixtures: Fixtures) -> None:
    for fixture in loaded_chain_fixtures.values():
        fast = rr.get_backend("numpy").load(fixture.model)
        plain = rr.get_backend("numpy").load(fixture.model, kernel="plain")
        assert (fast.kernel_name, plain.kernel_name) == ("fast", "plain")
        for case in fixture.cases:
            a = fast.forward(case.feed, case.h0, case.c0, case.lengths)
            b = plain.forward(case.feed, case.h0, case.c0, case.lengths)
            assert compare(a, b, rr.Tolerance(1e-13, 1e-14)).ok, f"{fixture.name}/{case.name}"


def test_ragged_states_come_back_as_lists_and_uniform_ones_as_arrays(loaded_chain_fixtures: Fixtures) -> None:
    stack = loaded_chain_fixtures["stack_64_32_softmax"]  # slots of 12 and 7
    result = rr.get_backend("numpy").load(stack.model).forward(stack.cases[0].feed)
    assert isinstance(result.h_n, list) and [s.shape for s in result.h_n] == [(3, 12), (3, 7)]
    assert result.y is not None and result.y.shape == (3, 4)  # readout last: [B, O]
    seq = loaded_chain_fixtures["seq_classifier"]  # two lstm slots of 8
    result = rr.get_backend("numpy").load(seq.model).forward(seq.cases[0].feed)
    assert isinstance(result.h_n, np.ndarray) and result.h_n.shape == (2, 3, 8)
    assert isinstance(result.c_n, np.ndarray) and result.c_n.shape == (2, 3, 8)


def test_batch_first(loaded_chain_fixtures: Fixtures) -> None:
    for name in ("char_model", "gru_bidirectional_merges", "seq_classifier"):
        fixture = loaded_chain_fixtures[name]
        net = rr.get_backend("numpy").load(fixture.model)
        case = fixture.cases[-1]
        feed = np.swapaxes(case.feed, 0, 1)
        plain = net.forward(case.feed, case.h0, case.c0, case.lengths)
        first = net.forward(feed, case.h0, case.c0, case.lengths, batch_first=True)
        np.testing.assert_array_equal(first.output, np.swapaxes(plain.output, 0, 1))  # type: ignore[arg-type]
        if plain.y is not None:
            want = plain.y if fixture.model.readout == "last" else np.swapaxes(plain.y, 0, 1)
            np.testing.assert_array_equal(first.y, want)  # type: ignore[arg-type]
        for got, want in zip(_slots(first.h_n), _slots(plain.h_n), strict=True):
            np.testing.assert_array_equal(got, want)


def test_states_may_be_given_as_a_list_of_slots_even_when_uniform(loaded_chain_fixtures: Fixtures) -> None:
    fixture = loaded_chain_fixtures["seq_classifier"]
    case = fixture.cases[1]
    assert isinstance(case.h0, np.ndarray) and isinstance(case.c0, np.ndarray)
    net = rr.get_backend("numpy").load(fixture.model)
    a = net.forward(case.feed, case.h0, case.c0)
    b = net.forward(case.feed, list(case.h0), list(case.c0))
    assert compare(a, b, rr.Tolerance(0.0, 0.0)).ok


def test_flat_slots_round_trip() -> None:
    slots = [np.arange(6.0).reshape(2, 3), np.arange(4.0).reshape(2, 2)]
    flat = join_slots(slots, np.dtype("float64"))
    assert flat.tolist() == [0, 1, 2, 3, 4, 5, 0, 1, 2, 3]
    back = split_slots(flat, 2, (3, 2))
    assert [b.tolist() for b in back] == [s.tolist() for s in slots]


@pytest.mark.parametrize(
    ("name", "call", "match"),
    [
        (
            "seq_classifier",
            lambda n, c: n.forward(np.full((2, 2), 20)),
            r"tokens\[0, 0\] is 20, must be a token id in 0..19",
        ),
        ("seq_classifier", lambda n, c: n.forward(np.full((2, 2), -1)), "must be a token id"),
        ("seq_classifier", lambda n, c: n.forward(np.zeros((2, 2))), "must be integers"),
        ("seq_classifier", lambda n, c: n.forward(np.zeros((2, 2, 6))), r"non-empty \[T, B\] array of token ids"),
        ("stack_64_32_softmax", lambda n, c: n.forward(np.zeros((2, 2), dtype=int)), r"\[T, B, I\]"),
        ("stack_64_32_softmax", lambda n, c: n.forward(np.zeros((2, 2, 4))), r"shape \[2, 2, 5\]"),
        ("stack_64_32_softmax", lambda n, c: n.forward(c.x, h0=np.zeros((2, 3, 12))), "differ in size"),
        ("stack_64_32_softmax", lambda n, c: n.forward(c.x, h0=[np.zeros((3, 12))]), "must hold 2 slots"),
        ("stack_64_32_softmax", lambda n, c: n.forward(c.x, h0=[np.zeros((3, 12)), np.zeros((3, 8))]), r"h0\[1\]"),
        ("gru_bidirectional_merges", lambda n, c: n.forward(c.x, c0=[np.zeros((3, 5))]), "no lstm layer"),
        ("gru_bidirectional_merges", lambda n, c: n.forward(c.x, lengths=[0, 1, 1]), r"lengths\[0\]"),
        ("gru_bidirectional_merges", lambda n, c: n.step(c.x[0]), "layer 0 is bidirectional"),
        ("reverse_last", lambda n, c: n.step(c.x[0]), "layer 0 is reverse"),
        ("seq_classifier", lambda n, c: n.step(np.zeros((3, 6))), r"x_t must be a non-empty \[B\]"),
    ],
)
def test_chain_net_refuses_bad_arguments(
    name: str, call: object, match: str, backend: str, loaded_chain_fixtures: Fixtures
) -> None:
    fixture = loaded_chain_fixtures[name]
    net = rr.get_backend(backend).load(fixture.model)
    with pytest.raises(rr.InputError, match=match):
        call(net, fixture.cases[0])  # type: ignore[operator]


def test_padded_steps_are_zero_after_every_merge(loaded_chain_fixtures: Fixtures) -> None:
    fixture = loaded_chain_fixtures["gru_bidirectional_merges"]
    case = next(c for c in fixture.cases if c.name == "uneven_lengths")
    assert case.lengths is not None
    result = rr.get_backend("numpy").load(fixture.model).forward(case.feed, case.h0, None, case.lengths)
    for b, length in enumerate(case.lengths):
        assert not result.output[length:, b].any()  # type: ignore[index]

"""Every backend against every committed fixture, and the streaming API against the whole-sequence one."""

from __future__ import annotations

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta.compare import compare
from tests.conftest import FIXTURE_IDS, STREAMABLE_IDS


def test_there_are_fixtures_of_every_kind(loaded_fixtures: dict[str, rr.Fixture]) -> None:
    models = [f.model for f in loaded_fixtures.values()]
    assert {m.cell for m in models} == {"rnn", "lstm", "gru"}
    assert {m.direction for m in models} == {"forward", "reverse", "bidirectional"}
    assert any(m.num_layers > 1 for m in models)
    assert any(m.proj_size for m in models) and any(m.peepholes for m in models)
    assert any(m.clip is not None for m in models)
    assert {m.linear_before_reset for m in models if m.cell == "gru"} == {True, False}
    assert {m.head.activation for m in models if m.head is not None} == {"softmax", "identity"}
    assert any(c.lengths is not None for f in loaded_fixtures.values() for c in f.cases)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", FIXTURE_IDS)
def test_backend_matches_oracle(
    name: str, dtype: str, backend_kernel: tuple[str, str], loaded_fixtures: dict[str, rr.Fixture]
) -> None:
    backend, kernel = backend_kernel
    fixture = loaded_fixtures[name]
    tolerance = fixture.tolerance.for_dtype(dtype)
    net = rr.get_backend(backend).load(fixture.model, dtype=dtype, kernel=kernel)
    for case in fixture.cases:
        result = net.forward(case.x, case.h0, case.c0, case.lengths)
        assert all(value.dtype == np.dtype(dtype) for value in result.fields().values())
        comparison = compare(result, case.expected, tolerance)
        assert comparison.ok, (
            f"{name} / {case.name} / {backend}[{net.kernel_name}] {dtype} vs expected: "
            f"{comparison.problem or comparison.mismatch.describe(tolerance)}"  # type: ignore[union-attr]
        )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", STREAMABLE_IDS)
def test_step_by_step_equals_forward(
    name: str, dtype: str, backend_kernel: tuple[str, str], loaded_fixtures: dict[str, rr.Fixture]
) -> None:
    backend, kernel = backend_kernel
    fixture = loaded_fixtures[name]
    net = rr.get_backend(backend).load(fixture.model, dtype=dtype, kernel=kernel)
    rtol, atol = (1e-13, 1e-14) if dtype == "float64" else (1e-5, 1e-6)
    for case in fixture.cases:
        if case.lengths is not None:
            continue
        whole = net.forward(case.x, case.h0, case.c0)
        state = None if case.h0 is None and case.c0 is None else (case.h0, case.c0)
        for t in range(case.x.shape[0]):
            y_t, state = net.step(case.x[t], state)
            want = whole.y[t] if whole.y is not None else whole.output[t]
            np.testing.assert_allclose(y_t, want, rtol=rtol, atol=atol, err_msg=f"{name}/{case.name} t={t}")
        assert state is not None
        np.testing.assert_allclose(state.h, whole.h_n, rtol=rtol, atol=atol)
        if whole.c_n is not None:
            np.testing.assert_allclose(state.c, whole.c_n, rtol=rtol, atol=atol)


def test_step_refuses_reverse(backend: str, loaded_fixtures: dict[str, rr.Fixture]) -> None:
    fixture = loaded_fixtures["lstm_reverse"]
    net = rr.get_backend(backend).load(fixture.model)
    with pytest.raises(rr.InputError, match="forward-direction"):
        net.step(fixture.cases[0].x[0])


def test_forward_is_repeatable_and_leaves_inputs_alone(backend: str, loaded_fixtures: dict[str, rr.Fixture]) -> None:
    fixture = loaded_fixtures["lstm_bidirectional_lengths"]
    case = fixture.cases[4]  # uneven lengths, given state
    assert case.lengths is not None and case.h0 is not None
    copies = [a.copy() for a in (case.x, case.h0, case.c0, case.lengths)]
    net = rr.get_backend(backend).load(fixture.model)
    first = net.forward(case.x, case.h0, case.c0, case.lengths)
    second = net.forward(case.x, case.h0, case.c0, case.lengths)
    for name, value in first.fields().items():
        np.testing.assert_array_equal(value, second.fields()[name])
    for before, after in zip(copies, (case.x, case.h0, case.c0, case.lengths), strict=True):
        np.testing.assert_array_equal(before, after)


def test_padded_outputs_are_exactly_zero(backend: str, loaded_fixtures: dict[str, rr.Fixture]) -> None:
    fixture = loaded_fixtures["gru_bidirectional_stacked"]
    case = next(c for c in fixture.cases if c.name == "uneven_lengths")
    assert case.lengths is not None
    result = rr.get_backend(backend).load(fixture.model).forward(case.x, case.h0, None, case.lengths)
    for b, length in enumerate(case.lengths):
        assert not result.output[length:, b].any()

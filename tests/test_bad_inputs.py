"""Bad arrays handed to forward/step are refused with a clear InputError, by every backend."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr


@pytest.fixture(scope="module")
def lstm(loaded_fixtures: dict[str, rr.Fixture]) -> rr.Fixture:
    return loaded_fixtures["lstm_bidirectional_lengths"]  # I=3, H=5, L=2, D=2: state [4, B, 5]


GOOD_X = np.zeros((4, 2, 3))

BAD_FORWARD: list[tuple[str, dict[str, Any], str]] = [
    ("x_rank2", {"x": np.zeros((4, 3))}, "x must be a non-empty"),
    ("x_rank4", {"x": np.zeros((4, 2, 3, 1))}, "x must be a non-empty"),
    ("x_empty_time", {"x": np.zeros((0, 2, 3))}, "x must be a non-empty"),
    ("x_empty_batch", {"x": np.zeros((4, 0, 3))}, "x must be a non-empty"),
    ("x_wrong_input", {"x": np.zeros((4, 2, 4))}, "x must have shape [4, 2, 3]"),
    ("x_complex", {"x": np.zeros((4, 2, 3), dtype=complex)}, "real numbers"),
    ("x_strings", {"x": np.full((4, 2, 3), "a")}, "real numbers"),
    ("x_objects", {"x": np.full((4, 2, 3), None)}, "real numbers"),
    ("x_bool", {"x": np.zeros((4, 2, 3), dtype=bool)}, "real numbers"),
    ("x_ragged_list", {"x": [[[0.0, 0.0, 0.0]], [[0.0, 0.0]]]}, "x is not a rectangular array"),
    ("h0_wrong_shape", {"h0": np.zeros((2, 2, 5))}, "h0 must have shape [4, 2, 5]"),
    ("c0_wrong_shape", {"c0": np.zeros((4, 2, 4))}, "c0 must have shape [4, 2, 5]"),
    ("lengths_zero", {"lengths": np.array([0, 4])}, "lengths[0] is 0"),
    ("lengths_too_long", {"lengths": np.array([4, 5])}, "lengths[1] is 5"),
    ("lengths_wrong_count", {"lengths": np.array([4])}, "lengths must have shape [2]"),
    ("lengths_float", {"lengths": np.array([4.0, 4.0])}, "lengths must be integers"),
]


@pytest.mark.parametrize(("label", "change", "message"), BAD_FORWARD, ids=[b[0] for b in BAD_FORWARD])
def test_forward_refuses(label: str, change: dict[str, Any], message: str, backend: str, lstm: rr.Fixture) -> None:
    net = rr.get_backend(backend).load(lstm.model)
    arguments: dict[str, Any] = {"x": GOOD_X, "h0": None, "c0": None, "lengths": None} | change
    with pytest.raises(rr.InputError) as caught:
        net.forward(**arguments)
    assert message in str(caught.value)


def test_c0_refused_for_gru(backend: str, loaded_fixtures: dict[str, rr.Fixture]) -> None:
    net = rr.get_backend(backend).load(loaded_fixtures["gru_small"].model)
    with pytest.raises(rr.InputError, match="c0 is only for lstm"):
        net.forward(np.zeros((2, 1, 4)), c0=np.zeros((1, 1, 6)))


def test_cheap_conversions_are_accepted(backend: str, lstm: rr.Fixture) -> None:
    """Lists, float32, ints and non-contiguous views are converted, not refused."""
    net = rr.get_backend(backend).load(lstm.model)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 2, 3))
    reference = net.forward(x, lengths=np.array([4, 2]))
    wide = np.zeros((4, 2, 6))
    wide[:, :, ::2] = x
    as_view = net.forward(wide[:, :, ::2], lengths=[4, 2])
    as_list = net.forward(x.tolist(), lengths=np.array([4, 2], dtype=np.int8))
    for other in (as_view, as_list):
        np.testing.assert_array_equal(other.output, reference.output)
    as_float32 = net.forward(x.astype(np.float32))
    np.testing.assert_allclose(as_float32.output, net.forward(x.astype(np.float32).astype(np.float64)).output)


def test_unknown_backend_and_dtype() -> None:
    with pytest.raises(rr.InputError, match="unknown backend"):
        rr.get_backend("fortran")
    with pytest.raises(rr.InputError, match="dtype"):
        rr.get_backend("numpy").load(rr.load_fixture("shared_fixtures/lstm_small.json").model, dtype="float16")


def test_step_refuses_bad_state(backend: str, loaded_fixtures: dict[str, rr.Fixture]) -> None:
    net = rr.get_backend(backend).load(loaded_fixtures["lstm_stacked3"].model)  # I=4, H=5, L=3
    with pytest.raises(rr.InputError, match="x_t must be"):
        net.step(np.zeros((1, 2, 4)))
    with pytest.raises(rr.InputError, match=r"state.h must have shape \[3, 2, 5\]"):
        net.step(np.zeros((2, 4)), (np.zeros((1, 2, 5)), None))
    with pytest.raises(rr.InputError, match=r"state.c must have shape \[3, 2, 5\]"):
        net.step(np.zeros((2, 4)), (None, np.zeros((3, 2, 4))))


def test_nan_and_inf_in_x_propagate_identically(loaded_fixtures: dict[str, rr.Fixture]) -> None:
    """Documented behaviour: IEEE arithmetic, no check. NaN in x_t poisons what depends on it."""
    fixture = loaded_fixtures["gru_bidirectional_stacked"]
    x = np.random.default_rng(3).standard_normal((5, 2, 3))
    x[2, 0, 1] = np.nan
    x[3, 1, 0] = np.inf
    results = {name: rr.get_backend(name).load(fixture.model).forward(x) for name in rr.available_backends()}
    reference = results["numpy"]
    assert np.isnan(reference.output[:, 0]).all()  # bidirectional: every step sees step 2
    for name, result in results.items():
        for field, value in result.fields().items():
            np.testing.assert_array_equal(np.isnan(value), np.isnan(reference.fields()[field]), err_msg=name)
            finite = np.isfinite(value)
            np.testing.assert_allclose(value[finite], reference.fields()[field][finite], rtol=1e-12, atol=1e-13)

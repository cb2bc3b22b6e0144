"""The Python fixture loader's contract on hostile input, shared by the atheris harness
(``fuzz_fixtures.py``) and the replay of found inputs (``test_fuzz_regressions.py``).

``parse_fixture`` must return a Fixture or raise :class:`rnn_rosetta.FixtureError`
with one line that names the source. Anything else escaping is a bug. An accepted
fixture must be self-consistent: every array float64, finite, of the shape its
model says.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_rosetta.errors import FixtureError
from rnn_rosetta.fixtures import Fixture, parse_fixture

SOURCE = "<fuzz>"


def _check_array(array: Any, shape: tuple[int, ...], what: str) -> None:
    assert isinstance(array, np.ndarray), what
    assert array.dtype == np.float64, (what, array.dtype)
    assert array.shape == shape, (what, array.shape, shape)
    assert np.isfinite(array).all(), what


def check_accepted(fixture: Fixture) -> None:
    """The shapes an accepted fixture promises (docs/fixture-format.md)."""
    model = fixture.model
    assert len(model.layers) == model.num_layers >= 1
    for index, layer in enumerate(model.layers):
        shapes = model.expected_shapes(index)
        for direction, weights in layer.directions():
            for name, array in weights.arrays().items():
                _check_array(array, tuple(shapes[name]), f"model.layers[{index}].{direction}.{name}")
    width = model.num_directions * model.output_size
    if model.head is not None:
        _check_array(model.head.weight, (model.head.size, width), "model.head.weight")
        _check_array(model.head.bias, (model.head.size,), "model.head.bias")
    for case in fixture.cases:
        steps, batch, inputs = case.x.shape
        assert inputs == model.input_size and steps >= 1 and batch >= 1
        _check_array(case.x, (steps, batch, inputs), "x")
        _check_array(case.expected.output, (steps, batch, width), "expected.output")
        _check_array(case.expected.h_n, model.state_shape(batch), "expected.h_n")
        if case.h0 is not None:
            _check_array(case.h0, model.state_shape(batch), "h0")
        if case.lengths is not None:
            assert case.lengths.dtype == np.int64 and case.lengths.shape == (batch,)
            assert ((case.lengths >= 1) & (case.lengths <= steps)).all()


def check_one(data: bytes) -> None:
    """Run the loader on ``data``; raise (AssertionError or whatever escaped) on a breach."""
    try:
        fixture = parse_fixture(data, SOURCE)
    except FixtureError as exc:
        message = str(exc)
        assert message.startswith(f"{SOURCE}: "), message
        assert "\n" not in message and "\r" not in message, f"not one line: {message!r}"
        return
    check_accepted(fixture)

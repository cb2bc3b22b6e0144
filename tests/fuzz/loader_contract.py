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

from rnn_rosetta.chain import Chain
from rnn_rosetta.errors import FixtureError
from rnn_rosetta.fixtures import Fixture, parse_fixture
from rnn_rosetta.model import Model

SOURCE = "<fuzz>"


def _check_array(array: Any, shape: tuple[int, ...], what: str) -> None:
    assert isinstance(array, np.ndarray), what
    assert array.dtype == np.float64, (what, array.dtype)
    assert array.shape == shape, (what, array.shape, shape)
    assert np.isfinite(array).all(), what


def _check_model(model: Model) -> None:
    """A v1 model's arrays have the shapes its options say."""
    assert len(model.layers) == model.num_layers >= 1
    for index, layer in enumerate(model.layers):
        shapes = model.expected_shapes(index)
        for direction, weights in layer.directions():
            for name, array in weights.arrays().items():
                _check_array(array, tuple(shapes[name]), f"model.layers[{index}].{direction}.{name}")


def _check_slots(states: Any, batch: int, sizes: tuple[int, ...], what: str) -> None:
    """States in the friendly form: ``[S, B, H]`` for equal slot sizes, else one ``[B, H_k]`` per slot."""
    if isinstance(states, np.ndarray):
        assert len(set(sizes)) == 1, what
        _check_array(states, (len(sizes), batch, sizes[0]), what)
        return
    assert len(states) == len(sizes), what
    for k, (slot, size) in enumerate(zip(states, sizes, strict=True)):
        _check_array(slot, (batch, size), f"{what}[{k}]")


def _check_chain_fixture(fixture: Fixture, chain: Chain) -> None:
    """A v2 fixture: every layer as a v1 model, widths chaining, embedding, dense, cases and expected fields."""
    width = chain.input_size
    for index, layer in enumerate(chain.layers):
        _check_model(layer)
        assert layer.num_layers == 1 and layer.input_size == width, f"layers[{index}] reads {width}"
        width = chain.layer_width(index)
    if chain.embedding is not None:
        assert chain.embedding.weight.shape[1] == chain.input_size
        _check_array(chain.embedding.weight, chain.embedding.weight.shape, "model.embedding.weight")
    for index, dense in enumerate(chain.dense):
        _check_array(dense.weight, (dense.size, width), f"model.dense[{index}].weight")
        _check_array(dense.bias, (dense.size,), f"model.dense[{index}].bias")
        width = dense.size
    for case in fixture.cases:
        feed = case.feed
        steps, batch = int(feed.shape[0]), int(feed.shape[1])
        if chain.embedding is not None:
            assert case.x is None and feed.dtype == np.int64 and feed.shape == (steps, batch)
            assert ((feed >= 0) & (feed < chain.embedding.vocab_size)).all()
        else:
            _check_array(feed, (steps, batch, chain.input_size), "x")
        expected = case.expected
        if expected.output is not None:
            _check_array(expected.output, (steps, batch, chain.output_width), "expected.output")
        if expected.h_n is not None:
            _check_slots(expected.h_n, batch, chain.state_sizes, "expected.h_n")
        if case.h0 is not None:
            _check_slots(case.h0, batch, chain.state_sizes, "h0")
        if expected.y is not None:
            assert chain.y_size is not None
            shape = (batch, chain.y_size) if chain.readout == "last" else (steps, batch, chain.y_size)
            _check_array(expected.y, shape, "expected.y")
        _check_lengths(case.lengths, batch, steps)


def _check_lengths(lengths: np.ndarray | None, batch: int, steps: int) -> None:
    if lengths is not None:
        assert lengths.dtype == np.int64 and lengths.shape == (batch,)
        assert ((lengths >= 1) & (lengths <= steps)).all()


def check_accepted(fixture: Fixture) -> None:
    """The shapes an accepted fixture promises (docs/fixture-format.md), version 1 or 2."""
    model = fixture.model
    if isinstance(model, Chain):
        _check_chain_fixture(fixture, model)
        return
    _check_model(model)
    width = model.num_directions * model.output_size
    if model.head is not None:
        _check_array(model.head.weight, (model.head.size, width), "model.head.weight")
        _check_array(model.head.bias, (model.head.size,), "model.head.bias")
    for case in fixture.cases:
        assert case.x is not None
        steps, batch, inputs = case.x.shape
        assert inputs == model.input_size and steps >= 1 and batch >= 1
        _check_array(case.x, (steps, batch, inputs), "x")
        _check_array(case.expected.output, (steps, batch, width), "expected.output")
        _check_array(case.expected.h_n, model.state_shape(batch), "expected.h_n")
        if case.h0 is not None:
            _check_array(case.h0, model.state_shape(batch), "h0")
        _check_lengths(case.lengths, batch, steps)


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

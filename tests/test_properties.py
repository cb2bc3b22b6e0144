"""Property-based: random models, options and inputs; every backend and kernel agrees with the numpy reference.

The reference itself is pinned to the oracles by the fixtures; here hypothesis
explores the option space the fixtures cannot enumerate (sizes, layer counts,
every option combination, ragged lengths, states).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rnn_rosetta as rr
from rnn_rosetta.model import DirectionWeights, Head, Layer, Model
from rnn_rosetta.model_rules import check_model

RTOL, ATOL = 1e-11, 1e-12


@st.composite
def models(draw: st.DrawFn) -> Model:
    cell = draw(st.sampled_from(["rnn", "lstm", "gru"]))
    hidden = draw(st.integers(1, 6))
    options: dict[str, Any] = {
        "cell": cell,
        "input_size": draw(st.integers(1, 5)),
        "hidden_size": hidden,
        "num_layers": draw(st.integers(1, 3)),
        "direction": draw(st.sampled_from(["forward", "reverse", "bidirectional"])),
        "nonlinearity": draw(st.sampled_from(["tanh", "relu"])) if cell == "rnn" else "tanh",
        "linear_before_reset": draw(st.booleans()) if cell == "gru" else True,
        "proj_size": draw(st.integers(0, hidden - 1)) if cell == "lstm" and hidden > 1 else 0,
        "peepholes": draw(st.booleans()) if cell == "lstm" else False,
        "clip": draw(st.one_of(st.none(), st.floats(0.1, 3.0))),
    }
    skeleton = Model(layers=(), **options)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([0.3, 1.0, 3.0]))
    layers = []
    for index in range(skeleton.num_layers):
        shapes = skeleton.expected_shapes(index)
        directions = {
            name: DirectionWeights(**{k: rng.uniform(-scale, scale, size=s) for k, s in shapes.items()})
            for name in skeleton.direction_names
        }
        layers.append(Layer(**directions))
    head = None
    if draw(st.booleans()):
        size = draw(st.integers(1, 4))
        width = skeleton.num_directions * skeleton.output_size
        head = Head(
            rng.uniform(-1, 1, (size, width)), rng.uniform(-1, 1, size), draw(st.sampled_from(["softmax", "identity"]))
        )
    model = Model(**{**skeleton.__dict__, "layers": tuple(layers), "head": head})
    check_model(model)
    return model


@st.composite
def models_and_inputs(draw: st.DrawFn) -> tuple[Model, dict[str, Any]]:
    model = draw(models())
    steps, batch = draw(st.integers(1, 7)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    inputs: dict[str, Any] = {
        "x": rng.standard_normal((steps, batch, model.input_size)) * draw(st.sampled_from([0.5, 2.0, 20.0]))
    }
    if draw(st.booleans()):
        inputs["h0"] = rng.uniform(-1, 1, model.state_shape(batch))
    if model.cell == "lstm" and draw(st.booleans()):
        inputs["c0"] = rng.uniform(-2, 2, model.cell_state_shape(batch))
    if draw(st.booleans()):
        inputs["lengths"] = np.array(draw(st.lists(st.integers(1, steps), min_size=batch, max_size=batch)))
    return model, inputs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models_and_inputs())
def test_backends_agree_with_the_reference(case: tuple[Model, dict[str, Any]]) -> None:
    model, inputs = case
    reference = rr.get_backend("numpy").load(model, kernel="plain").forward(**inputs)
    for name, kernel in [(backend, "auto") for backend in rr.available_backends()]:
        result = rr.get_backend(name).load(model, kernel=kernel).forward(**inputs)
        for field, want in reference.fields().items():
            got = result.fields()[field]
            where = f"{name}[{kernel}] {field} {model.describe()}"
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=where)
        if inputs.get("lengths") is not None:
            for b, length in enumerate(inputs["lengths"]):
                assert not result.output[length:, b].any(), f"{name}[{kernel}]: padded output not zero"


@settings(max_examples=30, deadline=None)
@given(models())
def test_step_streams_what_forward_computes(model: Model) -> None:
    if model.direction != "forward":
        return
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 2, model.input_size))
    for name in rr.available_backends():
        net = rr.get_backend(name).load(model)
        whole = net.forward(x)
        state = None
        for t in range(5):
            y_t, state = net.step(x[t], state)
            want = whole.y[t] if whole.y is not None else whole.output[t]
            np.testing.assert_allclose(y_t, want, rtol=RTOL, atol=ATOL, err_msg=name)

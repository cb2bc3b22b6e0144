"""Turn a :class:`FixtureSpec` into a fixture document: seeded weights and inputs, oracle answers.

Random draws come from ``numpy.random.default_rng(spec.seed)`` in this
order: every weight array (layer by layer, forward before reverse, in fixture
order), the head's weight and bias, then per case ``x``, ``h0``, ``c0``.
The document itself is written by :mod:`rnn_rosetta.fixture_writer`, the
writer the importers use too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_rosetta import oracles
from rnn_rosetta.fixture_data import Case, CaseInputs
from rnn_rosetta.fixture_writer import fixture_document
from rnn_rosetta.fixturegen.specs import FixtureSpec
from rnn_rosetta.model import DirectionWeights, Head, Layer, Model
from rnn_rosetta.model_rules import check_model
from rnn_rosetta.oracles import TOLERANCES

GENERATOR = "python -m rnn_rosetta.fixturegen (nox -s fixtures)"

__all__ = ["GENERATOR", "TOLERANCES", "build_document", "build_inputs", "build_model", "build_model_and_inputs"]


def _uniform(rng: np.random.Generator, spec: FixtureSpec, shape: tuple[int, ...]) -> np.ndarray:
    bound = spec.weight_scale if spec.weight_scale is not None else 1.0 / np.sqrt(spec.hidden_size)
    values = rng.uniform(-bound, bound, size=shape)
    return np.zeros(shape) if spec.zero_weights else values


def build_model(spec: FixtureSpec, rng: np.random.Generator) -> Model:
    """The spec's model with seeded weights (draws from ``rng`` in the documented order)."""
    skeleton = Model(
        cell=spec.cell,
        input_size=spec.input_size,
        hidden_size=spec.hidden_size,
        num_layers=spec.num_layers,
        direction=spec.direction,
        layers=(),
        nonlinearity=spec.nonlinearity,
        linear_before_reset=spec.linear_before_reset,
        proj_size=spec.proj_size,
        peepholes=spec.peepholes,
        clip=spec.clip,
    )
    layers = []
    for index in range(spec.num_layers):
        shapes = skeleton.expected_shapes(index)
        directions = {
            name: DirectionWeights(**{key: _uniform(rng, spec, shape) for key, shape in shapes.items()})
            for name in skeleton.direction_names
        }
        layers.append(Layer(**directions))
    head = None
    if spec.head is not None:
        activation, size = spec.head
        width = skeleton.num_directions * skeleton.output_size
        head = Head(
            weight=rng.uniform(-1.0, 1.0, size=(size, width)),  # [O, D*H_out]
            bias=rng.uniform(-1.0, 1.0, size=(size,)),  # [O]
            activation=activation,
        )
    model = Model(**{**skeleton.__dict__, "layers": tuple(layers), "head": head})
    check_model(model)
    return model


def build_inputs(spec: FixtureSpec, model: Model, rng: np.random.Generator) -> list[CaseInputs]:
    """Every case's inputs (draws from ``rng`` after the weights)."""
    cases = []
    for case in spec.cases:
        x = rng.standard_normal((case.steps, case.batch, model.input_size)) * case.x_scale  # [T, B, I]
        h0 = rng.uniform(-1.0, 1.0, size=model.state_shape(case.batch)) if case.h0 else None
        c0 = rng.uniform(-1.0, 1.0, size=model.cell_state_shape(case.batch)) if case.c0 else None
        lengths = None if case.lengths is None else np.array(case.lengths, dtype=np.int64)
        cases.append(CaseInputs(case.name, x, h0, c0, lengths))
    return cases


def build_model_and_inputs(spec: FixtureSpec) -> tuple[Model, list[CaseInputs]]:
    rng = np.random.default_rng(spec.seed)
    model = build_model(spec, rng)
    return model, build_inputs(spec, model, rng)


def build_document(spec: FixtureSpec) -> dict[str, Any]:
    """The whole fixture document; runs the spec's oracle."""
    model, inputs = build_model_and_inputs(spec)
    cases = [
        Case.answered(case, oracles.expected(spec.oracle, model, case.x, case.h0, case.c0, case.lengths))
        for case in inputs
    ]
    provenance = {
        "generator": GENERATOR,
        "seed": spec.seed,
        "oracle": oracles.oracle_version(spec.oracle),
        "oracle_name": spec.oracle,
    }
    return fixture_document(spec.name, spec.description, model, cases, TOLERANCES[spec.oracle], provenance)

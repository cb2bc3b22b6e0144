"""Turn a :class:`FixtureSpec` into a fixture document: seeded weights and inputs, oracle answers.

Random draws come from ``numpy.random.default_rng(spec.seed)`` in this
order: every weight array (layer by layer, forward before reverse, in fixture
order), the head's weight and bias, then per case ``x``, ``h0``, ``c0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnn_rosetta import oracles
from rnn_rosetta.fixturegen.specs import CaseSpec, FixtureSpec
from rnn_rosetta.fixtures import FORMAT, VERSION, model_to_document
from rnn_rosetta.model import DirectionWeights, Head, Layer, Model

GENERATOR = "python -m rnn_rosetta.fixturegen (nox -s fixtures)"

# What each oracle's answers are held to (the rule: |got - expected| <= atol + rtol*|expected|).
# float64 oracles: the backends differ from them by summation order only, a few
# ulps (at most 2e-15 seen); 1e-12 / 1e-13 leaves a factor of 50. ONNX Runtime
# computes in float32 (unit roundoff 6e-8) from float32-rounded weights and
# inputs and its error grows over the steps (at most 2.2e-7 seen on values of
# order 1); 1e-5 / 2e-6 leaves a factor of about 10.
TOLERANCES: dict[str, dict[str, float]] = {
    "torch": {"rtol": 1e-12, "atol": 1e-13},
    "onnx-reference": {"rtol": 1e-12, "atol": 1e-13},
    "onnxruntime": {"rtol": 1e-5, "atol": 2e-6},
}


@dataclass(frozen=True)
class CaseInputs:
    spec: CaseSpec
    x: np.ndarray  # [T, B, I]
    h0: np.ndarray | None  # [L*D, B, H_out]
    c0: np.ndarray | None  # [L*D, B, H]
    lengths: np.ndarray | None  # [B]


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
            weight=rng.uniform(-1.0, 1.0, size=(size, width)),
            bias=rng.uniform(-1.0, 1.0, size=(size,)),
            activation=activation,
        )
    model = Model(**{**skeleton.__dict__, "layers": tuple(layers), "head": head})
    model.check()
    return model


def build_inputs(spec: FixtureSpec, model: Model, rng: np.random.Generator) -> list[CaseInputs]:
    """Every case's inputs (draws from ``rng`` after the weights)."""
    cases = []
    for case in spec.cases:
        x = rng.standard_normal((case.steps, case.batch, model.input_size)) * case.x_scale
        h0 = rng.uniform(-1.0, 1.0, size=model.state_shape(case.batch)) if case.h0 else None
        c0 = rng.uniform(-1.0, 1.0, size=model.cell_state_shape(case.batch)) if case.c0 else None
        lengths = None if case.lengths is None else np.array(case.lengths, dtype=np.int64)
        cases.append(CaseInputs(case, x, h0, c0, lengths))
    return cases


def build_model_and_inputs(spec: FixtureSpec) -> tuple[Model, list[CaseInputs]]:
    rng = np.random.default_rng(spec.seed)
    model = build_model(spec, rng)
    return model, build_inputs(spec, model, rng)


def _list(array: np.ndarray | None) -> Any:
    return None if array is None else array.tolist()


def build_document(spec: FixtureSpec) -> dict[str, Any]:
    """The whole fixture document; runs the spec's oracle."""
    model, inputs = build_model_and_inputs(spec)
    cases = []
    for case in inputs:
        result = oracles.expected(spec.oracle, model, case.x, case.h0, case.c0, case.lengths)
        cases.append(
            {
                "name": case.spec.name,
                "inputs": {
                    "x": case.x.tolist(),
                    "h0": _list(case.h0),
                    "c0": _list(case.c0),
                    "lengths": _list(case.lengths),
                },
                "expected": {name: value.tolist() for name, value in result.fields().items()},
            }
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": spec.name,
        "description": spec.description,
        "model": model_to_document(model),
        "cases": cases,
        "tolerance": TOLERANCES[spec.oracle],
        "provenance": {
            "generator": GENERATOR,
            "seed": spec.seed,
            "oracle": oracles.oracle_version(spec.oracle),
            "oracle_name": spec.oracle,
        },
    }

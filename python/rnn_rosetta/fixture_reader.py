"""Read fixture files (docs/fixture-format.md): a JSON document in, a :class:`Fixture` out.

Version 1 files give a :class:`Model`; version 2 files ("a model is a chain") give a
:class:`~rnn_rosetta.chain.Chain`, built by :mod:`rnn_rosetta.fixture_reader_v2` after the
same passes 1 and 2 (each version has its own schema file).

``load_fixture`` reads a file in three passes and refuses it at the first
fault with one :class:`FixtureError` line, ``FILE: JSON.PATH: problem``:

1. the bytes (:mod:`rnn_rosetta.strict_json`): UTF-8, strict JSON, no
   ``NaN``/``Infinity``, no repeated key;
2. the structure, against the JSON Schema shipped in ``schema/``: types,
   required fields, unknown fields (refused in every object), enums, bounds;
3. the model rules (:mod:`rnn_rosetta.model_rules`) and every array's shape
   (:mod:`rnn_rosetta.json_fields`), before any array is built.

The schema's number arrays are checked element by element in pass 3 rather
than by ``jsonschema``: the same rule, about 100x faster on large models.
"""

from __future__ import annotations

import copy
import json
import reprlib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from rnn_rosetta import model_rules
from rnn_rosetta.chain import Chain
from rnn_rosetta.compare import Tolerance
from rnn_rosetta.errors import FixtureError
from rnn_rosetta.fixture_data import FORMAT, VERSION, VERSION_2, VERSIONS, Case, Fixture
from rnn_rosetta.json_fields import (
    PathError,
    float_array,
    json_path,
    json_type,
    lengths_array,
    optional_float,
    tensor3_shape,
)
from rnn_rosetta.model import DirectionWeights, Head, Layer, Model
from rnn_rosetta.model_rules import Problem
from rnn_rosetta.result import Result
from rnn_rosetta.strict_json import decode_json


def load_fixture(path: str | Path) -> Fixture:
    """Read, validate and convert one fixture file; raise :class:`FixtureError`."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise FixtureError(source, "", f"cannot read the file: {exc.strerror or exc}") from None
    return parse_fixture(raw, source)


def parse_fixture(raw: bytes | str, source: str = "<memory>") -> Fixture:
    """Validate and convert fixture JSON text (see :func:`load_fixture`)."""
    return fixture_from_document(decode_json(raw, source), source)


def fixture_from_document(document: Any, source: str = "<memory>") -> Fixture:
    """Validate and convert an already-decoded JSON document."""
    version = _check_schema(document, source)
    try:
        if version == VERSION_2:
            from rnn_rosetta.fixture_reader_v2 import build_chain_cases

            chain, vocabulary, chain_cases = build_chain_cases(document)
            return _assemble_fixture(document, source, chain, chain_cases, vocabulary)
        model = _build_model(document["model"])
        cases = tuple(_build_case(doc, i, model) for i, doc in enumerate(document["cases"]))
        return _assemble_fixture(document, source, model, cases)
    except PathError as exc:
        raise FixtureError(source, exc.path, exc.problem) from None


# -- pass 2: structure against the schema ------------------------------------


SCHEMA_FILES: dict[int, str] = {VERSION: "schema/fixture.schema.json", VERSION_2: "schema/fixture.v2.schema.json"}


@lru_cache(maxsize=2)
def fixture_schema(version: int = VERSION) -> dict[str, Any]:
    """The JSON Schema of fixture format ``version`` (1 or 2), as shipped in the package."""
    text = resources.files("rnn_rosetta").joinpath(SCHEMA_FILES[version]).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=2)
def _structure_validator(version: int = VERSION) -> jsonschema.Draft202012Validator:
    """The schema less what pass 3 checks: number arrays are plain arrays, model options only typed.

    The model rules (enums, size bounds, ``clip > 0``) are stated in
    :mod:`rnn_rosetta.model_rules`, so the loader and :func:`check_model`
    refuse a broken model with the same words.
    """
    schema = copy.deepcopy(fixture_schema(version))
    defs = schema["$defs"]
    for name in ("vector", "matrix", "tensor3", "slots"):
        defs[name] = {"type": "array"}
    defs["size"] = {"type": "integer"}
    if version == VERSION_2:
        return _relaxed_v2(schema)
    options = defs["model"]["properties"]
    for name in ("cell", "direction", "nonlinearity"):
        options[name] = {"type": "string"}
    for name in ("num_layers", "proj_size"):
        options[name] = {"type": "integer"}
    options["clip"] = {"type": ["null", "number"]}
    defs["head"]["properties"]["activation"] = {"type": "string"}
    return jsonschema.Draft202012Validator(schema)


def _relaxed_v2(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """Version 2 less what pass 3 checks: layer options, merge, readout and activations only typed."""
    defs = schema["$defs"]
    options = defs["layer"]["properties"]
    for name in ("cell", "direction", "nonlinearity", "merge"):
        options[name] = {"type": "string"}
    options["proj_size"] = {"type": "integer"}
    options["clip"] = {"type": ["null", "number"]}
    defs["model"]["properties"]["readout"] = {"type": "string"}
    defs["model"]["properties"]["layers"] = {"type": "array", "items": {"$ref": "#/$defs/layer"}}
    defs["model"]["properties"]["dense"] = {"type": "array", "items": {"$ref": "#/$defs/dense"}}
    defs["dense"]["properties"]["activation"] = {"type": "string"}
    defs["case"]["properties"]["inputs"]["properties"]["tokens"] = {"type": "array"}
    schema["properties"]["vocabulary"] = {}  # any JSON value: pass 3 checks it with the rules' words
    return jsonschema.Draft202012Validator(schema)


def _check_schema(document: Any, source: str) -> int:
    """Passes 1-2 done: the document's structure matches its version's schema; returns the version."""
    if not isinstance(document, dict):
        raise FixtureError(source, "", f"expected a JSON object at the top, got {json_type(document)}")
    if document.get("format") != FORMAT:
        raise FixtureError(source, "format", f"expected {FORMAT!r}, got {reprlib.repr(document.get('format'))}")
    version = document.get("version")
    if type(version) is not int or version not in VERSIONS:
        got = reprlib.repr(version)
        raise FixtureError(source, "version", f"this code reads versions {' and '.join(map(str, VERSIONS))}, got {got}")
    try:
        errors = list(_structure_validator(version).iter_errors(document))
    except RecursionError:
        raise FixtureError(source, "", "JSON nested too deeply") from None
    if errors:
        path, problem = _schema_problem(errors, version)
        raise FixtureError(source, path, problem)
    return version


def _schema_problem(errors: list[jsonschema.ValidationError], version: int = VERSION) -> tuple[str, str]:
    """The one fault to report: an unknown key first (a misspelling also leaves a key missing), else the best."""
    for error in _flattened(errors):
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = list(error.schema.get("properties", {}))
            key = next(k for k in error.instance if k not in known)
            shown = key if key.isprintable() and " " not in key and len(key) <= 60 else reprlib.repr(key)
            path = json_path([*error.absolute_path, shown])
            return path, f"unknown key, not part of format v{version} (known here: {', '.join(known)})"
    error = jsonschema.exceptions.best_match(errors)
    while error.validator == "oneOf" and isinstance(error.instance, (dict, list)) and error.context:
        inner = [e for e in error.context if not (e.validator == "type" and e.validator_value == "null")]
        if not inner:
            break
        error = jsonschema.exceptions.best_match(inner)
    if error.validator == "required":
        missing = next(k for k in error.validator_value if k not in error.instance)
        return json_path(error.absolute_path), f"missing required key {missing!r}"
    return json_path(error.absolute_path), _schema_message(error)


def _flattened(errors: list[jsonschema.ValidationError]) -> list[jsonschema.ValidationError]:
    """``errors`` and, depth first, the errors inside each ``oneOf`` branch."""
    flat = []
    for error in errors:
        flat.append(error)
        flat.extend(_flattened(list(error.context or ())))
    return flat


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "oneOf" and isinstance(error.instance, (str, bool, int, float)):
        return f"{reprlib.repr(error.instance)} is not allowed here"
    message = error.message
    return message if len(message) <= 200 else message[:197] + "..."


# -- pass 3: model rules, shapes and values -----------------------------------


def _refuse(problem: Problem | None) -> None:
    if problem is not None:
        raise PathError(problem.path, problem.message)


def _build_options(doc: dict[str, Any]) -> Model:
    """The model's scalar options (no arrays yet), checked against the model rules."""
    model = Model(
        cell=doc["cell"],
        input_size=int(doc["input_size"]),
        hidden_size=int(doc["hidden_size"]),
        num_layers=int(doc["num_layers"]),
        direction=doc["direction"],
        layers=(),
        nonlinearity=doc.get("nonlinearity", "tanh"),
        linear_before_reset=bool(doc.get("linear_before_reset", True)),
        proj_size=int(doc.get("proj_size", 0)),
        peepholes=bool(doc.get("peepholes", False)),
        clip=optional_float(doc.get("clip"), "model.clip"),
    )
    problems = model_rules.option_problems(model)
    if doc.get("head") is not None:
        problems += model_rules.head_activation_problems(doc["head"]["activation"])
    _refuse(problems[0] if problems else None)
    return model


def _build_layer(model: Model, index: int, layer_doc: dict[str, Any]) -> Layer:
    _refuse(model_rules.direction_problem(model, index, layer_doc))
    shapes = model.expected_shapes(index)
    built = {}
    for direction in model.direction_names:
        weights_doc = layer_doc[direction]
        _refuse(model_rules.weight_names_problem(model, index, direction, weights_doc))
        path = f"model.layers[{index}].{direction}"
        arrays = {name: float_array(weights_doc[name], f"{path}.{name}", shape) for name, shape in shapes.items()}
        built[direction] = DirectionWeights(**arrays)
    return Layer(**built)


def _build_head(model: Model, head_doc: dict[str, Any] | None) -> Head | None:
    if head_doc is None:
        return None
    size = len(head_doc["bias"]) if isinstance(head_doc["bias"], list) else 0
    _refuse(model_rules.head_size_problem(size))
    arrays = {
        name: float_array(head_doc[name], f"model.head.{name}", shape)
        for name, shape in model_rules.head_shapes(model, size).items()
    }
    return Head(**arrays, activation=head_doc["activation"])


def _build_model(doc: dict[str, Any]) -> Model:
    model = _build_options(doc)
    _refuse(model_rules.layer_count_problem(model, len(doc["layers"])))
    layers = tuple(_build_layer(model, index, layer_doc) for index, layer_doc in enumerate(doc["layers"]))
    return Model(**{**model.__dict__, "layers": layers, "head": _build_head(model, doc.get("head"))})


def _build_expected(doc: dict[str, Any], path: str, model: Model, steps: int, batch: int) -> Result:
    c_n = y = None
    if model.cell == "lstm":
        if "c_n" not in doc:
            raise PathError(path, "missing 'c_n' (required for lstm)")
        c_n = float_array(doc["c_n"], f"{path}.c_n", model.cell_state_shape(batch))
    elif "c_n" in doc:
        raise PathError(f"{path}.c_n", f"only an lstm has a cell state, this is {model.cell}")
    if model.head is not None:
        if "y" not in doc:
            raise PathError(path, "missing 'y' (required with a head)")
        y = float_array(doc["y"], f"{path}.y", (steps, batch, model.head.size))
    elif "y" in doc:
        raise PathError(f"{path}.y", "the model has no head")
    width = model.num_directions * model.output_size
    return Result(
        output=float_array(doc["output"], f"{path}.output", (steps, batch, width)),  # [T, B, D*H_out]
        h_n=float_array(doc["h_n"], f"{path}.h_n", model.state_shape(batch)),  # [L*D, B, H_out]
        c_n=c_n,  # [L*D, B, H] or None
        y=y,  # [T, B, O] or None
    )


def _build_case(doc: dict[str, Any], index: int, model: Model) -> Case:
    path = f"cases[{index}]"
    inputs = doc["inputs"]
    steps, batch, width = tensor3_shape(inputs["x"], f"{path}.inputs.x")
    if width != model.input_size:
        raise PathError(f"{path}.inputs.x", f"expected input size {model.input_size} (model.input_size), got {width}")
    x = float_array(inputs["x"], f"{path}.inputs.x", (steps, batch, width))  # [T, B, I]
    h0 = c0 = lengths = None
    if inputs.get("h0") is not None:
        h0 = float_array(inputs["h0"], f"{path}.inputs.h0", model.state_shape(batch))
    if inputs.get("c0") is not None:
        if model.cell != "lstm":
            raise PathError(f"{path}.inputs.c0", f"only an lstm has a cell state, this is {model.cell}")
        c0 = float_array(inputs["c0"], f"{path}.inputs.c0", model.cell_state_shape(batch))
    if inputs.get("lengths") is not None:
        lengths = lengths_array(inputs["lengths"], f"{path}.inputs.lengths", batch, steps)
    expected = _build_expected(doc["expected"], f"{path}.expected", model, steps, batch)
    return Case(name=doc["name"], x=x, h0=h0, c0=c0, lengths=lengths, expected=expected)


def _assemble_fixture(
    document: dict[str, Any],
    source: str,
    model: Model | Chain,
    cases: tuple[Case, ...],
    vocabulary: tuple[str, ...] | None = None,
) -> Fixture:
    """Either version's model and cases, with the fields both versions share: unique case names, tolerance."""
    names = [case.name for case in cases]
    for index, name in enumerate(names):
        if names.index(name) != index:
            raise PathError(f"cases[{index}].name", f"duplicate case name {name!r}")
    tolerance = Tolerance(rtol=float(document["tolerance"]["rtol"]), atol=float(document["tolerance"]["atol"]))
    return Fixture(
        name=document["name"],
        description=document.get("description", ""),
        model=model,
        cases=cases,
        tolerance=tolerance,
        provenance=dict(document.get("provenance", {})),
        source=source,
        vocabulary=vocabulary,
    )

"""Read and validate fixture files (format v1), the contract every backend shares.

``load_fixture`` checks a file in three passes and refuses it with one
:class:`FixtureError` line (``FILE: JSON.PATH: problem``) at the first fault:

1. the bytes: readable, UTF-8, JSON, no ``NaN``/``Infinity``, not absurdly deep;
2. the structure, against the JSON Schema shipped in ``schema/`` (types,
   required and unknown fields, enums, size bounds);
3. the shapes: every weight, state, input and expected array against the sizes
   the model declares, before any array is built from them.

The schema's number arrays are checked element by element here, in pass 3,
rather than by ``jsonschema``: that is the same rule, only ~100x faster on
large models.
"""

from __future__ import annotations

import copy
import json
import re
import reprlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np

from rnn_rosetta.compare import Tolerance
from rnn_rosetta.errors import FixtureError
from rnn_rosetta.model import DirectionWeights, Head, Layer, Model
from rnn_rosetta.model_check import option_problems
from rnn_rosetta.result import Result

FORMAT = "rnn-rosetta-fixture"
VERSION = 1
_NUMBER_TYPES = frozenset({int, float})


@dataclass(frozen=True)
class Case:
    """One set of inputs and the oracle's answer for them."""

    name: str
    x: np.ndarray  # [T, B, I]
    h0: np.ndarray | None  # [L*D, B, H_out]
    c0: np.ndarray | None  # [L*D, B, H], lstm only
    lengths: np.ndarray | None  # [B] int64, each 1..T
    expected: Result


@dataclass(frozen=True)
class Fixture:
    """A model, its cases and the tolerance they are held to."""

    name: str
    description: str
    model: Model
    cases: tuple[Case, ...]
    tolerance: Tolerance
    provenance: dict[str, Any] = field(default_factory=dict)
    source: str = "<memory>"


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
    document = _decode(raw, source)
    return fixture_from_document(document, source)


def fixture_from_document(document: Any, source: str = "<memory>") -> Fixture:
    """Validate and convert an already-decoded JSON document."""
    _check_schema(document, source)
    try:
        return _build_fixture(document)
    except _PathError as exc:
        raise FixtureError(source, exc.path, exc.problem) from None


# -- pass 1: bytes to a JSON document ---------------------------------------


def _reject_constant(name: str) -> float:
    raise ValueError(f"non-finite number {name} is not allowed")


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON objects must not repeat a key (the C and Java readers refuse them too)."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {reprlib.repr(key)} in a JSON object")
            seen.add(key)
    return document


def _decode(raw: bytes | str, source: str) -> Any:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FixtureError(source, "", f"not UTF-8 text (byte {exc.start})") from None
    if not raw.strip():
        raise FixtureError(source, "", "the file is empty")
    try:
        return json.loads(raw, parse_constant=_reject_constant, object_pairs_hook=_object_without_duplicates)
    except json.JSONDecodeError as exc:
        raise FixtureError(source, "", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        raise FixtureError(source, "", str(exc)) from None
    except RecursionError:
        raise FixtureError(source, "", "JSON nested too deeply") from None


# -- pass 2: structure against the schema ------------------------------------


@lru_cache(maxsize=1)
def fixture_schema() -> dict[str, Any]:
    """The JSON Schema of fixture format v1, as shipped in the package."""
    text = resources.files("rnn_rosetta").joinpath("schema/fixture.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=1)
def _structure_validator() -> jsonschema.Draft202012Validator:
    """The schema with number arrays loosened to plain arrays (pass 3 checks them)."""
    schema = copy.deepcopy(fixture_schema())
    for name in ("vector", "matrix", "tensor3"):
        schema["$defs"][name] = {"type": "array"}
    return jsonschema.Draft202012Validator(schema)


def json_path(parts: Iterable[str | int]) -> str:
    """``['model', 'layers', 0, 'forward']`` -> ``model.layers[0].forward``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _check_schema(document: Any, source: str) -> None:
    if not isinstance(document, dict):
        raise FixtureError(source, "", f"expected a JSON object at the top, got {_json_type(document)}")
    if document.get("format") != FORMAT:
        raise FixtureError(source, "format", f"expected {FORMAT!r}, got {reprlib.repr(document.get('format'))}")
    if document.get("version") != VERSION:
        got = reprlib.repr(document.get("version"))
        raise FixtureError(source, "version", f"this code reads version {VERSION}, got {got}")
    try:
        error = jsonschema.exceptions.best_match(_structure_validator().iter_errors(document))
    except RecursionError:
        raise FixtureError(source, "", "JSON nested too deeply") from None
    if error is not None:
        raise FixtureError(source, json_path(error.absolute_path), _schema_message(error))


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "oneOf" and isinstance(error.instance, (str, bool, int, float)):
        return f"{reprlib.repr(error.instance)} is not allowed here"
    message = error.message
    return message if len(message) <= 200 else message[:197] + "..."


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


# -- pass 3: shapes and values ------------------------------------------------


class _PathError(Exception):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def _nested_shape(node: Any, depth: int) -> list[int]:
    """The shape read along first elements, as deep as ``depth`` levels."""
    shape: list[int] = []
    for _ in range(depth):
        if not isinstance(node, list):
            break
        shape.append(len(node))
        if not node:
            break
        node = node[0]
    return shape


def _check_nested(node: Any, path: str, shape: Sequence[int]) -> None:
    """Every level is a list of the expected length; the leaves are numbers."""
    if not isinstance(node, list):
        raise _PathError(path, f"expected an array, got {_json_type(node)}")
    if len(node) != shape[0]:
        raise _PathError(path, f"expected {shape[0]} items, got {len(node)} (ragged array)")
    if len(shape) > 1:
        for index, child in enumerate(node):
            _check_nested(child, f"{path}[{index}]", shape[1:])
    elif not all(map(_NUMBER_TYPES.__contains__, map(type, node))):
        index = next(i for i, v in enumerate(node) if type(v) not in _NUMBER_TYPES)
        raise _PathError(f"{path}[{index}]", f"expected a number, got {_json_type(node[index])}")


def _array(node: Any, path: str, shape: Sequence[int]) -> np.ndarray:
    """Check ``node`` against ``shape`` and convert it to a float64 array."""
    got = _nested_shape(node, len(shape))
    if got != list(shape):
        raise _PathError(path, f"expected shape {list(shape)}, got {got}")
    _check_nested(node, path, shape)
    try:
        array = np.array(node, dtype=np.float64)
    except OverflowError:
        raise _PathError(path, "holds an integer too large for float64") from None
    if not np.isfinite(array).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise _PathError(path + "".join(f"[{i}]" for i in where), "number out of float64 range")
    return array


def _tensor3_shape(node: Any, path: str) -> tuple[int, int, int]:
    shape = _nested_shape(node, 3)
    if len(shape) != 3 or 0 in shape:
        raise _PathError(path, f"expected a non-empty [T][B][I] array, got shape {shape}")
    return shape[0], shape[1], shape[2]


def _optional_float(value: Any, path: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except OverflowError:
        raise _PathError(path, "number out of float64 range") from None


def _build_model(doc: dict[str, Any]) -> Model:
    head_doc = doc.get("head")
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
        clip=_optional_float(doc.get("clip"), "model.clip"),
    )
    problems = option_problems(model)
    if problems:
        raise _PathError(*problems[0])
    if len(doc["layers"]) != model.num_layers:
        raise _PathError("model.layers", f"num_layers is {model.num_layers} but {len(doc['layers'])} layers are given")
    layers = []
    for index, layer_doc in enumerate(doc["layers"]):
        path = f"model.layers[{index}]"
        if tuple(k for k in ("forward", "reverse") if k in layer_doc) != model.direction_names:
            raise _PathError(
                path, f"direction {model.direction!r} needs {list(model.direction_names)}, got {sorted(layer_doc)}"
            )
        shapes = model.expected_shapes(index)
        built = {}
        for direction, weights_doc in layer_doc.items():
            for name in weights_doc.keys() - shapes.keys():
                raise _PathError(f"{path}.{direction}.{name}", "not used by this model")
            arrays = {}
            for name, shape in shapes.items():
                if name not in weights_doc:
                    raise _PathError(f"{path}.{direction}", f"missing {name!r}")
                arrays[name] = _array(weights_doc[name], f"{path}.{direction}.{name}", shape)
            built[direction] = DirectionWeights(**arrays)
        layers.append(Layer(**built))
    head = None
    if head_doc is not None:
        width = model.num_directions * model.output_size
        size = len(head_doc["bias"]) if isinstance(head_doc["bias"], list) else 0
        if size < 1:
            raise _PathError("model.head.bias", "expected at least one output")
        head = Head(
            weight=_array(head_doc["weight"], "model.head.weight", (size, width)),
            bias=_array(head_doc["bias"], "model.head.bias", (size,)),
            activation=head_doc["activation"],
        )
    return Model(**{**model.__dict__, "layers": tuple(layers), "head": head})


def _build_case(doc: dict[str, Any], index: int, model: Model) -> Case:
    path = f"cases[{index}]"
    inputs, expected = doc["inputs"], doc["expected"]
    steps, batch, width = _tensor3_shape(inputs["x"], f"{path}.inputs.x")
    if width != model.input_size:
        raise _PathError(f"{path}.inputs.x", f"expected input size {model.input_size} (model.input_size), got {width}")
    x = _array(inputs["x"], f"{path}.inputs.x", (steps, batch, width))
    h0 = c0 = lengths = None
    if inputs.get("h0") is not None:
        h0 = _array(inputs["h0"], f"{path}.inputs.h0", model.state_shape(batch))
    if inputs.get("c0") is not None:
        if model.cell != "lstm":
            raise _PathError(f"{path}.inputs.c0", f"only an lstm has a cell state, this is {model.cell}")
        c0 = _array(inputs["c0"], f"{path}.inputs.c0", model.cell_state_shape(batch))
    if inputs.get("lengths") is not None:
        given = inputs["lengths"]
        if len(given) != batch:
            raise _PathError(
                f"{path}.inputs.lengths", f"expected {batch} lengths (one per batch element), got {len(given)}"
            )
        for b, length in enumerate(given):
            if not 1 <= length <= steps:
                raise _PathError(f"{path}.inputs.lengths[{b}]", f"must be in 1..{steps} (T), got {length}")
        lengths = np.array(given, dtype=np.int64)
    out_path = f"{path}.expected"
    width_out = model.num_directions * model.output_size
    c_n = y = None
    if model.cell == "lstm":
        if "c_n" not in expected:
            raise _PathError(out_path, "missing 'c_n' (required for lstm)")
        c_n = _array(expected["c_n"], f"{out_path}.c_n", model.cell_state_shape(batch))
    elif "c_n" in expected:
        raise _PathError(f"{out_path}.c_n", f"only an lstm has a cell state, this is {model.cell}")
    if model.head is not None:
        if "y" not in expected:
            raise _PathError(out_path, "missing 'y' (required with a head)")
        y = _array(expected["y"], f"{out_path}.y", (steps, batch, model.head.size))
    elif "y" in expected:
        raise _PathError(f"{out_path}.y", "the model has no head")
    result = Result(
        output=_array(expected["output"], f"{out_path}.output", (steps, batch, width_out)),
        h_n=_array(expected["h_n"], f"{out_path}.h_n", model.state_shape(batch)),
        c_n=c_n,
        y=y,
    )
    return Case(name=doc["name"], x=x, h0=h0, c0=c0, lengths=lengths, expected=result)


def _build_fixture(document: dict[str, Any]) -> Fixture:
    model = _build_model(document["model"])
    cases = tuple(_build_case(doc, i, model) for i, doc in enumerate(document["cases"]))
    names = [case.name for case in cases]
    for index, name in enumerate(names):
        if names.index(name) != index:
            raise _PathError(f"cases[{index}].name", f"duplicate case name {name!r}")
    tolerance = Tolerance(rtol=float(document["tolerance"]["rtol"]), atol=float(document["tolerance"]["atol"]))
    return Fixture(
        name=document["name"],
        description=document.get("description", ""),
        model=model,
        cases=cases,
        tolerance=tolerance,
        provenance=dict(document.get("provenance", {})),
    )


# -- writing -------------------------------------------------------------------


def model_to_document(model: Model) -> dict[str, Any]:
    """The ``model`` object of a fixture, arrays as nested lists of floats."""
    doc: dict[str, Any] = {
        "cell": model.cell,
        "input_size": model.input_size,
        "hidden_size": model.hidden_size,
        "num_layers": model.num_layers,
        "direction": model.direction,
    }
    if model.cell == "rnn":
        doc["nonlinearity"] = model.nonlinearity
    if model.cell == "gru":
        doc["linear_before_reset"] = model.linear_before_reset
    if model.cell == "lstm":
        doc.update(proj_size=model.proj_size, peepholes=model.peepholes)
    doc["clip"] = model.clip
    doc["layers"] = [
        {name: {k: v.tolist() for k, v in weights.arrays().items()} for name, weights in layer.directions()}
        for layer in model.layers
    ]
    head = model.head
    doc["head"] = (
        None
        if head is None
        else {"weight": head.weight.tolist(), "bias": head.bias.tolist(), "activation": head.activation}
    )
    return doc


_INNERMOST_LIST = re.compile(r"\[([^\[\]{}\"]*)\]")


def dump_document(document: dict[str, Any]) -> str:
    """JSON text with float64 values that round-trip exactly (Python's ``repr``).

    Objects are indented; each innermost list of numbers stays on one line.
    """
    text = json.dumps(document, indent=1, allow_nan=False)
    return _INNERMOST_LIST.sub(lambda m: "[" + " ".join(m.group(1).split()) + "]", text) + "\n"

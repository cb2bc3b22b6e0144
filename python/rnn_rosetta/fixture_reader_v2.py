"""Pass 3 of reading a version-2 fixture ("a model is a chain", docs/fixture-format.md): model rules,
token ranges and every array's shape, before any array is built; a :class:`Chain`, its vocabulary and its
cases out.

Passes 1 and 2 (strict JSON, the version-2 schema) are :mod:`rnn_rosetta.fixture_reader`'s, which calls
:func:`build_chain_cases` and assembles the :class:`~rnn_rosetta.fixture_data.Fixture` as for version 1.
Every rule comes from :mod:`rnn_rosetta.model_rules`, so the reader and ``check_model(chain)`` refuse a
broken chain with the same words and JSON paths.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_rosetta import model_rules
from rnn_rosetta.backward.gradients import Gradients
from rnn_rosetta.backward.weights import chain_weights
from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.fixture_data import Case, CaseBackward
from rnn_rosetta.json_fields import (
    PathError,
    float_array,
    json_type,
    lengths_array,
    nested_shape,
    optional_float,
    tensor3_shape,
)
from rnn_rosetta.model import DirectionWeights, Layer, Model
from rnn_rosetta.model_rules import Problem, layer_at
from rnn_rosetta.result import Result, States


def _refuse(problem: Problem | None) -> None:
    if problem is not None:
        raise PathError(problem.path, problem.message)


# -- the model -------------------------------------------------------------------------------------


def build_chain(doc: dict[str, Any]) -> Chain:
    """``model`` of a version-2 document -> :class:`Chain` (or :class:`PathError` at the first broken rule)."""
    input_size = int(doc["input_size"])
    _refuse(model_rules.chain_input_size_problem(input_size))
    layer_docs = doc["layers"]
    _refuse(model_rules.chain_layer_count_problem(len(layer_docs)))
    embedding = None
    if doc.get("embedding") is not None:
        weight_doc = doc["embedding"]["weight"]
        rows = len(weight_doc) if isinstance(weight_doc, list) else 0
        _refuse(model_rules.embedding_problem(rows))
        embedding = Embedding(float_array(weight_doc, "model.embedding.weight", (rows, input_size)))  # [V, E]
    layers: list[Model] = []
    merges: list[str] = []
    reads = input_size  # what the next layer reads per step
    for index, layer_doc in enumerate(layer_docs):
        layer, merge = _build_layer(index, layer_doc, reads)
        layers.append(layer)
        merges.append(merge)
        both = layer.num_directions == 2 and merge == "concat"
        reads = 2 * layer.output_size if both else layer.output_size
    readout = doc.get("readout", "sequence")
    _refuse(model_rules.readout_problem(readout))
    dense_docs = doc.get("dense", [])
    _refuse(model_rules.dense_count_problem(len(dense_docs)))
    dense = []
    width = reads
    for index, dense_doc in enumerate(dense_docs):
        size = len(dense_doc["bias"]) if isinstance(dense_doc["bias"], list) else 0
        _refuse(model_rules.dense_problem(index, dense_doc["activation"], size))
        arrays = {
            name: float_array(dense_doc[name], f"model.dense[{index}].{name}", shape)
            for name, shape in model_rules.dense_shapes(width, size).items()
        }
        dense.append(Dense(**arrays, activation=dense_doc["activation"]))
        width = size
    return Chain(layers=tuple(layers), merges=tuple(merges), embedding=embedding, dense=tuple(dense), readout=readout)


def _build_layer(index: int, doc: dict[str, Any], reads: int) -> tuple[Model, str]:
    """Layer ``index`` as a one-layer :class:`Model` reading ``reads`` values per step, and its merge."""
    at = layer_at(index)
    options = Model(
        cell=doc["cell"],
        input_size=reads,
        hidden_size=int(doc["hidden_size"]),
        num_layers=1,
        direction=doc["direction"],
        layers=(),
        nonlinearity=doc.get("nonlinearity", "tanh"),
        linear_before_reset=bool(doc.get("linear_before_reset", True)),
        proj_size=int(doc.get("proj_size", 0)),
        peepholes=bool(doc.get("peepholes", False)),
        clip=optional_float(doc.get("clip"), f"{at}.clip"),
    )
    problems = model_rules.layer_option_problems(options, index)
    _refuse(problems[0] if problems else None)
    _refuse(model_rules.layer_key_problem(index, options.cell, options.direction, doc))
    merge = doc.get("merge", "concat")
    _refuse(model_rules.merge_problem(options, index, merge))
    _refuse(model_rules.direction_problem(options, 0, doc, at))
    shapes = options.expected_shapes(0)
    built = {}
    for direction in options.direction_names:
        weights_doc = doc[direction]
        _refuse(model_rules.weight_names_problem(options, 0, direction, weights_doc, at))
        arrays = {
            name: float_array(weights_doc[name], f"{at}.{direction}.{name}", shape) for name, shape in shapes.items()
        }
        built[direction] = DirectionWeights(**arrays)
    return Model(**{**options.__dict__, "layers": (Layer(**built),)}), merge


# -- the cases -------------------------------------------------------------------------------------


def build_tokens(node: Any, path: str, vocab_size: int) -> np.ndarray:
    """``tokens`` [T][B]: integers in ``0..V-1`` -> int64 array."""
    shape = nested_shape(node, 2)
    if len(shape) != 2 or 0 in shape:
        raise PathError(path, f"expected a non-empty [T][B] array of token ids, got shape {shape}")
    steps, batch = shape
    for t, row in enumerate(node):
        if not isinstance(row, list) or len(row) != batch:
            got = f"{len(row)} items" if isinstance(row, list) else json_type(row)
            raise PathError(f"{path}[{t}]", f"expected {batch} token ids, got {got} (ragged array)")
        for b, value in enumerate(row):
            if type(value) is not int:
                raise PathError(f"{path}[{t}][{b}]", f"expected an integer token id, got {json_type(value)}")
            if not 0 <= value < vocab_size:
                raise PathError(f"{path}[{t}][{b}]", f"token {value} is out of range 0..{vocab_size - 1}")
    del steps
    return np.array(node, dtype=np.int64)


def build_slots(node: Any, path: str, batch: int, sizes: tuple[int, ...]) -> States:
    """States ``[S][B][H_k]`` (ragged across slots) -> ``[S, B, H]`` when uniform, else a list of ``[B, H_k]``."""
    if not isinstance(node, list):
        raise PathError(path, f"expected an array, got {json_type(node)}")
    if len(node) != len(sizes):
        raise PathError(path, f"expected {len(sizes)} slots (one per layer and direction), got {len(node)}")
    pairs = enumerate(zip(node, sizes, strict=True))
    slots = [float_array(slot, f"{path}[{k}]", (batch, size)) for k, (slot, size) in pairs]  # [B, H_k] each
    return np.stack(slots) if len(set(sizes)) == 1 else slots


_NO_CELL_STATE = "the model has no lstm layer, so no cell state"


def _build_expected(doc: dict[str, Any], path: str, chain: Chain, steps: int, batch: int) -> Result:
    output = h_n = c_n = y = None
    if "output" in doc:
        output = float_array(doc["output"], f"{path}.output", (steps, batch, chain.output_width))  # [T, B, W]
    if "h_n" in doc:
        h_n = build_slots(doc["h_n"], f"{path}.h_n", batch, chain.state_sizes)
    if "c_n" in doc:
        if not chain.cell_state_sizes:
            raise PathError(f"{path}.c_n", _NO_CELL_STATE)
        c_n = build_slots(doc["c_n"], f"{path}.c_n", batch, chain.cell_state_sizes)
    if chain.y_size is None:
        if "y" in doc:
            raise PathError(f"{path}.y", _NO_Y)
    elif "y" not in doc:
        raise PathError(path, "missing 'y' (required: the model produces y)")
    else:
        y = _build_y(doc["y"], f"{path}.y", chain, steps, batch)
    return Result(output=output, h_n=h_n, c_n=c_n, y=y)


_NO_Y = "the model produces no y (readout 'sequence' without dense layers)"


def _build_y(node: Any, path: str, chain: Chain, steps: int, batch: int) -> np.ndarray:
    """``y`` (or ``d_y``) of a chain that produces one: [B][O] (readout "last") or [T][B][O] ("sequence")."""
    size = chain.y_size
    assert size is not None
    shape = (batch, size) if chain.readout == "last" else (steps, batch, size)
    rank = len(nested_shape(node, 4))
    if rank != len(shape):
        names = "[B][O] (readout 'last')" if chain.readout == "last" else "[T][B][O] (readout 'sequence')"
        raise PathError(path, f"expected a {names} array, got {rank} levels")
    return float_array(node, path, shape)


def _build_case(doc: dict[str, Any], index: int, chain: Chain) -> Case:
    path = f"cases[{index}]"
    inputs = doc["inputs"]
    x = tokens = None
    if chain.embedding is not None:
        if "x" in inputs:
            raise PathError(f"{path}.inputs.x", "the model has an embedding: its inputs are 'tokens', not 'x'")
        if "tokens" not in inputs:
            raise PathError(f"{path}.inputs", "missing 'tokens' (the model has an embedding)")
        tokens = build_tokens(inputs["tokens"], f"{path}.inputs.tokens", chain.embedding.vocab_size)  # [T, B]
        steps, batch = tokens.shape
    else:
        if "tokens" in inputs:
            raise PathError(f"{path}.inputs.tokens", "tokens need a model with an embedding; this one reads 'x'")
        if "x" not in inputs:
            raise PathError(f"{path}.inputs", "missing 'x'")
        steps, batch, width = tensor3_shape(inputs["x"], f"{path}.inputs.x")
        if width != chain.input_size:
            message = f"expected input size {chain.input_size} (model.input_size), got {width}"
            raise PathError(f"{path}.inputs.x", message)
        x = float_array(inputs["x"], f"{path}.inputs.x", (steps, batch, width))  # [T, B, I]
    h0 = c0 = lengths = None
    if inputs.get("h0") is not None:
        h0 = build_slots(inputs["h0"], f"{path}.inputs.h0", batch, chain.state_sizes)
    if inputs.get("c0") is not None:
        if not chain.cell_state_sizes:
            raise PathError(f"{path}.inputs.c0", _NO_CELL_STATE)
        c0 = build_slots(inputs["c0"], f"{path}.inputs.c0", batch, chain.cell_state_sizes)
    if inputs.get("lengths") is not None:
        lengths = lengths_array(inputs["lengths"], f"{path}.inputs.lengths", batch, steps)
    expected = _build_expected(doc["expected"], f"{path}.expected", chain, steps, batch)
    backward = None
    if doc.get("backward") is not None:
        backward = build_case_backward(doc["backward"], f"{path}.backward", chain, steps, batch, tokens is not None)
    return Case(
        name=doc["name"], x=x, h0=h0, c0=c0, lengths=lengths, expected=expected, tokens=tokens, backward=backward
    )


# -- a case's backward block (docs/fixture-format.md#gradients) -------------------------------------

_D_NAMES = ("d_output", "d_h_n", "d_c_n", "d_y")
NO_GRADIENT_GIVEN = "at least one of d_output, d_h_n, d_c_n, d_y must be given (not null)"
X_OF_TOKENS = "the inputs are tokens, which have no gradient (the embedding's rows get it): no 'x' here"


def build_case_backward(
    doc: dict[str, Any], path: str, chain: Chain, steps: int, batch: int, token_inputs: bool
) -> CaseBackward:
    """``cases[i].backward`` (passed the schema) -> :class:`CaseBackward`, or :class:`PathError` at the first fault.

    The ``d_*`` are ``dL/d`` of the forward's results, each in the shape of what it is the gradient of;
    ``expected`` holds ``dL/d`` of every weight (keys in chain order), of x (exactly for x inputs), h0, c0
    (exactly with lstm layers).
    """
    if all(doc.get(name) is None for name in _D_NAMES):
        raise PathError(path, NO_GRADIENT_GIVEN)
    d_output = d_h_n = d_c_n = d_y = None
    if doc.get("d_output") is not None:
        d_output = float_array(doc["d_output"], f"{path}.d_output", (steps, batch, chain.output_width))  # [T, B, W]
    if doc.get("d_h_n") is not None:
        d_h_n = build_slots(doc["d_h_n"], f"{path}.d_h_n", batch, chain.state_sizes)
    if doc.get("d_c_n") is not None:
        if not chain.cell_state_sizes:
            raise PathError(f"{path}.d_c_n", _NO_CELL_STATE)
        d_c_n = build_slots(doc["d_c_n"], f"{path}.d_c_n", batch, chain.cell_state_sizes)
    if doc.get("d_y") is not None:
        if chain.y_size is None:
            raise PathError(f"{path}.d_y", _NO_Y)
        d_y = _build_y(doc["d_y"], f"{path}.d_y", chain, steps, batch)
    expected = _build_gradients(doc["expected"], f"{path}.expected", chain, steps, batch, token_inputs)
    return CaseBackward(d_output=d_output, d_h_n=d_h_n, d_c_n=d_c_n, d_y=d_y, expected=expected)


def _build_gradients(
    doc: dict[str, Any], path: str, chain: Chain, steps: int, batch: int, token_inputs: bool
) -> Gradients:
    """``backward.expected``: ``weights`` (exactly the chain's arrays, in chain order), ``x``, ``h0``, ``c0``."""
    weights = _build_weight_gradients(doc["weights"], f"{path}.weights", chain)
    x = None
    if token_inputs:
        if "x" in doc:
            raise PathError(f"{path}.x", X_OF_TOKENS)
    elif "x" not in doc:
        raise PathError(path, "missing 'x' (required: the inputs are x)")
    else:
        x = float_array(doc["x"], f"{path}.x", (steps, batch, chain.input_size))  # [T, B, I]
    h0 = build_slots(doc["h0"], f"{path}.h0", batch, chain.state_sizes)
    c0 = None
    if not chain.cell_state_sizes:
        if "c0" in doc:
            raise PathError(f"{path}.c0", _NO_CELL_STATE)
    elif "c0" not in doc:
        raise PathError(path, "missing 'c0' (required: the model has lstm layers)")
    else:
        c0 = build_slots(doc["c0"], f"{path}.c0", batch, chain.cell_state_sizes)
    return Gradients(weights=weights, x=x, h0=h0, c0=c0)


def _build_weight_gradients(node: dict[str, Any], path: str, chain: Chain) -> dict[str, np.ndarray]:
    """``weights``: one gradient per array of the chain, keyed by its dotted path, in chain order."""
    want = {name: array.shape for name, array in chain_weights(chain).items()}
    given = list(node)
    for name in given:
        if name not in want:
            raise PathError(f"{path}.{name}", "not an array of this model (keys: the model's arrays, in chain order)")
    for name in want:
        if name not in node:
            raise PathError(path, f"missing {name!r} (one gradient per array of the model)")
    for position, (name, wanted) in enumerate(zip(given, want, strict=True)):
        if name != wanted:
            raise PathError(f"{path}.{name}", f"out of chain order: expected {wanted!r} at position {position}")
    return {name: float_array(node[name], f"{path}.{name}", shape) for name, shape in want.items()}


def build_chain_cases(document: dict[str, Any]) -> tuple[Chain, tuple[str, ...] | None, tuple[Case, ...]]:
    """A version-2 document that passed the schema -> its :class:`Chain`, its vocabulary (or None), its cases."""
    chain = build_chain(document["model"])
    vocabulary = build_vocabulary(document.get("vocabulary"), chain)
    return chain, vocabulary, tuple(_build_case(doc, i, chain) for i, doc in enumerate(document["cases"]))


# -- the vocabulary --------------------------------------------------------------------------------


def build_vocabulary(node: Any, chain: Chain) -> tuple[str, ...] | None:
    """``vocabulary``: null, or one single-code-point string per embedding row, no two alike.

    Token ``k`` is the character ``vocabulary[k]`` (docs/fixture-format.md#vocabulary).
    """
    if node is None:
        return None
    if chain.embedding is None:
        raise PathError("vocabulary", "a vocabulary needs model.embedding")
    if not isinstance(node, list):
        raise PathError("vocabulary", f"expected an array of one-character strings or null, got {json_type(node)}")
    rows = chain.embedding.vocab_size
    if len(node) != rows:
        raise PathError("vocabulary", f"expected {rows} entries (the embedding's rows), got {len(node)}")
    seen: dict[str, int] = {}
    for k, entry in enumerate(node):
        if not isinstance(entry, str):
            raise PathError(f"vocabulary[{k}]", f"expected a one-character string, got {json_type(entry)}")
        if len(entry) != 1:  # a Python str counts code points
            raise PathError(
                f"vocabulary[{k}]", f"expected exactly one character (one Unicode code point), got {len(entry)}"
            )
        if entry in seen:
            raise PathError(f"vocabulary[{k}]", f"duplicate of vocabulary[{seen[entry]}]")
        seen[entry] = k
    return tuple(node)

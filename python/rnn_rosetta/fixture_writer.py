"""Write fixture files (docs/fixture-format.md): a Model (version 1) or a Chain (version 2) and answered
cases in, JSON text out. A :class:`Model` is always written as version 1, byte for byte as before.

The one writer of fixture documents: the generator (:mod:`rnn_rosetta.fixturegen`)
and the importers (:mod:`rnn_rosetta.interop`) both call it.

- :func:`model_to_document`: the ``model`` object (v1); :func:`chain_to_document`: the same for v2;
- :func:`case_to_document`: one case, inputs and expected values (and its ``backward``, version 2);
- :func:`fixture_document`: the whole document;
- :func:`dump_document`: JSON text whose float64 values round-trip exactly;
- :func:`write_fixture_file`: the text, checked by the reader before the file exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnn_rosetta.chain import Chain
from rnn_rosetta.compare import Tolerance
from rnn_rosetta.errors import ModelError
from rnn_rosetta.fixture_data import FORMAT, VERSION, VERSION_2, Case, CaseBackward
from rnn_rosetta.fixture_reader import parse_fixture
from rnn_rosetta.model import Model


def model_to_document(model: Model) -> dict[str, Any]:
    """The ``model`` object of a fixture, arrays as nested lists of floats.

    Options that do not apply to the cell are left out (``nonlinearity`` for an lstm, ...).
    """
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
        {name: {key: _floats(value) for key, value in weights.arrays().items()} for name, weights in layer.directions()}
        for layer in model.layers
    ]
    head = model.head
    doc["head"] = (
        None
        if head is None
        else {"weight": _floats(head.weight), "bias": _floats(head.bias), "activation": head.activation}
    )
    return doc


def chain_to_document(chain: Chain) -> dict[str, Any]:
    """The ``model`` object of a version-2 fixture; each layer names only the options that apply to it."""
    doc: dict[str, Any] = {"input_size": chain.input_size}
    if chain.embedding is not None:
        doc["embedding"] = {"weight": _floats(chain.embedding.weight)}
    doc["layers"] = [_layer_document(layer, merge) for layer, merge in zip(chain.layers, chain.merges, strict=True)]
    doc["dense"] = [
        {"weight": _floats(d.weight), "bias": _floats(d.bias), "activation": d.activation} for d in chain.dense
    ]
    doc["readout"] = chain.readout
    return doc


def _layer_document(layer: Model, merge: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"cell": layer.cell, "hidden_size": layer.hidden_size, "direction": layer.direction}
    if layer.cell == "rnn":
        doc["nonlinearity"] = layer.nonlinearity
    if layer.cell == "gru":
        doc["linear_before_reset"] = layer.linear_before_reset
    if layer.cell == "lstm":
        doc.update(proj_size=layer.proj_size, peepholes=layer.peepholes)
    doc["clip"] = layer.clip
    if layer.direction == "bidirectional":
        doc["merge"] = merge
    for name, weights in layer.layers[0].directions():
        doc[name] = {key: _floats(value) for key, value in weights.arrays().items()}
    return doc


def case_to_document(case: Case) -> dict[str, Any]:
    """One entry of ``cases``: ``name``, ``inputs`` (null where absent) and the ``expected`` fields present.

    A token case (v2) writes ``tokens`` in place of ``x``; states given as a list of slots stay one
    array per slot (ragged across slots in version 2).
    """
    lengths = None if case.lengths is None else [int(v) for v in np.asarray(case.lengths).ravel()]
    if case.tokens is not None:
        given: dict[str, Any] = {"tokens": np.asarray(case.tokens, dtype=np.int64).tolist()}
    else:
        given = {"x": _floats(case.x)}
    doc = {
        "name": case.name,
        "inputs": {**given, "h0": _states(case.h0), "c0": _states(case.c0), "lengths": lengths},
        "expected": {key: _states(value) for key, value in case.expected.fields().items()},
    }
    if case.backward is not None:
        doc["backward"] = backward_to_document(case.backward)
    return doc


def backward_to_document(backward: CaseBackward) -> dict[str, Any]:
    """A case's ``backward`` (version 2): the four ``d_*`` (null for zeros) and the expected gradients.

    ``expected.weights`` keeps the chain order of ``backward.expected.weights``; ``x`` is written only
    for x inputs, ``c0`` only for a chain with lstm layers (docs/fixture-format.md#gradients).
    """
    grads = backward.expected
    expected: dict[str, Any] = {"weights": {name: _floats(value) for name, value in grads.weights.items()}}
    if grads.x is not None:
        expected["x"] = _floats(grads.x)
    expected["h0"] = _states(grads.h0)
    if grads.c0 is not None:
        expected["c0"] = _states(grads.c0)
    return {
        "d_output": _floats(backward.d_output),
        "d_h_n": _states(backward.d_h_n),
        "d_c_n": _states(backward.d_c_n),
        "d_y": _floats(backward.d_y),
        "expected": expected,
    }


def tolerance_to_document(tolerance: Tolerance | Mapping[str, float] | tuple[float, float]) -> dict[str, float]:
    """``{"rtol", "atol"}`` from a :class:`Tolerance`, such a mapping, or ``(rtol, atol)``."""
    if isinstance(tolerance, Tolerance):
        return {"rtol": float(tolerance.rtol), "atol": float(tolerance.atol)}
    if isinstance(tolerance, Mapping):
        return {"rtol": float(tolerance["rtol"]), "atol": float(tolerance["atol"])}
    rtol, atol = tolerance
    return {"rtol": float(rtol), "atol": float(atol)}


def fixture_document(
    name: str,
    description: str,
    model: Model | Chain,
    cases: Iterable[Case],
    tolerance: Tolerance | Mapping[str, float] | tuple[float, float],
    provenance: Mapping[str, Any],
    vocabulary: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The whole fixture document, keys in the order the format lists them (version 2 for a :class:`Chain`).

    ``vocabulary`` (version 2, a chain with an embedding: one character per token id) is written right
    after ``model``; without one the key is left out, so a file without a vocabulary reads as before.
    """
    is_chain = isinstance(model, Chain)
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION_2 if is_chain else VERSION,
        "name": name,
        "description": description,
        "model": chain_to_document(model) if isinstance(model, Chain) else model_to_document(model),
    }
    if vocabulary is not None:
        if not is_chain:
            raise ModelError("vocabulary", "a vocabulary needs format version 2 (a Chain with an embedding)")
        document["vocabulary"] = [str(entry) for entry in vocabulary]
    document.update(
        cases=[case_to_document(case) for case in cases],
        tolerance=tolerance_to_document(tolerance),
        provenance=dict(provenance),
    )
    return document


_INNERMOST_LIST = re.compile(r"\[([^\[\]{}\"]*)\]")


def dump_document(document: dict[str, Any]) -> str:
    """JSON text with float64 values that round-trip exactly (Python's ``repr``).

    Objects are indented; each innermost list of numbers stays on one line.
    """
    text = json.dumps(document, indent=1, allow_nan=False)
    return _INNERMOST_LIST.sub(lambda m: "[" + " ".join(m.group(1).split()) + "]", text) + "\n"


def write_fixture_file(path: str | Path, document: dict[str, Any]) -> Path:
    """Write ``document`` to ``path`` after the reader has accepted its text.

    Raises :class:`rnn_rosetta.FixtureError` naming the JSON path when the
    document breaks the format; nothing is written then.
    """
    text = dump_document(document)
    target = Path(path)
    parse_fixture(text, str(target))
    target.write_text(text, "utf-8")
    return target


def _floats(array: Any) -> Any:
    """An array as nested lists of Python floats (float64 values), ``None`` as ``None``."""
    return None if array is None else np.asarray(array, dtype=np.float64).tolist()


def _states(value: Any) -> Any:
    """States as nested lists: one ``[S, B, H]`` array, or a list of ``[B, H_k]`` slots (ragged), or ``None``."""
    if isinstance(value, (list, tuple)):
        return [_floats(slot) for slot in value]
    return _floats(value)

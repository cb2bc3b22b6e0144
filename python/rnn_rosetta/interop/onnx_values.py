"""The symbolic values of the ONNX graph walk (:mod:`rnn_rosetta.interop.onnx_graph`) and their words.

A tensor of the graph is, to the walker, one of: a constant, a shape computation, a tensor of zeros,
a graph input whose role is not known yet, rows of a state input, or a **data** value that says what
it is in chain terms and what each of its axes means:

====  ==========================================  ====  ==========================================
axis  meaning                                     axis  meaning
====  ==========================================  ====  ==========================================
T     time                                        D     direction (raw ``Y``)
B     batch                                       H     one direction's hidden units
F     features (input, merged output, dense out)  S     state slots ``(layer, direction)``
1     a unit axis (``Unsqueeze``, ``Slice``)       NAME:aK  axis K of input NAME, not yet bound
====  ==========================================  ====  ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnn_rosetta.errors import ModelImportError


@dataclass(frozen=True)
class Const:
    value: np.ndarray


@dataclass(frozen=True)
class ShapeV:
    """An integer vector computed from shapes: each entry an int or an axis label."""

    dims: tuple[int | str, ...]
    scalar: bool = False


@dataclass(frozen=True)
class Zeros:
    """A tensor of zeros (an initial state written out)."""


@dataclass(frozen=True)
class GraphInput:
    name: str
    rank: int
    integer: bool


@dataclass(frozen=True)
class Rows:
    """Rows ``rows`` (axis 0) of the state graph input ``name``."""

    name: str
    rows: tuple[int, ...]
    layout: int = 0  # 1: the input is [B, S, H]


@dataclass(frozen=True)
class Data:
    kind: str  # input | y | seq | half | states | step | last | dense
    axes: tuple[str, ...]
    width: int = 0  # size of the F or H axis
    layer: int = -1
    dirs: tuple[str, ...] = ()  # y/step: the directions on D; half/final: the one direction
    slots: tuple[tuple[int, str], ...] = ()  # states: (layer, direction) along S
    cell: bool = False  # states: c (True) or h
    at: str = ""  # step: "first" or "last"; half: "final" for a final state
    merge: str = ""  # "sum" awaiting "* 0.5" to become "ave"
    dense: int = 0  # dense: layers applied; readout in ``base``
    base: str = ""  # dense: "sequence" or "last"
    pending: bool = False  # dense: MatMul waiting for its bias


@dataclass
class Plan:
    """How the graph's inputs and outputs map to the chain's (what ``onnx_expected`` needs)."""

    data_input: str = ""
    data_axes: str = ""  # e.g. "TBF", "BTF", "TB" (tokens)
    data_float64: bool = False
    tokens: bool = False
    fixed: dict[str, int] = field(default_factory=dict)  # "T"/"B" -> the size the graph's input fixes
    lengths: str = ""
    h0: list[tuple[str, tuple[int, ...], int]] = field(default_factory=list)  # per layer: (input, rows, layout)
    c0: list[tuple[str, tuple[int, ...], int]] = field(default_factory=list)  # per lstm layer
    outputs: list[tuple[str, str, Data]] = field(default_factory=list)  # (graph output, field or "", value)


def where(node: Any) -> str:
    if isinstance(node, Named):
        return node.name
    return f"{node.op_type} node '{node.name or '(unnamed)'}'"


def refuse(node: Any, why: str) -> ModelImportError:
    return ModelImportError(f"{where(node)}: {why}")


@dataclass(frozen=True)
class Named:
    """Stands in for a node in messages about graph outputs."""

    name: str
    op_type: str = "graph"
    domain: str = ""


def what(data: Data) -> str:
    """A data value in words, for messages."""
    layer = f"layer {data.layer}"
    return {
        "input": "the chain's input",
        "y": f"{layer}'s raw Y",
        "seq": f"{layer}'s output",
        "half": f"one direction of {layer}",
        "states": f"{layer}'s {'cell ' if data.cell else ''}states",
        "step": f"a time step of {layer}",
        "last": f"{layer}'s readout",
        "dense": "a dense layer's output",
    }.get(data.kind, data.kind)


def attributes(node: Any) -> dict[str, Any]:
    from onnx import helper, numpy_helper

    values = {}
    for attribute in node.attribute:
        value = helper.get_attribute_value(attribute)
        if hasattr(value, "dims"):
            value = numpy_helper.to_array(value)
        values[attribute.name] = value
    return values


def is_number(const: Const, number: float) -> bool:
    value = np.asarray(const.value)
    return value.size == 1 and float(value.reshape(-1)[0]) == number

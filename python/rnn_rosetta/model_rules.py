"""The model rules of fixture format v1, stated once (docs/fixture-format.md).

Two callers ask the same questions and get the same answers, word for word:

- the fixture reader (:mod:`rnn_rosetta.fixture_reader`), about a JSON
  document before any array is built from it;
- :func:`check_model`, about a :class:`Model` built in memory (by hand, by the
  generator, by an importer).

Each rule is one function returning a :class:`Problem` (the fixture's JSON
path of the offending field and one line saying what is wrong) or ``None``.
This module imports :mod:`rnn_rosetta.model`; ``model`` imports nothing back.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any, NamedTuple

import numpy as np

from rnn_rosetta.chain import DENSE_ACTIVATIONS, MERGES, READOUTS, Chain
from rnn_rosetta.errors import ModelError
from rnn_rosetta.json_fields import shape_problem
from rnn_rosetta.model import CELLS, DIRECTIONS, HEAD_ACTIVATIONS, NONLINEARITIES, Model

MAX_SIZE = 1 << 20  # the largest input/hidden/proj/head size accepted anywhere
MAX_LAYERS = 64
DIRECTION_SLOTS: tuple[str, ...] = ("forward", "reverse")  # the keys a layer may hold, in state order


class Problem(NamedTuple):
    """A broken rule: where (JSON path) and what (one line)."""

    path: str
    message: str


def option_problems(model: Model) -> list[Problem]:
    """Every broken rule among the scalar options of ``model`` (its arrays aside)."""
    problems = cell_option_problems(model, "model")
    for name, limit in (("input_size", MAX_SIZE), ("hidden_size", MAX_SIZE), ("num_layers", MAX_LAYERS)):
        value = getattr(model, name)
        if not 1 <= value <= limit:
            problems.append(Problem(f"model.{name}", f"must be in 1..{limit}, got {value}"))
    problems.sort(key=lambda p: _OPTION_ORDER.index(p.path.rsplit(".", 1)[1]))
    if model.head is not None:
        problems.extend(head_activation_problems(model.head.activation))
    return problems


_OPTION_ORDER = (
    "cell", "direction", "nonlinearity", "input_size", "hidden_size", "num_layers", "proj_size", "peepholes", "clip"
)  # fmt: skip


def cell_option_problems(model: Model, prefix: str) -> list[Problem]:
    """The options of a cell (v1: the model's, ``prefix="model"``; v2: one layer's, ``model.layers[1]``)."""
    problems: list[Problem] = []
    if model.cell not in CELLS:
        problems.append(Problem(f"{prefix}.cell", f"unknown cell {model.cell!r}, expected one of {list(CELLS)}"))
    if model.direction not in DIRECTIONS:
        message = f"unknown direction {model.direction!r}, expected one of {list(DIRECTIONS)}"
        problems.append(Problem(f"{prefix}.direction", message))
    if model.nonlinearity not in NONLINEARITIES:
        message = f"unknown nonlinearity {model.nonlinearity!r}, expected one of {list(NONLINEARITIES)}"
        problems.append(Problem(f"{prefix}.nonlinearity", message))
    elif model.nonlinearity != "tanh" and model.cell != "rnn":
        # lstm and gru have fixed activations: a relu there would be ignored, i.e. silently wrong
        problems.append(Problem(f"{prefix}.nonlinearity", f"{model.nonlinearity} needs an rnn, not {model.cell}"))
    if model.proj_size:
        if model.cell != "lstm":
            problems.append(Problem(f"{prefix}.proj_size", f"projection needs an lstm, not {model.cell}"))
        elif not 0 < model.proj_size < model.hidden_size:
            problems.append(Problem(f"{prefix}.proj_size", f"must be in 1..hidden_size-1, got {model.proj_size}"))
    if model.peepholes and model.cell != "lstm":
        problems.append(Problem(f"{prefix}.peepholes", f"peepholes need an lstm, not {model.cell}"))
    if model.clip is not None and not (math.isfinite(model.clip) and model.clip > 0):
        problems.append(Problem(f"{prefix}.clip", f"must be a positive finite number or null, got {model.clip}"))
    return problems


def head_activation_problems(activation: str) -> list[Problem]:
    """The head's activation is one the format names."""
    if activation in HEAD_ACTIVATIONS:
        return []
    message = f"unknown activation {activation!r}, expected one of {list(HEAD_ACTIVATIONS)}"
    return [Problem("model.head.activation", message)]


def layer_count_problem(model: Model, given: int) -> Problem | None:
    """``layers`` holds exactly ``num_layers`` entries."""
    if given == model.num_layers:
        return None
    return Problem("model.layers", f"num_layers is {model.num_layers} but {given} layers are given")


def direction_problem(model: Model, index: int, present: Collection[str], at: str | None = None) -> Problem | None:
    """Layer ``index`` holds ``forward`` and/or ``reverse`` exactly as ``direction`` says.

    ``at``: the layer's JSON path when it differs from ``model.layers[index]`` (a v2 layer is a
    one-layer model of its own: ``index`` 0, at ``model.layers[l]``).
    """
    slots = [name for name in DIRECTION_SLOTS if name in present]
    if tuple(slots) == model.direction_names:
        return None
    message = f"direction {model.direction!r} needs {list(model.direction_names)}, got {slots}"
    return Problem(at or f"model.layers[{index}]", message)


def weight_names_problem(
    model: Model, index: int, direction: str, names: Collection[str], at: str | None = None
) -> Problem | None:
    """One direction of layer ``index`` holds every array the model needs and no other."""
    path = f"{at or f'model.layers[{index}]'}.{direction}"
    shapes = model.expected_shapes(index)
    for name in sorted(set(names) - shapes.keys()):
        return Problem(f"{path}.{name}", "not used by this model")
    for name in shapes:
        if name not in names:
            return Problem(path, f"missing {name!r}")
    return None


def head_size_problem(size: int) -> Problem | None:
    """The head has 1..MAX_SIZE outputs (the length of its bias)."""
    if 1 <= size <= MAX_SIZE:
        return None
    return Problem("model.head.bias", f"expected 1..{MAX_SIZE} outputs, got {size}")


def head_shapes(model: Model, size: int) -> dict[str, tuple[int, ...]]:
    """The head's arrays for ``size`` outputs: weight [O, D*H_out], bias [O]."""
    return {"weight": (size, model.num_directions * model.output_size), "bias": (size,)}


def check_model(model: Model | Chain) -> None:
    """Raise :class:`ModelError` (a ``ValueError``) naming the JSON path of the first broken rule.

    ``model`` is a v1 :class:`Model` or a v2 :class:`Chain` (paths as in a version-2 fixture).
    """
    if isinstance(model, Chain):
        problem = chain_problem(model)
    else:
        problem = first_problem(model)
    if problem is not None:
        raise ModelError(problem.path, problem.message)


def first_problem(model: Model) -> Problem | None:
    """The first broken rule of a finished ``model``, in the order the fixture reader checks them."""
    options = option_problems(model)
    if options:
        return options[0]
    problem = layer_count_problem(model, len(model.layers))
    if problem is not None:
        return problem
    for index, layer in enumerate(model.layers):
        present = dict(layer.directions())
        problem = direction_problem(model, index, present)
        if problem is not None:
            return problem
        shapes = model.expected_shapes(index)
        for direction, weights in present.items():
            arrays = weights.arrays()
            problem = weight_names_problem(model, index, direction, arrays)
            if problem is not None:
                return problem
            for name, shape in shapes.items():
                problem = array_problem(f"model.layers[{index}].{direction}.{name}", arrays[name], shape)
                if problem is not None:
                    return problem
    if model.head is not None:
        size = len(model.head.bias) if np.ndim(model.head.bias) >= 1 else 0
        problem = head_size_problem(size)
        if problem is not None:
            return problem
        for name, shape in head_shapes(model, size).items():
            problem = array_problem(f"model.head.{name}", getattr(model.head, name), shape)
            if problem is not None:
                return problem
    return None


def array_problem(path: str, array: Any, shape: tuple[int, ...]) -> Problem | None:
    """An in-memory array is a finite float64 numpy array of ``shape``."""
    if not isinstance(array, np.ndarray):
        return Problem(path, f"expected a numpy array, got {type(array).__name__}")
    if array.shape != shape:
        return Problem(path, shape_problem(shape, array.shape))
    if array.dtype != np.float64:
        return Problem(path, f"expected float64, got {array.dtype}")
    if not np.isfinite(array).all():
        return Problem(path, "holds a non-finite value")
    return None


# -- format version 2: a chain (docs/fixture-format.md, "Version 2") ----------------------------------

#: The options a v2 layer may name, by the cells/directions they apply to (a key that does not apply is refused).
LAYER_OPTION_CELLS: dict[str, tuple[str, ...]] = {
    "nonlinearity": ("rnn",),
    "linear_before_reset": ("gru",),
    "proj_size": ("lstm",),
    "peepholes": ("lstm",),
}


def layer_at(index: int) -> str:
    """The JSON path of v2 layer ``index``."""
    return f"model.layers[{index}]"


def chain_layer_count_problem(count: int) -> Problem | None:
    """A chain has 1..MAX_LAYERS recurrent layers."""
    if 1 <= count <= MAX_LAYERS:
        return None
    return Problem("model.layers", f"expected 1..{MAX_LAYERS} layers, got {count}")


def layer_key_problem(index: int, cell: str, direction: str, keys: Collection[str]) -> Problem | None:
    """A v2 layer names no option that does not apply to its cell (``proj_size`` on a gru) or direction (``merge``)."""
    for key, cells in LAYER_OPTION_CELLS.items():
        if key in keys and cell in CELLS and cell not in cells:
            return Problem(f"{layer_at(index)}.{key}", f"{key} applies to {'/'.join(cells)} layers, not {cell}")
    if "merge" in keys and direction in DIRECTIONS and direction != "bidirectional":
        return Problem(f"{layer_at(index)}.merge", f"merge needs a bidirectional layer, this one is {direction}")
    return None


def layer_option_problems(layer: Model, index: int) -> list[Problem]:
    """The options of v2 layer ``index`` (a one-layer model): cell options, then ``hidden_size``."""
    at = layer_at(index)
    problems = cell_option_problems(layer, at)
    if not 1 <= layer.hidden_size <= MAX_SIZE:
        problems.append(Problem(f"{at}.hidden_size", f"must be in 1..{MAX_SIZE}, got {layer.hidden_size}"))
    problems.sort(key=lambda p: _OPTION_ORDER.index(p.path.rsplit(".", 1)[1]))
    return problems


def merge_problem(layer: Model, index: int, merge: str) -> Problem | None:
    """A known merge; anything but ``concat`` only on a bidirectional layer."""
    path = f"{layer_at(index)}.merge"
    if merge not in MERGES:
        return Problem(path, f"unknown merge {merge!r}, expected one of {list(MERGES)}")
    if merge != "concat" and layer.num_directions != 2:
        return Problem(path, f"merge needs a bidirectional layer, this one is {layer.direction}")
    return None


def readout_problem(readout: str) -> Problem | None:
    if readout in READOUTS:
        return None
    return Problem("model.readout", f"unknown readout {readout!r}, expected one of {list(READOUTS)}")


def chain_input_size_problem(input_size: int) -> Problem | None:
    if 1 <= input_size <= MAX_SIZE:
        return None
    return Problem("model.input_size", f"must be in 1..{MAX_SIZE}, got {input_size}")


def embedding_problem(vocab_size: int) -> Problem | None:
    """An embedding has 1..MAX_SIZE rows (its width is checked as the shape ``[V, input_size]``)."""
    if 1 <= vocab_size <= MAX_SIZE:
        return None
    return Problem("model.embedding.weight", f"expected 1..{MAX_SIZE} rows (the vocabulary), got {vocab_size}")


def dense_count_problem(count: int) -> Problem | None:
    if count <= MAX_LAYERS:
        return None
    return Problem("model.dense", f"expected at most {MAX_LAYERS} dense layers, got {count}")


def dense_problem(index: int, activation: str, size: int) -> Problem | None:
    """Dense layer ``index``: a known activation and 1..MAX_SIZE outputs (the length of its bias)."""
    if activation not in DENSE_ACTIVATIONS:
        message = f"unknown activation {activation!r}, expected one of {list(DENSE_ACTIVATIONS)}"
        return Problem(f"model.dense[{index}].activation", message)
    if not 1 <= size <= MAX_SIZE:
        return Problem(f"model.dense[{index}].bias", f"expected 1..{MAX_SIZE} outputs, got {size}")
    return None


def dense_shapes(width: int, size: int) -> dict[str, tuple[int, ...]]:
    """A dense layer reading ``width`` values with ``size`` outputs: weight [O, W], bias [O]."""
    return {"weight": (size, width), "bias": (size,)}


def chain_layer_input_sizes(chain: Chain) -> list[int]:
    """What each layer must read: ``input_size`` for layer 0, else the width of the layer below."""
    return [chain.input_size] + [chain.layer_width(index) for index in range(len(chain.layers) - 1)]


def chain_problem(chain: Chain) -> Problem | None:
    """The first broken rule of a finished in-memory :class:`Chain`, in the order the v2 reader checks them."""
    layers = chain.layers
    first = chain_input_size_problem(chain.input_size if layers else 0) or chain_layer_count_problem(len(layers))
    if first is not None:
        return first
    if len(chain.merges) != len(layers):
        return Problem("model.layers", f"{len(layers)} layers but {len(chain.merges)} merges")
    if chain.embedding is not None:
        weight = chain.embedding.weight
        rows = int(weight.shape[0]) if isinstance(weight, np.ndarray) and weight.ndim == 2 else 0
        problem = embedding_problem(rows) or array_problem("model.embedding.weight", weight, (rows, chain.input_size))
        if problem is not None:
            return problem
    for index, (layer, merge, reads) in enumerate(
        zip(layers, chain.merges, chain_layer_input_sizes(chain), strict=True)
    ):
        problem = _layer_problem(layer, index, merge, reads)
        if problem is not None:
            return problem
    problem = readout_problem(chain.readout) or dense_count_problem(len(chain.dense))
    if problem is not None:
        return problem
    width = chain.output_width
    for index, dense in enumerate(chain.dense):
        size = len(dense.bias) if np.ndim(dense.bias) >= 1 else 0
        problem = dense_problem(index, dense.activation, size)
        for name, shape in dense_shapes(width, size).items():
            problem = problem or array_problem(f"model.dense[{index}].{name}", getattr(dense, name), shape)
        if problem is not None:
            return problem
        width = size
    return None


def _layer_problem(layer: Model, index: int, merge: str, reads: int) -> Problem | None:
    """Layer ``index`` of a chain: a one-layer model without a head, reading ``reads`` values per step."""
    at = layer_at(index)
    options = layer_option_problems(layer, index)
    if options:
        return options[0]
    if layer.num_layers != 1 or len(layer.layers) != 1 or layer.head is not None:
        return Problem(at, "a chain's layer is a one-layer model without a head")
    if layer.input_size != reads:
        below = "model.input_size" if index == 0 else f"the merged output of layer {index - 1}"
        return Problem(f"{at}.input_size", f"must be {reads} ({below}), got {layer.input_size}")
    problem = merge_problem(layer, index, merge)
    if problem is not None:
        return problem
    present = dict(layer.layers[0].directions())
    problem = direction_problem(layer, 0, present, at)
    if problem is not None:
        return problem
    shapes = layer.expected_shapes(0)
    for direction, weights in present.items():
        arrays = weights.arrays()
        problem = weight_names_problem(layer, 0, direction, arrays, at)
        for name, shape in shapes.items():
            problem = problem or array_problem(f"{at}.{direction}.{name}", arrays[name], shape)
        if problem is not None:
            return problem
    return None

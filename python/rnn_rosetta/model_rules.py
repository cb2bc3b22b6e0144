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
    problems: list[Problem] = []
    if model.cell not in CELLS:
        problems.append(Problem("model.cell", f"unknown cell {model.cell!r}, expected one of {list(CELLS)}"))
    if model.direction not in DIRECTIONS:
        message = f"unknown direction {model.direction!r}, expected one of {list(DIRECTIONS)}"
        problems.append(Problem("model.direction", message))
    if model.nonlinearity not in NONLINEARITIES:
        message = f"unknown nonlinearity {model.nonlinearity!r}, expected one of {list(NONLINEARITIES)}"
        problems.append(Problem("model.nonlinearity", message))
    elif model.nonlinearity != "tanh" and model.cell != "rnn":
        # lstm and gru have fixed activations: a relu there would be ignored, i.e. silently wrong
        problems.append(Problem("model.nonlinearity", f"{model.nonlinearity} needs an rnn, not {model.cell}"))
    for name, limit in (("input_size", MAX_SIZE), ("hidden_size", MAX_SIZE), ("num_layers", MAX_LAYERS)):
        value = getattr(model, name)
        if not 1 <= value <= limit:
            problems.append(Problem(f"model.{name}", f"must be in 1..{limit}, got {value}"))
    if model.proj_size:
        if model.cell != "lstm":
            problems.append(Problem("model.proj_size", f"projection needs an lstm, not {model.cell}"))
        elif not 0 < model.proj_size < model.hidden_size:
            problems.append(Problem("model.proj_size", f"must be in 1..hidden_size-1, got {model.proj_size}"))
    if model.peepholes and model.cell != "lstm":
        problems.append(Problem("model.peepholes", f"peepholes need an lstm, not {model.cell}"))
    if model.clip is not None and not (math.isfinite(model.clip) and model.clip > 0):
        problems.append(Problem("model.clip", f"must be a positive finite number or null, got {model.clip}"))
    if model.head is not None:
        problems.extend(head_activation_problems(model.head.activation))
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


def direction_problem(model: Model, index: int, present: Collection[str]) -> Problem | None:
    """Layer ``index`` holds ``forward`` and/or ``reverse`` exactly as ``direction`` says."""
    slots = [name for name in DIRECTION_SLOTS if name in present]
    if tuple(slots) == model.direction_names:
        return None
    message = f"direction {model.direction!r} needs {list(model.direction_names)}, got {slots}"
    return Problem(f"model.layers[{index}]", message)


def weight_names_problem(model: Model, index: int, direction: str, names: Collection[str]) -> Problem | None:
    """One direction of layer ``index`` holds every array the model needs and no other."""
    path = f"model.layers[{index}].{direction}"
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


def check_model(model: Model) -> None:
    """Raise :class:`ModelError` (a ``ValueError``) naming the JSON path of the first broken rule."""
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

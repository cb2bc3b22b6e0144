"""Consistency checks of a :class:`Model` built in memory (by hand or by an importer).

Fixtures are checked while they are read (:mod:`rnn_rosetta.fixtures`); this
module checks the same rules on a finished ``Model`` and names the offending
field with the fixture's JSON path.
"""

from __future__ import annotations

import math

import numpy as np

from rnn_rosetta.model import CELLS, DIRECTIONS, HEAD_ACTIVATIONS, NONLINEARITIES, Model

MAX_SIZE = 1 << 20  # the largest input/hidden/proj/head size accepted anywhere
MAX_LAYERS = 64


def option_problems(model: Model) -> list[tuple[str, str]]:
    """``[(json_path, problem)]`` for the scalar options of ``model``."""
    problems: list[tuple[str, str]] = []
    if model.cell not in CELLS:
        problems.append(("model.cell", f"unknown cell {model.cell!r}, expected one of {list(CELLS)}"))
    if model.direction not in DIRECTIONS:
        problems.append(
            ("model.direction", f"unknown direction {model.direction!r}, expected one of {list(DIRECTIONS)}")
        )
    if model.nonlinearity not in NONLINEARITIES:
        problems.append(("model.nonlinearity", f"unknown nonlinearity {model.nonlinearity!r}"))
    for name, limit in (("input_size", MAX_SIZE), ("hidden_size", MAX_SIZE), ("num_layers", MAX_LAYERS)):
        value = getattr(model, name)
        if not 1 <= value <= limit:
            problems.append((f"model.{name}", f"must be in 1..{limit}, got {value}"))
    if model.proj_size:
        if model.cell != "lstm":
            problems.append(("model.proj_size", f"projection needs an lstm, not {model.cell}"))
        elif not 0 < model.proj_size < model.hidden_size:
            problems.append(("model.proj_size", f"must be in 1..hidden_size-1, got {model.proj_size}"))
    if model.peepholes and model.cell != "lstm":
        problems.append(("model.peepholes", f"peepholes need an lstm, not {model.cell}"))
    if model.clip is not None and not (math.isfinite(model.clip) and model.clip > 0):
        problems.append(("model.clip", f"must be a positive finite number or null, got {model.clip}"))
    if model.head is not None and model.head.activation not in HEAD_ACTIVATIONS:
        problems.append(("model.head.activation", f"unknown activation {model.head.activation!r}"))
    return problems


def check_model(model: Model) -> None:
    """Raise ``ValueError("json.path: problem")`` for the first broken rule."""
    problems = option_problems(model)
    if problems:
        raise ValueError(f"{problems[0][0]}: {problems[0][1]}")
    if len(model.layers) != model.num_layers:
        raise ValueError(f"model.layers: expected {model.num_layers} layers (num_layers), got {len(model.layers)}")
    for index, layer in enumerate(model.layers):
        present = tuple(name for name, _ in layer.directions())
        if present != model.direction_names:
            raise ValueError(
                f"model.layers[{index}]: direction {model.direction!r} needs {list(model.direction_names)}, "
                f"got {list(present)}"
            )
        shapes = model.expected_shapes(index)
        for direction, weights in layer.directions():
            arrays = weights.arrays()
            for name, shape in shapes.items():
                path = f"model.layers[{index}].{direction}.{name}"
                if name not in arrays:
                    raise ValueError(f"{path}: missing")
                _check_array(path, arrays[name], shape)
            for name in arrays.keys() - shapes.keys():
                raise ValueError(f"model.layers[{index}].{direction}.{name}: not used by this model")
    if model.head is not None:
        width = model.num_directions * model.output_size
        size = model.head.size
        if not 1 <= size <= MAX_SIZE:
            raise ValueError(f"model.head.weight: head size must be in 1..{MAX_SIZE}, got {size}")
        _check_array("model.head.weight", model.head.weight, (size, width))
        _check_array("model.head.bias", model.head.bias, (size,))


def _check_array(path: str, array: np.ndarray, shape: tuple[int, ...]) -> None:
    if array.shape != shape:
        raise ValueError(f"{path}: expected shape {list(shape)}, got {list(array.shape)}")
    if array.dtype != np.float64:
        raise ValueError(f"{path}: expected float64, got {array.dtype}")
    if not np.isfinite(array).all():
        raise ValueError(f"{path}: holds a non-finite value")

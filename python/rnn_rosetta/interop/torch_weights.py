"""PyTorch recurrent parameters by name (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...) -> a checked :class:`Model`.

Shared by :mod:`rnn_rosetta.interop.torch_import` (modules, ``state_dict``) and
:mod:`rnn_rosetta.interop.torch_program` (the recurrent nodes of an exported program);
it imports neither.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from rnn_rosetta.model import GATE_COUNT, DirectionWeights, Layer, Model
from rnn_rosetta.model_rules import check_model

# The key of one PyTorch recurrent parameter: ``weight_ih_l0``, ``bias_hh_l2_reverse``, ...
_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?$")
_REQUIRED = ("weight_ih", "weight_hh")
_BIASES = ("bias_ih", "bias_hh")


def _float64(value: Any, name: str) -> np.ndarray:
    """A C-contiguous float64 numpy copy of a tensor or array (exact for every float format)."""
    if hasattr(value, "detach"):  # a torch.Tensor (or Parameter)
        import torch

        if value.is_meta:
            raise ValueError(f"{name}: a tensor on the meta device holds no values")
        if value.is_quantized or not value.is_floating_point():
            raise ValueError(f"{name}: expected a real floating-point tensor, got {value.dtype}")
        value = value.detach().to(device="cpu", dtype=torch.float64).numpy()
    array = np.asarray(value)
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{name}: expected real numbers, got dtype {array.dtype}")
    return np.array(array, dtype=np.float64, order="C", copy=True)


# -- named arrays -> Model ---------------------------------------------------------


def _parse_keys(names: list[str], prefix: str) -> dict[tuple[int, str], dict[str, str]]:
    """``{(layer, direction): {kind: key}}``; unknown keys are refused."""
    slots: dict[tuple[int, str], dict[str, str]] = {}
    for key in names:
        match = _KEY.match(key)
        if match is None:
            raise ValueError(
                f"{prefix}{key}: not a parameter of nn.RNN/LSTM/GRU (expected e.g. weight_ih_l0, "
                "bias_hh_l1_reverse, weight_hr_l0); pass prefix= to read part of a larger state_dict"
            )
        kind, layer, reverse = match.group(1), int(match.group(2)), match.group(3)
        slots.setdefault((layer, "reverse" if reverse else "forward"), {})[kind] = key
    return slots


def _matrix(arrays: Mapping[str, np.ndarray], key: str) -> np.ndarray:
    array = arrays[key]
    if array.ndim != 2:
        raise ValueError(f"{key}: expected a matrix, got shape {list(array.shape)}")
    return array


def _skeleton(
    arrays: Mapping[str, np.ndarray], slots: dict[tuple[int, str], dict[str, str]], cell: str, nonlinearity: str
) -> Model:
    """The model's options as read from the keys and the layer-0 forward shapes (no weights yet)."""
    num_layers = 1 + max(layer for layer, _ in slots)
    directions = {direction for _, direction in slots}
    if directions == {"reverse"}:
        raise ValueError("only *_reverse keys: PyTorch has no reverse-only module")
    first = slots.get((0, "forward"), {})
    for kind in _REQUIRED:
        if kind not in first:
            raise ValueError(f"missing {kind}_l0")
    gates = GATE_COUNT[cell]
    rows = _matrix(arrays, first["weight_hh"]).shape[0]
    if rows == 0 or rows % gates:
        raise ValueError(
            f"{first['weight_hh']}: a {cell} stacks {gates} gate(s) of H rows each, "
            f"got {rows} rows (is the cell right?)"
        )
    proj = _matrix(arrays, first["weight_hr"]).shape[0] if "weight_hr" in first else 0
    return Model(
        cell=cell,
        input_size=int(_matrix(arrays, first["weight_ih"]).shape[1]),
        hidden_size=rows // gates,
        num_layers=num_layers,
        direction="bidirectional" if "reverse" in directions else "forward",
        layers=(),
        nonlinearity=nonlinearity,
        linear_before_reset=True,
        proj_size=int(proj),
    )


def _direction_weights(
    model: Model,
    layer: int,
    direction: str,
    keys: dict[str, str],
    arrays: Mapping[str, np.ndarray],
    has_bias: bool,
    prefix: str,
) -> DirectionWeights:
    """One direction's arrays, each checked against the shape ``model`` needs."""
    shapes = model.expected_shapes(layer)
    suffix = "_reverse" if direction == "reverse" else ""
    found: dict[str, np.ndarray] = {}
    for kind, shape in shapes.items():
        if kind in _BIASES and not has_bias:
            found[kind] = np.zeros(shape)
            continue
        if kind not in keys:
            raise ValueError(f"missing {prefix}{kind}_l{layer}{suffix} for a {model.describe()}")
        array = arrays[keys[kind]]
        if array.shape != shape:
            raise ValueError(
                f"{prefix}{keys[kind]}: expected shape {list(shape)} for a {model.describe()}, got {list(array.shape)}"
            )
        found[kind] = array
    for kind in sorted(keys.keys() - shapes.keys()):
        raise ValueError(f"{prefix}{keys[kind]}: not used by a {model.describe()}")
    return DirectionWeights(**found)


def _model_from_arrays(
    tensors: Mapping[str, Any], cell: str, nonlinearity: str, source: str, prefix: str = ""
) -> Model:
    arrays = {key: _float64(value, prefix + key) for key, value in tensors.items()}
    slots = _parse_keys(list(arrays), prefix)
    skeleton = _skeleton(arrays, slots, cell, nonlinearity)
    has_bias = any(kind in _BIASES for keys in slots.values() for kind in keys)
    layers = []
    for layer in range(skeleton.num_layers):
        directions = {}
        for direction in skeleton.direction_names:
            keys = slots.get((layer, direction))
            if keys is None:
                suffix = "_reverse" if direction == "reverse" else ""
                raise ValueError(f"{source}: missing every {prefix}*_l{layer}{suffix} parameter")
            directions[direction] = _direction_weights(skeleton, layer, direction, keys, arrays, has_bias, prefix)
        layers.append(Layer(**directions))
    model = Model(**{**skeleton.__dict__, "layers": tuple(layers)})
    check_model(model)
    return model

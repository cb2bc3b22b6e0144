"""Typed, shape-checked access to a decoded JSON document, every fault named by its JSON path.

The fixture reader asks this layer for "a float64 array of shape [24, 6] at
``model.layers[0].forward.weight_hh``" and gets either the array or a
:class:`PathError` saying where and what is wrong (``expected shape [24, 6],
got [24, 5]``, ``expected a number, got a string``). Shapes are read and
checked before any array is built, so a hostile document costs no more
memory than its own text. The C and Java readers have a part with the same
job and name (``c/fixture/json_fields.c``, ``rnnrosetta.fixture.JsonFields``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

_NUMBER_TYPES = frozenset({int, float})  # bool is not a number here (type(), not isinstance)


class PathError(Exception):
    """A field of a JSON document is unusable: ``path`` (``cases[0].inputs.x``) and ``problem``."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def json_path(parts: Iterable[str | int]) -> str:
    """``['model', 'layers', 0, 'forward']`` -> ``model.layers[0].forward``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def json_type(value: Any) -> str:
    """What a JSON value is, in words: ``an object``, ``an array``, ``a string``, ``a number``..."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def shape_problem(want: Sequence[int], got: Sequence[int]) -> str:
    """The one message for an array of the wrong shape (also used for in-memory arrays)."""
    return f"expected shape {list(want)}, got {list(got)}"


def nested_shape(node: Any, depth: int) -> list[int]:
    """The shape read along first elements, at most ``depth`` levels deep."""
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
        raise PathError(path, f"expected an array, got {json_type(node)}")
    if len(node) != shape[0]:
        raise PathError(path, f"expected {shape[0]} items, got {len(node)} (ragged array)")
    if len(shape) > 1:
        for index, child in enumerate(node):
            _check_nested(child, f"{path}[{index}]", shape[1:])
    elif not all(map(_NUMBER_TYPES.__contains__, map(type, node))):
        index = next(i for i, v in enumerate(node) if type(v) not in _NUMBER_TYPES)
        raise PathError(f"{path}[{index}]", f"expected a number, got {json_type(node[index])}")


def float_array(node: Any, path: str, shape: Sequence[int]) -> np.ndarray:
    """``node`` checked against ``shape`` and converted to a finite float64 array."""
    got = nested_shape(node, len(shape))
    if got != list(shape):
        raise PathError(path, shape_problem(shape, got))
    _check_nested(node, path, shape)
    try:
        array = np.array(node, dtype=np.float64)
    except OverflowError:
        raise PathError(path, "holds an integer too large for float64") from None
    if not np.isfinite(array).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise PathError(path + "".join(f"[{i}]" for i in where), "number out of float64 range")
    return array


def tensor3_shape(node: Any, path: str, names: str = "[T][B][I]") -> tuple[int, int, int]:
    """The ``[T][B][I]``-style shape of a non-empty three-level array (its first elements)."""
    shape = nested_shape(node, 3)
    if len(shape) != 3 or 0 in shape:
        raise PathError(path, f"expected a non-empty {names} array, got shape {shape}")
    return shape[0], shape[1], shape[2]


def optional_float(value: Any, path: str) -> float | None:
    """A JSON number or null as a Python float or ``None``; an integer beyond float64 is refused."""
    if value is None:
        return None
    try:
        return float(value)
    except OverflowError:
        raise PathError(path, "number out of float64 range") from None


def lengths_array(given: list[Any], path: str, batch: int, steps: int) -> np.ndarray:
    """A case's ``lengths``: one integer per batch element, each in ``1..T`` -> int64 ``[B]``."""
    if len(given) != batch:
        raise PathError(path, f"expected {batch} lengths (one per batch element), got {len(given)}")
    for b, length in enumerate(given):
        if not 1 <= length <= steps:
            raise PathError(f"{path}[{b}]", f"must be in 1..{steps} (T), got {length}")
    return np.array(given, dtype=np.int64)

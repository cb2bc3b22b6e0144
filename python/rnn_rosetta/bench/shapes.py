"""The benchmark shapes, and the seeded random models and inputs built for them.

A shape is ``cell hidden/batch/steps`` (input size = hidden size, one
forward layer unless ``layers`` says otherwise), named ``lstm-512-32-25`` or
``lstm-128-1-100-x2`` for two layers. Most of the main set is Baidu's
DeepBench inference set; the growth set sweeps LSTM 256 over T and B to show
that the time per step stays flat. GRUs are linear-before-reset (PyTorch's).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from rnn_rosetta.model import GATE_COUNT, DirectionWeights, Layer, Model
from rnn_rosetta.model_rules import check_model

NAME_PATTERN = re.compile(r"^(rnn|lstm|gru)-(\d+)-(\d+)-(\d+)(?:-x(\d+))?$")

#: Recurrent weights (G*H*H elements per layer) at least this large, at batch 1
#: and T > 1, make a shape memory-bound: LSTM 256 is the smallest such shape.
MEMORY_BOUND_MIN_ELEMENTS = 4 * 256 * 256


@dataclass(frozen=True)
class Shape:
    """One benchmark shape: cell, hidden size (= input size), batch, steps, layers."""

    cell: str
    hidden: int
    batch: int
    steps: int
    layers: int = 1
    group: str = "main"  # "main" (the list) or "growth" (the T and B sweep)

    @property
    def name(self) -> str:
        base = f"{self.cell}-{self.hidden}-{self.batch}-{self.steps}"
        return base if self.layers == 1 else f"{base}-x{self.layers}"

    @property
    def label(self) -> str:
        """The issue's spelling: ``LSTM 512/32/25`` (``2-layer LSTM 128/1/100``)."""
        text = f"{self.cell.upper()} {self.hidden}/{self.batch}/{self.steps}"
        return text if self.layers == 1 else f"{self.layers}-layer {text}"

    @property
    def gates(self) -> int:
        return GATE_COUNT[self.cell]

    @property
    def memory_bound(self) -> bool:
        """Batch 1, more than one step, recurrent weights at least LSTM 256's."""
        return self.batch == 1 and self.steps > 1 and self.gates * self.hidden**2 >= MEMORY_BOUND_MIN_ELEMENTS

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "name": self.name, "label": self.label, "memory_bound": self.memory_bound}


MAIN_SHAPES: tuple[Shape, ...] = (
    Shape("rnn", 32, 1, 672),
    Shape("rnn", 64, 1, 96),
    Shape("lstm", 256, 1, 150),
    Shape("lstm", 512, 1, 25),
    Shape("lstm", 512, 4, 25),
    Shape("lstm", 1024, 1, 25),
    Shape("gru", 512, 1, 1),
    Shape("gru", 1024, 1, 1500),
    Shape("lstm", 2048, 1, 25),
    Shape("lstm", 64, 1, 1),
    Shape("lstm", 128, 1, 100, layers=2),
    Shape("lstm", 512, 32, 25),
)

GROWTH_SHAPES: tuple[Shape, ...] = (
    Shape("lstm", 256, 1, 25, group="growth"),
    Shape("lstm", 256, 1, 100, group="growth"),
    Shape("lstm", 256, 1, 400, group="growth"),
    Shape("lstm", 256, 4, 100, group="growth"),
    Shape("lstm", 256, 16, 100, group="growth"),
)

#: ``--quick``: small and fast, one of each cell, for a smoke run.
QUICK_SHAPES: tuple[str, ...] = ("rnn-64-1-96", "lstm-64-1-1", "gru-512-1-1", "lstm-256-1-150")

#: The tiny net of the bridge rows (the cost of one call across cffi / JPype).
TINY_SHAPE = Shape("rnn", 4, 1, 1, group="bridge")

KNOWN: dict[str, Shape] = {s.name: s for s in (*MAIN_SHAPES, *GROWTH_SHAPES)}
GROUPS: dict[str, tuple[Shape, ...]] = {"main": MAIN_SHAPES, "growth": GROWTH_SHAPES}


def parse_shape(name: str) -> Shape:
    """A known shape by name, or any ``cell-H-B-T[-xL]`` (group ``custom``); ``ValueError`` otherwise."""
    if name in KNOWN:
        return KNOWN[name]
    match = NAME_PATTERN.match(name)
    if match is None:
        raise ValueError(
            f"unknown shape {name!r}: expected CELL-HIDDEN-BATCH-STEPS[-xLAYERS] (e.g. lstm-512-32-25), "
            f"a group ({', '.join(GROUPS)}) or one of {', '.join(KNOWN)}"
        )
    cell, hidden, batch, steps, layers = match.groups()
    numbers = [int(hidden), int(batch), int(steps), int(layers or 1)]
    if min(numbers) < 1:
        raise ValueError(f"shape {name!r}: every size must be >= 1")
    return Shape(cell, numbers[0], numbers[1], numbers[2], numbers[3], group="custom")


def select_shapes(names: list[str] | None) -> tuple[Shape, ...]:
    """Shapes for ``--shapes``: names and group names, in order, without repeats; default main + growth."""
    chosen: list[Shape] = []
    for name in names or ["main", "growth"]:
        for shape in GROUPS.get(name) or (parse_shape(name),):
            if shape not in chosen:
                chosen.append(shape)
    return tuple(chosen)


def seed_of(shape: Shape) -> int:
    """A stable seed per shape name (``crc32``), so every run times the same weights."""
    return zlib.crc32(shape.name.encode())


def build_model(shape: Shape) -> Model:
    """A random ``Model`` for ``shape``: weights ~ U(-1/sqrt(H), 1/sqrt(H)) as PyTorch initialises them."""
    rng = np.random.default_rng(seed_of(shape))
    rows, bound = shape.gates * shape.hidden, 1.0 / np.sqrt(shape.hidden)

    def uniform(*size: int) -> np.ndarray:
        return rng.uniform(-bound, bound, size)

    layers = tuple(
        Layer(
            forward=DirectionWeights(
                weight_ih=uniform(rows, shape.hidden),
                weight_hh=uniform(rows, shape.hidden),
                bias_ih=uniform(rows),
                bias_hh=uniform(rows),
            )
        )
        for _ in range(shape.layers)
    )
    model = Model(
        cell=shape.cell,
        input_size=shape.hidden,
        hidden_size=shape.hidden,
        num_layers=shape.layers,
        direction="forward",
        layers=layers,
        linear_before_reset=True,
    )
    check_model(model)
    return model


def build_input(shape: Shape, dtype: str) -> np.ndarray:
    """The input ``x [T, B, I]`` in ``dtype``, standard normal, seeded by the shape."""
    rng = np.random.default_rng(seed_of(shape) + 1)
    return rng.standard_normal((shape.steps, shape.batch, shape.hidden)).astype(dtype)

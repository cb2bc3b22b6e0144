"""The canonical model: what a recurrent network is, as numpy arrays.

Weights follow PyTorch's layout (docs/fixture-format.md): one direction of one
layer holds ``weight_ih [G*H, I_l]``, ``weight_hh [G*H, H_out]``,
``bias_ih [G*H]``, ``bias_hh [G*H]``, optionally ``weight_hr [P, H]`` (LSTM
projection) and the three peephole vectors ``[H]`` (LSTM peepholes). Gate rows
are stacked ``i, f, g, o`` (LSTM) and ``r, z, n`` (GRU).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Cell = Literal["rnn", "lstm", "gru"]
Direction = Literal["forward", "reverse", "bidirectional"]

CELLS: tuple[str, ...] = ("rnn", "lstm", "gru")
DIRECTIONS: tuple[str, ...] = ("forward", "reverse", "bidirectional")
NONLINEARITIES: tuple[str, ...] = ("tanh", "relu")
HEAD_ACTIVATIONS: tuple[str, ...] = ("softmax", "identity")
GATE_COUNT: dict[str, int] = {"rnn": 1, "lstm": 4, "gru": 3}
WEIGHT_NAMES: tuple[str, ...] = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
PEEPHOLE_NAMES: tuple[str, ...] = ("peephole_i", "peephole_f", "peephole_o")


@dataclass(frozen=True)
class DirectionWeights:
    """The parameters of one direction of one layer (float64, C-contiguous)."""

    weight_ih: np.ndarray  # [G*H, I_l]
    weight_hh: np.ndarray  # [G*H, H_out]
    bias_ih: np.ndarray  # [G*H]
    bias_hh: np.ndarray  # [G*H]
    weight_hr: np.ndarray | None = None  # [P, H], LSTM with proj_size only
    peephole_i: np.ndarray | None = None  # [H], LSTM with peepholes only
    peephole_f: np.ndarray | None = None  # [H]
    peephole_o: np.ndarray | None = None  # [H]

    @property
    def peepholes(self) -> np.ndarray | None:
        """The three peephole vectors stacked ``[p_i, p_f, p_o]``: ``[3H]``."""
        if self.peephole_i is None or self.peephole_f is None or self.peephole_o is None:
            return None
        return np.concatenate([self.peephole_i, self.peephole_f, self.peephole_o])

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array present, by its fixture name, in fixture order."""
        names = (*WEIGHT_NAMES, "weight_hr", *PEEPHOLE_NAMES)
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


@dataclass(frozen=True)
class Layer:
    """One layer: the directions the model's ``direction`` asks for."""

    forward: DirectionWeights | None = None
    reverse: DirectionWeights | None = None

    def directions(self) -> list[tuple[str, DirectionWeights]]:
        """``[(name, weights)]`` in state order (forward before reverse)."""
        pairs = [("forward", self.forward), ("reverse", self.reverse)]
        return [(name, w) for name, w in pairs if w is not None]


@dataclass(frozen=True)
class Head:
    """``y_t = activation(weight @ output_t + bias)`` on every output step."""

    weight: np.ndarray  # [O, D*H_out]
    bias: np.ndarray  # [O]
    activation: str = "softmax"

    @property
    def size(self) -> int:
        return int(self.weight.shape[0])


@dataclass(frozen=True)
class Model:
    """A recurrent network: its options plus its weights.

    Build one with :func:`rnn_rosetta.load_fixture`, the importers in
    :mod:`rnn_rosetta.interop`, or directly; check one built by hand with
    :func:`rnn_rosetta.model_rules.check_model` (the loader's rules and messages).
    """

    cell: str
    input_size: int
    hidden_size: int
    num_layers: int
    direction: str
    layers: tuple[Layer, ...]
    nonlinearity: str = "tanh"
    linear_before_reset: bool = True
    proj_size: int = 0
    peepholes: bool = False
    clip: float | None = None
    head: Head | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def gates(self) -> int:
        """G: 1 (rnn), 4 (lstm), 3 (gru)."""
        return GATE_COUNT[self.cell]

    @property
    def num_directions(self) -> int:
        """D: 2 when bidirectional, else 1."""
        return 2 if self.direction == "bidirectional" else 1

    @property
    def direction_names(self) -> tuple[str, ...]:
        """The direction slots every layer holds, in state order."""
        if self.direction == "bidirectional":
            return ("forward", "reverse")
        return (self.direction,)

    @property
    def output_size(self) -> int:
        """H_out: ``proj_size`` when set, else ``hidden_size``."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def layer_input_size(self, layer: int) -> int:
        """I_l: ``input_size`` for layer 0, else ``D * H_out``."""
        return self.input_size if layer == 0 else self.num_directions * self.output_size

    def state_shape(self, batch: int) -> tuple[int, int, int]:
        """Shape of ``h0``/``h_n``: ``[L*D, B, H_out]``."""
        return (self.num_layers * self.num_directions, batch, self.output_size)

    def cell_state_shape(self, batch: int) -> tuple[int, int, int]:
        """Shape of ``c0``/``c_n`` (LSTM): ``[L*D, B, H]``."""
        return (self.num_layers * self.num_directions, batch, self.hidden_size)

    def expected_shapes(self, layer: int) -> dict[str, tuple[int, ...]]:
        """The shape of every array one direction of ``layer`` must hold."""
        gh = self.gates * self.hidden_size
        shapes: dict[str, tuple[int, ...]] = {
            "weight_ih": (gh, self.layer_input_size(layer)),
            "weight_hh": (gh, self.output_size),
            "bias_ih": (gh,),
            "bias_hh": (gh,),
        }
        if self.proj_size > 0:
            shapes["weight_hr"] = (self.proj_size, self.hidden_size)
        if self.peepholes:
            for name in PEEPHOLE_NAMES:
                shapes[name] = (self.hidden_size,)
        return shapes

    def map_arrays(self, change: Callable[[np.ndarray], np.ndarray]) -> Model:
        """A copy of the model with every weight and head array replaced by ``change(array)``."""
        layers = tuple(
            Layer(**{name: DirectionWeights(**{key: change(value) for key, value in weights.arrays().items()})
                     for name, weights in layer.directions()})
            for layer in self.layers
        )  # fmt: skip
        head = self.head
        if head is not None:
            head = Head(change(head.weight), change(head.bias), head.activation)
        return Model(**{**self.__dict__, "layers": layers, "head": head})

    def describe(self) -> str:
        """One line a person can read: ``lstm 4->6 x2 bidirectional proj=3``."""
        parts = [f"{self.cell} {self.input_size}->{self.hidden_size}"]
        if self.num_layers > 1:
            parts.append(f"x{self.num_layers}")
        if self.direction != "forward":
            parts.append(self.direction)
        if self.cell == "rnn":
            parts.append(self.nonlinearity)
        if self.cell == "gru":
            parts.append(f"lbr={int(self.linear_before_reset)}")
        if self.proj_size:
            parts.append(f"proj={self.proj_size}")
        if self.peepholes:
            parts.append("peepholes")
        if self.clip is not None:
            parts.append(f"clip={self.clip:g}")
        if self.head is not None:
            parts.append(f"head={self.head.activation}/{self.head.size}")
        return " ".join(parts)

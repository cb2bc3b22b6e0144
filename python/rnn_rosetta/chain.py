"""A model as a chain (fixture format v2): embedding -> recurrent layers -> readout -> dense layers.

The chain is what real programs are made of (docs/fixture-format.md, "Version 2"):

- an optional **embedding** ``E [V, E_dim]``: integer tokens ``[T, B]`` become ``x_t = E[token]``;
- one or more **recurrent layers**, each a one-layer :class:`Model` of its own (cell, sizes,
  direction and every option), layer ``l`` reading the output of layer ``l - 1``; a bidirectional
  layer merges its two directions by ``concat`` (``[h_fwd, h_rev]``), ``sum``, ``mul`` or ``ave``;
- a **readout**: ``"sequence"`` (every step) or ``"last"`` (one vector per sequence: the top layer's
  final states ``h_n``, merged like its outputs; for the forward direction that is the output at the
  sequence's own last valid step ``L_b - 1``, for the reverse direction the state it ends in, at
  ``t = 0``, as PyTorch's ``h_n`` and Keras' ``return_sequences=False`` define it);
- zero or more **dense layers** ``y = act(W v + b)`` on the readout (every step, or the one vector).

States of layers of different sizes: one *slot* per layer and direction, in order
``[l0_fwd, l0_rev, l1_fwd, ...]``; slot ``k`` is ``[B, H_out_k]``. ``c`` slots exist for lstm
layers only, in the same order. Flat (C, Java), the slots are concatenated, each row-major:
for equal sizes that is exactly the v1 layout ``[L*D, B, H]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from rnn_rosetta.model import Head, Model

MERGES: tuple[str, ...] = ("concat", "sum", "mul", "ave")
READOUTS: tuple[str, ...] = ("sequence", "last")
DENSE_ACTIVATIONS: tuple[str, ...] = ("identity", "softmax", "tanh", "sigmoid", "relu")


@dataclass(frozen=True)
class Embedding:
    """``x_t = weight[token_t]``: a lookup table of ``vocab_size`` rows."""

    weight: np.ndarray  # [V, E_dim]

    @property
    def vocab_size(self) -> int:
        return int(self.weight.shape[0])

    @property
    def size(self) -> int:
        return int(self.weight.shape[1])


@dataclass(frozen=True)
class Dense:
    """``y = activation(weight @ v + bias)``."""

    weight: np.ndarray  # [O, W]
    bias: np.ndarray  # [O]
    activation: str = "identity"

    @property
    def size(self) -> int:
        return int(self.weight.shape[0])


@dataclass(frozen=True)
class Chain:
    """embedding? -> layers (each a one-layer :class:`Model`, no head) -> readout -> dense*."""

    layers: tuple[Model, ...]
    merges: tuple[str, ...] = ()  # one per layer; "concat" for every one-direction layer
    embedding: Embedding | None = None
    dense: tuple[Dense, ...] = ()
    readout: str = "sequence"
    extra: dict[str, object] = field(default_factory=dict, compare=False)  # e.g. the source's input layout

    def __post_init__(self) -> None:
        if not self.merges:
            object.__setattr__(self, "merges", ("concat",) * len(self.layers))

    # -- sizes ----------------------------------------------------------------------------

    @property
    def input_size(self) -> int:
        """Features per step that layer 0 reads (the embedding's width with an embedding)."""
        return self.layers[0].input_size

    @property
    def takes_tokens(self) -> bool:
        return self.embedding is not None

    def layer_width(self, index: int) -> int:
        """The width of layer ``index``'s merged output: ``2 * H_out`` for concat of two directions, else ``H_out``."""
        layer = self.layers[index]
        both = layer.num_directions == 2 and self.merges[index] == "concat"
        return 2 * layer.output_size if both else layer.output_size

    @property
    def output_width(self) -> int:
        """W: the top layer's merged output width."""
        return self.layer_width(len(self.layers) - 1)

    @property
    def state_sizes(self) -> tuple[int, ...]:
        """H_out of every ``h`` slot: one per layer and direction."""
        return tuple(layer.output_size for layer in self.layers for _ in layer.direction_names)

    @property
    def cell_state_sizes(self) -> tuple[int, ...]:
        """H of every ``c`` slot: one per lstm layer and direction."""
        return tuple(layer.hidden_size for layer in self.layers if layer.cell == "lstm" for _ in layer.direction_names)

    @property
    def y_size(self) -> int | None:
        """O: the last dense layer's size; the readout's width without dense layers; None when there is no ``y``."""
        if self.dense:
            return self.dense[-1].size
        return self.output_width if self.readout == "last" else None

    def describe(self) -> str:
        """One line: ``embedding 50x8 | lstm 8->16 | gru 16->4 bidirectional sum | last | dense 3 softmax``."""
        parts = []
        if self.embedding is not None:
            parts.append(f"embedding {self.embedding.vocab_size}x{self.embedding.size}")
        for layer, merge in zip(self.layers, self.merges, strict=True):
            text = layer.describe()
            parts.append(f"{text} {merge}" if layer.num_directions == 2 and merge != "concat" else text)
        parts.append(self.readout)
        parts.extend(f"dense {d.size} {d.activation}" for d in self.dense)
        return " | ".join(parts)

    def parameter_counts(self) -> list[tuple[str, int]]:
        """``[(part, number of parameters)]`` in chain order (what ``rnn-rosetta describe`` prints)."""
        counts = []
        if self.embedding is not None:
            counts.append(("embedding", int(self.embedding.weight.size)))
        for index, layer in enumerate(self.layers):
            arrays = [a for _, w in layer.layers[0].directions() for a in w.arrays().values()]
            counts.append((f"layers[{index}] {layer.cell}", sum(int(a.size) for a in arrays)))
        for index, dense in enumerate(self.dense):
            counts.append((f"dense[{index}]", int(dense.weight.size + dense.bias.size)))
        return counts

    def map_arrays(self, change: object) -> Chain:
        """A copy with every array replaced by ``change(array)`` (e.g. a dtype cast)."""
        fn = change  # Callable[[np.ndarray], np.ndarray]
        embedding = None if self.embedding is None else Embedding(fn(self.embedding.weight))  # type: ignore[operator]
        layers = tuple(layer.map_arrays(fn) for layer in self.layers)  # type: ignore[arg-type]
        dense = tuple(Dense(fn(d.weight), fn(d.bias), d.activation) for d in self.dense)  # type: ignore[operator]
        return replace(self, layers=layers, embedding=embedding, dense=dense)


def chain_from_model(model: Model) -> Chain:
    """A v1 model as a chain: one one-layer model per layer, the head as one dense layer on every step."""
    layers = []
    for index, layer in enumerate(model.layers):
        one = replace(
            model, input_size=model.layer_input_size(index), num_layers=1, layers=(layer,), head=None, extra={}
        )
        layers.append(one)
    dense: tuple[Dense, ...] = ()
    if model.head is not None:
        dense = (Dense(model.head.weight, model.head.bias, model.head.activation),)
    return Chain(layers=tuple(layers), dense=dense, readout="sequence")


def model_from_chain(chain: Chain) -> Model | None:
    """The v1 model a chain is, when it is one (uniform layers, concat, no embedding, sequence readout,
    at most one identity/softmax dense layer); else None (it needs format v2)."""
    first = chain.layers[0]
    same = ("cell", "hidden_size", "direction", "nonlinearity", "linear_before_reset", "proj_size", "peepholes", "clip")
    if chain.embedding is not None or chain.readout != "sequence" or len(chain.dense) > 1:
        return None
    if any(merge != "concat" for merge in chain.merges):
        return None
    if any(getattr(layer, name) != getattr(first, name) for layer in chain.layers for name in same):
        return None
    head = None
    if chain.dense:
        dense = chain.dense[0]
        if dense.activation not in ("identity", "softmax"):
            return None
        head = Head(dense.weight, dense.bias, dense.activation)
    layers = tuple(layer.layers[0] for layer in chain.layers)
    return replace(first, num_layers=len(layers), layers=layers, head=head, extra={})


# -- the numpy arithmetic of the parts around the recurrent layers (shared by both numpy kernels) --------


def merge_directions(merge: str, forward: np.ndarray, reverse: np.ndarray) -> np.ndarray:
    """Merge a bidirectional layer's two halves ``[..., H]`` each: concat, sum, mul or ave (their mean)."""
    if merge == "concat":
        return np.concatenate([forward, reverse], axis=-1)
    if merge == "sum":
        return forward + reverse
    if merge == "mul":
        return forward * reverse
    return (forward + reverse) * 0.5  # ave


def activate(activation: str, v: np.ndarray) -> np.ndarray:
    """A dense layer's activation over the last axis; softmax subtracts the maximum; NaN stays NaN."""
    if activation == "identity":
        return v
    if activation == "softmax":
        e = np.exp(v - v.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if activation == "tanh":
        return np.tanh(v)
    if activation == "sigmoid":
        e = np.exp(-np.abs(v))
        return np.where(v >= 0, 1.0, e) / (1.0 + e)
    return np.where(v < 0, 0.0, v)  # relu


def apply_dense(dense: tuple[Dense, ...], v: np.ndarray) -> np.ndarray:
    """``v [..., W]`` through every dense layer: ``v = act(v @ W.T + b)``."""
    for layer in dense:
        v = activate(layer.activation, v @ layer.weight.T + layer.bias)
    return v

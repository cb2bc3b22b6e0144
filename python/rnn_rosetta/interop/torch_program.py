"""Whole PyTorch programs -> :class:`~rnn_rosetta.chain.Chain`, by walking their ``torch.export`` graph.

An ``nn.Module`` is exported with ``torch.export.export`` (in eval mode, with an example input);
an ``ExportedProgram`` or a ``.pt2`` file (``torch.export.save``) is read as it is. The ATen graph is
then walked node by node. Every node must be one of these, in chain order, each reading the value
the previous part produced (a straight line: no branch, no second use, no second output):

==============================================  ===============================================
graph node (what the program wrote)              chain part
==============================================  ===============================================
``aten.embedding`` (``nn.Embedding``)            the embedding (inputs become integer tokens)
``aten.lstm/gru/rnn_tanh/rnn_relu``              one chain layer per module layer (zero initial state)
``aten.dropout`` with ``train=False``, clone,    nothing (inference)
``contiguous``, a view to the same shape, a
full slice
``aten.transpose`` / ``aten.permute``            nothing: the axes are tracked, ``batch_first`` found
``aten.select(out, time, -1)`` (``out[:, -1]``)  readout ``last`` (forward-only top layer only)
``h_n[-1]``; ``cat([h_n[-2], h_n[-1]], 1)``      readout ``last`` (forward; bidirectional concat)
``aten.linear`` (``nn.Linear``)                  a dense layer
``relu``/``tanh``/``sigmoid``/``softmax(-1)``    that dense layer's activation
==============================================  ===============================================

Anything else -- an op not in the table, an activation not after a linear layer, ``log_softmax``,
arithmetic on the hidden state, a LayerNorm, attention, a second output, training-mode dropout,
packed sequences -- raises :class:`~rnn_rosetta.errors.ModelImportError` naming the node and why.
What the walk learns about the program is kept in ``chain.extra``: ``batch_first`` (its input is
``[B, T, ...]``: feed ``forward(x, batch_first=True)``), ``output_batch_first`` (a per-step answer
comes back ``[B, T, O]``), ``input_shape`` (the program's own layout; ``None`` where any size runs:
an ``nn.Module`` runs at any batch and length, an exported program at the sizes it was exported
for, except dimensions exported as dynamic) and ``source``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.errors import ModelImportError
from rnn_rosetta.interop.torch_weights import _float64 as _float64_array
from rnn_rosetta.interop.torch_weights import _model_from_arrays
from rnn_rosetta.model import Model

# aten op name (``aten.lstm.input`` -> ``lstm``) -> (cell, nonlinearity)
_RECURRENT: dict[str, tuple[str, str]] = {
    "lstm": ("lstm", "tanh"),
    "gru": ("gru", "tanh"),
    "rnn_tanh": ("rnn", "tanh"),
    "rnn_relu": ("rnn", "relu"),
}
_ACTIVATIONS: dict[str, str] = {"relu": "relu", "relu_": "relu", "tanh": "tanh", "sigmoid": "sigmoid"}
_SOFTMAX = ("softmax", "_softmax")
_SAME = ("clone", "contiguous", "alias", "detach", "lift_fresh_copy")  # value-preserving
_ZEROS = ("zeros", "zeros_like", "new_zeros")
_ASSERTS = ("_assert_tensor_metadata", "_assert_async", "_assert_scalar", "sym_constrain_range_for_size")
# ops people write that the chain cannot hold, with the reason a user needs
_HINTS: dict[str, str] = {
    "log_softmax": "log_softmax is not a dense activation of the chain (identity, softmax, tanh, sigmoid, relu)",
    "_log_softmax": "log_softmax is not a dense activation of the chain (identity, softmax, tanh, sigmoid, relu)",
    "layer_norm": "a LayerNorm is not part of a recurrent chain",
    "native_layer_norm": "a LayerNorm is not part of a recurrent chain",
    "scaled_dot_product_attention": "attention is not part of a recurrent chain",
    "_native_multi_head_attention": "attention is not part of a recurrent chain",
    "flip": "flipping the time axis is not a chain part (use a bidirectional module)",
    "embedding_renorm_": "nn.Embedding(max_norm=...) renormalises rows in place; a chain's embedding is a lookup",
    **{
        op: "arithmetic on the chain's values (e.g. on a hidden state) is not a chain part"
        for op in ("add", "sub", "mul", "div", "add_", "mul_", "sum", "mean", "matmul", "bmm", "mm", "addmm")
    },
    "full": "a filled tensor is not a chain part (a program after run_decompositions() has lost its recurrent"
    " modules too: import what torch.export.export returns)",
    "lstm_cell": "a hand-written loop over a cell is not a recurrent module",
    "gru_cell": "a hand-written loop over a cell is not a recurrent module",
}
_CHAIN_OPS = "embedding, nn.RNN/LSTM/GRU, dropout, out[:, -1] / h_n[-1] readouts, nn.Linear, relu/tanh/sigmoid/softmax"


# -- what a graph value is, as the walk sees it ---------------------------------------


@dataclass(frozen=True)
class _Flow:
    """A tensor on the chain's main line: ``axes`` are labels (``"f"`` = features), ``stage`` its place."""

    axes: tuple[str, ...]
    stage: int
    kind: str  # "input", "seq" (every step), "last" (one vector per sequence), "dense_raw", "dense"


@dataclass(frozen=True)
class _Param:
    tensor: Any
    name: str


@dataclass(frozen=True)
class _Zeros:
    """A tensor of zeros (an initial state)."""


@dataclass(frozen=True)
class _Size:
    """A size read from a dynamic shape (only a zero state's shape may use it)."""


@dataclass(frozen=True)
class _RnnOut:
    """The tuple a recurrent op returns."""

    out: _Flow
    states: tuple[_States, ...]  # h_n[, c_n]


@dataclass(frozen=True)
class _States:
    """``h_n`` or ``c_n`` of one recurrent op: ``slots`` = layers * directions, ``top`` = its last chain layer."""

    which: str
    slots: int
    directions: int
    top: int
    stage: int


@dataclass(frozen=True)
class _Slot:
    """``h_n[index]`` (index normalised to ``0..slots-1``)."""

    states: _States
    index: int


def _op_name(target: Any) -> str:
    """``torch.ops.aten.lstm.input`` -> ``lstm``; ``operator.getitem`` -> ``getitem``."""
    name = getattr(target, "__name__", str(target))
    if hasattr(target, "_schema"):
        name = target._schema.name.split("::")[-1]
    return name


# -- the walk ---------------------------------------------------------------------------


class _Walk:
    """Builds the chain while walking an ExportedProgram's graph once, in node order."""

    def __init__(self, program: Any) -> None:
        self.program = program
        self.values: dict[Any, Any] = {}
        self.embedding: Embedding | None = None
        self.layers: list[Model] = []
        self.dense: list[Dense] = []
        self.readout: str | None = None
        self.stage = 0
        self.time: str | None = None  # the label of the time axis, once a recurrent op read the input
        self.batch: str | None = None
        self.input_axes: tuple[str, ...] = ()
        self.input_shape: list[int | None] = []
        self.output_axes: tuple[str, ...] = ()

    # -- helpers -----------------------------------------------------------------------

    def fail(self, node: Any, why: str) -> ModelImportError:
        return ModelImportError(f"torch program node {node.name} ({node.target}): {why}")

    def value(self, node: Any, arg: Any) -> Any:
        if not hasattr(arg, "op") or arg not in self.values:
            raise self.fail(node, f"expected a value the chain knows, got {arg!r}")
        return self.values[arg]

    def flow(self, node: Any, arg: Any, *kinds: str) -> _Flow:
        """``arg`` as the chain's current value (``h_n[-1]`` becomes readout ``last`` here)."""
        value = self.value(node, arg)
        if isinstance(value, _Slot):
            value = self.read_slot(node, value)
        if not isinstance(value, _Flow):
            what = "a parameter" if isinstance(value, _Param) else type(value).__name__.strip("_")
            raise self.fail(node, f"reads {arg.name} ({what}), which is not the chain's running value")
        if value.stage != self.stage:
            raise self.fail(
                node, f"reads {arg.name}, an earlier value the chain has moved past (a branch or second use)"
            )
        if kinds and value.kind not in kinds:
            raise self.fail(node, f"cannot follow {_KIND_WORDS[value.kind]}")
        return value

    def advance(self, axes: tuple[str, ...], kind: str) -> _Flow:
        self.stage += 1
        return _Flow(axes, self.stage, kind)

    def dim(self, node: Any, flow: _Flow, dim: Any) -> int:
        if not isinstance(dim, int) or not -len(flow.axes) <= dim < len(flow.axes):
            raise self.fail(node, f"dimension {dim!r} out of range for a {len(flow.axes)}-d value")
        return dim % len(flow.axes)

    def shape(self, arg: Any) -> tuple[Any, ...]:
        return tuple(arg.meta["val"].shape)

    # -- placeholders and the output ------------------------------------------------------

    def placeholders(self) -> None:
        from torch.export.graph_signature import InputKind

        program = self.program
        specs = {spec.arg.name: spec for spec in program.graph_signature.input_specs}
        users = [spec for spec in specs.values() if spec.kind == InputKind.USER_INPUT]
        if len(users) != 1:
            names = ", ".join(spec.arg.name for spec in users)
            raise ModelImportError(
                f"torch program: takes {len(users)} inputs ({names}); a chain takes one (x or tokens)"
            )
        for node in program.graph.nodes:
            if node.op != "placeholder":
                continue
            spec = specs[node.name]
            if spec.kind == InputKind.USER_INPUT:
                self.values[node] = self.input_flow(node)
            elif spec.kind in (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR):
                tensor = program.state_dict.get(spec.target)
                if tensor is None:
                    tensor = program.constants.get(spec.target)
                if tensor is None:
                    raise self.fail(node, f"no stored value for {spec.target}")
                self.values[node] = _Param(tensor, spec.target)
            else:
                raise self.fail(node, f"an input of kind {spec.kind.name} is not supported")

    def input_flow(self, node: Any) -> _Flow:
        import torch

        fake = node.meta["val"]
        floating = fake.dtype.is_floating_point
        integer = fake.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8)
        if (floating and fake.dim() != 3) or (integer and fake.dim() != 2) or not (floating or integer):
            want = "[T, B, I] or [B, T, I] reals" if floating else "[T, B] or [B, T] integer tokens"
            raise self.fail(node, f"input of shape {list(fake.shape)} and dtype {fake.dtype}; expected {want}")
        self.input_shape = [int(size) if isinstance(size, int) else None for size in fake.shape]
        self.input_axes = ("a0", "a1", "f") if floating else ("a0", "a1")
        return _Flow(self.input_axes, self.stage, "input")

    def output(self, node: Any) -> None:
        results = node.args[0]
        if not isinstance(results, (tuple, list)) or len(results) != 1:
            count = len(results) if isinstance(results, (tuple, list)) else "?"
            raise self.fail(node, f"the program returns {count} values; a chain has one output (return only y)")
        flow = self.flow(node, results[0])
        if flow.kind == "input":
            raise self.fail(node, "the program returns its input without a recurrent layer")
        if flow.axes[-1] != "f":
            raise self.fail(node, f"the program returns axes {list(flow.axes)}; the features must come last")
        if self.readout is None:
            self.readout = "sequence"
        self.output_axes = flow.axes

    # -- the ops -------------------------------------------------------------------------

    def call(self, node: Any) -> None:
        name = _op_name(node.target)
        if name in _ASSERTS:
            return
        if name == "getitem":
            self.getitem(node)
        elif name == "embedding":
            self.embed(node)
        elif name in _RECURRENT:
            self.recurrent(node, *_RECURRENT[name])
        elif name in _ZEROS:
            self.values[node] = _Zeros()
        elif name == "sym_size":  # a dynamic size (e.g. the batch, for a zero initial state)
            self.values[node] = _Size()
        elif name == "dropout" or name in ("feature_dropout", "alpha_dropout"):
            self.dropout(node)
        elif name in _SAME:
            self.values[node] = self.passthrough(node)
        elif name in ("view", "reshape", "_unsafe_view"):
            self.view(node)
        elif name == "slice":
            self.slice(node)
        elif name in ("transpose", "permute", "t"):
            self.transpose(node, name)
        elif name == "select":
            self.select(node)
        elif name == "squeeze":
            self.squeeze(node)
        elif name == "cat":
            self.cat(node)
        elif name == "linear":
            self.linear(node)
        elif name in _ACTIVATIONS or name in _SOFTMAX:
            self.activation(node, name)
        else:
            hint = _HINTS.get(name, f"not a part of a recurrent chain ({_CHAIN_OPS})")
            raise self.fail(node, hint)

    def passthrough(self, node: Any) -> Any:
        value = self.value(node, node.args[0])
        if isinstance(value, _Flow):
            return self.flow(node, node.args[0])
        if isinstance(value, (_Slot, _Zeros, _Param)):
            return value
        raise self.fail(node, f"applied to {node.args[0].name}, which is not the chain's running value")

    def getitem(self, node: Any) -> None:
        value = self.value(node, node.args[0])
        index = node.args[1]
        if not isinstance(value, _RnnOut):
            raise self.fail(node, f"indexes {node.args[0].name}, which is not a recurrent module's result")
        self.values[node] = value.out if index == 0 else value.states[index - 1]

    def embed(self, node: Any) -> None:
        weight = self.value(node, node.args[0])
        if not isinstance(weight, _Param):
            raise self.fail(node, "the embedding table is computed, not a parameter")
        tokens = self.flow(node, node.args[1], "input")
        if self.embedding is not None or len(tokens.axes) != 2:
            raise self.fail(node, "an embedding must read the program's integer token input [T, B] or [B, T]")
        self.embedding = Embedding(_float64(weight.tensor, weight.name))
        self.values[node] = _Flow((*tokens.axes, "f"), self.stage, "input")

    def dropout(self, node: Any) -> None:
        p, train = node.args[1], node.args[2]
        if train and p:
            raise self.fail(node, f"dropout(p={p}) in training mode; call module.eval() before torch.export")
        self.values[node] = self.passthrough(node)

    def view(self, node: Any) -> None:
        if self.shape(node) != self.shape(node.args[0]):
            raise self.fail(node, f"reshapes {list(self.shape(node.args[0]))} to {list(self.shape(node))}")
        self.values[node] = self.passthrough(node)

    def slice(self, node: Any) -> None:
        args = list(node.args) + [None] * (5 - len(node.args))
        _, dim, start, end, step = args[:5]
        size = self.shape(node.args[0])[dim or 0]
        full = (start in (None, 0)) and (end is None or (isinstance(end, int) and end >= size)) and step in (None, 1)
        if not full or self.shape(node) != self.shape(node.args[0]):
            raise self.fail(node, f"slices dimension {dim} [{start}:{end}:{step}]; only whole-axis slices are no-ops")
        self.values[node] = self.passthrough(node)

    def transpose(self, node: Any, name: str) -> None:
        flow = self.flow(node, node.args[0])
        axes = list(flow.axes)
        if name == "permute":
            order = [self.dim(node, flow, d) for d in node.args[1]]
            axes = [flow.axes[d] for d in order]
        else:
            first, second = (
                (0, 1) if name == "t" else (self.dim(node, flow, node.args[1]), self.dim(node, flow, node.args[2]))
            )
            axes[first], axes[second] = axes[second], axes[first]
        self.values[node] = _Flow(tuple(axes), flow.stage, flow.kind)

    def recurrent(self, node: Any, cell: str, nonlinearity: str) -> None:
        data, hx, params, has_biases, num_layers, _, train, bidirectional, batch_first = node.args[:9]
        flow = self.flow(node, data, "input", "seq")
        if train and num_layers > 1 and node.args[5]:
            raise self.fail(node, "exported in training mode with dropout between layers; call module.eval() first")
        for state in hx if isinstance(hx, (list, tuple)) else [hx]:
            if not isinstance(self.value(node, state), _Zeros):
                raise self.fail(node, f"its initial state {state.name} is computed; a chain starts from zeros")
        if len(flow.axes) != 3 or flow.axes[-1] != "f":
            raise self.fail(node, f"reads a value with axes {list(flow.axes)}; expected [T, B, features]")
        self.bind_layout(node, flow, bool(batch_first))
        directions = 2 if bidirectional else 1
        tensors = [self.value(node, p) for p in params]
        if any(not isinstance(t, _Param) for t in tensors):
            raise self.fail(node, "a weight is computed in the graph (e.g. a parametrization), not a parameter")
        groups = num_layers * directions
        if not groups or len(tensors) % groups:
            raise self.fail(
                node, f"{len(tensors)} weights do not split into {num_layers} layers x {directions} directions"
            )
        per = len(tensors) // groups
        kinds = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if has_biases else [])
        if per == len(kinds) + 1 and cell == "lstm":
            kinds.append("weight_hr")
        if per != len(kinds):
            raise self.fail(node, f"{per} weights per layer and direction; expected {len(kinds)} for this {cell}")
        for layer in range(num_layers):
            named = {}
            for d, suffix in enumerate(["", "_reverse"][:directions]):
                group = tensors[(layer * directions + d) * per : (layer * directions + d + 1) * per]
                named.update({f"{kind}_l0{suffix}": param.tensor for kind, param in zip(kinds, group, strict=True)})
            self.layers.append(_one_layer(node, named, cell, nonlinearity))
        top = len(self.layers) - 1
        out = self.advance(flow.axes, "seq")
        states = [_States("h_n", groups, directions, top, out.stage)]
        if cell == "lstm":
            states.append(_States("c_n", groups, directions, top, out.stage))
        self.values[node] = _RnnOut(out, tuple(states))

    def bind_layout(self, node: Any, flow: _Flow, batch_first: bool) -> None:
        time, batch = (flow.axes[1], flow.axes[0]) if batch_first else (flow.axes[0], flow.axes[1])
        if self.time is None:
            self.time, self.batch = time, batch
            return
        if (time, batch) != (self.time, self.batch):
            layout = "[B, T, F]" if batch_first else "[T, B, F]"
            raise self.fail(node, f"reads the time axis as the batch axis (batch_first={batch_first} expects {layout})")

    def select(self, node: Any) -> None:
        source, dim, index = node.args[0], node.args[1], node.args[2]
        value = self.value(node, source)
        if isinstance(value, _States):
            self.values[node] = self.slot(node, value, dim, index)
            return
        flow = self.flow(node, source, "seq")
        dim = self.dim(node, flow, dim)
        if flow.axes[dim] != self.time or index != -1:
            raise self.fail(
                node, f"selects index {index} of dimension {dim}; only the last time step (index -1) is a readout"
            )
        if self.layers[-1].num_directions == 2:
            raise self.fail(
                node,
                "out[:, -1] of a bidirectional layer holds the reverse direction's first step, not its final state; "
                "use torch.cat([h_n[-2], h_n[-1]], dim=1)",
            )
        self.readout = "last"
        self.values[node] = self.advance((self.batch or "b", "f"), "last")

    def slot(self, node: Any, states: _States, dim: Any, index: Any) -> _Slot:
        if dim not in (0, -3) or not isinstance(index, int) or not -states.slots <= index < states.slots:
            raise self.fail(node, f"indexes {states.which} as [{dim}][{index}]; expected {states.which}[k]")
        return _Slot(states, index % states.slots)

    def squeeze(self, node: Any) -> None:
        value = self.value(node, node.args[0])
        dims = node.args[1] if len(node.args) > 1 else None
        dims = [dims] if isinstance(dims, int) else dims
        if isinstance(value, _States) and value.slots == 1 and list(dims or []) in ([0], [-3]):
            self.values[node] = _Slot(value, 0)
            return
        raise self.fail(node, "squeeze is a no-op only on a one-slot h_n (h_n.squeeze(0))")

    def read_slot(self, node: Any, slot: _Slot) -> _Flow:
        """``h_n[-1]`` of a forward-only top layer as readout ``last``."""
        states = slot.states
        self.check_top(node, states)
        if states.directions == 2:
            raise self.fail(
                node,
                f"h_n[{slot.index}] of a bidirectional layer is one direction only; "
                "use torch.cat([h_n[-2], h_n[-1]], dim=1)",
            )
        if slot.index != states.slots - 1:
            raise self.fail(
                node, f"h_n[{slot.index}] is an inner layer's state; the readout is the top layer's h_n[-1]"
            )
        self.readout = "last"
        return self.advance((self.batch or "b", "f"), "last")

    def check_top(self, node: Any, states: _States) -> None:
        if states.which != "h_n":
            raise self.fail(node, "reads c_n (the lstm cell state); the chain reads out h_n")
        if states.stage != self.stage or states.top != len(self.layers) - 1:
            raise self.fail(node, "reads the final state of a recurrent module that is not the chain's top layer")

    def cat(self, node: Any) -> None:
        parts = [self.value(node, arg) for arg in node.args[0]]
        dim = node.args[1] if len(node.args) > 1 else 0
        if len(parts) != 2 or not all(isinstance(p, _Slot) for p in parts):
            raise self.fail(node, "concatenation is a readout only as torch.cat([h_n[-2], h_n[-1]], dim=1)")
        low, high = parts
        states = low.states
        self.check_top(node, states)
        top_pair = (low.index, high.index) == (states.slots - 2, states.slots - 1)
        if high.states is not states or states.directions != 2 or not top_pair or dim not in (1, -1):
            raise self.fail(node, "concatenation is a readout only as torch.cat([h_n[-2], h_n[-1]], dim=1)")
        self.readout = "last"
        self.values[node] = self.advance((self.batch or "b", "f"), "last")

    def linear(self, node: Any) -> None:
        flow = self.flow(node, node.args[0], "seq", "last", "dense_raw", "dense")
        if flow.axes[-1] != "f":
            raise self.fail(node, f"a linear layer over axes {list(flow.axes)} does not read the features")
        weight = self.value(node, node.args[1])
        bias = self.value(node, node.args[2]) if len(node.args) > 2 and node.args[2] is not None else None
        if not isinstance(weight, _Param) or (bias is not None and not isinstance(bias, _Param)):
            raise self.fail(node, "the linear layer's weight or bias is computed, not a parameter")
        w = _float64(weight.tensor, weight.name)
        b = np.zeros(w.shape[0]) if bias is None else _float64(bias.tensor, bias.name)
        if self.readout is None:
            self.readout = "sequence"
        self.dense.append(Dense(w, b, "identity"))
        self.values[node] = self.advance(flow.axes, "dense_raw")

    def activation(self, node: Any, name: str) -> None:
        flow = self.flow(node, node.args[0], "dense_raw")
        if name in _SOFTMAX:
            cast = node.args[2] if len(node.args) > 2 else node.kwargs.get("dtype")
            if cast not in (None, False):
                raise self.fail(node, f"softmax with a dtype change ({cast}) is not the chain's softmax")
            dim = self.dim(node, flow, node.args[1])
            if flow.axes[dim] != "f":
                raise self.fail(node, f"softmax over dimension {node.args[1]}, not the features")
            activation = "softmax"
        else:
            activation = _ACTIVATIONS[name]
        self.dense[-1] = replace(self.dense[-1], activation=activation)
        self.values[node] = self.advance(flow.axes, "dense")

    # -- the whole ------------------------------------------------------------------------

    def run(self) -> Chain:
        self.placeholders()
        for node in self.program.graph.nodes:
            if node.op == "call_function":
                self.call(node)
            elif node.op == "output":
                self.output(node)
            elif node.op != "placeholder":
                raise self.fail(node, f"graph node kind {node.op!r} is not supported")
        if not self.layers:
            raise ModelImportError("torch program: no recurrent module (nn.RNN, nn.LSTM or nn.GRU) on its path")
        batch_first = self.input_axes[0] == self.batch
        extra: dict[str, object] = {
            "batch_first": batch_first,
            "output_batch_first": self.readout == "sequence" and self.output_axes[0] == self.batch,
            "input_shape": self.input_shape,
            "source": "torch.export",
        }
        return Chain(
            layers=tuple(self.layers),
            embedding=self.embedding,
            dense=tuple(self.dense),
            readout=self.readout or "sequence",
            extra=extra,
        )


_KIND_WORDS = {
    "input": "the program's input (no recurrent layer yet)",
    "seq": "a recurrent layer's per-step output",
    "last": "the last-step readout",
    "dense_raw": "a linear layer",
    "dense": "an activation",
}


def _float64(tensor: Any, name: str) -> np.ndarray:
    try:
        array = _float64_array(tensor, name)
    except ValueError as exc:
        raise ModelImportError(f"torch program: {exc}") from None
    if not np.isfinite(array).all():
        raise ModelImportError(f"torch program: {name} holds non-finite values")
    return array


def _one_layer(node: Any, tensors: dict[str, Any], cell: str, nonlinearity: str) -> Model:
    try:
        return _model_from_arrays(tensors, cell, nonlinearity, source=node.name)
    except ValueError as exc:
        raise ModelImportError(f"torch program node {node.name} ({node.target}): {exc}") from None


# -- sources -> ExportedProgram ------------------------------------------------------------


def is_program_source(source: Any) -> bool:
    """A ``.pt2`` path, an ``ExportedProgram`` or an ``nn.Module``."""
    if isinstance(source, (str, Path)):
        return True
    import torch

    return isinstance(source, (torch.export.ExportedProgram, torch.nn.Module))


def exported_program(source: Any, example_input: Any = None) -> Any:
    """``source`` as a ``torch.export.ExportedProgram`` (a module is exported in eval mode)."""
    import torch

    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ModelImportError(f"{path}: no such file (expected a .pt2 written by torch.export.save)")
        try:
            return torch.export.load(str(path))
        except Exception as exc:
            raise ModelImportError(f"{path}: not a torch.export program: {str(exc).splitlines()[0]}") from None
    if isinstance(source, torch.export.ExportedProgram):
        return source
    if not isinstance(source, torch.nn.Module):
        raise ModelImportError(f"expected an nn.Module, an ExportedProgram or a .pt2 path, got {type(source).__name__}")
    example = _example(source) if example_input is None else torch.as_tensor(example_input)
    training = source.training
    source.eval()
    try:
        with warnings.catch_warnings():  # nn.RNNBase's _flat_weights: torch's own note, not the user's concern
            warnings.filterwarnings("ignore", message="The tensor attributes .*_flat_weights")
            return torch.export.export(source, (example,))
    except Exception as exc:
        line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelImportError(f"{type(source).__name__}: torch.export failed: {line}") from None
    finally:
        source.train(training)


def _example(module: Any) -> Any:
    """An example input guessed from the first embedding or recurrent module (batch 2, 5 steps)."""
    import torch

    for part in module.modules():
        if isinstance(part, torch.nn.Embedding):
            return torch.zeros((2, 5), dtype=torch.long)
        if isinstance(part, torch.nn.RNNBase):
            return torch.zeros((2, 5, part.input_size), dtype=part.weight_ih_l0.dtype)
    raise ModelImportError(
        f"{type(module).__name__}: pass example_input= (no nn.Embedding or recurrent module to guess it from)"
    )


def chain_from_program(source: Any, example_input: Any = None) -> Chain:
    """The chain a whole PyTorch program computes, or :class:`ModelImportError` naming what it cannot hold."""
    import torch

    chain = _Walk(exported_program(source, example_input)).run()
    if isinstance(source, torch.nn.Module):  # the module itself runs at any batch and length
        shape = list(chain.extra["input_shape"])  # type: ignore[call-overload]
        chain.extra["input_shape"] = [None, None, *shape[2:]]
        chain.extra["source"] = f"torch.export of {type(source).__name__}"
    return chain

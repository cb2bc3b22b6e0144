"""Walk a whole ONNX graph into a :class:`Chain`, or refuse it naming the node.

The walker interprets every node on the way from the graph's inputs to its outputs (dead nodes are
skipped) with *symbolic* values: a tensor is a constant, a shape computation, a tensor of zeros, a
graph input whose role is not known yet, or a **data** value that says what it is in chain terms
(the chain's input, layer ``l``'s raw ``Y``, its merged output, one direction of it, its final
states, the readout, the dense layers so far) and what each of its axes means:

====  ==========================================  ====  ==========================================
axis  meaning                                     axis  meaning
====  ==========================================  ====  ==========================================
T     time                                        D     direction (raw ``Y``)
B     batch                                       H     one direction's hidden units
F     features (input, merged output, dense out)  S     state slots ``(layer, direction)``
1     a unit axis (``Unsqueeze``, ``Slice``)       a0..  an input axis not yet bound to T/B/F
====  ==========================================  ====  ==========================================

Only operations whose result is exactly a chain part are accepted: glue that moves axes
(``Transpose``, ``Squeeze``, ``Unsqueeze``, ``Reshape``), direction merges (``Concat``, ``Add``,
``Mul`` and ``* 0.5``), the last step where it equals the readout (``out[-1]`` of a forward layer
without ``sequence_lens``, ``out[0]`` of a reverse one, ``h_n``), ``Gemm``/``MatMul``+``Add`` and
``Softmax``/``Tanh``/``Sigmoid``/``Relu``. Everything else raises :class:`ModelImportError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.errors import ModelImportError
from rnn_rosetta.model import Model

RECURRENT = {"RNN": "rnn", "LSTM": "lstm", "GRU": "gru"}
ACTIVATIONS = {"Softmax": "softmax", "Tanh": "tanh", "Sigmoid": "sigmoid", "Relu": "relu"}
PASS_THROUGH = ("Identity", "Dropout")
LOOPS = ("Loop", "Scan", "If")


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
    lengths: str = ""
    h0: list[tuple[str, tuple[int, ...], int]] = field(default_factory=list)  # per layer: (input, rows, layout)
    c0: list[tuple[str, tuple[int, ...], int]] = field(default_factory=list)  # per lstm layer
    outputs: list[tuple[str, str, Data]] = field(default_factory=list)  # (graph output, field or "", value)


def where(node: Any) -> str:
    if isinstance(node, _Named):
        return node.name
    return f"{node.op_type} node '{node.name or '(unnamed)'}'"


def _refuse(node: Any, why: str) -> ModelImportError:
    return ModelImportError(f"{where(node)}: {why}")


class Walker:
    """Interpret the graph node by node (topological order, as ONNX requires)."""

    def __init__(self, graph: Any, read_layer: Any) -> None:
        from onnx import numpy_helper

        self.graph = graph
        self.read_layer = read_layer  # (node, constants) -> one-layer Model
        self.values: dict[str, Any] = {t.name: Const(numpy_helper.to_array(t)) for t in graph.initializer}
        self.static: dict[str, int] = {}
        for vi in graph.input:
            if vi.name in self.values:
                continue
            tensor = vi.type.tensor_type
            integer = tensor.elem_type in (6, 7)  # INT32, INT64
            dims = tensor.shape.dim
            self.values[vi.name] = GraphInput(vi.name, len(dims), integer)
            if not integer or len(dims) == 2:
                for axis, dim in enumerate(dims):
                    if dim.HasField("dim_value"):
                        self.static[f"{vi.name}:a{axis}"] = int(dim.dim_value)
        self.bind: dict[str, str] = {}
        self.layers: list[Model] = []
        self.merges: list[str | None] = []
        self.layer_lengths: list[str] = []
        self.h_init: list[Rows | None] = []
        self.c_init: list[Rows | None] = []
        self.embedding: Embedding | None = None
        self.dense: list[Dense] = []
        self.plan = Plan()

    # -- driving -----------------------------------------------------------------------------

    def run(self) -> tuple[Chain, Plan]:
        needed = self._needed()
        for index, node in enumerate(self.graph.node):
            if index in needed:
                self._node(node)
        if not self.layers:
            raise ModelImportError("the graph has no RNN, LSTM or GRU node on the way to its outputs")
        return self._finish(), self.plan

    def _needed(self) -> set[int]:
        """Indices of the nodes the graph's outputs depend on."""
        producer = {out: index for index, node in enumerate(self.graph.node) for out in node.output if out}
        wanted = [o.name for o in self.graph.output]
        seen: set[int] = set()
        while wanted:
            index = producer.get(wanted.pop())
            if index is None or index in seen:
                continue
            seen.add(index)
            wanted.extend(name for name in self.graph.node[index].input if name)
        return seen

    def _get(self, node: Any, index: int) -> Any:
        if index >= len(node.input) or not node.input[index]:
            return None
        return self.values[node.input[index]]

    def _set(self, node: Any, *values: Any) -> None:
        for name, value in zip(node.output, values, strict=False):
            if name:
                self.values[name] = value

    def _node(self, node: Any) -> None:
        op = node.op_type
        if node.domain not in ("", "ai.onnx"):
            raise _refuse(node, f"operator domain {node.domain!r} is not the standard ONNX one")
        if op in LOOPS:
            raise _refuse(node, "a recurrence written as a loop (Loop/Scan/If) cannot be read; export the "
                          "recurrent module as one RNN/LSTM/GRU node")  # fmt: skip
        if op in RECURRENT:
            self._recurrent(node)
            return
        if op == "Constant":
            from onnx import helper, numpy_helper

            attr = {a.name: a for a in node.attribute}
            if "value" not in attr:
                raise _refuse(node, "only Constant value= tensors are understood")
            self._set(node, Const(numpy_helper.to_array(helper.get_attribute_value(attr["value"]))))
            return
        inputs = [self._get(node, i) for i in range(len(node.input))]
        present = [v for v in inputs if v is not None]
        if present and all(isinstance(v, Const) for v in present):
            self._set(node, *self._fold(node, inputs))
            return
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            raise _refuse(node, f"op {op} between the recurrent layers, embedding and dense layers is not "
                          "something a chain can express")  # fmt: skip
        self._set(node, handler(node, inputs))

    def _fold(self, node: Any, inputs: list[Any]) -> list[Const]:
        from onnx.reference import ReferenceEvaluator

        feeds = {name: v.value for name, v in zip(node.input, inputs, strict=True) if name}
        outputs = ReferenceEvaluator(node).run(None, feeds)
        return [Const(np.asarray(v)) for v in outputs]

    # -- axes --------------------------------------------------------------------------------

    def axes(self, data: Data) -> tuple[str, ...]:
        return tuple(self.bind.get(a, a) for a in data.axes)

    def _size(self, data: Data, label: str) -> int | None:
        label = self.bind.get(label, label)
        if label in ("F", "H"):
            return data.width
        if label == "D":
            return len(data.dirs)
        if label == "S":
            return len(data.slots)
        if label == "1":
            return 1
        for raw, bound in self.bind.items():
            if bound == label and raw in self.static:
                return self.static[raw]
        return self.static.get(label)

    def _bind(self, node: Any, data: Data, want: tuple[str, ...]) -> None:
        got = self.axes(data)
        if len(got) != len(want):
            raise _refuse(node, f"X has {len(got)} axes, expected {len(want)}")
        for label, expected in zip(got, want, strict=True):
            if label == expected:
                continue
            if ":a" in label and expected not in self.bind.values():
                self.bind[label] = expected
                continue
            raise _refuse(node, f"X's axes are {''.join(got)} where the node reads {''.join(want)}")

    def _axis(self, node: Any, data: Data, axis: int) -> int:
        rank = len(data.axes)
        if not -rank <= axis < rank:
            raise _refuse(node, f"axis {axis} out of range for a {rank}-d tensor")
        return axis % rank

    def _ints(self, node: Any, value: Any, what: str) -> list[int]:
        if isinstance(value, Const):
            return [int(v) for v in np.asarray(value.value).reshape(-1)]
        raise _refuse(node, f"{what} must be a constant")

    # -- the chain's input -------------------------------------------------------------------

    def _as_data(self, node: Any, value: Any) -> Data:
        if isinstance(value, Data):
            return value
        if isinstance(value, GraphInput) and not value.integer:
            if self.plan.data_input and self.plan.data_input != value.name:
                raise _refuse(node, f"a second data input {value.name!r}; a chain has one input sequence")
            if value.rank != 3:
                raise _refuse(node, f"input {value.name!r} has {value.rank} axes; a sequence input has 3")
            self.plan.data_input = value.name
            return Data("input", tuple(f"{value.name}:a{i}" for i in range(3)))
        raise _refuse(node, f"{type(value).__name__} where a sequence tensor is read")

    # -- recurrent nodes ---------------------------------------------------------------------

    def _recurrent(self, node: Any) -> None:
        index = len(self.layers)
        x = self._settle(node, self._as_data(node, self._get(node, 0)))
        top = index - 1
        if x.kind not in ("input", "seq") or x.layer != top:
            what = "the chain's input" if x.layer < 0 else f"layer {x.layer}'s output"
            raise _refuse(node, f"X is {x.kind} {what}, but a chain layer reads the merged output of the "
                          f"layer below it (layer {top}); branches and skips cannot be expressed")  # fmt: skip
        constants = {n: v.value for n, v in self.values.items() if isinstance(v, Const)}
        layer = self.read_layer(node, constants)
        layout = int(layer.extra.get("onnx_layout", 0))
        self._bind(node, x, ("B", "T", "F") if layout else ("T", "B", "F"))
        if x.width and x.width != layer.input_size:
            raise _refuse(node, f"reads {x.width} features, but W has {layer.input_size} columns")
        if x.kind == "input" and not self.plan.tokens:
            static = self.static.get(next(k for k, v in self.bind.items() if v == "F"), layer.input_size)
            if static != layer.input_size:
                raise _refuse(node, f"the input has {static} features, but W has {layer.input_size} columns")
        lengths = self._get(node, 4)
        if lengths is not None and not (isinstance(lengths, GraphInput) and lengths.integer and lengths.rank == 1):
            raise _refuse(node, "sequence_lens must be a 1-d integer graph input (the chain's lengths)")
        self.layer_lengths.append("" if lengths is None else lengths.name)
        self.h_init.append(self._state(node, 5, layout, "initial_h"))
        if layer.cell == "lstm":
            self.c_init.append(self._state(node, 6, layout, "initial_c"))
        self.layers.append(layer)
        self.merges.append(None if layer.num_directions == 2 else "concat")
        dirs, width = layer.direction_names, layer.output_size
        y_axes = ("B", "T", "D", "H") if layout else ("T", "D", "B", "H")
        state_axes = ("B", "S", "H") if layout else ("S", "B", "H")
        slots = tuple((index, d) for d in dirs)
        outputs = [
            Data("y", y_axes, width, index, dirs),
            Data("states", state_axes, width, index, slots=slots),
            Data("states", state_axes, layer.hidden_size, index, slots=slots, cell=True),
        ]
        self._set(node, *outputs)

    def _state(self, node: Any, index: int, layout: int, what: str) -> Rows | None:
        value = self._get(node, index)
        if value is None or isinstance(value, Zeros):
            return None
        if isinstance(value, Const) and not np.any(value.value):
            return None
        if isinstance(value, GraphInput) and not value.integer and value.rank == 3:
            return Rows(value.name, (), layout)
        if isinstance(value, Rows) and not layout:
            return value
        raise _refuse(node, f"{what} must be zeros, a graph input or rows of one (layout 0)")

    # -- glue --------------------------------------------------------------------------------

    def _op_Identity(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        return inputs[0]

    def _op_Dropout(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        if len(node.output) > 1 and node.output[1] in self._used():
            raise _refuse(node, "its mask is used; only inference-mode Dropout (identity) is understood")
        if len(inputs) > 2 and inputs[2] is not None and not (isinstance(inputs[2], Const) and not inputs[2].value):
            raise _refuse(node, "training_mode is not a constant false")
        return inputs[0]

    def _used(self) -> set[str]:
        return {name for n in self.graph.node for name in n.input} | {o.name for o in self.graph.output}

    def _op_Cast(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        value = inputs[0]
        if isinstance(value, (ShapeV, Zeros)) or (isinstance(value, GraphInput) and value.integer):
            return value
        raise _refuse(node, "Cast of a tensor that is not a shape, zeros or the lengths input")

    def _op_Shape(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        value = inputs[0]
        if isinstance(value, GraphInput):
            value = self._as_data(node, value)
        if not isinstance(value, Data):
            raise _refuse(node, "Shape of something other than a sequence tensor")
        dims = tuple(self._size(value, a) or a for a in self.axes(value))
        attrs = _attributes(node)
        return ShapeV(dims[attrs.get("start", 0) : attrs.get("end", len(dims))])

    def _op_ConstantOfShape(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        value = _attributes(node).get("value")
        if value is not None and np.any(value):
            raise _refuse(node, "fills with a non-zero value; only zero initial states are understood")
        return Zeros()

    def _op_Expand(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        if isinstance(inputs[0], Zeros) or (isinstance(inputs[0], Const) and not np.any(inputs[0].value)):
            return Zeros()
        raise _refuse(node, "Expand of something other than zeros")

    def _op_Gather(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        table, index = inputs[0], inputs[1]
        axis = int(_attributes(node).get("axis", 0))
        if isinstance(table, Const) and isinstance(index, GraphInput) and index.integer and axis == 0:
            return self._embedding(node, table.value, index)
        if isinstance(table, ShapeV) and isinstance(index, Const):
            picked = [table.dims[int(i)] for i in np.asarray(index.value).reshape(-1)]
            return ShapeV(tuple(picked), scalar=np.asarray(index.value).ndim == 0)
        if isinstance(table, Zeros):
            return table
        data = self._as_data(node, table)
        if not isinstance(index, Const) or np.asarray(index.value).ndim > 1:
            raise _refuse(node, "indices must be a constant scalar or vector")
        picks = [int(i) for i in np.asarray(index.value).reshape(-1)]
        return self._select(node, data, self._axis(node, data, axis), picks, keep=np.asarray(index.value).ndim == 1)

    def _embedding(self, node: Any, weight: np.ndarray, tokens: GraphInput) -> Data:
        if self.embedding is not None or self.plan.data_input:
            raise _refuse(node, "a second input lookup; a chain has one embedding on its one input")
        if weight.ndim != 2 or weight.dtype.kind != "f" or tokens.rank != 2:
            raise _refuse(node, "an embedding is Gather(float table [V, E], integer tokens [T, B])")
        self.embedding = Embedding(np.array(weight, dtype=np.float64))
        self.plan.data_input, self.plan.tokens = tokens.name, True
        return Data("input", (f"{tokens.name}:a0", f"{tokens.name}:a1", "F"), int(weight.shape[1]))

    def _op_Slice(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        value = inputs[0]
        starts, ends = self._ints(node, inputs[1], "starts"), self._ints(node, inputs[2], "ends")
        axes = self._ints(node, inputs[3], "axes") if len(inputs) > 3 and inputs[3] is not None else None
        steps = self._ints(node, inputs[4], "steps") if len(inputs) > 4 and inputs[4] is not None else None
        if steps is not None and any(s != 1 for s in steps):
            raise _refuse(node, "steps other than 1")
        if isinstance(value, Zeros):
            return value
        if isinstance(value, ShapeV) and (axes or [0]) == [0]:
            return ShapeV(value.dims[starts[0] : ends[0]])
        if isinstance(value, GraphInput) and not value.integer and value.rank == 3 and (axes or [0]) == [0]:
            value = Rows(value.name, tuple(range(max(starts[0], 0), ends[0])))
            return value
        if isinstance(value, Rows) and (axes or [0]) == [0]:
            return Rows(value.name, value.rows[starts[0] : ends[0]])
        data = self._as_data(node, value)
        axes = list(range(len(starts))) if axes is None else axes
        if len(axes) != 1:
            raise _refuse(node, "slicing more than one axis at once")
        axis = self._axis(node, data, axes[0])
        size = self._size(data, data.axes[axis])
        label = self.axes(data)[axis]
        start, end = starts[0], ends[0]
        if label == "T":
            if (start, end) in ((-1, 2**63 - 1), (-1, 2**31 - 1)) or (start == -1 and end >= 2**31 - 1):
                return self._select(node, data, axis, [-1], keep=True)
            if start == 0 and end == 1:
                return self._select(node, data, axis, [0], keep=True)
            raise _refuse(node, f"slices time steps [{start}:{end}]; only the first or last step can be a readout")
        if size is None:
            raise _refuse(node, f"slices axis {label} of unknown size")
        picks = list(range(size))[start:end]
        return self._select(node, data, axis, picks, keep=True)

    def _select(self, node: Any, data: Data, axis: int, picks: list[int], keep: bool) -> Data:
        """``data`` at indices ``picks`` of ``axis`` (``keep``: the axis stays, else it goes)."""
        label = self.axes(data)[axis]
        axes = list(data.axes)
        if keep:
            axes[axis] = "1" if len(picks) == 1 and label in ("T",) else label
        else:
            del axes[axis]
            if len(picks) != 1:
                raise _refuse(node, "a scalar index selects one entry")
        out_axes = tuple(axes)
        if label == "T":
            if len(picks) != 1 or picks[0] not in (0, -1):
                raise _refuse(node, f"picks time steps {picks}; only the first or last step can be a readout")
            return self._step(node, replace(data, axes=out_axes), "first" if picks[0] == 0 else "last")
        if label == "D" and data.kind in ("y", "step"):
            dirs = tuple(data.dirs[i] for i in picks)
            if keep:
                return replace(data, axes=out_axes, dirs=dirs)
            return self._half(node, replace(data, axes=out_axes, dirs=dirs))
        if label == "S" and data.kind == "states":
            slots = tuple(data.slots[i] for i in picks)
            if keep:
                return replace(data, axes=out_axes, slots=slots)
            return self._final(node, replace(data, axes=out_axes), slots[0])
        if label == "1" and picks == [0]:
            return replace(data, axes=out_axes)
        raise _refuse(node, f"selects {picks} along axis {label} of the layer's {data.kind}; that is no chain part")

    def _step(self, node: Any, data: Data, at: str) -> Data:
        """One time step of a sequence: a readout only where it equals the final state exactly."""
        if data.kind == "y":
            return replace(data, kind="step", at=at)
        if data.kind == "seq" or (data.kind == "dense" and data.base == "sequence"):
            layer = self.layers[data.layer] if data.layer >= 0 else None
            if layer is None or layer.num_directions == 2:
                raise _refuse(node, "a time step of a bidirectional layer's merged output mixes the forward "
                              "final state with the reverse state after one step; read h_n (Y_h) instead")  # fmt: skip
            self._check_final(node, data.layer, layer.direction, at)
            if data.kind == "dense":
                return replace(data, base="last")
            return replace(data, kind="last")
        if data.kind == "half":
            self._check_final(node, data.layer, data.dirs[0], at)
            return replace(data, at="final")
        raise _refuse(node, f"a time step of {data.kind} is no chain part")

    def _check_final(self, node: Any, layer: int, direction: str, at: str) -> None:
        if direction == "forward" and at == "last" and self.layer_lengths[layer]:
            raise _refuse(node, "with sequence_lens, the last time step is padding for shorter sequences; "
                          "the readout is each sequence's own last step: read Y_h")  # fmt: skip
        if (direction, at) not in (("forward", "last"), ("reverse", "first")):
            raise _refuse(node, f"the {at} step of the {direction} direction is not its final state")

    def _half(self, node: Any, data: Data) -> Data:
        """One direction of raw ``Y`` (or of a step of it), the D axis gone."""
        axes = tuple("F" if a == "H" else a for a in data.axes) if len(self.layers[data.layer].direction_names) == 1 \
            else data.axes  # fmt: skip
        if data.kind == "step":
            self._check_final(node, data.layer, data.dirs[0], data.at)
            half = Data("half", data.axes, data.width, data.layer, data.dirs, at="final")
        else:
            half = Data("half", data.axes, data.width, data.layer, data.dirs)
        if self.layers[data.layer].num_directions == 1:
            return replace(half, kind="last" if half.at else "seq", axes=axes, dirs=(), at="")
        return half

    def _final(self, node: Any, data: Data, slot: tuple[int, str]) -> Data:
        if data.cell:
            raise _refuse(node, "a cell state (Y_c) is not a readout")
        layer = self.layers[slot[0]]
        if layer.num_directions == 1:
            axes = tuple("F" if a == "H" else a for a in data.axes)
            return Data("last", axes, data.width, slot[0])
        return Data("half", data.axes, data.width, slot[0], (slot[1],), at="final")

    def _op_Transpose(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        if isinstance(inputs[0], Zeros):
            return inputs[0]
        data = self._as_data(node, inputs[0])
        perm = _attributes(node).get("perm", list(range(len(data.axes)))[::-1])
        return replace(data, axes=tuple(data.axes[p] for p in perm))

    def _op_Squeeze(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        if isinstance(inputs[0], Zeros):
            return inputs[0]
        data = self._as_data(node, inputs[0])
        axes = _attributes(node).get("axes")
        if len(inputs) > 1 and inputs[1] is not None:
            axes = self._ints(node, inputs[1], "axes")
        if axes is None:
            axes = [i for i, a in enumerate(data.axes) if self._size(data, a) == 1]
        for axis in sorted((self._axis(node, data, a) for a in axes), reverse=True):
            if self._size(data, data.axes[axis]) != 1:
                raise _refuse(node, f"squeezes axis {self.axes(data)[axis]}, which is not of size 1")
            data = self._select(node, data, axis, [0], keep=False)
        return data

    def _op_Unsqueeze(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        value = inputs[0]
        if isinstance(value, Zeros):
            return value
        if isinstance(value, ShapeV) and value.scalar:
            return ShapeV(value.dims)
        axes = _attributes(node).get("axes")
        if len(inputs) > 1 and inputs[1] is not None:
            axes = self._ints(node, inputs[1], "axes")
        data = self._as_data(node, value)
        labels = list(data.axes)
        rank = len(labels) + len(axes)
        for axis in sorted(a % rank for a in axes):
            labels.insert(axis, "1")
        return replace(data, axes=tuple(labels))

    def _op_Concat(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        if all(isinstance(v, (ShapeV, Const)) for v in inputs):
            dims: list[int | str] = []
            for v in inputs:
                dims.extend(v.dims if isinstance(v, ShapeV) else [int(i) for i in np.asarray(v.value).reshape(-1)])
            return ShapeV(tuple(dims))
        if all(isinstance(v, Zeros) or (isinstance(v, Const) and not np.any(v.value)) for v in inputs):
            return Zeros()
        parts = [self._as_data(node, v) for v in inputs]
        axis = self._axis(node, parts[0], int(_attributes(node)["axis"]))
        label = self.axes(parts[0])[axis]
        if label == "S" and all(p.kind == "states" and p.cell == parts[0].cell for p in parts):
            slots = tuple(s for p in parts for s in p.slots)
            return replace(parts[0], slots=slots, width=max(p.width for p in parts))
        if len(parts) == 2 and label == "H":
            return self._merge(node, parts[0], parts[1], "concat")
        raise _refuse(node, f"concatenates {[p.kind for p in parts]} along {label}; that is no chain part")

    def _merge(self, node: Any, first: Data, second: Data, merge: str) -> Data:
        """Two halves (forward, reverse) of one layer -> its merged output or readout."""
        if not (first.kind == second.kind == "half" and first.layer == second.layer and first.at == second.at):
            raise _refuse(node, f"combines {first.kind} and {second.kind}: only the two directions of one layer "
                          "merge (concat, sum, mul, ave)")  # fmt: skip
        if self.axes(first) != self.axes(second) or {first.dirs[0], second.dirs[0]} != {"forward", "reverse"}:
            raise _refuse(node, "combines two halves that are not the forward and reverse direction of one layer")
        if merge == "concat" and first.dirs[0] != "forward":
            raise _refuse(node, "concatenates [reverse, forward]; the chain's concat is [forward, reverse]")
        layer = first.layer
        width = 2 * first.width if merge == "concat" else first.width
        axes = tuple("F" if a == "H" else a for a in first.axes)
        kind = "last" if first.at == "final" else "seq"
        if merge != "sum":
            self._set_merge(node, layer, merge)
        return Data(kind, axes, width, layer, merge="sum" if merge == "sum" else "")

    def _set_merge(self, node: Any, layer: int, merge: str) -> None:
        if self.merges[layer] not in (None, merge):
            raise _refuse(node, f"merges layer {layer}'s directions by {merge}, but elsewhere by {self.merges[layer]}")
        self.merges[layer] = merge

    def _settle(self, node: Any, data: Data) -> Data:
        """A pending ``sum`` merge used as it is."""
        if data.merge == "sum":
            self._set_merge(node, data.layer, "sum")
            return replace(data, merge="")
        return data

    def _op_Reshape(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        if isinstance(inputs[0], Zeros):
            return inputs[0]
        data = self._settle(node, self._as_data(node, inputs[0]))
        shape = inputs[1]
        if isinstance(shape, Const):
            entries: list[int | str] = [int(v) for v in np.asarray(shape.value).reshape(-1)]
        elif isinstance(shape, ShapeV):
            entries = list(shape.dims)
        else:
            raise _refuse(node, "the target shape is neither a constant nor computed from shapes")
        return self._regroup(node, data, entries, bool(_attributes(node).get("allowzero", 0)))

    def _regroup(self, node: Any, data: Data, entries: list[int | str], allowzero: bool) -> Data:
        """Reshape as a regrouping of axes: T and B stay whole; D,H (or S,H of one layer) become F."""
        labels = list(self.axes(data))
        sizes = [self._size(data, a) for a in labels]
        entries = [labels[i] if e == 0 and not allowzero and i < len(labels) else e for i, e in enumerate(entries)]
        if sum(1 for e in entries if e == -1) > 1:
            raise _refuse(node, "more than one -1 in the target shape")
        groups: list[list[int]] = []
        pos = 0

        def take(entry: int | str) -> list[int]:
            nonlocal pos
            group: list[int] = []
            if isinstance(entry, str):
                while pos < len(labels) and labels[pos] == "1" and labels[pos] != entry:
                    pos += 1
                if pos < len(labels) and labels[pos] == entry:
                    pos += 1
                    return [pos - 1]
                raise _refuse(node, f"the target shape puts {entry} where the tensor has {labels[pos:]}")
            product = 1
            while product < entry and pos < len(labels):
                size = sizes[pos]
                if size is None:
                    raise _refuse(node, f"a literal size {entry} where the tensor has axis {labels[pos]} of any size")
                group.append(pos)
                product *= size
                pos += 1
            if product != entry:
                raise _refuse(node, f"target size {entry} does not regroup axes {labels}")
            return group

        if -1 in entries:
            split = entries.index(-1)
            for entry in entries[:split]:
                groups.append(take(entry))
            head = pos
            pos_end = len(labels)
            tail: list[list[int]] = []
            for entry in reversed(entries[split + 1 :]):
                if isinstance(entry, str):
                    if labels[pos_end - 1] != entry:
                        raise _refuse(node, f"the target shape puts {entry} where the tensor has {labels[pos_end - 1]}")
                    tail.insert(0, [pos_end - 1])
                    pos_end -= 1
                    continue
                product, group = 1, []
                while product < entry and pos_end > head:
                    size = sizes[pos_end - 1]
                    if size is None:
                        raise _refuse(node, f"a literal size {entry} where the tensor has an axis of any size")
                    group.insert(0, pos_end - 1)
                    product *= size
                    pos_end -= 1
                if product != entry:
                    raise _refuse(node, f"target size {entry} does not regroup axes {labels}")
                tail.insert(0, group)
            groups.append(list(range(head, pos_end)))
            groups.extend(tail)
        else:
            groups = [take(entry) for entry in entries]
            if pos != len(labels) and any(sizes[i] != 1 for i in range(pos, len(labels))):
                raise _refuse(node, "the target shape does not cover every axis")
        return self._grouped(node, data, groups)

    def _grouped(self, node: Any, data: Data, groups: list[list[int]]) -> Data:
        labels = self.axes(data)
        out: list[str] = []
        result = data
        for group in groups:
            named = [labels[i] for i in group if labels[i] != "1"]
            if not named:
                out.append("1")
            elif len(named) == 1:
                out.append(data.axes[next(i for i in group if labels[i] != "1")])
            elif named == ["D", "H"] and data.kind in ("y", "step"):
                if data.kind == "step" and len(data.dirs) == 2:
                    raise _refuse(node, "a time step of a bidirectional layer's output is not its final state")
                if len(data.dirs) == 2 and data.dirs != ("forward", "reverse"):
                    raise _refuse(node, "flattens the directions out of order")
                if len(data.dirs) == 2:
                    self._set_merge(node, data.layer, "concat")
                out.append("F")
                result = replace(result, width=len(data.dirs) * data.width)
            elif named == ["S", "H"] and data.kind == "states" and not data.cell:
                layer = data.slots[0][0]
                if data.slots != tuple((layer, d) for d in self.layers[layer].direction_names):
                    raise _refuse(node, "flattens state slots that are not the directions of one layer, in order")
                if self.layers[layer].num_directions == 2:
                    self._set_merge(node, layer, "concat")
                out.append("F")
                result = Data("last", (), len(data.slots) * data.width, layer)
            else:
                raise _refuse(node, f"merges axes {named} of {data.kind}; that is no chain part")
        result = replace(result, axes=tuple(out))
        if result.kind in ("y", "step") and "D" not in self.axes(result):
            if result.kind == "step":
                self._check_final(node, data.layer, data.dirs[0], data.at)
                return Data("last", result.axes, result.width, data.layer)
            return Data("seq", result.axes, result.width, data.layer)
        return result

    # -- merges, dense layers, activations ---------------------------------------------------

    def _op_Add(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        a, b = inputs
        if isinstance(a, Data) and isinstance(b, Data):
            return self._merge(node, a, b, "sum")
        data, const = (a, b) if isinstance(a, Data) else (b, a)
        if isinstance(data, Data) and isinstance(const, Const) and data.kind == "dense" and data.pending:
            bias = np.asarray(const.value)
            width = data.width
            if bias.size != width or bias.shape[-1] != width:
                raise _refuse(node, f"adds a constant of shape {list(bias.shape)} to {width} dense outputs")
            last = self.dense[-1]
            self.dense[-1] = Dense(last.weight, np.array(bias.reshape(-1), dtype=np.float64), last.activation)
            return replace(data, pending=False)
        raise _refuse(node, "Add of something other than two directions or a dense layer's bias")

    def _op_Mul(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        a, b = inputs
        if isinstance(a, Data) and isinstance(b, Data):
            return self._merge(node, a, b, "mul")
        data, const = (a, b) if isinstance(a, Data) else (b, a)
        if isinstance(data, Data) and isinstance(const, Const) and data.merge == "sum" and _is(const, 0.5):
            self._set_merge(node, data.layer, "ave")
            return replace(data, merge="")
        raise _refuse(node, "Mul of something other than two directions (mul) or their sum by 0.5 (ave)")

    def _op_Div(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        data, const = inputs
        if isinstance(data, Data) and isinstance(const, Const) and data.merge == "sum" and _is(const, 2.0):
            self._set_merge(node, data.layer, "ave")
            return replace(data, merge="")
        raise _refuse(node, "Div of something other than the sum of two directions by 2 (ave)")

    def _dense_input(self, node: Any, value: Any) -> Data:
        data = self._settle(node, self._as_data(node, value))
        if data.kind == "dense":
            if data.pending:
                data = replace(data, pending=False)
            if data.dense != len(self.dense):
                raise _refuse(node, "a second branch of dense layers")
            return data
        if data.kind not in ("seq", "last"):
            raise _refuse(node, f"a dense layer on {data.kind} (layer {data.layer}); it reads the merged output "
                          "or the readout of the top layer")  # fmt: skip
        if self.dense:
            raise _refuse(node, "a second branch of dense layers")
        if self.axes(data)[-1] != "F":
            raise _refuse(node, f"multiplies axis {self.axes(data)[-1]}; dense layers act on the features")
        base = "last" if data.kind == "last" else "sequence"
        return Data("dense", data.axes, data.width, data.layer, base=base)

    def _add_dense(self, node: Any, data: Data, weight: np.ndarray, bias: np.ndarray | None) -> Data:
        if weight.ndim != 2 or weight.shape[1] != data.width or weight.dtype.kind != "f":
            raise _refuse(node, f"weight of shape {list(weight.shape)} does not take {data.width} features")
        out = int(weight.shape[0])
        pending = bias is None
        bias = np.zeros(out) if bias is None else np.asarray(bias, dtype=np.float64).reshape(-1)
        if bias.size != out:
            raise _refuse(node, f"bias of {bias.size} values for {out} outputs")
        self.dense.append(Dense(np.array(weight, dtype=np.float64), np.array(bias, dtype=np.float64), "identity"))
        return replace(data, width=out, dense=len(self.dense), pending=pending)

    def _op_MatMul(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        if not isinstance(inputs[1], Const):
            raise _refuse(node, "MatMul by something other than a constant weight")
        data = self._dense_input(node, inputs[0])
        return self._add_dense(node, data, np.asarray(inputs[1].value).T, None)

    def _op_Gemm(self, node: Any, inputs: list[Any]) -> Any:  # noqa: N802
        attrs = _attributes(node)
        if attrs.get("transA", 0) or not isinstance(inputs[1], Const):
            raise _refuse(node, "only Gemm(features, constant weight, constant bias) without transA is a dense layer")
        data = self._dense_input(node, inputs[0])
        if len(self.axes(data)) != 2:
            raise _refuse(node, "Gemm on a tensor that is not 2-d")
        weight = np.asarray(inputs[1].value, dtype=np.float64)
        weight = weight if attrs.get("transB", 0) else weight.T
        weight = weight * float(attrs.get("alpha", 1.0)) if attrs.get("alpha", 1.0) != 1.0 else weight
        bias = None
        if len(inputs) > 2 and inputs[2] is not None:
            if not isinstance(inputs[2], Const):
                raise _refuse(node, "C must be a constant bias")
            bias = np.asarray(inputs[2].value, dtype=np.float64) * float(attrs.get("beta", 1.0))
            if bias.size == 1 and weight.shape[0] != 1:
                bias = np.full(weight.shape[0], float(bias.reshape(-1)[0]))
        result = self._add_dense(node, data, weight, bias)
        return replace(result, pending=False)

    def _activation(self, node: Any, inputs: list[Any]) -> Data:
        name = ACTIVATIONS[node.op_type]
        data = self._as_data(node, inputs[0])
        if data.kind != "dense" or data.dense != len(self.dense):
            raise _refuse(node, f"{node.op_type} on {data.kind}; activations follow a dense layer")
        last = self.dense[-1]
        if last.activation != "identity":
            raise _refuse(node, f"a second activation after {last.activation}")
        if name == "softmax":
            axis = int(_attributes(node).get("axis", -1))
            if axis % len(data.axes) != len(data.axes) - 1:
                raise _refuse(node, f"softmax over axis {axis}, not the features")
        self.dense[-1] = Dense(last.weight, last.bias, name)
        return replace(data, pending=False)

    _op_Softmax = _op_Tanh = _op_Sigmoid = _op_Relu = _activation  # noqa: N815

    # -- the end: outputs, states, lengths ---------------------------------------------------

    def _finish(self) -> Chain:
        top = len(self.layers) - 1
        y_seen = ""
        for out in self.graph.output:
            value = self.values.get(out.name)
            name = f"graph output {out.name!r}"
            if isinstance(value, Data) and value.kind != "states":
                value = self._settle(_Named(name), value)
                if value.layer != top:
                    raise ModelImportError(f"{name} comes from layer {value.layer}, not the top layer {top}; "
                                           "a chain's outputs are its top layer's output, h_n, c_n and y")  # fmt: skip
            if isinstance(value, Data) and (value.kind == "dense" or (value.kind == "last" and not self.dense)):
                if value.kind == "dense" and value.dense != len(self.dense):
                    raise ModelImportError(
                        f"{name} is dense layer {value.dense} of {len(self.dense)}; only the last is y"
                    )
                if y_seen:
                    raise ModelImportError(f"{name} and {y_seen!r} are both final outputs; a chain has one y")
                y_seen = out.name
                self.plan.outputs.append((out.name, "y", replace(value, axes=self.axes(value))))
            elif isinstance(value, Data) and value.kind in ("seq", "y"):
                if value.kind == "y":
                    if value.dirs != self.layers[top].direction_names:
                        raise ModelImportError(f"{name} holds some directions of layer {top} only")
                    self._set_merge(_Named(name), top, "concat")
                self.plan.outputs.append((out.name, "output", replace(value, axes=self.axes(value))))
            elif isinstance(value, Data) and value.kind == "states":
                field_name = "c_n" if value.cell else "h_n"
                self.plan.outputs.append((out.name, field_name, replace(value, axes=self.axes(value))))
            else:
                what = value.kind if isinstance(value, Data) else type(value).__name__
                raise ModelImportError(f"{name} is {what}, which is none of the chain's output, h_n, c_n or y")
        self._check_states_out()
        readout = "sequence"
        for _, field_name, value in self.plan.outputs:
            if field_name == "y":
                readout = value.base if value.kind == "dense" else "last"
        self._inputs()
        merges = tuple(m or "concat" for m in self.merges)
        return Chain(tuple(self.layers), merges, self.embedding, tuple(self.dense), readout)

    def _check_states_out(self) -> None:
        """State outputs: every slot in chain order is ``h_n``/``c_n``; some slots only are kept out of it."""
        for cell in (False, True):
            field_name = "c_n" if cell else "h_n"
            states = [(n, v) for n, f, v in self.plan.outputs if f == field_name]
            if not states:
                continue
            want = tuple((i, d) for i, layer in enumerate(self.layers) for d in layer.direction_names
                         if not cell or layer.cell == "lstm")  # fmt: skip
            got = tuple(s for _, v in states for s in v.slots)
            if got == want:
                continue
            if len(set(got)) != len(got) or not set(got) <= set(want):
                raise ModelImportError(f"graph output(s) {[n for n, _ in states]} hold state slots {list(got)}; "
                                       f"each of the chain's slots {list(want)} at most once")  # fmt: skip
            self.plan.outputs = [(n, "" if f == field_name else f, v) for n, f, v in self.plan.outputs]

    def _inputs(self) -> None:
        if not self.plan.data_input:
            raise ModelImportError("the graph has no sequence input reaching the recurrent layers")
        names = {v: k for k, v in self.bind.items()}
        self.plan.data_axes = "".join(self.bind.get(f"{self.plan.data_input}:a{i}", "F")
                                      for i in range(2 if self.plan.tokens else 3))  # fmt: skip
        if sorted(self.plan.data_axes) != sorted("TB" if self.plan.tokens else "TBF"):
            raise ModelImportError(f"input {self.plan.data_input!r}: its axes could not all be told apart ({names})")
        for vi in self.graph.input:
            if vi.name == self.plan.data_input:
                self.plan.data_float64 = vi.type.tensor_type.elem_type == 11
        lengths = set(self.layer_lengths)
        if len(lengths) > 1:
            raise ModelImportError(f"layers read different sequence_lens {self.layer_lengths}; a chain has one lengths")
        self.plan.lengths = lengths.pop()
        self.plan.h0 = self._initial(self.h_init, "initial_h", [lay.direction_names for lay in self.layers])
        lstm = [lay.direction_names for lay in self.layers if lay.cell == "lstm"]
        self.plan.c0 = self._initial(self.c_init, "initial_c", lstm)

    def _initial(self, given: list[Rows | None], what: str, dirs: list[tuple[str, ...]]) -> list[Any]:
        if all(g is None for g in given):
            return []
        if any(g is None for g in given):
            raise ModelImportError(f"some layers read {what} from the graph and others start from zeros; "
                                   "a chain's initial state covers every layer")  # fmt: skip
        plan, offset = [], 0
        for rows, names in zip(given, dirs, strict=True):
            assert rows is not None
            slots = tuple(range(offset, offset + len(names)))
            local = tuple(range(len(names)))
            if rows.rows not in (slots, local, ()):
                raise ModelImportError(f"{what} of layer {len(plan)} reads rows {list(rows.rows)} of "
                                       f"{rows.name!r}, not its own state slots {list(slots)}")  # fmt: skip
            plan.append((rows.name, rows.rows or local, rows.layout))
            offset += len(names)
        return plan


@dataclass(frozen=True)
class _Named:
    """Stands in for a node in messages about graph outputs."""

    name: str
    op_type: str = "graph"
    domain: str = ""


def _attributes(node: Any) -> dict[str, Any]:
    from onnx import helper, numpy_helper

    values = {}
    for attribute in node.attribute:
        value = helper.get_attribute_value(attribute)
        if hasattr(value, "dims"):
            value = numpy_helper.to_array(value)
        values[attribute.name] = value
    return values


def _is(const: Const, number: float) -> bool:
    value = np.asarray(const.value)
    return value.size == 1 and float(value.reshape(-1)[0]) == number

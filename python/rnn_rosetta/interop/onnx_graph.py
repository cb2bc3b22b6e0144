"""Walk a whole ONNX graph into a :class:`Chain`, or refuse it naming the node.

The walker interprets every node on the way from the graph's inputs to its outputs (dead nodes are
skipped) with *symbolic* values (:mod:`rnn_rosetta.interop.onnx_values`): a **data** value says what
a tensor is in chain terms (the chain's input, layer ``l``'s raw ``Y``, its merged output, one
direction of it, its final states, the readout, the dense layers so far) and what each axis means.
The op handlers are in :mod:`rnn_rosetta.interop.onnx_ops`; this module drives them, reads the
recurrent nodes and checks, at the end, that the graph's outputs are the chain's.


Only operations whose result is exactly a chain part are accepted: glue that moves axes
(``Transpose``, ``Squeeze``, ``Unsqueeze``, ``Reshape``), direction merges (``Concat``, ``Add``,
``Mul`` and ``* 0.5``), the last step where it equals the readout (``out[-1]`` of a forward layer
without ``sequence_lens``, ``out[0]`` of a reverse one, ``h_n``), ``Gemm``/``MatMul``+``Add`` and
``Softmax``/``Tanh``/``Sigmoid``/``Relu``. Everything else raises :class:`ModelImportError`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.errors import ModelImportError
from rnn_rosetta.interop.onnx_ops import GraphOps
from rnn_rosetta.interop.onnx_values import (
    Const,
    Data,
    GraphInput,
    Named,
    Plan,
    Rows,
    Zeros,
    refuse,
    what,
)
from rnn_rosetta.model import Model

RECURRENT = {"RNN": "rnn", "LSTM": "lstm", "GRU": "gru"}
LOOPS = ("Loop", "Scan", "If")


class Walker(GraphOps):
    """Interpret the graph node by node (topological order, as ONNX requires)."""

    def __init__(self, graph: Any, read_layer: Any, opset: int | None = None) -> None:
        from onnx import numpy_helper

        self.graph = graph
        self.opset = opset  # of the default domain; None when only a GraphProto was given
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
            raise refuse(node, f"operator domain {node.domain!r} is not the standard ONNX one")
        if op in LOOPS:
            raise refuse(node, "a recurrence written as a loop (Loop/Scan/If) cannot be read; export the "
                          "recurrent module as one RNN/LSTM/GRU node")  # fmt: skip
        if op in RECURRENT:
            self._recurrent(node)
            return
        if op == "Constant":
            from onnx import helper, numpy_helper

            attr = {a.name: a for a in node.attribute}
            if "value" not in attr:
                raise refuse(node, "only Constant value= tensors are understood")
            self._set(node, Const(numpy_helper.to_array(helper.get_attribute_value(attr["value"]))))
            return
        inputs = [self._get(node, i) for i in range(len(node.input))]
        present = [v for v in inputs if v is not None]
        if present and all(isinstance(v, Const) for v in present):
            self._set(node, *self._fold(node, inputs))
            return
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            raise refuse(node, f"op {op} between the recurrent layers, embedding and dense layers is not "
                          "something a chain can express")  # fmt: skip
        result = handler(node, inputs)
        self._set(node, *(result if isinstance(result, tuple) else (result,)))

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
            raise refuse(node, f"X has {len(got)} axes, expected {len(want)}")
        for label, expected in zip(got, want, strict=True):
            if label == expected:
                continue
            if ":a" in label and expected not in self.bind.values():
                self.bind[label] = expected
                continue
            raise refuse(node, f"X's axes are {''.join(got)} where the node reads {''.join(want)}")

    def _axis(self, node: Any, data: Data, axis: int) -> int:
        rank = len(data.axes)
        if not -rank <= axis < rank:
            raise refuse(node, f"axis {axis} out of range for a {rank}-d tensor")
        return axis % rank

    def _ints(self, node: Any, value: Any, what: str) -> list[int]:
        if isinstance(value, Const):
            return [int(v) for v in np.asarray(value.value).reshape(-1)]
        raise refuse(node, f"{what} must be a constant")

    # -- the chain's input -------------------------------------------------------------------

    def _as_data(self, node: Any, value: Any) -> Data:
        if isinstance(value, Data):
            return value
        if isinstance(value, GraphInput) and not value.integer:
            if self.plan.data_input and self.plan.data_input != value.name:
                raise refuse(node, f"a second data input {value.name!r}; a chain has one input sequence")
            if value.rank != 3:
                raise refuse(node, f"input {value.name!r} has {value.rank} axes; a sequence input has 3")
            self.plan.data_input = value.name
            return Data("input", tuple(f"{value.name}:a{i}" for i in range(3)))
        raise refuse(node, f"{type(value).__name__} where a sequence tensor is read")

    # -- recurrent nodes ---------------------------------------------------------------------

    def _recurrent(self, node: Any) -> None:
        index = len(self.layers)
        x = self._settle(node, self._as_data(node, self._get(node, 0)))
        top = index - 1
        if x.kind not in ("input", "seq") or x.layer != top:
            what = "the chain's input" if x.layer < 0 else f"layer {x.layer}'s output"
            raise refuse(node, f"X is {what}, but a chain layer reads the merged output of the "
                          f"layer below it (layer {top}); branches and skips cannot be expressed")  # fmt: skip
        constants = {n: v.value for n, v in self.values.items() if isinstance(v, Const)}
        layer = self.read_layer(node, constants)
        layout = int(layer.extra.get("onnx_layout", 0))
        self._bind(node, x, ("B", "T", "F") if layout else ("T", "B", "F"))
        if x.width and x.width != layer.input_size:
            raise refuse(node, f"reads {x.width} features, but W has {layer.input_size} columns")
        if x.kind == "input" and not self.plan.tokens:
            static = self.static.get(next(k for k, v in self.bind.items() if v == "F"), layer.input_size)
            if static != layer.input_size:
                raise refuse(node, f"the input has {static} features, but W has {layer.input_size} columns")
        lengths = self._get(node, 4)
        if lengths is not None and not (isinstance(lengths, GraphInput) and lengths.integer and lengths.rank == 1):
            raise refuse(node, "sequence_lens must be a 1-d integer graph input (the chain's lengths)")
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
        raise refuse(node, f"{what} must be zeros, a graph input or rows of one (layout 0)")

    # -- the end: outputs, states, lengths ---------------------------------------------------

    def _finish(self) -> Chain:
        top = len(self.layers) - 1
        y_seen = ""
        for out in self.graph.output:
            value = self.values.get(out.name)
            name = f"graph output {out.name!r}"
            if isinstance(value, Data) and value.kind != "states":
                value = self._settle(Named(name), value)
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
                    self._set_merge(Named(name), top, "concat")
                self.plan.outputs.append((out.name, "output", replace(value, axes=self.axes(value))))
            elif isinstance(value, Data) and value.kind == "states":
                field_name = "c_n" if value.cell else "h_n"
                self.plan.outputs.append((out.name, field_name, replace(value, axes=self.axes(value))))
            else:
                kind = what(value) if isinstance(value, Data) else type(value).__name__
                raise ModelImportError(f"{name} is {kind}, which is none of the chain's output, h_n, c_n or y")
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
        for raw, label in self.bind.items():
            if label in ("T", "B") and raw in self.static:
                self.plan.fixed[label] = self.static[raw]
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

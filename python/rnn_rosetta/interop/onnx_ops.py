"""The op handlers of the ONNX graph walk: glue, direction merges, readouts, dense layers.

:class:`GraphOps` is the half of :class:`rnn_rosetta.interop.onnx_graph.Walker` that interprets one
node at a time: ``_op_<OpType>(node, inputs) -> value``. Each accepts only what is exactly a chain
part and raises :class:`ModelImportError` naming the node otherwise.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from rnn_rosetta.chain import Dense, Embedding
from rnn_rosetta.interop.onnx_values import (
    Const,
    Data,
    GraphInput,
    Plan,
    Rows,
    ShapeV,
    Zeros,
    attributes,
    is_number,
    refuse,
    what,
)
from rnn_rosetta.model import Model

ACTIVATIONS = {"Softmax": "softmax", "Tanh": "tanh", "Sigmoid": "sigmoid", "Relu": "relu"}


class GraphOps:
    """Op handlers; the walker provides the state and the axis helpers declared here."""

    graph: Any
    layers: list[Model]
    merges: list[str | None]
    layer_lengths: list[str]
    embedding: Embedding | None
    dense: list[Dense]
    plan: Plan
    static: dict[str, int]
    opset: int | None

    def axes(self, data: Data) -> tuple[str, ...]:
        raise NotImplementedError

    def _size(self, data: Data, label: str) -> int | None:
        raise NotImplementedError

    def _axis(self, node: Any, data: Data, axis: int) -> int:
        raise NotImplementedError

    def _ints(self, node: Any, value: Any, what: str) -> list[int]:
        raise NotImplementedError

    def _as_data(self, node: Any, value: Any) -> Data:
        raise NotImplementedError

    # -- glue --------------------------------------------------------------------------------

    def _op_Identity(self, node: Any, inputs: list[Any]) -> Any:
        return inputs[0]

    def _op_Dropout(self, node: Any, inputs: list[Any]) -> Any:
        if len(node.output) > 1 and node.output[1] in self._used():
            raise refuse(node, "its mask is used; only inference-mode Dropout (identity) is understood")
        if len(inputs) > 2 and inputs[2] is not None and not (isinstance(inputs[2], Const) and not inputs[2].value):
            raise refuse(node, "training_mode is not a constant false")
        return inputs[0]

    def _used(self) -> set[str]:
        return {name for n in self.graph.node for name in n.input} | {o.name for o in self.graph.output}

    def _op_Cast(self, node: Any, inputs: list[Any]) -> Any:
        value = inputs[0]
        if isinstance(value, (ShapeV, Zeros)) or (isinstance(value, GraphInput) and value.integer):
            return value
        raise refuse(node, "Cast of a tensor that is not a shape, zeros or the lengths input")

    def _op_Shape(self, node: Any, inputs: list[Any]) -> Any:
        value = inputs[0]
        if isinstance(value, GraphInput):  # its axes stay unbound until a recurrent node reads the input
            labels = tuple(f"{value.name}:a{axis}" for axis in range(value.rank))
            value = Data("input", labels)
        if not isinstance(value, Data):
            raise refuse(node, "Shape of something other than a sequence tensor")
        dims = tuple(self._size(value, a) or a for a in self.axes(value))
        attrs = attributes(node)
        return ShapeV(dims[attrs.get("start", 0) : attrs.get("end", len(dims))])

    def _op_ConstantOfShape(self, node: Any, inputs: list[Any]) -> Any:
        value = attributes(node).get("value")
        if value is not None and np.any(value):
            raise refuse(node, "fills with a non-zero value; only zero initial states are understood")
        return Zeros()

    def _op_Expand(self, node: Any, inputs: list[Any]) -> Any:
        if isinstance(inputs[0], Zeros) or (isinstance(inputs[0], Const) and not np.any(inputs[0].value)):
            return Zeros()
        raise refuse(node, "Expand of something other than zeros")

    def _op_Gather(self, node: Any, inputs: list[Any]) -> Any:
        table, index = inputs[0], inputs[1]
        axis = int(attributes(node).get("axis", 0))
        if isinstance(table, Const) and isinstance(index, GraphInput) and index.integer and axis == 0:
            return self._embedding(node, table.value, index)
        if isinstance(table, ShapeV) and isinstance(index, Const):
            picked = [table.dims[int(i)] for i in np.asarray(index.value).reshape(-1)]
            return ShapeV(tuple(picked), scalar=np.asarray(index.value).ndim == 0)
        if isinstance(table, Zeros):
            return table
        data = self._as_data(node, table)
        if not isinstance(index, Const) or np.asarray(index.value).ndim > 1:
            raise refuse(node, "indices must be a constant scalar or vector")
        picks = [int(i) for i in np.asarray(index.value).reshape(-1)]
        return self._select(node, data, self._axis(node, data, axis), picks, keep=np.asarray(index.value).ndim == 1)

    def _embedding(self, node: Any, weight: np.ndarray, tokens: GraphInput) -> Data:
        if self.embedding is not None or self.plan.data_input:
            raise refuse(node, "a second input lookup; a chain has one embedding on its one input")
        if weight.ndim != 2 or weight.dtype.kind != "f" or tokens.rank != 2:
            raise refuse(node, "an embedding is Gather(float table [V, E], integer tokens [T, B])")
        self.embedding = Embedding(np.array(weight, dtype=np.float64))
        self.plan.data_input, self.plan.tokens = tokens.name, True
        return Data("input", (f"{tokens.name}:a0", f"{tokens.name}:a1", "F"), int(weight.shape[1]))

    def _op_Slice(self, node: Any, inputs: list[Any]) -> Any:
        value = inputs[0]
        starts, ends = self._ints(node, inputs[1], "starts"), self._ints(node, inputs[2], "ends")
        axes = self._ints(node, inputs[3], "axes") if len(inputs) > 3 and inputs[3] is not None else None
        steps = self._ints(node, inputs[4], "steps") if len(inputs) > 4 and inputs[4] is not None else None
        if steps is not None and any(s != 1 for s in steps):
            raise refuse(node, "steps other than 1")
        if isinstance(value, Zeros):
            return value
        if isinstance(value, ShapeV) and (axes or [0]) == [0]:
            return ShapeV(value.dims[starts[0] : ends[0]])
        if isinstance(value, GraphInput) and not value.integer and value.rank == 3 and (axes or [0]) == [0]:
            rows = self.static.get(f"{value.name}:a0")
            if rows is None:
                raise refuse(node, f"slices rows of state input {value.name!r}, whose number of rows is not fixed")
            return Rows(value.name, tuple(range(rows))[starts[0] : ends[0]])
        if isinstance(value, Rows) and (axes or [0]) == [0]:
            return Rows(value.name, value.rows[starts[0] : ends[0]])
        data = self._as_data(node, value)
        axes = list(range(len(starts))) if axes is None else axes
        if len(axes) != 1:
            raise refuse(node, "slicing more than one axis at once")
        axis = self._axis(node, data, axes[0])
        size = self._size(data, data.axes[axis])
        label = self.axes(data)[axis]
        start, end = starts[0], ends[0]
        if label == "T":
            if (start, end) in ((-1, 2**63 - 1), (-1, 2**31 - 1)) or (start == -1 and end >= 2**31 - 1):
                return self._select(node, data, axis, [-1], keep=True)
            if start == 0 and end == 1:
                return self._select(node, data, axis, [0], keep=True)
            raise refuse(node, f"slices time steps [{start}:{end}]; only the first or last step can be a readout")
        if size is None:
            raise refuse(node, f"slices axis {label} of unknown size")
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
                raise refuse(node, "a scalar index selects one entry")
        out_axes = tuple(axes)
        if label == "T":
            steps = self._size(data, data.axes[axis])
            if steps is not None and len(picks) == 1 and picks[0] in (steps - 1, -steps):
                picks = [-1 if picks[0] == steps - 1 else 0]  # a graph fixed at T steps names them by number
            if len(picks) != 1 or picks[0] not in (0, -1):
                raise refuse(node, f"picks time steps {picks}; only the first or last step can be a readout")
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
        raise refuse(node, f"selects {picks} along axis {label} of {what(data)}; that is no chain part")

    def _step(self, node: Any, data: Data, at: str) -> Data:
        """One time step of a sequence: a readout only where it equals the final state exactly."""
        if data.kind == "y":
            return replace(data, kind="step", at=at)
        if data.kind == "seq" or (data.kind == "dense" and data.base == "sequence"):
            layer = self.layers[data.layer] if data.layer >= 0 else None
            if layer is None or layer.num_directions == 2:
                raise refuse(node, "a time step of a bidirectional layer's merged output mixes the forward "
                              "final state with the reverse state after one step; read h_n (Y_h) instead")  # fmt: skip
            self._check_final(node, data.layer, layer.direction, at)
            if data.kind == "dense":
                return replace(data, base="last")
            return replace(data, kind="last")
        if data.kind == "half":
            self._check_final(node, data.layer, data.dirs[0], at)
            return replace(data, at="final")
        raise refuse(node, f"a time step of {what(data)} is no chain part")

    def _check_final(self, node: Any, layer: int, direction: str, at: str) -> None:
        if direction == "forward" and at == "last" and self.layer_lengths[layer]:
            raise refuse(node, "with sequence_lens, the last time step is padding for shorter sequences; "
                          "the readout is each sequence's own last step: read Y_h")  # fmt: skip
        if (direction, at) not in (("forward", "last"), ("reverse", "first")):
            raise refuse(node, f"the {at} step of the {direction} direction is not its final state")

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
            raise refuse(node, "a cell state (Y_c) is not a readout")
        layer = self.layers[slot[0]]
        if layer.num_directions == 1:
            axes = tuple("F" if a == "H" else a for a in data.axes)
            return Data("last", axes, data.width, slot[0])
        return Data("half", data.axes, data.width, slot[0], (slot[1],), at="final")

    def _op_Transpose(self, node: Any, inputs: list[Any]) -> Any:
        if isinstance(inputs[0], Zeros):
            return inputs[0]
        data = self._as_data(node, inputs[0])
        perm = attributes(node).get("perm", list(range(len(data.axes)))[::-1])
        return replace(data, axes=tuple(data.axes[p] for p in perm))

    def _op_Squeeze(self, node: Any, inputs: list[Any]) -> Any:
        if isinstance(inputs[0], Zeros):
            return inputs[0]
        data = self._as_data(node, inputs[0])
        axes = attributes(node).get("axes")
        if len(inputs) > 1 and inputs[1] is not None:
            axes = self._ints(node, inputs[1], "axes")
        if axes is None:
            axes = [i for i, a in enumerate(data.axes) if self._size(data, a) == 1]
        for axis in sorted((self._axis(node, data, a) for a in axes), reverse=True):
            if self._size(data, data.axes[axis]) != 1:
                raise refuse(node, f"squeezes axis {self.axes(data)[axis]}, which is not of size 1")
            data = self._select(node, data, axis, [0], keep=False)
        return data

    def _op_Unsqueeze(self, node: Any, inputs: list[Any]) -> Any:
        value = inputs[0]
        if isinstance(value, Zeros):
            return value
        if isinstance(value, ShapeV) and value.scalar:
            return ShapeV(value.dims)
        axes = attributes(node).get("axes")
        if len(inputs) > 1 and inputs[1] is not None:
            axes = self._ints(node, inputs[1], "axes")
        data = self._as_data(node, value)
        labels = list(data.axes)
        rank = len(labels) + len(axes)
        for axis in sorted(a % rank for a in axes):
            labels.insert(axis, "1")
        return replace(data, axes=tuple(labels))

    def _op_Split(self, node: Any, inputs: list[Any]) -> tuple[Any, ...]:
        """Split of a raw ``Y``'s directions or of a state stack's slots (tf2onnx's bidirectional outputs)."""
        data = self._as_data(node, inputs[0])
        attrs = attributes(node)
        axis = self._axis(node, data, int(attrs.get("axis", 0)))
        label = self.axes(data)[axis]
        size = self._size(data, data.axes[axis])
        if label not in ("D", "S") or size is None:
            raise refuse(node, f"splits axis {label}; only directions (D) or state slots (S) split into chain parts")
        sizes = attrs.get("split")
        if len(inputs) > 1 and inputs[1] is not None:
            sizes = self._ints(node, inputs[1], "split")
        count = len(node.output)
        sizes = list(sizes) if sizes is not None else [size // count] * count
        if sum(sizes) != size or len(sizes) != count:
            raise refuse(node, f"splits {size} entries into {sizes}")
        parts, start = [], 0
        for width in sizes:
            parts.append(self._select(node, data, axis, list(range(start, start + width)), keep=True))
            start += width
        return tuple(parts)

    def _op_Concat(self, node: Any, inputs: list[Any]) -> Any:
        if all(isinstance(v, (ShapeV, Const)) for v in inputs):
            dims: list[int | str] = []
            for v in inputs:
                dims.extend(v.dims if isinstance(v, ShapeV) else [int(i) for i in np.asarray(v.value).reshape(-1)])
            return ShapeV(tuple(dims))
        if all(isinstance(v, Zeros) or (isinstance(v, Const) and not np.any(v.value)) for v in inputs):
            return Zeros()
        parts = [self._as_data(node, v) for v in inputs]
        axis = self._axis(node, parts[0], int(attributes(node)["axis"]))
        label = self.axes(parts[0])[axis]
        if label == "S" and all(p.kind == "states" and p.cell == parts[0].cell for p in parts):
            slots = tuple(s for p in parts for s in p.slots)
            return replace(parts[0], slots=slots, width=max(p.width for p in parts))
        if len(parts) == 2 and label == "H":
            return self._merge(node, parts[0], parts[1], "concat")
        raise refuse(node, f"concatenates {[what(p) for p in parts]} along {label}; that is no chain part")

    def _merge(self, node: Any, first: Data, second: Data, merge: str) -> Data:
        """Two halves (forward, reverse) of one layer -> its merged output or readout."""
        if not (first.kind == second.kind == "half" and first.layer == second.layer and first.at == second.at):
            raise refuse(node, f"combines {what(first)} and {what(second)}: only the two directions of one layer "
                          "merge (concat, sum, mul, ave)")  # fmt: skip
        if self.axes(first) != self.axes(second) or {first.dirs[0], second.dirs[0]} != {"forward", "reverse"}:
            raise refuse(node, "combines two halves that are not the forward and reverse direction of one layer")
        if merge == "concat" and first.dirs[0] != "forward":
            raise refuse(node, "concatenates [reverse, forward]; the chain's concat is [forward, reverse]")
        layer = first.layer
        width = 2 * first.width if merge == "concat" else first.width
        axes = tuple("F" if a == "H" else a for a in first.axes)
        kind = "last" if first.at == "final" else "seq"
        if merge != "sum":
            self._set_merge(node, layer, merge)
        return Data(kind, axes, width, layer, merge="sum" if merge == "sum" else "")

    def _set_merge(self, node: Any, layer: int, merge: str) -> None:
        if self.merges[layer] not in (None, merge):
            raise refuse(node, f"merges layer {layer}'s directions by {merge}, but elsewhere by {self.merges[layer]}")
        self.merges[layer] = merge

    def _settle(self, node: Any, data: Data) -> Data:
        """A pending ``sum`` merge used as it is."""
        if data.merge == "sum":
            self._set_merge(node, data.layer, "sum")
            return replace(data, merge="")
        return data

    def _shape_product(self, node: Any, a: ShapeV | Const, b: ShapeV | Const) -> ShapeV:
        """Sizes multiplied (``D * H`` when an exporter computes a merged width from shapes)."""
        left = a.dims if isinstance(a, ShapeV) else tuple(int(v) for v in np.asarray(a.value).reshape(-1))
        right = b.dims if isinstance(b, ShapeV) else tuple(int(v) for v in np.asarray(b.value).reshape(-1))
        if len(left) != len(right) or not all(isinstance(v, int) for v in (*left, *right)):
            raise refuse(node, f"multiplies shapes {list(left)} and {list(right)} of unknown sizes")
        return ShapeV(tuple(int(x) * int(y) for x, y in zip(left, right, strict=True)))

    def _op_Reshape(self, node: Any, inputs: list[Any]) -> Any:
        if isinstance(inputs[0], Zeros):
            return inputs[0]
        if isinstance(inputs[0], ShapeV):
            return ShapeV(inputs[0].dims)
        data = self._settle(node, self._as_data(node, inputs[0]))
        shape = inputs[1]
        if isinstance(shape, Const):
            entries: list[int | str] = [int(v) for v in np.asarray(shape.value).reshape(-1)]
        elif isinstance(shape, ShapeV):
            entries = list(shape.dims)
        else:
            raise refuse(node, "the target shape is neither a constant nor computed from shapes")
        return self._regroup(node, data, entries, bool(attributes(node).get("allowzero", 0)))

    def _regroup(self, node: Any, data: Data, entries: list[int | str], allowzero: bool) -> Data:
        """Reshape as a regrouping of axes: T and B stay whole; D,H (or S,H of one layer) become F."""
        labels = list(self.axes(data))
        sizes = [self._size(data, a) for a in labels]
        entries = [labels[i] if e == 0 and not allowzero and i < len(labels) else e for i, e in enumerate(entries)]
        if sum(1 for e in entries if e == -1) > 1:
            raise refuse(node, "more than one -1 in the target shape")
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
                raise refuse(node, f"the target shape puts {entry} where the tensor has {labels[pos:]}")
            product = 1
            while product < entry and pos < len(labels):
                size = sizes[pos]
                if size is None:
                    raise refuse(node, f"a literal size {entry} where the tensor has axis {labels[pos]} of any size")
                group.append(pos)
                product *= size
                pos += 1
            if product != entry:
                raise refuse(node, f"target size {entry} does not regroup axes {labels}")
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
                        raise refuse(node, f"the target shape puts {entry} where the tensor has {labels[pos_end - 1]}")
                    tail.insert(0, [pos_end - 1])
                    pos_end -= 1
                    continue
                product, group = 1, []
                while product < entry and pos_end > head:
                    size = sizes[pos_end - 1]
                    if size is None:
                        raise refuse(node, f"a literal size {entry} where the tensor has an axis of any size")
                    group.insert(0, pos_end - 1)
                    product *= size
                    pos_end -= 1
                if product != entry:
                    raise refuse(node, f"target size {entry} does not regroup axes {labels}")
                tail.insert(0, group)
            groups.append(list(range(head, pos_end)))
            groups.extend(tail)
        else:
            groups = [take(entry) for entry in entries]
            if pos != len(labels) and any(sizes[i] != 1 for i in range(pos, len(labels))):
                raise refuse(node, "the target shape does not cover every axis")
        return self._grouped(node, data, groups)

    def _grouped(self, node: Any, data: Data, groups: list[list[int]]) -> Data:
        labels = self.axes(data)
        out: list[str] = []
        result = data
        for group in groups:
            # unit axes drop out of a group: "1", and D of a one-direction layer's raw Y
            named = [labels[i] for i in group if labels[i] != "1" and not (labels[i] == "D" and len(data.dirs) == 1)]
            if not named:
                out.append("1")
            elif len(named) == 1:
                out.append(data.axes[next(i for i in group if labels[i] == named[0])])
            elif named == ["D", "H"] and data.kind in ("y", "step"):
                if data.kind == "step" and len(data.dirs) == 2:
                    raise refuse(node, "a time step of a bidirectional layer's output is not its final state")
                if len(data.dirs) == 2 and data.dirs != ("forward", "reverse"):
                    raise refuse(node, "flattens the directions out of order")
                if len(data.dirs) == 2:
                    self._set_merge(node, data.layer, "concat")
                out.append("F")
                result = replace(result, width=len(data.dirs) * data.width)
            elif named == ["S", "H"] and data.kind == "states" and not data.cell:
                layer = data.slots[0][0]
                if data.slots != tuple((layer, d) for d in self.layers[layer].direction_names):
                    raise refuse(node, "flattens state slots that are not the directions of one layer, in order")
                if self.layers[layer].num_directions == 2:
                    self._set_merge(node, layer, "concat")
                out.append("F")
                result = Data("last", (), len(data.slots) * data.width, layer)
            else:
                raise refuse(node, f"merges axes {named} of {data.kind}; that is no chain part")
        result = replace(result, axes=tuple(out))
        if result.kind in ("y", "step") and "D" not in self.axes(result):
            merged = tuple("F" if a == "H" else a for a in result.axes)
            if result.kind == "step":
                self._check_final(node, data.layer, data.dirs[0], data.at)
                return Data("last", merged, result.width, data.layer)
            return Data("seq", merged, result.width, data.layer)
        return result

    # -- merges, dense layers, activations ---------------------------------------------------

    def _op_Add(self, node: Any, inputs: list[Any]) -> Any:
        a, b = inputs
        if isinstance(a, Data) and isinstance(b, Data):
            return self._merge(node, a, b, "sum")
        data, const = (a, b) if isinstance(a, Data) else (b, a)
        if isinstance(data, Data) and isinstance(const, Const) and data.kind == "dense" and data.pending:
            bias = np.asarray(const.value)
            width = data.width
            if bias.size != width or bias.shape[-1] != width:
                raise refuse(node, f"adds a constant of shape {list(bias.shape)} to {width} dense outputs")
            last = self.dense[-1]
            self.dense[-1] = Dense(last.weight, np.array(bias.reshape(-1), dtype=np.float64), last.activation)
            return replace(data, pending=False)
        raise refuse(node, "Add of something other than two directions or a dense layer's bias")

    def _op_Mul(self, node: Any, inputs: list[Any]) -> Any:
        a, b = inputs
        if isinstance(a, (ShapeV, Const)) and isinstance(b, (ShapeV, Const)):
            return self._shape_product(node, a, b)
        if isinstance(a, Data) and isinstance(b, Data):
            return self._merge(node, a, b, "mul")
        data, const = (a, b) if isinstance(a, Data) else (b, a)
        if isinstance(data, Data) and isinstance(const, Const) and data.merge == "sum" and is_number(const, 0.5):
            self._set_merge(node, data.layer, "ave")
            return replace(data, merge="")
        raise refuse(node, "Mul of something other than two directions (mul) or their sum by 0.5 (ave)")

    def _op_Div(self, node: Any, inputs: list[Any]) -> Any:
        data, const = inputs
        if isinstance(data, Data) and isinstance(const, Const) and data.merge == "sum" and is_number(const, 2.0):
            self._set_merge(node, data.layer, "ave")
            return replace(data, merge="")
        raise refuse(node, "Div of something other than the sum of two directions by 2 (ave)")

    def _dense_input(self, node: Any, value: Any) -> Data:
        data = self._settle(node, self._as_data(node, value))
        if data.kind == "dense":
            if data.pending:
                data = replace(data, pending=False)
            if data.dense != len(self.dense):
                raise refuse(node, "a second branch of dense layers")
            return data
        if data.kind == "input":
            raise refuse(node, "multiplies the chain's input before any recurrent layer: an unrolled recurrence "
                         "or a dense layer on the input cannot be expressed")  # fmt: skip
        if data.kind not in ("seq", "last"):
            raise refuse(node, f"a dense layer on {what(data)}; it reads the merged output "
                          "or the readout of the top layer")  # fmt: skip
        if self.dense:
            raise refuse(node, "a second branch of dense layers")
        if self.axes(data)[-1] != "F":
            raise refuse(node, f"multiplies axis {self.axes(data)[-1]}; dense layers act on the features")
        base = "last" if data.kind == "last" else "sequence"
        return Data("dense", data.axes, data.width, data.layer, base=base)

    def _add_dense(self, node: Any, data: Data, weight: np.ndarray, bias: np.ndarray | None) -> Data:
        if weight.ndim != 2 or weight.shape[1] != data.width or weight.dtype.kind != "f":
            raise refuse(node, f"weight of shape {list(weight.shape)} does not take {data.width} features")
        out = int(weight.shape[0])
        pending = bias is None
        bias = np.zeros(out) if bias is None else np.asarray(bias, dtype=np.float64).reshape(-1)
        if bias.size != out:
            raise refuse(node, f"bias of {bias.size} values for {out} outputs")
        self.dense.append(Dense(np.array(weight, dtype=np.float64), np.array(bias, dtype=np.float64), "identity"))
        return replace(data, width=out, dense=len(self.dense), pending=pending)

    def _op_MatMul(self, node: Any, inputs: list[Any]) -> Any:
        if not isinstance(inputs[1], Const):
            raise refuse(node, "MatMul by something other than a constant weight")
        data = self._dense_input(node, inputs[0])
        return self._add_dense(node, data, np.asarray(inputs[1].value).T, None)

    def _op_Gemm(self, node: Any, inputs: list[Any]) -> Any:
        attrs = attributes(node)
        if attrs.get("transA", 0) or not isinstance(inputs[1], Const):
            raise refuse(node, "only Gemm(features, constant weight, constant bias) without transA is a dense layer")
        data = self._dense_input(node, inputs[0])
        if len(self.axes(data)) != 2:
            raise refuse(node, "Gemm on a tensor that is not 2-d")
        weight = np.asarray(inputs[1].value, dtype=np.float64)
        weight = weight if attrs.get("transB", 0) else weight.T
        weight = weight * float(attrs.get("alpha", 1.0)) if attrs.get("alpha", 1.0) != 1.0 else weight
        bias = None
        if len(inputs) > 2 and inputs[2] is not None:
            if not isinstance(inputs[2], Const):
                raise refuse(node, "C must be a constant bias")
            bias = np.asarray(inputs[2].value, dtype=np.float64) * float(attrs.get("beta", 1.0))
            if bias.size == 1 and weight.shape[0] != 1:
                bias = np.full(weight.shape[0], float(bias.reshape(-1)[0]))
        result = self._add_dense(node, data, weight, bias)
        return replace(result, pending=False)

    def _activation(self, node: Any, inputs: list[Any]) -> Data:
        name = ACTIVATIONS[node.op_type]
        data = self._as_data(node, inputs[0])
        if data.kind != "dense" or data.dense != len(self.dense):
            raise refuse(node, f"{node.op_type} on {what(data)}; activations follow a dense layer")
        last = self.dense[-1]
        if last.activation != "identity":
            raise refuse(node, f"a second activation after {last.activation}")
        if name == "softmax":
            given = attributes(node).get("axis")
            if given is None and self.opset is None and len(data.axes) > 2:
                raise refuse(node, "no axis and no opset: before opset 13 Softmax spans axes 1.., after it the last")
            axis = int(given) if given is not None else (1 if (self.opset or 13) < 13 else -1)
            if axis % len(data.axes) != len(data.axes) - 1:
                raise refuse(node, f"softmax over axis {axis}, not the features")
        self.dense[-1] = Dense(last.weight, last.bias, name)
        return replace(data, pending=False)

    _op_Softmax = _op_Tanh = _op_Sigmoid = _op_Relu = _activation

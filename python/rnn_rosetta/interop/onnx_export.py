"""Export a :class:`Model` or a :class:`Chain` to an ONNX graph that ONNX Runtime (or ``onnx.reference``) runs.

The whole chain goes out, and :func:`rnn_rosetta.interop.model_from_onnx` reads it back exactly:

- an embedding: ``Gather(embedding, tokens)`` (graph input ``tokens [T, B]`` int64, else ``x [T, B, I]``);
- one ONNX ``RNN``/``LSTM``/``GRU`` node per layer (node ``layer{l}``). Its ``Y [T, D, B, H]`` is
  transposed to ``[T, B, D, H]``; ``concat`` reshapes that to ``[T, B, D*H]``; ``sum``/``mul``/``ave``
  ``Gather`` the two directions and ``Add``/``Mul`` them (``ave``: ``Add`` then ``Mul 0.5``);
- readout ``last``: the top node's ``Y_h``, squeezed (one direction) or its two rows merged as above;
- dense layers: ``MatMul(v, W^T)`` + ``Add(b)`` and ``Softmax(axis=-1)``/``Tanh``/``Sigmoid``/``Relu``.

Gate rows are reordered from the canonical layout to ONNX's (LSTM ``i,f,g,o`` -> ``i,o,f,c``;
GRU ``r,z,n`` -> ``z,r,h``); biases become ``B = [W_b, R_b]``; peepholes ``P = [p_i, p_o, p_f]``.

Graph inputs: ``x`` or ``tokens``; optionally ``h0``/``c0`` and ``lengths [B]`` (int32). States of
equal sizes are one input ``h0 [S, B, H]`` (the v1 layout) sliced per layer; of different sizes one
input per layer ``h0_l{l} [D, B, H_l]``. Outputs: ``output [T, B, W]``, ``h_n`` (or ``h_n_l{l}`` per
layer), ``c_n`` likewise when there are lstm layers, and ``y`` when the chain has one. ONNX has no
LSTM projection; such models are refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_rosetta.chain import Chain, chain_from_model
from rnn_rosetta.model import DirectionWeights, Model

OPSET = 14  # the first opset with the `layout` attribute on RNN/LSTM/GRU

# Row blocks of the canonical layout, in ONNX's gate order.
ONNX_GATE_ORDER: dict[str, tuple[int, ...]] = {
    "rnn": (0,),
    "lstm": (0, 3, 1, 2),  # i, o, f, c  <-  i, f, g, o
    "gru": (1, 0, 2),  # z, r, h  <-  r, z, n
}


def to_onnx_gates(cell: str, array: np.ndarray, hidden: int) -> np.ndarray:
    """Reorder the gate blocks (rows of ``hidden``) of ``array`` from canonical to ONNX order."""
    return np.concatenate([array[g * hidden : (g + 1) * hidden] for g in ONNX_GATE_ORDER[cell]], axis=0)


def onnx_direction_arrays(model: Model, weights: DirectionWeights) -> dict[str, np.ndarray]:
    """``W [G*H, I]``, ``R [G*H, H]``, ``B [2*G*H]`` and (peepholes) ``P [3H]`` of one direction."""
    hidden = model.hidden_size
    arrays = {
        "W": to_onnx_gates(model.cell, weights.weight_ih, hidden),
        "R": to_onnx_gates(model.cell, weights.weight_hh, hidden),
        "B": np.concatenate(
            [to_onnx_gates(model.cell, weights.bias_ih, hidden), to_onnx_gates(model.cell, weights.bias_hh, hidden)]
        ),
    }
    if model.peepholes:
        assert weights.peephole_i is not None and weights.peephole_o is not None and weights.peephole_f is not None
        arrays["P"] = np.concatenate([weights.peephole_i, weights.peephole_o, weights.peephole_f])
    return arrays


def model_to_onnx(
    model: Model | Chain,
    dtype: str = "float32",
    with_h0: bool = False,
    with_c0: bool = False,
    with_lengths: bool = False,
) -> Any:
    """An ``onnx.ModelProto`` computing ``model`` (a v1 :class:`Model` or a :class:`Chain`) in ``dtype``.

    ``dtype`` is ``float32`` or ``float64``; ``with_h0``/``with_c0``/``with_lengths`` add those graph inputs.
    """
    import onnx
    from onnx import helper

    chain = chain_from_model(model) if isinstance(model, Model) else model
    if any(layer.proj_size for layer in chain.layers):
        raise ValueError("ONNX has no LSTM projection (proj_size); this model cannot be exported")
    builder = _Builder(chain, dtype)
    builder.inputs(with_h0, with_c0, with_lengths)
    builder.layers()
    builder.readout_and_dense()
    graph = helper.make_graph(
        builder.nodes, "rnn_rosetta", builder.graph_inputs, builder.graph_outputs, initializer=builder.initializers
    )
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="rnn-rosetta")
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model)
    return onnx_model


class _Builder:
    """Collects the nodes, initializers, inputs and outputs of one exported chain."""

    def __init__(self, chain: Chain, dtype: str) -> None:
        from onnx import TensorProto

        self.chain = chain
        self.elem = {"float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE}[dtype]
        self.np_dtype = np.dtype(dtype)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.graph_inputs: list[Any] = []
        self.graph_outputs: list[Any] = []
        self.state_inputs: dict[str, bool] = {}
        self.lengths = ""
        self.sequence = ""  # the name of the current merged sequence [T, B, W]
        self.y_h: list[str] = []
        self.y_c: list[str] = []

    def constant(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.array(value, order="C"), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attributes: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [output], **attributes))
        return output

    def value_info(self, name: str, elem: int, shape: list[Any]) -> Any:
        from onnx import helper

        return helper.make_tensor_value_info(name, elem, shape)

    # -- inputs ------------------------------------------------------------------------------

    def inputs(self, with_h0: bool, with_c0: bool, with_lengths: bool) -> None:
        from onnx import TensorProto

        chain = self.chain
        if chain.embedding is not None:
            self.graph_inputs.append(self.value_info("tokens", TensorProto.INT64, ["T", "B"]))
            table = self.constant("embedding", chain.embedding.weight.astype(self.np_dtype))
            self.sequence = self.node("Gather", [table, "tokens"], "embedded")
        else:
            self.graph_inputs.append(self.value_info("x", self.elem, ["T", "B", chain.input_size]))
            self.sequence = "x"
        for state, given, sizes in (("h0", with_h0, chain.state_sizes), ("c0", with_c0, chain.cell_state_sizes)):
            if not given or not sizes:
                continue
            uniform = len(set(sizes)) == 1
            self.state_inputs[state] = uniform
            if uniform:
                self.graph_inputs.append(self.value_info(state, self.elem, [len(sizes), "B", sizes[0]]))
                continue
            cells = [layer for layer in chain.layers if state == "h0" or layer.cell == "lstm"]
            for index, layer in enumerate(chain.layers):
                if layer in cells:
                    size = layer.output_size if state == "h0" else layer.hidden_size
                    shape = [layer.num_directions, "B", size]
                    self.graph_inputs.append(self.value_info(f"{state}_l{index}", self.elem, shape))
        if with_lengths:
            self.graph_inputs.append(self.value_info("lengths", TensorProto.INT32, ["B"]))
            self.lengths = "lengths"

    def _initial(self, state: str, index: int, offset: int, dirs: int) -> str:
        if state not in self.state_inputs:
            return ""
        if not self.state_inputs[state]:
            return f"{state}_l{index}"
        start = self.constant(f"l{index}_{state}_start", np.array([offset], dtype=np.int64))
        end = self.constant(f"l{index}_{state}_end", np.array([offset + dirs], dtype=np.int64))
        axes = self.constant(f"l{index}_{state}_axes", np.array([0], dtype=np.int64))
        return self.node("Slice", [state, start, end, axes], f"l{index}_{state}")

    # -- layers ------------------------------------------------------------------------------

    def layers(self) -> None:
        from onnx import helper

        h_offset = c_offset = 0
        for index, (layer, merge) in enumerate(zip(self.chain.layers, self.chain.merges, strict=True)):
            dirs = layer.num_directions
            per_direction = [onnx_direction_arrays(layer, w) for _, w in layer.layers[0].directions()]
            names = {
                key: self.constant(f"l{index}_{key}", np.stack([d[key] for d in per_direction]).astype(self.np_dtype))
                for key in per_direction[0]
            }
            node_inputs = [self.sequence, names["W"], names["R"], names["B"], self.lengths]
            node_inputs.append(self._initial("h0", index, h_offset, dirs))
            if layer.cell == "lstm":
                node_inputs += [self._initial("c0", index, c_offset, dirs), names.get("P", "")]
                c_offset += dirs
            h_offset += dirs
            while node_inputs[-1] == "":
                node_inputs.pop()
            outputs = [f"l{index}_Y", f"l{index}_Yh"] + ([f"l{index}_Yc"] if layer.cell == "lstm" else [])
            attributes: dict[str, Any] = {"hidden_size": layer.hidden_size, "direction": layer.direction}
            if layer.clip is not None:
                attributes["clip"] = float(layer.clip)
            if layer.cell == "rnn":
                attributes["activations"] = [layer.nonlinearity.capitalize()] * dirs
            if layer.cell == "gru":
                attributes["linear_before_reset"] = int(layer.linear_before_reset)
            op = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[layer.cell]
            self.nodes.append(helper.make_node(op, node_inputs, outputs, name=f"layer{index}", **attributes))
            self.y_h.append(outputs[1])
            if layer.cell == "lstm":
                self.y_c.append(outputs[2])
            # Y [T, D, B, H] -> [T, B, D, H]
            moved = self.node("Transpose", [outputs[0]], f"l{index}_Yt", perm=[0, 2, 1, 3])
            if merge == "concat" or dirs == 1:
                shape = self.constant(f"l{index}_flatten", np.array([0, 0, -1], dtype=np.int64))
                self.sequence = self.node("Reshape", [moved, shape], f"l{index}_out")
            else:
                self.sequence = self._merge(f"l{index}", moved, 2, merge)

    def _merge(self, prefix: str, stacked: str, axis: int, merge: str) -> str:
        """Merge the two directions along ``axis`` of ``stacked`` by ``merge`` (concat on the last axis)."""
        halves = []
        for slot in (0, 1):
            index = self.constant(f"{prefix}_dir{slot}", np.array(slot, dtype=np.int64))
            halves.append(self.node("Gather", [stacked, index], f"{prefix}_half{slot}", axis=axis))
        if merge == "concat":
            return self.node("Concat", halves, f"{prefix}_merged", axis=-1)
        if merge == "mul":
            return self.node("Mul", halves, f"{prefix}_merged")
        total = self.node("Add", halves, f"{prefix}_sum" if merge == "ave" else f"{prefix}_merged")
        if merge == "sum":
            return total
        half = self.constant(f"{prefix}_half", np.array(0.5, dtype=self.np_dtype))
        return self.node("Mul", [total, half], f"{prefix}_merged")

    # -- readout, dense layers, outputs ------------------------------------------------------

    def readout_and_dense(self) -> None:
        chain = self.chain
        top = chain.layers[-1]
        outputs = [self.value_info("output", self.elem, ["T", "B", chain.output_width])]
        self.node("Identity", [self.sequence], "output")
        for name, names, sizes in (("h_n", self.y_h, chain.state_sizes), ("c_n", self.y_c, chain.cell_state_sizes)):
            if not names:
                continue
            if len(set(sizes)) == 1:
                self.node("Concat", names, name, axis=0)
                outputs.append(self.value_info(name, self.elem, [len(sizes), "B", sizes[0]]))
                continue
            for part in names:
                index = int(part.split("_")[0][1:])
                layer = chain.layers[index]
                size = layer.output_size if name == "h_n" else layer.hidden_size
                self.node("Identity", [part], f"{name}_l{index}")
                outputs.append(self.value_info(f"{name}_l{index}", self.elem, [layer.num_directions, "B", size]))
        value, shape = self.sequence, ["T", "B"]
        if chain.readout == "last":
            shape = ["B"]
            final = self.y_h[-1]
            if top.num_directions == 1:
                axes = self.constant("readout_axes", np.array([0], dtype=np.int64))
                value = self.node("Squeeze", [final, axes], "readout")
            else:
                value = self._merge("readout", final, 0, chain.merges[-1])
        for index, dense in enumerate(chain.dense):
            weight = self.constant(f"dense{index}_weight_t", dense.weight.T.astype(self.np_dtype))
            bias = self.constant(f"dense{index}_bias", dense.bias.astype(self.np_dtype))
            value = self.node("MatMul", [value, weight], f"dense{index}_matmul")
            value = self.node("Add", [value, bias], f"dense{index}_logits")
            if dense.activation != "identity":
                op = {"softmax": "Softmax", "tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu"}[dense.activation]
                extra = {"axis": -1} if op == "Softmax" else {}
                value = self.node(op, [value], f"dense{index}_out", **extra)
        if chain.y_size is not None:
            self.node("Identity", [value], "y")
            outputs.append(self.value_info("y", self.elem, [*shape, chain.y_size]))
        self.graph_outputs = outputs

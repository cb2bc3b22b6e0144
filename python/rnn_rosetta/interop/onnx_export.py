"""Export a :class:`Model` to an ONNX graph that ONNX Runtime (or ``onnx.reference``) can run.

One ONNX ``RNN``/``LSTM``/``GRU`` node per layer, chained: layer ``l``'s
``Y [T, D, B, H]`` is transposed and reshaped to ``[T, B, D*H]`` for layer
``l+1``. Gate rows are reordered from the canonical layout to ONNX's
(LSTM ``i,f,g,o`` -> ``i,o,f,c``; GRU ``r,z,n`` -> ``z,r,h``); biases become
``B = [W_b, R_b]``; peepholes become ``P = [p_i, p_o, p_f]``.

Graph inputs: ``x [T, B, I]``, and optionally ``h0 [L*D, B, H]``,
``c0 [L*D, B, H]``, ``lengths [B]`` (int32). Outputs: ``output [T, B, D*H]``,
``h_n [L*D, B, H]``, ``c_n`` (LSTM) and ``y [T, B, O]`` (head). ONNX has no
LSTM projection; such models are refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
    model: Model,
    dtype: str = "float32",
    with_h0: bool = False,
    with_c0: bool = False,
    with_lengths: bool = False,
) -> Any:
    """An ``onnx.ModelProto`` computing ``model``; ``dtype`` is ``float32`` or ``float64``."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    if model.proj_size:
        raise ValueError("ONNX has no LSTM projection (proj_size); this model cannot be exported")
    elem = {"float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE}[dtype]
    np_dtype = np.dtype(dtype)
    op_type = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[model.cell]
    hidden, dirs = model.hidden_size, model.num_directions
    slots = model.num_layers * dirs

    def constant(name: str, value: np.ndarray) -> Any:
        return numpy_helper.from_array(np.ascontiguousarray(value), name)

    inputs = [helper.make_tensor_value_info("x", elem, ["T", "B", model.input_size])]
    if with_h0:
        inputs.append(helper.make_tensor_value_info("h0", elem, [slots, "B", hidden]))
    if with_c0:
        inputs.append(helper.make_tensor_value_info("c0", elem, [slots, "B", hidden]))
    if with_lengths:
        inputs.append(helper.make_tensor_value_info("lengths", TensorProto.INT32, ["B"]))
    nodes: list[Any] = []
    initializers = [constant("flatten_shape", np.array([0, 0, -1], dtype=np.int64))]
    layer_input = "x"
    h_outputs, c_outputs = [], []
    for index, layer in enumerate(model.layers):
        per_direction = [onnx_direction_arrays(model, w) for _, w in layer.directions()]
        names = {}
        for key in per_direction[0]:
            names[key] = f"l{index}_{key}"
            initializers.append(constant(names[key], np.stack([d[key] for d in per_direction]).astype(np_dtype)))
        state_inputs = {}
        for state, given in (("h0", with_h0), ("c0", with_c0)):
            if given:
                bounds = (f"l{index}_{state}_start", f"l{index}_{state}_end")
                initializers.append(constant(bounds[0], np.array([index * dirs], dtype=np.int64)))
                initializers.append(constant(bounds[1], np.array([(index + 1) * dirs], dtype=np.int64)))
                initializers.append(constant(f"l{index}_{state}_axes", np.array([0], dtype=np.int64)))
                state_inputs[state] = f"l{index}_{state}"
                nodes.append(
                    helper.make_node("Slice", [state, *bounds, f"l{index}_{state}_axes"], [state_inputs[state]])
                )
        node_inputs = [
            layer_input,
            names["W"],
            names["R"],
            names["B"],
            "lengths" if with_lengths else "",
            state_inputs.get("h0", ""),
        ]
        if model.cell == "lstm":
            node_inputs += [state_inputs.get("c0", ""), names.get("P", "")]
        while node_inputs and node_inputs[-1] == "":
            node_inputs.pop()
        outputs = [f"l{index}_Y", f"l{index}_Yh"] + ([f"l{index}_Yc"] if model.cell == "lstm" else [])
        attributes: dict[str, Any] = {"hidden_size": hidden, "direction": model.direction}
        if model.clip is not None:
            attributes["clip"] = float(model.clip)
        if model.cell == "rnn":
            attributes["activations"] = [model.nonlinearity.capitalize()] * dirs
        if model.cell == "gru":
            attributes["linear_before_reset"] = int(model.linear_before_reset)
        nodes.append(helper.make_node(op_type, node_inputs, outputs, name=f"layer{index}", **attributes))
        # Y [T, D, B, H] -> [T, B, D, H] -> [T, B, D*H]
        nodes.append(helper.make_node("Transpose", [f"l{index}_Y"], [f"l{index}_Yt"], perm=[0, 2, 1, 3]))
        nodes.append(helper.make_node("Reshape", [f"l{index}_Yt", "flatten_shape"], [f"l{index}_out"]))
        layer_input = f"l{index}_out"
        h_outputs.append(f"l{index}_Yh")
        c_outputs.append(f"l{index}_Yc")
    nodes.append(helper.make_node("Identity", [layer_input], ["output"]))
    nodes.append(helper.make_node("Concat", h_outputs, ["h_n"], axis=0))
    outputs = [
        helper.make_tensor_value_info("output", elem, ["T", "B", dirs * hidden]),
        helper.make_tensor_value_info("h_n", elem, [slots, "B", hidden]),
    ]
    if model.cell == "lstm":
        nodes.append(helper.make_node("Concat", c_outputs, ["c_n"], axis=0))
        outputs.append(helper.make_tensor_value_info("c_n", elem, [slots, "B", hidden]))
    if model.head is not None:
        initializers.append(constant("head_weight_t", model.head.weight.T.astype(np_dtype)))
        initializers.append(constant("head_bias", model.head.bias.astype(np_dtype)))
        nodes.append(helper.make_node("MatMul", ["output", "head_weight_t"], ["head_matmul"]))
        logits = "head_logits" if model.head.activation == "softmax" else "y"
        nodes.append(helper.make_node("Add", ["head_matmul", "head_bias"], [logits]))
        if model.head.activation == "softmax":
            nodes.append(helper.make_node("Softmax", [logits], ["y"], axis=-1))
        outputs.append(helper.make_tensor_value_info("y", elem, ["T", "B", model.head.size]))
    graph = helper.make_graph(nodes, "rnn_rosetta", inputs, outputs, initializer=initializers)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="rnn-rosetta")
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model)
    return onnx_model

"""Import whole ONNX graphs as a :class:`Chain` (or a one-layer :class:`Model`), and run them for expected values.

:func:`model_from_onnx` walks the graph (:mod:`rnn_rosetta.interop.onnx_graph`) and reads every
recurrent node with :func:`read_layer`; :func:`onnx_expected` runs the graph with ONNX Runtime (or
``onnx.reference``) on a case and returns the chain's fields. Anything not understood raises
:class:`rnn_rosetta.ModelImportError` naming the node.

One node: its weights must be constants (initializers or ``Constant`` nodes). For
direction slot ``d`` (0 = forward, 1 = reverse; a ``reverse`` node has only
slot 0), with H = ``hidden_size`` and G = 1, 4, 3 gates:

======================  ===============  ==============================================================
ONNX input              shape            canonical (``model.layers[0].<direction>``)
======================  ===============  ==============================================================
``W``                   ``[D, G*H, I]``  ``weight_ih = gates(W[d])``
``R``                   ``[D, G*H, H]``  ``weight_hh = gates(R[d])``
``B`` (optional)        ``[D, 2*G*H]``   ``bias_ih = gates(B[d, :G*H])``, ``bias_hh = gates(B[d, G*H:])``
``P`` (LSTM, optional)  ``[D, 3*H]``     ``[p_i, p_o, p_f] = P[d]`` -> ``peephole_i/_f/_o``
======================  ===============  ==============================================================

An absent ``B`` means zero biases; a present ``P`` sets ``peepholes: true``.
``gates`` moves the row blocks (H rows each) from ONNX's gate order to the
canonical one, the inverse of :func:`rnn_rosetta.interop.onnx_export.to_onnx_gates`:

====  ===============  ============
cell  ONNX order       canonical
====  ===============  ============
rnn   ``h``            ``h``
lstm  ``i, o, f, c``   ``i, f, g, o``
gru   ``z, r, h``      ``r, z, n``
====  ===============  ============

Attributes: ``hidden_size`` (checked against ``R``), ``direction`` (same
names), ``clip`` -> ``clip`` (read as the shortest decimal that rounds to the
stored float32, see :func:`float32_attribute`), ``linear_before_reset`` (GRU, default 0) ->
``linear_before_reset``. Only the default activations have a canonical
meaning: RNN ``Tanh`` or ``Relu`` (the same in every direction) ->
``nonlinearity``; LSTM ``Sigmoid, Tanh, Tanh``; GRU ``Sigmoid, Tanh``;
``activation_alpha``/``activation_beta`` are unused by these. LSTM
``input_forget`` must be 0. ``layout`` (0: ``X [T, B, I]``, ``initial_h
[D, B, H]``; 1: ``X [B, T, I]``, ``initial_h [B, D, H]``) does not touch the
weights; it is kept in ``model.extra["onnx_layout"]`` and
:func:`onnx_inputs_to_canonical` / :func:`canonical_outputs_to_onnx` convert
the tensors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from rnn_rosetta.chain import Chain, model_from_chain
from rnn_rosetta.errors import InputError, ModelImportError
from rnn_rosetta.interop.onnx_export import ONNX_GATE_ORDER
from rnn_rosetta.interop.onnx_graph import Plan, Walker
from rnn_rosetta.model import GATE_COUNT, DirectionWeights, Layer, Model
from rnn_rosetta.model_rules import check_model
from rnn_rosetta.result import Result

OP_CELLS: dict[str, str] = {"RNN": "rnn", "LSTM": "lstm", "GRU": "gru"}
# The activations each cell computes in the canonical model, per direction (lower case).
DEFAULT_ACTIVATIONS: dict[str, tuple[str, ...]] = {"lstm": ("sigmoid", "tanh", "tanh"), "gru": ("sigmoid", "tanh")}
RNN_ACTIVATIONS: dict[str, str] = {"tanh": "tanh", "relu": "relu"}
KNOWN_ATTRIBUTES = frozenset(
    {
        "activation_alpha",
        "activation_beta",
        "activations",
        "clip",
        "direction",
        "hidden_size",
        "layout",
        "input_forget",
        "linear_before_reset",
        "output_sequence",  # opset 1 only; does not change the computation
    }
)
_REQUIRED_WEIGHTS = ("W", "R")
# Input positions of the ONNX operators (LSTM adds initial_c and P).
INPUT_INDEX: dict[str, int] = {
    "X": 0,
    "W": 1,
    "R": 2,
    "B": 3,
    "sequence_lens": 4,
    "initial_h": 5,
    "initial_c": 6,
    "P": 7,
}


def from_onnx_gates(cell: str, array: np.ndarray, hidden: int) -> np.ndarray:
    """Reorder the gate blocks (rows of ``hidden``) of ``array`` from ONNX to canonical order.

    ``to_onnx_gates`` puts canonical block ``ONNX_GATE_ORDER[cell][j]`` at ONNX
    position ``j``; this puts ONNX block ``j`` back at canonical position
    ``ONNX_GATE_ORDER[cell][j]``.
    """
    order = ONNX_GATE_ORDER[cell]
    if array.shape[0] != len(order) * hidden:
        raise ModelImportError(f"expected {len(order)} gate blocks of {hidden} rows, got {array.shape[0]} rows")
    inverse = np.argsort(order)  # canonical gate g sits at ONNX position inverse[g]
    return np.concatenate([array[j * hidden : (j + 1) * hidden] for j in inverse], axis=0)


def model_from_onnx(onnx_model_or_path: Any, node_name: str | None = None) -> Model | Chain:
    """The whole ONNX graph as a :class:`Chain`, or a one-layer :class:`Model` when it is one plain layer.

    ``onnx_model_or_path``: an ``onnx.ModelProto``, a ``GraphProto``, the serialized bytes, or a path
    to a ``.onnx`` file. The graph is walked from its inputs to its outputs
    (:mod:`rnn_rosetta.interop.onnx_graph`): every RNN/LSTM/GRU node becomes a layer, a ``Gather``
    on a table an embedding, ``Gemm``/``MatMul``+``Add`` and their activation dense layers, the last
    step or ``Y_h`` the readout ``last``; anything else raises :class:`ModelImportError` naming the
    node. A graph of one recurrent layer without embedding, dense layers or readout comes back as a
    :class:`Model` (``extra``: ``onnx_layout``, ``onnx_node``, ``onnx_op``), anything else as a
    :class:`Chain`. Both record the graph's input in ``extra``: ``onnx_input_axes`` (``"TBF"``, ``"BTF"``;
    ``"TB"``/``"BT"`` for tokens), ``batch_first``, and ``input_shape`` in that layout (``None`` where
    the graph takes any size, e.g. ``[None, 6, 5]``: batch-first, fixed at 6 steps).

    ``node_name`` reads only that node, as a one-layer :class:`Model` (the rest of the graph unread).
    """
    source = onnx_model_or_path
    if isinstance(source, (bytes, bytearray, str, Path)):
        source = _model_proto(source)  # read once
    graph = _graph(source)
    if node_name is not None:
        node = _pick_node(graph, node_name)
        return read_layer(node, _constants(graph))
    chain, plan = walk_graph(graph, _opset(source))
    sizes = {"T": plan.fixed.get("T"), "B": plan.fixed.get("B"), "F": chain.input_size}
    extra: dict[str, object] = {
        "onnx_input_axes": plan.data_axes,
        "batch_first": plan.data_axes.startswith("B"),
        "input_shape": [sizes[axis] for axis in plan.data_axes],  # the graph's layout; None: any size runs
    }
    if len(chain.layers) == 1 and chain.embedding is None and not chain.dense and chain.readout == "sequence":
        model = model_from_chain(chain)
        assert model is not None
        return replace(model, extra={**chain.layers[0].extra, **extra})
    return replace(chain, extra=extra)


def walk_graph(graph: Any, opset: int | None = None) -> tuple[Chain, Plan]:
    """The graph's chain and how its inputs and outputs map to the chain's (``opset``: the default domain's)."""
    return Walker(graph, read_layer, opset).run()


def _opset(source: Any) -> int | None:
    """The default domain's opset of a model (None for a bare GraphProto)."""
    import onnx

    if isinstance(source, onnx.GraphProto):
        return None
    proto = _model_proto(source)
    versions = [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")]
    return versions[0] if versions else None


def read_layer(node: Any, constants: Mapping[str, np.ndarray]) -> Model:
    """The one-layer :class:`Model` of one ``RNN``/``LSTM``/``GRU`` node; weights from ``constants``."""
    cell = OP_CELLS[node.op_type]
    where = f"{node.op_type} node '{node.name or '(unnamed)'}'"
    attributes = _attributes(node, where)
    direction = _text(attributes.get("direction", b"forward"))
    if direction not in ("forward", "reverse", "bidirectional"):
        raise ModelImportError(f"{where}: unknown direction {direction!r}")
    dirs = 2 if direction == "bidirectional" else 1
    weights = _node_weights(constants, node, cell, where)
    hidden = _hidden_size(weights["R"], attributes, where)
    options = _options(cell, attributes, dirs, where)
    skeleton = Model(
        cell=cell,
        input_size=_input_size(weights["W"], where),
        hidden_size=hidden,
        num_layers=1,
        direction=direction,
        layers=(),
        peepholes=weights.get("P") is not None,
        **options,
    )
    arrays = _checked_arrays(skeleton, weights, where)
    directions = {
        name: _direction(skeleton, {key: value[slot] for key, value in arrays.items()})
        for slot, name in enumerate(skeleton.direction_names)
    }
    extra = {"onnx_layout": int(attributes.get("layout", 0)), "onnx_node": node.name, "onnx_op": node.op_type}
    model = Model(**{**skeleton.__dict__, "layers": (Layer(**directions),), "extra": extra})
    try:
        check_model(model)
    except ValueError as error:
        raise ModelImportError(f"{where}: {error}") from error
    return model


def onnx_expected(onnx_model_or_path: Any, case_inputs: Any) -> Result:
    """What the ONNX graph itself computes for one case, as a canonical :class:`Result` (float64).

    ``case_inputs`` is a :class:`rnn_rosetta.CaseInputs` (time-major ``x [T, B, I]`` or ``tokens
    [T, B]``, ``h0``/``c0`` as ``[S, B, H]`` or per-slot ``[B, H_k]``, ``lengths``); the graph is
    walked as :func:`model_from_onnx` walks it to learn its input layout (e.g. batch-first) and which
    graph output is ``output``, ``h_n``, ``c_n`` or ``y``. ONNX Runtime computes it; where ONNX Runtime
    has no kernel (float64 ``RNN``/``GRU``/``LSTM``, ``layout=1``), ``onnx.reference`` does, unless the
    graph uses what that evaluator ignores (``clip``, ``sequence_lens``), which raises
    :class:`ModelImportError`. Only the fields the graph outputs are filled.
    """
    proto = _model_proto(onnx_model_or_path)
    chain, plan = walk_graph(proto.graph, _opset(proto))
    feeds = _feeds(proto.graph, chain, plan, case_inputs)
    outputs = _run(proto, feeds)
    return _result(chain, plan, outputs)


def _model_proto(source: Any) -> Any:
    import onnx

    if isinstance(source, onnx.ModelProto):
        return source
    if isinstance(source, (bytes, bytearray)):
        return onnx.load_from_string(bytes(source))
    if isinstance(source, (str, Path)):
        return onnx.load(str(source))
    raise ModelImportError(f"expected an onnx.ModelProto, bytes or a path, got {type(source).__name__}")


def _elem_types(graph: Any) -> dict[str, np.dtype]:
    from onnx import helper

    return {vi.name: np.dtype(helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)) for vi in graph.input}


def _slots(states: Any, sizes: tuple[int, ...], batch: int) -> list[np.ndarray]:
    if states is None:
        return [np.zeros((batch, size)) for size in sizes]
    if isinstance(states, np.ndarray):
        return [np.asarray(states[k], dtype=np.float64) for k in range(states.shape[0])]
    return [np.asarray(s, dtype=np.float64) for s in states]


def _feeds(graph: Any, chain: Chain, plan: Plan, case: Any) -> dict[str, np.ndarray]:
    types = _elem_types(graph)
    given = case.tokens if getattr(case, "tokens", None) is not None else case.x
    data = np.asarray(given)
    steps, batch = int(data.shape[0]), int(data.shape[1])
    canonical = "TB" if plan.tokens else "TBF"
    feeds = {plan.data_input: data.transpose([canonical.index(a) for a in plan.data_axes])}
    if plan.lengths:
        lengths = case.lengths if case.lengths is not None else np.full(batch, steps)
        feeds[plan.lengths] = np.asarray(lengths)
    elif case.lengths is not None and np.any(np.asarray(case.lengths) != steps):
        # the graph would run every sequence to T: a different answer, never a silent one
        raise InputError("the case has uneven lengths, but the graph has no sequence_lens input to take them")
    for per_layer, states, sizes in ((plan.h0, case.h0, chain.state_sizes), (plan.c0, case.c0, chain.cell_state_sizes)):
        if not per_layer:
            if states is not None:
                raise ModelImportError("the case has initial states, but the graph has no input for them")
            continue
        slots = _slots(states, sizes, batch)
        rows: dict[str, dict[int, np.ndarray]] = {}
        layouts: dict[str, int] = {}
        offset = 0
        for name, picked, layout in per_layer:
            for j, row in enumerate(picked):
                rows.setdefault(name, {})[row] = slots[offset + j]
            layouts[name] = layout
            offset += len(picked)
        for name, by_row in rows.items():
            width = max(a.shape[1] for a in by_row.values())
            tensor = np.zeros((max(by_row) + 1, batch, width))
            for row, array in by_row.items():
                tensor[row] = array
            feeds[name] = tensor.transpose(1, 0, 2) if layouts[name] else tensor
    missing = [vi.name for vi in graph.input if vi.name not in feeds and vi.name not in _initializer_names(graph)]
    if missing:
        raise ModelImportError(f"graph input(s) {missing} have no part in the chain's inputs")
    return {name: np.ascontiguousarray(value, dtype=types[name]) for name, value in feeds.items()}


def _initializer_names(graph: Any) -> set[str]:
    return {t.name for t in graph.initializer}


def _run(proto: Any, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """ONNX Runtime; where it has no kernel (float64 RNN/GRU/LSTM, ``layout=1``), onnx.reference.

    The reference evaluator's RNN/LSTM/GRU ignore ``clip`` and ``sequence_lens`` (and LSTM/GRU their
    ``activations``); a graph that uses them and needs the fallback is refused, never computed wrongly.
    """
    import onnxruntime

    names = [o.name for o in proto.graph.output]
    try:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.log_severity_level = 4  # a missing kernel is handled here, not logged
        session = onnxruntime.InferenceSession(proto.SerializeToString(), options, providers=["CPUExecutionProvider"])
        return dict(zip(names, session.run(names, feeds), strict=True))
    except Exception as error:  # ORT raises its own exception types
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if not any(word in message for word in ("NOT_IMPLEMENTED", "double", "layout")):
            raise ModelImportError(f"ONNX Runtime cannot run the graph: {message}") from error
    return _run_reference(proto, feeds, names)


def _run_reference(proto: Any, feeds: dict[str, np.ndarray], names: list[str]) -> dict[str, np.ndarray]:
    """``onnx.reference``: only where its RNN/LSTM/GRU compute what the node says (it ignores some inputs)."""
    from onnx import helper
    from onnx.reference import ReferenceEvaluator

    for node in proto.graph.node:
        if node.op_type not in OP_CELLS:
            continue
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        ignored = [name for name in ("clip", "input_forget") if name in attributes]
        if len(node.input) > 4 and node.input[4]:
            ignored.append("sequence_lens")
        if node.op_type != "RNN" and "activations" in attributes:
            ignored.append("activations")
        if ignored:
            raise ModelImportError(
                f"{node.op_type} node '{node.name}': ONNX Runtime has no kernel for it, and "
                f"onnx.reference ignores {ignored}; cannot compute the expected values"
            )
    try:
        outputs = ReferenceEvaluator(proto).run(names, feeds)
    except Exception as error:  # the evaluator raises RuntimeError, ValueError, ... with one message
        raise ModelImportError(f"onnx.reference cannot run the graph either: {error}") from error
    return dict(zip(names, outputs, strict=True))


def _canonical(value: np.ndarray, axes: tuple[str, ...], order: str) -> np.ndarray:
    """``value`` with unit axes dropped and the rest put in ``order`` (e.g. ``"TBF"``)."""
    keep = [i for i, a in enumerate(axes) if a != "1"]
    value = value.reshape([value.shape[i] for i in keep])
    labels = [axes[i] for i in keep]
    return np.ascontiguousarray(value.transpose([labels.index(a) for a in order]), dtype=np.float64)


def _result(chain: Chain, plan: Plan, outputs: dict[str, np.ndarray]) -> Result:
    fields: dict[str, Any] = {}
    states: dict[str, dict[tuple[int, str], np.ndarray]] = {"h_n": {}, "c_n": {}}
    for name, field_name, value in plan.outputs:
        if field_name == "":
            continue  # some state slots only: the chain computes them, the result has no field for them
        array = np.asarray(outputs[name])
        if field_name == "y":
            fields["y"] = _canonical(array, value.axes, "TBF" if "T" in value.axes else "BF")
        elif field_name == "output" and value.kind == "y":
            split = _canonical(array, value.axes, "TBDH")
            fields["output"] = split.reshape(split.shape[0], split.shape[1], -1)
        elif field_name == "output":
            fields["output"] = _canonical(array, value.axes, "TBF")
        else:
            stacked = _canonical(array, value.axes, "SBH")
            for k, slot in enumerate(value.slots):
                states[field_name][slot] = stacked[k]
    for field_name, by_slot in states.items():
        if not by_slot:
            continue
        slots = [by_slot[slot] for slot in sorted(by_slot)]
        uniform = len({s.shape for s in slots}) == 1
        fields[field_name] = np.stack(slots) if uniform else slots
    return Result(**fields)


def onnx_inputs_to_canonical(
    x: np.ndarray, h0: np.ndarray | None = None, c0: np.ndarray | None = None, layout: int = 0
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """ONNX ``X``, ``initial_h``, ``initial_c`` -> canonical ``x [T, B, I]``, ``h0``/``c0 [D, B, H]`` (float64).

    ======  ===========  ===========================
    layout  ``X``        ``initial_h``/``initial_c``
    ======  ===========  ===========================
    0       ``[T,B,I]``  ``[D,B,H]``  (unchanged)
    1       ``[B,T,I]``  ``[B,D,H]``  (axes 0, 1 swapped)
    ======  ===========  ===========================
    """
    _check_layout(layout)

    def convert(array: np.ndarray | None) -> np.ndarray | None:
        if array is None:
            return None
        array = np.asarray(array, dtype=np.float64)
        if array.ndim != 3:
            raise ValueError(f"expected a 3-d tensor, got shape {list(array.shape)}")
        return np.ascontiguousarray(array.transpose(1, 0, 2) if layout == 1 else array)

    converted = convert(x)
    assert converted is not None
    return converted, convert(h0), convert(c0)


def canonical_outputs_to_onnx(result: Result, layout: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """A one-layer model's :class:`Result` -> ONNX ``(Y, Y_h, Y_c)``.

    ``output [T, B, D*H]`` becomes ``Y [T, D, B, H]`` (layout 0) or
    ``Y [B, T, D, H]`` (layout 1); ``h_n``/``c_n [D, B, H]`` stay (layout 0) or
    become ``[B, D, H]`` (layout 1). Padded steps are zero in both.
    """
    _check_layout(layout)
    dirs, batch, hidden = result.h_n.shape
    steps = result.output.shape[0]
    if result.output.shape != (steps, batch, dirs * hidden):
        raise ValueError(
            f"output shape {list(result.output.shape)} does not fit h_n {list(result.h_n.shape)} of one layer"
        )
    split = result.output.reshape(steps, batch, dirs, hidden)
    y = split.transpose(1, 0, 2, 3) if layout == 1 else split.transpose(0, 2, 1, 3)

    def state(array: np.ndarray | None) -> np.ndarray | None:
        if array is None:
            return None
        return np.ascontiguousarray(array.transpose(1, 0, 2) if layout == 1 else array)

    y_h = state(result.h_n)
    assert y_h is not None
    return np.ascontiguousarray(y), y_h, state(result.c_n)


# -- reading the graph ------------------------------------------------------------


def _graph(source: Any) -> Any:
    import onnx

    if isinstance(source, onnx.GraphProto):
        return source
    if isinstance(source, onnx.ModelProto):
        return source.graph
    if isinstance(source, (bytes, bytearray)):
        return onnx.load_from_string(bytes(source)).graph
    if isinstance(source, (str, Path)):
        return onnx.load(str(source)).graph
    raise ModelImportError(f"expected an onnx.ModelProto, GraphProto, bytes or a path, got {type(source).__name__}")


def _pick_node(graph: Any, node_name: str | None) -> Any:
    recurrent = [n for n in graph.node if n.op_type in OP_CELLS and n.domain in ("", "ai.onnx")]
    if not recurrent:
        raise ModelImportError("the graph has no RNN, LSTM or GRU node")
    if node_name is None:
        return recurrent[0]
    for node in recurrent:
        if node.name == node_name:
            return node
    names = [n.name for n in recurrent]
    raise ModelImportError(f"no RNN/LSTM/GRU node named {node_name!r}; the graph has {names}")


def _constants(graph: Any) -> dict[str, np.ndarray]:
    """Every constant tensor of the graph: initializers and ``Constant`` node outputs."""
    from onnx import helper, numpy_helper

    constants = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            for attribute in node.attribute:
                if attribute.name == "value":
                    constants[node.output[0]] = numpy_helper.to_array(helper.get_attribute_value(attribute))
    return constants


def _node_weights(
    constants: Mapping[str, np.ndarray], node: Any, cell: str, where: str
) -> dict[str, np.ndarray | None]:
    """The constant tensors feeding ``W``, ``R``, ``B`` (and ``P``); ``None`` for an absent optional one."""
    inputs = list(node.input)
    names = ("W", "R", "B", "P") if cell == "lstm" else ("W", "R", "B")
    weights: dict[str, np.ndarray | None] = {}
    for name in names:
        index = INPUT_INDEX[name]
        tensor_name = inputs[index] if index < len(inputs) else ""
        if not tensor_name:
            if name in _REQUIRED_WEIGHTS:
                raise ModelImportError(f"{where}: input {name} is missing")
            weights[name] = None
        elif tensor_name in constants:
            weights[name] = constants[tensor_name]
        else:
            raise ModelImportError(
                f"{where}: input {name} ({tensor_name!r}) is not an initializer or Constant; "
                "weights must be stored in the graph"
            )
    return weights


def _attributes(node: Any, where: str) -> dict[str, Any]:
    from onnx import helper

    attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    unknown = sorted(attributes.keys() - KNOWN_ATTRIBUTES)
    if unknown:
        raise ModelImportError(f"{where}: unknown attribute(s) {unknown}")
    return attributes


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _check_layout(layout: int) -> None:
    if layout not in (0, 1):
        raise ModelImportError(f"layout must be 0 or 1, got {layout!r}")


# -- attributes -> options ---------------------------------------------------------


def _options(cell: str, attributes: Mapping[str, Any], dirs: int, where: str) -> dict[str, Any]:
    """``nonlinearity``, ``linear_before_reset`` and ``clip`` from the attributes; refuse the rest."""
    _check_layout(int(attributes.get("layout", 0)))
    if int(attributes.get("input_forget", 0)) != 0:
        raise ModelImportError(f"{where}: input_forget=1 (coupled input and forget gates) has no canonical form")
    activations = [_text(a).lower() for a in attributes.get("activations", [])]
    options: dict[str, Any] = {"clip": None, "linear_before_reset": True, "nonlinearity": "tanh"}
    if "clip" in attributes:
        options["clip"] = float32_attribute(attributes["clip"])
    if cell == "gru":
        options["linear_before_reset"] = bool(int(attributes.get("linear_before_reset", 0)))
    if cell == "rnn":
        options["nonlinearity"] = _rnn_nonlinearity(activations, dirs, where)
    elif activations:
        default = DEFAULT_ACTIVATIONS[cell]
        if tuple(activations) not in (default, default * dirs):
            raise ModelImportError(
                f"{where}: activations {activations} cannot be represented; only the defaults "
                f"{[a.capitalize() for a in default]} per direction are"
            )
    return options


def float32_attribute(value: float) -> float:
    """An ONNX float attribute (stored as float32) as the shortest decimal that rounds to it.

    ``clip=0.7`` is stored as ``0.699999988079071``; this reads it back as
    ``0.7``, which rounds to the same float32 (so ONNX Runtime's float32 clip is
    unchanged) and is what the author wrote whenever they wrote at most about
    seven significant digits.
    """
    return float(str(np.float32(value)))  # numpy prints the shortest round-tripping digits


def _rnn_nonlinearity(activations: list[str], dirs: int, where: str) -> str:
    if not activations:
        return "tanh"
    if len(activations) not in (1, dirs) or len(set(activations)) != 1 or activations[0] not in RNN_ACTIVATIONS:
        raise ModelImportError(
            f"{where}: activations {activations} cannot be represented; only Tanh or Relu, the same in every direction"
        )
    return RNN_ACTIVATIONS[activations[0]]


# -- initializers -> weights -------------------------------------------------------


def _hidden_size(recurrence: np.ndarray | None, attributes: Mapping[str, Any], where: str) -> int:
    assert recurrence is not None
    if recurrence.ndim != 3:
        raise ModelImportError(f"{where}: R must be [D, G*H, H], got shape {list(recurrence.shape)}")
    hidden = int(recurrence.shape[2])
    if "hidden_size" in attributes and int(attributes["hidden_size"]) != hidden:
        raise ModelImportError(
            f"{where}: hidden_size={attributes['hidden_size']} but R has shape {list(recurrence.shape)}"
        )
    return hidden


def _input_size(kernel: np.ndarray | None, where: str) -> int:
    assert kernel is not None
    if kernel.ndim != 3:
        raise ModelImportError(f"{where}: W must be [D, G*H, I], got shape {list(kernel.shape)}")
    return int(kernel.shape[2])


def _checked_arrays(model: Model, weights: Mapping[str, np.ndarray | None], where: str) -> dict[str, np.ndarray]:
    """W, R, B (zeros when absent) and P as float64, each checked against its ONNX shape."""
    dirs, hidden, rows = model.num_directions, model.hidden_size, GATE_COUNT[model.cell] * model.hidden_size
    shapes = {
        "W": (dirs, rows, model.input_size),
        "R": (dirs, rows, hidden),
        "B": (dirs, 2 * rows),
        "P": (dirs, 3 * hidden),
    }
    arrays: dict[str, np.ndarray] = {}
    for name, value in weights.items():
        if value is None:
            if name == "B":
                arrays["B"] = np.zeros(shapes["B"])
            continue
        if value.dtype.kind != "f":
            raise ModelImportError(f"{where}: {name} must hold floating-point numbers, got {value.dtype}")
        if value.shape != shapes[name]:
            raise ModelImportError(
                f"{where}: {name} must have shape {list(shapes[name])} "
                f"({model.direction}, hidden_size {hidden}), got {list(value.shape)}"
            )
        arrays[name] = np.array(value, dtype=np.float64, order="C", copy=True)
    return arrays


def _direction(model: Model, onnx: Mapping[str, np.ndarray]) -> DirectionWeights:
    """One direction slot of ``W``, ``R``, ``B``, ``P`` in the canonical layout."""
    cell, hidden = model.cell, model.hidden_size
    rows = GATE_COUNT[cell] * hidden
    peepholes: dict[str, np.ndarray] = {}
    if "P" in onnx:
        p = onnx["P"]
        peepholes = {
            "peephole_i": p[:hidden].copy(),
            "peephole_o": p[hidden : 2 * hidden].copy(),
            "peephole_f": p[2 * hidden :].copy(),
        }
    return DirectionWeights(
        weight_ih=from_onnx_gates(cell, onnx["W"], hidden),
        weight_hh=from_onnx_gates(cell, onnx["R"], hidden),
        bias_ih=from_onnx_gates(cell, onnx["B"][:rows], hidden),
        bias_hh=from_onnx_gates(cell, onnx["B"][rows:], hidden),
        **peepholes,
    )

"""Independent oracles: the libraries whose answers the fixtures hold.

- ``torch``: PyTorch ``nn.RNN``/``nn.LSTM``/``nn.GRU`` in float64. It has no
  peepholes, no clip, no Cho-style GRU and no reverse-only direction; a
  reverse-only model is run as PyTorch's forward module on each sequence
  flipped in time (then flipped back).
- ``onnx-reference``: the ONNX reference evaluator (``onnx.reference``) in
  float64. It ignores ``clip`` and ``sequence_lens`` and has no relu RNN.
- ``onnxruntime``: ONNX Runtime, float32 only (its RNN kernels have no
  float64); it honours ``clip`` and ``sequence_lens``.

None of them shares code with the backends under test: this module converts
the weight layout and hands the arithmetic to the library.

Variable lengths are given to the first two as one run per batch element on
its own valid prefix (``x[:L_b, b]``), which is exactly the semantics of the
fixture format; the head is applied by the same library to the assembled,
zero-padded output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rnn_rosetta.model import Model
from rnn_rosetta.result import Result

ORACLES: tuple[str, ...] = ("torch", "onnx-reference", "onnxruntime")

# What each oracle's answers are held to (the rule: |got - expected| <= atol + rtol*|expected|).
# float64 oracles: the backends differ from them by summation order only, a few
# ulps (at most 2e-15 seen); 1e-12 / 1e-13 leaves a factor of 50. ONNX Runtime
# computes in float32 (unit roundoff 6e-8) from float32-rounded weights and
# inputs and its error grows over the steps (at most 2.2e-7 seen on values of
# order 1); 1e-5 / 2e-6 leaves a factor of about 10.
TOLERANCES: dict[str, dict[str, float]] = {
    "torch": {"rtol": 1e-12, "atol": 1e-13},
    "onnx-reference": {"rtol": 1e-12, "atol": 1e-13},
    "onnxruntime": {"rtol": 1e-5, "atol": 2e-6},
}

Recurrent = Callable[[Model, np.ndarray, np.ndarray, "np.ndarray | None"], tuple[np.ndarray, np.ndarray, Any]]


def why_not(oracle: str, model: Model) -> str | None:
    """``None`` when ``oracle`` can compute ``model`` exactly as the format says, else why not."""
    if oracle == "torch":
        if model.peepholes:
            return "PyTorch has no peepholes"
        if model.clip is not None:
            return "PyTorch has no clip"
        if model.cell == "gru" and not model.linear_before_reset:
            return "PyTorch's GRU is linear-before-reset only"
        return None
    if oracle == "onnx-reference":
        if model.clip is not None:
            return "the ONNX reference evaluator ignores clip"
        if model.cell == "rnn" and model.nonlinearity == "relu":
            return "the ONNX reference evaluator has no Relu RNN"
        if model.proj_size:
            return "ONNX has no projection"
        return None
    if oracle == "onnxruntime":
        return "ONNX has no projection" if model.proj_size else None
    raise ValueError(f"unknown oracle {oracle!r}, expected one of {list(ORACLES)}")


def oracle_version(oracle: str) -> str:
    if oracle == "torch":
        import torch

        return f"torch {torch.__version__} float64"
    if oracle == "onnx-reference":
        import onnx

        return f"onnx {onnx.__version__} reference evaluator float64"
    import onnxruntime

    return f"onnxruntime {onnxruntime.__version__} float32"


def expected(
    oracle: str,
    model: Model,
    x: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    lengths: np.ndarray | None = None,
) -> Result:
    """The oracle's :class:`Result` for one case (float64 arrays)."""
    reason = why_not(oracle, model)
    if reason is not None:
        raise ValueError(f"oracle {oracle} cannot run {model.describe()}: {reason}")
    steps, batch, _ = x.shape
    h0 = np.zeros(model.state_shape(batch)) if h0 is None else h0
    is_lstm = model.cell == "lstm"
    if is_lstm and c0 is None:
        c0 = np.zeros(model.cell_state_shape(batch))
    if oracle == "onnxruntime":
        return _onnxruntime(model, x, h0, c0, lengths)
    recurrent = _torch_recurrent if oracle == "torch" else _onnx_reference_recurrent
    if lengths is None:
        output, h_n, c_n = recurrent(model, x, h0, c0)
    else:
        output = np.zeros((steps, batch, model.num_directions * model.output_size))
        h_n, c_n = np.zeros_like(h0), None if c0 is None else np.zeros_like(c0)
        for b, length in enumerate(lengths):
            part = recurrent(model, x[:length, b : b + 1], h0[:, b : b + 1], None if c0 is None else c0[:, b : b + 1])
            output[:length, b] = part[0][:, 0]
            h_n[:, b] = part[1][:, 0]
            if c_n is not None:
                c_n[:, b] = part[2][:, 0]
    y = None
    if model.head is not None:
        y = _torch_head(model, output) if oracle == "torch" else _onnx_reference_head(model, output)
    return Result(output=output, h_n=h_n, c_n=c_n if is_lstm else None, y=y)


# -- PyTorch --------------------------------------------------------------------


def torch_module(model: Model, direction_weights: str | None = None) -> Any:
    """A float64 ``torch.nn`` module holding ``model``'s weights.

    ``direction_weights="reverse"`` builds a unidirectional module from the
    reverse weights (for reverse-only models, run on flipped sequences).
    """
    import torch

    kind = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[model.cell]
    kwargs: dict[str, Any] = {"num_layers": model.num_layers, "bidirectional": model.direction == "bidirectional"}
    if model.cell == "rnn":
        kwargs["nonlinearity"] = model.nonlinearity
    if model.proj_size:
        kwargs["proj_size"] = model.proj_size
    module = kind(model.input_size, model.hidden_size, dtype=torch.float64, **kwargs)
    state = {}
    for index, layer in enumerate(model.layers):
        for name, weights in layer.directions():
            suffix = "_reverse" if name == "reverse" and direction_weights is None else ""
            for key, array in weights.arrays().items():
                state[f"{key}_l{index}{suffix}"] = torch.from_numpy(array.copy())
    module.load_state_dict(state, strict=True)
    return module


def _torch_recurrent(
    model: Model, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    import torch

    reverse_only = model.direction == "reverse"
    module = torch_module(model, "reverse" if reverse_only else None)
    inputs = torch.from_numpy((x[::-1] if reverse_only else x).copy())
    state: Any = torch.from_numpy(h0) if c0 is None else (torch.from_numpy(h0), torch.from_numpy(c0))
    with torch.no_grad():
        out, final = module(inputs, state)
    output = out.numpy()
    if reverse_only:
        output = output[::-1]
    if c0 is None:
        return np.ascontiguousarray(output), final.numpy(), None
    return np.ascontiguousarray(output), final[0].numpy(), final[1].numpy()


def torch_merge(merge: str, forward: Any, reverse: Any) -> Any:
    """A bidirectional layer's two halves merged in torch: concat, sum, mul or ave (the chain's merges)."""
    import torch

    if merge == "concat":
        return torch.cat([forward, reverse], dim=-1)
    if merge == "sum":
        return forward + reverse
    if merge == "mul":
        return forward * reverse
    return (forward + reverse) * 0.5


def _torch_head(model: Model, output: np.ndarray) -> np.ndarray:
    import torch

    assert model.head is not None
    logits = torch.nn.functional.linear(
        torch.from_numpy(np.ascontiguousarray(output)),  # a reverse-only model's output is a flipped view
        torch.from_numpy(model.head.weight),
        torch.from_numpy(model.head.bias),
    )
    return (torch.softmax(logits, dim=-1) if model.head.activation == "softmax" else logits).numpy()


# -- ONNX -------------------------------------------------------------------------


def _onnx_reference_recurrent(
    model: Model, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    from onnx.reference import ReferenceEvaluator

    from rnn_rosetta.interop.onnx_export import model_to_onnx

    headless = Model(**{**model.__dict__, "head": None})
    graph = model_to_onnx(headless, "float64", with_h0=True, with_c0=c0 is not None)
    feeds = {"x": x, "h0": h0} | ({} if c0 is None else {"c0": c0})
    results = ReferenceEvaluator(graph).run(None, feeds)
    return results[0], results[1], results[2] if c0 is not None else None


def _onnx_reference_head(model: Model, output: np.ndarray) -> np.ndarray:
    from onnx import TensorProto, helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    assert model.head is not None
    nodes = [helper.make_node("MatMul", ["output", "weight_t"], ["product"])]
    logits = "logits" if model.head.activation == "softmax" else "y"
    nodes.append(helper.make_node("Add", ["product", "bias"], [logits]))
    if model.head.activation == "softmax":
        nodes.append(helper.make_node("Softmax", [logits], ["y"], axis=-1))
    graph = helper.make_graph(
        nodes,
        "head",
        [helper.make_tensor_value_info("output", TensorProto.DOUBLE, None)],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, None)],
        initializer=[
            numpy_helper.from_array(np.ascontiguousarray(model.head.weight.T), "weight_t"),
            numpy_helper.from_array(model.head.bias, "bias"),
        ],
    )
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    return ReferenceEvaluator(onnx_model).run(None, {"output": output})[0]


def _onnxruntime(
    model: Model, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None, lengths: np.ndarray | None
) -> Result:
    import onnxruntime

    from rnn_rosetta.interop.onnx_export import model_to_onnx

    graph = model_to_onnx(model, "float32", with_h0=True, with_c0=c0 is not None, with_lengths=lengths is not None)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(graph.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feeds = {"x": x.astype(np.float32), "h0": h0.astype(np.float32)}
    if c0 is not None:
        feeds["c0"] = c0.astype(np.float32)
    if lengths is not None:
        feeds["lengths"] = lengths.astype(np.int32)
    names = [o.name for o in session.get_outputs()]
    values = dict(zip(names, (v.astype(np.float64) for v in session.run(None, feeds)), strict=True))
    return Result(output=values["output"], h_n=values["h_n"], c_n=values.get("c_n"), y=values.get("y"))

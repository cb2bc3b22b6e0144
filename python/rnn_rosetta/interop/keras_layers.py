"""One Keras 3 layer at a time: the recurrent, dense and activation layers as chain parts, or a refusal.

Keras stores a recurrent layer's weights input-major and gate-column-stacked; the canonical layout
(PyTorch's) is gate-row-stacked, so every kernel is transposed and GRU gate blocks are reordered:

==============================  =======================  =============================================
Keras (``cell.<name>``)         shape                    canonical (one direction)
==============================  =======================  =============================================
``kernel``                      ``[I, G*H]``             ``weight_ih = kernel.T``  ``[G*H, I]``
``recurrent_kernel``            ``[H, G*H]``             ``weight_hh = recurrent_kernel.T``
``bias`` (SimpleRNN, LSTM,      ``[G*H]``                ``bias_ih = bias``, ``bias_hh = 0``
GRU ``reset_after=False``)
``bias`` (GRU ``reset_after``)  ``[2, 3H]``              ``bias_ih = bias[0]``, ``bias_hh = bias[1]``
``use_bias=False``              (none)                   both biases zero (exact)
==============================  =======================  =============================================

Gate orders: LSTM ``i, f, c, o`` is already ours (``i, f, g, o``); GRU ``z, r, h`` becomes ``r, z, n``.
GRU ``reset_after=True`` applies the reset gate after the recurrent matmul (``linear_before_reset``);
``reset_after=False`` before it (``linear_before_reset: false``), where Keras has one bias, so
``bias_hh`` is zero. Keras has no peepholes, projection or clip.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_rosetta.chain import Dense
from rnn_rosetta.errors import ModelImportError
from rnn_rosetta.model import DirectionWeights, Layer, Model
from rnn_rosetta.model_rules import check_model

# Keras cell class name -> our cell
CELLS: dict[str, str] = {"SimpleRNNCell": "rnn", "LSTMCell": "lstm", "GRUCell": "gru"}
# Keras recurrent layer classes we read (``RNN`` wraps one of the cells above)
RECURRENT_LAYERS: tuple[str, ...] = ("SimpleRNN", "LSTM", "GRU", "RNN")
# Keras activation function name -> our dense activation
DENSE_ACTIVATIONS: dict[str, str] = {
    "linear": "identity",
    "softmax": "softmax",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "relu": "relu",
}


def refuse(layer: Any, why: str) -> ModelImportError:
    """The one-line refusal naming a layer: ``Keras layer 'lstm_1' (LSTM): why``."""
    return ModelImportError(f"Keras layer {layer.name!r} ({type(layer).__name__}): {why}")


def to_numpy(keras: Any, variable: Any) -> np.ndarray:
    """A Keras variable as a float64 C-contiguous copy (float32/float16 convert exactly)."""
    return np.ascontiguousarray(np.asarray(keras.ops.convert_to_numpy(variable), dtype=np.float64))


def activation_name(keras: Any, function: Any) -> str | None:
    """The name of a built-in Keras activation (``"tanh"``, ``"linear"``, ...) or None for any other callable."""
    for name in ("linear", "softmax", "tanh", "sigmoid", "relu"):
        if function is getattr(keras.activations, name):
            return name
    return None


def check_plain(keras: Any, layer: Any) -> None:
    """Refuse a quantized or LoRA-adapted layer: its weights are not what ``kernel`` holds."""
    policy = getattr(layer, "dtype_policy", None)
    if getattr(policy, "quantization_mode", None):
        raise refuse(layer, f"quantized ({policy.quantization_mode}) weights are not supported")
    if getattr(layer, "lora_enabled", False):
        raise refuse(layer, "LoRA-adapted weights are not supported")


def _cell_of(layer: Any) -> tuple[Any, str]:
    """The layer's cell and our cell name; refuses stacked or custom cells."""
    cell = getattr(layer, "cell", None)
    kind = type(cell).__name__
    if cell is None or kind not in CELLS or type(cell).__module__.split(".")[0] != "keras":
        raise refuse(layer, f"cell {kind} is not SimpleRNNCell, LSTMCell or GRUCell")
    return cell, CELLS[kind]


def check_recurrent(keras: Any, layer: Any) -> None:
    """Every option of a Keras recurrent layer that would change what it computes at inference."""
    if type(layer).__name__ not in RECURRENT_LAYERS or type(layer).__module__.split(".")[0] != "keras":
        raise refuse(layer, "not a Keras SimpleRNN, LSTM, GRU or RNN layer")
    check_plain(keras, layer)
    cell, kind = _cell_of(layer)
    if getattr(layer, "stateful", False):
        raise refuse(layer, "stateful=True carries states across calls; the chain starts from given states")
    if not layer.built or getattr(cell, "kernel", None) is None:
        raise refuse(layer, "the layer is not built (no weights yet)")
    activation = activation_name(keras, cell.activation)
    allowed = ("tanh", "relu") if kind == "rnn" else ("tanh",)
    if activation not in allowed:
        shown = activation or getattr(cell.activation, "__name__", "a custom function")
        raise refuse(layer, f"activation {shown} is not supported (must be {' or '.join(allowed)})")
    if kind != "rnn":
        recurrent = activation_name(keras, cell.recurrent_activation)
        if recurrent != "sigmoid":
            shown = recurrent or getattr(cell.recurrent_activation, "__name__", "a custom function")
            raise refuse(layer, f"recurrent_activation {shown} is not supported (must be sigmoid)")


def direction_weights(keras: Any, layer: Any) -> tuple[str, str, bool, DirectionWeights]:
    """``(cell, nonlinearity, linear_before_reset, weights)`` of one checked recurrent layer."""
    cell, kind = _cell_of(layer)
    kernel = to_numpy(keras, cell.kernel)  # [I, G*H]
    recurrent = to_numpy(keras, cell.recurrent_kernel)  # [H, G*H]
    units = recurrent.shape[0]
    gh = recurrent.shape[1]
    reset_after = bool(getattr(cell, "reset_after", True))
    bias_ih = np.zeros(gh)  # [G*H]
    bias_hh = np.zeros(gh)  # [G*H]
    if getattr(cell, "bias", None) is not None:
        bias = to_numpy(keras, cell.bias)  # [G*H], or [2, 3H] for GRU reset_after
        if kind == "gru" and reset_after:
            bias_ih, bias_hh = bias[0].copy(), bias[1].copy()
        else:
            bias_ih = bias.reshape(gh).copy()
    weight_ih = kernel.T  # [G*H, I]
    weight_hh = recurrent.T  # [G*H, H]
    if kind == "gru":  # Keras z, r, h -> ours r, z, n
        order = np.concatenate([np.arange(units, 2 * units), np.arange(units), np.arange(2 * units, 3 * units)])
        weight_ih, weight_hh, bias_ih, bias_hh = weight_ih[order], weight_hh[order], bias_ih[order], bias_hh[order]
    nonlinearity = activation_name(keras, cell.activation) or "tanh"
    weights = DirectionWeights(
        weight_ih=np.ascontiguousarray(weight_ih),
        weight_hh=np.ascontiguousarray(weight_hh),
        bias_ih=np.ascontiguousarray(bias_ih),
        bias_hh=np.ascontiguousarray(bias_hh),
    )
    return kind, nonlinearity, reset_after if kind == "gru" else True, weights


def one_direction(keras: Any, layer: Any, direction: str) -> Model:
    """A plain (not wrapped) recurrent layer as a one-layer model of ``direction``."""
    kind, nonlinearity, lbr, weights = direction_weights(keras, layer)
    return _checked(layer, kind, nonlinearity, lbr, direction, Layer(**{direction: weights}))


def two_directions(keras: Any, wrapper: Any) -> Model:
    """A ``Bidirectional`` wrapper's two layers as one bidirectional one-layer model."""
    forward, backward = wrapper.forward_layer, wrapper.backward_layer
    for inner in (forward, backward):
        check_recurrent(keras, inner)
    if forward.go_backwards or not backward.go_backwards:
        raise refuse(wrapper, "the forward layer must read forwards and the backward layer backwards")
    kind, nonlinearity, lbr, fwd = direction_weights(keras, forward)
    kind_b, nonlinearity_b, lbr_b, rev = direction_weights(keras, backward)
    if (kind, nonlinearity, lbr, fwd.weight_hh.shape) != (kind_b, nonlinearity_b, lbr_b, rev.weight_hh.shape):
        raise refuse(wrapper, "its backward layer differs from the forward one in cell, units or options")
    return _checked(wrapper, kind, nonlinearity, lbr, "bidirectional", Layer(forward=fwd, reverse=rev))


def _checked(layer: Any, kind: str, nonlinearity: str, lbr: bool, direction: str, weights: Layer) -> Model:
    first = weights.directions()[0][1]
    model = Model(
        cell=kind,
        input_size=int(first.weight_ih.shape[1]),
        hidden_size=int(first.weight_hh.shape[1]),
        num_layers=1,
        direction=direction,
        layers=(weights,),
        nonlinearity=nonlinearity if kind == "rnn" else "tanh",
        linear_before_reset=lbr if kind == "gru" else True,
    )
    try:
        check_model(model)
    except ValueError as error:  # e.g. non-finite weights
        raise refuse(layer, f"its weights break a model rule: {error}") from None
    return model


def dense_part(keras: Any, layer: Any) -> Dense:
    """A Keras ``Dense`` (on the last axis) as a dense layer ``act(W v + b)``."""
    if type(layer).__name__ != "Dense" or type(layer).__module__.split(".")[0] != "keras":
        raise refuse(layer, "not a Keras Dense layer")
    check_plain(keras, layer)
    if not layer.built:
        raise refuse(layer, "the layer is not built (no weights yet)")
    name = activation_name(keras, layer.activation)
    if name is None:
        shown = getattr(layer.activation, "__name__", "a custom function")
        raise refuse(layer, f"activation {shown} is not supported (linear, softmax, tanh, sigmoid or relu)")
    weight = np.ascontiguousarray(to_numpy(keras, layer.kernel).T)  # [O, W]
    bias = to_numpy(keras, layer.bias) if layer.bias is not None else np.zeros(weight.shape[0])  # [O]
    if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
        raise refuse(layer, "its weights are not all finite")
    return Dense(weight, bias, DENSE_ACTIVATIONS[name])


def activation_of(keras: Any, layer: Any) -> str:
    """Our activation name for a stand-alone ``Activation``, ``Softmax`` or ``ReLU`` layer."""
    kind = type(layer).__name__
    if kind == "Activation":
        name = activation_name(keras, layer.activation)
        if name is None:
            shown = getattr(layer.activation, "__name__", "a custom function")
            raise refuse(layer, f"activation {shown} is not supported (linear, softmax, tanh, sigmoid or relu)")
        return DENSE_ACTIVATIONS[name]
    if kind == "Softmax":
        if layer.axis not in (-1,) and not (isinstance(layer.axis, (list, tuple)) and list(layer.axis) == [-1]):
            raise refuse(layer, f"softmax over axis {layer.axis}; only the last axis (-1) is supported")
        return "softmax"
    # ReLU: only the plain max(v, 0)
    if layer.max_value is not None or float(layer.negative_slope) != 0.0 or float(layer.threshold) != 0.0:
        raise refuse(layer, "only ReLU() with no max_value, negative_slope or threshold is supported")
    return "relu"

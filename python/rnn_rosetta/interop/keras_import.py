"""Import Keras 3 models (``.keras`` files or in-memory Sequential/functional models) as a :class:`Chain`.

What is read, in order (a functional model must be one straight path from its one input to its one
output; anything else is refused with :class:`~rnn_rosetta.errors.ModelImportError` naming the layer):

==================================================  ===============================================
Keras layer                                         chain part
==================================================  ===============================================
``InputLayer``                                      nothing (Keras inputs are batch-major ``[B, T, I]``)
``Embedding`` (first, ``mask_zero=False``)          ``embedding``; the inputs are tokens ``[B, T]``
``SimpleRNN`` (tanh/relu), ``LSTM``, ``GRU``,       one recurrent layer (keras_layers.py: weights)
``RNN(SimpleRNNCell | LSTMCell | GRUCell)``
``go_backwards=True``                               a ``reverse`` layer (``return_sequences=False`` only)
``Bidirectional`` (concat, sum, mul, ave)           a ``bidirectional`` layer with that ``merge``
``return_sequences=False`` (last recurrent only)    ``readout: "last"``
``Dropout``, ``SpatialDropout1D``, ``GaussianNoise``,  nothing (inference)
``GaussianDropout``, ``AlphaDropout``
``Dense``, ``TimeDistributed(Dense)``               a dense layer (after the last recurrent layer)
``Activation``, ``Softmax(axis=-1)``, ``ReLU()``    the previous dense layer's activation (an identity
                                                    dense layer first when it already has one)
``Flatten`` (after a last-step readout)             nothing
==================================================  ===============================================

Refused, by name: ``stateful=True``, ``Masking`` and ``mask_zero=True`` (Keras repeats the last output
on masked steps; the chain's padded steps are zeros), ``go_backwards`` with ``return_sequences=True``
(Keras returns that sequence in reversed time order), ``Bidirectional(merge_mode=None)``, activations
other than tanh (relu too for SimpleRNN) and recurrent activations other than sigmoid, a layer between
recurrent layers or before the first one other than dropout, quantized or LoRA layers, subclassed or
branching models, and every other layer type (LayerNormalization, attention, Conv1D, ...).
``dropout``/``recurrent_dropout`` and ``unroll`` do not change inference; ``use_bias=False`` gives zero
biases. The imported chain's ``extra`` says ``{"source": "keras", "batch_first": True}``: Keras models
read ``[B, T, I]``, so pass ``batch_first=True`` to ``forward`` for Keras-shaped arrays.

:func:`keras_expected` runs the Keras model itself in float64 (every float layer rebuilt with a
float64 dtype policy, weights cast exactly), the oracle ``rnn-rosetta convert`` uses.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.errors import InputError, ModelImportError
from rnn_rosetta.interop import keras_layers as kl
from rnn_rosetta.model import Model
from rnn_rosetta.result import Result

IDENTITY_LAYERS: tuple[str, ...] = ("Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout")
ACTIVATION_LAYERS: tuple[str, ...] = ("Activation", "Softmax", "ReLU")
_FLOAT_DTYPES: tuple[str, ...] = ("float16", "bfloat16", "float32", "float64", "mixed_float16", "mixed_bfloat16")


def import_keras() -> Any:
    """The ``keras`` module, on the PyTorch backend unless ``KERAS_BACKEND`` already says otherwise."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError as error:
        raise ModelImportError(f"Keras is not installed (pip install 'rnn-rosetta[keras]'): {error}") from None
    return keras


def load_keras(path_or_model: Any) -> Any:
    """A Keras model: ``path_or_model`` itself, or the ``.keras`` file it names loaded without compiling."""
    keras = import_keras()
    if not isinstance(path_or_model, (str, os.PathLike)):
        if not isinstance(path_or_model, keras.Model):
            raise ModelImportError(f"expected a keras.Model or a .keras file, got {type(path_or_model).__name__}")
        return path_or_model
    path = Path(path_or_model)
    if path.suffix != ".keras":
        raise ModelImportError(f"{path}: not a .keras file (Keras 3 saves models with model.save('name.keras'))")
    if not path.is_file():
        raise ModelImportError(f"{path}: no such file")
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many kinds; the CLI needs one line
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelImportError(f"{path}: Keras cannot load it: {first}") from None


def model_from_keras(path_or_model: Any) -> Chain:
    """The :class:`Chain` of a Keras 3 model (or ``.keras`` file); refuses what it cannot carry exactly."""
    keras = import_keras()
    model = load_keras(path_or_model)
    return _Builder(keras, isinstance(model, keras.Sequential)).build(_layers_in_order(keras, model))


def keras_expected(path_or_model: Any, case_inputs: Any) -> Result:
    """The Keras model's own answer in float64 for one case (time-major, as fixtures hold it).

    ``case_inputs``: a :class:`~rnn_rosetta.fixture_data.CaseInputs` (``x [T, B, I]`` or ``tokens
    [T, B]``; ``h0``, ``c0`` and ``lengths`` must be None: a Keras model takes neither initial states
    nor lengths) or a bare array. The result holds ``y`` (``[T, B, O]`` or ``[B, O]``) when the chain
    has one, else ``output`` ``[T, B, W]``; nothing else.
    """
    keras = import_keras()
    model = load_keras(path_or_model)
    chain = _Builder(keras, isinstance(model, keras.Sequential)).build(_layers_in_order(keras, model))
    inputs = _model_inputs(chain, case_inputs)  # [B, T, I] float64 or [B, T] int64
    with keras_float64(keras):
        answer = np.asarray(keras.ops.convert_to_numpy(_float64_copy(keras, model)(inputs, training=False)))
    answer = answer.astype(np.float64)
    if answer.ndim == 3:
        answer = np.ascontiguousarray(answer.swapaxes(0, 1))  # [B, T, O] -> [T, B, O]
    if chain.y_size is None:
        return Result(output=answer)
    return Result(y=answer)


@contextmanager
def keras_float64(keras: Any) -> Iterator[None]:
    """Let Keras keep float64 while the block runs, then restore it.

    Keras 3 on the torch backend maps the result dtype of ``matmul`` and of the binary ops of two
    float64 tensors to float32 (``BIT64_TO_BIT32_DTYPE`` in ``keras.src.backend.common.dtypes``, "to be
    aligned with JAX"; keras-team/keras#23704), so a float64 LSTM's matmuls run in float32 and its
    answer is only float32-accurate. Inside this block that one entry maps float64 to float64; every
    layer still runs its own Keras code. Where the table is gone (a Keras that fixed it) nothing changes;
    :func:`keras_precision` says what Keras then computes.
    """
    del keras  # imported by the caller; the table lives in Keras' private dtypes module
    try:
        from keras.src.backend.common import dtypes
    except ImportError:
        yield
        return
    table = getattr(dtypes, "BIT64_TO_BIT32_DTYPE", None)
    if not isinstance(table, dict) or "float64" not in table:
        yield
        return
    before = table["float64"]
    table["float64"] = "float64"
    try:
        yield
    finally:
        table["float64"] = before


def keras_precision() -> str:
    """``"float64"`` when :func:`keras_expected` computes in float64 here, else ``"float32"`` (its tolerance)."""
    keras = import_keras()
    probe = np.full((2, 2), 1.0 + 2.0**-40)  # not representable in float32
    with keras_float64(keras):
        product = np.asarray(keras.ops.convert_to_numpy(keras.ops.matmul(probe, probe)))
    return "float64" if product.dtype == np.float64 and product[0, 0] == probe[0, 0] ** 2 * 2 else "float32"


# -- the layers of a model, in order --------------------------------------------------------------


def _layers_in_order(keras: Any, model: Any) -> list[Any]:
    """The layers from input to output; a functional model must be one straight path."""
    name = f"Keras model {model.name!r}"
    if not model.built:
        raise ModelImportError(f"{name}: the model is not built (call it once or give it an Input)")
    if isinstance(model, keras.Sequential):
        layers = list(model.layers)
    elif type(model).__name__ == "Functional":  # keras.Model(inputs, outputs)
        layers = _functional_path(model, name)
    else:
        raise ModelImportError(f"{name}: a subclassed model ({type(model).__name__}); its call() cannot be read")
    for layer in layers:
        if isinstance(layer, keras.Model):
            raise ModelImportError(f"{name}: nested model {layer.name!r} is not supported (flatten it into one model)")
    return [layer for layer in layers if type(layer).__name__ != "InputLayer"]


def _functional_path(model: Any, name: str) -> list[Any]:
    inputs, outputs = list(model.inputs), list(model.outputs)
    if len(inputs) != 1 or len(outputs) != 1:
        raise ModelImportError(
            f"{name}: {len(inputs)} inputs and {len(outputs)} outputs; only one of each is supported"
        )
    path: list[Any] = []
    tensor = outputs[0]
    while tensor is not inputs[0]:
        operation, node_index, tensor_index = tensor._keras_history
        label = f"Keras layer {operation.name!r} ({type(operation).__name__})"
        node = operation._inbound_nodes[node_index]
        if len(node.input_tensors) != 1:
            raise ModelImportError(
                f"{label}: reads {len(node.input_tensors)} tensors; only a straight chain is supported"
            )
        kwargs = node.arguments.kwargs
        extra = [key for key, value in kwargs.items() if value is not None and not (key == "training" and not value)]
        if extra:
            raise ModelImportError(
                f"{label}: called with {', '.join(sorted(extra))}=...; only a plain call is supported"
            )
        if tensor_index != 0:
            raise ModelImportError(f"{label}: its output #{tensor_index} is used; only the main output is supported")
        path.append(operation)
        tensor = node.input_tensors[0]
    return path[::-1]


# -- layers -> chain -----------------------------------------------------------------------------------


@dataclass
class _Builder:
    """Reads the layers one at a time into the parts of a chain."""

    keras: Any
    sequential: bool
    embedding: Embedding | None = None
    recurrent: list[Model] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    dense: list[Dense] = field(default_factory=list)
    readout: str = "sequence"
    seen: list[str] = field(default_factory=list)

    def build(self, layers: list[Any]) -> Chain:
        for layer in layers:
            self._read(layer)
            self.seen.append(layer.name)
        if not self.recurrent:
            raise ModelImportError("Keras model: no recurrent layer (SimpleRNN, LSTM, GRU or Bidirectional)")
        extra: dict[str, object] = {"source": "keras", "batch_first": True}
        return Chain(
            layers=tuple(self.recurrent),
            merges=tuple(self.merges),
            embedding=self.embedding,
            dense=tuple(self.dense),
            readout=self.readout,
            extra=extra,
        )

    def _read(self, layer: Any) -> None:
        kind = type(layer).__name__
        if type(layer).__module__.split(".")[0] != "keras":
            raise kl.refuse(layer, "a custom layer; only Keras' own layers are understood")
        if kind in IDENTITY_LAYERS:
            return
        if kind == "Masking":
            raise kl.refuse(layer, "masking repeats the last output on masked steps (the chain's padded steps are 0)")
        if kind == "Embedding":
            self._embedding(layer)
        elif kind in kl.RECURRENT_LAYERS or kind == "Bidirectional":
            self._recurrent(layer)
        elif kind == "Dense":
            self._dense(layer, kl.dense_part(self.keras, layer))
        elif kind == "TimeDistributed":
            inner = layer.layer
            if type(inner).__name__ != "Dense":
                raise kl.refuse(layer, f"TimeDistributed({type(inner).__name__}) is not supported (only Dense)")
            if self.readout == "last":
                raise kl.refuse(layer, "TimeDistributed needs a sequence; the last recurrent layer returns one vector")
            self._dense(layer, kl.dense_part(self.keras, inner))
        elif kind in ACTIVATION_LAYERS:
            self._activation(layer, kl.activation_of(self.keras, layer))
        elif kind == "Flatten":
            if self.readout != "last" or not self.recurrent:
                raise kl.refuse(layer, "Flatten over a sequence mixes time steps; not supported")
        else:
            raise kl.refuse(layer, "this layer type is not supported by the importer")

    def _embedding(self, layer: Any) -> None:
        if self.seen:
            raise kl.refuse(layer, "an Embedding must be the first layer")
        kl.check_plain(self.keras, layer)
        if getattr(layer, "mask_zero", False):
            raise kl.refuse(layer, "mask_zero=True: Keras repeats the last output on masked steps (chain pads 0)")
        weight = kl.to_numpy(self.keras, layer.embeddings)  # [V, E]
        if not np.isfinite(weight).all():
            raise kl.refuse(layer, "its weights are not all finite")
        self.embedding = Embedding(weight)

    def _recurrent(self, layer: Any) -> None:
        if self.dense:
            raise kl.refuse(layer, "a recurrent layer after a Dense layer; dense layers may only follow the last one")
        if self.readout == "last":
            raise kl.refuse(layer, "reads the one-vector output of a layer with return_sequences=False")
        if type(layer).__name__ == "Bidirectional":
            merge = layer.merge_mode
            if merge not in ("concat", "sum", "mul", "ave"):
                raise kl.refuse(layer, f"merge_mode={merge!r} is not supported (concat, sum, mul or ave)")
            model = kl.two_directions(self.keras, layer)
            sequences, state = layer.forward_layer.return_sequences, getattr(layer, "return_state", False)
        else:
            kl.check_recurrent(self.keras, layer)
            merge = "concat"
            sequences, state = layer.return_sequences, layer.return_state
            if layer.go_backwards and sequences:
                raise kl.refuse(layer, "go_backwards=True with return_sequences=True returns time reversed")
            model = kl.one_direction(self.keras, layer, "reverse" if layer.go_backwards else "forward")
        if state and self.sequential:  # a functional path reads output #0 only (checked there)
            raise kl.refuse(layer, "return_state=True in a Sequential model returns a list, not one tensor")
        self._check_width(layer, model)
        self.recurrent.append(model)
        self.merges.append(merge)
        if not sequences:
            self.readout = "last"

    def _width(self) -> int | None:
        """Features per step of what the next layer reads (None: the model's input, any width)."""
        if self.dense:
            return self.dense[-1].size
        if self.recurrent:
            return Chain(layers=tuple(self.recurrent), merges=tuple(self.merges)).output_width
        return None if self.embedding is None else self.embedding.size

    def _check_width(self, layer: Any, model: Model) -> None:
        width = self._width()
        if width is not None and model.input_size != width:
            raise kl.refuse(layer, f"reads {model.input_size} features but the layer before gives {width}")

    def _dense(self, layer: Any, dense: Dense) -> None:
        if not self.recurrent:
            raise kl.refuse(layer, "a Dense layer before the first recurrent layer is not supported")
        width = self._width()
        if dense.weight.shape[1] != width:
            raise kl.refuse(layer, f"reads {dense.weight.shape[1]} features but the layer before gives {width}")
        self.dense.append(dense)

    def _activation(self, layer: Any, activation: str) -> None:
        if not self.recurrent:
            raise kl.refuse(layer, "an activation before the first recurrent layer is not supported")
        if activation == "identity":
            return
        if self.dense and self.dense[-1].activation == "identity":
            last = self.dense[-1]
            self.dense[-1] = Dense(last.weight, last.bias, activation)
            return
        width = self._width() or 0
        self.dense.append(Dense(np.eye(width), np.zeros(width), activation))  # I v + 0 == v for finite v


# -- running Keras itself ---------------------------------------------------------------------------------


def _model_inputs(chain: Chain, case_inputs: Any) -> np.ndarray:
    """The Keras-shaped input of a case: x ``[B, T, I]`` float64 or tokens ``[B, T]`` int64."""
    if isinstance(case_inputs, np.ndarray) or not hasattr(case_inputs, "h0"):
        array = np.asarray(case_inputs)
    else:
        for name in ("h0", "c0", "lengths"):
            if getattr(case_inputs, name, None) is not None:
                raise InputError(f"{name}: a Keras model takes no initial states or lengths; leave it None")
        tokens = getattr(case_inputs, "tokens", None)
        array = np.asarray(tokens if tokens is not None else case_inputs.x)
    if chain.takes_tokens:
        if array.ndim != 2 or not np.issubdtype(array.dtype, np.integer):
            raise InputError(f"tokens must be an integer [T, B] array, got {array.dtype} {list(array.shape)}")
        return np.ascontiguousarray(array.swapaxes(0, 1).astype(np.int64))
    if array.ndim != 3 or array.shape[2] != chain.input_size:
        raise InputError(f"x must be a [T, B, {chain.input_size}] array, got shape {list(array.shape)}")
    return np.ascontiguousarray(array.swapaxes(0, 1).astype(np.float64))


def _float64_copy(keras: Any, model: Any) -> Any:
    """The same model computing in float64: its config with every float dtype policy set to float64."""
    config = _float64_config(model.get_config())
    copy = type(model).from_config(config)
    weights = [np.asarray(w, dtype=np.float64) for w in model.get_weights()]
    copy.set_weights(weights)
    return copy


def _float64_config(value: Any) -> Any:
    """A copy of a Keras config with every float ``dtype`` (string or DTypePolicy) replaced by float64."""
    if isinstance(value, list):
        return [_float64_config(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key == "dtype" and isinstance(item, str) and item in _FLOAT_DTYPES:
            out[key] = "float64"
        elif key == "dtype" and isinstance(item, dict) and item.get("config", {}).get("name") in _FLOAT_DTYPES:
            out[key] = {**item, "config": {**item["config"], "name": "float64"}}
        else:
            out[key] = _float64_config(item)
    return out

"""The Java backend: ``java/build/rnn-rosetta.jar`` through JPype.

The JVM starts once per process (JPype cannot restart it). Weights cross the
bridge once per ``load``, as flat ``double[]`` arrays; each call hands over
the inputs and copies the outputs back into numpy.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np

from rnn_rosetta import paths
from rnn_rosetta.backends.base import Net
from rnn_rosetta.errors import BackendError, BackendUnavailable, InputError
from rnn_rosetta.model import DirectionWeights, Model
from rnn_rosetta.result import Result

# The Vector API is an incubator module in JDK 17: it must be added explicitly.
JVM_OPTIONS: tuple[str, ...] = ("-Xss8m", "--add-modules=jdk.incubator.vector")
KERNELS: tuple[str, ...] = ("auto", "plain", "vector")


def jvm_options() -> list[str]:
    """:data:`JVM_OPTIONS` plus any in ``RR_JVM_OPTIONS`` (space-separated, e.g. ``-Xmx64m``)."""
    return [*JVM_OPTIONS, *os.environ.get("RR_JVM_OPTIONS", "").split()]


@lru_cache(maxsize=1)
def start_jvm() -> Any:
    """Start the JVM with the jar on the class path (once) and return the ``rnnrosetta`` package."""
    try:
        import jpype
    except ImportError as exc:
        raise BackendUnavailable(f"java: JPype is not installed ({exc})") from None
    jar = paths.java_jar()
    if not jar.exists():
        raise BackendUnavailable(f"java: {jar} is not built; run `make java`")
    if not jpype.isJVMStarted():
        try:
            jpype.startJVM(*jvm_options(), classpath=[str(jar), str(paths.gson_jar())], convertStrings=False)
        except (OSError, RuntimeError, jpype.JVMNotFoundException) as exc:
            raise BackendUnavailable(f"java: cannot start the JVM: {exc}") from None
    return jpype.JPackage("rnnrosetta")


def _doubles(array: np.ndarray | None) -> Any:
    import jpype

    if array is None:
        return None
    return jpype.JArray(jpype.JDouble)(np.ascontiguousarray(array, dtype=np.float64).ravel())


def _reals(array: np.ndarray | None) -> Any:
    """A Java ``float[]`` or ``double[]`` by the array's dtype (already checked and contiguous)."""
    import jpype

    if array is None:
        return None
    element = jpype.JFloat if array.dtype == np.float32 else jpype.JDouble
    return jpype.JArray(element)(array.ravel())


def _ints(array: np.ndarray | None) -> Any:
    import jpype

    if array is None:
        return None
    return jpype.JArray(jpype.JInt)(np.ascontiguousarray(array, dtype=np.int32))


def _numpy(array: Any, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
    if array is None:
        return None
    return np.array(array, dtype=dtype).reshape(shape)


def _raise_from_java(exc: Any) -> None:
    """Turn a Java exception into the matching Python one, message kept."""
    java_class = str(exc.getClass().getSimpleName())
    message = str(exc.getMessage())
    if java_class in ("IllegalArgumentException", "UnsupportedOperationException"):
        raise InputError(f"java: {message} ({java_class})", code=java_class) from None
    raise BackendError("java", f"{message} ({java_class})", code=java_class) from None


def _layer_weights(rr: Any, weights: DirectionWeights) -> Any:
    return rr.LayerWeights(
        _doubles(weights.weight_ih),
        _doubles(weights.weight_hh),
        _doubles(weights.bias_ih),
        _doubles(weights.bias_hh),
        _doubles(weights.weight_hr),
        _doubles(weights.peepholes),
    )


def java_config(rr: Any, model: Model) -> Any:
    """An ``rnnrosetta.Config`` for ``model``."""
    head = model.head
    return rr.Config(
        rr.Cell.valueOf(model.cell.upper()),
        rr.Nonlinearity.valueOf(model.nonlinearity.upper()),
        model.linear_before_reset,
        model.input_size,
        model.hidden_size,
        model.num_layers,
        rr.Direction.valueOf(model.direction.upper()),
        model.proj_size,
        model.peepholes,
        float("nan") if model.clip is None else model.clip,
        rr.HeadActivation.valueOf("NONE" if head is None else head.activation.upper()),
        0 if head is None else head.size,
    )


class JavaNet(Net):
    backend = "java"
    kernels = KERNELS

    def __init__(self, model: Model, dtype: str = "float64", kernel: str = "auto") -> None:
        super().__init__(model, dtype, kernel)
        import jpype

        rr = start_jvm()
        net_class = rr.Net32 if self.dtype == np.float32 else rr.Net
        weights = jpype.JArray(rr.LayerWeights, 2)(
            [[_layer_weights(rr, w) for _, w in layer.directions()] for layer in model.layers]
        )
        head = model.head
        try:
            self._net = net_class(
                java_config(rr, model),
                weights,
                _doubles(None if head is None else head.weight),
                _doubles(None if head is None else head.bias),
                rr.Kernel.valueOf(kernel.upper()),
            )
        except jpype.JException as exc:
            _raise_from_java(exc)

    @property
    def kernel_name(self) -> str:
        return str(self._net.kernelName())

    def _result(self, result: Any, lead: tuple[int, ...], slots: int, batch: int) -> Result:
        model = self.model
        width = model.output_size * (model.num_directions if len(lead) == 2 else 1)
        dtype = self.dtype
        return Result(
            output=_numpy(result.output, (*lead, width), dtype),  # type: ignore[arg-type]
            h_n=_numpy(result.hN, (slots, batch, model.output_size), dtype),  # type: ignore[arg-type]
            c_n=_numpy(result.cN, (slots, batch, model.hidden_size), dtype),
            y=None if model.head is None else _numpy(result.y, (*lead, model.head.size), dtype),
        )

    def _forward(
        self, x: np.ndarray, h0: np.ndarray | None, c0: np.ndarray | None, lengths: np.ndarray | None
    ) -> Result:
        import jpype

        steps, batch, _ = x.shape
        try:
            result = self._net.forward(steps, batch, _reals(x), _reals(h0), _reals(c0), _ints(lengths))
        except jpype.JException as exc:
            _raise_from_java(exc)
        slots = self.model.num_layers * self.model.num_directions
        return self._result(result, (steps, batch), slots, batch)

    def _step(
        self, x_t: np.ndarray, h: np.ndarray | None, c: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
        import jpype

        batch = x_t.shape[0]
        try:
            result = self._net.step(batch, _reals(x_t), _reals(h), _reals(c))
        except jpype.JException as exc:
            _raise_from_java(exc)
        res = self._result(result, (batch,), self.model.num_layers, batch)
        return res.output, res.y, res.h_n, res.c_n


class JavaBackend:
    name = "java"
    kernels = KERNELS

    def why_unavailable(self) -> str | None:
        try:
            start_jvm()
        except BackendUnavailable as exc:
            return str(exc)
        return None

    def load(self, model: Model, dtype: str = "float64", kernel: str = "auto") -> JavaNet:
        return JavaNet(model, dtype, kernel)

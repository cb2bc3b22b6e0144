"""The Java backend: ``java/build/rnn-rosetta.jar`` through JPype.

The JVM starts once per process (JPype cannot restart it). JPype builds a
Java array from a numpy array element by element (2-4 ns each), and every
crossing of the bridge costs about a microsecond, so arrays travel through
:class:`DirectBuffer`: a Java direct ``ByteBuffer`` that numpy fills with one
``memcpy`` and ``rnnrosetta.Bridge`` reads with one bulk copy. A call's inputs
go in one buffer (one per thread, reused), its results come back as one packed
array (output, h_n, c_n, y), split here into views. Weights cross once per
``load``, as ``double[]``.

The JVM prints ``WARNING: Using incubator modules: jdk.incubator.vector`` on
stderr whenever its boot layer holds the Vector API module, which the fast
kernels need; the JDK has no switch for it, and the module cannot be loaded
later into a layer of its own (the JVM insists that the boot loader define it).
So :func:`start_jvm` captures stderr while the JVM starts and writes back every
line but that one.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import numpy as np

from rnn_rosetta import paths
from rnn_rosetta.backends.base import Net
from rnn_rosetta.backends.chain_net import ChainNet, FlatResult, join_slots, split_slots
from rnn_rosetta.backward.gradients import Gradients
from rnn_rosetta.backward.weights import chain_weights
from rnn_rosetta.chain import Chain
from rnn_rosetta.errors import BackendError, BackendUnavailable, InputError
from rnn_rosetta.model import DirectionWeights, Model
from rnn_rosetta.result import Result

# The Vector API is an incubator module in JDK 17: it must be added explicitly. Objects aligned to 64 bytes let the
# vector kernel start its weight panels on cache lines (Vector64.PAD: the same bits, 5-20 % faster at 16-64 units).
JVM_OPTIONS: tuple[str, ...] = ("-Xss8m", "--add-modules=jdk.incubator.vector", "-XX:ObjectAlignmentInBytes=64")
KERNELS: tuple[str, ...] = ("auto", "plain", "vector", "exact")
#: The one line :func:`start_jvm` keeps off stderr (printed by every JVM started with the module).
INCUBATOR_WARNING = b"WARNING: Using incubator modules: jdk.incubator.vector"


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
            with _without_incubator_warning():
                jpype.startJVM(*jvm_options(), classpath=[str(jar), str(paths.gson_jar())], convertStrings=False)
        except (OSError, RuntimeError, jpype.JVMNotFoundException) as exc:
            raise BackendUnavailable(f"java: cannot start the JVM: {exc}") from None
    return jpype.JPackage("rnnrosetta")


@contextlib.contextmanager
def _without_incubator_warning() -> Iterator[None]:
    """Route file descriptor 2 to a file for the block, then write back all it got but :data:`INCUBATOR_WARNING`."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().splitlines(keepends=True) if line.rstrip() != INCUBATOR_WARNING]
            if kept:
                os.write(2, b"".join(kept))


class DirectBuffer:
    """A Java direct ``ByteBuffer`` and a numpy view of its memory: numpy writes, Java reads.

    The memory belongs to the JVM (``ByteBuffer.allocateDirect``), so nothing is
    registered with JPype per call (``jpype.nio.convertToDirectBuffer`` on a numpy
    array is, and the JVM's heap then grows with the number of calls).
    """

    def __init__(self, nbytes: int) -> None:
        import jpype

        self.java = jpype.JClass("java.nio.ByteBuffer").allocateDirect(nbytes)
        self.memory = np.frombuffer(memoryview(self.java), dtype=np.uint8)  # [nbytes]

    @property
    def nbytes(self) -> int:
        return int(self.memory.size)

    def fill(self, arrays: tuple[np.ndarray | None, ...]) -> list[int]:
        """Copy the arrays one after another from the start; their element counts, -1 for None."""
        counts, start = [], 0
        for array in arrays:
            if array is None:
                counts.append(-1)
                continue
            raw = array.reshape(-1).view(np.uint8)
            self.memory[start : start + raw.size] = raw
            start += raw.size
            counts.append(array.size)
        return counts


class _Staging(threading.local):
    """One reusable :class:`DirectBuffer` per thread for the inputs of a call (grown, never shrunk)."""

    buffer: DirectBuffer | None = None


_STAGING = _Staging()


def staged(*arrays: np.ndarray | None) -> tuple[Any, list[int]]:
    """The arrays (C-contiguous) in this thread's staging buffer: ``(java ByteBuffer, counts)``."""
    need = sum(a.nbytes for a in arrays if a is not None)
    buffer = _STAGING.buffer
    if buffer is None or buffer.nbytes < need:
        buffer = _STAGING.buffer = DirectBuffer(max(need, 2 * (buffer.nbytes if buffer else 0), 4096))
    return buffer.java, buffer.fill(arrays)


def _doubles(array: np.ndarray | None) -> Any:
    """A Java ``double[]`` (the weights, once per ``load``), or None."""
    import jpype

    if array is None:
        return None
    return jpype.JArray(jpype.JDouble)(np.ascontiguousarray(array, dtype=np.float64).ravel())


def _ints(array: np.ndarray | None) -> Any:
    import jpype

    if array is None:
        return None
    return jpype.JArray(jpype.JInt)(np.ascontiguousarray(array, dtype=np.int32))


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
        self._bridge = rr.Bridge
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

    def _unpack(self, packed: Any, lead: tuple[int, ...], slots: int, batch: int) -> Result:
        """Split ``Bridge``'s packed ``output, hN, cN, y`` (the absent ones left out) into views."""
        model = self.model
        width = model.output_size * (model.num_directions if len(lead) == 2 else 1)
        shapes: dict[str, tuple[int, ...] | None] = {
            "output": (*lead, width),
            "h_n": (slots, batch, model.output_size),
            "c_n": (slots, batch, model.hidden_size) if model.cell == "lstm" else None,
            "y": (*lead, model.head.size) if model.head is not None else None,
        }
        flat = np.array(packed, dtype=self.dtype)  # one copy out of the JVM
        parts: dict[str, np.ndarray | None] = {}
        start = 0
        for name, shape in shapes.items():
            if shape is None:
                parts[name] = None
                continue
            size = math.prod(shape)
            parts[name] = flat[start : start + size].reshape(shape)
            start += size
        if start != flat.size:
            raise BackendError("java", f"Bridge returned {flat.size} values, expected {start}")
        return Result(**parts)  # type: ignore[arg-type]

    def _forward(
        self, x: np.ndarray, h0: np.ndarray | None, c0: np.ndarray | None, lengths: np.ndarray | None
    ) -> Result:
        import jpype

        steps, batch, _ = x.shape
        try:
            inputs, counts = staged(x, h0, c0)
            packed = self._bridge.forward(self._net, steps, batch, inputs, *counts, _ints(lengths))
        except jpype.JException as exc:
            _raise_from_java(exc)
        slots = self.model.num_layers * self.model.num_directions
        return self._unpack(packed, (steps, batch), slots, batch)

    def _step(
        self, x_t: np.ndarray, h: np.ndarray | None, c: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
        import jpype

        batch = x_t.shape[0]
        try:
            inputs, counts = staged(x_t, h, c)
            packed = self._bridge.step(self._net, batch, inputs, *counts)
        except jpype.JException as exc:
            _raise_from_java(exc)
        res = self._unpack(packed, (batch,), self.model.num_layers, batch)
        assert res.h_n is not None
        return res.output, res.y, res.h_n, res.c_n


def java_chain_spec(rr: Any, chain: Chain) -> Any:
    """An ``rnnrosetta.ChainSpec`` for ``chain`` (weights cross once, as ``double[]``)."""
    import jpype

    embedding = None
    if chain.embedding is not None:
        table = chain.embedding
        embedding = rr.Embedding(table.vocab_size, table.size, _doubles(table.weight))
    layers = jpype.JClass("java.util.ArrayList")()
    for layer, merge in zip(chain.layers, chain.merges, strict=True):
        weights = jpype.JArray(rr.LayerWeights)([_layer_weights(rr, w) for _, w in layer.layers[0].directions()])
        layers.add(rr.RecurrentLayer(java_config(rr, layer), rr.Merge.valueOf(merge.upper()), weights))
    dense = jpype.JClass("java.util.ArrayList")()
    for d in chain.dense:
        activation = rr.DenseActivation.valueOf(d.activation.upper())
        dense.add(rr.DenseLayer(d.size, int(d.weight.shape[1]), _doubles(d.weight), _doubles(d.bias), activation))
    return rr.ChainSpec(embedding, layers, dense, rr.Readout.valueOf(chain.readout.upper()))


class JavaChainNet(ChainNet):
    """A :class:`Chain` in ``rnnrosetta.Chain`` (float64) or ``rnnrosetta.Chain32`` (float32).

    A call's inputs go in one staging buffer: the tokens as int32 (padded to 8 bytes) or x, then the
    flat h0 and c0; ``Bridge.forward`` returns output, h_n, c_n, y packed in one array.
    ``forward(..., keep=True)`` also runs ``forwardKeep`` (the Java tape), ``backward`` runs
    ``Chain.backward`` on it (float32: computed in float64 on the float32 model, rounded at the end).
    """

    backend = "java"
    kernels = KERNELS

    def __init__(self, chain: Chain, dtype: str = "float64", kernel: str = "auto") -> None:
        super().__init__(chain, dtype, kernel)
        import jpype

        rr = start_jvm()
        self._bridge = rr.Bridge
        chain_class = rr.Chain32 if self.dtype == np.float32 else rr.Chain
        try:
            self._java = chain_class(java_chain_spec(rr, chain), rr.Kernel.valueOf(kernel.upper()))
        except jpype.JException as exc:
            _raise_from_java(exc)

    @property
    def kernel_name(self) -> str:
        return str(self._java.kernelName())

    def _forward_flat(
        self,
        inputs: np.ndarray,
        h0_flat: np.ndarray | None,
        c0_flat: np.ndarray | None,
        lengths: np.ndarray | None,
    ) -> FlatResult:
        import jpype

        steps, batch = inputs.shape[0], inputs.shape[1]
        try:
            if inputs.dtype.kind in "iu":  # tokens [T, B] -> int32, padded so the reals start 8-byte aligned
                count = steps * batch
                tokens = np.zeros(count + count % 2, dtype=np.int32)
                tokens[:count] = inputs.reshape(-1)
                buffer, counts = staged(tokens, h0_flat, c0_flat)
                packed = self._bridge.forward(self._java, steps, batch, buffer, count, -1, *counts[1:], _ints(lengths))
            else:
                buffer, counts = staged(inputs, h0_flat, c0_flat)
                packed = self._bridge.forward(self._java, steps, batch, buffer, -1, *counts, _ints(lengths))
        except jpype.JException as exc:
            _raise_from_java(exc)
        return self._split(np.array(packed, dtype=self.dtype), steps, batch)

    # -- backward: rnnrosetta.Chain.forwardKeep / backward (arrays cross as Java arrays, once per call) --

    supports_backward = True

    def _reals(self, array: np.ndarray | None) -> Any:
        """A Java ``double[]`` (float64 net) or ``float[]`` (float32 net) holding ``array``, or None."""
        import jpype

        if array is None:
            return None
        java_type = jpype.JFloat if self.dtype == np.float32 else jpype.JDouble
        return jpype.JArray(java_type)(np.ascontiguousarray(array, dtype=self.dtype).reshape(-1))

    def _keep_forward(
        self,
        inputs: np.ndarray,
        h0_flat: np.ndarray | None,
        c0_flat: np.ndarray | None,
        lengths: np.ndarray | None,
    ) -> tuple[Any, None]:
        """The Java ``rnnrosetta.Tape`` of ``forwardKeep`` (tokens: ``forwardTokensKeep``); the forward's result
        comes from :meth:`_forward_flat` (its packed bridge is the one fast way across)."""
        import jpype

        steps, batch = inputs.shape[0], inputs.shape[1]
        h0, c0, lens = self._reals(h0_flat), self._reals(c0_flat), _ints(lengths)
        try:
            if inputs.dtype.kind in "iu":
                return self._java.forwardTokensKeep(steps, batch, _ints(inputs.reshape(-1)), h0, c0, lens), None
            return self._java.forwardKeep(steps, batch, self._reals(inputs), h0, c0, lens), None
        except jpype.JException as exc:
            _raise_from_java(exc)

    def _backward_flat(
        self,
        tape: Any,
        d_output: np.ndarray | None,
        d_h_n: list[np.ndarray],
        d_c_n: list[np.ndarray],
        d_y: np.ndarray | None,
    ) -> Gradients:
        """``Chain.backward`` on the kept tape; the Java gradients (flat arrays) reshaped as numpy's."""
        import jpype

        chain, dt = self.chain, self.dtype
        steps, batch = int(tape.seqLen()), int(tape.batch())
        d_c = self._reals(join_slots(d_c_n, dt)) if chain.cell_state_sizes else None
        try:
            grads = self._java.backward(
                tape, self._reals(d_output), self._reals(join_slots(d_h_n, dt)), d_c, self._reals(d_y)
            )
        except jpype.JException as exc:
            _raise_from_java(exc)
        shapes = {path: array.shape for path, array in chain_weights(chain).items()}
        weights: dict[str, np.ndarray] = {}
        for entry in grads.weights().entrySet():
            path = str(entry.getKey())
            if path not in shapes:
                raise BackendError("java", f"backward returned a gradient for {path}, which this chain does not have")
            weights[path] = np.array(entry.getValue(), dtype=dt).reshape(shapes[path])
        if list(weights) != list(shapes):
            raise BackendError("java", f"backward returned gradients for {list(weights)}, expected {list(shapes)}")
        java_x = grads.x()
        d_x = None if java_x is None else np.array(java_x, dtype=dt).reshape(steps, batch, chain.input_size)
        h0 = split_slots(np.array(grads.h0(), dtype=dt), batch, chain.state_sizes)
        c0 = None
        if chain.cell_state_sizes:
            c0 = split_slots(np.array(grads.c0(), dtype=dt), batch, chain.cell_state_sizes)
        return Gradients(weights=weights, x=d_x, h0=h0, c0=c0)  # type: ignore[arg-type]

    def _split(self, flat: np.ndarray, steps: int, batch: int) -> FlatResult:
        """``Bridge``'s packed output, h_n, c_n, y (the absent ones left out) as views."""
        chain = self.chain
        y_size = chain.y_size
        shapes: list[tuple[int, ...] | None] = [
            (steps, batch, chain.output_width),
            (batch * sum(chain.state_sizes),),
            (batch * sum(chain.cell_state_sizes),) if chain.cell_state_sizes else None,
            None if y_size is None else ((batch, y_size) if chain.readout == "last" else (steps, batch, y_size)),
        ]
        parts: list[np.ndarray | None] = []
        start = 0
        for shape in shapes:
            if shape is None:
                parts.append(None)
                continue
            size = math.prod(shape)
            parts.append(flat[start : start + size].reshape(shape))
            start += size
        if start != flat.size:
            raise BackendError("java", f"Bridge returned {flat.size} values, expected {start}")
        output, h_n, c_n, y = parts
        assert output is not None and h_n is not None
        return output, h_n, c_n, y


class JavaBackend:
    name = "java"
    kernels = KERNELS

    def why_unavailable(self) -> str | None:
        try:
            start_jvm()
        except BackendUnavailable as exc:
            return str(exc)
        return None

    def load(self, model: Model | Chain, dtype: str = "float64", kernel: str = "auto") -> JavaNet | JavaChainNet:
        if isinstance(model, Chain):
            return JavaChainNet(model, dtype, kernel)
        return JavaNet(model, dtype, kernel)

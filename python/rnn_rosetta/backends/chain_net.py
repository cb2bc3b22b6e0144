"""What every backend's ``ChainNet`` shares: argument checks, state slots, ``step`` on top of ``forward``.

A :class:`~rnn_rosetta.chain.Chain` loaded into a backend is a :class:`ChainNet`. The public calls
take and give states in the friendly form (one ``[S, B, H]`` array when every slot has the same
size, else a list of ``S`` arrays ``[B, H_k]``); a backend implements one method,
:meth:`ChainNet._forward_flat`, on *flat* states: the slots concatenated, each row-major ``[B, H_k]``
(for equal sizes exactly the v1 layout ``[L*D, B, H]``), the form the C and Java libraries take.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from rnn_rosetta.backends.base import State, as_array, as_real_array, check_dtype, check_lengths
from rnn_rosetta.backward.gradients import Gradients
from rnn_rosetta.chain import Chain
from rnn_rosetta.errors import BackwardUnsupported, InputError
from rnn_rosetta.result import Result, States

#: What ``_forward_flat`` returns: output [T, B, W], h_n flat, c_n flat or None, y ([T, B, O] | [B, O]) or None.
FlatResult = tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]


@dataclass(frozen=True)
class KeptForward:
    """What ``forward(..., keep=True)`` keeps for ``backward``: the backend's tape and the call's shape."""

    tape: Any
    steps: int
    batch: int
    batch_first: bool


def split_slots(flat: np.ndarray, batch: int, sizes: Sequence[int]) -> list[np.ndarray]:
    """Flat states -> one ``[B, H_k]`` array per slot (views into ``flat``)."""
    slots, start = [], 0
    for size in sizes:
        slots.append(flat[start : start + batch * size].reshape(batch, size))
        start += batch * size
    return slots


def join_slots(slots: Sequence[np.ndarray], dtype: np.dtype) -> np.ndarray:
    """One ``[B, H_k]`` array per slot -> flat states (1-d, C order, ``dtype``)."""
    if not slots:
        return np.zeros(0, dtype=dtype)
    return np.concatenate([np.asarray(slot, dtype=dtype).reshape(-1) for slot in slots])


def friendly_states(slots: Sequence[np.ndarray]) -> States:
    """``[S, B, H]`` when every slot has the same size, else the list of slots as they are."""
    if len({slot.shape for slot in slots}) == 1:
        return np.stack(slots)
    return [np.ascontiguousarray(slot) for slot in slots]


def check_states(name: str, value: Any, batch: int, sizes: Sequence[int], dtype: np.dtype) -> np.ndarray | None:
    """``h0``/``c0`` given as ``[S, B, H]`` (uniform slots) or a sequence of ``S`` arrays ``[B, H_k]`` -> flat."""
    if value is None:
        return None
    if not sizes:
        raise InputError(f"{name} must be None: this chain has no such state (no lstm layer)")
    uniform = len(set(sizes)) == 1
    if isinstance(value, (list, tuple)) and not (uniform and _is_nested_numbers(value)):
        if len(value) != len(sizes):
            raise InputError(f"{name} must hold {len(sizes)} slots (one per layer and direction), got {len(value)}")
        slots = [as_real_array(f"{name}[{k}]", v, (batch, sizes[k]), dtype) for k, v in enumerate(value)]
        return join_slots(slots, dtype)
    if not uniform:
        raise InputError(
            f"{name}: this chain's state slots differ in size {list(sizes)};"
            f" pass a list of {len(sizes)} arrays [B, H_k]"
        )
    array = as_real_array(name, value, (len(sizes), batch, sizes[0]), dtype)
    return array.reshape(-1)


def _is_nested_numbers(value: Sequence[Any]) -> bool:
    """A plain nested list of numbers (one ``[S, B, H]`` array written as lists), not a list of arrays."""
    return bool(value) and isinstance(value[0], (list, tuple))


class ChainNet(ABC):
    """A :class:`Chain` loaded into one backend. Subclasses implement :meth:`_forward_flat`.

    ``forward`` and ``step`` check their arguments here, once, for every backend.
    """

    backend: str = "?"
    #: The kernels ``load`` accepts; "auto" picks the fastest this machine runs.
    kernels: tuple[str, ...] = ("auto",)

    def __init__(self, chain: Chain, dtype: str = "float64", kernel: str = "auto") -> None:
        self.chain = chain
        self.model = chain  # what the v1 ``Net`` calls it; callers that print ``net.model.describe()`` keep working
        self.dtype = check_dtype(dtype)
        if kernel not in self.kernels:
            raise InputError(f"{self.backend}: kernel must be one of {list(self.kernels)}, got {kernel!r}")
        self._kept: KeptForward | None = None  # the latest forward(..., keep=True), for backward

    @property
    def kernel_name(self) -> str:
        """The code path this net runs (e.g. ``avx2-fma``, ``vector``, ``fast``, ``plain``)."""
        return self.backend

    # -- public calls ----------------------------------------------------------------------

    def forward(
        self,
        x: Any,
        h0: Any = None,
        c0: Any = None,
        lengths: Any = None,
        batch_first: bool = False,
        keep: bool = False,
    ) -> Result:
        """Run the whole sequence: x [T, B, I] real, or tokens [T, B] integers for a chain with an embedding.

        With ``batch_first=True`` x is [B, T, I] / tokens [B, T] and ``output`` and a per-step ``y``
        come back batch-first too (states are ``[S, B, H]`` either way). With ``keep=True`` the net
        keeps what :meth:`backward` needs (until the next ``forward``); the result is the same.
        """
        self._kept = None
        if keep and not self.supports_backward:
            raise self._no_backward()
        inputs = self._check_inputs(x, batch_first)
        steps, batch = inputs.shape[0], inputs.shape[1]
        h0_flat, c0_flat = self._check_state(h0, c0, batch, "h0", "c0")
        if lengths is not None:
            lengths = check_lengths(lengths, batch, steps)
        flat: FlatResult | None = None
        if keep:
            tape, flat = self._keep_forward(inputs, h0_flat, c0_flat, lengths)
            self._kept = KeptForward(tape, steps, batch, batch_first)
        if flat is None:  # a backend whose kept forward does not give the forward's own bits runs it again
            flat = self._forward_flat(inputs, h0_flat, c0_flat, lengths)
        output, h_flat, c_flat, y = flat
        result = self._unpack(batch, output, h_flat, c_flat, y)
        if not batch_first:
            return result
        y = result.y
        if y is not None and self.chain.readout == "sequence":
            y = np.ascontiguousarray(y.swapaxes(0, 1))
        output = None if result.output is None else np.ascontiguousarray(result.output.swapaxes(0, 1))
        return Result(output=output, h_n=result.h_n, c_n=result.c_n, y=y)

    def backward(self, d_output: Any = None, d_h_n: Any = None, d_c_n: Any = None, d_y: Any = None) -> Gradients:
        """The gradients of a loss ``L`` through the latest ``forward(..., keep=True)`` (backpropagation through time).

        Give ``dL/d`` of what that forward returned, each in the same shape (and layout: batch-first
        ``output``/``y`` when it was), any of them None for zero: ``d_output`` [T, B, W],
        ``d_h_n``/``d_c_n`` as the states, ``d_y`` [T, B, O] or [B, O]. Returns :class:`Gradients`:
        ``weights`` by dotted JSON path, ``x``, ``h0``, ``c0``. It may be called again with other
        gradients for the same forward.
        """
        if not self.supports_backward:
            raise self._no_backward()
        kept = self._kept
        if kept is None:
            raise InputError("backward() needs a forward(..., keep=True) first (the latest forward did not keep)")
        chain, steps, batch = self.chain, kept.steps, kept.batch
        width = chain.output_width
        d_out = None
        if d_output is not None:
            shape = (batch, steps, width) if kept.batch_first else (steps, batch, width)
            d_out = as_real_array("d_output", d_output, shape, self.dtype)
            d_out = np.ascontiguousarray(d_out.swapaxes(0, 1)) if kept.batch_first else d_out
        dy = None
        if d_y is not None:
            if chain.y_size is None:
                raise InputError("d_y must be None: this chain has no y (readout sequence, no dense layer)")
            if chain.readout == "last":
                dy = as_real_array("d_y", d_y, (batch, chain.y_size), self.dtype)
            else:
                shape = (batch, steps, chain.y_size) if kept.batch_first else (steps, batch, chain.y_size)
                dy = as_real_array("d_y", d_y, shape, self.dtype)
                dy = np.ascontiguousarray(dy.swapaxes(0, 1)) if kept.batch_first else dy
        dh_flat, dc_flat = self._check_state(d_h_n, d_c_n, batch, "d_h_n", "d_c_n")
        if dh_flat is None:
            dh_flat = np.zeros(batch * sum(chain.state_sizes), dtype=self.dtype)
        if dc_flat is None:
            dc_flat = np.zeros(batch * sum(chain.cell_state_sizes), dtype=self.dtype)
        dh_slots = [s.copy() for s in split_slots(dh_flat, batch, chain.state_sizes)]
        dc_slots = [s.copy() for s in split_slots(dc_flat, batch, chain.cell_state_sizes)]
        grads = self._backward_flat(kept.tape, d_out, dh_slots, dc_slots, dy)
        d_x = grads.x
        if d_x is not None and kept.batch_first:
            d_x = np.ascontiguousarray(d_x.swapaxes(0, 1))
        c0 = None if grads.c0 is None else friendly_states(grads.c0)  # type: ignore[arg-type]
        return replace(grads, x=d_x, h0=friendly_states(grads.h0), c0=c0)  # type: ignore[arg-type]

    def step(self, x_t: Any, state: State | tuple[Any, Any] | None = None) -> tuple[np.ndarray, State]:
        """One time step of a chain whose layers all run forward (streaming).

        x_t [B, I] (or tokens [B]) -> (y_t, state): ``y_t`` is the dense layers' output [B, O] when the
        chain has dense layers, else the top layer's output [B, W]; ``state`` is :class:`State` with
        ``h``/``c`` in the form :meth:`forward` returns (``c`` None without lstm layers).
        """
        chain = self.chain
        backward = [index for index, layer in enumerate(chain.layers) if layer.direction != "forward"]
        if backward:
            layer = chain.layers[backward[0]]
            raise InputError(
                f"step() streams chains whose layers all run forward; layer {backward[0]} is {layer.direction}"
                " (use forward())"
            )
        x_t = as_array("x_t", x_t)
        want = "[B]" if chain.takes_tokens else "[B, I]"
        if x_t.ndim != (1 if chain.takes_tokens else 2) or 0 in x_t.shape:
            raise InputError(f"x_t must be a non-empty {want} array, got shape {list(x_t.shape)}")
        inputs = self._check_inputs(x_t[None], batch_first=False, name="x_t")
        batch = inputs.shape[1]
        h, c = (None, None) if state is None else state
        h_flat, c_flat = self._check_state(h, c, batch, "state.h", "state.c")
        output, h_next, c_next, y = self._forward_flat(inputs, h_flat, c_flat, None)
        result = self._unpack(batch, output, h_next, c_next, y)
        if result.y is None:
            y_t = output[0]
        else:
            y_t = result.y[0] if chain.readout == "sequence" else result.y
        return y_t, State(result.h_n, result.c_n)  # type: ignore[arg-type]

    # -- checks and unpacking --------------------------------------------------------------

    def _check_inputs(self, x: Any, batch_first: bool, name: str | None = None) -> np.ndarray:
        """x -> float [T, B, I] in the net's dtype, or tokens -> int64 [T, B] each in 0..V-1."""
        chain = self.chain
        array = as_array(name or "x", x)
        embedding = chain.embedding
        if embedding is not None:
            label = name or "tokens"
            if array.ndim != 2 or 0 in array.shape:
                raise InputError(
                    f"{label} must be a non-empty [T, B] array of token ids (this chain has an embedding),"
                    f" got shape {list(array.shape)}"
                )
            if array.dtype.kind not in "iu":
                raise InputError(f"{label} must be integers (token ids), got dtype {array.dtype}")
            tokens = array.swapaxes(0, 1) if batch_first else array
            bad = np.argwhere((tokens < 0) | (tokens >= embedding.vocab_size))
            if bad.size:
                t, b = (int(i) for i in bad[0])
                raise InputError(
                    f"{label}[{t}, {b}] is {tokens[t, b]}, must be a token id in 0..{embedding.vocab_size - 1}"
                )
            return np.ascontiguousarray(tokens, dtype=np.int64)
        label = name or "x"
        if array.ndim != 3 or 0 in array.shape:
            layout = "[B, T, I]" if batch_first else "[T, B, I]"
            raise InputError(f"{label} must be a non-empty {layout} array, got shape {list(array.shape)}")
        if batch_first:
            array = array.swapaxes(0, 1)
        steps, batch, _ = array.shape
        return as_real_array(label, array, (steps, batch, chain.input_size), self.dtype)

    def _check_state(
        self, h: Any, c: Any, batch: int, h_name: str, c_name: str
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        chain = self.chain
        h_flat = check_states(h_name, h, batch, chain.state_sizes, self.dtype)
        c_flat = check_states(c_name, c, batch, chain.cell_state_sizes, self.dtype)
        return h_flat, c_flat

    def _unpack(
        self, batch: int, output: np.ndarray, h_flat: np.ndarray, c_flat: np.ndarray | None, y: np.ndarray | None
    ) -> Result:
        chain = self.chain
        h_n = friendly_states(split_slots(h_flat, batch, chain.state_sizes))
        c_n = None
        if chain.cell_state_sizes and c_flat is not None:
            c_n = friendly_states(split_slots(c_flat, batch, chain.cell_state_sizes))
        return Result(output=output, h_n=h_n, c_n=c_n, y=y)

    # -- backward (backends that have it override these three) --------------------------------------

    #: Whether this backend computes gradients (``forward(..., keep=True)`` and ``backward``).
    supports_backward: bool = False

    def _no_backward(self) -> BackwardUnsupported:
        return BackwardUnsupported(self.backend, "backward() is not implemented in this backend")

    def _keep_forward(
        self,
        inputs: np.ndarray,
        h0_flat: np.ndarray | None,
        c0_flat: np.ndarray | None,
        lengths: np.ndarray | None,
    ) -> tuple[Any, FlatResult | None]:
        """Checked arguments as for :meth:`_forward_flat` -> (the tape :meth:`_backward_flat` reads, and the
        forward's result when the kept pass gives exactly :meth:`_forward_flat`'s bits, else None)."""
        raise self._no_backward()

    def _backward_flat(
        self,
        tape: Any,
        d_output: np.ndarray | None,
        d_h_n: list[np.ndarray],
        d_c_n: list[np.ndarray],
        d_y: np.ndarray | None,
    ) -> Gradients:
        """Checked, time-major gradients (d_output [T, B, W] or None, one [B, H_k] per slot, d_y or None)
        -> :class:`Gradients` with ``x`` time-major and ``h0``/``c0`` as lists of slots."""
        raise self._no_backward()

    @abstractmethod
    def _forward_flat(
        self,
        inputs: np.ndarray,
        h0_flat: np.ndarray | None,
        c0_flat: np.ndarray | None,
        lengths: np.ndarray | None,
    ) -> FlatResult:
        """Checked arguments in: inputs float [T, B, I] in the net's dtype or int64 tokens [T, B];
        h0_flat/c0_flat 1-d in the net's dtype or None (zeros); lengths int64 [B] or None (all T).

        -> (output [T, B, W], h_n flat, c_n flat or None, y [T, B, O] | [B, O] or None).
        """

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.backend}[{self.kernel_name}] {self.chain.describe()} {self.dtype}>"

"""What every backend's ``Net`` shares: argument checks, ``step`` on top of ``forward``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, NamedTuple

import numpy as np

from rnn_rosetta.errors import InputError
from rnn_rosetta.model import Model
from rnn_rosetta.result import Result

DTYPES = ("float64", "float32")


class State(NamedTuple):
    """The recurrent state carried between ``step`` calls.

    A chain's (``ChainNet.step``) is per slot: ``h`` ``[S, B, H_out]`` when every slot has the same size,
    else a list of ``[B, H_out_k]``; ``c`` likewise for the lstm layers' slots, None without any.
    """

    h: Any  # [L, B, H_out]; a chain: [S, B, H_out] or a list of S arrays [B, H_out_k]
    c: Any  # [L, B, H], lstm only (None otherwise); a chain: likewise per lstm slot


def check_dtype(dtype: str) -> np.dtype:
    if dtype not in DTYPES:
        raise InputError(f"dtype must be one of {list(DTYPES)}, got {dtype!r}")
    return np.dtype(dtype)


def as_array(name: str, value: Any) -> np.ndarray:
    """``np.asarray(value)``, refusing ragged nested lists and other non-arrays."""
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name} is not a rectangular array: {exc}") from None


def as_real_array(name: str, value: Any, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """``value`` as a C-contiguous array of ``dtype`` and exactly ``shape``.

    Real numbers of any dtype and non-contiguous layouts are converted (a cheap
    copy); complex, object, string and boolean arrays are refused.
    """
    array = as_array(name, value)
    if array.dtype.kind not in "fiu":
        raise InputError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.shape != shape:
        raise InputError(f"{name} must have shape {list(shape)}, got {list(array.shape)}")
    return np.ascontiguousarray(array, dtype=dtype)


def check_lengths(value: Any, batch: int, steps: int) -> np.ndarray:
    """``lengths`` as int64 ``[B]`` with each value in ``1..T``."""
    array = as_array("lengths", value)
    if array.dtype.kind not in "iu":
        raise InputError(f"lengths must be integers, got dtype {array.dtype}")
    if array.shape != (batch,):
        raise InputError(f"lengths must have shape [{batch}] (one per batch element), got {list(array.shape)}")
    bad = np.flatnonzero((array < 1) | (array > steps))
    if bad.size:
        raise InputError(f"lengths[{bad[0]}] is {array[bad[0]]}, must be in 1..{steps} (T)")
    return np.ascontiguousarray(array, dtype=np.int64)


class Net(ABC):
    """A model loaded into one backend. Subclasses implement ``_forward``.

    ``forward`` and ``step`` check their arguments here, once, for every
    backend; the C and Java libraries check them again at their own boundary.
    """

    backend: str = "?"
    #: The kernels ``load`` accepts; "auto" picks the fastest this machine runs.
    kernels: tuple[str, ...] = ("auto",)

    def __init__(self, model: Model, dtype: str = "float64", kernel: str = "auto") -> None:
        self.model = model
        self.dtype = check_dtype(dtype)
        if kernel not in self.kernels:
            raise InputError(f"{self.backend}: kernel must be one of {list(self.kernels)}, got {kernel!r}")

    @property
    def kernel_name(self) -> str:
        """The code path this net runs (e.g. ``avx2-fma``, ``vector``, ``fast``, ``plain``)."""
        return self.backend

    def forward(
        self,
        x: Any,
        h0: Any = None,
        c0: Any = None,
        lengths: Any = None,
    ) -> Result:
        """Run the whole sequence. x [T, B, I] -> :class:`Result`."""
        model = self.model
        x = as_array("x", x)
        x_shape = x.shape
        if len(x_shape) != 3 or 0 in x_shape:
            raise InputError(f"x must be a non-empty [T, B, I] array, got shape {list(x_shape)}")
        steps, batch, _ = x_shape
        x = as_real_array("x", x, (steps, batch, model.input_size), self.dtype)
        h0, c0 = self._check_state(h0, c0, batch, model.num_layers * model.num_directions, "h0", "c0")
        if lengths is not None:
            lengths = check_lengths(lengths, batch, steps)
        return self._forward(x, h0, c0, lengths)

    def step(self, x_t: Any, state: State | tuple[Any, Any] | None = None) -> tuple[np.ndarray, State]:
        """One time step of a forward-direction model (streaming).

        x_t [B, I] -> (y_t, state): ``y_t`` is the head's output [B, O] when the
        model has a head, else the top layer's output [B, H_out]; ``state`` is
        :class:`State` (h [L, B, H_out], c [L, B, H] or None).
        """
        model = self.model
        if model.direction != "forward":
            raise InputError(
                f"step() streams forward-direction models only; this model is {model.direction} (use forward())"
            )
        x_t = as_array("x_t", x_t)
        x_shape = x_t.shape
        if len(x_shape) != 2 or 0 in x_shape:
            raise InputError(f"x_t must be a non-empty [B, I] array, got shape {list(x_shape)}")
        batch = x_shape[0]
        x_t = as_real_array("x_t", x_t, (batch, model.input_size), self.dtype)
        h, c = (None, None) if state is None else state
        h, c = self._check_state(h, c, batch, model.num_layers, "state.h", "state.c")
        out_t, y_t, h_next, c_next = self._step(x_t, h, c)
        return (out_t if y_t is None else y_t), State(h_next, c_next)

    def _check_state(
        self, h: Any, c: Any, batch: int, slots: int, h_name: str, c_name: str
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        model = self.model
        if h is not None:
            h = as_real_array(h_name, h, (slots, batch, model.output_size), self.dtype)
        if c is not None:
            if model.cell != "lstm":
                raise InputError(f"{c_name} is only for lstm; this model is {model.cell}")
            c = as_real_array(c_name, c, (slots, batch, model.hidden_size), self.dtype)
        return h, c

    @abstractmethod
    def _forward(
        self, x: np.ndarray, h0: np.ndarray | None, c0: np.ndarray | None, lengths: np.ndarray | None
    ) -> Result:
        """Checked arguments in, a :class:`Result` out."""

    def _step(
        self, x_t: np.ndarray, h: np.ndarray | None, c: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
        """One step as ``forward`` with T = 1: (out_t, y_t, h_next, c_next)."""
        result = self._forward(x_t[None], h, c, None)
        y_t = None if result.y is None else result.y[0]
        return result.output[0], y_t, result.h_n, result.c_n

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.backend}[{self.kernel_name}] {self.model.describe()} {self.dtype}>"

"""The backend registry: one name per implementation of the same equations."""

from __future__ import annotations

from typing import Protocol

from rnn_rosetta.backends.base import Net, State
from rnn_rosetta.backends.chain_net import ChainNet
from rnn_rosetta.chain import Chain
from rnn_rosetta.errors import BackendUnavailable, InputError
from rnn_rosetta.model import Model

BACKENDS: tuple[str, ...] = ("numpy", "c", "java")


class Backend(Protocol):
    name: str
    kernels: tuple[str, ...]  # what ``load(kernel=...)`` accepts; "auto" first

    def why_unavailable(self) -> str | None:
        """``None`` when the backend can load models here, else the reason."""

    def load(self, model: Model | Chain, dtype: str = "float64", kernel: str = "auto") -> Net | ChainNet:
        """Hand the weights over once; return a ready :class:`Net` (a :class:`ChainNet` for a
        :class:`Chain`) computing in ``dtype``."""


def get_backend(name: str) -> Backend:
    """The backend called ``name`` (one of :data:`BACKENDS`)."""
    if name == "numpy":
        from rnn_rosetta.backends.numpy_backend import NumpyBackend

        return NumpyBackend()
    if name == "c":
        from rnn_rosetta.backends.c_backend import CBackend

        return CBackend()
    if name == "java":
        from rnn_rosetta.backends.java_backend import JavaBackend

        return JavaBackend()
    raise InputError(f"unknown backend {name!r}, expected one of {list(BACKENDS)}")


def available_backends() -> tuple[str, ...]:
    """The backends that can load a model on this machine, e.g. ``("numpy", "c", "java")``."""
    return tuple(name for name in BACKENDS if get_backend(name).why_unavailable() is None)


__all__ = ["BACKENDS", "Backend", "BackendUnavailable", "ChainNet", "Net", "State", "available_backends", "get_backend"]

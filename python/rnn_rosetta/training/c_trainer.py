"""The step of docs/training.md in C: ``rr_trainer_create/step/free`` of ``c/include/rnn_rosetta_train.h``.

The library is the C backend's (:func:`rnn_rosetta.backends.c_backend.load_library`); the training
header's declarations go into a second cffi FFI that includes the backend's, so the ``rr_chain *`` of a
loaded :class:`~rnn_rosetta.backends.c_backend.CChainNet` and its ``rr_error`` pass straight through.
The C trainer updates that chain's weights in place after every step.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from rnn_rosetta import paths
from rnn_rosetta.backends import get_backend
from rnn_rosetta.backends.c_backend import CCall, CChainNet, header_declarations, load_library
from rnn_rosetta.backward.weights import chain_weights, chain_with_weights
from rnn_rosetta.chain import Chain
from rnn_rosetta.errors import BackendUnavailable
from rnn_rosetta.training.trainer import ADAM_BETAS, ADAM_EPS, FlatState, TrainSettings

TRAIN_HEADER = "rnn_rosetta_train.h"


@lru_cache(maxsize=1)
def load_train_library() -> tuple[Any, Any]:
    """``(ffi, lib)`` for the training header (beside ``rnn_rosetta.h``), on the backend's library; opened once."""
    base_ffi, _ = load_library()
    header = paths.c_header().with_name(TRAIN_HEADER)
    if not header.exists():
        raise BackendUnavailable(f"c: {header} is missing; the C library has no trainer")
    import cffi

    ffi = cffi.FFI()
    ffi.include(base_ffi)
    ffi.cdef(header_declarations(header.read_text("utf-8")))
    try:
        lib = ffi.dlopen(str(paths.c_library()))
    except OSError as exc:
        raise BackendUnavailable(f"c: cannot open {paths.c_library()}: {exc}") from None
    return ffi, lib


class CTrainer:
    """One ``rr_trainer`` on the C chain of ``logits`` (float64 or float32); states cross as float64."""

    def __init__(self, logits: Chain, settings: TrainSettings) -> None:
        self.settings = settings
        self._structure = logits
        net = get_backend("c").load(logits, dtype=settings.dtype)
        assert isinstance(net, CChainNet)
        self._net = net  # owns the rr_chain (rr_trainer_free does not touch it, so either may go first)
        self._chain_c = net._chain_c  # the loaded chain's handle (c_backend has no public accessor)
        ffi, lib = load_train_library()
        self._ffi, self._lib = ffi, lib
        self._base = load_library()[1]  # rnn_rosetta.h's functions and constants (the included FFI's)
        cfg = ffi.new("rr_train_config *")
        cfg.optimizer = lib.RR_OPTIMIZER_ADAM if settings.optimizer == "adam" else lib.RR_OPTIMIZER_SGD
        cfg.lr = settings.lr
        cfg.beta1, cfg.beta2 = ADAM_BETAS
        cfg.eps = ADAM_EPS
        cfg.momentum = settings.momentum
        cfg.clip_norm = settings.clip_norm
        call = CCall()
        out = ffi.new("rr_trainer **")
        call.check(lib.rr_trainer_create(self._chain_c, cfg, out, call.err))
        self._trainer = ffi.gc(out[0], lib.rr_trainer_free)
        self._h_size = sum(logits.state_sizes)
        self._c_size = sum(logits.cell_state_sizes)
        self._loss = ffi.new("double *")

    def step(self, x: np.ndarray, y: np.ndarray, state: FlatState | None) -> tuple[float, FlatState]:
        steps, batch = x.shape
        tokens = np.ascontiguousarray(x, dtype=np.int64)  # [T, B]
        targets = np.ascontiguousarray(y, dtype=np.int64)  # [T, B]
        h, c = (None, None) if state is None else state
        h_next = np.empty(batch * self._h_size)  # [S_h]
        c_next = np.empty(batch * self._c_size) if self._c_size else None  # [S_c]
        call = CCall()
        self._loss[0] = float("nan")
        status = self._lib.rr_trainer_step(
            self._trainer, steps, batch, *call.int64s(tokens), *call.int64s(targets),
            *call.reals(_flat(h)), *call.reals(_flat(c)), *call.reals(h_next), *call.reals(c_next),
            self._loss, call.err,
        )  # fmt: skip
        loss = float(self._loss[0])
        if status == self._base.RR_E_STATE and not np.isfinite(loss):
            return loss, (h_next, c_next)  # the loop refuses a loss that is not finite, by step number
        call.check(status)
        return loss, (h_next, c_next)

    def trained_chain(self) -> Chain:
        """``rr_trainer_params`` cut by ``rr_chain_param_info`` into the chain's arrays."""
        ffi, lib, base = self._ffi, self._lib, self._base
        call = CCall()
        params = np.empty(int(base.rr_chain_param_count(self._chain_c)))  # [P]
        call.check(lib.rr_trainer_params(self._trainer, *call.reals(params), call.err))
        shapes = {path: w.shape for path, w in chain_weights(self._structure).items()}
        path, offset, count = ffi.new("char **"), ffi.new("size_t *"), ffi.new("size_t *")
        weights: dict[str, np.ndarray] = {}
        for k in range(int(base.rr_chain_num_params(self._chain_c))):
            call.check(base.rr_chain_param_info(self._chain_c, k, path, offset, count, call.err))
            name = ffi.string(path[0]).decode()
            weights[name] = params[offset[0] : offset[0] + count[0]].reshape(shapes[name])
        return chain_with_weights(self._structure, weights)


def _flat(array: np.ndarray | None) -> np.ndarray | None:
    return None if array is None else np.ascontiguousarray(array, dtype=np.float64)

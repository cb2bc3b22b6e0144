"""How ``CNet.step``'s fast path calls ``rr_net_step_bound[_f32]``: through ``_rr_step_call``, the cffi API-mode
module ``make c-step-py`` builds beside the library (:mod:`rnn_rosetta.backends.c_step_call_build`), or, where
that module is absent, straight through the ABI-mode library (``ffi.dlopen``): the same C function with the same
arguments, so the same bits and refusals, about 0.1 us slower per call.

Which one a process uses is decided once, at the first fast step, and reported by :func:`step_call_mode`
(``"api"`` or ``"abi"``). A module that exists but cannot be loaded (built for another
Python, damaged) is an error, not a quiet fallback: :class:`BackendUnavailable` with one line saying what to run.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sysconfig
from functools import lru_cache
from pathlib import Path
from typing import Any

from rnn_rosetta import paths
from rnn_rosetta.errors import BackendUnavailable

MODULE = "_rr_step_call"

#: The ways the fast step can call the library.
STEP_CALL_MODES: tuple[str, ...] = ("api", "abi")


def module_path() -> Path:
    """Where ``make c-step-py`` puts the module for this Python: beside the library ``load_library`` opens."""
    return paths.c_library().parent / f"{MODULE}{sysconfig.get_config_var('EXT_SUFFIX')}"


@lru_cache(maxsize=1)
def _api_module() -> Any | None:
    """The loaded ``_rr_step_call`` module (not bound to a library yet); None when there is none."""
    path = module_path()
    if not path.is_file():
        return None
    try:
        loader = importlib.machinery.ExtensionFileLoader(MODULE, str(path))
        spec = importlib.util.spec_from_file_location(MODULE, path, loader=loader)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    except ImportError as exc:
        raise BackendUnavailable(f"c: cannot load {path} ({exc}); rebuild it: make c-step-py PYTHON=python") from None
    return module


@lru_cache(maxsize=1)
def _bound_module(ffi: Any, lib: Any) -> Any:
    """``_rr_step_call`` pointed at the step entry points of ``lib`` (the one library ``load_library`` opens,
    so this binds once per process); BackendUnavailable when it is not built."""
    module = _api_module()
    if module is None:
        raise BackendUnavailable(f"c: {module_path()} is not built; run `make c-step-py PYTHON=python`")
    if module.lib.rr_py_step_bind(
        ffi.cast("void *", lib.rr_net_step_bound), ffi.cast("void *", lib.rr_net_step_bound_f32)
    ):
        raise BackendUnavailable(f"c: {module_path()} was given no step entry point")  # pragma: no cover
    return module


def step_call_mode() -> str:
    """``"api"`` when the fast step calls through ``_rr_step_call``, ``"abi"`` when through ``ffi.dlopen``."""
    return "abi" if _api_module() is None else "api"


def step_function(ffi: Any, lib: Any, f32: bool, mode: str | None = None) -> Any:
    """The callable ``fn(rr_step_bound *, x_t pointer) -> status`` of the fast step of a float32 (``f32``) or
    float64 net of ``(ffi, lib)`` (``load_library()``); ``mode`` None: the best there is (:func:`step_call_mode`),
    else ``"api"`` or ``"abi"``."""
    mode = step_call_mode() if mode is None else mode
    if mode == "api":
        module = _bound_module(ffi, lib)
        return module.lib.rr_py_step_f32 if f32 else module.lib.rr_py_step
    if mode != "abi":
        raise ValueError(f"step call mode {mode!r}, expected one of {', '.join(STEP_CALL_MODES)}")
    return lib.rr_net_step_bound_f32 if f32 else lib.rr_net_step_bound

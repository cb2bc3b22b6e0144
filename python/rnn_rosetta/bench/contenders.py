"""The contenders: our three backends through the public API, and the peers.

Each ``prepare_*`` loads one model in one dtype and returns a :class:`Prepared`
(the timed call, how to read its final state, and facts worth recording), or
raises :class:`NotAvailable` with the reason (a backend not built, a dtype the
library does not have yet, ONNX Runtime in float64).

Names: ``numpy``, ``c``, ``java`` (ours, kernel "auto"; ``c:portable`` or
``java:KERNEL`` asks ``load`` for a kernel variant), ``torch`` (PyTorch CPU
as installed), ``torch-native`` (PyTorch with oneDNN off: its own ATen
kernels), ``onnxruntime`` (float32 only).

Every contender records in ``info["kernel"]`` the code it ran: ours their
``kernel_name`` (C: ``rr_net_kernel_name``, e.g. ``avx512``); PyTorch the
oneDNN RNN primitive's implementation and ISA, read from oneDNN's verbose
output of one untimed call (e.g. ``oneDNN rnn brgemm:avx512_core``), or, with
oneDNN off or unused, ATen's CPU capability; ONNX Runtime ``MLAS`` with the
platform ``unknown`` (onnxruntime does not expose which MLAS kernels it chose).
"""

from __future__ import annotations

import inspect
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnn_rosetta.backends import get_backend
from rnn_rosetta.bench.timing import Timed
from rnn_rosetta.errors import BackendUnavailable, InputError
from rnn_rosetta.model import Model

OURS: tuple[str, ...] = ("numpy", "c", "java")
PEERS: tuple[str, ...] = ("torch", "torch-native", "onnxruntime", "numpy")
CONTENDERS: tuple[str, ...] = ("numpy", "c", "java", "torch", "torch-native", "onnxruntime")

#: The keywords a backend's ``load`` may take for its thread count (C: ``rr_config.num_threads``),
#: first match wins. Where ``load`` takes none the backend runs on the calling thread.
THREADS_KEYWORDS: tuple[str, ...] = ("threads", "num_threads")
KERNEL_KEYWORD = "kernel"
#: Error codes of a library that has no such dtype or kernel (on this CPU).
UNSUPPORTED_CODES = frozenset({"RR_E_UNSUPPORTED", "UnsupportedOperationException"})
#: Ours that compile hot code while they run (the JVM): warmed up for longer (``jit_warmup_seconds``).
JIT_BACKENDS: tuple[str, ...] = ("java",)


class NotAvailable(Exception):
    """This contender cannot run this (model, dtype) here; the message says why."""


@dataclass
class Prepared:
    """A loaded contender: what to time, how to read ``h_n`` from its result, what to record."""

    timed: Timed
    final_state: Callable[[Any], np.ndarray]
    info: dict[str, Any] = field(default_factory=dict)


def base_name(contender: str) -> str:
    """``c:portable`` -> ``c``."""
    return contender.split(":", 1)[0]


def is_ours(contender: str) -> bool:
    return base_name(contender) in OURS


def load_keywords(backend: Any, contender: str, threads: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The extra ``load`` keywords (threads, kernel) the backend takes, and what to record about them."""
    parameters = inspect.signature(backend.load).parameters
    keywords: dict[str, Any] = {}
    info: dict[str, Any] = {}
    keyword = next((k for k in THREADS_KEYWORDS if k in parameters), None)
    if keyword is not None:
        keywords[keyword] = threads
        info["threads"] = threads
    elif base_name(contender) == "numpy":
        info["threads"] = f"{threads} (OpenBLAS)"
    else:
        info["threads"] = "1 (load() takes no thread count)"
    if ":" in contender:
        kernel = contender.split(":", 1)[1]
        if KERNEL_KEYWORD not in parameters:
            raise NotAvailable(f"{base_name(contender)}: load() takes no {KERNEL_KEYWORD}")
        kernels = getattr(backend, "kernels", None)
        if kernels is not None and kernel not in kernels:
            raise NotAvailable(f"{base_name(contender)}: no kernel {kernel!r} (has {', '.join(kernels)})")
        keywords[KERNEL_KEYWORD] = kernel
    return keywords, info


def follows_threads(contender: str) -> bool:
    """Whether ``contender`` uses more threads when asked: peers and numpy do; ours if ``load`` takes a count."""
    if not is_ours(contender) or base_name(contender) == "numpy":
        return True
    parameters = inspect.signature(get_backend(base_name(contender)).load).parameters
    return any(keyword in parameters for keyword in THREADS_KEYWORDS)


def load_ours(contender: str, model: Any, dtype: str, threads: int) -> tuple[Any, dict[str, Any]]:
    """One of our backends' ``load(model, dtype)`` (a v1 model or a chain) and what to record of it;
    :class:`NotAvailable` when the backend, the dtype or the kernel is not there."""
    backend = get_backend(base_name(contender))
    reason = backend.why_unavailable()
    if reason is not None:
        raise NotAvailable(reason)
    keywords, info = load_keywords(backend, contender, threads)
    try:
        net = backend.load(model, dtype, **keywords)
    except BackendUnavailable as exc:
        raise NotAvailable(str(exc)) from None
    except InputError as exc:
        if exc.code in UNSUPPORTED_CODES or any(word in str(exc) for word in ("dtype", "kernel")):
            raise NotAvailable(f"{contender} {dtype}: {exc}") from None
        raise
    try:
        info["kernel"] = str(net.kernel_name)
    except Exception:  # an older library without kernel names
        info["kernel"] = None
    return net, info


def prepare_ours(contender: str, model: Model, dtype: str, threads: int, x: np.ndarray) -> Prepared:
    """One of our backends through ``get_backend(name).load(model, dtype)`` and ``forward(x)``."""
    net, info = load_ours(contender, model, dtype, threads)
    jit = base_name(contender) in JIT_BACKENDS
    return Prepared(Timed(lambda: net.forward(x), jit=jit), lambda result: result.h_n, info)


def torch_session(native: bool) -> Callable[[], Any]:
    import torch

    @contextmanager
    def session() -> Iterator[None]:
        with torch.inference_mode():
            if not native:
                yield
                return
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a note about TF32 on Intel GPUs
                with torch.backends.mkldnn.flags(enabled=False):
                    yield

    return session


#: oneDNN's ISA line, printed once per process with its first verbose output (kept for later calls).
_ONEDNN_ISA: list[str] = []


def _captured_stdout(call: Callable[[], Any]) -> str:
    """What ``call`` writes to file descriptor 1 (C libraries' printf included)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            call()
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
        sink.seek(0)
        return sink.read().decode(errors="replace")


def torch_kernel(torch: Any, call: Callable[[], Any], native: bool) -> str:
    """The code PyTorch ran for one (untimed) call of ``call``: the oneDNN RNN primitive's implementation
    and ISA from oneDNN's verbose lines, or ATen's native kernels with the CPU capability they dispatch to."""
    aten = f"ATen native (CPU capability {torch.backends.cpu.get_cpu_capability()})"
    if native or not torch.backends.mkldnn.is_available():
        return aten
    with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
        lines = _captured_stdout(call).splitlines()
    # onednn_verbose,v1,info,cpu,isa:Intel AVX-512 ... / onednn_verbose,v1,primitive,exec,cpu,rnn,IMPL,...
    _ONEDNN_ISA.extend(line.split("isa:", 1)[1] for line in lines if ",cpu,isa:" in line)
    implementations = sorted(
        {line.split(",exec,cpu,rnn,", 1)[1].split(",")[0] for line in lines if ",exec,cpu,rnn," in line}
    )
    if not implementations:
        return f"{aten}; oneDNN not used for this model"
    isa = f" (isa: {_ONEDNN_ISA[0]})" if _ONEDNN_ISA else ""
    return f"oneDNN rnn {', '.join(implementations)}{isa}"


def prepare_torch(contender: str, model: Model, dtype: str, threads: int, x: np.ndarray) -> Prepared:
    """``torch.nn.RNN/LSTM/GRU`` built by :func:`rnn_rosetta.oracles.torch_module`; ``torch-native``: oneDNN off."""
    try:
        import torch

        from rnn_rosetta.oracles import torch_module
    except ImportError as exc:
        raise NotAvailable(f"PyTorch is not installed ({exc})") from None
    module = torch_module(model)
    if dtype == "float32":
        module = module.float()
    module.eval()
    inputs = torch.from_numpy(x)
    lstm = model.cell == "lstm"

    def final_state(result: Any) -> np.ndarray:
        state = result[1][0] if lstm else result[1]
        return state.detach().numpy()

    native = contender == "torch-native"
    info: dict[str, Any] = {"threads": torch.get_num_threads(), "onednn": not native}
    if not native:
        info["onednn_available"] = bool(torch.backends.mkldnn.is_available())
    session = torch_session(native)

    def one_call() -> None:
        with session():
            module(inputs)

    info["kernel"] = torch_kernel(torch, one_call, native)
    return Prepared(Timed(lambda: module(inputs), session), final_state, info)


def onnxruntime_session(onnxruntime: Any, graph: Any, threads: int) -> Any:
    """An ONNX Runtime CPU session on ``graph`` with ``threads`` intra-op threads, run sequentially."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    return onnxruntime.InferenceSession(graph.SerializeToString(), options, providers=["CPUExecutionProvider"])


def prepare_onnxruntime(contender: str, model: Model, dtype: str, threads: int, x: np.ndarray) -> Prepared:
    """ONNX Runtime's CPU provider on :func:`rnn_rosetta.interop.onnx_export.model_to_onnx`'s graph."""
    if dtype != "float32":
        raise NotAvailable("ONNX Runtime has no float64 RNN/LSTM/GRU kernels")
    try:
        import onnxruntime

        from rnn_rosetta.interop.onnx_export import model_to_onnx
    except ImportError as exc:
        raise NotAvailable(f"onnx / onnxruntime is not installed ({exc})") from None
    session = onnxruntime_session(onnxruntime, model_to_onnx(model, "float32"), threads)
    names = [output.name for output in session.get_outputs()]
    h_n = names.index("h_n")
    feeds = {"x": x}
    info = {"threads": threads, "kernel": "MLAS, platform unknown (onnxruntime does not expose its choice)"}
    return Prepared(Timed(lambda: session.run(None, feeds)), lambda result: result[h_n], info)


PREPARERS: dict[str, Callable[[str, Model, str, int, np.ndarray], Prepared]] = {
    "numpy": prepare_ours,
    "c": prepare_ours,
    "java": prepare_ours,
    "torch": prepare_torch,
    "torch-native": prepare_torch,
    "onnxruntime": prepare_onnxruntime,
}


def check_contenders(names: list[str]) -> None:
    """``ValueError`` naming the first unknown contender."""
    for name in names:
        if base_name(name) not in PREPARERS or (":" in name and not is_ours(name)):
            raise ValueError(f"unknown contender {name!r}, expected one of {list(CONTENDERS)} (or c:KERNEL)")


def prepare(contender: str, model: Model, dtype: str, threads: int, x: np.ndarray) -> Prepared:
    """Load ``model`` into ``contender`` in ``dtype``; :class:`NotAvailable` when it cannot be."""
    return PREPARERS[base_name(contender)](contender, model, dtype, threads, x)

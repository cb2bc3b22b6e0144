"""The backward rows (``bench --backward``): one training step's gradients per sequence, ours against PyTorch autograd.

What is timed, per call, for one shape's model and input ``x [T, B, H]`` and a fixed random
``d_output [T, B, H]`` (the gradient of ``L = sum(output * d_output)``):

- ours (numpy, C, Java), the model as a chain (:func:`rnn_rosetta.chain.chain_from_model`):
  ``net.forward(x, keep=True)`` then ``net.backward(d_output=d_output)`` -> every weight's
  ``dL/dW``, ``dL/dx`` and ``dL/dh0`` (``dL/dc0``);
- ``torch`` / ``torch-native`` (oneDNN off): ``torch.nn.LSTM/GRU/RNN`` with ``requires_grad``
  weights and ``x.requires_grad`` (so it computes ``dL/dx`` as ours do), ``out.backward(d_output)``;
  the gradients are dropped (``grad = None``) before each call, as ``zero_grad()`` does.

A backend whose net has no backward pass (``supports_backward`` False) is ``n/a`` with that reason.
Each cell's answer is checked: ``dL/dW_hh`` of layer 0, against the first of :data:`CHECK_REFERENCES`
that ran, ``max |a - b| / max(1, max |b|)`` within :data:`CHECK_TOLERANCE`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from rnn_rosetta.bench.cells import classify, new_cell
from rnn_rosetta.bench.contenders import JIT_BACKENDS, NotAvailable, Prepared, base_name, follows_threads, load_ours
from rnn_rosetta.bench.shapes import Shape, build_input, seed_of
from rnn_rosetta.bench.timing import Timed, TimingPolicy, measure
from rnn_rosetta.chain import chain_from_model
from rnn_rosetta.model import Model

#: The contenders that have a backward row (ONNX Runtime runs inference only).
BACKWARD_CONTENDERS: tuple[str, ...] = ("numpy", "c", "java", "torch", "torch-native")
#: The gradient compared across contenders (a dotted path of :class:`~rnn_rosetta.backward.gradients.Gradients`).
CHECKED_PATH = "layers.0.forward.weight_hh"
#: Largest ``max |a - b| / max(1, max |b|)`` of the checked gradient accepted as "the same answer".
CHECK_TOLERANCE: dict[str, float] = {"float32": 2e-3, "float64": 1e-8}
#: Whose gradient the others are checked against, first available.
CHECK_REFERENCES: tuple[str, ...] = ("torch", "numpy", "torch-native", "c", "java")


def backward_contenders(contenders: tuple[str, ...]) -> tuple[str, ...]:
    """The plan's contenders that have a backward row (``c:portable`` counts as ``c``)."""
    return tuple(name for name in contenders if base_name(name) in BACKWARD_CONTENDERS)


def build_d_output(shape: Shape, dtype: str) -> np.ndarray:
    """The fixed ``d_output [T, B, H]`` (``dL/d output``), standard normal, seeded by the shape."""
    rng = np.random.default_rng(seed_of(shape) + 2)
    return rng.standard_normal((shape.steps, shape.batch, shape.hidden)).astype(dtype)


def prepare_ours_backward(
    contender: str, model: Model, dtype: str, threads: int, x: np.ndarray, d_output: np.ndarray
) -> Prepared:
    """One of our backends on the model as a chain: ``forward(x, keep=True)`` + ``backward(d_output=)``."""
    net, info = load_ours(contender, chain_from_model(model), dtype, threads)
    if not getattr(net, "supports_backward", False):
        raise NotAvailable(f"{base_name(contender)}: no backward pass (net.supports_backward is False)")

    def call() -> Any:
        net.forward(x, keep=True)
        return net.backward(d_output=d_output)

    jit = base_name(contender) in JIT_BACKENDS
    return Prepared(Timed(call, jit=jit), lambda grads: grads.weights[CHECKED_PATH], info)


def _grad_session(native: bool) -> Callable[[], Any]:
    """Autograd on (no ``inference_mode``); ``torch-native``: oneDNN off as well."""
    import torch

    @contextmanager
    def session() -> Iterator[None]:
        with torch.enable_grad():
            if not native:
                yield
                return
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a note about TF32 on Intel GPUs
                with torch.backends.mkldnn.flags(enabled=False):
                    yield

    return session


def prepare_torch_backward(
    contender: str, model: Model, dtype: str, threads: int, x: np.ndarray, d_output: np.ndarray
) -> Prepared:
    """``torch.nn.RNN/LSTM/GRU`` (:func:`rnn_rosetta.oracles.torch_module`) in training mode, autograd backward."""
    try:
        import torch

        from rnn_rosetta.oracles import torch_module
    except ImportError as exc:
        raise NotAvailable(f"PyTorch is not installed ({exc})") from None
    module = torch_module(model)
    if dtype == "float32":
        module = module.float()
    module.train()
    parameters = list(module.parameters())
    for parameter in parameters:
        parameter.requires_grad_(True)
    inputs = torch.from_numpy(x).requires_grad_(True)  # [T, B, I]: dL/dx too, as ours give
    grad_output = torch.from_numpy(d_output)  # [T, B, H]

    def call() -> Any:
        for parameter in parameters:
            parameter.grad = None  # zero_grad(): a fresh tensor each call, so a kept result stays as it was
        inputs.grad = None
        output, _ = module(inputs)
        output.backward(grad_output)
        return module.weight_hh_l0.grad

    info: dict[str, Any] = {"threads": torch.get_num_threads(), "onednn": contender == "torch"}
    session = _grad_session(contender == "torch-native")
    return Prepared(Timed(call, session), lambda grad: grad.detach().numpy(), info)


def prepare_backward(
    contender: str, model: Model, dtype: str, threads: int, x: np.ndarray, d_output: np.ndarray
) -> Prepared:
    """Load ``model`` into ``contender`` for fwd+bwd in ``dtype``; :class:`NotAvailable` when it cannot be."""
    name = base_name(contender)
    if name not in BACKWARD_CONTENDERS:
        raise NotAvailable(f"{name}: no backward row (inference only)")
    if name.startswith("torch"):
        return prepare_torch_backward(contender, model, dtype, threads, x, d_output)
    return prepare_ours_backward(contender, model, dtype, threads, x, d_output)


def _check(cells: dict[str, dict[str, Any]], grads: dict[str, np.ndarray], dtype: str) -> None:
    """Each cell's ``check``: its ``dL/dW_hh`` (layer 0) against the reference contender's."""
    reference = next((name for name in CHECK_REFERENCES if name in grads), None)
    if reference is None:
        return
    expected = grads[reference]
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    for name, grad in grads.items():
        cell = cells[name]
        if grad.shape != expected.shape:
            cell["check"] = {"vs": reference, "field": CHECKED_PATH, "max_abs": None, "ok": False}
            continue
        diff = float(np.max(np.abs(grad - expected))) if grad.size else 0.0
        finite = math.isfinite(diff)
        cell["check"] = {
            "vs": reference,
            "field": CHECKED_PATH,
            "max_abs": diff if finite else None,
            "tolerance": CHECK_TOLERANCE[dtype] * scale,
            "ok": finite and diff <= CHECK_TOLERANCE[dtype] * scale,
        }


def measure_backward_cells(
    shape: Shape,
    model: Model,
    dtype: str,
    threads: int,
    contenders: tuple[str, ...],
    policy: TimingPolicy,
    skip_single_threaded: bool = True,
) -> list[dict[str, Any]]:
    """Prepare every backward contender, time fwd+bwd interleaved, check the gradients: one cell each.

    Cells are as :func:`rnn_rosetta.bench.cells.measure_cells` makes them, with ``"pass": "fwd+bwd"``.
    """
    x, d_output = build_input(shape, dtype), build_d_output(shape, dtype)
    names = backward_contenders(contenders)
    cells = {name: {**new_cell(shape, dtype, threads, name), "pass": "fwd+bwd"} for name in names}
    prepared: dict[str, Prepared] = {}

    def failed(name: str, exc: BaseException) -> None:
        cells[name]["status"], cells[name]["reason"] = classify(exc)

    for name in names:
        if threads > 1 and skip_single_threaded and not follows_threads(name):
            cells[name]["status"] = "n/a"
            cells[name]["reason"] = f"{name} runs on one thread (its load() takes no thread count): see 1 thread"
            continue
        try:
            prepared[name] = prepare_backward(name, model, dtype, threads, x, d_output)
            cells[name]["info"] = prepared[name].info
        except Exception as exc:  # recorded in the cell, never fatal
            failed(name, exc)
    timings = measure({name: p.timed for name, p in prepared.items()}, policy, on_error=failed)
    grads: dict[str, np.ndarray] = {}
    for name, timing in timings.items():
        cells[name].update(timing.summary())
        cells[name]["per_step_s"] = timing.median / shape.steps
        try:
            grads[name] = np.asarray(prepared[name].final_state(timing.first_result), dtype=np.float64)
        except Exception as exc:
            cells[name]["check"] = {"vs": None, "max_abs": None, "ok": False, "error": str(exc)}
        timing.first_result = None
    _check(cells, grads, dtype)
    return list(cells.values())

"""``bench --fixture``: a fixture's model (v1 or v2 chain) timed in every contender, one cell each.

The model is the fixture's, the inputs are new: random tokens for a chain with an
embedding, random x ``[T, B, I]`` otherwise, seeded by the fixture's name and
the sizes; T and B default to the fixture's first case (``--length``, ``--batch``).
No h0/c0/lengths: zero states, full-length sequences.

Contenders: ours (``load(model)``: a v1 ``Net`` or a :class:`ChainNet`), PyTorch
(:func:`rnn_rosetta.bench.chain_torch.torch_chain`) and ONNX Runtime
(:func:`rnn_rosetta.interop.model_to_onnx` of the chain, float32 only). Each is
n/a with the reason where it cannot run the model.

Before timing, every contender's answer (``y`` when the model has one, else
``output``) is checked against numpy float64 on the same (dtype-rounded)
inputs: ``max |got - ref| <= tol[dtype] * max(1, max |ref|)``.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnn_rosetta.backends import get_backend
from rnn_rosetta.bench.cells import CHECK_TOLERANCE, classify
from rnn_rosetta.bench.contenders import (
    JIT_BACKENDS,
    NotAvailable,
    Prepared,
    base_name,
    follows_threads,
    is_ours,
    load_ours,
    onnxruntime_session,
    torch_session,
)
from rnn_rosetta.bench.timing import Timed, TimingPolicy, measure
from rnn_rosetta.chain import Chain, chain_from_model
from rnn_rosetta.fixture_reader import load_fixture
from rnn_rosetta.model import Model

#: What the answers are checked against.
REFERENCE = "numpy float64"


@dataclass(frozen=True)
class FixtureJob:
    """One fixture's model and the sizes it is timed at."""

    name: str
    path: str
    model: Model | Chain
    batch: int
    steps: int

    @property
    def chain(self) -> Chain:
        return chain_from_model(self.model) if isinstance(self.model, Model) else self.model

    @property
    def checked_field(self) -> str:
        """``y`` when the model produces one, else ``output``."""
        return "output" if self.chain.y_size is None else "y"

    def seed(self) -> int:
        return zlib.crc32(f"{self.name}/{self.batch}/{self.steps}".encode())

    def inputs(self, dtype: str) -> np.ndarray:
        """tokens ``[T, B]`` int64 (embedding) or x ``[T, B, I]`` in ``dtype``, standard normal; seeded."""
        rng = np.random.default_rng(self.seed())
        chain = self.chain
        if chain.embedding is not None:
            return rng.integers(0, chain.embedding.vocab_size, (self.steps, self.batch), dtype=np.int64)
        return rng.standard_normal((self.steps, self.batch, chain.input_size)).astype(dtype)

    def to_json(self) -> dict[str, Any]:
        """The document's ``shapes`` entry for this fixture."""
        chain = self.chain
        return {
            "name": self.name,
            "label": f"{self.name} (B={self.batch}, T={self.steps})",
            "group": "fixture",
            "path": self.path,
            "format_version": 1 if isinstance(self.model, Model) else 2,
            "describe": chain.describe(),
            "batch": self.batch,
            "steps": self.steps,
            "tokens": chain.embedding is not None,
            "checked_field": self.checked_field,
            "parameters": sum(count for _, count in chain.parameter_counts()),
        }


def load_job(path: str | Path, batch: int | None = None, steps: int | None = None) -> FixtureJob:
    """The fixture at ``path`` (FixtureError when it does not read) with its sizes."""
    fixture = load_fixture(path)
    first = fixture.cases[0] if fixture.cases else None
    case_steps, case_batch = (int(first.feed.shape[0]), int(first.feed.shape[1])) if first is not None else (1, 1)
    return FixtureJob(fixture.name, str(path), fixture.model, batch or case_batch, steps or case_steps)


def _answer(result: Any, field: str) -> np.ndarray:
    value = getattr(result, field)
    if value is None:
        raise ValueError(f"the result has no {field}")
    return np.asarray(value, dtype=np.float64)


def prepare_ours_model(contender: str, job: FixtureJob, dtype: str, threads: int, feed: np.ndarray) -> Prepared:
    """Our backend's ``load(model, dtype)`` and ``forward(feed)``."""
    net, info = load_ours(contender, job.model, dtype, threads)
    field = job.checked_field
    jit = base_name(contender) in JIT_BACKENDS
    return Prepared(Timed(lambda: net.forward(feed), jit=jit), lambda result: _answer(result, field), info)


def prepare_torch_chain(contender: str, job: FixtureJob, dtype: str, threads: int, feed: np.ndarray) -> Prepared:
    """The chain as torch modules; ``torch-native``: oneDNN off."""
    try:
        import torch

        from rnn_rosetta.bench.chain_torch import torch_chain, why_not_torch
    except ImportError as exc:
        raise NotAvailable(f"PyTorch is not installed ({exc})") from None
    reason = why_not_torch(job.chain)
    if reason is not None:
        raise NotAvailable(f"PyTorch cannot express {reason}")
    module = torch_chain(job.chain)
    if dtype == "float32":
        module = module.float()
    inputs = torch.from_numpy(feed)
    field = job.checked_field

    def answer(result: Any) -> np.ndarray:
        output, y = result
        return np.asarray((output if field == "output" else y).detach().numpy(), dtype=np.float64)

    info: dict[str, Any] = {"threads": torch.get_num_threads(), "onednn": contender == "torch"}
    session = torch_session(contender == "torch-native")
    return Prepared(Timed(lambda: module(inputs), session), answer, info)


def prepare_onnxruntime_chain(contender: str, job: FixtureJob, dtype: str, threads: int, feed: np.ndarray) -> Prepared:
    """ONNX Runtime's CPU provider on ``model_to_onnx(chain, "float32")``."""
    if dtype != "float32":
        raise NotAvailable("ONNX Runtime has no float64 RNN/LSTM/GRU kernels")
    try:
        import onnxruntime

        from rnn_rosetta.interop import model_to_onnx
    except ImportError as exc:
        raise NotAvailable(f"onnx / onnxruntime is not installed ({exc})") from None
    try:
        graph = model_to_onnx(job.chain, "float32")
    except ValueError as exc:  # ModelImportError is one too
        raise NotAvailable(f"the ONNX exporter refuses this model: {exc}") from None
    session = onnxruntime_session(onnxruntime, graph, threads)
    names = [output.name for output in session.get_outputs()]
    index = names.index(job.checked_field)
    feeds = {"tokens" if job.chain.embedding is not None else "x": feed}

    def answer(result: Any) -> np.ndarray:
        return np.asarray(result[index], dtype=np.float64)

    return Prepared(Timed(lambda: session.run(None, feeds)), answer, {"threads": threads})


def prepare_for_fixture(contender: str, job: FixtureJob, dtype: str, threads: int, feed: np.ndarray) -> Prepared:
    """Load ``job``'s model into ``contender``; :class:`NotAvailable` when it cannot be."""
    name = base_name(contender)
    if is_ours(contender):
        return prepare_ours_model(contender, job, dtype, threads, feed)
    if name in ("torch", "torch-native"):
        return prepare_torch_chain(contender, job, dtype, threads, feed)
    return prepare_onnxruntime_chain(contender, job, dtype, threads, feed)


def reference_answer(job: FixtureJob, feed: np.ndarray) -> np.ndarray:
    """numpy float64 on the same inputs (x upcast from the timed dtype; tokens as they are)."""
    net = get_backend("numpy").load(job.model, "float64")
    given = feed if feed.dtype.kind in "iu" else feed.astype(np.float64)
    return _answer(net.forward(given), job.checked_field)


def agreement(got: np.ndarray, expected: np.ndarray, dtype: str, field: str) -> dict[str, Any]:
    """The ``check`` entry of a cell: how far ``got`` is from the reference, and whether that is within tolerance."""
    tolerance = CHECK_TOLERANCE[dtype] * max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
    if got.shape != expected.shape:
        return {"vs": REFERENCE, "field": field, "max_abs": None, "tolerance": tolerance, "ok": False,
                "error": f"shape {list(got.shape)}, expected {list(expected.shape)}"}  # fmt: skip
    diff = float(np.max(np.abs(got - expected))) if got.size else 0.0
    finite = math.isfinite(diff)
    return {
        "vs": REFERENCE,
        "field": field,
        "max_abs": diff if finite else None,
        "tolerance": tolerance,
        "ok": finite and diff <= tolerance,
    }


def new_fixture_cell(job: FixtureJob, dtype: str, threads: int, contender: str) -> dict[str, Any]:
    return {
        "shape": job.name,
        "group": "fixture",
        "dtype": dtype,
        "threads": threads,
        "contender": contender,
        "ours": is_ours(contender),
        "status": "ok",
        "reason": None,
    }


def measure_fixture_cells(
    job: FixtureJob,
    dtype: str,
    threads: int,
    contenders: tuple[str, ...],
    policy: TimingPolicy,
    skip_single_threaded: bool = True,
) -> list[dict[str, Any]]:
    """Prepare every contender, check its answer against numpy float64, then time them interleaved."""
    feed = job.inputs(dtype)
    expected = reference_answer(job, feed)
    cells = {name: new_fixture_cell(job, dtype, threads, name) for name in contenders}
    prepared: dict[str, Prepared] = {}

    def failed(name: str, exc: BaseException) -> None:
        cells[name]["status"], cells[name]["reason"] = classify(exc)
        prepared.pop(name, None)

    for name in contenders:
        if threads > 1 and skip_single_threaded and not follows_threads(name):
            cells[name]["status"] = "n/a"
            cells[name]["reason"] = f"{name} runs on one thread (its load() takes no thread count): see 1 thread"
            continue
        try:
            prepared[name] = prepare_for_fixture(name, job, dtype, threads, feed)
            cells[name]["info"] = prepared[name].info
            with prepared[name].timed.session():
                got = prepared[name].final_state(prepared[name].timed.call())
            cells[name]["check"] = agreement(got, expected, dtype, job.checked_field)
        except Exception as exc:  # recorded in the cell, never fatal
            failed(name, exc)
    timings = measure({name: p.timed for name, p in prepared.items()}, policy, on_error=failed)
    for name, timing in timings.items():
        timing.first_result = None
        cells[name].update(timing.summary())
        cells[name]["per_step_s"] = timing.median / job.steps
    return list(cells.values())

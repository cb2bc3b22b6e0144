"""The worker: one thread count, one fresh process, every planned measurement, one JSON file.

Started by the parent as ``python -m rnn_rosetta.bench --worker --plan P
--threads N --json OUT`` with ``OPENBLAS_NUM_THREADS`` (and friends) already
set in its environment, since they count only before numpy loads. Progress
goes to stdout as ``RRBENCH {json}`` lines for the parent's progress bar.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from rnn_rosetta.bench.backward_cells import measure_backward_cells
from rnn_rosetta.bench.bridges import run_bridges
from rnn_rosetta.bench.cells import measure_cells
from rnn_rosetta.bench.contenders import OURS
from rnn_rosetta.bench.plan import Plan
from rnn_rosetta.bench.probes import run_probes
from rnn_rosetta.bench.roofline import recurrent_weight_bytes
from rnn_rosetta.bench.shapes import Shape, build_model, parse_shape
from rnn_rosetta.bench.timing import TimingPolicy

EVENT_PREFIX = "RRBENCH "
THREAD_VARIABLES: tuple[str, ...] = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def thread_environment(threads: int) -> dict[str, str]:
    """The environment a worker for ``threads`` must start with."""
    return {name: str(threads) for name in THREAD_VARIABLES}


def emit(event: str, **fields: Any) -> None:
    print(EVENT_PREFIX + json.dumps({"event": event, **fields}), flush=True)


def configure_threads(threads: int) -> dict[str, Any]:
    """Pin PyTorch to ``threads``; report what each library was given."""
    info: dict[str, Any] = {"env": {name: os.environ.get(name) for name in THREAD_VARIABLES}}
    if os.environ.get("OPENBLAS_NUM_THREADS") != str(threads):
        info["warning"] = f"OPENBLAS_NUM_THREADS is not {threads}: numpy's thread count is not pinned"
    try:
        import torch
    except ImportError:
        return info
    torch.set_num_threads(threads)
    with contextlib.suppress(RuntimeError):  # set once per process at most
        torch.set_num_interop_threads(1)
    info["torch"] = torch.get_num_threads()
    return info


def versions(contenders: tuple[str, ...]) -> dict[str, Any]:
    """Library versions and the machine, as far as they can be read."""
    import numpy

    found: dict[str, Any] = {"python": platform.python_version(), "numpy": numpy.__version__}
    for module in ("torch", "onnxruntime"):
        try:
            found[module] = __import__(module).__version__
        except ImportError:
            found[module] = None
    if "java" in contenders:
        try:
            from rnn_rosetta.backends.java_backend import start_jvm

            start_jvm()
            import jpype

            found["java"] = str(jpype.java.lang.System.getProperty("java.version"))
        except Exception as exc:  # the Java cells say why in detail
            found["java"] = f"n/a ({exc})"
    try:
        from rnn_rosetta.backends.c_backend import load_library

        _, lib = load_library()
        found["c_avx2_fma"] = bool(lib.rr_cpu_has_avx2_fma())
    except Exception:
        found["c_avx2_fma"] = None
    return found


def _fixture_cells(plan: Plan, threads: int, deadline: float, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Time every fixture of ``plan`` (``--fixture``) into ``cells``; the fixtures' ``shapes`` entries."""
    from rnn_rosetta.bench.fixture_cells import load_job, measure_fixture_cells

    entries = []
    for path in plan.fixtures:
        job = load_job(path, plan.batch, plan.length)
        entries.append(job.to_json())
        for dtype in plan.dtypes:
            emit("what", text=f"{job.name} {dtype}")
            policy = plan.policy if time.monotonic() < deadline else plan.policy.frugal()
            skip = plan.skip_single_threaded
            cells.extend(measure_fixture_cells(job, dtype, threads, plan.contenders, policy, skip))
            gc.collect()
            emit("advance", steps=1)
    return entries


def backward_shapes(plan: Plan) -> tuple[Shape, ...]:
    """The shapes ``--backward`` times: all but the growth sweep (all of them if only growth shapes were asked)."""
    shapes = plan.shape_objects()
    return tuple(s for s in shapes if s.group != "growth") or shapes


def _backward_cells(plan: Plan, threads: int, deadline: float) -> list[dict[str, Any]]:
    """The fwd+bwd cells (``--backward``): every backward shape x dtype, interleaved per group like the forward."""
    cells: list[dict[str, Any]] = []
    for shape in backward_shapes(plan):
        model = build_model(shape)
        for dtype in plan.dtypes:
            emit("what", text=f"fwd+bwd {shape.name} {dtype}")
            policy: TimingPolicy = plan.policy if time.monotonic() < deadline else plan.policy.frugal()
            skip = plan.skip_single_threaded
            cells.extend(measure_backward_cells(shape, model, dtype, threads, plan.contenders, policy, skip))
            gc.collect()
            emit("advance", steps=1)
        del model
        gc.collect()
    return cells


def run_worker(plan: Plan, threads: int) -> dict[str, Any]:
    """Every measurement of ``plan`` at ``threads``; the result is what the worker writes."""
    started = time.monotonic()
    thread_info = configure_threads(threads)
    shapes = plan.shape_objects()
    first = threads == min(plan.threads)
    do_probes, do_bridges = threads == 1 and bool(shapes), plan.bridges and first
    do_backward = plan.backward and first and bool(shapes)
    total = (len(shapes) + len(plan.fixtures)) * len(plan.dtypes) + int(do_probes) + int(do_bridges)
    total += len(backward_shapes(plan)) * len(plan.dtypes) if do_backward else 0
    emit("start", total=total, threads=threads)
    found = versions(plan.contenders)
    probes = None
    if do_probes:
        emit("what", text="probes (peak FLOP/s, bandwidth)")
        sizes = [recurrent_weight_bytes(s, d) for s in shapes for d in plan.dtypes]
        probes = run_probes(list(plan.dtypes), sizes, plan.probe_seconds).to_json()
        emit("advance", steps=1)
    deadline = started + plan.budget_seconds / len(plan.threads)
    cells: list[dict[str, Any]] = []
    for shape in shapes:
        model = build_model(shape)
        for dtype in plan.dtypes:
            emit("what", text=f"{shape.name} {dtype}")
            policy = plan.policy if time.monotonic() < deadline else plan.policy.frugal()
            cells.extend(
                measure_cells(shape, model, dtype, threads, plan.contenders, policy, plan.skip_single_threaded)
            )
            gc.collect()
            emit("advance", steps=1)
        del model
        gc.collect()
    fixtures = _fixture_cells(plan, threads, deadline, cells)
    backward = _backward_cells(plan, threads, deadline) if do_backward else []
    bridges: list[dict[str, Any]] = []
    if do_bridges:
        emit("what", text="bridge costs")
        ours = tuple(c for c in plan.contenders if c in OURS)
        policy = plan.policy if time.monotonic() < deadline else plan.policy.frugal()
        bridges = run_bridges(plan.dtypes, ours, parse_shape(plan.handover_shape), policy)
        emit("advance", steps=1)
    return {
        "threads": threads,
        "thread_settings": thread_info,
        "versions": found,
        "probes": probes,
        "cells": cells,
        "bridges": bridges,
        "fixtures": fixtures,
        "backward": backward,
        "elapsed_s": time.monotonic() - started,
        "over_budget": time.monotonic() > deadline,
    }


def worker_main(plan_path: Path, threads: int, json_path: Path) -> int:
    """The ``--worker`` entry point."""
    plan = Plan.from_json(json.loads(plan_path.read_text("utf-8")))
    result = run_worker(plan, threads)
    json_path.write_text(json.dumps(result, allow_nan=False), "utf-8")
    emit("done")
    return 0

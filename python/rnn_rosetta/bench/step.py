"""The streaming step's benchmark: C and Java step programs (no Python in the timed loop), against RTNeural.

``make bench-step-c`` (``c/bench/step_bench.c``) and ``make bench-step-java`` each print one JSON object a
line: ``{"lang", "cell", "input", "hidden", "dtype", "kernel", "steps", "ns_per_step"}`` (and ``gflops``) for
batch 1 on one pinned core. This module runs both, then adds per row:

- ``fraction_of_peak`` = gflops / the machine's peak GFLOP/s for the row's instruction set and dtype
  (the roofline probes, :mod:`rnn_rosetta.bench.probes`);
- ``x_real_time_48k`` = 1e9 / 48000 / ns_per_step: how many 48 kHz audio streams one core keeps up with;
- ``rtneural_ns`` and ``c_over_rtneural``: issue 14's RTNeural figures (a cited reference, not run here);
- ``java_over_c``: the Java step's ns over the C step's on the same shape and dtype.

It then times Python's ``y, s = net.step(x, s)`` on the C backend at each C row's shape, in this process on
the core the C program ran on (:func:`python_rows`, the ``lang`` "python" rows), and adds
``python_over_c_ns``: the Python loop's ns per step less the C program's, what Python adds per call (and
``python_over_c_cpu_ns``, the same in thread CPU time, which a busy machine inflates less).

It writes ``OUT/step.json`` and ``OUT/step.md`` (the table).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnn_rosetta import paths

#: Timed steps per shape (issue 14: 10^6); ``--quick`` takes 10^5.
DEFAULT_STEPS = 1_000_000
QUICK_STEPS = 100_000

#: Where the RTNeural column comes from.
RTNEURAL_SOURCE = (
    "issue 14, measured by the issue's author, RTNeural compile-time Eigen path, -O3 -march=native, "
    "one core, float32, batch 1, 10^6 steps (not built or run by this project)"
)
#: RTNeural ns per step by (cell, input, hidden), float32 (issue 14).
RTNEURAL_NS: dict[tuple[str, int, int], float] = {
    ("lstm", 1, 8): 56.0,
    ("lstm", 16, 16): 69.0,
    ("lstm", 32, 32): 133.0,
    ("lstm", 64, 64): 1302.0,
    ("gru", 1, 8): 58.0,
    ("gru", 32, 32): 143.0,
    ("gru", 64, 64): 973.0,
}
#: The probes' instruction-set name of each C and Java kernel name.
KERNEL_ISA = {"avx512": "avx512", "avx2-fma": "avx2", "avx2": "avx2", "portable": "scalar", "exact": "scalar"}

#: The Python loop's timed calls per shape are split into this many repetitions; the row takes the median.
PYTHON_REPS = 5
#: How the Python loop's C backend called the library (``python`` rows' ``call``), in the table's notes.
CALL_MODE_WORDS = {"api": "the compiled cffi module (API mode)", "abi": "cffi's ABI mode (ffi.dlopen)"}

#: Distinct x_t the Python loop cycles through, as the C program does (c/bench/step_bench.c INPUT_RING).
INPUT_RING = 64

#: The keys every step program prints.
KEYS = ("lang", "cell", "input", "hidden", "dtype", "kernel", "steps", "ns_per_step")
#: Gate blocks per cell: a step's products are 2 G H (I + H) flops.
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def step_gflops(row: dict[str, Any]) -> float:
    """The products' GFLOP/s of one step row: 2 G H (I + H) flops per ns_per_step nanoseconds."""
    flops = 2 * GATES[row["cell"]] * row["hidden"] * (row["input"] + row["hidden"])
    return flops / float(row["ns_per_step"])


@dataclass
class StepRun:
    """The rows one program printed, or why there are none."""

    rows: list[dict[str, Any]]
    reason: str | None = None


def run_program(target: str, steps: int, timeout_s: float = 3600.0) -> StepRun:
    """``make -s TARGET STEP_ARGS="--steps N"`` in the checkout; its JSON lines, or the reason it failed."""
    if not paths.IN_CHECKOUT:
        return StepRun([], f"{target} needs the checkout (make)")
    command = ["make", "-s", target, f"STEP_ARGS=--steps {steps}"]
    try:
        done = subprocess.run(
            command, cwd=paths.REPO_ROOT, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return StepRun([], f"{' '.join(command)}: {exc}")
    rows = []
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            missing = [key for key in KEYS if key not in row]
            if missing:
                return StepRun([], f"{target} printed a row without {', '.join(missing)}: {line}")
            if row.get("model", "net") == "net":  # the Java program can also time chains
                rows.append({**row, "gflops": row.get("gflops", step_gflops(row))})
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return StepRun(rows, f"{' '.join(command)} exited {done.returncode}: {last}")
    return StepRun(rows)


def _bench_model(cell: str, input_size: int, hidden: int) -> Any:
    """A one-layer forward model of the C program's shape, PyTorch's init range U(-1/sqrt(H), 1/sqrt(H))."""
    from rnn_rosetta.model import DirectionWeights, Layer, Model

    skeleton = Model(cell=cell, input_size=input_size, hidden_size=hidden, num_layers=1, direction="forward", layers=())
    rng = np.random.default_rng(14)
    scale = 1.0 / np.sqrt(hidden)
    weights = {name: rng.uniform(-scale, scale, shape) for name, shape in skeleton.expected_shapes(0).items()}
    return Model(**{**skeleton.__dict__, "layers": (Layer(forward=DirectionWeights(**weights)),)})


def time_python_step(net: Any, steps: int) -> tuple[float, float]:
    """``(wall ns, this thread's CPU ns)`` per call of the plain loop ``y, s = net.step(x, s)``, batch 1, over
    INPUT_RING distinct x_t: medians of PYTHON_REPS repetitions of steps / PYTHON_REPS calls (1000 warm-up
    calls first)."""
    rng = np.random.default_rng(3)
    xs = [rng.uniform(-1.0, 1.0, (1, net.model.input_size)).astype(net.dtype) for _ in range(INPUT_RING)]
    mask = INPUT_RING - 1
    _y, s = net.step(xs[0])
    for i in range(1000):
        _y, s = net.step(xs[i & mask], s)
    calls = max(1, steps // PYTHON_REPS)
    walls, cpus = [], []
    for _ in range(PYTHON_REPS):
        wall, cpu = time.perf_counter_ns(), time.thread_time_ns()
        for i in range(calls):
            _y, s = net.step(xs[i & mask], s)  # the user's loop: y_t is bound until the next call returns
        cpus.append((time.thread_time_ns() - cpu) / calls)
        walls.append((time.perf_counter_ns() - wall) / calls)
    return statistics.median(walls), statistics.median(cpus)


def python_rows(c_rows: list[dict[str, Any]], steps: int) -> StepRun:
    """One ``lang`` "python" row per C row: the Python loop on the C backend at its shape and dtype, timed on
    the first core this process may run on (where the C program pins itself)."""
    from rnn_rosetta.backends import get_backend
    from rnn_rosetta.backends.c_step_call import step_call_mode

    backend = get_backend("c")
    reason = backend.why_unavailable()
    if reason is not None:
        return StepRun([], reason)
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    rows = []
    try:
        if allowed:
            os.sched_setaffinity(0, {min(allowed)})
        for row in c_rows:
            net = backend.load(_bench_model(row["cell"], row["input"], row["hidden"]), dtype=row["dtype"])
            wall, cpu = time_python_step(net, steps)
            shape = {key: row[key] for key in ("cell", "input", "hidden", "dtype")}
            timing = {"steps": steps, "ns_per_step": wall, "cpu_ns_per_step": cpu}
            call = step_call_mode()  # "api": the compiled trampoline (make c-step-py), "abi": ffi.dlopen
            rows.append({"lang": "python", **shape, "kernel": net.kernel_name, "call": call, **timing})
    finally:
        if allowed:
            os.sched_setaffinity(0, allowed)
    return StepRun([{**row, "gflops": step_gflops(row)} for row in rows])


def peak_for(probes: dict[str, Any], kernel: str, dtype: str) -> float | None:
    """The peak GFLOP/s of the kernel's instruction set (else the machine's) for dtype, from probes' JSON."""
    isa = KERNEL_ISA.get(kernel)
    by_isa = probes.get("isa_peak_gflops", {})
    if isa is not None and dtype in by_isa.get(isa, {}):
        return float(by_isa[isa][dtype])
    peak = probes.get("peak_gflops", {}).get(dtype)
    return float(peak) if peak else None


def add_columns(rows: list[dict[str, Any]], probes: dict[str, Any]) -> list[dict[str, Any]]:
    """Each row with fraction_of_peak, x_real_time_48k, rtneural_ns, c_over_rtneural and java_over_c."""
    c_ns = {_shape(row): row["ns_per_step"] for row in rows if row["lang"] == "c"}
    c_cpu_ns = {_shape(row): row.get("cpu_ns_per_step") for row in rows if row["lang"] == "c"}
    done = []
    for row in rows:
        ns = float(row["ns_per_step"])
        peak = peak_for(probes, row["kernel"], row["dtype"])
        reference = RTNEURAL_NS.get((row["cell"], row["input"], row["hidden"])) if row["dtype"] == "float32" else None
        c_here = c_ns.get(_shape(row))
        c_cpu = c_cpu_ns.get(_shape(row))
        python_cpu = row.get("cpu_ns_per_step") if row["lang"] == "python" else None
        done.append(
            {
                **row,
                "fraction_of_peak": row["gflops"] / peak if peak else None,
                "x_real_time_48k": 1e9 / 48000.0 / ns,
                "rtneural_ns": reference,
                "c_over_rtneural": ns / reference if reference and row["lang"] == "c" else None,
                "java_over_c": ns / c_here if row["lang"] == "java" and c_here else None,
                "python_over_c_ns": ns - c_here if row["lang"] == "python" and c_here else None,
                "python_over_c_cpu_ns": python_cpu - c_cpu if python_cpu is not None and c_cpu is not None else None,
            }
        )
    return done


def _shape(row: dict[str, Any]) -> tuple[str, int, int, str]:
    return (row["cell"], row["input"], row["hidden"], row["dtype"])


def _number(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def markdown(document: dict[str, Any]) -> str:
    """The table: one line per C shape, the Java step beside it, RTNeural's figure where the issue has one."""
    rows = document["rows"]
    java = {_shape(row): row for row in rows if row["lang"] == "java"}
    python = {_shape(row): row for row in rows if row["lang"] == "python"}
    modes = sorted({row.get("call", "abi") for row in python.values()})  # older reports: always ABI mode
    calls = " and ".join(CALL_MODE_WORDS[mode] for mode in modes) or "-"
    lines = [
        "| cell I/H | dtype | kernel | C ns/step | C GFLOP/s | C % peak | x real time 48 kHz | RTNeural ns/step "
        "| C / RTNeural | Java ns/step | Java / C | Python net.step ns | Python - C ns | Python - C CPU ns |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in (row for row in rows if row["lang"] == "c"):
        other = java.get(_shape(row), {})
        loop = python.get(_shape(row), {})
        peak = row["fraction_of_peak"]
        lines.append(
            f"| {row['cell'].upper()} {row['input']}/{row['hidden']} | {row['dtype']} | {row['kernel']} "
            f"| {_number(row['ns_per_step'], 1)} | {_number(row['gflops'], 2)} "
            f"| {_number(None if peak is None else 100 * peak, 1)} | {_number(row['x_real_time_48k'], 0)} "
            f"| {_number(row['rtneural_ns'], 0)} | {_number(row['c_over_rtneural'], 2)} "
            f"| {_number(other.get('ns_per_step'), 1)} | {_number(other.get('java_over_c'), 2)} "
            f"| {_number(loop.get('ns_per_step'), 0)} | {_number(loop.get('python_over_c_ns'), 0)} "
            f"| {_number(loop.get('python_over_c_cpu_ns'), 0)} |"
        )
    notes = [
        "",
        f"Batch 1, one pinned core, {document['steps']:,} steps per shape; GFLOP/s counts the products' "
        "multiply-adds (2 G H (I + H) flops per step, G = 4 LSTM, 3 GRU). % peak: of the probes' peak for the "
        "kernel's instruction set. x real time 48 kHz = 1e9 / 48000 / ns per step.",
        f"RTNeural: {RTNEURAL_SOURCE}.",
        "Python net.step: the loop `y, s = net.step(x, s)` on the C backend at the row's shape (median of "
        f"{PYTHON_REPS} repetitions, {INPUT_RING} distinct x, same core as the C program, same run); Python - C: "
        f"what Python adds per call (issue 14: <= 1,000 ns), calling C through {calls}; CPU: the same in each "
        "thread's CPU time (the C "
        "program's cpu_ns_per_step), which other jobs on a shared core inflate less than wall time.",
    ]
    for lang, reason in document["unavailable"].items():
        notes.append(f"{lang}: not run ({reason}).")
    return "\n".join(lines + notes) + "\n"


def run_step_bench(out: Path, steps: int = DEFAULT_STEPS, java: bool = True, probe_seconds: float = 1.0) -> Path:
    """Run the C (and Java) step programs, write OUT/step.json and OUT/step.md; returns the markdown's path."""
    from rnn_rosetta.bench.probes import run_probes

    runs = {"c": run_program("bench-step-c", steps)}
    if java:
        runs["java"] = run_program("bench-step-java", steps)
    runs["python"] = python_rows(runs["c"].rows, steps)
    probes = run_probes(["float32", "float64"], [], probe_seconds).to_json()
    rows = [row for run in runs.values() for row in run.rows]
    document = {
        "steps": steps,
        "probes": probes,
        "rtneural_source": RTNEURAL_SOURCE,
        "rows": add_columns(rows, probes),
        "unavailable": {lang: run.reason for lang, run in runs.items() if run.reason is not None},
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "step.json").write_text(json.dumps(document, indent=2) + "\n", "utf-8")
    table = out / "step.md"
    table.write_text(markdown(document), "utf-8")
    return table

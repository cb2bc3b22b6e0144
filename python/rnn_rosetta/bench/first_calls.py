"""What a freshly loaded Java net costs on its first calls: one fresh JVM per shape and dtype.

The main benchmark warms every contender before it times it (and its JVM lives across shapes), so
it shows the JVM's steady state. A user who loads a net and calls it a few times, the standalone Java
demo included, sees the first calls. ``rnnrosetta.bench.FirstCallBench`` (Java, no Python in the
timed calls) builds a net in a new JVM, times its first call, the median of calls 2-8 and the steady
state (the median of 15 calls after a few seconds of calls), and prints one JSON line; this module
runs it for the benchmark's shapes and writes ``OUT/first_calls.json`` and ``OUT/first_calls.md``.
Issue 14's goal: calls 2-8 within 5x of the steady state.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from rnn_rosetta import paths
from rnn_rosetta.backends.java_backend import JVM_OPTIONS
from rnn_rosetta.bench.shapes import Shape

#: Issue 14: from its second call on, a fresh net is within this factor of its steady state.
GOAL_RATIO = 5.0


def run_shape(shape: Shape, dtype: str, warm_seconds: float, timeout_s: float = 600.0) -> dict[str, Any]:
    """One fresh JVM: FirstCallBench on ``shape`` (one layer) in ``dtype``; its JSON row, or a ``reason``."""
    command = [
        "java",
        *JVM_OPTIONS,
        "-cp",
        f"{paths.java_jar()}:{paths.gson_jar()}",
        "rnnrosetta.bench.FirstCallBench",
        *("--cell", shape.cell, "--input", str(shape.hidden), "--hidden", str(shape.hidden)),
        *("--batch", str(shape.batch), "--seq", str(shape.steps), "--dtype", dtype),
        *("--warm-seconds", str(warm_seconds)),
    ]
    row: dict[str, Any] = {"shape": shape.name, "label": shape.label, "dtype": dtype}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {**row, "reason": f"{command[0]}: {exc}"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {**row, "reason": f"FirstCallBench exited {done.returncode}: {last}"}
    measured = json.loads(lines[-1])
    steady = measured["steady_ns"]
    return {
        **row,
        **measured,
        "first_over_steady": measured["first_call_ns"] / steady if steady else None,
        "calls_2_8_over_steady": measured["calls_2_8_ns"] / steady if steady else None,
    }


def _time(ns: float | None) -> str:
    if ns is None:
        return "n/a"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.0f} ns"


def markdown(rows: list[dict[str, Any]]) -> str:
    """The table: one line per shape and dtype."""
    lines = [
        "| shape (cell H/B/T) | dtype | kernel | build | first call | calls 2-8 (median) | steady | "
        "calls 2-8 / steady | goal (<= 5x) |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        if "reason" in row:
            lines.append(f"| {row['label']} | {row['dtype']} | not run: {row['reason']} | | | | | | |")
            continue
        ratio = row["calls_2_8_over_steady"]
        verdict = "n/a" if ratio is None else ("meets" if ratio <= GOAL_RATIO else "MISS")
        lines.append(
            f"| {row['label']} | {row['dtype']} | {row['kernel']} | {_time(row['build_ns'])} "
            f"| {_time(row['first_call_ns'])} | {_time(row['calls_2_8_ns'])} | {_time(row['steady_ns'])} "
            f"| {'n/a' if ratio is None else f'{ratio:.2f}'} | {verdict} |"
        )
    lines += [
        "",
        "One fresh JVM per row (`rnnrosetta.bench.FirstCallBench`): the net is built, then called; build includes "
        "the kernels' one-time JIT warm-up of the first net in a JVM (docs/determinism.md, Java).",
    ]
    return "\n".join(lines) + "\n"


def run_first_calls(out: Path, shapes: list[Shape], dtypes: list[str], warm_seconds: float = 3.0) -> Path:
    """FirstCallBench for every one-layer shape and dtype; writes OUT/first_calls.{json,md}; the table's path."""
    rows = [run_shape(shape, dtype, warm_seconds) for shape in shapes if shape.layers == 1 for dtype in dtypes]
    out.mkdir(parents=True, exist_ok=True)
    (out / "first_calls.json").write_text(json.dumps({"rows": rows}, indent=2) + "\n", "utf-8")
    table = out / "first_calls.md"
    table.write_text(markdown(rows), "utf-8")
    return table

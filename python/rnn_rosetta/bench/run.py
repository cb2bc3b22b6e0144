"""The parent: one fresh worker process per thread count, a progress bar, one merged result.

Each thread count runs in its own subprocess because ``OPENBLAS_NUM_THREADS``
counts only before numpy loads; the workers run one after another (never side
by side) so they do not compete for the cores.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from rnn_rosetta.bench.plan import Plan
from rnn_rosetta.bench.worker import EVENT_PREFIX, thread_environment
from rnn_rosetta.errors import RosettaError

#: Lines of a failed worker's stderr shown in the error.
LOG_TAIL = 15


class OtherLoad:
    """Cores kept busy by everything but our children, from ``/proc/stat`` and ``RUSAGE_CHILDREN``."""

    def __init__(self) -> None:
        self.cores: float | None = None

    @staticmethod
    def _busy_seconds() -> float | None:
        try:
            fields = Path("/proc/stat").read_text("utf-8").splitlines()[0].split()[1:]
        except (OSError, IndexError):
            return None
        user, nice, system, _idle, _iowait, irq, softirq, *rest = (int(v) for v in fields)
        steal = rest[0] if rest else 0
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _children_seconds() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def __enter__(self) -> OtherLoad:
        self._start = (time.monotonic(), self._busy_seconds(), self._children_seconds())
        return self

    def __exit__(self, *exc: object) -> None:
        wall, busy, ours = time.monotonic(), self._busy_seconds(), self._children_seconds()
        if busy is None or self._start[1] is None or wall <= self._start[0]:
            return
        others = (busy - self._start[1]) - (ours - self._start[2])
        self.cores = max(0.0, others / (wall - self._start[0]))


class BenchError(RosettaError):
    """The benchmark could not run (a worker failed, bad options)."""


def _threads_label(threads: int) -> str:
    return f"{threads} thread" + ("" if threads == 1 else "s")


def _follow(process: subprocess.Popen[str], progress: Progress, threads: int) -> None:
    """Move the progress bar along with the worker's ``RRBENCH`` events."""
    task = progress.add_task(f"{_threads_label(threads)}: starting", total=None)
    assert process.stdout is not None
    for line in process.stdout:
        if not line.startswith(EVENT_PREFIX):
            continue
        event = json.loads(line[len(EVENT_PREFIX) :])
        kind = event["event"]
        if kind == "start":
            progress.update(task, total=event["total"])
        elif kind == "what":
            progress.update(task, description=f"{_threads_label(threads)}: {event['text']}")
        elif kind == "advance":
            progress.advance(task, event["steps"])
        elif kind == "done":
            progress.update(task, description=f"{_threads_label(threads)}: done")


def run_worker_process(plan_path: Path, threads: int, folder: Path, progress: Progress) -> dict[str, Any]:
    """Run one worker to the end; its JSON result, or :class:`BenchError` with its stderr's tail."""
    json_path, log_path = folder / f"worker-{threads}.json", folder / f"worker-{threads}.log"
    command = [
        sys.executable, "-m", "rnn_rosetta.bench", "--worker",
        "--plan", str(plan_path), "--threads", str(threads), "--json", str(json_path),
    ]  # fmt: skip
    env = {**os.environ, **thread_environment(threads)}
    with (
        log_path.open("w", encoding="utf-8") as log,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, env=env) as process,
    ):
        _follow(process, progress, threads)
        status = process.wait()
    if status != 0 or not json_path.exists():
        tail = log_path.read_text("utf-8", errors="replace").strip().splitlines()[-LOG_TAIL:]
        raise BenchError(f"the {_threads_label(threads)} worker failed (exit status {status}):\n" + "\n".join(tail))
    return json.loads(json_path.read_text("utf-8"))


def run_workers(plan: Plan, console: Console) -> list[dict[str, Any]]:
    """Every thread count of ``plan``, in turn, under one progress display.

    Each result gets ``other_load``: how many cores, on average, processes
    other than the worker kept busy while it ran (``None`` off Linux); more
    than a fraction of a core makes the timings noisy.
    """
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rr-bench-") as name:
        folder = Path(name)
        plan_path = folder / "plan.json"
        plan_path.write_text(json.dumps(plan.to_json()), "utf-8")
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            for threads in plan.threads:
                with OtherLoad() as load:
                    result = run_worker_process(plan_path, threads, folder, progress)
                results.append({**result, "other_load": load.cores})
    return results

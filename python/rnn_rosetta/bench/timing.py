"""Interleaved, warmed-up timing: medians and spread of several contenders at once.

Each contender is warmed up (one that compiles as it runs, the JVM, for
longer), then calibrated: a *repeat* runs the call ``inner`` times back to
back, with ``inner`` chosen so that one repeat lasts at least
``repeat_seconds``. The contenders then take turns, one repeat each
per round (the order rotates every round), so that drift in the machine
(frequency, other load) touches them all alike. A contender gets
``min_repeats`` repeats, more while its share of ``contender_seconds``
allows, at most ``max_repeats``; a slow one (one call longer than its budget)
gets exactly ``min_repeats`` single calls. The garbage collector is off while
a repeat runs.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class TimingPolicy:
    """How long and how often to time each contender on one shape."""

    min_repeats: int = 7
    max_repeats: int = 15
    repeat_seconds: float = 0.02
    contender_seconds: float = 0.4
    warmup_seconds: float = 0.1
    jit_warmup_seconds: float = 2.0  # after the first call, for a contender that compiles as it runs

    def frugal(self) -> TimingPolicy:
        """The same minimum, nothing more: for when the run's time budget is spent."""
        return replace(self, max_repeats=self.min_repeats, contender_seconds=0.0, warmup_seconds=0.0)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TimingPolicy:
        return cls(**data)


@dataclass
class Timed:
    """What the harness times: ``call()`` inside ``session()`` (e.g. ``torch.inference_mode``)."""

    call: Callable[[], Any]
    session: Callable[[], AbstractContextManager[Any]] = nullcontext
    jit: bool = False  # compiles as it runs (the JVM): warmed up for longer


@dataclass
class Timing:
    """The seconds per call of each repeat, and how they were taken."""

    samples: list[float]
    inner: int
    warmup_calls: int
    first_call: float
    first_result: Any = field(default=None, repr=False)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def quartiles(self) -> tuple[float, float]:
        if len(self.samples) < 2:
            return self.samples[0], self.samples[0]
        q = statistics.quantiles(self.samples, n=4, method="inclusive")
        return q[0], q[2]

    def summary(self) -> dict[str, Any]:
        """JSON-ready: median, quartiles, min, max, spread = IQR / median, and the raw samples."""
        q1, q3 = self.quartiles()
        median = self.median
        return {
            "median_s": median,
            "q1_s": q1,
            "q3_s": q3,
            "min_s": min(self.samples),
            "max_s": max(self.samples),
            "spread": (q3 - q1) / median if median > 0 else 0.0,
            "repeats": len(self.samples),
            "inner": self.inner,
            "warmup_calls": self.warmup_calls,
            "first_call_s": self.first_call,
            "samples_s": self.samples,
        }


@contextmanager
def _no_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _repeat(timed: Timed, inner: int) -> float:
    """Seconds per call over ``inner`` back-to-back calls."""
    call = timed.call
    with timed.session(), _no_gc():
        start = time.perf_counter()
        for _ in range(inner):
            call()
        return (time.perf_counter() - start) / inner


def _keep_warming(jit: bool, policy: TimingPolicy, first: float, spent: float, calls: int, last: float) -> bool:
    """Another warm-up call? At least two calls for a fast contender; ``warmup_seconds`` in all.

    A JIT contender goes on for ``jit_warmup_seconds`` after its first call
    (its first calls are its slowest), as long as one more call fits.
    """
    if calls < 2 and first < policy.repeat_seconds:
        return True
    if jit:
        return spent - first + last <= policy.jit_warmup_seconds
    return spent < policy.warmup_seconds


def _warm_up(timed: Timed, policy: TimingPolicy) -> tuple[Any, float, float, int]:
    """(first result, first call's seconds, fastest warm call's seconds, calls made)."""
    with timed.session():
        start = time.perf_counter()
        result = timed.call()
        first = time.perf_counter() - start
        fastest, spent, calls, took = first, first, 1, first
        while _keep_warming(timed.jit, policy, first, spent, calls, took):
            start = time.perf_counter()
            timed.call()
            took = time.perf_counter() - start
            fastest, spent, calls = min(fastest, took), spent + took, calls + 1
    return result, first, fastest, calls


@dataclass
class _Plan:
    timed: Timed
    inner: int
    repeats: int
    timing: Timing


def _calibrate(timed: Timed, policy: TimingPolicy) -> _Plan:
    result, first, per_call, calls = _warm_up(timed, policy)
    per_call = max(per_call, 1e-9)
    inner = max(1, math.ceil(policy.repeat_seconds / per_call)) if per_call < policy.repeat_seconds else 1
    affordable = int(policy.contender_seconds / (inner * per_call))
    repeats = max(policy.min_repeats, min(policy.max_repeats, affordable))
    return _Plan(timed, inner, repeats, Timing([], inner, calls, first, result))


def measure(
    contenders: dict[str, Timed],
    policy: TimingPolicy,
    on_error: Callable[[str, BaseException], None] | None = None,
) -> dict[str, Timing]:
    """Time every contender, interleaved; one that raises is reported to ``on_error`` and left out."""
    plans: dict[str, _Plan] = {}
    for name, timed in contenders.items():
        try:
            plans[name] = _calibrate(timed, policy)
        except Exception as exc:  # a contender that fails must not stop the others
            if on_error is None:
                raise
            on_error(name, exc)
    names = list(plans)
    rounds = max((p.repeats for p in plans.values()), default=0)
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            plan = plans.get(name)
            if plan is None or len(plan.timing.samples) >= plan.repeats:
                continue
            try:
                plan.timing.samples.append(_repeat(plan.timed, plan.inner))
            except Exception as exc:
                if on_error is None:
                    raise
                on_error(name, exc)
                del plans[name]
    return {name: plan.timing for name, plan in plans.items()}

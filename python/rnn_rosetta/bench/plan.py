"""What one benchmark run measures: shapes, dtypes, thread counts, contenders, timing policy.

The parent writes the plan as JSON for each worker subprocess, so both sides
agree on exactly what was asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from rnn_rosetta.bench.contenders import CONTENDERS, check_contenders
from rnn_rosetta.bench.shapes import QUICK_SHAPES, Shape, parse_shape, select_shapes
from rnn_rosetta.bench.timing import TimingPolicy

DTYPES: tuple[str, ...] = ("float32", "float64")
THREADS: tuple[int, ...] = (1, 2)

FULL_POLICY = TimingPolicy()
QUICK_POLICY = TimingPolicy(
    min_repeats=3,
    max_repeats=3,
    repeat_seconds=0.005,
    contender_seconds=0.0,
    warmup_seconds=0.02,
    jit_warmup_seconds=0.4,
)

#: The "large model" whose load() time is the weight hand-over row.
HANDOVER_SHAPE = "lstm-1024-1-25"
QUICK_HANDOVER_SHAPE = "lstm-512-1-25"


@dataclass(frozen=True)
class Plan:
    """Everything a worker needs to know; the parent runs one worker per thread count."""

    shapes: tuple[str, ...]
    dtypes: tuple[str, ...] = DTYPES
    threads: tuple[int, ...] = THREADS
    contenders: tuple[str, ...] = CONTENDERS
    policy: TimingPolicy = field(default_factory=TimingPolicy)
    bridges: bool = True
    handover_shape: str = HANDOVER_SHAPE
    probe_seconds: float = 0.3
    budget_seconds: float = 1800.0  # soft: past it, only the minimum repeats
    quick: bool = False
    skip_single_threaded: bool = True  # ours without a thread count: timed at 1 thread only
    fixtures: tuple[str, ...] = ()  # --fixture: fixture files timed instead of shapes (then shapes is empty)
    batch: int | None = None  # --batch: B for the fixtures (default: their first case's)
    length: int | None = None  # --length: T for the fixtures (default: their first case's)
    backward: bool = False  # --backward: also time forward + backward (the 1-thread worker; not the growth shapes)

    def shape_objects(self) -> tuple[Shape, ...]:
        return tuple(parse_shape(name) for name in self.shapes)

    def to_json(self) -> dict[str, Any]:
        return {
            "shapes": list(self.shapes),
            "dtypes": list(self.dtypes),
            "threads": list(self.threads),
            "contenders": list(self.contenders),
            "policy": self.policy.to_json(),
            "bridges": self.bridges,
            "handover_shape": self.handover_shape,
            "probe_seconds": self.probe_seconds,
            "budget_seconds": self.budget_seconds,
            "quick": self.quick,
            "skip_single_threaded": self.skip_single_threaded,
            "fixtures": list(self.fixtures),
            "batch": self.batch,
            "length": self.length,
            "backward": self.backward,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            shapes=tuple(data["shapes"]),
            dtypes=tuple(data["dtypes"]),
            threads=tuple(int(t) for t in data["threads"]),
            contenders=tuple(data["contenders"]),
            policy=TimingPolicy.from_json(data["policy"]),
            bridges=bool(data["bridges"]),
            handover_shape=str(data["handover_shape"]),
            probe_seconds=float(data["probe_seconds"]),
            budget_seconds=float(data["budget_seconds"]),
            quick=bool(data["quick"]),
            skip_single_threaded=bool(data.get("skip_single_threaded", True)),
            fixtures=tuple(data.get("fixtures", ())),
            batch=data.get("batch"),
            length=data.get("length"),
            backward=bool(data.get("backward", False)),
        )


def make_plan(
    quick: bool = False,
    shapes: list[str] | None = None,
    dtypes: list[str] | None = None,
    threads: list[int] | None = None,
    repeats: int | None = None,
    contenders: list[str] | None = None,
    bridges: bool = True,
    budget_seconds: float | None = None,
    every_thread_count: bool = False,
    fixtures: list[str] | None = None,
    batch: int | None = None,
    length: int | None = None,
    backward: bool = False,
) -> Plan:
    """The plan for the CLI's options; ``ValueError`` on a bad one.

    With ``fixtures`` (resolved file paths) the run times those models instead of
    shapes, with no roofline probes and no bridge rows. ``backward`` adds the fwd+bwd rows (shapes only).
    """
    if fixtures and backward:
        raise ValueError("--backward times the shapes; it does not go with --fixture")
    if fixtures and shapes:
        raise ValueError("--fixture and --shapes do not go together")
    if (batch is not None or length is not None) and not fixtures:
        raise ValueError("--batch and --length go with --fixture")
    if any(v is not None and v < 1 for v in (batch, length)):
        raise ValueError("--batch and --length must be >= 1")
    chosen = () if fixtures else select_shapes(shapes if shapes else list(QUICK_SHAPES) if quick else None)
    for dtype in dtypes or ():
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}, expected one of {list(DTYPES)}")
    if any(t < 1 for t in threads or ()):
        raise ValueError("thread counts must be >= 1")
    check_contenders(list(contenders or ()))
    policy = QUICK_POLICY if quick else FULL_POLICY
    if repeats is not None:
        if repeats < 1:
            raise ValueError("--repeats must be >= 1")
        top = repeats if quick else max(repeats, policy.max_repeats)
        policy = replace(policy, min_repeats=repeats, max_repeats=top)
    return Plan(
        shapes=tuple(s.name for s in chosen),
        dtypes=tuple(dict.fromkeys(dtypes or DTYPES)),
        threads=tuple(dict.fromkeys(threads or THREADS)),
        contenders=tuple(dict.fromkeys(contenders or CONTENDERS)),
        policy=policy,
        bridges=bridges and not fixtures,
        handover_shape=QUICK_HANDOVER_SHAPE if quick else HANDOVER_SHAPE,
        probe_seconds=0.06 if quick else 0.3,
        budget_seconds=budget_seconds if budget_seconds is not None else (60.0 if quick else 1800.0),
        quick=quick,
        skip_single_threaded=not every_thread_count,
        fixtures=tuple(dict.fromkeys(fixtures or ())),
        batch=batch,
        length=length,
        backward=backward,
    )

"""The bridge costs, on their own rows: what crossing into each library costs.

- one ``forward`` call on a tiny net (RNN 4/1/1): the Python API alone
  (numpy), plus a cffi call (C), plus a JPype call (Java);
- the weight hand-over: ``load()`` of a large model (every weight crosses
  once; numpy keeps the arrays as they are).
"""

from __future__ import annotations

from typing import Any

from rnn_rosetta.backends import get_backend
from rnn_rosetta.bench.cells import classify
from rnn_rosetta.bench.contenders import OURS, Prepared, prepare_ours
from rnn_rosetta.bench.shapes import TINY_SHAPE, Shape, build_input, build_model
from rnn_rosetta.bench.timing import Timed, TimingPolicy, measure

CALL_LABELS: dict[str, str] = {
    "numpy": "Python API call, tiny net (numpy, no bridge)",
    "c": "cffi call, tiny net (C)",
    "java": "JPype call, tiny net (Java)",
}


def _row(kind: str, label: str, contender: str, dtype: str, shape: Shape) -> dict[str, Any]:
    return {
        "bridge": kind,
        "label": label,
        "contender": contender,
        "dtype": dtype,
        "shape": shape.name,
        "status": "ok",
        "reason": None,
    }


def _calls(dtype: str, names: list[str], policy: TimingPolicy) -> list[dict[str, Any]]:
    model, x = build_model(TINY_SHAPE), build_input(TINY_SHAPE, dtype)
    rows = {name: _row("call", CALL_LABELS[name], name, dtype, TINY_SHAPE) for name in names}
    prepared: dict[str, Prepared] = {}

    def failed(name: str, exc: BaseException) -> None:
        rows[name]["status"], rows[name]["reason"] = classify(exc)

    for name in names:
        try:
            prepared[name] = prepare_ours(name, model, dtype, 1, x)
        except Exception as exc:
            failed(name, exc)
    for name, timing in measure({n: p.timed for n, p in prepared.items()}, policy, on_error=failed).items():
        rows[name].update(timing.summary())
    return list(rows.values())


def _handovers(dtype: str, names: list[str], shape: Shape, policy: TimingPolicy) -> list[dict[str, Any]]:
    model = build_model(shape)
    size = sum(a.size for layer in model.layers for _, w in layer.directions() for a in w.arrays().values())
    label = f"weight hand-over: load() {shape.label}, {size / 1e6:.1f}M weights"
    rows = {name: _row("handover", label, name, dtype, shape) for name in names}
    timed: dict[str, Timed] = {}
    for name in names:
        backend = get_backend(name)
        reason = backend.why_unavailable()
        if reason is not None:
            rows[name]["status"], rows[name]["reason"] = "n/a", reason
            continue
        timed[name] = Timed(lambda backend=backend: backend.load(model, dtype))

    def failed(name: str, exc: BaseException) -> None:
        rows[name]["status"], rows[name]["reason"] = classify(exc)

    for name, timing in measure(timed, policy, on_error=failed).items():
        timing.first_result = None  # let the loaded net go
        rows[name].update(timing.summary())
        rows[name]["weights"] = size
        rows[name]["gbps_float64"] = size * 8 / timing.median / 1e9
    return list(rows.values())


def run_bridges(
    dtypes: tuple[str, ...], contenders: tuple[str, ...], handover: Shape, policy: TimingPolicy
) -> list[dict[str, Any]]:
    """Every bridge row for our backends among ``contenders``, in each dtype."""
    names = [name for name in OURS if name in contenders]
    rows: list[dict[str, Any]] = []
    for dtype in dtypes:
        rows.extend(_calls(dtype, names, policy))
        rows.extend(_handovers(dtype, names, handover, policy))
    return rows

"""The result document (``bench.json``): the workers' cells merged, with roofline, ratios and goals.

Top-level keys: ``schema``, ``created_utc``, ``plan``, ``machine``,
``shapes`` (with ``--fixture``: one entry per fixture, group ``fixture``),
``workers`` (per thread count: settings, versions, elapsed), ``probes`` (from the
1-thread worker), ``cells`` (one per shape x dtype x threads x contender), ``bridges``
``goals`` (empty with ``--fixture``: the goals are about the issue's shapes), and ``backward``
(``--backward``: fwd+bwd cells, as ``cells`` with ``"pass": "fwd+bwd"`` and ``ratio_to_torch``; else empty).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rnn_rosetta.bench.contenders import PEERS, base_name
from rnn_rosetta.bench.goals import evaluate_goals
from rnn_rosetta.bench.plan import Plan
from rnn_rosetta.bench.probes import Probes
from rnn_rosetta.bench.roofline import annotate, input_flops, recurrent_weight_bytes, total_flops
from rnn_rosetta.bench.shapes import parse_shape

SCHEMA = "rnn-rosetta-bench/1"


def machine() -> dict[str, Any]:
    """CPU model, core count, OS: what the numbers were measured on."""
    model = platform.processor() or None
    try:
        for line in Path("/proc/cpuinfo").read_text("utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "platform": platform.platform()}


def _shape_entry(name: str, dtypes: Iterable[str]) -> dict[str, Any]:
    shape = parse_shape(name)
    return {
        **shape.to_json(),
        "input_flops": input_flops(shape),
        "total_flops": total_flops(shape),
        "recurrent_weight_bytes": {dtype: recurrent_weight_bytes(shape, dtype) for dtype in dtypes},
    }


def add_ratios(cells: list[dict[str, Any]]) -> None:
    """Each ok cell gets ``best_peer`` and ``ratio_to_best_peer`` (time / the fastest other peer's time)."""
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for cell in cells:
        groups.setdefault((cell["shape"], cell["dtype"], cell["threads"]), []).append(cell)
    for group in groups.values():
        peers = [c for c in group if c["status"] == "ok" and c["contender"] in PEERS]
        for cell in group:
            if cell["status"] != "ok":
                continue
            others = [p for p in peers if p["contender"] != base_name(cell["contender"])]
            if others:
                best = min(others, key=lambda p: p["median_s"])
                cell["best_peer"] = best["contender"]
                cell["ratio_to_best_peer"] = cell["median_s"] / best["median_s"]


def add_torch_ratios(cells: list[dict[str, Any]]) -> None:
    """Each ok fwd+bwd cell gets ``ratio_to_torch``: its time over PyTorch autograd's (``torch``) in its group."""
    torch = {
        (c["shape"], c["dtype"], c["threads"]): c["median_s"]
        for c in cells
        if c["status"] == "ok" and c["contender"] == "torch"
    }
    for cell in cells:
        reference = torch.get((cell["shape"], cell["dtype"], cell["threads"]))
        if cell["status"] == "ok" and reference:
            cell["ratio_to_torch"] = cell["median_s"] / reference


def _no_probes(plan: Plan) -> str:
    if not plan.shapes:
        return "not run for --fixture (the roofline is about the shapes)"
    return "no 1-thread run"


def _fixture_entries(workers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``--fixture`` models (every worker loads the same ones: the first one's list)."""
    return list(next((w["fixtures"] for w in workers if w.get("fixtures")), []))


def assemble(plan: Plan, workers: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole document from the plan and the workers' results."""
    probes_json = next((w["probes"] for w in workers if w.get("probes") is not None), None)
    probes = Probes.from_json(probes_json) if probes_json is not None else None
    cells = [cell for worker in workers for cell in worker["cells"]]
    for cell in cells:
        if cell.get("group") != "fixture":
            annotate(cell, parse_shape(cell["shape"]), probes if cell["threads"] == 1 else None)
    add_ratios(cells)
    backward = [cell for worker in workers for cell in worker.get("backward", [])]
    add_torch_ratios(backward)
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "plan": plan.to_json(),
        "machine": machine(),
        "shapes": [_shape_entry(name, plan.dtypes) for name in plan.shapes] + _fixture_entries(workers),
        "workers": [
            {k: v for k, v in w.items() if k not in ("cells", "bridges", "probes", "fixtures", "backward")}
            for w in workers
        ],
        "probes": probes_json if probes_json is not None else {"reason": _no_probes(plan)},
        "cells": cells,
        "bridges": [row for worker in workers for row in worker["bridges"]],
        "backward": backward,
    }
    document["goals"] = [] if plan.fixtures else evaluate_goals(document)  # the goals are about the shapes
    return document


def write_json(document: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(document, indent=1, allow_nan=False) + "\n", "utf-8")


def read_json(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text("utf-8"))
    if document.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not a benchmark result ({SCHEMA})")
    return document

"""The committed accuracy cases on disk: tests/data/accuracy/<name>.json.

One file per case (:data:`rnn_rosetta.accuracy.cases.SPECS`)::

    {"format": "rnn-rosetta-accuracy-case", "version": 1, "name": ..., "description": ...,
     "oracle": "mpmath 200 bits",
     "fixture": <a version-1 fixture: the model, the inputs, expected = hi>,
     "exact": {"float64": {"output": {"hi": [...], "lo": [...]}, "h_n": ...},
               "float32": {...}}}

``hi`` is the float64 nearest the exact value and ``lo`` the float64 nearest the rest, so ``hi + lo`` holds
the exact result to about 2^-106 relative. ``float32`` is the exact function of the float32-rounded weights
and inputs. Regenerate with ``python -m rnn_rosetta.accuracy.generate``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnn_rosetta.accuracy.measure import Exact
from rnn_rosetta.errors import FixtureError
from rnn_rosetta.fixture_data import CaseInputs
from rnn_rosetta.fixture_reader import fixture_from_document
from rnn_rosetta.model import Model
from rnn_rosetta.paths import REPO_ROOT

FORMAT = "rnn-rosetta-accuracy-case"
VERSION = 1
DTYPES_STORED: tuple[str, ...] = ("float64", "float32")


def cases_dir() -> Path:
    """Where the committed cases live (a checkout's tests/data/accuracy)."""
    return REPO_ROOT / "tests" / "data" / "accuracy"


@dataclass(frozen=True)
class StoredCase:
    """One committed case, read back."""

    name: str
    description: str
    oracle: str
    model: Model
    given: CaseInputs
    exact: dict[str, Exact]  # by dtype


def _pairs(exact: Exact) -> dict[str, Any]:
    return {name: {"hi": hi.tolist(), "lo": lo.tolist()} for name, (hi, lo) in exact.items()}


def case_document(
    name: str, description: str, oracle: str, fixture: dict[str, Any], exact: dict[str, Exact]
) -> dict[str, Any]:
    """The JSON document of one case (``fixture`` from :func:`rnn_rosetta.fixture_writer.fixture_document`)."""
    return {
        "format": FORMAT, "version": VERSION, "name": name, "description": description, "oracle": oracle,
        "fixture": fixture, "exact": {dtype: _pairs(value) for dtype, value in exact.items()},
    }  # fmt: skip


def read_case(path: Path) -> StoredCase:
    """One case file; :class:`FixtureError` naming the file and the JSON path if it is not one."""
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise FixtureError(f"{path}: cannot read an accuracy case: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise FixtureError(f"{path}: $.format: not a {FORMAT} version {VERSION} file")
    fixture = fixture_from_document(doc["fixture"], f"{path}: $.fixture")
    case = fixture.cases[0]
    exact: dict[str, Exact] = {}
    for dtype in DTYPES_STORED:
        fields = doc["exact"].get(dtype)
        if not isinstance(fields, dict):
            raise FixtureError(f"{path}: $.exact.{dtype}: missing")
        exact[dtype] = {
            name: (np.asarray(pair["hi"], dtype=np.float64), np.asarray(pair["lo"], dtype=np.float64))
            for name, pair in fields.items()
        }
    given = CaseInputs(case.name, case.x, case.h0, case.c0, case.lengths)
    assert isinstance(fixture.model, Model)
    return StoredCase(doc["name"], doc["description"], doc["oracle"], fixture.model, given, exact)


def committed_cases(folder: Path | None = None) -> list[StoredCase]:
    """Every committed case, by name."""
    folder = cases_dir() if folder is None else folder
    return [read_case(path) for path in sorted(folder.glob("*.json"))]

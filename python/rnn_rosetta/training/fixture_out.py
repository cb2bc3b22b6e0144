"""``--out FILE``: the trained model as a version-2 fixture with no cases (docs/training.md, "Settings").

The trainer trains the logits chain (last dense activation ``identity``); the file gets the original
activation back, the fixture's vocabulary and tolerance, and a provenance object saying how it was trained.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from rnn_rosetta.chain import Chain
from rnn_rosetta.fixture_data import Fixture
from rnn_rosetta.fixture_writer import fixture_document, write_fixture_file
from rnn_rosetta.training.trainer import TrainSettings

#: The longest fixture name the format allows.
MAX_NAME = 100
_NOT_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def restore_activation(trained: Chain, original: Chain) -> Chain:
    """``trained`` (the logits chain) with the original last dense activation (``softmax`` or ``identity``)."""
    last = replace(trained.dense[-1], activation=original.dense[-1].activation)
    return replace(trained, dense=(*trained.dense[:-1], last))


def trained_name(fixture: Fixture) -> str:
    """``NAME_trained``, cut to the format's 100 characters."""
    return _NOT_NAME.sub("_", f"{fixture.name}_trained")[:MAX_NAME]


def trained_document(
    fixture: Fixture, trained: Chain, settings: TrainSettings, data: Path, data_bytes: bytes, backend: str
) -> dict[str, Any]:
    """The fixture document of the trained model (no cases): same vocabulary and tolerance as ``fixture``."""
    assert isinstance(fixture.model, Chain)
    chain = restore_activation(trained, fixture.model)
    provenance = {
        "generator": "rnn-rosetta train",
        "trained_from": fixture.name,
        "backend": backend,
        "settings": asdict(settings),
        "data": data.name,
        "data_sha256": hashlib.sha256(data_bytes).hexdigest(),
    }
    description = f"{fixture.name} trained for {settings.steps} steps ({settings.optimizer}) on {data.name}"
    return fixture_document(
        trained_name(fixture), description[:1000], chain, [], fixture.tolerance, provenance, fixture.vocabulary
    )


def write_trained_fixture(path: str | Path, document: dict[str, Any]) -> Path:
    """Write the document (the reader checks it first; nothing is written when it refuses)."""
    return write_fixture_file(path, document)

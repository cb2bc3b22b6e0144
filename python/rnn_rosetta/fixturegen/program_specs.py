"""Fixtures made by a function rather than from a seeded random spec: the seed programs' models, trained models.

Each is a :class:`ProgramSpec`: a name and a function that returns the whole fixture document. ``generate``
writes and checks them like every other spec.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProgramSpec:
    """``name.json`` is ``build()``: a whole fixture document, as :func:`~rnn_rosetta.fixture_writer.fixture_document`
    makes one.
    """

    name: str
    build: Callable[[], dict[str, Any]]

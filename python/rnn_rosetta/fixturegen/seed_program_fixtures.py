"""Placeholder: being written (issue 11)."""

from __future__ import annotations

from rnn_rosetta.fixturegen.program_specs import ProgramSpec

SEED_PROGRAM_SPECS: tuple[ProgramSpec, ...] = ()

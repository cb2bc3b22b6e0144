"""Placeholder: being written (issue 11)."""

from __future__ import annotations

from rnn_rosetta.fixturegen.program_specs import ProgramSpec

CHAR_SPECS: tuple[ProgramSpec, ...] = ()

"""Every fixture made by a function (:class:`ProgramSpec`): the seed programs' models, the trained char
model and the gradient fixtures (``grad_*``)."""

from __future__ import annotations

from rnn_rosetta.fixturegen.char_fixture import CHAR_SPECS
from rnn_rosetta.fixturegen.gradient_build import GRADIENT_PROGRAM_SPECS
from rnn_rosetta.fixturegen.program_specs import ProgramSpec
from rnn_rosetta.fixturegen.seed_model_fixtures import SEED_MODEL_SPECS
from rnn_rosetta.fixturegen.seed_program_fixtures import SEED_PROGRAM_SPECS

SEED_SPECS: tuple[ProgramSpec, ...] = (*SEED_PROGRAM_SPECS, *SEED_MODEL_SPECS, *CHAR_SPECS, *GRADIENT_PROGRAM_SPECS)

"""rnn-rosetta: recurrent networks in numpy, C and Java, proven to agree.

>>> import rnn_rosetta as rr
>>> fx = rr.load_fixture("shared_fixtures/lstm_small.json")
>>> net = rr.get_backend("c").load(fx.model)
>>> res = net.forward(fx.cases[0].x)
"""

from __future__ import annotations

from rnn_rosetta.backends import BACKENDS, Net, State, available_backends, get_backend
from rnn_rosetta.backward import Gradients
from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.compare import Tolerance
from rnn_rosetta.errors import (
    BackendError,
    BackendUnavailable,
    BackwardUnsupported,
    FixtureError,
    InputError,
    ModelError,
    ModelImportError,
    RosettaError,
)
from rnn_rosetta.fixtures import Case, CaseInputs, Fixture, load_fixture, parse_fixture
from rnn_rosetta.model import DirectionWeights, Head, Layer, Model
from rnn_rosetta.model_rules import check_model
from rnn_rosetta.result import Result

__version__ = "0.1.0"

__all__ = [
    "BACKENDS",
    "BackendError",
    "BackendUnavailable",
    "BackwardUnsupported",
    "Case",
    "CaseInputs",
    "Chain",
    "Dense",
    "DirectionWeights",
    "Embedding",
    "Fixture",
    "FixtureError",
    "Gradients",
    "Head",
    "InputError",
    "Layer",
    "Model",
    "ModelError",
    "ModelImportError",
    "Net",
    "Result",
    "RosettaError",
    "State",
    "Tolerance",
    "available_backends",
    "check_model",
    "get_backend",
    "load_fixture",
    "parse_fixture",
]

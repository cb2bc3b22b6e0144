"""Interoperability: import PyTorch and ONNX models, export to ONNX, write fixtures.

=====================================  ==================================================
function                               does
=====================================  ==================================================
:func:`model_from_torch`               ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (+ ``nn.Linear`` head) -> Model
:func:`model_from_state_dict`          a bare PyTorch ``state_dict`` -> Model
:func:`model_from_onnx`                one ONNX ``RNN``/``LSTM``/``GRU`` node -> Model
:func:`model_to_onnx`                  Model -> ``onnx.ModelProto`` (one node per layer)
:func:`write_fixture`                  Model + cases with expected results -> fixture file
:func:`fixture_from_torch`             PyTorch module + inputs -> fixture file (PyTorch answers)
=====================================  ==================================================

PyTorch and ONNX are imported only when a function needs them.
"""

from __future__ import annotations

from rnn_rosetta.fixture_data import CaseInputs
from rnn_rosetta.interop.fixture_writer import CaseData, fixture_from_torch, write_fixture
from rnn_rosetta.interop.onnx_export import model_to_onnx
from rnn_rosetta.interop.onnx_import import canonical_outputs_to_onnx, model_from_onnx, onnx_inputs_to_canonical
from rnn_rosetta.interop.torch_import import model_from_state_dict, model_from_torch

__all__ = [
    "CaseData",
    "CaseInputs",
    "canonical_outputs_to_onnx",
    "fixture_from_torch",
    "model_from_onnx",
    "model_from_state_dict",
    "model_from_torch",
    "model_to_onnx",
    "onnx_inputs_to_canonical",
    "write_fixture",
]

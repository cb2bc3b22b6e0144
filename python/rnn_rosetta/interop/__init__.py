"""Interoperability: import PyTorch, ONNX and Keras models, export to ONNX, write fixtures.

=====================================  ==================================================
function                               does
=====================================  ==================================================
:func:`model_from_torch`               ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (+ ``nn.Linear`` head) -> Model;
                                       any other ``nn.Module``, ``ExportedProgram`` or ``.pt2`` -> Chain
:func:`model_from_state_dict`          a bare PyTorch ``state_dict`` -> Model
:func:`model_from_onnx`                a whole ONNX graph (``.onnx`` or ``ModelProto``) -> Model or Chain
:func:`model_from_keras`               a Keras 3 model (``.keras`` or in memory) -> Chain
:func:`model_from_concat_gates`        hand-written cell, one matrix per gate on ``[h, x]`` or ``[x, h]`` -> Chain
:func:`model_from_gate_blocks`         PyTorch-shaped arrays with gate blocks in another order -> Chain
:func:`model_to_onnx`                  Model or Chain -> ``onnx.ModelProto`` (the whole chain)
:func:`torch_expected`                 what the PyTorch program itself computes for a case (float64)
:func:`onnx_expected`                  what ONNX Runtime (or ``onnx.reference``) computes for a case
:func:`keras_expected`                 what the Keras model itself computes for a case (float64)
:func:`write_fixture`                  Model + cases with expected results -> fixture file
:func:`fixture_from_torch`             PyTorch module + inputs -> fixture file (PyTorch answers)
=====================================  ==================================================

Every importer refuses what it does not understand with :class:`rnn_rosetta.ModelImportError`
(one line naming the node, layer or op and why); it never imports part of a model.
``rnn-rosetta convert SOURCE -o FIXTURE.json`` puts an importer and its ``*_expected`` runner together.

Nothing here is imported before it is asked for: PyTorch, ONNX and Keras load only when a function
that needs them is first used (``from rnn_rosetta.interop import model_from_keras`` imports Keras' importer,
not PyTorch's).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what static checkers see; at run time __getattr__ below loads each name when asked
    from rnn_rosetta.fixture_data import CaseInputs
    from rnn_rosetta.interop.fixture_writer import CaseData, fixture_from_torch, write_fixture
    from rnn_rosetta.interop.hand_written import model_from_concat_gates, model_from_gate_blocks
    from rnn_rosetta.interop.keras_import import keras_expected, model_from_keras
    from rnn_rosetta.interop.onnx_export import model_to_onnx
    from rnn_rosetta.interop.onnx_import import (
        canonical_outputs_to_onnx,
        model_from_onnx,
        onnx_expected,
        onnx_inputs_to_canonical,
    )
    from rnn_rosetta.interop.torch_import import model_from_state_dict, model_from_torch, torch_expected

#: public name -> the module that defines it
_WHERE: dict[str, str] = {
    "CaseData": "rnn_rosetta.interop.fixture_writer",
    "CaseInputs": "rnn_rosetta.fixture_data",
    "canonical_outputs_to_onnx": "rnn_rosetta.interop.onnx_import",
    "fixture_from_torch": "rnn_rosetta.interop.fixture_writer",
    "keras_expected": "rnn_rosetta.interop.keras_import",
    "model_from_concat_gates": "rnn_rosetta.interop.hand_written",
    "model_from_gate_blocks": "rnn_rosetta.interop.hand_written",
    "model_from_keras": "rnn_rosetta.interop.keras_import",
    "model_from_onnx": "rnn_rosetta.interop.onnx_import",
    "model_from_state_dict": "rnn_rosetta.interop.torch_import",
    "model_from_torch": "rnn_rosetta.interop.torch_import",
    "model_to_onnx": "rnn_rosetta.interop.onnx_export",
    "onnx_expected": "rnn_rosetta.interop.onnx_import",
    "onnx_inputs_to_canonical": "rnn_rosetta.interop.onnx_import",
    "torch_expected": "rnn_rosetta.interop.torch_import",
    "write_fixture": "rnn_rosetta.interop.fixture_writer",
}

__all__ = [
    "CaseData",
    "CaseInputs",
    "canonical_outputs_to_onnx",
    "fixture_from_torch",
    "keras_expected",
    "model_from_concat_gates",
    "model_from_gate_blocks",
    "model_from_keras",
    "model_from_onnx",
    "model_from_state_dict",
    "model_from_torch",
    "model_to_onnx",
    "onnx_expected",
    "onnx_inputs_to_canonical",
    "torch_expected",
    "write_fixture",
]


def __getattr__(name: str) -> Any:
    """Load ``name`` from its module on first use (PEP 562) and keep it here."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'rnn_rosetta.interop' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

"""Fixtures from imported models: the interop glue around :mod:`rnn_rosetta.fixture_writer`.

:func:`write_fixture` takes a :class:`Model` and cases whose expected
:class:`Result` someone already computed; :func:`fixture_from_torch` imports a
PyTorch module and computes them with PyTorch itself in float64. Either way
the document comes from the one fixture writer (the generator's too) and is
checked by the loader every backend reads before anything is written, so a
file that exists passes :func:`rnn_rosetta.load_fixture`.

A case is ``(name, x, h0, c0, lengths, result)`` (a :class:`Case`), time-major
as docs/fixture-format.md says; arrays may be numpy arrays, nested lists or
``torch.Tensor``:

===========  ======================  ===================================
field        shape                   meaning
===========  ======================  ===================================
``x``        ``[T, B, I]``           inputs (``batch_first`` modules too)
``h0``       ``[L*D, B, H_out]``     initial hidden state, ``None``: zeros
``c0``       ``[L*D, B, H]``         LSTM initial cell state, ``None``: zeros
``lengths``  ``[B]``                 each in ``1..T``, ``None``: all ``T``
``result``   :class:`Result`         ``output``, ``h_n``, ``c_n`` (LSTM), ``y`` (head)
===========  ======================  ===================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnn_rosetta import oracles
from rnn_rosetta.compare import Tolerance
from rnn_rosetta.fixture_data import Case, CaseInputs
from rnn_rosetta.fixture_writer import fixture_document, write_fixture_file
from rnn_rosetta.interop.torch_import import model_from_torch
from rnn_rosetta.model import Model
from rnn_rosetta.model_rules import check_model

GENERATOR = "rnn_rosetta.interop.fixture_writer"
# PyTorch float64 against the backends differ by summation order only (see rnn_rosetta.oracles.TOLERANCES).
TORCH_TOLERANCE = Tolerance(**oracles.TOLERANCES["torch"])

#: One case with its expected result, as :func:`write_fixture` takes it (the loader's :class:`Case`).
CaseData = Case


def write_fixture(
    path: str | Path,
    model: Model,
    cases: Iterable[Sequence[Any] | Case],
    name: str,
    description: str,
    oracle_name: str,
    oracle_version: str,
    tolerance: Tolerance | Mapping[str, float] | tuple[float, float],
    provenance: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``model`` and ``cases`` (``(name, x, h0, c0, lengths, result)`` each) as a fixture file.

    ``tolerance`` is a :class:`Tolerance`, ``{"rtol", "atol"}`` or
    ``(rtol, atol)``; ``provenance`` adds fields to the recorded
    ``{"generator", "oracle": oracle_version, "oracle_name": oracle_name}``.
    Raises :class:`rnn_rosetta.FixtureError` (a ``ValueError``) naming the JSON
    path when the document would break the format; nothing is written then.
    """
    check_model(model)
    answered = [_as_case(case) for case in cases]
    recorded = {"generator": GENERATOR, "oracle": oracle_version, "oracle_name": oracle_name, **dict(provenance or {})}
    return write_fixture_file(path, fixture_document(name, description, model, answered, tolerance, recorded))


def fixture_from_torch(
    module: Any,
    cases_inputs: Iterable[Sequence[Any]],
    path: str | Path,
    head: Any = None,
    *,
    head_activation: str | None = None,
    name: str | None = None,
    description: str | None = None,
    tolerance: Tolerance | Mapping[str, float] | tuple[float, float] = TORCH_TOLERANCE,
) -> Path:
    """Import ``module`` (and ``head``) and write a fixture whose expected values PyTorch computes.

    ``cases_inputs``: ``(name, x[, h0[, c0[, lengths]]])`` each (see
    :class:`CaseInputs`), time-major. The oracle is
    :func:`rnn_rosetta.oracles.expected` with ``"torch"``: the imported weights in
    a float64 ``nn`` module, one run per batch element on its own prefix when
    ``lengths`` is given, the head applied by ``torch.nn.functional``.
    ``name`` defaults to the file's stem, ``description`` to the model's
    :meth:`Model.describe`.
    """
    model = model_from_torch(module, head, head_activation)
    cases = []
    for given in cases_inputs:
        inputs = _as_inputs(CaseInputs(*given))
        result = oracles.expected("torch", model, inputs.x, inputs.h0, inputs.c0, inputs.lengths)
        cases.append(Case.answered(inputs, result))
    target = Path(path)
    return write_fixture(
        target,
        model,
        cases,
        name=name or target.stem,
        description=description or f"imported from torch.nn.{type(module).__name__}: {model.describe()}",
        oracle_name="torch",
        oracle_version=oracles.oracle_version("torch"),
        tolerance=tolerance,
    )


def _as_inputs(inputs: CaseInputs) -> CaseInputs:
    """``inputs`` with numpy arrays: float64 values, int64 lengths (torch tensors and lists converted)."""
    x = _float64_or_none(inputs.x)
    assert x is not None
    lengths = None if inputs.lengths is None else np.asarray(_numpy(inputs.lengths), dtype=np.int64).ravel()
    return CaseInputs(inputs.name, x, _float64_or_none(inputs.h0), _float64_or_none(inputs.c0), lengths)


def _as_case(case: Sequence[Any] | Case) -> Case:
    given = case if isinstance(case, Case) else Case(*case)
    return Case.answered(_as_inputs(given.inputs), given.expected)


def _numpy(array: Any) -> Any:
    if hasattr(array, "detach"):  # a torch.Tensor
        return array.detach().cpu().numpy()
    return array


def _float64_or_none(array: Any) -> np.ndarray | None:
    if array is None:
        return None
    if hasattr(array, "detach"):  # a torch.Tensor
        array = array.detach().cpu().double()
    return np.asarray(_numpy(array), dtype=np.float64)

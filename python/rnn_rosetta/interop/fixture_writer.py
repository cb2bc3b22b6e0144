"""Write fixture files (format v1) for imported models, with an oracle's answers as expected values.

:func:`write_fixture` takes a :class:`Model` and cases whose expected
:class:`Result` someone already computed; :func:`fixture_from_torch` imports a
PyTorch module and computes them with PyTorch itself in float64. Either way
the document is checked by the same loader every backend reads
(:func:`rnn_rosetta.fixtures.parse_fixture`) before anything is written, so a
file that exists passes :func:`rnn_rosetta.load_fixture`.

A case is ``(name, x, h0, c0, lengths, result)``, time-major as the format says:

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
from typing import Any, NamedTuple

import numpy as np

from rnn_rosetta import oracles
from rnn_rosetta.fixturegen.build import TOLERANCES
from rnn_rosetta.compare import Tolerance
from rnn_rosetta.fixtures import FORMAT, VERSION, dump_document, model_to_document, parse_fixture
from rnn_rosetta.interop.torch_import import model_from_torch
from rnn_rosetta.model import Model
from rnn_rosetta.result import Result

GENERATOR = "rnn_rosetta.interop.fixture_writer"
# PyTorch float64 against the backends differ by summation order only (see fixturegen.build).
TORCH_TOLERANCE = Tolerance(**TOLERANCES["torch"])


class CaseInputs(NamedTuple):
    """The inputs of one case; ``None`` means zeros (states) or full length (``lengths``)."""

    name: str
    x: np.ndarray
    h0: np.ndarray | None = None
    c0: np.ndarray | None = None
    lengths: np.ndarray | Sequence[int] | None = None


class CaseData(NamedTuple):
    """One case with its expected :class:`Result`."""

    name: str
    x: np.ndarray
    h0: np.ndarray | None
    c0: np.ndarray | None
    lengths: np.ndarray | Sequence[int] | None
    result: Result


def write_fixture(
    path: str | Path,
    model: Model,
    cases: Iterable[Sequence[Any]],
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
    model.check()
    document = {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "description": description,
        "model": model_to_document(model),
        "cases": [_case_document(CaseData(*case)) for case in cases],
        "tolerance": _tolerance(tolerance),
        "provenance": {
            "generator": GENERATOR,
            "oracle": oracle_version,
            "oracle_name": oracle_name,
            **dict(provenance or {}),
        },
    }
    text = dump_document(document)
    target = Path(path)
    parse_fixture(text, str(target))  # the loader's checks, before the file exists
    target.write_text(text, "utf-8")
    return target


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
        case = CaseInputs(*given)
        x, h0, c0 = (_float64_or_none(a) for a in (case.x, case.h0, case.c0))
        lengths = None if case.lengths is None else np.asarray(case.lengths, dtype=np.int64)
        assert x is not None
        result = oracles.expected("torch", model, x, h0, c0, lengths)
        cases.append(CaseData(case.name, x, h0, c0, lengths, result))
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


def _float64_or_none(array: Any) -> np.ndarray | None:
    if array is None:
        return None
    if hasattr(array, "detach"):  # a torch.Tensor
        array = array.detach().cpu().double().numpy()
    return np.asarray(array, dtype=np.float64)


def _list(array: Any) -> Any:
    return None if array is None else np.asarray(array).tolist()


def _case_document(case: CaseData) -> dict[str, Any]:
    lengths = None if case.lengths is None else [int(v) for v in np.asarray(case.lengths).ravel()]
    return {
        "name": case.name,
        "inputs": {
            "x": _list(_float64_or_none(case.x)),
            "h0": _list(_float64_or_none(case.h0)),
            "c0": _list(_float64_or_none(case.c0)),
            "lengths": lengths,
        },
        "expected": {key: np.asarray(value, dtype=np.float64).tolist() for key, value in case.result.fields().items()},
    }


def _tolerance(tolerance: Tolerance | Mapping[str, float] | tuple[float, float]) -> dict[str, float]:
    if isinstance(tolerance, Tolerance):
        return {"rtol": float(tolerance.rtol), "atol": float(tolerance.atol)}
    if isinstance(tolerance, Mapping):
        return {"rtol": float(tolerance["rtol"]), "atol": float(tolerance["atol"])}
    rtol, atol = tolerance
    return {"rtol": float(rtol), "atol": float(atol)}

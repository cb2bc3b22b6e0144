"""The C and Java readers read a case's ``backward`` block (docs/fixture-format.md#gradients) as Python does.

The oracle is the Python loader, an independent reader of the same files: for every committed
``grad_*`` fixture, every case's cotangents ``d_*`` and expected gradients (weights by dotted path in
chain order, x, h0, c0) must come out of librnn_rosetta_fixture.so (``rr_fixture_case.backward``, the
weights one flat ``[P]`` buffer) and of the Java reader (``ChainFixture.Case.backward()``, the weights a
map in chain order) equal number for number. A ``null`` backward or ``d_*`` reads as absent in all three.
Refusals are tests/bad_fixtures.py's ``v2_grad_*`` kinds, run through both demos by tests/test_bad_fixtures.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.fixture_data import CaseBackward
from tests.conftest import require_backend
from tests.test_c_fixture_library import _open, fixture_library_path

GRAD_FIXTURES = sorted(p.name for p in paths.fixtures_dir().glob("grad_*.json"))
D_FIELDS = ("d_output", "d_h_n", "d_c_n", "d_y")
WITHOUT_BACKWARD = ("seq_classifier.json", "mixed_cells_dense.json")  # v2 fixtures whose cases have no backward


def _flat(value: Any) -> np.ndarray | None:
    """An array, a list of per-slot arrays (ragged slots) or a Java double[] as one flat float64 array."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in value])
    return np.ravel(np.asarray(value, dtype=np.float64))


def _equal(got: np.ndarray | None, want: np.ndarray | None, what: str) -> None:
    """Both absent, or the same numbers bit for bit (a reader copies; it never computes)."""
    if want is None:
        assert got is None, f"{what}: the reader has an array, Python none"
        return
    assert got is not None, f"{what}: the reader has no array, Python has {want.size} numbers"
    np.testing.assert_array_equal(got, want, err_msg=what, strict=True)


def _python_cases(path: Path) -> list[CaseBackward | None]:
    fixture = rr.load_fixture(path)
    return [case.backward for case in fixture.cases]


def _with_nulls(tmp_path: Path, name: str) -> Path:
    """``name`` with case 0's ``d_output`` (where another d_* is given) null and the last case's backward null."""
    doc = json.loads((paths.fixtures_dir() / name).read_text("utf-8"))
    first = doc["cases"][0]["backward"]
    if any(first.get(d) is not None for d in D_FIELDS if d != "d_output"):
        first["d_output"] = None
    doc["cases"][-1]["backward"] = None
    path = tmp_path / name
    path.write_text(json.dumps(doc), "utf-8")
    return path


def test_there_are_gradient_fixtures_with_backward_blocks() -> None:
    """Without them every comparison below would pass vacuously."""
    assert len(GRAD_FIXTURES) >= 8, GRAD_FIXTURES
    for name in GRAD_FIXTURES:
        backward = _python_cases(paths.fixtures_dir() / name)
        assert backward and all(b is not None for b in backward), name
    every = [b for name in GRAD_FIXTURES for b in _python_cases(paths.fixtures_dir() / name)]
    assert any(b is not None and b.expected.x is None for b in every), "no token-input case"
    assert any(b is not None and b.expected.c0 is not None for b in every), "no lstm case"
    assert any(b is not None and b.d_y is not None and b.d_output is None for b in every), "no d_y-only case"


# -- C: librnn_rosetta_fixture through cffi --------------------------------------------------------


@pytest.fixture(scope="module")
def c_reader() -> tuple[Any, Any]:
    require_backend("c")
    if not fixture_library_path().exists():
        pytest.fail(f"{fixture_library_path()} is not built; run `make c`")
    return _open()


def _c_array(ffi: Any, pointer: Any, count: int) -> np.ndarray | None:
    if pointer == ffi.NULL:
        assert count == 0
        return None
    return np.frombuffer(ffi.buffer(pointer, count * 8), dtype=np.float64).copy()


def _c_same(reader: tuple[Any, Any], path: Path) -> None:
    ffi, lib = reader
    fx = ffi.new("rr_fixture *")
    err = ffi.new("rr_error *")
    status = lib.rr_fixture_read(str(path).encode(), fx, err)
    assert status == lib.RR_FIXTURE_OK, ffi.string(err.message).decode()
    try:
        want = _python_cases(path)
        assert fx.case_count == len(want)
        for k, expected in enumerate(want):
            got = fx.cases[k].backward
            where = f"{path.name}: cases[{k}].backward"
            if expected is None:
                assert got == ffi.NULL, f"{where}: C has a backward block, Python none"
                continue
            assert got != ffi.NULL, f"{where}: C has no backward block"
            for field in D_FIELDS:
                array = _c_array(ffi, getattr(got, field), getattr(got, f"{field}_len"))
                _equal(array, _flat(getattr(expected, field)), f"{where}.{field}")
            flat_weights = np.concatenate([w.ravel() for w in expected.expected.weights.values()])  # [P]
            _equal(_c_array(ffi, got.grad_weights, got.grad_weights_len), flat_weights, f"{where}.expected.weights")
            for field in ("x", "h0", "c0"):
                array = _c_array(ffi, getattr(got, f"grad_{field}"), getattr(got, f"grad_{field}_len"))
                _equal(array, _flat(getattr(expected.expected, field)), f"{where}.expected.{field}")
    finally:
        lib.rr_fixture_free(fx)
    assert fx.cases == ffi.NULL and fx.case_count == 0  # freed and emptied


@pytest.mark.parametrize("name", GRAD_FIXTURES)
def test_c_reads_the_backward_blocks_as_python_does(c_reader: tuple[Any, Any], name: str) -> None:
    _c_same(c_reader, paths.fixtures_dir() / name)


@pytest.mark.parametrize("name", WITHOUT_BACKWARD)
def test_c_reads_a_case_without_backward_as_null(c_reader: tuple[Any, Any], name: str) -> None:
    assert all(b is None for b in _python_cases(paths.fixtures_dir() / name))
    _c_same(c_reader, paths.fixtures_dir() / name)


def test_c_reads_null_backward_and_null_cotangents_as_absent(c_reader: tuple[Any, Any], tmp_path: Path) -> None:
    path = _with_nulls(tmp_path, "grad_lstm_projection_bidirectional.json")
    backward = _python_cases(path)
    assert backward[-1] is None and backward[0] is not None and backward[0].d_output is None
    _c_same(c_reader, path)


# -- Java: the fixture reader through JPype --------------------------------------------------------


@pytest.fixture(scope="module")
def java() -> Any:
    """The ``rnnrosetta`` Java package (the JVM is started once per process)."""
    require_backend("java")
    from rnn_rosetta.backends.java_backend import start_jvm

    return start_jvm()


def _java_same(java: Any, path: Path) -> None:
    fixture = java.fixture.FixtureReader.readAny(str(path))
    assert isinstance(fixture, java.fixture.ChainFixture)
    want = _python_cases(path)
    cases = fixture.cases()
    assert cases.size() == len(want)
    for k, expected in enumerate(want):
        got = cases.get(k).backward()
        where = f"{path.name}: cases[{k}].backward"
        if expected is None:
            assert got is None, f"{where}: Java has a backward block, Python none"
            continue
        assert got is not None, f"{where}: Java has no backward block"
        for field, accessor in zip(D_FIELDS, ("dOutput", "dHn", "dCn", "dY"), strict=True):
            _equal(_flat(getattr(got, accessor)()), _flat(getattr(expected, field)), f"{where}.{field}")
        weights = got.weights()
        names = [str(key) for key in weights.keySet()]
        assert names == list(expected.expected.weights), f"{where}: weight names or order differ"
        for name, array in expected.expected.weights.items():
            _equal(_flat(weights.get(name)), array.ravel(), f"{where}.expected.weights.{name}")
        for field in ("x", "h0", "c0"):
            _equal(_flat(getattr(got, field)()), _flat(getattr(expected.expected, field)), f"{where}.expected.{field}")


@pytest.mark.parametrize("name", GRAD_FIXTURES)
def test_java_reads_the_backward_blocks_as_python_does(java: Any, name: str) -> None:
    _java_same(java, paths.fixtures_dir() / name)


@pytest.mark.parametrize("name", WITHOUT_BACKWARD)
def test_java_reads_a_case_without_backward_as_null(java: Any, name: str) -> None:
    _java_same(java, paths.fixtures_dir() / name)


def test_java_reads_null_backward_and_null_cotangents_as_absent(java: Any, tmp_path: Path) -> None:
    _java_same(java, _with_nulls(tmp_path, "grad_lstm_projection_bidirectional.json"))


def test_java_weights_map_is_read_only(java: Any) -> None:
    fixture = java.fixture.FixtureReader.readAny(str(paths.fixtures_dir() / GRAD_FIXTURES[0]))
    weights = fixture.cases().get(0).backward().weights()
    with pytest.raises(Exception, match="UnsupportedOperationException"):
        weights.clear()

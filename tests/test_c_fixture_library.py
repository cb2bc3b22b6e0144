"""The C fixture reader library (c/include/rnn_rosetta_fixture.h) called directly, through cffi.

The oracle is the Python loader, an independent reader of the same files: every committed
fixture must come out of librnn_rosetta_fixture.so with the same config, the same weights,
every case's inputs and expected arrays, and the same tolerance, value for value. Refusals
are covered for the whole bad-fixture catalogue by tests/test_bad_fixtures.py (through the
C demo); here the library's own contract: NULL arguments, unreadable files, status names.
"""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.backends.c_backend import header_declarations
from rnn_rosetta.chain import Chain
from tests.bad_fixtures import CATALOGUE, make
from tests.conftest import require_backend

FIXTURES = sorted(p.name for p in paths.fixtures_dir().glob("*.json"))
CELLS = {"rnn": 0, "lstm": 1, "gru": 2}
DIRECTIONS = {"forward": 0, "reverse": 1, "bidirectional": 2}
HEADS = {None: 0, "identity": 1, "softmax": 2}


def fixture_library_path() -> Path:
    """Next to the C library (so a sanitized RR_C_LIBRARY brings its own reader)."""
    return paths.c_library().parent / "librnn_rosetta_fixture.so"


@lru_cache(maxsize=1)
def _open() -> tuple[Any, Any]:
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(header_declarations(paths.c_header().read_text("utf-8")))
    ffi.cdef(header_declarations((paths.c_header().parent / "rnn_rosetta_fixture.h").read_text("utf-8")))
    return ffi, ffi.dlopen(str(fixture_library_path()))


@pytest.fixture(scope="module")
def reader() -> tuple[Any, Any]:
    require_backend("c")
    if not fixture_library_path().exists():
        pytest.fail(f"{fixture_library_path()} is not built; run `make c`")
    return _open()


def _array(ffi: Any, pointer: Any, count: int) -> np.ndarray | None:
    if pointer == ffi.NULL:
        assert count == 0
        return None
    return np.frombuffer(ffi.buffer(pointer, count * 8), dtype=np.float64).copy()


def _same(ffi: Any, pointer: Any, count: int, expected: np.ndarray | None, what: str) -> None:
    got = _array(ffi, pointer, count)
    if expected is None:
        assert got is None, f"{what}: C has an array, Python none"
        return
    assert got is not None, f"{what}: C has no array"
    np.testing.assert_array_equal(got, expected.ravel(), err_msg=what)


def _read(reader: tuple[Any, Any], path: Path) -> tuple[Any, Any, Any]:
    ffi, lib = reader
    fx = ffi.new("rr_fixture *")
    err = ffi.new("rr_error *")
    status = lib.rr_fixture_read(str(path).encode(), fx, err)
    assert status == lib.RR_FIXTURE_OK, ffi.string(err.message).decode()
    return ffi, lib, fx


@pytest.mark.parametrize("name", FIXTURES)
def test_reads_every_committed_fixture_as_python_does(reader: tuple[Any, Any], name: str) -> None:
    path = paths.fixtures_dir() / name
    want = rr.load_fixture(path)
    ffi, lib, fx = _read(reader, path)
    if isinstance(want.model, Chain):
        try:
            assert fx.version == 2
            _same_chain(ffi, fx, want)
        finally:
            lib.rr_fixture_free(fx)
        assert fx.weights == ffi.NULL and fx.chain_layers == ffi.NULL and fx.dense == ffi.NULL
        return
    try:
        assert fx.version == 1
        model, cfg = want.model, fx.config
        assert ffi.string(fx.name).decode() == want.name
        assert (cfg.cell, cfg.direction) == (CELLS[model.cell], DIRECTIONS[model.direction])
        assert (cfg.input_size, cfg.hidden_size, cfg.num_layers) == (
            model.input_size,
            model.hidden_size,
            model.num_layers,
        )
        assert (cfg.proj_size, bool(cfg.peepholes)) == (model.proj_size, model.peepholes)
        assert cfg.nonlinearity == (1 if model.nonlinearity == "relu" else 0)
        assert bool(cfg.linear_before_reset) == model.linear_before_reset
        assert (cfg.clip if cfg.has_clip else None) == model.clip
        assert (cfg.dtype, cfg.kernel, cfg.num_threads) == (0, 0, 0)
        slots = [(i, d, w) for i, layer in enumerate(model.layers) for d, w in layer.directions()]
        assert fx.weights_count == len(slots)
        for k, (layer, direction, weights) in enumerate(slots):
            got = fx.weights[k]
            assert (got.layer, got.direction) == (layer, DIRECTIONS[direction])
            where = f"{name}: layers[{layer}].{direction}"
            for field in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr", "peepholes"):
                count = getattr(got, f"{field}_len")
                _same(ffi, getattr(got, field), count, getattr(weights, field), f"{where}.{field}")
        head = model.head
        assert cfg.head == HEADS[None if head is None else head.activation]
        assert cfg.head_size == (0 if head is None else head.size)
        _same(ffi, fx.head_weight, fx.head_weight_len, None if head is None else head.weight, "head.weight")
        _same(ffi, fx.head_bias, fx.head_bias_len, None if head is None else head.bias, "head.bias")
        assert fx.case_count == len(want.cases)
        for k, case in enumerate(want.cases):
            got = fx.cases[k]
            where = f"{name}: cases[{k}]"
            assert ffi.string(got.name).decode() == case.name
            assert (got.seq_len, got.batch) == case.x.shape[:2]
            for field, value in (("x", case.x), ("h0", case.h0), ("c0", case.c0)):
                _same(ffi, getattr(got, field), getattr(got, f"{field}_len"), value, f"{where}.inputs.{field}")
            lengths = None if got.lengths == ffi.NULL else list(got.lengths[0 : got.lengths_len])
            assert lengths == (None if case.lengths is None else case.lengths.tolist()), where
            for field in ("output", "h_n", "c_n", "y"):
                count = getattr(got, f"{field}_len")
                _same(ffi, getattr(got, field), count, getattr(case.expected, field), f"{where}.expected.{field}")
        assert (fx.tolerance.rtol, fx.tolerance.atol) == (want.tolerance.rtol, want.tolerance.atol)
    finally:
        lib.rr_fixture_free(fx)
    assert fx.weights == ffi.NULL and fx.cases == ffi.NULL and fx.case_count == 0  # freed and emptied


MERGES = {"concat": 0, "sum": 1, "mul": 2, "ave": 3}
ACTIVATIONS = {"identity": 0, "softmax": 1, "tanh": 2, "sigmoid": 3, "relu": 4}


def _same_chain(ffi: Any, fx: Any, want: rr.Fixture) -> None:
    """A version-2 fixture: fx.chain, its weights, embedding and dense layers, and every case."""
    chain = want.model
    assert isinstance(chain, Chain)
    name = want.name
    cfg = fx.chain
    assert ffi.string(fx.name).decode() == name
    assert (cfg.input_size, cfg.num_layers, cfg.num_dense) == (chain.input_size, len(chain.layers), len(chain.dense))
    assert cfg.readout == (1 if chain.readout == "last" else 0)
    assert (cfg.dtype, cfg.kernel, cfg.num_threads) == (0, 0, 0)
    vocab = 0 if chain.embedding is None else chain.embedding.vocab_size
    assert cfg.vocab_size == vocab
    _same(ffi, fx.embedding, fx.embedding_len, None if chain.embedding is None else chain.embedding.weight, "embedding")
    slots = []
    for index, (layer, merge) in enumerate(zip(chain.layers, chain.merges, strict=True)):
        got = cfg.layers[index]
        assert (got.cell, got.direction, got.hidden_size) == (
            CELLS[layer.cell],
            DIRECTIONS[layer.direction],
            layer.hidden_size,
        )
        assert (got.proj_size, bool(got.peepholes), got.merge) == (layer.proj_size, layer.peepholes, MERGES[merge])
        assert got.nonlinearity == (1 if layer.nonlinearity == "relu" else 0)
        assert bool(got.linear_before_reset) == layer.linear_before_reset
        assert (got.clip if got.has_clip else None) == layer.clip
        slots.extend((index, d, w) for d, w in layer.layers[0].directions())
    assert fx.weights_count == len(slots)
    for k, (layer_index, direction, weights) in enumerate(slots):
        got = fx.weights[k]
        assert (got.layer, got.direction) == (layer_index, DIRECTIONS[direction])
        for field in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr", "peepholes"):
            where = f"{name}: layers[{layer_index}].{direction}.{field}"
            _same(ffi, getattr(got, field), getattr(got, f"{field}_len"), getattr(weights, field), where)
    for k, dense in enumerate(chain.dense):
        assert (cfg.dense[k].size, cfg.dense[k].activation) == (dense.size, ACTIVATIONS[dense.activation])
        _same(ffi, fx.dense[k].weight, fx.dense[k].weight_len, dense.weight, f"dense[{k}].weight")
        _same(ffi, fx.dense[k].bias, fx.dense[k].bias_len, dense.bias, f"dense[{k}].bias")
    assert fx.case_count == len(want.cases)
    for k, case in enumerate(want.cases):
        got = fx.cases[k]
        where = f"{name}: cases[{k}]"
        assert ffi.string(got.name).decode() == case.name
        given = case.tokens if case.tokens is not None else case.x
        assert (got.seq_len, got.batch) == given.shape[:2]
        if case.tokens is not None:
            assert got.x == ffi.NULL
            assert list(got.tokens[0 : got.tokens_len]) == case.tokens.ravel().tolist(), where
        else:
            assert got.tokens == ffi.NULL
            _same(ffi, got.x, got.x_len, case.x, f"{where}.inputs.x")
        for field in ("h0", "c0"):
            _same(ffi, getattr(got, field), getattr(got, f"{field}_len"), _flat(getattr(case, field)), where + field)
        lengths = None if got.lengths == ffi.NULL else list(got.lengths[0 : got.lengths_len])
        assert lengths == (None if case.lengths is None else case.lengths.tolist()), where
        for field in ("output", "h_n", "c_n", "y"):
            value = _flat(getattr(case.expected, field))
            _same(ffi, getattr(got, field), getattr(got, f"{field}_len"), value, f"{where}.expected.{field}")
    assert (fx.tolerance.rtol, fx.tolerance.atol) == (want.tolerance.rtol, want.tolerance.atol)


def _flat(states: Any) -> np.ndarray | None:
    """An array, or a list of per-slot arrays (ragged slots), as one flat array; None stays None."""
    if states is None:
        return None
    if isinstance(states, np.ndarray):
        return states.ravel()
    return np.concatenate([np.asarray(slot).ravel() for slot in states])


def test_null_arguments_and_missing_files(reader: tuple[Any, Any], tmp_path: Path) -> None:
    ffi, lib = reader
    fx = ffi.new("rr_fixture *")
    err = ffi.new("rr_error *")
    assert lib.rr_fixture_read(ffi.NULL, fx, err) == lib.RR_FIXTURE_E_NULL
    assert b"path" in ffi.string(err.message)
    assert lib.rr_fixture_read(b"x.json", ffi.NULL, ffi.NULL) == lib.RR_FIXTURE_E_NULL
    assert lib.rr_fixture_parse(ffi.NULL, 5, fx, err) == lib.RR_FIXTURE_E_NULL
    missing = str(tmp_path / "missing.json").encode()
    assert lib.rr_fixture_read(missing, fx, err) == lib.RR_FIXTURE_E_IO
    assert ffi.string(err.message).startswith(b"cannot open the file")
    assert lib.rr_fixture_read(str(tmp_path).encode(), fx, ffi.NULL) == lib.RR_FIXTURE_E_IO  # a folder
    lib.rr_fixture_free(ffi.NULL)


def test_parse_refuses_with_one_line_and_leaves_the_fixture_empty(reader: tuple[Any, Any]) -> None:
    ffi, lib = reader
    text = (paths.fixtures_dir() / "gru_small.json").read_bytes().replace(b'"clip"', b'"clp"', 1)
    fx = ffi.new("rr_fixture *")
    err = ffi.new("rr_error *")
    assert lib.rr_fixture_parse(text, len(text), fx, err) == lib.RR_FIXTURE_E_PARSE
    assert ffi.string(err.message).decode().startswith("model.clp: unknown key")
    assert fx.name == ffi.NULL and fx.weights == ffi.NULL and fx.cases == ffi.NULL
    assert lib.rr_fixture_parse(b"", 0, fx, err) == lib.RR_FIXTURE_E_PARSE
    assert ffi.string(err.message) == b"the file is empty"


def test_status_names(reader: tuple[Any, Any]) -> None:
    ffi, lib = reader
    for name in ("RR_FIXTURE_OK", "RR_FIXTURE_E_NULL", "RR_FIXTURE_E_NOMEM", "RR_FIXTURE_E_IO", "RR_FIXTURE_E_PARSE"):
        assert ffi.string(lib.rr_fixture_status_name(getattr(lib, name))).decode() == name
    assert ffi.string(lib.rr_fixture_status_name(99)) == b"RR_FIXTURE_E_UNKNOWN"


def test_exports_only_its_api(reader: tuple[Any, Any]) -> None:
    """The helpers inside (json_*, strict_json_*) must not clash with a program's own names."""
    done = subprocess.run(["nm", "-D", "--defined-only", str(fixture_library_path())], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    names = [line.split()[-1] for line in done.stdout.splitlines() if line.split()[-2] in "TDBR"]
    assert names and all(name.startswith("rr_fixture_") for name in names), names


def test_every_bad_fixture_is_refused_with_or_without_err(reader: tuple[Any, Any]) -> None:
    """In-process over the whole catalogue: the same status with err = NULL (nothing written there)."""
    ffi, lib = reader
    fx = ffi.new("rr_fixture *")
    err = ffi.new("rr_error *")
    for bad in CATALOGUE:
        text = make(bad)
        assert lib.rr_fixture_parse(text, len(text), fx, err) == lib.RR_FIXTURE_E_PARSE, bad.name
        assert bad.path in ffi.string(err.message).decode(), bad.name
        assert lib.rr_fixture_parse(text, len(text), fx, ffi.NULL) == lib.RR_FIXTURE_E_PARSE, bad.name
        assert fx.name == ffi.NULL and fx.weights == ffi.NULL and fx.cases == ffi.NULL, bad.name

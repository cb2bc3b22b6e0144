"""Shared pytest fixtures: the committed fixture files and the backends."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths

#: Every committed fixture file, version 1 and 2.
ALL_FIXTURE_PATHS: list[Path] = sorted(paths.fixtures_dir().glob("*.json"))
_LOADED: dict[Path, rr.Fixture] = {p: rr.load_fixture(p) for p in ALL_FIXTURE_PATHS}
#: The version-1 fixtures (``fixture.model`` is a :class:`rr.Model`).
FIXTURE_PATHS: list[Path] = [p for p in ALL_FIXTURE_PATHS if isinstance(_LOADED[p].model, rr.Model)]
FIXTURE_IDS: list[str] = [p.stem for p in FIXTURE_PATHS]
#: The version-2 fixtures (``fixture.model`` is a :class:`rr.Chain`).
CHAIN_FIXTURE_PATHS: list[Path] = [p for p in ALL_FIXTURE_PATHS if isinstance(_LOADED[p].model, rr.Chain)]
CHAIN_FIXTURE_IDS: list[str] = [p.stem for p in CHAIN_FIXTURE_PATHS]
#: Fixtures of forward-direction models with cases (the ones ``step`` can stream).
STREAMABLE_IDS: list[str] = [
    p.stem
    for p in FIXTURE_PATHS
    if (f := _LOADED[p]).model.direction == "forward" and f.cases  # type: ignore[union-attr]
]
#: Chain fixtures whose layers all run forward (``ChainNet.step`` streams them).
STREAMABLE_CHAIN_IDS: list[str] = [
    p.stem
    for p in CHAIN_FIXTURE_PATHS
    if all(layer.direction == "forward" for layer in _LOADED[p].model.layers)  # type: ignore[union-attr]
]


def skip_or_fail(reason: str) -> None:
    """Skip a test whose tool is missing here; with RR_STRICT=1 (nox, CI) nothing may skip: fail."""
    if os.environ.get("RR_STRICT"):
        pytest.fail(f"required but unavailable (RR_STRICT=1): {reason}")
    pytest.skip(reason)


def require_backend(name: str) -> None:
    reason = rr.get_backend(name).why_unavailable()
    if reason is not None:
        skip_or_fail(reason)


def import_torch_or_skip_module() -> Any:
    """For a test module that needs torch throughout: skip it whole, or fail under RR_STRICT=1."""
    if os.environ.get("RR_STRICT"):
        import torch

        return torch
    return pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0)")


def require_torch() -> Any:
    """The torch module; the default suite runs without it, the nox session installs it."""
    try:
        import torch
    except ImportError:
        skip_or_fail("PyTorch is not installed (pip install torch==2.13.0)")
    return torch


@pytest.fixture(params=rr.BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend name in turn (numpy, c, java)."""
    require_backend(request.param)
    return str(request.param)


#: Each backend with each kernel worth checking: "auto" (what users get) and the plain reference paths.
BACKEND_KERNELS: list[tuple[str, str]] = [
    ("numpy", "auto"), ("numpy", "plain"), ("c", "auto"), ("c", "portable"), ("java", "auto"), ("java", "plain"),
]  # fmt: skip


@pytest.fixture(params=BACKEND_KERNELS, ids=[f"{b}-{k}" for b, k in BACKEND_KERNELS])
def backend_kernel(request: pytest.FixtureRequest) -> tuple[str, str]:
    require_backend(request.param[0])
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def loaded_fixtures() -> dict[str, rr.Fixture]:
    return {p.stem: _LOADED[p] for p in FIXTURE_PATHS}


@pytest.fixture(scope="session")
def loaded_chain_fixtures() -> dict[str, rr.Fixture]:
    return {p.stem: _LOADED[p] for p in CHAIN_FIXTURE_PATHS}

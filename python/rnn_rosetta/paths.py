"""Where the built artifacts live; each can be overridden by an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root (the package is used from its checkout: ``pip install -e .``).
REPO_ROOT = Path(__file__).resolve().parents[2]


def _path(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value else default


def c_library() -> Path:
    """The shared library built by ``make c`` (``RR_C_LIBRARY`` overrides)."""
    return _path("RR_C_LIBRARY", REPO_ROOT / "c" / "build" / "librnn_rosetta.so")


def c_header() -> Path:
    """The public C header, read by cffi (``RR_C_HEADER`` overrides)."""
    return _path("RR_C_HEADER", REPO_ROOT / "c" / "include" / "rnn_rosetta.h")


def c_demo() -> Path:
    return _path("RR_C_DEMO", REPO_ROOT / "c" / "build" / "rr_demo")


def java_jar() -> Path:
    """The jar built by ``make java`` (``RR_JAVA_JAR`` overrides)."""
    return _path("RR_JAVA_JAR", REPO_ROOT / "java" / "build" / "rnn-rosetta.jar")


def gson_jar() -> Path:
    """Gson, which the Java demo's fixture reader needs (``GSON_JAR`` overrides)."""
    return _path("GSON_JAR", Path("/usr/share/java/gson.jar"))


def fixtures_dir() -> Path:
    return REPO_ROOT / "shared_fixtures"

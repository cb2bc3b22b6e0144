"""Where the built artifacts and the fixtures live.

Each path is looked up in three places, first match wins:

1. an environment variable (``RR_C_LIBRARY``, ``RR_JAVA_JAR``, ...), when set;
2. the checkout's own build (``c/build``, ``java/build``, ``shared_fixtures``) when the package
   runs from a checkout (``pip install -e .``, what nox does; ``make`` builds them);
3. the copy inside the installed package (``rnn_rosetta/bundled/``), which ``pip install .``
   builds with ``make`` and ships in the wheel (see ``setup.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root when the package runs from a checkout (meaningful only where ``IN_CHECKOUT``).
REPO_ROOT = Path(__file__).resolve().parents[2]

#: True when this module is ``python/rnn_rosetta/paths.py`` of a checkout rather than an installed copy.
IN_CHECKOUT = (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "c" / "include" / "rnn_rosetta.h").is_file()

#: What ``pip install .`` puts inside the package: lib/, include/, java/, shared_fixtures/.
BUNDLED = Path(__file__).resolve().parent / "bundled"


def _path(variable: str, in_checkout: str, bundled: str) -> Path:
    """``$variable`` if set, else ``REPO_ROOT/in_checkout`` in a checkout, else ``BUNDLED/bundled``."""
    value = os.environ.get(variable)
    if value:
        return Path(value)
    return REPO_ROOT / in_checkout if IN_CHECKOUT else BUNDLED / bundled


def c_library() -> Path:
    """The shared library built by ``make c`` (``RR_C_LIBRARY`` overrides)."""
    return _path("RR_C_LIBRARY", "c/build/librnn_rosetta.so", "lib/librnn_rosetta.so")


def c_header() -> Path:
    """The public C header, read by cffi (``RR_C_HEADER`` overrides)."""
    return _path("RR_C_HEADER", "c/include/rnn_rosetta.h", "include/rnn_rosetta.h")


def probe_library() -> Path:
    """The benchmark's roofline probes, a library of their own (``RR_PROBE_LIBRARY`` overrides)."""
    return _path("RR_PROBE_LIBRARY", "c/build/librr_probe.so", "lib/librr_probe.so")


def c_demo() -> Path:
    """The standalone C demo built by ``make c`` in a checkout (``RR_C_DEMO`` overrides); the wheel has none."""
    value = os.environ.get("RR_C_DEMO")
    return Path(value) if value else REPO_ROOT / "c" / "build" / "rr_demo"


def java_jar() -> Path:
    """The jar built by ``make java`` (``RR_JAVA_JAR`` overrides)."""
    return _path("RR_JAVA_JAR", "java/build/rnn-rosetta.jar", "java/rnn-rosetta.jar")


def gson_jar() -> Path:
    """Gson, a system prerequisite the Java fixture reader needs (``GSON_JAR`` overrides)."""
    value = os.environ.get("GSON_JAR")
    return Path(value) if value else Path("/usr/share/java/gson.jar")


def fixtures_dir() -> Path:
    """The committed fixtures, format v1 (``RR_FIXTURES`` overrides)."""
    return _path("RR_FIXTURES", "shared_fixtures", "shared_fixtures")

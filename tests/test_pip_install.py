"""`pip install <checkout>` (not editable) into a fresh venv gives a package whose three backends all run.

The installed package must carry the C library, its header, the jar and the fixtures itself: the
commands run from a folder outside the checkout, with no ``RR_*`` override, and the paths it reports
must lie inside the venv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnn_rosetta import paths
from tests.conftest import skip_or_fail

CHECKOUT = paths.REPO_ROOT
#: Variables that would point the installed package back at the checkout.
LEAKS = ("PYTHONPATH", "VIRTUAL_ENV", "RR_C_LIBRARY", "RR_C_HEADER", "RR_JAVA_JAR", "RR_FIXTURES", "RR_PROBE_LIBRARY")


def _run(
    command: list[str], cwd: Path, timeout: int, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in LEAKS} | (extra_env or {})
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(venv bin folder, a working folder outside the checkout)`` after `pip install <checkout>`."""
    for tool in ("make", "gcc", "javac", "jar"):
        if shutil.which(tool) is None:
            skip_or_fail(f"`pip install .` builds with {tool}, which is not on PATH")
    root = tmp_path_factory.mktemp("pip_install")
    venv = root / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], root, 120)
    assert made.returncode == 0, made.stderr
    pip = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(CHECKOUT)], root, 600)
    assert pip.returncode == 0, f"pip install {CHECKOUT} failed:\n{pip.stdout}\n{pip.stderr}"
    work = root / "elsewhere"
    work.mkdir()
    return venv / "bin", work


def test_backends_lists_numpy_c_and_java(installed: tuple[Path, Path]) -> None:
    bin_dir, work = installed
    done = _run([str(bin_dir / "rnn-rosetta"), "backends"], work, 120)
    assert done.returncode == 0, done.stderr
    ready = {line.split()[0] for line in done.stdout.splitlines() if line.split()[1:2] == ["ready"]}
    assert ready == {"numpy", "c", "java"}, done.stdout


def test_crosscheck_passes_on_the_bundled_fixtures(installed: tuple[Path, Path]) -> None:
    bin_dir, work = installed
    done = _run([str(bin_dir / "rnn-rosetta"), "crosscheck"], work, 600)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def test_the_installed_package_uses_its_own_copies(installed: tuple[Path, Path]) -> None:
    """Libraries, header, jar and fixtures come from inside the venv, and the fixtures are the committed ones."""
    bin_dir, work = installed
    script = (
        "import json; from rnn_rosetta import paths; "
        "print(json.dumps({name: str(getattr(paths, name)()) for name in "
        "('c_library', 'c_header', 'probe_library', 'java_jar', 'fixtures_dir')}))"
    )
    done = _run([str(bin_dir / "python"), "-c", script], work, 120)
    assert done.returncode == 0, done.stderr
    where = {name: Path(value) for name, value in json.loads(done.stdout).items()}
    venv = bin_dir.parent.resolve()
    for name, path in where.items():
        assert path.exists(), f"{name}: {path} is missing"
        assert path.resolve().is_relative_to(venv), f"{name}: {path} is outside the venv {venv}"
    bundled = sorted(p.name for p in where["fixtures_dir"].glob("*.json"))
    assert bundled == sorted(p.name for p in (CHECKOUT / "shared_fixtures").glob("*.json"))
    header = (CHECKOUT / "c" / "include" / "rnn_rosetta.h").read_bytes()
    assert where["c_header"].read_bytes() == header


def test_an_environment_variable_still_overrides_the_bundled_copy(installed: tuple[Path, Path]) -> None:
    bin_dir, work = installed
    elsewhere = str(work / "librnn_rosetta.so")
    script = "from rnn_rosetta import paths; print(paths.c_library())"
    done = _run([str(bin_dir / "python"), "-c", script], work, 120, {"RR_C_LIBRARY": elsewhere})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == elsewhere

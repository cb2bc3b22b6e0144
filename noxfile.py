"""nox sessions: thin wrappers over `make` and `python -m rnn_rosetta`.

`nox -s crosscheck` is the main job; `nox -s tests` runs the test suite and `nox -s sanitize` the
sanitizers and fuzzing; `.ci/run` runs both (`nox -s tests sanitize`). `session.posargs` pass through.

One PyTorch for all: the sessions that need it (tests, fixtures, bench) share one venv, so the CPU
build of torch (about 1 GB) is installed once. nox names a session's venv after the session and has no
option to give several sessions one venv, so these sessions ask nox for none (`venv_backend="none"`)
and use a venv of their own under nox's shared cache folder (`session.cache_dir`, which `--envdir`
moves too), with the package installed editable and every extra they need.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

nox.options.sessions = ["crosscheck", "tests", "lint"]
nox.options.reuse_existing_virtualenvs = True

#: The extras of the shared torch venv: the tests' oracles, the benchmark's contenders, torch itself
#: (torch==2.13.0, the CPU build where pip finds it: the local wheel folder of pip's find-links).
TORCH_EXTRAS = "test,bench,torch"


def _install(session: nox.Session, *extras: str) -> None:
    """Install the package (editable) with ``extras`` into the session's venv and build the C and Java libraries
    and, for the venv's Python, the fast step's call module (``make c-step-py``)."""
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install("-e", spec)
    session.run("make", "--no-print-directory", external=True)
    session.run("make", "--no-print-directory", "c-step-py", "PYTHON=python", external=True)  # the venv's python


def _torch_venv(session: nox.Session) -> str:
    """Make (once) and update the venv the torch sessions share, put it first on PATH, build (with the fast step's
    call module for its Python); its python."""
    venv = session.cache_dir / "torch-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        session.run(sys.executable, "-m", "venv", str(venv))
    session.run(str(python), "-m", "pip", "install", "--quiet", "-e", f".[{TORCH_EXTRAS}]")
    session.env["VIRTUAL_ENV"] = str(venv)
    session.env["PATH"] = os.pathsep.join([str(venv / "bin"), os.environ.get("PATH", "")])
    session.run("make", "--no-print-directory")
    session.run("make", "--no-print-directory", "c-step-py", f"PYTHON={python}")  # CNet.step's call (mk/c.mk)
    return str(python)


def _fixture_path(session: nox.Session, fixture: str) -> str:
    """A fixture as a path: a bare name (``gru_cho``) means ``shared_fixtures/gru_cho.json``."""
    path = fixture if "/" in fixture or fixture.endswith(".json") else f"shared_fixtures/{fixture}.json"
    if not Path(path).is_file():
        session.error(f"no fixture {path} (give a path, or a name from shared_fixtures/ without .json)")
    return path


@nox.session
def crosscheck(session: nox.Session) -> None:
    """The main job: every fixture x every backend (numpy, C, Java), one table, exit 1 on mismatch."""
    _install(session)
    session.run("python", "-m", "rnn_rosetta", "crosscheck", *session.posargs)


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    """The whole pytest suite (fixtures and oracles, every backend, bad input, demos, interop, pip install)."""
    python = _torch_venv(session)
    session.run(python, "-m", "pytest", *session.posargs, env={"RR_STRICT": "1"})


@nox.session
def sanitize(session: nox.Session) -> None:
    """Sanitizers, valgrind and fuzzing on the C code, atheris on the Python loader (`-- --fuzz-seconds 600`)."""
    _install(session, "test")
    session.install("atheris")
    session.run("python", "c/fuzz/run_sanitize.py", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Run the C, Java and Python demos on a fixture, by path or by name (default: lstm_softmax_head)."""
    _install(session)
    fixture = _fixture_path(session, session.posargs[0] if session.posargs else "lstm_softmax_head")
    session.run("make", "--no-print-directory", "demo-c", f"FIXTURE={fixture}", external=True)
    session.run("make", "--no-print-directory", "demo-java", f"FIXTURE={fixture}", external=True)
    session.run("python", "-m", "rnn_rosetta", "demo", fixture)


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """The benchmark: numpy, C and Java against PyTorch and ONNX Runtime, then the streaming step (C, Java) and
    Java's first calls in fresh JVMs; writes bench_out/ (`-- --quick` to smoke)."""
    python = _torch_venv(session)
    session.run(python, "-m", "rnn_rosetta", "bench", *session.posargs)
    session.run(python, "-m", "rnn_rosetta", "bench", "--step", *session.posargs)
    session.run(python, "-m", "rnn_rosetta", "bench", "--first-calls", *session.posargs)


@nox.session(venv_backend="none")
def fixtures(session: nox.Session) -> None:
    """Regenerate shared_fixtures/ from the seeded specs and the oracles (`-- --check` only compares)."""
    python = _torch_venv(session)
    session.run(python, "-m", "rnn_rosetta.fixturegen", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format on Python; javac -Xlint:all -Werror on Java; gcc -Wall -Wextra -Werror on C (make)."""
    session.install("ruff")
    python_files = ("python", "tests", "noxfile.py", "setup.py", "c/fuzz")
    session.run("ruff", "check", *python_files)
    session.run("ruff", "format", "--check", *python_files)
    session.run("make", "--no-print-directory", "c", "lint-java", external=True)

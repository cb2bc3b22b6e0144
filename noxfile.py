"""nox sessions: thin wrappers over `make` and `python -m rnn_rosetta`.

`nox -s crosscheck` is the main job; `nox -s tests` runs the test suite
(it is also what `.ci/run` runs). `session.posargs` pass through.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["crosscheck", "tests", "lint"]
nox.options.reuse_existing_virtualenvs = True

# torch comes from the local wheel cache where there is one (pip's find-links).
TORCH = "torch==2.13.0"


def _install(session: nox.Session, *extras: str) -> None:
    """Install the package (editable) with ``extras`` and build the C and Java libraries."""
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install("-e", spec)
    session.run("make", "--no-print-directory", external=True)


@nox.session
def crosscheck(session: nox.Session) -> None:
    """The main job: every fixture x every backend (numpy, C, Java), one table, exit 1 on mismatch."""
    _install(session)
    session.run("python", "-m", "rnn_rosetta", "crosscheck", *session.posargs)


def _sanitize(session: nox.Session, *args: str) -> None:
    """ASan+UBSan builds under Python and the demo, valgrind, TSan, short fuzz runs (c/fuzz/run_sanitize.py)."""
    session.install("atheris")
    session.run("python", "c/fuzz/run_sanitize.py", *args)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole pytest suite (fixtures and oracles, every backend, bad input, demos, interop), then `sanitize`."""
    _install(session, "test", "torch")
    session.run("pytest", *session.posargs, env={"RR_STRICT": "1"})
    if not session.posargs:  # a filtered pytest run is a quick look, not the full gate
        _sanitize(session)


@nox.session
def sanitize(session: nox.Session) -> None:
    """Sanitizers, valgrind and fuzzing on the C code, atheris on the Python loader (`-- --fuzz-seconds 600`)."""
    _install(session, "test")
    _sanitize(session, *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Run the C, Java and Python demos on a fixture (default: the LSTM with a softmax head)."""
    _install(session)
    fixture = session.posargs[0] if session.posargs else "shared_fixtures/lstm_softmax_head.json"
    session.run("make", "--no-print-directory", "demo-c", f"FIXTURE={fixture}", external=True)
    session.run("make", "--no-print-directory", "demo-java", f"FIXTURE={fixture}", external=True)
    session.run("python", "-m", "rnn_rosetta", "demo", fixture)


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark: numpy, C and Java against PyTorch and ONNX Runtime; writes bench_out/ (`-- --quick` to smoke)."""
    _install(session, "bench")
    session.run("python", "-m", "rnn_rosetta", "bench", *session.posargs)


@nox.session
def fixtures(session: nox.Session) -> None:
    """Regenerate shared_fixtures/ from the seeded specs and the oracles (`-- --check` only compares)."""
    _install(session, "onnx", "torch")
    session.run("python", "-m", "rnn_rosetta.fixturegen", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format on Python; javac -Xlint:all -Werror on Java; gcc -Wall -Wextra -Werror on C (make)."""
    session.install("ruff")
    session.run("ruff", "check", "python", "tests", "noxfile.py", "c/fuzz")
    session.run("ruff", "format", "--check", "python", "tests", "noxfile.py", "c/fuzz")
    session.run("make", "--no-print-directory", "c", "lint-java", external=True)

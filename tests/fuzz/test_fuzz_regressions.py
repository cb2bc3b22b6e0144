"""Replay the inputs in tests/fuzz/regressions/ (found by the fuzzers, or written to pin a
hardening) through the Python loader and the C demo's fixture reader.

Every file: the Python loader keeps its contract (a Fixture or one FixtureError line;
``loader_contract.check_one``), and the C demo exits 0 or 2, never by a signal, with one
line on stderr when it refuses. ``refuse-*`` files must be refused by both, ``c-*`` files
by the C demo (Python's json reads them differently: e.g. the last of two equal keys),
``loader-*`` files are inputs that once broke the Python loader.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from tests.conftest import require_backend
from tests.fuzz.loader_contract import SOURCE, check_one

REGRESSIONS = sorted((Path(__file__).parent / "regressions").glob("*.json"))
IDS = [p.stem for p in REGRESSIONS]


def test_there_are_regressions() -> None:
    assert REGRESSIONS, "tests/fuzz/regressions/ is empty"


@pytest.mark.parametrize("path", REGRESSIONS, ids=IDS)
def test_python_loader_keeps_its_contract(path: Path) -> None:
    data = path.read_bytes()
    check_one(data)
    if path.name.startswith("refuse-"):
        with pytest.raises(rr.FixtureError, match=f"^{SOURCE}: "):
            rr.parse_fixture(data, SOURCE)


@pytest.mark.parametrize("path", REGRESSIONS, ids=IDS)
def test_c_demo_refuses_or_runs_never_crashes(path: Path) -> None:
    require_backend("c")
    demo = paths.c_demo()
    if not demo.exists():
        pytest.fail(f"{demo} is not built; run `make c`")
    done = subprocess.run([str(demo), str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode in (0, 2), f"exit {done.returncode}, stderr: {done.stderr!r}"
    if path.name.startswith(("refuse-", "c-")):
        assert done.returncode == 2, f"{path.name} must be refused; stdout: {done.stdout[:200]!r}"
    if done.returncode == 2:
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"rr_demo: {path}: "), done.stderr

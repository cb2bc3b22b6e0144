"""`make install PREFIX=...` gives a C user what the README promises.

Installs into a fresh prefix, builds examples/c/run_fixture.c exactly as its header says
(`cc run_fixture.c $(pkg-config --cflags --libs rnn-rosetta) -o run_fixture`), runs it on
committed fixtures (the expected values in them came from the oracle, not from this code)
and on one with a wrong expected value, which it must catch; then `make uninstall`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rnn_rosetta import paths
from tests.conftest import require_backend, skip_or_fail

EXAMPLE = paths.REPO_ROOT / "examples" / "c" / "run_fixture.c"
BUILD_COMMAND = "cc run_fixture.c $(pkg-config --cflags --libs rnn-rosetta) -o run_fixture"
CHAIN_EXAMPLE = paths.REPO_ROOT / "examples" / "c" / "run_chain.c"
CHAIN_BUILD_COMMAND = "cc run_chain.c $(pkg-config --cflags --libs rnn-rosetta) -o run_chain"
INSTALLED = (
    "include/rnn_rosetta.h",
    "include/rnn_rosetta_fixture.h",
    "include/rnn_rosetta_fixture_writer.h",
    "include/rnn_rosetta_train.h",
    "lib/librnn_rosetta.so",
    "lib/librnn_rosetta_fixture.so",
    "lib/pkgconfig/rnn-rosetta.pc",
    "share/java/rnn-rosetta.jar",
)
REPORT = re.compile(r"^(\S+), case (\S+): max error (\S+), (\d+) values outside the tolerance$")


def _make(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = ["make", "--no-print-directory", "-C", str(paths.REPO_ROOT), *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def _install(prefix: Path) -> None:
    require_backend("c")
    for tool in ("make", "cc", "pkg-config"):
        if shutil.which(tool) is None:
            skip_or_fail(f"{tool} is not installed")
    done = _make("install", f"PREFIX={prefix}")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The prefix after `make install`, with bin/run_fixture built by the example's own command."""
    prefix = tmp_path_factory.mktemp("prefix")
    _install(prefix)
    work = prefix / "bin"
    work.mkdir()
    shutil.copy(EXAMPLE, work / "run_fixture.c")
    shutil.copy(CHAIN_EXAMPLE, work / "run_chain.c")
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
    for command in (BUILD_COMMAND, CHAIN_BUILD_COMMAND):
        built = subprocess.run(command, shell=True, cwd=work, env=env, capture_output=True, text=True, check=False)
        assert built.returncode == 0, built.stderr
    return prefix


def _run(prefix: Path, fixture: Path, program: str = "run_fixture") -> subprocess.CompletedProcess[str]:
    """bin/PROGRAM FIXTURE, finding the libraries through LD_LIBRARY_PATH."""
    env = dict(os.environ, LD_LIBRARY_PATH=str(prefix / "lib"))
    command = [str(prefix / "bin" / program), str(fixture)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_installs_every_file(installed: Path) -> None:
    for name in INSTALLED:
        assert (installed / name).is_file(), name
    pc = (installed / "lib" / "pkgconfig" / "rnn-rosetta.pc").read_text("utf-8")
    assert f"prefix={installed}\n" in pc


def test_the_example_header_gives_the_build_command() -> None:
    assert f" *   {BUILD_COMMAND}\n" in EXAMPLE.read_text("utf-8")
    assert len(EXAMPLE.read_text("utf-8").splitlines()) <= 60
    assert f" *   {CHAIN_BUILD_COMMAND}\n" in CHAIN_EXAMPLE.read_text("utf-8")
    assert len(CHAIN_EXAMPLE.read_text("utf-8").splitlines()) <= 70


@pytest.mark.parametrize("name", ["seq_classifier", "gru_bidirectional_merges", "reverse_last", "char_model"])
def test_chain_example_runs_committed_v2_fixtures(installed: Path, name: str) -> None:
    done = _run(installed, paths.fixtures_dir() / f"{name}.json", "run_chain")
    assert done.returncode == 0, done.stdout + done.stderr
    match = REPORT.match(done.stdout.strip())
    assert match is not None, done.stdout
    assert match.group(1) == name and int(match.group(4)) == 0
    assert float(match.group(3)) < 1e-12


@pytest.mark.parametrize("name", ["lstm_bidirectional_lengths", "gru_small", "lstm_softmax_head"])
def test_example_runs_committed_fixtures(installed: Path, name: str) -> None:
    done = _run(installed, paths.fixtures_dir() / f"{name}.json")
    assert done.returncode == 0, done.stdout + done.stderr
    match = REPORT.match(done.stdout.strip())
    assert match is not None, done.stdout
    assert match.group(1) == name and match.group(4) == "0"
    assert 0.0 <= float(match.group(3)) < 1e-12  # float64 against a float64 oracle


def test_example_catches_a_wrong_expected_value(installed: Path, tmp_path: Path) -> None:
    document = json.loads((paths.fixtures_dir() / "gru_small.json").read_text("utf-8"))
    document["cases"][0]["expected"]["h_n"][0][1][2] += 0.5
    broken = tmp_path / "gru_small_wrong.json"
    broken.write_text(json.dumps(document), "utf-8")
    done = _run(installed, broken)
    assert done.returncode == 1, done.stdout + done.stderr
    match = REPORT.match(done.stdout.strip())
    assert match is not None and match.group(4) == "1", done.stdout
    assert abs(float(match.group(3)) - 0.5) < 1e-9


def test_example_refuses_a_bad_fixture_with_one_line(installed: Path, tmp_path: Path) -> None:
    text = (paths.fixtures_dir() / "gru_small.json").read_text("utf-8").replace('"clip"', '"clp"', 1)
    bad = tmp_path / "misspelled.json"
    bad.write_text(text, "utf-8")
    done = _run(installed, bad)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().startswith("run_fixture: model.clp: unknown key"), done.stderr


def test_uninstall_removes_every_file(tmp_path: Path) -> None:
    _install(tmp_path)
    assert all((tmp_path / name).is_file() for name in INSTALLED)
    done = _make("uninstall", f"PREFIX={tmp_path}")
    assert done.returncode == 0, done.stderr
    for name in INSTALLED:
        assert not (tmp_path / name).exists(), name

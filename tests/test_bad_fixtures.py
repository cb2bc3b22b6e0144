"""Every broken fixture is refused cleanly: Python names file and JSON path, the demos exit 2 with one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import rnn_rosetta as rr
from rnn_rosetta import cli, paths
from tests.bad_fixtures import CATALOGUE, BadFixture, make
from tests.conftest import require_backend

IDS = [bad.name for bad in CATALOGUE]


def _write(tmp_path: Path, bad: BadFixture) -> Path:
    path = tmp_path / f"{bad.name}.json"
    path.write_bytes(make(bad))
    return path


def test_catalogue_names_are_unique() -> None:
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("bad", CATALOGUE, ids=IDS)
def test_loader_refuses_with_file_and_path(bad: BadFixture, tmp_path: Path) -> None:
    path = _write(tmp_path, bad)
    with pytest.raises(rr.FixtureError) as caught:
        rr.load_fixture(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert bad.path in message, message
    assert "\n" not in message and len(message) < 400, message


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(rr.FixtureError, match="cannot read"):
        rr.load_fixture(tmp_path / "nope.json")


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def _assert_one_line_refusal(done: subprocess.CompletedProcess[str], prefix: str, path: Path) -> None:
    assert done.returncode == 2, f"exit {done.returncode}, stderr: {done.stderr!r}"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(prefix) and str(path) in lines[0], lines[0]
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr


def test_cli_refuses_every_bad_fixture_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """In-process for the whole catalogue (fast); as real processes for a sample below."""
    for bad in CATALOGUE:
        path = _write(tmp_path, bad)
        assert cli.main(["run", str(path), "--backend", "numpy"]) == 2
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert captured.out == "" and len(lines) == 1, captured.err
        assert lines[0].startswith(f"rnn-rosetta: {path}: ") and bad.path in lines[0], lines[0]


@pytest.mark.parametrize("name", ["not_json", "deep_nesting", "string_in_weights", "lengths_too_long"])
def test_cli_process_exits_2_with_one_line(name: str, tmp_path: Path) -> None:
    bad = next(b for b in CATALOGUE if b.name == name)
    path = _write(tmp_path, bad)
    done = _run([sys.executable, "-m", "rnn_rosetta", "run", str(path), "--backend", "numpy"])
    _assert_one_line_refusal(done, "rnn-rosetta: ", path)


def _demo_refusal(done: subprocess.CompletedProcess[str], path: Path, bad: BadFixture) -> str | None:
    """``None`` when ``done`` is the same verdict the loader gives (exit 2, one line naming file and path)."""
    lines = done.stderr.strip().splitlines()
    if done.returncode != 2:
        return f"exit {done.returncode} (expected 2), stderr: {done.stderr.strip()[:300]!r}"
    if len(lines) != 1 or "Traceback" in done.stderr or "Exception in" in done.stderr:
        return f"expected one line, got: {done.stderr.strip()[:300]!r}"
    if not lines[0].startswith(f"rr_demo: {path}: ") or bad.path not in lines[0]:
        return f"line does not name the file and {bad.path!r}: {lines[0]!r}"
    return None


@pytest.mark.parametrize("bad", CATALOGUE, ids=IDS)
def test_c_demo_gives_the_loaders_verdict(bad: BadFixture, tmp_path: Path) -> None:
    require_backend("c")
    if not paths.c_demo().exists():
        pytest.fail(f"{paths.c_demo()} is not built; run `make c`")
    path = _write(tmp_path, bad)
    problem = _demo_refusal(_run([str(paths.c_demo()), str(path)]), path, bad)
    assert problem is None, f"{bad.name}: C demo: {problem}"


def test_java_demo_gives_the_loaders_verdict(tmp_path: Path) -> None:
    """One JVM per file is slow, so the whole catalogue runs in one test and reports every difference."""
    require_backend("java")
    files = [_write(tmp_path, bad) for bad in CATALOGUE]
    classpath = f"{paths.java_jar()}:{paths.gson_jar()}"
    problems = []
    for bad, path in zip(CATALOGUE, files, strict=True):
        done = _run(["java", "-Xss8m", "-cp", classpath, "rnnrosetta.demo.Demo", str(path)])
        problem = _demo_refusal(done, path, bad)
        if problem is not None:
            problems.append(f"{bad.name}: Java demo: {problem}")
    assert not problems, "\n".join(problems)

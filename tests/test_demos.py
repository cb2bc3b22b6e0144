"""The C, Java and Python demos print the same text, byte for byte, for every committed fixture."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.demo import demo_lines
from tests.conftest import FIXTURE_IDS, FIXTURE_PATHS, require_backend


def _c_demo(path: str) -> str:
    done = subprocess.run([str(paths.c_demo()), path], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def java_outputs() -> dict[str, str]:
    """Every fixture through the Java demo (one JVM each, as a user would run it)."""
    require_backend("java")
    classpath = f"{paths.java_jar()}:{paths.gson_jar()}"
    outputs = {}
    for path in FIXTURE_PATHS:
        done = subprocess.run(
            ["java", "-cp", classpath, "rnnrosetta.demo.Demo", str(path)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs[path.stem] = done.stdout
    return outputs


@pytest.mark.parametrize("name", FIXTURE_IDS)
def test_demos_print_identical_text(name: str, java_outputs: dict[str, str]) -> None:
    require_backend("c")
    path = str(paths.fixtures_dir() / f"{name}.json")
    fixture = rr.load_fixture(path)
    python_text = "\n".join(demo_lines(fixture, rr.get_backend("numpy").load(fixture.model))) + "\n"
    assert _c_demo(path) == python_text
    assert java_outputs[name] == python_text


def test_python_demo_is_the_same_through_every_backend(backend: str) -> None:
    fixture = rr.load_fixture(paths.fixtures_dir() / "lstm_softmax_head.json")
    reference = demo_lines(fixture, rr.get_backend("numpy").load(fixture.model))
    assert demo_lines(fixture, rr.get_backend(backend).load(fixture.model)) == reference


def test_demo_cli_and_make_targets() -> None:
    require_backend("c")
    fixture = "shared_fixtures/lstm_softmax_head.json"
    python_demo = subprocess.run(
        [sys.executable, "-m", "rnn_rosetta", "demo", fixture], capture_output=True, text=True, check=True, timeout=60
    )
    lines = python_demo.stdout.splitlines()
    assert lines[0] == "rnn-rosetta demo: lstm_softmax_head"
    assert lines[3].split() == ["t", "input", "x[input]", "|h|", "|c|", "class", "y[class]"]
    assert lines[-1].startswith("final: |h_n|=")
    for target in ("demo-c", "demo-java"):
        made = subprocess.run(
            ["make", "--no-print-directory", "-s", "-C", str(paths.REPO_ROOT), target, f"FIXTURE={fixture}"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert made.stdout.splitlines()[-len(lines) :] == lines, target


def _numbers(text: str) -> list[float]:
    """Every number in the demo's table and final line (the header lines aside)."""
    values = []
    for line in text.splitlines()[4:]:
        for word in line.replace("=", " ").split():
            try:
                values.append(float(word))
            except ValueError:
                continue
    return values


@pytest.mark.parametrize("name", ["lstm_softmax_head", "gru_bidirectional_stacked", "rnn_relu_small"])
def test_float32_demos_print_the_float64_numbers_within_float32_error(name: str) -> None:
    """float32 runs round differently in each language, so only the layout is byte-equal; numbers are close."""
    require_backend("c")
    require_backend("java")
    path = str(paths.fixtures_dir() / f"{name}.json")
    fixture = rr.load_fixture(path)
    reference = "\n".join(demo_lines(fixture, rr.get_backend("numpy").load(fixture.model))) + "\n"
    classpath = f"{paths.java_jar()}:{paths.gson_jar()}"
    commands = {
        "c": [str(paths.c_demo()), "--dtype", "float32", path],
        "java": ["java", "--add-modules=jdk.incubator.vector", "-cp", classpath, "rnnrosetta.demo.Demo",
                 "--dtype", "float32", path],
        "python": [sys.executable, "-m", "rnn_rosetta", "demo", "--dtype", "float32", path],
    }  # fmt: skip
    for language, command in commands.items():
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, f"{language}: {done.stderr}"
        assert done.stdout.splitlines()[:4] == reference.splitlines()[:4], language
        assert len(done.stdout.splitlines()) == len(reference.splitlines()), language
        np.testing.assert_allclose(_numbers(done.stdout), _numbers(reference), rtol=1e-4, atol=2e-5, err_msg=language)

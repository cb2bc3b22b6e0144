"""The README's examples run exactly as written, its test command is CI's, and every path it names exists.

A block the test checks follows a marker line in README.md:

- ``<!-- readme-test: python -->``: a complete Python program, run from a folder outside the checkout;
- ``<!-- readme-test: same-as PATH -->``: must equal the file PATH byte for byte;
- ``<!-- readme-test: shell -->``: shell commands, run from the root of a copy of the checkout's sources
  with ``HOME`` set to a fresh temporary folder (so ``PREFIX=$HOME/.local`` installs there);
- ``<!-- readme-test: ci -->``: holds the command that ``.ci/run`` runs.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from tests.conftest import require_backend, skip_or_fail

CHECKOUT = paths.REPO_ROOT
README = CHECKOUT / "README.md"
MARKED_BLOCK = re.compile(r"^<!-- readme-test: (?P<tag>[^>]*?) -->\n```[\w-]*\n(?P<body>.*?)^```$", re.M | re.S)
#: Repository paths as the README writes them in backticks (source folders only; build outputs are not named).
SOURCE_FOLDERS = "c|java|python|tests|docs|examples|shared_fixtures|mk"
SOURCE_PATH = re.compile(rf"`((?:{SOURCE_FOLDERS})/[\w./-]+|[\w-]+\.(?:py|toml|md))`")


@dataclass(frozen=True)
class Block:
    """One marked fenced block of the README."""

    tag: str
    body: str
    line: int  # where its marker is, 1-based

    @property
    def label(self) -> str:
        return f"README.md:{self.line} ({self.tag})"


def readme_blocks() -> list[Block]:
    text = README.read_text("utf-8")
    return [Block(m["tag"].strip(), m["body"], text.count("\n", 0, m.start()) + 1) for m in MARKED_BLOCK.finditer(text)]


def _blocks(kind: str) -> list[Block]:
    return [b for b in readme_blocks() if b.tag.split()[0] == kind]


def _params(kind: str) -> list[pytest.param]:  # type: ignore[type-arg]
    return [pytest.param(b, id=b.label) for b in _blocks(kind)]


def test_the_readme_marks_every_example() -> None:
    """The blocks this test runs are all there (a marker lost in an edit would silently drop a check)."""
    tags = [b.tag for b in readme_blocks()]
    for tag in ("python", "ci", "same-as examples/c/run_fixture.c", "same-as examples/java/RunFixture.java"):
        assert tag in tags, f"README.md has no `<!-- readme-test: {tag} -->` block"
    assert tags.count("shell") >= 2, "README.md: the C and the Java examples each need a `shell` block"


def test_python_example_runs_as_written(tmp_path: Path) -> None:
    """Every backend agrees with the fixture's expected values (the oracle's numbers, not this code's)."""
    for name in rr.BACKENDS:
        require_backend(name)
    (block,) = _blocks("python")
    script = tmp_path / "example.py"
    script.write_text(block.body, "utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"{block.label}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    checked = {line.split()[0] for line in done.stdout.splitlines() if line.endswith(" ok")}
    assert checked == {"numpy", "c", "java"}, f"{block.label}: printed\n{done.stdout}"
    assert "c step by step: 8 steps ok" in done.stdout, done.stdout


@pytest.mark.parametrize("block", _params("same-as"))
def test_example_block_is_the_file(block: Block) -> None:
    """The README shows the example file itself, byte for byte."""
    path = CHECKOUT / block.tag.split(maxsplit=1)[1]
    if not path.is_file():
        pytest.fail(f"{block.label}: {path.relative_to(CHECKOUT)} does not exist")
    assert block.body == path.read_text("utf-8"), f"{block.label} differs from {path.relative_to(CHECKOUT)}"


#: What the shell blocks need of the checkout (they build with make): copied, without build folders.
SOURCES = ("Makefile", "mk", "c", "java", "examples", "shared_fixtures")


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout's sources, so what the blocks build and write stays out of the checkout."""
    copy = tmp_path_factory.mktemp("checkout")
    for name in SOURCES:
        source = CHECKOUT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("build*", "__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    return copy


@pytest.mark.parametrize("block", _params("shell"))
def test_shell_block_runs_as_written(block: Block, sources: Path, tmp_path: Path) -> None:
    """Run from the root of a source copy with HOME in a temporary folder; the programs check the fixture's values."""
    for tool in ("make", "cc", "pkg-config", "javac", "java"):
        if shutil.which(tool) is None:
            skip_or_fail(f"{block.label} needs {tool}, which is not on PATH")
    # as a user with this package's environment active: its `python` and `rnn-rosetta` come first on PATH
    scripts = str(Path(sys.executable).parent)
    env = {**os.environ, "HOME": str(tmp_path), "PATH": os.pathsep.join([scripts, os.environ.get("PATH", "")])}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.body],
        cwd=sources, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{block.label}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert "max error" in done.stdout, f"{block.label} printed no result:\n{done.stdout[-3000:]}"
    if "RunFixture" in block.body:  # the README's java command must get the Vector API kernel, not the plain loops
        assert "kernel vector" in done.stdout, done.stdout


def _commands(shell_text: str) -> list[str]:
    """The command lines of a shell text, comments and blank lines dropped, words normalised."""
    lines = (line.split("#", 1)[0].strip() for line in shell_text.splitlines())
    return [" ".join(shlex.split(line)) for line in lines if line]


def test_readme_test_command_is_what_ci_runs() -> None:
    (block,) = _blocks("ci")
    ci_command = _commands((CHECKOUT / ".ci" / "run").read_text("utf-8"))[-1]
    assert ci_command in _commands(block.body), f"{block.label} should show `.ci/run`'s `{ci_command}`"


def test_every_path_the_readme_names_exists() -> None:
    text = README.read_text("utf-8")
    named = {m[1] for m in SOURCE_PATH.finditer(text) if not re.search(r"[*{}]|\.\.\.|NAME|/build", m[1])}
    missing = sorted(path for path in named if not (CHECKOUT / path.rstrip("/")).exists())
    assert not missing, f"README.md names paths that do not exist: {', '.join(missing)}"

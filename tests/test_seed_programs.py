"""The seed articles' C RNN and Java LSTM programs, reproduced to the printed digit.

``tests/data/seed_program_outputs.json`` holds the table rows the seed programs themselves print, recorded
by compiling and running them (:func:`record_seed_outputs`; ``RR_RECORD_SEED_OUTPUTS=1`` rewrites the file).
Everything here is compared with it field by field, as printed:

- ``rnn-rosetta seed-demo`` through the numpy, C and Java backends (float64);
- ``rnn-rosetta demo --seed-table``, the C demo (``rr_demo --seed-table``) and the Java demo
  (``Demo --seed-table``), which must also print the Python text byte for byte;
- the fixtures' own expected values (the PyTorch oracle), formatted as the programs format them;
- where the seeds are present (``RR_SEEDS_DIR``, default ``REPO/../shared/seeds``), the seed programs
  themselves, extracted from the article into a temporary folder at test time, compiled and run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.cli import main
from rnn_rosetta.demo import norm, seed_table_lines
from rnn_rosetta.seed_demo import SEED_PROGRAMS
from tests.conftest import require_backend, require_torch, skip_or_fail

RECORDED = Path(__file__).parent / "data" / "seed_program_outputs.json"
RECORD_VARIABLE = "RR_RECORD_SEED_OUTPUTS"
SEEDS_DIR = Path(os.environ.get("RR_SEEDS_DIR", paths.REPO_ROOT.parent / "shared" / "seeds"))
#: program -> (the article's section, the fenced block's language, the columns of a row)
SOURCES: dict[str, tuple[int, str, tuple[str, ...]]] = {
    "c-rnn": (7, "c", ("step", "input", "|h|", "class", "p")),
    "java-lstm": (8, "java", ("step", "input", "|c|", "|h|")),
}
#: what the seed's Java listing uses without importing it
JAVA_IMPORTS = "import java.util.Arrays;\nimport java.util.Random;\n"

Rows = list[list[str]]


def table_rows(text: str) -> Rows:
    """The numeric rows of a seed-style table: ``a | b | c | k (p)`` -> ``[a, b, c, k, p]``, as printed.

    A row is a line whose ``|``-separated first field is a step number; ``k (p)`` splits into two fields.
    Header and rule lines (words, dashes) are left out.
    """
    rows = []
    for line in text.splitlines():
        fields = [field.strip() for field in line.split("|")]
        if len(fields) < 2 or not fields[0].isdigit():
            continue
        row: list[str] = []
        for field in fields:
            paired = re.fullmatch(r"(\d+) \((\S+)\)", field)
            row.extend(paired.groups() if paired else [field])
        rows.append(row)
    return rows


def recorded() -> dict[str, Any]:
    return json.loads(RECORDED.read_text("utf-8"))


def recorded_rows(program: str) -> Rows:
    return recorded()["programs"][program]["rows"]


# -- the seed programs themselves ------------------------------------------------------------------------


def seed_article() -> Path:
    """Seed 000 (the article with the C and Java programs); skips, naming the folder, where it is absent."""
    found = sorted(SEEDS_DIR.glob("000_*.txt"))
    if not found:
        pytest.skip(f"the seed articles are not in {SEEDS_DIR} (set RR_SEEDS_DIR)")
    return found[0]


def fenced_block(article: str, section: int, language: str) -> str:
    """The first ```language block of the article's ``section``-th ``## `` section."""
    sections = re.split(r"^## ", article, flags=re.MULTILINE)[1:]  # the text before the first is the title
    assert len(sections) >= section, f"the article has {len(sections)} sections, wanted section {section}"
    found = re.search(rf"^```{language}\n(.*?)^```", sections[section - 1], flags=re.MULTILINE | re.DOTALL)
    assert found, f"section {section} has no ```{language} block"
    return found.group(1)


def _run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, f"{' '.join(command)}: {done.stderr.decode('utf-8', 'replace')}"
    return done.stdout.decode("utf-8", "replace")


def run_seed_program(program: str, article: Path, work: Path) -> Rows:
    """Extract the program from the article into ``work``, compile it as the article says, run it, parse its rows."""
    section, language, _ = SOURCES[program]
    source = fenced_block(article.read_text("utf-8"), section, language)
    for tool in ("gcc",) if language == "c" else ("javac", "java"):
        if subprocess.run(["which", tool], capture_output=True, check=False).returncode:
            skip_or_fail(f"{tool} is not installed")
    if language == "c":
        (work / "rnn_demo.c").write_text(source, "utf-8")
        _run(["gcc", "rnn_demo.c", "-o", "rnn_demo", "-lm"], work)
        return table_rows(_run([str(work / "rnn_demo")], work))
    name = re.search(r"public class (\w+)", source)
    assert name, "the Java listing has no public class"
    (work / f"{name.group(1)}.java").write_text(JAVA_IMPORTS + source, "utf-8")
    _run(["javac", "-encoding", "UTF-8", f"{name.group(1)}.java"], work)
    return table_rows(_run(["java", "-Dstdout.encoding=UTF-8", "-cp", ".", name.group(1)], work))


def record_seed_outputs(article: Path, work: Path) -> dict[str, Any]:
    """Run both seed programs and write :data:`RECORDED` (what ``RR_RECORD_SEED_OUTPUTS=1`` does)."""
    document: dict[str, Any] = {
        "about": (
            "The table rows the seed article's programs print (000, section 7: the C SimpleRNN; section 8: the"
            " Java LSTMCell), compiled as printed (gcc -lm; javac with java.util.Arrays and java.util.Random"
            " imported) and run; each row's fields as printed. Written by tests/test_seed_programs.py"
            f" (record_seed_outputs) with {RECORD_VARIABLE}=1."
        ),
        "programs": {},
    }
    for program, (section, language, columns) in SOURCES.items():
        folder = work / program
        folder.mkdir(parents=True)
        rows = run_seed_program(program, article, folder)
        document["programs"][program] = {"section": section, "language": language, "columns": list(columns),
                                         "fixture": SEED_PROGRAMS[program], "rows": rows}  # fmt: skip
    RECORDED.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=1, ensure_ascii=False)
    one_line = re.compile(r"\[\s*(\"[^\[\]]*?\")\s*\]")  # a list of strings (a row, the columns) on one line
    text = one_line.sub(lambda m: "[" + re.sub(r",\s*\n\s*", ", ", m.group(1)) + "]", text)
    RECORDED.write_text(text + "\n", "utf-8")
    return document


def test_the_seed_programs_print_the_recorded_rows(tmp_path: Path) -> None:
    article = seed_article()
    if os.environ.get(RECORD_VARIABLE) == "1":
        record_seed_outputs(article, tmp_path / "record")
    for program in SOURCES:
        folder = tmp_path / program
        folder.mkdir()
        assert run_seed_program(program, article, folder) == recorded_rows(program), program


# -- the recorded rows -----------------------------------------------------------------------------------


def test_the_recorded_file_holds_both_tables() -> None:
    programs = recorded()["programs"]
    assert sorted(programs) == sorted(SOURCES)
    for program, (_, _, columns) in SOURCES.items():
        rows = programs[program]["rows"]
        steps = rr.load_fixture(paths.fixtures_dir() / f"{SEED_PROGRAMS[program]}.json").cases[0].x.shape[0]
        assert len(rows) == steps, program
        assert all(len(row) == len(columns) for row in rows), program
        assert [row[0] for row in rows] == [str(t) for t in range(steps)], program


@pytest.mark.parametrize("program", sorted(SOURCES))
def test_the_oracle_answers_print_the_recorded_rows(program: str) -> None:
    """The PyTorch float64 oracle on the fixture's weights, formatted as the program formats its numbers.

    ``|h|`` and ``class (p)`` come from the committed expected values; the per-step ``|c|`` from the oracle
    run on each prefix of the input (its ``c_n``).
    """
    require_torch()
    from rnn_rosetta.fixture_data import CaseInputs
    from rnn_rosetta.fixturegen.chain_build import chain_expected

    fixture = rr.load_fixture(paths.fixtures_dir() / f"{SEED_PROGRAMS[program]}.json")
    chain, case = fixture.model, fixture.cases[0]
    assert isinstance(chain, rr.Chain) and case.name == "seed_program" and case.x is not None
    expected = case.expected
    assert expected.output is not None
    rows = []
    for t in range(case.x.shape[0]):
        row = [str(t), str(int(np.argmax(case.x[t, 0])))]
        if program == "java-lstm":
            prefix = chain_expected(chain, CaseInputs("prefix", case.x[: t + 1]))
            assert prefix.c_n is not None
            row.append("%.4f" % norm(np.asarray(prefix.c_n)[0, 0]))
        row.append("%.4f" % norm(expected.output[t, 0]))
        if expected.y is not None:
            k = int(np.argmax(expected.y[t, 0]))
            row += [str(k), "%.2f" % expected.y[t, 0, k]]
        rows.append(row)
    assert rows == recorded_rows(program)


# -- ours ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("program", sorted(SOURCES))
def test_seed_demo_prints_the_recorded_rows_in_every_backend(
    program: str, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed-demo", program, "--backend", backend, "--dtype", "float64"]) == 0
    out = capsys.readouterr().out
    assert table_rows(out) == recorded_rows(program)
    lines = out.splitlines()
    assert (
        lines[0] == f"seed table: {SEED_PROGRAMS[program]} (case seed_program, batch element 0, {len(lines) - 2} steps)"
    )
    header = "step | input | |c|    | |h|   " if program == "java-lstm" else "step | input | |h|    | class (p)"
    assert lines[1] == header


def _python_seed_table(program: str) -> str:
    fixture = rr.load_fixture(paths.fixtures_dir() / f"{SEED_PROGRAMS[program]}.json")
    return "\n".join(seed_table_lines(fixture, rr.get_backend("numpy").load(fixture.model))) + "\n"


def _demo_command(language: str, fixture: Path) -> list[str]:
    if language == "c":
        return [str(paths.c_demo()), "--seed-table", str(fixture)]
    if language == "java":
        classpath = f"{paths.java_jar()}:{paths.gson_jar()}"
        return ["java", "-cp", classpath, "rnnrosetta.demo.Demo", "--seed-table", str(fixture)]
    return [sys.executable, "-m", "rnn_rosetta", "demo", "--seed-table", str(fixture)]


@pytest.mark.parametrize("language", ["python", "c", "java"])
@pytest.mark.parametrize("program", sorted(SOURCES))
def test_the_standalone_demos_print_the_seed_table(program: str, language: str) -> None:
    """``--seed-table`` in every demo: the recorded rows, and the Python text byte for byte."""
    if language != "python":
        require_backend(language)
    fixture = paths.fixtures_dir() / f"{SEED_PROGRAMS[program]}.json"
    done = subprocess.run(_demo_command(language, fixture), capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{language}: {done.stderr}"
    assert table_rows(done.stdout) == recorded_rows(program), language
    assert done.stdout == _python_seed_table(program), language


# -- refusals --------------------------------------------------------------------------------------------


def _bidirectional_chain_fixture() -> Path:
    for path in sorted(paths.fixtures_dir().glob("*.json")):
        model = rr.load_fixture(path).model
        if isinstance(model, rr.Chain) and any(layer.direction != "forward" for layer in model.layers):
            return path
    raise AssertionError("no committed chain fixture has a reverse or bidirectional layer")


def test_seed_table_refusals_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "no_cases.json"
    document = json.loads((paths.fixtures_dir() / "seed_c_rnn.json").read_text("utf-8"))
    empty.write_text(json.dumps({**document, "cases": []}), "utf-8")
    refused = {
        str(paths.fixtures_dir() / "lstm_small.json"): "version: the seed table needs a version-2 fixture",
        str(_bidirectional_chain_fixture()): "direction: the seed table streams one step at a time",
        str(empty): "cases: the seed table runs the first case",
    }
    for path, words in refused.items():
        assert main(["demo", "--seed-table", path]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.count("\n") == 1 and path in captured.err and words in captured.err, captured.err


@pytest.mark.parametrize(
    "arguments",
    [["c-rnn", "--backend", "fortran"], ["lstm"], ["java-lstm", "--dtype", "float16"], []],
    ids=["backend", "program", "dtype", "nothing"],
)
def test_seed_demo_refuses_bad_choices_with_one_line(arguments: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rnn_rosetta", "seed-demo", *arguments], capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("rnn-rosetta: seed-demo: "), done.stderr

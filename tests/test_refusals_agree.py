"""Every program refuses the same input with the same words and the same exit status.

The programs: ``rnn-rosetta generate|train`` (numpy backend, run in this process), ``rr_demo --generate|--train``
(C) and ``Demo --generate|--train`` (Java). Each case builds its input in ``tmp_path``; after the program's prefix
(``rnn-rosetta: generate: `` / ``rnn-rosetta: train: `` / ``rr_demo: ``) the one line on stderr must be the same
bytes in all three, and the exit status the same. The canonical texts are written out here by hand for the
cases whose wording the spec fixes character by character (the prime, the text, UTF-8, too short), so the
agreement is not only of the three programs with each other.

The number grammar: a table of refused numbers (exit 2, one line, nothing on stdout) and of accepted ones.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rnn_rosetta import cli, paths
from rnn_rosetta.chain import Chain
from rnn_rosetta.fixturegen.chain_specs import LayerSpec
from tests.conftest import require_backend
from tests.test_generate import VOCABULARY, character_chain, write_character_fixture

#: A text every character of which is in VOCABULARY (64 characters: enough for 16 streams).
GOOD_TEXT = "To be, o bé😀 a!\n" * 4
PYTHON_PREFIX = {"generate": "rnn-rosetta: generate: ", "train": "rnn-rosetta: train: "}
DEMO_PREFIX = "rr_demo: "
PROGRAMS = ("python", "c", "java")

Run = tuple[int, str, str]  # (exit status, stdout, stderr)


def run_python(command: str, args: list[str]) -> Run:
    """``rnn-rosetta COMMAND ARGS`` in this process (numpy backend)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main([command, *args])
        except SystemExit as exc:  # argparse refuses an argument
            status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


def demo_command(program: str, command: str, options: list[str], fixture: str) -> list[str]:
    """``rr_demo --COMMAND OPTIONS FIXTURE`` or the Java demo's same line."""
    flag = f"--{command}"
    if program == "c":
        require_backend("c")
        if not paths.c_demo().exists():
            pytest.fail(f"{paths.c_demo()} is not built; run `make c`")
        return [str(paths.c_demo()), flag, *options, fixture]
    require_backend("java")
    classpath = f"{paths.java_jar()}:{paths.gson_jar()}"
    return ["java", "-cp", classpath, "rnnrosetta.demo.Demo", flag, *options, fixture]


def run(program: str, command: str, options: list[str], fixture: str) -> Run:
    """One program on one input: the Python command in this process, a demo as a process."""
    if program == "python":
        return run_python(command, [fixture, *options])
    done = subprocess.run(
        demo_command(program, command, options, fixture), capture_output=True, timeout=60, check=False
    )
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


def refusal_text(program: str, command: str, result: Run) -> tuple[int, str]:
    """``(exit status, the one stderr line less the program's prefix)``; nothing may reach stdout."""
    status, out, err = result
    lines = err.splitlines()
    assert out == "" and len(lines) == 1 and err.endswith("\n"), (program, result)
    prefix = PYTHON_PREFIX[command] if program == "python" else DEMO_PREFIX
    assert lines[0].startswith(prefix), (program, result)
    return status, lines[0].removeprefix(prefix)


def agreed_refusal(command: str, options: list[str], fixture: str) -> tuple[int, str]:
    """The refusal all three programs give (asserted equal), as ``(exit status, text after the prefix)``."""
    seen = {p: refusal_text(p, command, run(p, command, options, fixture)) for p in PROGRAMS}
    assert seen["c"] == seen["python"] and seen["java"] == seen["python"], seen
    return seen["python"]


# -- models that cannot generate or train ---------------------------------------------------------------


def _overflowing_chain() -> Chain:
    """The character chain with last-layer weights 1e308 and biases 1.7e308: every logit overflows to inf."""
    chain = character_chain()
    last = chain.dense[-1]
    huge = replace(last, weight=np.full_like(last.weight, 1e308), bias=np.full_like(last.bias, 1.7e308))
    return replace(chain, dense=(*chain.dense[:-1], huge))


V = len(VOCABULARY)
#: name -> (chain maker, vocabulary, the text after "{FIXTURE}: " with {P} for generation/training)
MODEL_PROBLEMS: dict[str, tuple[Callable[[], Chain], tuple[str, ...] | None, str]] = {
    "no_vocabulary": (
        character_chain,
        None,
        "the model has no vocabulary (a version-2 character model needs one: docs/fixture-format.md#vocabulary)",
    ),
    "reverse_layer": (
        lambda: character_chain(layers=(LayerSpec("lstm", 8), LayerSpec("gru", 7, "reverse"))),
        VOCABULARY,
        "layer 1 runs reverse; {P} streams one token at a time, so every layer must run forward",
    ),
    "bidirectional_layer": (
        lambda: character_chain(layers=(LayerSpec("lstm", 8, "bidirectional"),)),
        VOCABULARY,
        "layer 0 runs bidirectional; {P} streams one token at a time, so every layer must run forward",
    ),
    "readout_last": (
        lambda: character_chain(readout="last"),
        VOCABULARY,
        "the readout is 'last'; {P} needs readout 'sequence' (logits at every step)",
    ),
    "no_dense": (
        lambda: character_chain(dense=()),
        VOCABULARY,
        f"the model has no dense layer; {{P}} needs a last dense layer of {V} outputs (the vocabulary)",
    ),
    "dense_size": (
        lambda: character_chain(dense=((V - 1, "softmax"),)),
        VOCABULARY,
        f"the last dense layer has {V - 1} outputs; {{P}} needs {V} (the vocabulary's size)",
    ),
    "dense_activation": (
        lambda: character_chain(dense=((V, "tanh"),)),
        VOCABULARY,
        "the last dense layer's activation is tanh; {P} needs softmax or identity",
    ),
}
PURPOSE = {"generate": "generation", "train": "training"}


def good_text(tmp_path: Path) -> Path:
    path = tmp_path / "good.txt"
    path.write_text(GOOD_TEXT, "utf-8")
    return path


def command_options(command: str, tmp_path: Path, without: str = "") -> list[str]:
    """Small, valid options for ``command`` (train: one step on a good text), less the option ``without``."""
    if command == "generate":
        chosen = {"--prime": "To", "--length": "3", "--seed": "7"}
    else:
        chosen = {"--data": str(good_text(tmp_path)), "--steps": "1", "--batch": "2", "--bptt": "5"}
    return [part for option, value in chosen.items() if option != without for part in (option, value)]


@pytest.mark.parametrize("command", ["generate", "train"])
@pytest.mark.parametrize("name", list(MODEL_PROBLEMS))
def test_a_model_that_cannot_run_is_refused_alike(name: str, command: str, tmp_path: Path) -> None:
    make_chain, vocabulary, problem = MODEL_PROBLEMS[name]
    fixture = write_character_fixture(tmp_path / f"{name}.json", make_chain(), vocabulary)
    expected = f"{fixture}: " + problem.replace("{P}", PURPOSE[command])
    assert agreed_refusal(command, command_options(command, tmp_path), str(fixture)) == (1, expected)


@pytest.mark.parametrize("command", ["generate", "train"])
def test_a_version_1_fixture_has_no_vocabulary_alike(command: str, tmp_path: Path) -> None:
    fixture = str(paths.fixtures_dir() / "lstm_small.json")
    expected = f"{fixture}: {MODEL_PROBLEMS['no_vocabulary'][2]}"
    assert agreed_refusal(command, command_options(command, tmp_path), fixture) == (1, expected)


def test_infinite_logits_are_refused_alike(tmp_path: Path) -> None:
    fixture = write_character_fixture(tmp_path / "overflow.json", _overflowing_chain())
    expected = f"{fixture}: logits[0] is inf: the model gives no distribution to sample from"
    assert agreed_refusal("generate", command_options("generate", tmp_path), str(fixture)) == (1, expected)


def test_a_loss_that_is_not_finite_is_refused_alike() -> None:
    """SGD at lr 1.7e308 without clipping: the first update overflows the weights, step 2's loss is nan."""
    text = paths.fixtures_dir() / "text" / "shakespeare.txt"
    options = ["--data", str(text), "--optimizer", "sgd", "--lr", "1.7e308", "--clip-norm", "0"]
    options += ["--batch", "2", "--bptt", "5", "--steps", "5"]
    fixture = str(paths.fixtures_dir() / "char_shakespeare.json")
    for program in PROGRAMS:
        status, out, err = run(program, "train", options, fixture)
        assert status == 1 and out.startswith("step 1 loss ") and out.count("\n") == 1, (program, out, err)
        prefix = PYTHON_PREFIX["train"] if program == "python" else DEMO_PREFIX
        assert err == f"{prefix}step 2: the loss is nan\n", (program, err)


# -- the prime and the text -------------------------------------------------------------------------------


@pytest.fixture
def char_fixture(tmp_path: Path) -> str:
    return str(write_character_fixture(tmp_path / "char.json", character_chain()))


@pytest.mark.parametrize(
    ("prime", "where"),
    [("To😀x", "character 3 (U+0078)"), ("🙂", "character 0 (U+1F642)"), ("é\u00a0", "character 1 (U+00A0)")],
)
def test_a_prime_character_outside_the_vocabulary_is_refused_alike(prime: str, where: str, char_fixture: str) -> None:
    expected = f"{char_fixture}: --prime: {where} is not in the vocabulary"
    assert agreed_refusal("generate", ["--prime", prime, "--length", "3"], char_fixture) == (2, expected)


def _text_case(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


TEXT_CASES: dict[str, tuple[bytes, int, str]] = {  # name -> (bytes, exit status, text after "{DATA}: ")
    "outside_bmp": ("To😀\nbé🙂 a".encode(), 2, "character 6 (line 2, U+1F642) is not in the vocabulary"),
    "outside_line_3": (b"To\n\nb x", 2, "character 6 (line 3, U+0078) is not in the vocabulary"),
    "not_utf8": (b"To be\n\xe9 o", 1, "not UTF-8 (byte 6)"),
    "truncated_utf8": (b"To b" + "é".encode()[:1], 1, "not UTF-8 (byte 4)"),
    "too_short": ("To😀".encode(), 1, "the text is too short for 16 streams (3 characters; at least 17 needed)"),
}


@pytest.mark.parametrize("name", list(TEXT_CASES))
def test_a_bad_text_is_refused_alike(name: str, tmp_path: Path, char_fixture: str) -> None:
    content, status, problem = TEXT_CASES[name]
    data = _text_case(tmp_path, f"{name}.txt", content)
    options = ["--data", str(data), "--steps", "1"]
    assert agreed_refusal("train", options, char_fixture) == (status, f"{data}: {problem}")


def test_a_missing_text_is_refused_alike_up_to_the_os_reason(tmp_path: Path, char_fixture: str) -> None:
    data = tmp_path / "missing.txt"
    expected = f"{data}: cannot read: "
    for program in PROGRAMS:
        status, text = refusal_text(program, "train", run(program, "train", ["--data", str(data)], char_fixture))
        assert status == 1 and text.startswith(expected) and len(text) > len(expected), (program, text)


# -- the number grammar ---------------------------------------------------------------------------------------

BAD_NUMBERS = ["+1", "-0", "nan", "1e400", "0x10", "", " 1"]
GOOD_INTEGERS = ["0007"]
GOOD_REALS = [".5", "2.", "1e-3"]
#: (command, option): one integer and one real option of each command.
NUMBER_OPTIONS = [("generate", "--length"), ("generate", "--temperature"), ("train", "--steps"), ("train", "--lr")]


@pytest.mark.parametrize(("command", "option"), NUMBER_OPTIONS)
@pytest.mark.parametrize("text", BAD_NUMBERS, ids=repr)
def test_a_bad_number_is_refused_by_every_program(
    text: str, command: str, option: str, tmp_path: Path, char_fixture: str
) -> None:
    options = [*command_options(command, tmp_path, without=option), option, text]
    for program in PROGRAMS:
        status, out, err = run(program, command, options, char_fixture)
        assert (status, out) == (2, ""), (program, status, out, err)
        assert len(err.splitlines()) == 1 and err.endswith("\n") and option.lstrip("-") in err, (program, err)


@pytest.mark.parametrize(("command", "option"), NUMBER_OPTIONS)
def test_good_numbers_are_accepted_by_every_program(
    command: str, option: str, tmp_path: Path, char_fixture: str
) -> None:
    integer = option in ("--length", "--steps")
    for text in GOOD_INTEGERS if integer else GOOD_REALS:
        options = [*command_options(command, tmp_path, without=option), option, text]
        for program in PROGRAMS:
            status, out, err = run(program, command, options, char_fixture)
            assert status == 0 and out and err == "", (program, text, status, err)

"""``rnn-rosetta generate`` (numpy, C, Java), ``rr_demo --generate`` and the Java demo print the same bytes.

docs/generation.md is the contract. The character model here is built in the test (random weights, a
vocabulary with non-ASCII characters and one outside the BMP); every committed fixture with a vocabulary
is run too. The independent oracle is PyTorch float64 (``nn.LSTM``, ``nn.GRU``) driven by a loop and a
sampler written in this file from the spec.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import cli, paths
from rnn_rosetta.chain import Chain
from rnn_rosetta.fixture_writer import fixture_document, write_fixture_file
from rnn_rosetta.fixturegen.chain_build import build_chain
from rnn_rosetta.fixturegen.chain_specs import ChainSpec, LayerSpec
from rnn_rosetta.generation import generate_text
from tests.conftest import CHAIN_FIXTURE_PATHS, require_backend, require_torch

#: 12 characters, one token each: the model's vocabulary.
VOCABULARY = ("T", "o", " ", "b", "e", "é", "ñ", "😀", "\n", ",", "!", "a")
PRIME = "To bé😀, o"
SEEDS = (0, 7, 2**64 - 1)
TEMPERATURES = ("0", "0.2", "0.5", "1.0")
LENGTH = 40
SETTINGS = [(seed, temperature) for seed in SEEDS for temperature in TEMPERATURES]

Expected = dict[tuple[int, str], bytes]  # (seed, temperature) -> what every program prints
CaptureBytes = pytest.CaptureFixture[bytes]

#: The committed fixtures that carry a vocabulary (char_shakespeare among them).
CHARACTER_FIXTURES = [p for p in CHAIN_FIXTURE_PATHS if rr.load_fixture(p).vocabulary is not None]
COMMITTED_PRIME = "To be, or not"


def character_chain(
    layers: tuple[LayerSpec, ...] = (LayerSpec("lstm", 8), LayerSpec("gru", 7)),
    dense: tuple[tuple[int, str], ...] = ((len(VOCABULARY), "softmax"),),
    readout: str = "sequence",
    seed: int = 11,
) -> Chain:
    """embedding 12x5 -> layers -> readout -> dense, random weights; the last dense layer scaled so the
    distribution is far from uniform (the draws then depend on the logits)."""
    spec = ChainSpec("char", "", 5, layers, (), vocab_size=len(VOCABULARY), dense=dense, readout=readout, seed=seed)
    chain = build_chain(spec, np.random.default_rng(seed))
    if not chain.dense:
        return chain
    last = chain.dense[-1]
    return replace(chain, dense=(*chain.dense[:-1], replace(last, weight=last.weight * 6.0, bias=last.bias * 3.0)))


def write_character_fixture(path: Path, chain: Chain, vocabulary: tuple[str, ...] | None = VOCABULARY) -> Path:
    tolerance = rr.Tolerance(1e-12, 1e-13)
    document = fixture_document(path.stem, "a character model", chain, (), tolerance, {}, vocabulary=vocabulary)
    return write_fixture_file(path, document)


@pytest.fixture(scope="module")
def char_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_character_fixture(tmp_path_factory.mktemp("generate") / "char.json", character_chain())


@pytest.fixture(scope="module")
def expected(char_path: Path) -> Expected:
    """What every program must print, from the numpy backend, per (seed, temperature)."""
    fixture = rr.load_fixture(char_path)
    return {
        (seed, t): (generate_text(fixture, PRIME, LENGTH, float(t), seed) + "\n").encode("utf-8")
        for seed, t in SETTINGS
    }


def generate_args(seed: int, temperature: str, prime: str = PRIME, length: int = LENGTH) -> list[str]:
    return ["--prime", prime, "--length", str(length), "--temperature", temperature, "--seed", str(seed)]


def run_cli(argv: list[str], capsysbinary: CaptureBytes) -> tuple[int, bytes, str]:
    """``rnn-rosetta generate ARGV`` in this process: (exit status, stdout bytes, stderr text)."""
    try:
        status = cli.main(["generate", *argv])
    except SystemExit as exc:  # argparse refuses an argument
        status = int(exc.code or 0)
    captured = capsysbinary.readouterr()
    return status, captured.out, captured.err.decode("utf-8")


def run_process(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(command, capture_output=True, timeout=120, check=False, env=env)


def c_demo_command(fixture: Path, args: list[str]) -> list[str]:
    require_backend("c")
    if not paths.c_demo().exists():
        pytest.fail(f"{paths.c_demo()} is not built; run `make c`")
    return [str(paths.c_demo()), "--generate", *args, str(fixture)]


def java_demo_command(fixture: Path, args: list[str]) -> list[str]:
    require_backend("java")
    classpath = f"{paths.java_jar()}:{paths.gson_jar()}"
    return ["java", "-cp", classpath, "rnnrosetta.demo.Demo", "--generate", *args, str(fixture)]


# -- the same bytes from every program ----------------------------------------------------------------


def test_the_text_is_the_prime_then_length_characters_of_the_vocabulary(expected: Expected) -> None:
    for (seed, t), output in expected.items():
        text = output.decode("utf-8")
        assert text.startswith(PRIME) and text.endswith("\n"), (seed, t)
        generated = text[len(PRIME) : -1]
        assert len(generated) == LENGTH and set(generated) <= set(VOCABULARY), (seed, t)


def test_greedy_ignores_the_seed_and_sampling_does_not(expected: Expected) -> None:
    assert len({expected[(seed, "0")] for seed in SEEDS}) == 1
    for t in ("0.5", "1.0"):
        assert len({expected[(seed, t)] for seed in SEEDS}) == len(SEEDS), t
    for seed in SEEDS:
        assert expected[(seed, "0.2")] != expected[(seed, "1.0")]


@pytest.mark.parametrize("backend", rr.BACKENDS)
def test_the_command_prints_the_same_bytes_in_every_backend(
    backend: str, char_path: Path, expected: Expected, capsysbinary: CaptureBytes
) -> None:
    require_backend(backend)
    for seed, t in SETTINGS:
        status, out, err = run_cli([str(char_path), *generate_args(seed, t), "--backend", backend], capsysbinary)
        assert (status, err) == (0, ""), (seed, t, err)
        assert out == expected[(seed, t)], (backend, seed, t)


def test_the_c_demo_prints_the_same_bytes(char_path: Path, expected: Expected) -> None:
    differences = []
    for seed, t in SETTINGS:
        done = run_process(c_demo_command(char_path, generate_args(seed, t)))
        if done.returncode != 0 or done.stdout != expected[(seed, t)]:
            differences.append(f"seed {seed} T {t}: exit {done.returncode} {done.stdout!r} {done.stderr[:300]!r}")
    assert not differences, "\n".join(differences)


def test_the_java_demo_prints_the_same_bytes(char_path: Path, expected: Expected) -> None:
    differences = []
    for seed, t in SETTINGS:
        done = run_process(java_demo_command(char_path, generate_args(seed, t)))
        if done.returncode != 0 or done.stdout != expected[(seed, t)]:
            differences.append(f"seed {seed} T {t}: exit {done.returncode} {done.stdout!r} {done.stderr[:300]!r}")
    assert not differences, "\n".join(differences)


def test_a_committed_character_model_exists() -> None:
    assert "char_shakespeare" in [p.stem for p in CHARACTER_FIXTURES], [p.stem for p in CHAIN_FIXTURE_PATHS]


COMMITTED_ARGS = generate_args(7, "0.5", prime=COMMITTED_PRIME, length=200)
PROGRAMS = ("numpy", "c", "java", "c-demo", "java-demo")


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("path", CHARACTER_FIXTURES, ids=[p.stem for p in CHARACTER_FIXTURES])
def test_every_committed_character_model_prints_the_same_200_characters(
    path: Path, program: str, capsysbinary: CaptureBytes
) -> None:
    reference = generate_text(rr.load_fixture(path), COMMITTED_PRIME, 200, 0.5, 7)
    if program in rr.BACKENDS:
        require_backend(program)
        status, out, err = run_cli([str(path), *COMMITTED_ARGS, "--backend", program], capsysbinary)
        assert (status, err) == (0, "")
    else:
        command = c_demo_command if program == "c-demo" else java_demo_command
        done = run_process(command(path, COMMITTED_ARGS))
        assert done.returncode == 0, done.stderr
        out = done.stdout
    assert out == (reference + "\n").encode("utf-8")
    assert len(reference) == len(COMMITTED_PRIME) + 200


@pytest.mark.parametrize("backend", rr.BACKENDS)
def test_float32_generates_from_the_widened_logits(backend: str, char_path: Path) -> None:
    require_backend(backend)
    text = generate_text(rr.load_fixture(char_path), PRIME, 40, 0.5, 3, backend=backend, dtype="float32")
    assert text.startswith(PRIME) and len(text) == len(PRIME) + 40 and set(text) <= set(VOCABULARY)


def test_a_real_process_writes_utf8_whatever_the_locale(char_path: Path, expected: Expected) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}  # the emoji cannot be written as latin-1 text
    done = run_process([sys.executable, "-m", "rnn_rosetta", "generate", str(char_path), *generate_args(7, "0.5")], env)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout == expected[(7, "0.5")]


def test_length_zero_prints_the_prime_and_a_newline(char_path: Path, capsysbinary: CaptureBytes) -> None:
    status, out, _ = run_cli([str(char_path), "--prime", PRIME, "--length", "0"], capsysbinary)
    assert (status, out) == (0, (PRIME + "\n").encode("utf-8"))


# -- the independent oracle: PyTorch float64 and the spec's procedure written out here ------------------


class SpecSplitMix64:
    """docs/generation.md's generator, written out again (Python integers, masked)."""

    def __init__(self, seed: int) -> None:
        self.s = seed

    def next_double(self) -> float:
        mask = 2**64 - 1
        self.s = (self.s + 0x9E3779B97F4A7C15) & mask
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return ((z ^ (z >> 31)) >> 11) * 2.0**-53


def spec_sample(z: list[float], temperature: float, rng: SpecSplitMix64) -> int:
    """docs/generation.md's sampling rule, written out again."""
    best = max(range(len(z)), key=lambda i: (z[i], -i))  # the first of the largest
    if temperature == 0:
        return best
    w = [math.exp((v - z[best]) / temperature) for v in z]
    total = 0.0
    for value in w:
        total += value
    target = rng.next_double() * total
    cumulative = 0.0
    for i, value in enumerate(w):
        cumulative += value
        if target < cumulative:
            return i
    return max(i for i, value in enumerate(w) if value > 0)


def torch_generate(chain: Chain, prime: str, length: int, temperature: float, seed: int) -> str:
    """Embedding -> nn.LSTM -> nn.GRU -> linear (the logits), one step at a time, in float64."""
    torch = require_torch()
    f = torch.nn.functional
    lstm_layer, gru_layer = chain.layers
    assert chain.embedding is not None and lstm_layer.cell == "lstm" and gru_layer.cell == "gru"
    lstm = torch.nn.LSTM(lstm_layer.input_size, lstm_layer.hidden_size, dtype=torch.float64)
    gru = torch.nn.GRU(gru_layer.input_size, gru_layer.hidden_size, dtype=torch.float64)
    for module, layer in ((lstm, lstm_layer), (gru, gru_layer)):
        weights = layer.layers[0].forward
        assert weights is not None
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(module, f"{name}_l0").copy_(torch.from_numpy(getattr(weights, name)))
    table = torch.from_numpy(chain.embedding.weight)
    dense = chain.dense[-1]
    weight, bias = torch.from_numpy(dense.weight), torch.from_numpy(dense.bias)
    lstm_state, gru_state = None, None

    def step(token: int) -> list[float]:
        nonlocal lstm_state, gru_state
        x = f.embedding(torch.tensor([[token]]), table)  # [1, 1, E]
        h1, lstm_state = lstm(x, lstm_state)
        h2, gru_state = gru(h1, gru_state)
        return [float(v) for v in f.linear(h2[0, 0], weight, bias)]  # [V] logits

    with torch.no_grad():
        for character in prime:
            z = step(VOCABULARY.index(character))
        rng = SpecSplitMix64(seed)
        text = prime
        for _ in range(length):
            k = spec_sample(z, temperature, rng)
            text += VOCABULARY[k]
            z = step(k)
    return text


@pytest.mark.parametrize(("seed", "temperature"), [(7, 0.5), (2**64 - 1, 1.0), (0, 0.0)])
def test_numpy_generates_what_pytorch_and_the_written_out_spec_generate(
    char_path: Path, seed: int, temperature: float
) -> None:
    fixture = rr.load_fixture(char_path)
    assert isinstance(fixture.model, Chain)
    oracle = torch_generate(fixture.model, PRIME, 100, temperature, seed)
    assert generate_text(fixture, PRIME, 100, temperature, seed) == oracle


# -- refusals -----------------------------------------------------------------------------------------


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


CANNOT_GENERATE = {
    "no_vocabulary": (lambda: character_chain(), None, "the model has no vocabulary"),
    "reverse_layer": (
        lambda: character_chain(layers=(LayerSpec("lstm", 8), LayerSpec("gru", 7, "reverse"))),
        VOCABULARY,
        "layer 1 runs reverse; generation streams one token at a time, so every layer must run forward",
    ),
    "readout_last": (
        lambda: character_chain(readout="last"),
        VOCABULARY,
        "the readout is 'last'; generation needs readout 'sequence'",
    ),
    "wrong_last_size": (
        lambda: character_chain(dense=((len(VOCABULARY) - 1, "softmax"),)),
        VOCABULARY,
        "the last dense layer has 11 outputs; generation needs 12 (the vocabulary's size)",
    ),
    "tanh_last": (
        lambda: character_chain(dense=((len(VOCABULARY), "tanh"),)),
        VOCABULARY,
        "the last dense layer's activation is tanh; generation needs softmax or identity",
    ),
    "no_dense": (lambda: character_chain(dense=()), VOCABULARY, "the model has no dense layer"),
}


@pytest.mark.parametrize("name", list(CANNOT_GENERATE))
def test_a_model_that_cannot_generate_is_refused_with_exit_1(
    name: str, tmp_path: Path, capsysbinary: CaptureBytes
) -> None:
    make_chain, vocabulary, problem = CANNOT_GENERATE[name]
    path = write_character_fixture(tmp_path / f"{name}.json", make_chain(), vocabulary)
    status, out, err = run_cli([str(path), "--prime", "To"], capsysbinary)
    assert (status, out) == (1, b"")
    assert _one_line(err).startswith(f"rnn-rosetta: generate: {path}: {problem}"), err


def test_an_identity_last_layer_gives_its_logits_directly(tmp_path: Path, char_path: Path) -> None:
    softmax = rr.load_fixture(char_path)
    assert isinstance(softmax.model, Chain)
    last = replace(softmax.model.dense[-1], activation="identity")
    identity_chain = replace(softmax.model, dense=(last,))
    identity = rr.load_fixture(write_character_fixture(tmp_path / "identity.json", identity_chain))
    for seed, t in SETTINGS[:6]:
        assert generate_text(identity, PRIME, 30, float(t), seed) == generate_text(softmax, PRIME, 30, float(t), seed)


@pytest.mark.parametrize(
    ("fixture", "problem"),
    [
        ("lstm_small", "the model has no vocabulary"),
        ("seq_classifier", "the model has no vocabulary"),
        ("no_such_fixture_anywhere", "no such file here"),
    ],
)
def test_other_fixtures_and_missing_files_exit_1(fixture: str, problem: str, capsysbinary: CaptureBytes) -> None:
    status, out, err = run_cli([fixture, "--prime", "To"], capsysbinary)
    assert (status, out) == (1, b"")
    line = _one_line(err)
    assert line.startswith("rnn-rosetta: generate: ") and problem in line, line


def test_a_broken_fixture_exits_1_naming_the_json_path(tmp_path: Path, capsysbinary: CaptureBytes) -> None:
    text = (paths.fixtures_dir() / "seq_classifier.json").read_text("utf-8")
    path = tmp_path / "broken.json"
    path.write_text(text.replace('"readout": "last"', '"readout": "first"'), "utf-8")
    status, _, err = run_cli([str(path), "--prime", "To"], capsysbinary)
    assert status == 1
    assert _one_line(err).startswith(f"rnn-rosetta: generate: {path}: model.readout"), err


BAD_ARGUMENTS = [
    (["--prime", "To be?"], ": --prime: character 5 (U+003F) is not in the vocabulary"),
    (["--prime", "Tx"], "character 1 (U+0078) is not"),
    (["--prime", "To\u00a0"], "(U+00A0)"),
    (["--prime", "🙂"], "(U+1F642)"),
    (["--prime", ""], "--prime must not be empty"),
    (["--prime", "To", "--temperature", "-1"], "temperature must be a finite number >= 0, got '-1'"),
    (["--prime", "To", "--temperature", "+1"], "temperature must be a finite number >= 0, got '+1'"),
    (["--prime", "To", "--temperature", "-0"], "temperature must be a finite number >= 0, got '-0'"),
    (["--prime", "To", "--temperature", "nan"], "temperature must be a finite number >= 0, got 'nan'"),
    (["--prime", "To", "--temperature", "inf"], "temperature must be a finite number >= 0, got 'inf'"),
    (["--prime", "To", "--temperature", "1e400"], "temperature must be a finite number >= 0, got '1e400'"),
    (["--prime", "To", "--temperature", "0.5x"], "temperature must be a finite number >= 0"),
    (["--prime", "To", "--length", "-1"], "length must be an integer in 0 .. 1000000, got '-1'"),
    (["--prime", "To", "--length", "1000001"], "length must be an integer in 0 .. 1000000"),
    (["--prime", "To", "--length", "2.5"], "length must be an integer in 0 .. 1000000"),
    (["--prime", "To", "--seed", "-1"], "seed must be an integer in 0 .. 18446744073709551615, got '-1'"),
    (["--prime", "To", "--seed", "18446744073709551616"], "seed must be an integer in 0 .. 18446744073709551615"),
    (["--prime", "To", "--seed", "0x10"], "seed must be an integer"),
    (["--prime", "To", "--seed", "+1"], "seed must be an integer"),
    (["--prime", "To", "--length", " 1"], "length must be an integer"),
    (["--prime", "To", "--length", "9" * 5000], "length must be an integer in 0 .. 1000000"),
    (["--prime", "To", "--backend", "cuda"], "--backend"),
    (["--prime", "To", "--dtype", "float16"], "--dtype"),
    ([], "--prime"),
]


@pytest.mark.parametrize(("args", "problem"), BAD_ARGUMENTS, ids=[p[:60] for _, p in BAD_ARGUMENTS])
def test_a_bad_argument_is_refused_with_exit_2(
    args: list[str], problem: str, char_path: Path, capsysbinary: CaptureBytes
) -> None:
    status, out, err = run_cli([str(char_path), *args], capsysbinary)
    assert (status, out) == (2, b"")
    line = _one_line(err)
    assert line.startswith("rnn-rosetta: generate: ") and problem in line, line


def test_refusals_in_a_real_process_exit_2_and_1(char_path: Path) -> None:
    base = [sys.executable, "-m", "rnn_rosetta", "generate"]
    bad_prime = run_process([*base, str(char_path), "--prime", "Tq"])
    assert bad_prime.returncode == 2 and bad_prime.stdout == b""
    assert b"(U+0071)" in bad_prime.stderr and len(bad_prime.stderr.strip().splitlines()) == 1
    no_vocabulary = run_process([*base, str(paths.fixtures_dir() / "seq_classifier.json"), "--prime", "To"])
    assert no_vocabulary.returncode == 1 and no_vocabulary.stdout == b""
    assert no_vocabulary.stderr.decode().strip().endswith("the model has no vocabulary" + _HINT)


_HINT = " (a version-2 character model needs one: docs/fixture-format.md#vocabulary)"


@pytest.mark.parametrize("program", ["c-demo", "java-demo"])
def test_the_demos_refuse_with_the_commands_exit_status(program: str, char_path: Path) -> None:
    command = c_demo_command if program == "c-demo" else java_demo_command
    bad_prime = run_process(command(char_path, ["--prime", "Tq"]))
    assert bad_prime.returncode == 2 and bad_prime.stdout == b"", bad_prime.stderr
    assert b"(U+0071)" in bad_prime.stderr and len(bad_prime.stderr.strip().splitlines()) == 1
    no_vocabulary = run_process(command(paths.fixtures_dir() / "seq_classifier.json", ["--prime", "To"]))
    assert no_vocabulary.returncode == 1 and no_vocabulary.stdout == b"", no_vocabulary.stderr
    assert b"no vocabulary" in no_vocabulary.stderr and len(no_vocabulary.stderr.strip().splitlines()) == 1


def test_infinite_logits_are_refused_as_a_model_problem_by_every_program(tmp_path: Path) -> None:
    """Weights 1e308 and biases 1.7e308 overflow every logit to inf: all five programs exit 1 with one line."""
    chain = character_chain()
    last = chain.dense[-1]
    huge = replace(last, weight=np.full_like(last.weight, 1e308), bias=np.full_like(last.bias, 1.7e308))
    path = write_character_fixture(tmp_path / "overflow.json", replace(chain, dense=(*chain.dense[:-1], huge)))
    args = generate_args(7, "0.5", prime="To", length=5)
    commands = {backend: [sys.executable, "-m", "rnn_rosetta", "generate", str(path), *args, "--backend", backend]
                for backend in rr.BACKENDS}  # fmt: skip
    commands |= {"c-demo": c_demo_command(path, args), "java-demo": java_demo_command(path, args)}
    for program, command in commands.items():
        done = run_process(command)
        err = done.stderr.decode("utf-8")
        assert (done.returncode, done.stdout) == (1, b""), (program, err)
        assert _one_line(err).endswith(": the model gives no distribution to sample from"), (program, err)
        assert f"{path}: logits[" in err, (program, err)

"""The C demo's text generation (``rr_demo --generate``) and seed table (``--seed-table``).

docs/generation.md and docs/demo-output.md ("The seed table") are the contract. The character model is
built here from PyTorch float64 modules (embedding 16x5 -> LSTM 8 -> GRU 7 -> Linear 16, softmax), and
the oracle is PyTorch float64 run step by step, with SplitMix64 and the sampling rule written out in this
file from the spec: greedy text, sampled text, the seed table's rows. A model whose logits are all zero
makes every draw ``next() >> 58`` of a 64-character vocabulary, so the spec's SplitMix64 reference
values are checked through the demo itself. Then the refusals (exit 2 for arguments, 1 for a model that
cannot generate) and valgrind.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnn_rosetta import FixtureError, load_fixture, paths
from rnn_rosetta.backends.c_backend import header_declarations
from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.fixture_data import Case
from rnn_rosetta.fixture_writer import fixture_document, write_fixture_file
from rnn_rosetta.interop import model_from_torch
from rnn_rosetta.model import Layer
from rnn_rosetta.result import Result
from tests.conftest import import_torch_or_skip_module, require_backend, skip_or_fail

torch = import_torch_or_skip_module()

#: 16 characters, one per token: ASCII, Latin-1, one outside the BMP, a newline.
VOCABULARY = ("T", "o", " ", "b", "e", ",", "r", "n", "t", "a", "é", "ß", "😀", "\n", "!", "?")
PRIME = "To bé😀"
LENGTH = 40
CASE_TOKENS = (0, 1, 2, 3, 4, 12, 10)  # the case the seed table runs: "To be😀é"

# -- the oracle: PyTorch float64 and the spec written out -----------------------------------------


class TorchCharModel:
    """embedding [V, 5] -> nn.LSTM(5, 8) -> nn.GRU(8, 7) -> nn.Linear(7, V), float64, fixed seed.

    PyTorch's default initialisation, with the recurrent weights x3 and the last layer x4: a greedy path
    that does not settle on one character at once, and draws that depend on the logits.
    """

    def __init__(self, seed: int = 11, scale: float = 4.0, zero_logits: bool = False, vocab: int = 16) -> None:
        torch.manual_seed(seed)
        self.embedding = torch.nn.Embedding(vocab, 5).double()
        self.lstm = torch.nn.LSTM(5, 8).double()
        self.gru = torch.nn.GRU(8, 7).double()
        self.linear = torch.nn.Linear(7, vocab).double()
        with torch.no_grad():
            for parameter in [*self.lstm.parameters(), *self.gru.parameters()]:
                parameter.mul_(3.0)
            self.linear.weight.mul_(0.0 if zero_logits else scale)  # far from uniform: draws depend on logits
            self.linear.bias.mul_(0.0 if zero_logits else scale)

    def chain(self, activation: str = "softmax") -> Chain:
        dense = Dense(self.linear.weight.detach().numpy().copy(), self.linear.bias.detach().numpy().copy(), activation)
        layers = (model_from_torch(self.lstm), model_from_torch(self.gru))
        return Chain(layers=layers, embedding=Embedding(self.embedding.weight.detach().numpy().copy()), dense=(dense,))

    def stepper(self) -> Callable[[int], tuple[np.ndarray, np.ndarray]]:
        """step(token) -> (logits z [V], top output [7]), the state carried between calls."""
        state: dict[str, Any] = {"lstm": None, "gru": None}

        def step(token: int) -> tuple[np.ndarray, np.ndarray]:
            with torch.no_grad():
                x = self.embedding(torch.tensor([[token]]))  # [1, 1, 5]
                h1, state["lstm"] = self.lstm(x, state["lstm"])  # [1, 1, 8]
                h2, state["gru"] = self.gru(h1, state["gru"])  # [1, 1, 7]
                z = self.linear(h2)[0, 0]  # [V]
            return z.numpy().copy(), h2[0, 0].numpy().copy()

        return step


class SplitMix64:
    """docs/generation.md, "The generator", written out from the spec."""

    def __init__(self, seed: int) -> None:
        self.s = seed

    def next(self) -> int:
        mask = (1 << 64) - 1
        self.s = (self.s + 0x9E3779B97F4A7C15) & mask
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    def next_double(self) -> float:
        return (self.next() >> 11) * 2.0**-53


def spec_sample(z: np.ndarray, temperature: float, rng: SplitMix64) -> int:
    """docs/generation.md, "The sampling rule", written out from the spec."""
    values = [float(v) for v in z]
    best = 0
    for i in range(1, len(values)):
        if values[i] > values[best]:
            best = i
    if temperature == 0:
        return best
    w = [math.exp((v - values[best]) / temperature) for v in values]
    total = 0.0
    for wi in w:
        total += wi
    target = rng.next_double() * total
    cum = 0.0
    for i, wi in enumerate(w):
        cum += wi
        if target < cum:
            return i
    return max(i for i, wi in enumerate(w) if wi > 0)


def oracle_text(
    model: TorchCharModel, vocabulary: tuple[str, ...], prime: str, length: int, temperature: float, seed: int
) -> bytes:
    """The procedure of docs/generation.md on PyTorch float64 logits: what the demo must print."""
    step = model.stepper()
    z = np.zeros(0)
    for character in prime:
        z, _ = step(vocabulary.index(character))
    rng = SplitMix64(seed)
    out = []
    for _ in range(length):
        k = spec_sample(z, temperature, rng)
        out.append(vocabulary[k])
        z, _ = step(k)
    return (prime + "".join(out) + "\n").encode("utf-8")


# -- fixtures and the demo --------------------------------------------------------------------------


def write_char_fixture(
    path: Path, chain: Chain, vocabulary: tuple[str, ...] | None, cases: tuple[Case, ...] = ()
) -> Path:
    document = fixture_document(path.stem, "a character model", chain, cases, (1e-12, 1e-13), {}, vocabulary=vocabulary)
    return write_fixture_file(path, document)


def seed_table_case(model: TorchCharModel) -> Case:
    """CASE_TOKENS as tokens [T, 1] with PyTorch's output [T, 1, 7] and y [T, 1, V] (softmax)."""
    step = model.stepper()
    outputs, ys = [], []
    for token in CASE_TOKENS:
        z, out = step(token)
        outputs.append(out)
        ys.append(torch.softmax(torch.from_numpy(z), 0).numpy())
    tokens = np.array(CASE_TOKENS, dtype=np.int64).reshape(-1, 1)
    expected = Result(output=np.array(outputs)[:, None, :], y=np.array(ys)[:, None, :])
    return Case("prime", None, None, None, None, expected, tokens=tokens)


@pytest.fixture(scope="module")
def model() -> TorchCharModel:
    return TorchCharModel()


@pytest.fixture(scope="module")
def char_path(model: TorchCharModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("c_generate")
    return write_char_fixture(folder / "char.json", model.chain(), VOCABULARY, (seed_table_case(model),))


def demo(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    require_backend("c")
    if not paths.c_demo().exists():
        pytest.fail(f"{paths.c_demo()} is not built; run `make c`")
    return subprocess.run([str(paths.c_demo()), *map(str, args)], capture_output=True, timeout=120, check=False)


def generate(path: Path, prime: str, length: int, temperature: str, seed: int, *extra: str) -> bytes:
    done = demo("--generate", "--prime", prime, "--length", str(length), "--temperature", temperature,
                "--seed", str(seed), *extra, path)  # fmt: skip
    assert (done.returncode, done.stderr) == (0, b""), done.stderr
    return done.stdout


# -- the reader library's vocabulary ---------------------------------------------------------------


def test_the_reader_library_gives_the_vocabulary_as_utf8_strings(char_path: Path) -> None:
    import cffi

    require_backend("c")
    library = paths.c_library().parent / "librnn_rosetta_fixture.so"
    if not library.exists():
        pytest.fail(f"{library} is not built; run `make c`")
    ffi = cffi.FFI()
    for header in (paths.c_header(), paths.c_header().parent / "rnn_rosetta_fixture.h"):
        ffi.cdef(header_declarations(header.read_text("utf-8")))
    lib = ffi.dlopen(str(library))
    for path, want in [(char_path, VOCABULARY), (paths.fixtures_dir() / "seq_classifier.json", None)]:
        fx = ffi.new("rr_fixture *")
        err = ffi.new("rr_error *")
        assert lib.rr_fixture_read(str(path).encode(), fx, err) == 0, ffi.string(err.message)
        try:
            if want is None:
                assert (fx.vocabulary, fx.vocabulary_size) == (ffi.NULL, 0)
            else:
                got = tuple(ffi.string(fx.vocabulary[k]).decode("utf-8") for k in range(fx.vocabulary_size))
                assert got == want
        finally:
            lib.rr_fixture_free(fx)
        assert (fx.vocabulary, fx.vocabulary_size) == (ffi.NULL, 0)


# -- generation -------------------------------------------------------------------------------------


def test_greedy_text_is_pytorchs_argmax_path(model: TorchCharModel, char_path: Path) -> None:
    want = oracle_text(model, VOCABULARY, PRIME, LENGTH, 0.0, 0)
    assert len(set(want.decode()[len(PRIME) :])) > 3, "a greedy path that repeats one character proves little"
    for seed in (0, 7):
        assert generate(char_path, PRIME, LENGTH, "0", seed) == want


@pytest.mark.parametrize("seed", [0, 7, 2**64 - 1])
@pytest.mark.parametrize("temperature", ["0.5", "1.0", "2.5"])
def test_sampled_text_is_the_spec_on_pytorchs_logits(
    model: TorchCharModel, char_path: Path, seed: int, temperature: str
) -> None:
    want = oracle_text(model, VOCABULARY, PRIME, LENGTH, float(temperature), seed)
    assert generate(char_path, PRIME, LENGTH, temperature, seed) == want


def test_an_identity_last_layer_gives_the_same_text(model: TorchCharModel, char_path: Path, tmp_path: Path) -> None:
    identity = write_char_fixture(tmp_path / "identity.json", model.chain("identity"), VOCABULARY)
    for temperature in ("0", "0.7"):
        assert generate(identity, PRIME, LENGTH, temperature, 3) == generate(char_path, PRIME, LENGTH, temperature, 3)


def test_splitmix64_reference_values_reach_the_text(tmp_path: Path) -> None:
    """Zero logits over 64 characters: w_i = 1, total = 64, so each draw is floor(u * 64) = next() >> 58."""
    vocabulary = tuple(chr(0x30 + i) for i in range(64))
    flat = TorchCharModel(zero_logits=True, vocab=64)
    path = write_char_fixture(tmp_path / "flat.json", flat.chain(), vocabulary)
    reference = (6457827717110365317, 3203168211198807973, 9817491932198370423)  # docs/generation.md
    text = generate(path, "0", 3, "1", 1234567).decode()
    assert text == "0" + "".join(vocabulary[r >> 58] for r in reference) + "\n"
    rng = SplitMix64(2**64 - 1)
    assert generate(path, "0", 200, "0.3", 2**64 - 1).decode()[1:-1] == "".join(
        vocabulary[rng.next() >> 58] for _ in range(200)
    )


def test_length_zero_and_float32(char_path: Path) -> None:
    assert generate(char_path, PRIME, 0, "0.5", 1) == (PRIME + "\n").encode()
    text = generate(char_path, PRIME, LENGTH, "0.5", 1, "--dtype", "float32").decode()
    assert text.startswith(PRIME) and text.endswith("\n") and len(text) == len(PRIME) + LENGTH + 1
    assert set(text[len(PRIME) : -1]) <= set(VOCABULARY)


# -- the seed table ---------------------------------------------------------------------------------


def test_seed_table_rows_are_pytorchs(model: TorchCharModel, char_path: Path) -> None:
    done = demo("--seed-table", char_path)
    assert (done.returncode, done.stderr) == (0, b"")
    lines = done.stdout.decode().splitlines()
    assert lines[:2] == [
        f"seed table: char (case prime, batch element 0, {len(CASE_TOKENS)} steps)",
        "step | input | |h|    | class (p)",  # the top layer is a GRU: no |c| column
    ]
    step = model.stepper()
    for t, token in enumerate(CASE_TOKENS):
        z, out = step(token)
        p = torch.softmax(torch.from_numpy(z), 0).numpy()
        k = int(np.argmax(p))
        assert lines[2 + t] == "%4d | %5d | %.4f | %2d (%.2f)" % (t, token, math.sqrt(float(out @ out)), k, p[k])


def test_seed_table_refusals() -> None:
    fixtures = paths.fixtures_dir()
    for name, problem in [
        ("lstm_small", "version: the seed table needs a version-2 fixture (a chain)"),
        ("gru_bidirectional_merges", "model.layers[0].direction: the seed table streams one step at a time"),
    ]:
        done = demo("--seed-table", fixtures / f"{name}.json")
        lines = done.stderr.decode().splitlines()
        assert (done.returncode, done.stdout, len(lines)) == (2, b"", 1), done.stderr
        assert lines[0].startswith(f"rr_demo: {fixtures / name}.json: {problem}"), lines[0]


# -- refusals ---------------------------------------------------------------------------------------

BAD_ARGUMENTS = [
    ([], "missing FIXTURE"),
    (["--generate", "F"], "--generate needs --prime TEXT"),
    (["--prime", "To", "F"], "--prime needs --generate"),
    (["--seed", "1", "F"], "--seed needs --generate"),
    (["--seed-table", "--generate", "--prime", "T", "F"], "--seed-table and --generate exclude each other"),
    (["--generate", "--prime", "", "F"], "--prime must not be empty"),
    (["--generate", "--prime", "T", "--length", "-1", "F"], "--length must be an integer in 0 .. 1000000, got '-1'"),
    (["--generate", "--prime", "T", "--length", "1000001", "F"], "--length must be an integer in 0 .. 1000000"),
    (["--generate", "--prime", "T", "--length", "12x", "F"], "--length must be an integer"),
    (["--generate", "--prime", "T", "--length", " 5", "F"], "--length must be an integer"),
    (["--generate", "--prime", "T", "--seed", "-1", "F"], "--seed must be an integer in 0 .. 18446744073709551615"),
    (["--generate", "--prime", "T", "--seed", "18446744073709551616", "F"], "--seed must be an integer"),
    (["--generate", "--prime", "T", "--seed", "0x10", "F"], "--seed must be an integer"),
    (["--generate", "--prime", "T", "--temperature", "-0.5", "F"], "--temperature must be a finite number >= 0"),
    (["--generate", "--prime", "T", "--temperature", "nan", "F"], "--temperature must be a finite number >= 0"),
    (["--generate", "--prime", "T", "--temperature", "inf", "F"], "--temperature must be a finite number >= 0"),
    (["--generate", "--prime", "T", "--temperature", "1e400", "F"], "--temperature must be a finite number >= 0"),
    (["--generate", "--prime", "T", "--temperature", "0x1p-1", "F"], "--temperature must be a finite number >= 0"),
    (["--generate", "--prime", "T", "--temperature", "0.5x", "F"], "--temperature must be a finite number >= 0"),
    (["--dtype", "float16", "F"], "--dtype must be float32 or float64, got 'float16'"),
    (["--seed", "1", "--seed", "2", "--generate", "--prime", "T", "F"], "--seed is given twice"),
    (["--generate", "--prime"], "--prime needs a value"),
    (["--bogus", "F"], "unknown option '--bogus'"),
    (["F", "G"], "expected one FIXTURE, got 2"),
]


GENERATE_WORDS = {"--generate", "--prime", "--length", "--temperature", "--seed"}


@pytest.mark.parametrize(("args", "problem"), BAD_ARGUMENTS, ids=[p for _, p in BAD_ARGUMENTS])
def test_a_bad_argument_exits_2_with_one_line(args: list[str], problem: str) -> None:
    """docs/generation.md: with --generate (or one of its options) one line; the table's: the line and the usage."""
    done = demo(*args)
    lines = done.stderr.decode().splitlines()
    assert (done.returncode, done.stdout) == (2, b""), done.stderr
    assert lines[0] == f"rr_demo: {problem}" or lines[0].startswith(f"rr_demo: {problem}"), lines[0]
    if GENERATE_WORDS & set(args):
        assert len(lines) == 1, lines
    else:
        assert lines[1].startswith("usage: rr_demo") and all(not line.startswith("rr_demo") for line in lines[1:])


def test_an_invalid_utf8_prime_is_refused() -> None:
    done = subprocess.run([str(paths.c_demo()), "--generate", "--prime", b"T\xff", "F"], capture_output=True)
    assert done.returncode == 2 and done.stderr.startswith(b"rr_demo: --prime is not valid UTF-8\n")


def test_help_prints_the_usage() -> None:
    done = demo("--help")
    assert (done.returncode, done.stderr) == (0, b"")
    assert b"--generate --prime TEXT" in done.stdout and b"--seed-table" in done.stdout


def _one_line_refusal(done: subprocess.CompletedProcess[bytes], status: int, path: Path, problem: str) -> None:
    lines = done.stderr.decode().splitlines()
    assert (done.returncode, done.stdout, len(lines)) == (status, b"", 1), done.stderr
    assert lines[0].startswith(f"rr_demo: {path}: {problem}"), lines[0]


#: docs/generation.md's number grammar: refused (exit 2, one line naming the option and the text) ...
REFUSED_NUMBERS = [
    ("--temperature", "+1"), ("--temperature", "-0"), ("--temperature", "."), ("--temperature", "1e"),
    ("--temperature", "1e+"), ("--temperature", "e5"), ("--temperature", " 1"), ("--temperature", "1 "),
    ("--temperature", "Infinity"), ("--temperature", "NaN"), ("--temperature", "1.5.2"), ("--temperature", "0x1"),
    ("--length", "+5"), ("--length", "5 "), ("--length", "1e2"), ("--length", "0x5"), ("--length", "5.0"),
    ("--seed", "1" + "0" * 30), ("--seed", "18446744073709551616"), ("--seed", "-0"),
]  # fmt: skip
#: ... and accepted, with the value they stand for.
ACCEPTED_NUMBERS = [("--temperature", ".5"), ("--temperature", "2."), ("--temperature", "1e-3"),
                    ("--temperature", "5e+0"), ("--temperature", "00.25"), ("--seed", "0" * 40 + "7"),
                    ("--seed", "18446744073709551615"), ("--length", "0000012")]  # fmt: skip


@pytest.mark.parametrize(("option", "text"), REFUSED_NUMBERS, ids=[f"{o}={t!r}" for o, t in REFUSED_NUMBERS])
def test_a_number_outside_the_grammar_is_refused(option: str, text: str) -> None:
    done = demo("--generate", "--prime", "T", option, text, "F")
    line = done.stderr.decode().splitlines()[0]
    assert (done.returncode, done.stdout) == (2, b""), done.stderr
    assert line.startswith(f"rr_demo: {option} ") and f"'{text}'" in line, line


@pytest.mark.parametrize(("option", "text"), ACCEPTED_NUMBERS, ids=[f"{o}={t!r}" for o, t in ACCEPTED_NUMBERS])
def test_a_number_in_the_grammar_is_read_as_its_value(char_path: Path, option: str, text: str) -> None:
    # the oracle: Python's reading of the same digits
    canonical = repr(float(text)) if option == "--temperature" else str(int(text))
    defaults = {"--length": "12", "--temperature": "0.5", "--seed": "3"}
    given = {**defaults, option: text}
    same = {**defaults, option: canonical}
    run = [demo("--generate", "--prime", "To", *(a for k, v in args.items() for a in (k, v)), char_path)
           for args in (given, same)]  # fmt: skip
    assert (run[0].returncode, run[0].stderr) == (0, b""), run[0].stderr
    assert run[0].stdout == run[1].stdout


@pytest.mark.parametrize(
    ("prime", "problem"),
    [
        ("Tq", "--prime: character 1 (U+0071) is not in the vocabulary"),
        ("To\u00a0", "--prime: character 2 (U+00A0) is not in the vocabulary"),
        ("🙂", "--prime: character 0 (U+1F642) is not in the vocabulary"),
    ],
)
def test_a_prime_character_outside_the_vocabulary_exits_2(char_path: Path, prime: str, problem: str) -> None:
    _one_line_refusal(demo("--generate", "--prime", prime, char_path), 2, char_path, problem)


def test_a_model_that_cannot_generate_exits_1(model: TorchCharModel, tmp_path: Path) -> None:
    fixtures = paths.fixtures_dir()
    chain = model.chain()
    gru = chain.layers[1]
    reverse_gru = replace(gru, direction="reverse", layers=(Layer(reverse=gru.layers[0].forward),))
    dense = chain.dense[0]
    variants = {
        "plain": (chain, None),
        "reverse": (replace(chain, layers=(chain.layers[0], reverse_gru)), VOCABULARY),
        "last": (replace(chain, readout="last"), VOCABULARY),
        "no_dense": (replace(chain, dense=()), VOCABULARY),
        "short": (replace(chain, dense=(Dense(dense.weight[:15], dense.bias[:15], "softmax"),)), VOCABULARY),
        "tanh": (model.chain("tanh"), VOCABULARY),
    }
    written = {name: write_char_fixture(tmp_path / f"{name}.json", c, v) for name, (c, v) in variants.items()}
    cases = [
        (written["plain"], "the model has no vocabulary (a version-2 character model needs one"),
        (fixtures / "lstm_small.json", "the model has no vocabulary"),
        (fixtures / "seq_classifier.json", "the model has no vocabulary"),
        (written["reverse"], "layer 1 runs reverse; generation streams one token at a time, so every layer"),
        (written["last"], "the readout is 'last'; generation needs readout 'sequence'"),
        (written["no_dense"], "the model has no dense layer; generation needs a last dense layer of 16 outputs"),
        (written["short"], "the last dense layer has 15 outputs; generation needs 16 (the vocabulary's size)"),
        (written["tanh"], "the last dense layer's activation is tanh; generation needs softmax or identity"),
        (tmp_path / "missing.json", "cannot open the file"),
    ]
    for path, problem in cases:
        _one_line_refusal(demo("--generate", "--prime", "To", path), 1, path, problem)


def test_a_broken_vocabulary_exits_1_with_generate_and_2_without(model: TorchCharModel, tmp_path: Path) -> None:
    text = write_char_fixture(tmp_path / "dup.json", model.chain(), VOCABULARY).read_text("utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text(text.replace('"!"', '"T"'), "utf-8")  # entry 14 repeats entry 0
    problem = "vocabulary[14]: duplicate of vocabulary[0]"
    _one_line_refusal(demo("--generate", "--prime", "To", broken), 1, broken, problem)
    _one_line_refusal(demo(broken), 2, broken, problem)


def test_the_first_bad_or_duplicate_vocabulary_entry_is_reported_as_python_does(
    model: TorchCharModel, tmp_path: Path
) -> None:
    document = json.loads(write_char_fixture(tmp_path / "v.json", model.chain(), VOCABULARY).read_text("utf-8"))
    orders = {
        "dup_first": [VOCABULARY[0], "o", "o", *VOCABULARY[3:5], "ab", *VOCABULARY[6:]],  # [2] dup wins over [5]
        "bad_first": [VOCABULARY[0], "ab", "o", "o", *VOCABULARY[4:]],  # [1] "ab" wins over [3] dup
        "empty_first": [VOCABULARY[0], "", *VOCABULARY[2:14], "T", VOCABULARY[15]],  # [1] "" wins over [14] dup
        "number_first": [VOCABULARY[0], 7, *VOCABULARY[2:14], "T", VOCABULARY[15]],  # [1] 7 wins
    }
    expected_paths = {"dup_first": "vocabulary[2]", "bad_first": "vocabulary[1]", "empty_first": "vocabulary[1]",
                      "number_first": "vocabulary[1]"}  # fmt: skip
    for name, vocabulary in orders.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({**document, "vocabulary": vocabulary}), "utf-8")
        with pytest.raises(FixtureError) as caught:
            load_fixture(path)
        python_line = str(caught.value)
        assert python_line.startswith(f"{path}: {expected_paths[name]}"), python_line
        done = demo(path)
        assert (done.returncode, done.stderr.decode()) == (2, f"rr_demo: {python_line}\n")


# -- valgrind ---------------------------------------------------------------------------------------


def test_generate_and_seed_table_are_valgrind_clean(char_path: Path) -> None:
    if shutil.which("valgrind") is None:
        skip_or_fail("valgrind is not installed (apt-get install valgrind)")
    valgrind = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full", "--show-leak-kinds=all",
                "--errors-for-leak-kinds=all", str(paths.c_demo())]  # fmt: skip
    runs = [
        ["--generate", "--prime", PRIME, "--length", "30", "--temperature", "0.7", "--seed", "9", str(char_path)],
        ["--generate", "--prime", PRIME, "--length", "30", "--temperature", "0", "--dtype", "float32", str(char_path)],
        ["--generate", "--prime", "Tq", str(char_path)],
        ["--seed-table", str(char_path)],
        ["--seed-table", "--dtype", "float32", str(char_path)],
    ]
    for args in runs:
        done = subprocess.run([*valgrind, *args], capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode in (0, 2) and "==" not in done.stderr, (args, done.stderr[-2000:])

"""Java generation (docs/generation.md): SplitMix64, Sampler, TextGenerator, the vocabulary, the demo's
``--generate`` and ``--seed-table``.

Oracles: SplitMix64 and the sampling rule written out in this file from the spec's equations (and the
spec's reference values); logits, greedy paths and the seed table's numbers from PyTorch float64
(nn.LSTM / nn.GRU / a linear layer) run step by step here; the sampler's distribution against
softmax(z / T) computed here. The Java code is reached through JPype and as the demo process.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnn_rosetta import paths
from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.fixture_writer import fixture_document
from rnn_rosetta.model import DirectionWeights, Layer, Model
from tests.conftest import import_torch_or_skip_module, require_backend
from tests.test_java_api import IAE, refuses

MASK = 2**64 - 1
VOCABULARY = ("a", "b", "c", " ", ".", "é", "中", "x", "y", "z", "\n", "Q")  # V = 12
GENERATION_ERROR = "rnnrosetta.generation.GenerationError"
FIXTURE_ERROR = "rnnrosetta.fixture.FixtureError"
ONE_CHARACTER = "expected exactly one character (one Unicode code point)"


@pytest.fixture(scope="module")
def java() -> Any:
    """The ``rnnrosetta`` Java package (the JVM is started once per process)."""
    require_backend("java")
    from rnn_rosetta.backends.java_backend import start_jvm

    return start_jvm()


# -- the oracles: the spec's equations, written out here ------------------------------------------


class SpecSplitMix64:
    """docs/generation.md: s += 0x9E37...; z = (z ^ z >> 30) * 0xBF58...; z = (z ^ z >> 27) * 0x94D0...; z ^ z >> 31."""

    def __init__(self, seed: int) -> None:
        self.state = seed

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def next_double(self) -> float:
        return (self.next() >> 11) * 2.0**-53


def spec_sample(z: list[float], temperature: float, rng: SpecSplitMix64) -> int:
    """The sampling rule, step by step as docs/generation.md states it."""
    best = 0
    for i in range(1, len(z)):
        if z[i] > z[best]:
            best = i
    if temperature == 0:
        return best
    m = z[best]
    w = [math.exp((zi - m) / temperature) for zi in z]
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


def _java_rng(java: Any, seed: int) -> Any:
    return java.generation.SplitMix64.fromDecimal(str(seed))


def _logits(values: list[float]) -> Any:
    import jpype

    return jpype.JArray(jpype.JDouble)(values)


# -- SplitMix64 ------------------------------------------------------------------------------------


def test_splitmix64_reference_values(java: Any) -> None:
    rng = java.generation.SplitMix64(1234567)
    got = [int(rng.next()) & MASK for _ in range(3)]
    assert got == [6457827717110365317, 3203168211198807973, 9817491932198370423]


@pytest.mark.parametrize("seed", [0, 7, 2**63 - 1, 2**63, MASK])
def test_splitmix64_follows_the_equations(java: Any, seed: int) -> None:
    rng, oracle = _java_rng(java, seed), SpecSplitMix64(seed)
    assert [int(rng.next()) & MASK for _ in range(500)] == [oracle.next() for _ in range(500)]
    doubles = [float(rng.nextDouble()) for _ in range(500)]
    assert doubles == [oracle.next_double() for _ in range(500)]
    assert all(0.0 <= d < 1.0 for d in doubles)


@pytest.mark.parametrize("text", ["", "-1", "+1", " 1", "1.0", "0x10", "18446744073709551616", "99999999999999999999"])
def test_splitmix64_refuses_bad_seed_text(java: Any, text: str) -> None:
    refuses(lambda: java.generation.SplitMix64.fromDecimal(text), IAE, "seed")


# -- Sampler ---------------------------------------------------------------------------------------


def test_greedy_takes_the_first_largest_and_draws_nothing(java: Any) -> None:
    sample = java.generation.Sampler.sampleToken
    rng = _java_rng(java, 5)
    assert sample(_logits([1.0, 3.0, 3.0, 2.0]), 0.0, rng) == 1
    assert sample(_logits([-2.0, -2.0, -2.0]), 0.0, rng) == 0
    assert sample(_logits([0.5]), 0.0, None) == 0
    assert int(rng.next()) & MASK == SpecSplitMix64(5).next()  # temperature 0 made no draw


@pytest.mark.parametrize("temperature", [0.0, 0.7])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_a_logit_that_is_not_finite_is_refused_as_a_model_problem(java: Any, bad: float, temperature: float) -> None:
    """As C and Python: one GenerationError naming the index, at every temperature (no fallback, no guess)."""
    rng = _java_rng(java, 3)
    with pytest.raises(Exception) as caught:
        java.generation.Sampler.sampleToken(_logits([0.0, bad, 1.0]), temperature, rng)
    assert "GenerationError" in type(caught.value).__name__ or "GenerationError" in str(type(caught.value))
    text = {"nan": "nan", "inf": "inf", "-inf": "-inf"}[repr(bad)]
    assert str(caught.value.getMessage()) == f"logits[1] is {text}: the model gives no distribution to sample from"
    assert int(rng.next()) & MASK == SpecSplitMix64(3).next()  # refused before any draw


def test_sampling_hand_computed_cases(java: Any) -> None:
    sample = java.generation.Sampler.sampleToken
    # z = [0, ln 3] at T = 1: w = [1/3, 1], total 4/3; token 0 exactly when u * 4/3 < 1/3, i.e. u < 1/4
    seeds = range(40)
    for seed in seeds:
        u = SpecSplitMix64(seed).next_double()
        expected = 0 if u * (4.0 / 3.0) < 1.0 / 3.0 else 1
        assert sample(_logits([0.0, math.log(3.0)]), 1.0, _java_rng(java, seed)) == expected, seed
    # exp(-1000) underflows to 0: only the middle token has weight
    for seed in seeds:
        assert sample(_logits([-1000.0, 0.0, -1000.0]), 1.0, _java_rng(java, seed)) == 1
    # one draw per call: the next value is the generator's second
    rng = _java_rng(java, 9)
    sample(_logits([0.1, 0.2, 0.3]), 2.0, rng)
    oracle = SpecSplitMix64(9)
    oracle.next()
    assert int(rng.next()) & MASK == oracle.next()


def test_sampling_follows_the_rule(java: Any) -> None:
    sample = java.generation.Sampler.sampleToken
    rand = np.random.default_rng(1)
    rng, oracle = _java_rng(java, 77), SpecSplitMix64(77)
    for _ in range(300):
        z = rand.normal(0, 3, int(rand.integers(1, 40))).tolist()
        temperature = float(rand.choice([0.0, 0.05, 0.5, 1.0, 3.0]))
        assert sample(_logits(z), temperature, rng) == spec_sample(z, temperature, oracle)


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.5])
def test_sampling_reproduces_softmax_of_z_over_t(java: Any, temperature: float) -> None:
    z = np.array([0.3, -1.2, 2.0, 0.0, 1.1, -0.4])
    p = np.exp(z / temperature - np.max(z / temperature))
    p /= p.sum()
    n = 10_000
    draws = java.generation.Sampler.sampleToken
    rng, logits = _java_rng(java, 2024), _logits(z.tolist())
    counts = np.bincount([int(draws(logits, temperature, rng)) for _ in range(n)], minlength=len(z))
    sigma = np.sqrt(n * p * (1 - p))
    assert np.all(np.abs(counts - n * p) < 4 * sigma), (counts, n * p)


@pytest.mark.parametrize("temperature", [-0.5, -1e-300, float("nan"), float("inf"), float("-inf")])
def test_sampling_refuses_bad_temperatures(java: Any, temperature: float) -> None:
    refuses(lambda: java.generation.Sampler.sampleToken(_logits([1.0, 2.0]), temperature, _java_rng(java, 1)),
            IAE, "temperature")  # fmt: skip


def test_sampling_refuses_empty_logits(java: Any) -> None:
    refuses(lambda: java.generation.Sampler.sampleToken(_logits([]), 1.0, _java_rng(java, 1)), IAE, "logit")


# -- a character model built here, and PyTorch float64 on it --------------------------------------


def _weights(rand: np.random.Generator, gates: int, hidden: int, inputs: int) -> DirectionWeights:
    """Strong input weights, so that the greedy path depends on the token and does not settle on one."""
    g = gates * hidden
    return DirectionWeights(
        rand.uniform(-2.0, 2.0, (g, inputs)), rand.uniform(-0.6, 0.6, (g, hidden)),
        rand.uniform(-0.3, 0.3, g), rand.uniform(-0.3, 0.3, g),
    )  # fmt: skip


def _layer(rand: np.random.Generator, cell: str, inputs: int, hidden: int, direction: str = "forward") -> Model:
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    names = ("forward", "reverse") if direction == "bidirectional" else (direction,)
    layer = Layer(**{name: _weights(rand, gates, hidden, inputs) for name in names})
    return Model(cell, inputs, hidden, 1, direction, (layer,))


def char_chain(
    seed: int = 1, cells: tuple[str, ...] = ("lstm", "gru"), sizes: tuple[int, ...] = (8, 7), outputs: int = 12,
    activation: str = "softmax", readout: str = "sequence", direction: str = "forward",
) -> Chain:  # fmt: skip
    """embedding [12, 5] -> cells[0] sizes[0] -> cells[1] sizes[1] -> dense [outputs] activation."""
    rand = np.random.default_rng(seed)
    layers, width = [], 5
    for k, (cell, size) in enumerate(zip(cells, sizes, strict=True)):
        layers.append(_layer(rand, cell, width, size, direction if k == 0 else "forward"))
        width = size * (2 if k == 0 and direction == "bidirectional" else 1)
    dense = Dense(rand.uniform(-1.5, 1.5, (outputs, width)), rand.uniform(-0.5, 0.5, outputs), activation)
    return Chain(tuple(layers), embedding=Embedding(rand.uniform(-1, 1, (12, 5))), dense=(dense,), readout=readout)


def write_fixture(
    path: Path, chain: Chain, vocabulary: tuple[str, ...] | None = VOCABULARY, cases: list[Any] | None = None,
) -> Path:  # fmt: skip
    document = fixture_document(
        "generation_test", "a character model for tests/test_java_generation.py", chain, [],
        {"rtol": 1e-12, "atol": 1e-13}, {"generator": "tests/test_java_generation.py", "oracle": "none (no cases)"},
        vocabulary=vocabulary,
    )  # fmt: skip
    if cases:
        document["cases"] = cases
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


class TorchChain:
    """PyTorch float64, one token at a time: embedding -> nn.LSTM / nn.GRU layers -> x @ W.T + b (the logits)."""

    def __init__(self, torch: Any, chain: Chain) -> None:
        self.torch = torch
        self.chain = chain
        self.modules = []
        for layer in chain.layers:
            kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[layer.cell]
            module = kind(layer.input_size, layer.hidden_size, dtype=torch.float64)
            weights = layer.layers[0].forward
            assert weights is not None
            with torch.no_grad():
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(module, f"{name}_l0").copy_(torch.from_numpy(getattr(weights, name)))
            self.modules.append(module)
        assert chain.embedding is not None
        self.table = torch.from_numpy(chain.embedding.weight)
        self.weight = torch.from_numpy(chain.dense[-1].weight)
        self.bias = torch.from_numpy(chain.dense[-1].bias)

    def zeros(self) -> list[Any]:
        zero = [self.torch.zeros(1, 1, layer.hidden_size, dtype=self.torch.float64) for layer in self.chain.layers]
        return [(z, z.clone()) if layer.cell == "lstm" else z for z, layer in zip(zero, self.chain.layers, strict=True)]

    def step(self, token: int, state: list[Any]) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        """Logits [V], the top layer's output [H] and the next state."""
        with self.torch.no_grad():
            x = self.table[token].reshape(1, 1, -1)
            new_state = []
            for module, s in zip(self.modules, state, strict=True):
                x, s = module(x, s)
                new_state.append(s)
            top = x.reshape(-1)
            return (self.weight @ top + self.bias).numpy(), top.numpy(), new_state


def torch_text(torch: Any, chain: Chain, prime: str, length: int, temperature: float, seed: int) -> str:
    """docs/generation.md's procedure on PyTorch float64 logits, with the spec's sampler written out here."""
    model, state, rng = TorchChain(torch, chain), None, SpecSplitMix64(seed)
    state = model.zeros()
    z = None
    for ch in prime:
        z, _, state = model.step(VOCABULARY.index(ch), state)
    out = prime
    for _ in range(length):
        assert z is not None
        k = spec_sample(z.tolist(), temperature, rng)
        out += VOCABULARY[k]
        z, _, state = model.step(k, state)
    return out


@pytest.fixture(scope="module")
def torch() -> Any:
    return import_torch_or_skip_module()


@pytest.fixture(scope="module")
def char_fixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Chain]:
    chain = char_chain()
    return write_fixture(tmp_path_factory.mktemp("gen") / "char.json", chain), chain


def _read(java: Any, path: Path) -> Any:
    return java.fixture.FixtureReader.readAny(str(path))


def test_greedy_generation_is_the_pytorch_argmax_path(java: Any, torch: Any, char_fixture: tuple[Path, Chain]) -> None:
    path, chain = char_fixture
    expected = torch_text(torch, chain, "ab中", 60, 0.0, 0)
    assert len(set(expected[3:])) > 2, expected  # the greedy path is not stuck on one character
    fixture = _read(java, path)
    for float32 in (False, True):
        generator = java.generation.TextGenerator.of(fixture, float32)
        assert str(generator.generate("ab中", 60, 0.0, _java_rng(java, 0))) == expected, float32


@pytest.mark.parametrize(("temperature", "seed"), [(0.5, 7), (1.0, 0), (1.0, MASK), (2.0, 123)])
def test_sampled_generation_is_the_pytorch_text(
    java: Any, torch: Any, char_fixture: tuple[Path, Chain], temperature: float, seed: int,
) -> None:  # fmt: skip
    path, chain = char_fixture
    generator = java.generation.TextGenerator.of(_read(java, path), False)
    got = str(generator.generate("c.é", 80, temperature, _java_rng(java, seed)))
    assert got == torch_text(torch, chain, "c.é", 80, temperature, seed)


def test_generation_refuses_bad_primes_and_arguments(java: Any, char_fixture: tuple[Path, Chain]) -> None:
    generator = java.generation.TextGenerator.of(_read(java, char_fixture[0]), False)
    rng = _java_rng(java, 1)
    message = refuses(lambda: generator.generate("abd", 5, 1.0, rng), IAE)
    assert message == "--prime: character 2 (U+0064) is not in the vocabulary"
    message = refuses(lambda: generator.generate("中\U0001f600", 5, 1.0, rng), IAE)  # code points, not UTF-16 units
    assert message == "--prime: character 1 (U+1F600) is not in the vocabulary"
    refuses(lambda: generator.generate("", 5, 1.0, rng), IAE, "prime")
    refuses(lambda: generator.generate("a", -1, 1.0, rng), IAE, "length")
    refuses(lambda: generator.generate("a", 1_000_001, 1.0, rng), IAE, "length")
    refuses(lambda: generator.generate("a", 5, float("nan"), rng), IAE, "temperature")
    assert str(generator.generate("ab", 0, 1.0, rng)) == "ab"


STREAM = "streams one token at a time, so every layer must run forward"
SIZE = "the last dense layer has 11 outputs; {P} needs 12 (the vocabulary's size)"
CANNOT = [  # fix_common.md's wording, checked in this order (the first failure wins); {P}: generation | training
    ("reverse layer", char_chain(direction="reverse"), "layer 0 runs reverse; {P} " + STREAM),
    ("bidirectional layer", char_chain(direction="bidirectional"), "layer 0 runs bidirectional; {P} " + STREAM),
    ("last readout", char_chain(readout="last"),
     "the readout is 'last'; {P} needs readout 'sequence' (logits at every step)"),
    ("reverse before last", char_chain(direction="reverse", readout="last"), "layer 0 runs reverse; {P} " + STREAM),
    ("wrong last size", char_chain(outputs=11), SIZE),
    ("tanh activation", char_chain(activation="tanh"),
     "the last dense layer's activation is tanh; {P} needs softmax or identity"),
    ("size before activation", char_chain(outputs=11, activation="tanh"), SIZE),
]  # fmt: skip


@pytest.mark.parametrize(("label", "chain", "message"), CANNOT)
def test_models_that_cannot_generate_are_refused(
    java: Any, tmp_path: Path, label: str, chain: Chain, message: str,
) -> None:  # fmt: skip
    fixture = _read(java, write_fixture(tmp_path / "m.json", chain))
    got = refuses(lambda: java.generation.TextGenerator.of(fixture, False), GENERATION_ERROR)
    assert got == message.format(P="generation")


def test_a_model_without_dense_layer_is_refused(java: Any) -> None:
    """No dense layer (a reader never gives one with a vocabulary of V != hidden, so the spec is built here)."""
    from rnn_rosetta.backends.java_backend import java_chain_spec

    chain = char_chain()
    bare = Chain(chain.layers, embedding=chain.embedding, dense=(), readout="sequence")
    spec = java_chain_spec(java, bare)
    vocabulary = __import__("jpype").JClass("java.util.List").of(*VOCABULARY)
    kernel = java.Kernel.AUTO
    got = refuses(lambda: java.generation.TextGenerator(spec, vocabulary, False, kernel), GENERATION_ERROR)
    assert got == "the model has no dense layer; generation needs a last dense layer of 12 outputs (the vocabulary)"


def test_identity_last_layer_generates_as_softmax(java: Any, tmp_path: Path) -> None:
    """An identity last layer gives its logits directly: the same text as the softmax model's."""
    texts = []
    for activation in ("softmax", "identity"):
        fixture = _read(java, write_fixture(tmp_path / f"{activation}.json", char_chain(activation=activation)))
        generator = java.generation.TextGenerator.of(fixture, False)
        texts.append(str(generator.generate("abc", 50, 0.8, _java_rng(java, 11))))
    assert texts[0] == texts[1]


# -- the vocabulary in the reader ------------------------------------------------------------------


def test_reader_keeps_the_vocabulary(java: Any, char_fixture: tuple[Path, Chain], tmp_path: Path) -> None:
    assert [str(s) for s in _read(java, char_fixture[0]).vocabulary()] == list(VOCABULARY)
    assert _read(java, write_fixture(tmp_path / "none.json", char_chain(), vocabulary=None)).vocabulary() is None
    document = json.loads(char_fixture[0].read_text(encoding="utf-8"))
    document["vocabulary"] = None
    (tmp_path / "null.json").write_text(json.dumps(document), encoding="utf-8")
    assert _read(java, tmp_path / "null.json").vocabulary() is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda v: v[:11], "vocabulary: expected 12 entries (the embedding's rows), got 11"),
        (lambda v: "abc", "vocabulary: expected 12 entries (the embedding's rows), got the string 'abc'"),
        (lambda v: [*v[:3], "", *v[4:]], f"vocabulary[3]: {ONE_CHARACTER}, got ''"),
        (lambda v: [*v[:3], "ab", *v[4:]], f"vocabulary[3]: {ONE_CHARACTER}, got 'ab'"),
        (lambda v: [*v[:3], "\U0001f600", *v[4:]], None),  # one code point, two UTF-16 units: accepted
        (lambda v: [*v[:3], 3, *v[4:]], "vocabulary[3]: expected a string, got the number 3"),
        (lambda v: [*v[:9], "é", *v[10:]], "vocabulary[9]: duplicate of vocabulary[5]"),
    ],
)  # fmt: skip
def test_reader_checks_the_vocabulary(java: Any, tmp_path: Path, change: Any, message: str | None) -> None:
    document = json.loads(write_fixture(tmp_path / "f.json", char_chain()).read_text(encoding="utf-8"))
    document["vocabulary"] = change(list(VOCABULARY))
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    if message is None:
        assert len(_read(java, path).vocabulary()) == 12
    else:
        assert refuses(lambda: _read(java, path), FIXTURE_ERROR) == f"{path}: {message}"


def test_reader_refuses_a_vocabulary_without_embedding_or_in_version_1(java: Any, tmp_path: Path) -> None:
    document = json.loads(write_fixture(tmp_path / "f.json", char_chain(), vocabulary=None).read_text("utf-8"))
    del document["model"]["embedding"]
    document["model"]["input_size"] = 5
    document["vocabulary"] = list(VOCABULARY[:4])
    path = tmp_path / "no_embedding.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    message = refuses(lambda: _read(java, path), FIXTURE_ERROR)
    assert message == f"{path}: vocabulary: a vocabulary needs model.embedding"
    v1 = json.loads((paths.fixtures_dir() / "lstm_small.json").read_text(encoding="utf-8"))
    v1["vocabulary"] = ["a"]
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(v1), encoding="utf-8")
    assert "vocabulary: unknown key" in refuses(lambda: _read(java, path), FIXTURE_ERROR)


# -- the demo process ------------------------------------------------------------------------------


def demo(*args: str) -> subprocess.CompletedProcess[bytes]:
    classpath = f"{paths.java_jar()}:{paths.gson_jar()}"
    command = ["java", "-cp", classpath, "rnnrosetta.demo.Demo", *args]
    env = {"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, capture_output=True, timeout=60, check=False, env=env)


def test_demo_prints_the_text_in_utf8(java: Any, torch: Any, char_fixture: tuple[Path, Chain]) -> None:
    path, chain = char_fixture
    done = demo("--generate", "--prime", "é a", "--length", "40", "--temperature", "0.5", "--seed", "7", str(path))
    assert done.returncode == 0 and done.stderr == b"", done.stderr
    assert done.stdout == (torch_text(torch, chain, "é a", 40, 0.5, 7) + "\n").encode("utf-8")
    # options after the fixture and in the --name=value form, as getopt_long reads them
    again = demo(str(path), "--seed=7", "--temperature=0.5", "--length=40", "--prime=é a", "--generate")
    assert again.stdout == done.stdout


def _one_line(done: subprocess.CompletedProcess[bytes], status: int, *words: str) -> None:
    err = done.stderr.decode("utf-8")
    assert done.returncode == status, (done.returncode, err)
    assert done.stdout == b"" and len(err.splitlines()) == 1 and err.startswith("rr_demo: "), err
    for word in words:
        assert word in err, (word, err)


def test_demo_refuses_bad_arguments_with_exit_2(char_fixture: tuple[Path, Chain]) -> None:
    require_backend("java")
    f = str(char_fixture[0])
    cases = [
        (["--generate", f], "--prime"),
        (["--generate", "--prime", "", f], "--prime"),
        (["--generate", "--prime", "a", "--length", "1000001", f], "--length"),
        (["--generate", "--prime", "a", "--length", "1.5", f], "--length"),
        (["--generate", "--prime", "a", "--temperature", "-1", f], "--temperature"),
        (["--generate", "--prime", "a", "--temperature", "inf", f], "--temperature"),
        (["--generate", "--prime", "a", "--seed", "18446744073709551616", f], "--seed"),
        (["--generate", "--prime", "a", "--seed", "-3", f], "--seed"),
        (["--generate", "--seed-table", "--prime", "a", f], "--seed-table"),
        (["--prime", "a", f], "--generate"),
        (["--generate", "--prime", "a", "--bogus", f], "--bogus"),
        (["--generate", "--prime", "aQd", f], f"rr_demo: {f}: --prime: character 2 (U+0064) is not in the vocabulary"),
        (["--generate", "--prime", "a\U0001f600", f], "--prime: character 1 (U+1F600) is not in the vocabulary"),
        (["--generate", "--prime", "a", "--seed", "1", "--seed", "2", f], "--seed is given twice"),
    ]
    for args, word in cases:
        _one_line(demo(*args), 2, word)


NO_VOCABULARY = "the model has no vocabulary (a version-2 character model needs one: docs/fixture-format.md#vocabulary)"


def test_demo_refuses_models_that_cannot_generate_with_exit_1(tmp_path: Path) -> None:
    require_backend("java")

    def line(path: str | Path, text: str) -> str:
        return f"rr_demo: {path}: {text}\n"

    plain = write_fixture(tmp_path / "plain.json", char_chain(), vocabulary=None)
    _one_line(demo("--generate", "--prime", "a", str(plain)), 1, line(plain, NO_VOCABULARY))
    v1 = str(paths.fixtures_dir() / "lstm_small.json")
    _one_line(demo("--generate", "--prime", "a", v1), 1, line(v1, NO_VOCABULARY))
    _one_line(demo("--generate", "--prime", "a", str(tmp_path / "nope.json")), 1, "nope.json", "no such file")
    for label, chain, message in CANNOT:
        path = write_fixture(tmp_path / f"{label.replace(' ', '_')}.json", chain)
        _one_line(demo("--generate", "--prime", "a", str(path)), 1, line(path, message.format(P="generation")))


@pytest.mark.parametrize(
    ("option", "given", "canonical"),
    [
        ("--length", "0000000000000000000000000000000000040", "40"),
        ("--length", "1000000", None),
        ("--seed", "000000000000000000000000018446744073709551615", str(MASK)),
        ("--seed", "0", None),
        ("--temperature", ".5", "0.5"),
        ("--temperature", "5e-1", "0.5"),
        ("--temperature", "50E-2", "0.5"),
        ("--temperature", "1.", "1"),
        ("--temperature", "0e999999999999999999999", "0"),
    ],
)  # fmt: skip
def test_demo_reads_numbers_in_the_one_grammar(
    char_fixture: tuple[Path, Chain], option: str, given: str, canonical: str | None
) -> None:
    """Any count of leading zeros, '.5', '2.', exponents: the same bytes as the plain spelling."""
    require_backend("java")
    f = str(char_fixture[0])
    base = {"--length": "40", "--seed": "7", "--temperature": "0.8"}
    args = [*(x for name, value in base.items() if name != option for x in (name, value)), option]
    done = demo("--generate", "--prime", "ab", *args, given, f)
    assert done.returncode == 0 and done.stderr == b"", done.stderr
    if canonical is not None:
        assert done.stdout == demo("--generate", "--prime", "ab", *args, canonical, f).stdout


@pytest.mark.parametrize(
    ("option", "given"),
    [
        ("--length", "1000001"), ("--length", "0001000001"), ("--length", "99999999999999999999999999999999"),
        ("--length", "+5"), ("--length", " 5"), ("--length", "5 "), ("--length", "0x10"), ("--length", ""),
        ("--length", "\uff11\uff12"),  # full-width digits: not ASCII
        ("--seed", "18446744073709551616"), ("--seed", "000018446744073709551616"),
        ("--seed", "184467440737095516150"), ("--seed", "+1"), ("--seed", "-0"),
        ("--temperature", "-0"), ("--temperature", "+1"), ("--temperature", "-1"), ("--temperature", "nan"),
        ("--temperature", "inf"), ("--temperature", "1e999"), ("--temperature", "0x1p0"), ("--temperature", "."),
        ("--temperature", "e5"), ("--temperature", "1e"), ("--temperature", "1.5f"), ("--temperature", "1,5"),
    ],
)  # fmt: skip
def test_demo_refuses_numbers_outside_the_grammar(char_fixture: tuple[Path, Chain], option: str, given: str) -> None:
    require_backend("java")
    _one_line(demo("--generate", "--prime", "a", option, given, str(char_fixture[0])), 2, option, f"'{given}'")


# -- the seed table --------------------------------------------------------------------------------


def test_seed_table_matches_pytorch_step_by_step(java: Any, torch: Any, tmp_path: Path) -> None:
    """gru -> lstm (top) -> dense softmax, from given h0/c0 rows: |c|, |h|, class and p per step."""
    chain = char_chain(seed=5, cells=("gru", "lstm"), sizes=(6, 4), outputs=9)
    rand = np.random.default_rng(6)
    tokens = rand.integers(0, 12, (7, 2))
    h0 = [rand.uniform(-1, 1, (2, 6)), rand.uniform(-1, 1, (2, 4))]
    c0 = [rand.uniform(-1, 1, (2, 4))]
    model = TorchChain(torch, chain)
    t = torch.from_numpy
    lines = ["seed table: generation_test (case given_state, batch element 0, 7 steps)",
             "step | input | |c|    | |h|    | class (p)"]  # fmt: skip
    ys = np.zeros((7, 2, 9))  # [T, B, O]: the case's expected y, from PyTorch too
    for b in range(2):
        state = [t(h0[0][b : b + 1]).unsqueeze(0), (t(h0[1][b : b + 1]).unsqueeze(0), t(c0[0][b : b + 1]).unsqueeze(0))]
        for step in range(7):
            z, top, state = model.step(int(tokens[step, b]), state)
            ys[step, b] = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            if b == 0:
                p, cls = ys[step, 0], int(np.argmax(ys[step, 0]))
                c_norm = np.linalg.norm(state[1][1].numpy())
                h_norm = np.linalg.norm(top)
                row = f"{step:4d} | {tokens[step, 0]:5d} | {c_norm:.4f} | {h_norm:.4f}"
                lines.append(f"{row} | {cls:2d} ({p[cls]:.2f})")
    case = {
        "name": "given_state",
        "inputs": {"tokens": tokens.tolist(), "h0": [a.tolist() for a in h0], "c0": [a.tolist() for a in c0]},
        "expected": {"y": ys.tolist()},
    }
    path = write_fixture(tmp_path / "seed.json", chain, cases=[case])
    for dtype in ("float64", "float32"):
        done = demo("--seed-table", "--dtype", dtype, str(path))
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode() == "\n".join(lines) + "\n", dtype


def test_seed_table_refuses_what_cannot_stream(tmp_path: Path) -> None:
    """One line, exit 2, worded as the C and Python demos word it (JSON path first)."""
    require_backend("java")
    v1 = str(paths.fixtures_dir() / "lstm_softmax_head.json")
    reverse = str(write_fixture(tmp_path / "reverse.json", char_chain(direction="reverse"), cases=[]))
    empty = str(write_fixture(tmp_path / "empty.json", char_chain()))
    expected = {
        v1: f"rr_demo: {v1}: version: the seed table needs a version-2 fixture (a chain)",
        reverse: f"rr_demo: {reverse}: model.layers[0].direction: the seed table streams one step at a time; "
        "this layer runs reverse",
        empty: f"rr_demo: {empty}: cases: the seed table runs the first case; the fixture has none",
    }
    for path, line in expected.items():
        done = demo("--seed-table", path)
        assert (done.returncode, done.stdout, done.stderr.decode()) == (2, b"", line + "\n")

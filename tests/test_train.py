"""``rnn-rosetta train`` (numpy, C, Java), ``rr_demo --train`` and ``Demo --train`` follow docs/training.md.

1. The data pipeline against the spec's formulas, written out here with plain loops.
2. PyTorch float64 as the oracle: this file's own composition of the spec (nn.Embedding, nn.LSTM per
   layer, nn.Linear, F.cross_entropy, clip_grad_norm_, torch.optim.Adam / SGD) on the character model
   and its text; every step's loss in numpy, C and Java equal to torch's within relative 1e-9, the
   trained weights too, and the trained model written as a fixture loads and runs in every backend.
3. The command, the C demo and the Java demo print the same lines.
4. Refusals: one line on stderr, exit status 2 or 1 as the spec says.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.backward.weights import chain_weights
from rnn_rosetta.chain import Chain
from rnn_rosetta.generation import logits_chain
from rnn_rosetta.train_cli import main as train_main
from rnn_rosetta.training.batches import Streams, TextOutsideVocabulary, TextTooShort, encode_text
from rnn_rosetta.training.fixture_out import trained_document, write_trained_fixture
from rnn_rosetta.training.trainer import FlatState, NumpyTrainer, TrainSettings, training_losses
from tests.conftest import import_torch_or_skip_module, require_backend

torch = import_torch_or_skip_module()

FIXTURE = paths.fixtures_dir() / "char_shakespeare.json"
TEXT = paths.fixtures_dir() / "text" / "shakespeare.txt"
#: The oracle runs: Adam as the spec's defaults but 4 streams of 25-step windows (L 2371, W 95: the state
#: is carried 94 times and reset at step 96, and the test stays fast); SGD with momentum, 20 steps.
ADAM = TrainSettings(steps=100, optimizer="adam", lr=2e-3, clip_norm=5.0, bptt=25, batch=4)
SGD = TrainSettings(steps=20, optimizer="sgd", lr=0.5, momentum=0.9, clip_norm=1.0, bptt=25, batch=4)
RTOL = 1e-9
LINE = re.compile(r"step ([0-9]+) loss (\S+)")


@pytest.fixture(scope="module")
def fixture() -> rr.Fixture:
    return rr.load_fixture(FIXTURE)


@pytest.fixture(scope="module")
def tokens(fixture: rr.Fixture) -> np.ndarray:
    assert fixture.vocabulary is not None
    return encode_text(TEXT.read_text("utf-8"), fixture.vocabulary, TEXT)


# -- 1. the data pipeline ----------------------------------------------------------------------------


def spec_window(tokens: list[int], batch: int, bptt: int, w: int) -> tuple[list[list[int]], list[list[int]]]:
    """docs/training.md's formulas, one number at a time."""
    length = (len(tokens) - 1) // batch
    steps = min(bptt, length - w * bptt)
    x = [[tokens[b * length + w * bptt + t] for b in range(batch)] for t in range(steps)]
    y = [[tokens[b * length + w * bptt + t + 1] for b in range(batch)] for t in range(steps)]
    return x, y


@pytest.mark.parametrize(("n", "batch", "bptt"), [(23, 3, 4), (24, 3, 7), (10, 9, 1), (50, 1, 50), (12, 2, 100)])
def test_streams_and_windows_follow_the_spec(n: int, batch: int, bptt: int) -> None:
    tokens = list(np.random.default_rng(n).integers(0, 9, n))
    streams = Streams(np.array(tokens, dtype=np.int64), batch, bptt)
    length = (n - 1) // batch
    assert streams.length == length and streams.windows == math.ceil(length / bptt)
    covered = []
    for w in range(streams.windows):
        x, y = streams.window(w)
        want_x, want_y = spec_window(tokens, batch, bptt, w)
        assert x.tolist() == want_x and y.tolist() == want_y, w
        covered += [t for t in range(x.shape[0])]
    assert len(covered) == length  # the windows tile each stream exactly once
    assert [streams.window_of_step(s) for s in range(2 * streams.windows + 1)] == [
        *range(streams.windows),
        *range(streams.windows),
        0,
    ]


def test_the_stream_of_23_tokens_by_hand() -> None:
    """N 23, B 3, k 4: L 7, W 2; stream 1 reads tokens 7..13; window 1 is 3 steps long."""
    streams = Streams(np.arange(100, 123, dtype=np.int64), 3, 4)
    x, y = streams.window(1)
    assert x.tolist() == [[104, 111, 118], [105, 112, 119], [106, 113, 120]]
    assert y.tolist() == [[105, 112, 119], [106, 113, 120], [107, 114, 121]]


def test_too_short_texts_and_unknown_characters_are_refused() -> None:
    Streams(np.zeros(4, dtype=np.int64), 3, 5)  # N = B + 1: L = 1
    with pytest.raises(TextTooShort, match="the text is too short for 3 streams"):
        Streams(np.zeros(3, dtype=np.int64), 3, 5)
    assert encode_text("abba", ("a", "b")).tolist() == [0, 1, 1, 0]
    with pytest.raises(
        TextOutsideVocabulary, match=r"^t\.txt: character 3 \(line 2, U\+00E9\) is not in the vocabulary$"
    ):
        encode_text("a\nbé", ("a", "b", "\n"), "t.txt")


class RecordingTrainer:
    """Records the state each step starts from and returns a new marker state."""

    def __init__(self) -> None:
        self.seen: list[FlatState | None] = []

    def step(self, x: np.ndarray, y: np.ndarray, state: FlatState | None) -> tuple[float, FlatState]:
        self.seen.append(state)
        return float(len(self.seen)), (np.full(1, float(len(self.seen))), None)

    def trained_chain(self) -> Chain:
        raise NotImplementedError


def test_the_state_is_carried_and_reset_at_every_window_0() -> None:
    streams = Streams(np.zeros(25, dtype=np.int64), 2, 5)  # L 12, W 3
    trainer = RecordingTrainer()
    assert list(training_losses(trainer, streams, 7)) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    starts = [None if s is None else float(s[0][0]) for s in trainer.seen]
    assert starts == [None, 1.0, 2.0, None, 4.0, 5.0, None]


# -- 2. the PyTorch oracle ----------------------------------------------------------------------------


class TorchCharModel:
    """docs/training.md composed in torch float64: embedding, one nn.LSTM per layer, nn.Linear layers."""

    def __init__(self, chain: Chain) -> None:
        nn = torch.nn
        assert chain.embedding is not None
        self.embedding = nn.Embedding(*chain.embedding.weight.shape).double()
        self.lstms = []
        self.params = [self.embedding.weight]
        for layer in chain.layers:
            assert layer.cell == "lstm" and layer.direction == "forward" and not layer.proj_size
            lstm = nn.LSTM(layer.input_size, layer.hidden_size).double()
            self.lstms.append(lstm)
            self.params += [lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0]
        self.dense = [nn.Linear(d.weight.shape[1], d.size).double() for d in chain.dense]
        self.activations = [d.activation for d in chain.dense]
        for linear in self.dense:
            self.params += [linear.weight, linear.bias]
        with torch.no_grad():
            for param, array in zip(self.params, chain_weights(chain).values(), strict=True):
                param.copy_(torch.tensor(array))

    def logits(self, x: np.ndarray, state: list[tuple[Any, Any]] | None) -> tuple[Any, list[tuple[Any, Any]]]:
        values = self.embedding(torch.tensor(x))  # [T, B, E]
        states = []
        for k, lstm in enumerate(self.lstms):
            values, (h, c) = lstm(values, None if state is None else state[k])  # [T, B, H]
            states.append((h.detach(), c.detach()))
        for linear, activation in zip(self.dense, self.activations, strict=True):
            values = linear(values)
            if activation == "tanh":
                values = torch.tanh(values)
            elif activation == "relu":
                values = torch.relu(values)
            elif activation == "sigmoid":
                values = torch.sigmoid(values)  # the last layer is identity: the logits
        return values, states


def torch_training(chain: Chain, streams: Streams, settings: TrainSettings) -> tuple[list[float], list[np.ndarray]]:
    """The spec's loop in torch: every step's loss, and the weights at the end (chain order)."""
    model = TorchCharModel(chain)
    if settings.optimizer == "adam":
        optimizer = torch.optim.Adam(model.params, lr=settings.lr, betas=(0.9, 0.999), eps=1e-8)
    else:
        optimizer = torch.optim.SGD(model.params, lr=settings.lr, momentum=settings.momentum)
    losses, state = [], None
    for s in range(settings.steps):
        w = s % streams.windows
        if w == 0:
            state = None
        x, y = streams.window(w)
        z, state = model.logits(x, state)  # z [T, B, V]
        loss = torch.nn.functional.cross_entropy(z.reshape(-1, z.shape[-1]), torch.tensor(y).reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        if settings.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(model.params, settings.clip_norm)
        optimizer.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.params]


@pytest.fixture(scope="module")
def adam_oracle(fixture: rr.Fixture, tokens: np.ndarray) -> tuple[list[float], list[np.ndarray]]:
    assert isinstance(fixture.model, Chain)
    torch.set_num_threads(1)
    return torch_training(logits_chain(fixture.model), Streams(tokens, ADAM.batch, ADAM.bptt), ADAM)


def make_trainer(backend: str, chain: Chain, settings: TrainSettings) -> Any:
    require_backend(backend)
    if backend == "c":
        from rnn_rosetta.training.c_trainer import CTrainer

        return CTrainer(chain, settings)
    if backend == "java":
        from rnn_rosetta.training.java_trainer import JavaTrainer

        return JavaTrainer(chain, settings)
    return NumpyTrainer(chain, settings)


def assert_losses_equal(ours: list[float], theirs: list[float], label: str) -> None:
    assert len(ours) == len(theirs), label
    for step, (a, b) in enumerate(zip(ours, theirs, strict=True), 1):
        assert a == pytest.approx(b, rel=RTOL), f"{label}: step {step}: {a!r} vs torch {b!r}"


@pytest.mark.parametrize("backend", rr.BACKENDS)
def test_100_adam_steps_give_the_pytorch_losses_and_weights(
    backend: str,
    fixture: rr.Fixture,
    tokens: np.ndarray,
    adam_oracle: tuple[list[float], list[np.ndarray]],
    tmp_path: Path,
) -> None:
    assert isinstance(fixture.model, Chain)
    trainer = make_trainer(backend, logits_chain(fixture.model), ADAM)
    losses = list(training_losses(trainer, Streams(tokens, ADAM.batch, ADAM.bptt), ADAM.steps))
    want_losses, want_weights = adam_oracle
    assert_losses_equal(losses, want_losses, backend)
    assert losses[-1] < losses[0]  # it learns (the model starts trained; the first windows are its worst)
    trained = trainer.trained_chain()
    for (path, array), want in zip(chain_weights(trained).items(), want_weights, strict=True):
        np.testing.assert_allclose(array, want, rtol=RTOL, atol=1e-12, err_msg=f"{backend} {path}")

    # the trained model as a fixture: same weights to the bit, softmax back, and it runs in every backend
    document = trained_document(fixture, trained, ADAM, TEXT, TEXT.read_bytes(), backend)
    written = rr.load_fixture(write_trained_fixture(tmp_path / "trained.json", document))
    assert isinstance(written.model, Chain) and written.cases == ()
    assert written.vocabulary == fixture.vocabulary and written.tolerance == fixture.tolerance
    assert written.model.dense[-1].activation == fixture.model.dense[-1].activation == "softmax"
    for path, array in chain_weights(written.model).items():
        np.testing.assert_array_equal(array, chain_weights(trained)[path], err_msg=path)
    x, _ = Streams(tokens, 4, 10).window(3)
    want_y = rr.get_backend("numpy").load(written.model).forward(x).y
    for name in rr.BACKENDS:
        got_y = rr.get_backend(name).load(written.model).forward(x).y
        np.testing.assert_allclose(got_y, want_y, rtol=1e-12, atol=1e-14, err_msg=name)


@pytest.mark.parametrize("backend", rr.BACKENDS)
def test_20_sgd_steps_with_momentum_give_the_pytorch_losses(
    backend: str, fixture: rr.Fixture, tokens: np.ndarray
) -> None:
    assert isinstance(fixture.model, Chain)
    streams = Streams(tokens, SGD.batch, SGD.bptt)
    want, _ = torch_training(logits_chain(fixture.model), streams, SGD)
    trainer = make_trainer(backend, logits_chain(fixture.model), SGD)
    assert_losses_equal(list(training_losses(trainer, streams, SGD.steps)), want, backend)


# -- 3. the command and the demos print the same lines ------------------------------------------------

SMALL = ["--steps", "7", "--batch", "4", "--bptt", "30", "--log-every", "3", "--lr", "0.01"]


def run_train(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        status = train_main(["train", *argv])
    except SystemExit as exc:  # argparse refuses an argument
        status = int(exc.code or 0)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def c_demo(args: list[str]) -> list[str]:
    require_backend("c")
    if not paths.c_demo().exists():
        pytest.fail(f"{paths.c_demo()} is not built; run `make c`")
    return [str(paths.c_demo()), "--train", *args]


def java_demo(args: list[str]) -> list[str]:
    require_backend("java")
    classpath = f"{paths.java_jar()}:{paths.gson_jar()}"
    return ["java", "-cp", classpath, "rnnrosetta.demo.Demo", "--train", *args]


def run_demo(command: list[str]) -> tuple[int, str, str]:
    done = subprocess.run(command, capture_output=True, timeout=120, check=False, text=True, encoding="utf-8")
    return done.returncode, done.stdout, done.stderr


def parse_lines(out: str) -> Iterator[tuple[int, float]]:
    for line in out.splitlines():
        match = LINE.fullmatch(line)
        assert match, line
        yield int(match.group(1)), float(match.group(2))


@pytest.fixture(scope="module")
def numpy_lines(fixture: rr.Fixture, tokens: np.ndarray) -> list[tuple[int, float]]:
    """What the spec says the small run prints: steps 3, 6 and 7 (the last), from the numpy trainer."""
    assert isinstance(fixture.model, Chain)
    settings = TrainSettings(steps=7, lr=0.01, bptt=30, batch=4, log_every=3)
    losses = list(training_losses(NumpyTrainer(logits_chain(fixture.model), settings), Streams(tokens, 4, 30), 7))
    return [(step, losses[step - 1]) for step in (3, 6, 7)]


def assert_same_lines(out: str, want: list[tuple[int, float]], label: str) -> None:
    got = list(parse_lines(out))
    assert [step for step, _ in got] == [step for step, _ in want], label
    for (step, a), (_, b) in zip(got, want, strict=True):
        assert a == pytest.approx(b, rel=RTOL), f"{label}: step {step}"


@pytest.mark.parametrize("backend", rr.BACKENDS)
def test_the_command_prints_the_spec_lines_and_writes_the_model(
    backend: str, numpy_lines: list[tuple[int, float]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_backend(backend)
    out_file = tmp_path / "out.json"
    status, out, err = run_train(
        [str(FIXTURE), "--data", str(TEXT), *SMALL, "--backend", backend, "--out", str(out_file)], capsys
    )
    assert (status, err) == (0, "")
    *lines, wrote = out.splitlines()
    assert wrote == f"wrote {out_file}"
    for line in lines:
        step, loss = next(parse_lines(line))
        assert line == "step %d loss %.17g" % (step, loss)  # C's %.17g, character for character
    assert_same_lines("\n".join(lines), numpy_lines, backend)
    written = rr.load_fixture(out_file)
    assert written.vocabulary is not None and written.cases == ()


@pytest.mark.parametrize("backend", rr.BACKENDS)
def test_float32_training_stays_near_float64(
    backend: str, numpy_lines: list[tuple[int, float]], capsys: pytest.CaptureFixture[str]
) -> None:
    """--dtype float32 trains in float32: the same lines, the losses within float32's reach of float64's."""
    require_backend(backend)
    status, out, err = run_train(
        [str(FIXTURE), "--data", str(TEXT), *SMALL, "--backend", backend, "--dtype", "float32"], capsys
    )
    assert (status, err) == (0, "")
    got = list(parse_lines(out))
    assert [step for step, _ in got] == [step for step, _ in numpy_lines]
    for (step, a), (_, b) in zip(got, numpy_lines, strict=True):
        assert a == pytest.approx(b, rel=1e-4) and a != b, f"{backend}: step {step}"


@pytest.mark.parametrize("program", ["c-demo", "java-demo"])
def test_the_demos_print_the_same_lines(program: str, numpy_lines: list[tuple[int, float]], tmp_path: Path) -> None:
    out_file = tmp_path / "demo_out.json"
    args = ["--data", str(TEXT), *SMALL, "--out", str(out_file), str(FIXTURE)]
    status, out, err = run_demo(c_demo(args) if program == "c-demo" else java_demo(args))
    assert status == 0, err
    *lines, wrote = out.splitlines()
    assert wrote == f"wrote {out_file}"
    assert_same_lines("\n".join(lines), numpy_lines, program)
    written = rr.load_fixture(out_file)  # their writers' files read back here
    assert written.vocabulary is not None and written.cases == ()


# -- 4. refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option",
    [
        ["--steps", "0"], ["--steps", "10000001"], ["--steps", "1.5"], ["--lr", "0"], ["--lr", "nan"],
        ["--lr", "-1"], ["--lr", "1e999"], ["--momentum", "-0.5"], ["--clip-norm", "-1"], ["--bptt", "0"],
        ["--batch", "x"], ["--optimizer", "rmsprop"], ["--log-every", "0"], ["--dtype", "float16"],
        ["--backend", "rust"], ["--lr", "+1"], ["--lr", "-0"], ["--momentum", "+0.5"], ["--bptt", "+5"],
        ["--bptt", "1000001"], ["--batch", "1000001"], ["--batch", "9" * 5000], ["--steps", " 1"], ["--lr", ""],
        ["--clip-norm", "0x10"], ["--log-every", "10000001"],
    ],
)  # fmt: skip
def test_bad_options_exit_2_with_one_line(option: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_train([str(FIXTURE), "--data", str(TEXT), *option], capsys)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("rnn-rosetta: train: "), err


def refusal_files(tmp_path: Path) -> dict[str, Path]:
    outside = tmp_path / "outside.txt"
    outside.write_text("To be, or not to be: that is the questi\u043en\n", "utf-8")  # a Cyrillic o
    short = tmp_path / "short.txt"
    short.write_text("To be", "utf-8")
    not_utf8 = tmp_path / "latin1.txt"
    not_utf8.write_bytes("To be, or not to be: that is the question, caf\u00e9\n".encode("latin-1"))
    return {"outside": outside, "short": short, "missing": tmp_path / "missing.txt", "not_utf8": not_utf8}


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("outside", 2, r": character 39 \(line 1, U\+043E\) is not in the vocabulary$"),
        ("short", 1, r": the text is too short for 16 streams \(5 characters; at least 17 needed\)$"),
        ("missing", 1, "missing.txt: cannot read: "),
        ("not_utf8", 1, r"latin1\.txt: not UTF-8 \(byte 46\)$"),
    ],
)
def test_the_text_is_refused_in_one_line(
    case: str, status: int, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = refusal_files(tmp_path)[case]
    got, out, err = run_train([str(FIXTURE), "--data", str(data)], capsys)
    assert (got, out) == (status, "")
    assert err.count("\n") == 1 and re.search(message, err), err


def test_a_model_that_cannot_train_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_train(["lstm_small", "--data", str(TEXT)], capsys)
    assert (status, out) == (1, "")
    assert err.count("\n") == 1 and "vocabulary" in err, err


#: SGD at lr 1.7e308 without clipping: the first update overflows the weights, step 2's loss is nan.
NAN_RUN = ["--optimizer", "sgd", "--lr", "1.7e308", "--clip-norm", "0", "--batch", "2", "--bptt", "5", "--steps", "5"]


def test_a_loss_that_is_not_finite_exits_1_naming_the_step(capsys: pytest.CaptureFixture[str]) -> None:
    """SGD at lr 1.7e308 without clipping: the first update overflows the weights, step 2's loss is nan."""
    status, out, err = run_train([str(FIXTURE), "--data", str(TEXT), *NAN_RUN], capsys)
    assert status == 1
    assert out.startswith("step 1 loss ") and out.count("\n") == 1, out
    assert err == "rnn-rosetta: train: step 2: the loss is nan\n"


@pytest.mark.parametrize("program", ["c-demo", "java-demo"])
@pytest.mark.parametrize(("case", "status"), [("outside", 2), ("short", 1), ("missing", 1), ("not_utf8", 1)])
def test_the_demos_refuse_the_same_texts(program: str, case: str, status: int, tmp_path: Path) -> None:
    args = ["--data", str(refusal_files(tmp_path)[case]), str(FIXTURE)]
    got, out, err = run_demo(c_demo(args) if program == "c-demo" else java_demo(args))
    assert (got, out) == (status, "")
    assert err.count("\n") == 1, err


def test_the_command_is_registered() -> None:
    """``rnn-rosetta train`` runs this module's command (cli.py registers ``add_parser``)."""
    done = subprocess.run(
        [sys.executable, "-m", "rnn_rosetta", "train", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and "--clip-norm" in done.stdout, done.stderr


@pytest.mark.parametrize("program", ["c-demo", "java-demo"])
def test_the_demos_stop_at_the_same_non_finite_loss(program: str) -> None:
    args = ["--data", str(TEXT), *NAN_RUN, str(FIXTURE)]
    status, out, err = run_demo(c_demo(args) if program == "c-demo" else java_demo(args))
    assert status == 1
    assert out.startswith("step 1 loss ") and out.count("\n") == 1, out
    assert err.count("\n") == 1 and err.endswith("step 2: the loss is nan\n"), err


def test_the_number_grammar_reads_leading_zeros_and_refuses_a_sign_or_underflow_to_zero() -> None:
    """Hand-checked values of the shared parser (rnn_rosetta.cli_numbers) both commands use."""
    import argparse

    from rnn_rosetta.cli_numbers import parse_integer, parse_real

    assert parse_integer("bptt", "0" * 50 + "7", 1, 10**6) == 7
    assert parse_integer("seed", "18446744073709551615", 0, 2**64 - 1) == 2**64 - 1
    assert parse_real("lr", "2.", positive=True) == 2.0 and parse_real("lr", ".5e+1", positive=True) == 5.0
    assert parse_real("temperature", "1e-400", positive=False) == 0.0  # underflows to 0: still >= 0
    for refused in (
        lambda: parse_real("lr", "1e-400", positive=True),
        lambda: parse_integer("bptt", "1000001", 1, 10**6),
    ):
        with pytest.raises(argparse.ArgumentTypeError):
            refused()
    for text in ("+1", "-0", "1_000", "\u0661", "1 ", "0b1"):  # U+0661: an Arabic-Indic digit, not ASCII
        with pytest.raises(argparse.ArgumentTypeError, match=r"^bptt must be an integer in 1 \.\. 1000000, got "):
            parse_integer("bptt", text, 1, 10**6)


def test_clipping_sums_the_norm_in_float64_and_keeps_the_gradients_dtype() -> None:
    """docs/training.md: the clipping norm is summed in float64 whatever the dtype; coef applied in float32."""
    from rnn_rosetta.optimizers import clip_grad_norm

    rng = np.random.default_rng(5)
    grads = {"a": rng.standard_normal(10_001).astype(np.float32) * 3, "b": np.full((7, 3), 1e3, dtype=np.float32)}
    squares = sum(float(v) * float(v) for g in grads.values() for v in g.reshape(-1))  # float64, by hand
    clipped, total = clip_grad_norm(grads, 1.0)
    assert total == pytest.approx(math.sqrt(squares), rel=1e-13)
    coef = np.float32(1.0 / (math.sqrt(squares) + 1e-6))
    for name, g in grads.items():
        assert clipped[name].dtype == np.float32
        np.testing.assert_array_equal(clipped[name], g * coef)

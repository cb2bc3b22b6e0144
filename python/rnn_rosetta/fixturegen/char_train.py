"""Train the character LSTM (issue 11) on ``shared_fixtures/text/shakespeare.txt``, deterministically from a seed.

The model is the seed program's character generator, written in PyTorch (:class:`CharLSTM`)::

    x_t  = E[token_t]                                  E [V, 16]
    h1_t = LSTM_1(x_t, h1_{t-1})                       16 -> 64
    h2_t = LSTM_2(dropout(h1_t), h2_{t-1})             64 -> 64
    p_t  = softmax(W dropout(h2_t) + b)                W [V, 64]: the distribution of token_{t+1}

Dropout (``p = 0.2``) acts in training only; the fixture is the model in evaluation mode, which is
exactly a version-2 chain: embedding, two forward lstm layers, a dense softmax layer, readout
``sequence``. The two layers are two separate ``nn.LSTM`` so each maps onto one chain layer.

Training (float32, one thread, ``torch.use_deterministic_algorithms``): the vocabulary is the sorted set
of the text's characters; the last 10% of the characters are held out; each step draws ``BATCH`` windows
of ``WINDOW + 1`` characters from the rest and minimises the mean cross-entropy of each next character
with Adam, the gradient's global norm clipped to ``CLIP_NORM``. The same seed and step count give the
same weights on the same machine (not across CPUs: the float32 sums follow the SIMD path), which is why
``nox -s fixtures --check`` never retrains: it reads the committed weights
(:mod:`rnn_rosetta.fixturegen.char_fixture`).

Reported losses are in nats per character (bits = nats / ln 2), computed in float64 in evaluation
mode over each part of the text read as one sequence from zero states (:func:`sequence_loss`)::

    loss = -1/(n-1) * sum_{t=0}^{n-2} log p_t[token_{t+1}]

Command line: ``python -m rnn_rosetta.fixturegen.char_train [--steps N] [--seed S]`` writes
``shared_fixtures/char_shakespeare.json``.
"""

from __future__ import annotations

import argparse
import copy
import math
import time
from dataclasses import dataclass
from typing import Any

import torch
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from torch import nn

from rnn_rosetta import paths
from rnn_rosetta.fixture_writer import write_fixture_file
from rnn_rosetta.fixturegen import char_fixture
from rnn_rosetta.fixturegen.char_module import DROPOUT, CharLSTM

WINDOW = 100  # characters read per training sequence (the seed program's window)
BATCH = 32
LEARNING_RATE = 3e-3
BETAS = (0.9, 0.999)
CLIP_NORM = 5.0
DEFAULT_STEPS = 800
DEFAULT_SEED = 11


@dataclass(frozen=True)
class TrainingRun:
    """What :func:`train` returns: the trained float32 module and the run's settings."""

    module: CharLSTM
    vocabulary: tuple[str, ...]
    seed: int
    steps: int
    last_batch_loss: float


def encode(text: str, vocabulary: tuple[str, ...]) -> torch.Tensor:
    """The text's token indices, ``[n]`` int64."""
    index = {ch: k for k, ch in enumerate(vocabulary)}
    return torch.tensor([index[ch] for ch in text], dtype=torch.int64)


def train(text: str, steps: int = DEFAULT_STEPS, seed: int = DEFAULT_SEED, progress: bool = False) -> TrainingRun:
    """Train a fresh :class:`CharLSTM` on ``text``'s training part (all but the last 10%).

    Seeds torch's global generator; torch's thread count and deterministic-algorithms flag are set for the
    run and restored afterwards.
    """
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        return _train(text, steps, seed, progress)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def _train(text: str, steps: int, seed: int, progress: bool) -> TrainingRun:
    torch.manual_seed(seed)
    vocabulary = char_fixture.vocabulary_of(text)
    train_text, _ = char_fixture.split_text(text)
    tokens = encode(train_text, vocabulary)  # [n]
    module = CharLSTM(len(vocabulary))
    module.train()
    optimizer = torch.optim.Adam(module.parameters(), lr=LEARNING_RATE, betas=BETAS)
    windows = torch.Generator().manual_seed(seed)
    offsets = torch.arange(WINDOW + 1)  # [W+1]
    loss_value = math.nan
    with _progress(progress) as bar:
        task = bar.add_task("training", total=steps)
        for step in range(steps):
            starts = torch.randint(0, len(tokens) - WINDOW, (BATCH,), generator=windows)  # [B]
            batch = tokens[starts[None, :] + offsets[:, None]]  # [W+1, B]
            logits, *_ = module(batch[:-1])  # [W, B, V]
            loss = nn.functional.cross_entropy(logits.reshape(-1, len(vocabulary)), batch[1:].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(module.parameters(), CLIP_NORM)
            optimizer.step()
            loss_value = loss.item()
            if step % 50 == 0 or step == steps - 1:
                bar.update(task, description=f"training (batch loss {loss_value:.3f} nats/char)")
            bar.advance(task)
    module.eval()
    return TrainingRun(module, vocabulary, seed, steps, loss_value)


def _progress(enabled: bool) -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
    return Progress(*columns, TimeElapsedColumn(), disable=not enabled)


def float64_copy(module: CharLSTM) -> CharLSTM:
    """The module in float64, evaluation mode (dropout off); the original is left as it is."""
    return copy.deepcopy(module).double().eval()


def published_module(module: CharLSTM) -> CharLSTM:
    """The float64 module the fixture holds: each float32 weight becomes the float64 value of its shortest
    decimal form (``str(numpy.float32(w))``, at most 9 significant digits), which rounds back to the same
    float32. The file is then about half the size of one holding every float32 weight's exact binary value.
    """
    published = float64_copy(module)
    with torch.no_grad():
        for parameter in published.parameters():
            values = parameter.detach().to(torch.float32).numpy().ravel()
            decimal = [float(str(value)) for value in values]
            parameter.copy_(torch.tensor(decimal, dtype=torch.float64).reshape(parameter.shape))
    return published


def sequence_loss(module: CharLSTM, text: str, vocabulary: tuple[str, ...]) -> float:
    """Mean ``-log p_t[token_{t+1}]`` over ``text`` read as one sequence from zero states, in float64 (nats)."""
    module64 = float64_copy(module)  # the module itself when it is already float64 and in evaluation mode
    tokens = encode(text, vocabulary)[:, None]  # [n, 1]
    with torch.no_grad():
        logits, *_ = module64(tokens[:-1])  # [n-1, 1, V]
        return float(nn.functional.cross_entropy(logits[:, 0], tokens[1:, 0]))


def training_provenance(run: TrainingRun, published: CharLSTM, text: str) -> dict[str, Any]:
    """The provenance keys that describe training (:data:`char_fixture.TRAINING_KEYS`, in that order); the
    losses are those of ``published``, the weights the fixture holds.
    """
    train_text, held_out = char_fixture.split_text(text)
    train_loss = sequence_loss(published, train_text, run.vocabulary)
    held_out_loss = sequence_loss(published, held_out, run.vocabulary)
    values = {
        "trainer": "python -m rnn_rosetta.fixturegen.char_train",
        "seed": run.seed,
        "steps": run.steps,
        "training": (
            f"float32, 1 thread, deterministic algorithms; windows of {WINDOW} characters, batch {BATCH}, "
            f"dropout {DROPOUT} after each lstm layer; last {char_fixture.HELD_OUT_PERCENT}% of the text held out"
        ),
        "optimizer": {"name": "Adam", "lr": LEARNING_RATE, "betas": list(BETAS), "clip_grad_norm": CLIP_NORM},
        "torch_training": f"torch {torch.__version__}",
        "train_loss_nats": train_loss,
        "held_out_loss_nats": held_out_loss,
        "train_loss_bits": train_loss / math.log(2),
        "held_out_loss_bits": held_out_loss / math.log(2),
        "weights": "each float32 weight as the float64 value of its shortest decimal form (str(numpy.float32(w)))",
        "loss": "mean cross-entropy per character, float64, evaluation mode, each part read from zero states",
        "text": char_fixture.TEXT_FILE,
        "text_sha256": char_fixture.text_sha256(text),
    }
    assert tuple(values) == char_fixture.TRAINING_KEYS
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnn_rosetta.fixturegen.char_train", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="optimizer steps (%(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="torch seed (%(default)s)")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    text = char_fixture.read_text()
    began = time.perf_counter()
    run = train(text, args.steps, args.seed, progress=True)
    seconds = time.perf_counter() - began
    published = published_module(run.module)
    provenance = training_provenance(run, published, text)
    document = char_fixture.build_document(published, run.vocabulary, provenance)
    target = write_fixture_file(paths.fixtures_dir() / f"{char_fixture.NAME}.json", document)
    print(f"trained {args.steps} steps (seed {args.seed}) in {seconds:.1f} s; wrote {target}")
    for part in ("train", "held_out"):
        nats, bits = provenance[f"{part}_loss_nats"], provenance[f"{part}_loss_bits"]
        print(f"{part.replace('_', '-')} loss: {nats:.4f} nats/char, {bits:.4f} bits/char")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

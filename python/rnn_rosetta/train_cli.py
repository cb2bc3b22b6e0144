"""``rnn-rosetta train FIXTURE --data TEXT [options] [--backend numpy|c|java]``: train a character model.

docs/training.md is the contract: the same batches, step and optimizers as ``rr_demo --train`` and
``Demo --train``. Standard output gets ``step %d loss %.17g`` for every reported step (every
``--log-every``-th and the last), then ``wrote FILE`` with ``--out``; a rich progress bar goes to
standard error when it is a terminal. Errors: one line on stderr, exit status 2 for a bad argument or
a text character outside the vocabulary, 1 for a file that cannot be read, a model that cannot train,
a text too short for the streams, or a loss that is not finite.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rnn_rosetta.backends import BACKENDS
from rnn_rosetta.backends.base import DTYPES
from rnn_rosetta.chain import Chain
from rnn_rosetta.cli_errors import PROG, CliError, OneLineArgumentParser, dispatch
from rnn_rosetta.cli_numbers import integer_option, real_option
from rnn_rosetta.errors import FixtureError, RosettaError
from rnn_rosetta.fixture_files import resolve_fixture
from rnn_rosetta.fixture_reader import load_fixture
from rnn_rosetta.generation import generation_problem, logits_chain
from rnn_rosetta.training.batches import Streams, TextOutsideVocabulary, encode_text
from rnn_rosetta.training.fixture_out import trained_document, write_trained_fixture
from rnn_rosetta.training.trainer import OPTIMIZERS, NumpyTrainer, Trainer, TrainSettings, training_losses

#: A file that cannot be read, a model that cannot train, a loss that is not finite.
EXIT_CANNOT_TRAIN = 1
#: A bad argument, a text character outside the vocabulary (what argparse refuses exits 2 as well).
EXIT_BAD_ARGUMENT = 2
MAX_STEPS = 10**7

#: ``--bptt`` and ``--batch`` run from 1 to this many (docs/training.md).
MAX_WINDOW = 10**6


def make_trainer(backend: str, logits: Chain, settings: TrainSettings) -> Trainer:
    """The trainer of ``backend`` on the logits chain (the C and Java ones load their libraries here)."""
    if backend == "c":
        from rnn_rosetta.training.c_trainer import CTrainer

        return CTrainer(logits, settings)
    if backend == "java":
        from rnn_rosetta.training.java_trainer import JavaTrainer

        return JavaTrainer(logits, settings)
    return NumpyTrainer(logits, settings)


def report_steps(steps: int, log_every: int) -> Iterator[bool]:
    """For step 1 .. steps: whether its line is printed (every ``log_every``-th, and the last)."""
    for step in range(1, steps + 1):
        yield step % log_every == 0 or step == steps


def step_line(step: int, loss: float) -> str:
    """``step %d loss %.17g`` (C printf notation; Python's ``%`` formats as C does)."""
    return "step %d loss %.17g" % (step, loss)


def _fail(status: int, message: str) -> int:
    print(f"{PROG}: train: {message}", file=sys.stderr)
    return status


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Any]:
    """A rich progress bar on stderr when stderr is a terminal (``advance(loss)``), else nothing shown."""
    if not sys.stderr.isatty():
        yield lambda loss: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[loss]}"))
    # stdout lines pass above the bar only when stdout is the same kind of terminal (else stdout stays clean)
    with Progress(
        *columns, TimeRemainingColumn(), console=Console(stderr=True), redirect_stdout=sys.stdout.isatty()
    ) as progress:
        task = progress.add_task("train", total=total, loss="")
        yield lambda loss: progress.update(task, advance=1, loss=f"loss {loss:.4f}")


def _cmd_train(args: argparse.Namespace) -> int:
    try:
        settings = TrainSettings(
            steps=args.steps, optimizer=args.optimizer, lr=args.lr, momentum=args.momentum, clip_norm=args.clip_norm,
            bptt=args.bptt, batch=args.batch, dtype=args.dtype, log_every=args.log_every,
        )  # fmt: skip
    except RosettaError as exc:
        return _fail(EXIT_BAD_ARGUMENT, str(exc))
    try:
        fixture = load_fixture(resolve_fixture(args.fixture))
    except (FixtureError, CliError) as exc:
        return _fail(EXIT_CANNOT_TRAIN, str(exc))
    problem = generation_problem(fixture, "training")
    if problem is not None:
        return _fail(EXIT_CANNOT_TRAIN, f"{fixture.source}: {problem}")
    assert isinstance(fixture.model, Chain) and fixture.vocabulary is not None
    data = str(args.data)  # the path as given: every message about the text names it so
    try:
        raw = Path(data).read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        return _fail(EXIT_CANNOT_TRAIN, f"{data}: cannot read: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        return _fail(EXIT_CANNOT_TRAIN, f"{data}: not UTF-8 (byte {exc.start})")
    try:
        streams = Streams(encode_text(text, fixture.vocabulary, data), settings.batch, settings.bptt)
    except TextOutsideVocabulary as exc:
        return _fail(EXIT_BAD_ARGUMENT, str(exc))
    except RosettaError as exc:
        return _fail(EXIT_CANNOT_TRAIN, f"{data}: {exc}")
    try:
        trainer = make_trainer(args.backend, logits_chain(fixture.model), settings)
        with _progress(settings.steps) as advance:
            losses = training_losses(trainer, streams, settings.steps)
            printed_steps = report_steps(settings.steps, settings.log_every)
            for step, (loss, printed) in enumerate(zip(losses, printed_steps, strict=True), 1):
                advance(loss)
                if printed:
                    print(step_line(step, loss), flush=True)
        if args.out is not None:
            document = trained_document(fixture, trainer.trained_chain(), settings, Path(data), raw, args.backend)
            write_trained_fixture(args.out, document)
            print(f"wrote {args.out}", flush=True)
    except OSError as exc:
        return _fail(EXIT_CANNOT_TRAIN, f"{exc.filename or args.out}: cannot write: {exc.strerror or exc}")
    except RosettaError as exc:
        return _fail(EXIT_CANNOT_TRAIN, str(exc))
    return 0


def add_parser(commands: Any) -> None:
    """Register ``train`` on the ``rnn-rosetta`` sub-command parsers."""
    train = commands.add_parser(
        "train",
        help="train a character model on a text (same losses as rr_demo --train and the Java demo)",
        description=(
            "Cut the text into --batch streams and --bptt windows, and take --steps optimizer steps on the"
            " next-character cross-entropy (docs/training.md). Prints 'step S loss L' lines, then 'wrote FILE'"
            " with --out. Exit 2: a bad argument or a text character outside the vocabulary; 1: a file that"
            " cannot be read, a model that cannot train, a loss that is not finite."
        ),
    )
    train.add_argument("fixture", help="a version-2 character model (fixture with a vocabulary), or a committed name")
    train.add_argument("--data", required=True, metavar="TEXT", help="the UTF-8 text to train on")
    steps = integer_option("steps", 1, MAX_STEPS)
    train.add_argument("--steps", type=steps, default=100, metavar="N", help="optimizer steps, 1 .. 10^7 (100)")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    train.add_argument("--lr", type=real_option("lr", positive=True), default=2e-3, help="learning rate > 0 (2e-3)")
    train.add_argument("--momentum", type=real_option("momentum", positive=False), default=0.9, help="sgd only (0.9)")
    train.add_argument(
        "--clip-norm", type=real_option("clip-norm", positive=False), default=5.0, help="gradient norm cap; 0: off (5)"
    )
    train.add_argument(
        "--bptt",
        type=integer_option("bptt", 1, MAX_WINDOW),
        default=50,
        metavar="K",
        help="window length, 1 .. 10^6 (50)",
    )
    train.add_argument(
        "--batch", type=integer_option("batch", 1, MAX_WINDOW), default=16, metavar="B", help="streams, 1 .. 10^6 (16)"
    )
    train.add_argument("--out", type=Path, default=None, metavar="FILE", help="write the trained model as a fixture")
    train.add_argument("--dtype", choices=DTYPES, default="float64")
    train.add_argument(
        "--log-every",
        type=integer_option("log-every", 1, MAX_STEPS),
        default=1,
        metavar="N",
        help="print every N-th step, 1 .. 10^7 (1)",
    )
    train.add_argument("--backend", choices=BACKENDS, default="numpy")
    train.set_defaults(handler=_cmd_train)


def main(argv: list[str] | None = None) -> int:
    """``rnn-rosetta train ...`` on its own (what ``rnn-rosetta`` runs once cli.py registers :func:`add_parser`)."""
    parser = OneLineArgumentParser(prog=PROG)
    add_parser(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return dispatch(parser.parse_args(argv))

"""``rnn-rosetta convert SOURCE -o FIXTURE.json``: a trained model in, a checked golden fixture out.

1. import SOURCE with the importer its extension names (``.pt2``: :func:`model_from_torch`, ``.onnx``:
   :func:`model_from_onnx`, ``.keras``: :func:`model_from_keras`); a refusal ends the command
   (``rnn-rosetta: SOURCE: why``, exit 2), nothing is written;
2. draw random inputs (tokens for a chain with an embedding), seeded, of the shape the source was
   exported with (``torch.export`` and ``torch.onnx.export`` fix it) unless ``--length``/``--batch`` say:
   the first case plain, then uneven ``lengths`` and given initial states, each only where the source
   takes them (a case the source cannot take is drawn plain instead, and the fixture's provenance
   ``notes`` say why);
3. compute every expected value with the SOURCE framework itself (the importer's ``*_expected`` runner:
   the PyTorch program, the Keras model, ONNX Runtime / ``onnx.reference`` on the file), never with
   this package's code;
4. write a version 2 fixture whose provenance names the source file, its sha256, the framework and
   its version, the oracle's precision and the tolerance rule;
5. run the crosscheck on it (every backend that runs here) and print the verdict: exit 0 when every
   backend matches the source, 1 when one does not.

Tolerance: where the framework computes in float64 (PyTorch, Keras with ``floatx`` float64) the
backends differ from it by summation order only: rtol 1e-9, atol 1e-12. Where it computes in float32
(an ONNX file with float32 weights: ONNX Runtime's recurrent kernels are float32), the inputs are
drawn as float32 values and the rule is the float32 one, :data:`rnn_rosetta.compare.FLOAT32`.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rnn_rosetta.chain import Chain, chain_from_model
from rnn_rosetta.cli_errors import CliError
from rnn_rosetta.compare import FLOAT32, Tolerance
from rnn_rosetta.errors import InputError, ModelImportError
from rnn_rosetta.fixture_data import Case, CaseInputs
from rnn_rosetta.fixture_writer import fixture_document, write_fixture_file
from rnn_rosetta.result import Result

GENERATOR = "rnn_rosetta.convert"
FLOAT64_TOLERANCE = Tolerance(rtol=1e-9, atol=1e-12)
KINDS: tuple[str, ...] = ("random", "uneven_lengths", "given_state")


@dataclass(frozen=True)
class Framework:
    """What reads one kind of file: its importer, its oracle and the package whose version is recorded."""

    name: str  # "torch", "onnx", "keras"
    suffix: str  # ".pt2"
    importer: str  # the name in rnn_rosetta.interop
    runner: str  # the *_expected runner in rnn_rosetta.interop
    packages: tuple[str, ...]  # distributions whose versions the provenance records
    install: str  # what to pip install when it is missing


FRAMEWORKS: dict[str, Framework] = {
    ".pt2": Framework("torch", ".pt2", "model_from_torch", "torch_expected", ("torch",), "torch"),
    ".onnx": Framework("onnx", ".onnx", "model_from_onnx", "onnx_expected", ("onnxruntime", "onnx"), "onnxruntime"),
    ".keras": Framework("keras", ".keras", "model_from_keras", "keras_expected", ("keras", "torch"), "keras"),
}


DEFAULT_LENGTH, DEFAULT_BATCH = 8, 2


@dataclass(frozen=True)
class Options:
    """``--cases N --seed S --length T --batch B``; a shape left None is the source's own (see :func:`shape_for`)."""

    cases: int = 3
    seed: int = 0
    length: int | None = None
    batch: int | None = None

    def check(self) -> None:
        for name in ("cases", "length", "batch"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise CliError(f"--{name} must be at least 1, got {value}")

    @property
    def steps_batch(self) -> tuple[int, int]:
        assert self.length is not None and self.batch is not None, "resolved by shape_for"
        return self.length, self.batch


def shape_for(options: Options, extra: dict[str, Any]) -> Options:
    """``options`` with T and B filled in: as given, else the shape the source was exported with
    (``extra["input_shape"]`` in the layout ``extra["batch_first"]`` says, e.g. a ``torch.export``
    program's example input or an ONNX graph's fixed input shape), else T=8, B=2."""
    length, batch = DEFAULT_LENGTH, DEFAULT_BATCH
    shape = extra.get("input_shape")
    if isinstance(shape, (list, tuple)) and len(shape) >= 2:
        # each axis on its own: a program exported with a dynamic batch still fixes T (None = any size)
        fixed_batch, fixed_length = shape[:2] if extra.get("batch_first") else shape[1::-1]
        if isinstance(fixed_length, int) and fixed_length > 0:
            length = fixed_length
        if isinstance(fixed_batch, int) and fixed_batch > 0:
            batch = fixed_batch
    return replace(
        options,
        length=options.length if options.length is not None else int(length),
        batch=options.batch if options.batch is not None else int(batch),
    )


@dataclass
class Conversion:
    """What :func:`convert_file` made: the chain, the cases, and why a kind of case was left out."""

    source: Path
    framework: Framework
    chain: Chain
    precision: str
    tolerance: Tolerance
    cases: list[Case] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    options: Options = field(default_factory=Options)


# -- the source --------------------------------------------------------------------------------------


def framework_for(source: Path) -> Framework:
    """The framework whose file ``source`` is, by its extension; unknown extensions are refused."""
    framework = FRAMEWORKS.get(source.suffix.lower())
    if framework is None:
        known = ", ".join(FRAMEWORKS)
        raise CliError(f"{source}: unknown extension {source.suffix or '(none)'!r}; convert reads {known}")
    return framework


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def versions(framework: Framework) -> dict[str, str]:
    """``{package: version}`` of every package the framework's oracle runs on that is installed."""
    found = {}
    for package in framework.packages:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def _needs(source: Path, framework: Framework, missing: str | None) -> CliError:
    what = missing or framework.install
    return CliError(f"{source}: reading a {framework.suffix} file needs {what} (pip install {framework.install})")


def _interop(name: str, framework: Framework, source: Path) -> Callable[..., Any]:
    """``rnn_rosetta.interop.NAME``; a missing framework package is one line naming what to install."""
    if framework.name == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")  # before Keras is first imported (the project's backend)
    try:
        return getattr(importlib.import_module("rnn_rosetta.interop"), name)  # type: ignore[no-any-return]
    except ModuleNotFoundError as exc:
        raise _needs(source, framework, exc.name) from None


def import_chain(source: Path, framework: Framework) -> Chain:
    """The source as a chain (a version 1 :class:`Model` as the chain it is); a refusal as one line."""
    importer = _interop(framework.importer, framework, source)
    try:
        model = importer(str(source))
    except ModelImportError as exc:
        raise CliError(f"{source}: {exc}") from None
    except ModuleNotFoundError as exc:
        raise _needs(source, framework, exc.name) from None
    return model if isinstance(model, Chain) else chain_from_model(model)


def oracle_precision(source: Path, framework: Framework) -> str:
    """The precision the framework computes this model in: float64, except an ONNX file with float32 data."""
    if framework.name != "onnx":
        return "float64"  # PyTorch programs are run in float64, Keras with floatx float64
    import onnx

    model = onnx.load(str(source), load_external_data=False)
    graph = model.graph
    kinds = {t.data_type for t in graph.initializer}
    kinds |= {v.type.tensor_type.elem_type for v in graph.input if v.type.HasField("tensor_type")}
    floats = kinds & {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16}
    return "float64" if floats == {onnx.TensorProto.DOUBLE} else "float32"


def source_extra(source: Path, framework: Framework, chain: Chain) -> dict[str, Any]:
    """What the importer recorded about the source's input (``chain.extra``); for an ONNX graph that
    does not say, its first input's fixed dimensions (0 where a dimension is named, not fixed)."""
    extra = dict(chain.extra)
    if framework.name != "onnx" or "input_shape" in extra:
        return extra
    import onnx

    graph = onnx.load(str(source), load_external_data=False).graph
    weights = {t.name for t in graph.initializer}
    for given in graph.input:
        if given.name not in weights and given.type.HasField("tensor_type"):
            extra["input_shape"] = [int(d.dim_value) for d in given.type.tensor_type.shape.dim]
            break
    return extra


def tolerance_for(precision: str) -> Tolerance:
    return FLOAT64_TOLERANCE if precision == "float64" else FLOAT32


# -- the cases ---------------------------------------------------------------------------------------


def _real(rng: np.random.Generator, shape: tuple[int, ...], precision: str, scale: float = 1.0) -> np.ndarray:
    """Uniform in +-scale; rounded to float32 values when the oracle computes in float32 (it sees those)."""
    values = rng.uniform(-scale, scale, size=shape)
    return values.astype(np.float32).astype(np.float64) if precision == "float32" else values


def _states(rng: np.random.Generator, sizes: Sequence[int], batch: int, precision: str) -> Any:
    """One slot per size: ``[S, B, H]`` when uniform, else a list of ``[B, H_k]``."""
    if not sizes:
        return None
    if len(set(sizes)) == 1:
        return _real(rng, (len(sizes), batch, sizes[0]), precision)
    return [_real(rng, (batch, size), precision) for size in sizes]


def _lengths(rng: np.random.Generator, steps: int, batch: int) -> np.ndarray:
    """Each in 1..T and uneven: the last sequence runs all T steps, the first fewer (T // 2 when drawn at T);
    a lone sequence (B = 1) therefore runs T // 2 steps."""
    lengths = rng.integers(1, steps + 1, size=batch).astype(np.int64)  # [B]
    lengths[-1] = steps
    if steps > 1 and lengths[0] == steps:
        lengths[0] = max(1, steps // 2)
    return lengths


def draw_inputs(
    chain: Chain, kind: str, name: str, options: Options, rng: np.random.Generator, precision: str
) -> CaseInputs:
    """One case's inputs of ``kind`` (``random``, ``uneven_lengths``, ``given_state``) -> CaseInputs."""
    steps, batch = options.steps_batch
    tokens = x = None
    if chain.embedding is not None:
        tokens = rng.integers(0, chain.embedding.vocab_size, size=(steps, batch)).astype(np.int64)  # [T, B]
    else:
        x = _real(rng, (steps, batch, chain.input_size), precision, scale=2.0)  # [T, B, I]
    h0 = c0 = lengths = None
    if kind == "uneven_lengths":
        lengths = _lengths(rng, steps, batch)
    if kind == "given_state":
        h0 = _states(rng, chain.state_sizes, batch, precision)
        c0 = _states(rng, chain.cell_state_sizes, batch, precision)
    return CaseInputs(name=name, x=x, h0=h0, c0=c0, lengths=lengths, tokens=tokens)


def case_plan(count: int) -> list[tuple[str, str]]:
    """``[(kind, name)]``: random, uneven_lengths, given_state, then again with a number (``random_2``)."""
    plan = []
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        round_ = index // len(KINDS)
        plan.append((kind, kind if round_ == 0 else f"{kind}_{round_ + 1}"))
    return plan


def _one_line(exc: BaseException) -> str:
    """An exception as one line: our own errors as they read, a framework's with its type name."""
    first = (str(exc).strip().splitlines() or [""])[0]
    if isinstance(exc, (InputError, ModelImportError)):
        return first
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _ask(runner: Callable[..., Any], source: Path, inputs: CaseInputs, tolerance: Tolerance) -> Result:
    """The runner's answer for ``inputs``; with lengths, checked to honour them (:func:`_check_lengths`)."""
    result = runner(str(source), inputs)
    if not isinstance(result, Result):
        raise CliError(f"{source}: the oracle returned {type(result).__name__}, not a Result")
    if inputs.lengths is not None:
        _check_lengths(runner, source, inputs, result, tolerance)
    return result


def _sequence_alone(inputs: CaseInputs, b: int, length: int) -> CaseInputs:
    """Sequence ``b`` of ``inputs`` alone on its first ``length`` steps: ``[L_b, 1, ...]``, no lengths."""
    if inputs.tokens is not None:
        return inputs._replace(tokens=inputs.tokens[:length, b : b + 1], lengths=None)  # [L_b, 1]
    assert inputs.x is not None
    return inputs._replace(x=inputs.x[:length, b : b + 1], lengths=None)  # [L_b, 1, I]


def _rows(result: Result, b: int, length: int, last: bool) -> dict[str, np.ndarray]:
    """Sequence ``b``'s part of the per-step answers: ``output[:L_b, b]``, ``y[:L_b, b]`` or ``y[b]`` (readout last)."""
    rows = {}
    if result.output is not None:
        rows["output"] = np.asarray(result.output)[:length, b]  # [L_b, W]
    if result.y is not None:
        y = np.asarray(result.y)
        rows["y"] = y[b] if last else y[:length, b]  # [O] or [L_b, O]
    return rows


def _check_lengths(
    runner: Callable[..., Any], source: Path, inputs: CaseInputs, result: Result, tolerance: Tolerance
) -> None:
    """Refuse (:class:`InputError`, as for a source that takes no lengths) an answer that ignored them.

    The format defines ``lengths`` as each sequence run alone on its own valid prefix, padded steps 0;
    so sequence ``b``'s answer must be 0 past ``L_b`` and equal the source's own answer for its
    ``L_b`` steps alone (a source that cannot run that shape cannot be checked, and refuses too).
    """
    assert inputs.lengths is not None
    last = result.y is not None and np.asarray(result.y).ndim == 2  # y [B, O]: readout last
    for b, length in enumerate(int(n) for n in inputs.lengths):
        if result.output is not None and np.any(np.asarray(result.output)[length:, b] != 0):
            raise InputError(f"the oracle ignored lengths: output[t={length}, b={b}] is not 0 (a padded step)")
        try:
            alone = runner(str(source), _sequence_alone(inputs, b, length))
        except Exception as exc:  # whatever the framework says (e.g. ORT's fixed input shape): unverifiable
            why = _one_line(exc)
            raise InputError(f"cannot check lengths: sequence {b} alone ({length} steps) was refused: {why}") from None
        batch_rows, alone_rows = _rows(result, b, length, last), _rows(alone, 0, length, last)
        for name, got in batch_rows.items():
            want = alone_rows.get(name)
            if want is None or got.shape != want.shape or np.any(np.abs(got - want) > tolerance.bound(want)):
                raise InputError(f"the oracle ignored lengths: {name} of sequence {b} differs from its steps run alone")


def answer_cases(
    conversion: Conversion, options: Options, runner: Callable[..., Any], advance: Callable[[], None]
) -> None:
    """Draw every case and have the source framework answer it.

    A kind of case the source cannot take (lengths or initial states its program has no input for) is
    refused by the runner with a :class:`ModelImportError` or :class:`InputError`: that case is drawn
    again as a plain ``random`` one and the reason is kept in ``conversion.notes``. The first case
    (plain) must be answered.
    """
    rng = np.random.default_rng(options.seed)
    refused: dict[str, str] = {}
    for index, (kind, name) in enumerate(case_plan(options.cases)):
        if kind in refused:
            kind, name = "random", f"{name}_as_random"
        inputs = draw_inputs(conversion.chain, kind, name, options, rng, conversion.precision)
        try:
            result = _ask(runner, conversion.source, inputs, conversion.tolerance)
        except CliError:
            raise
        except Exception as exc:  # the framework's own refusal (InputError, ModelImportError, or its own kind)
            why = _one_line(exc)
            if index == 0 or kind == "random":
                steps, batch = options.steps_batch
                raise CliError(
                    f"{conversion.source}: {conversion.framework.name} refused a case of T={steps}, B={batch}"
                    f" (--length, --batch set them): {why}"
                ) from None
            refused[kind] = why
            conversion.notes.append(f"{kind}: the source cannot take it ({why}); drawn as random instead")
            inputs = draw_inputs(conversion.chain, "random", f"{name}_as_random", options, rng, conversion.precision)
            result = _ask(runner, conversion.source, inputs, conversion.tolerance)
        conversion.cases.append(Case.answered(inputs, result))
        advance()


# -- the fixture -------------------------------------------------------------------------------------


def provenance(conversion: Conversion, options: Options) -> dict[str, Any]:
    """Where the expected values come from, recorded in the fixture."""
    framework = conversion.framework
    found = versions(framework)
    if framework.name == "onnx":  # ONNX Runtime, or onnx.reference where ORT has no kernel for the element type
        oracle = f"onnxruntime {found.get('onnxruntime', '?')} / onnx.reference {found.get('onnx', '?')}"
    else:
        oracle = f"{framework.packages[0]} {found.get(framework.packages[0], '?')}"
    oracle += f" {conversion.precision}"
    rule = "float64 oracle: rtol 1e-9, atol 1e-12" if conversion.precision == "float64" else "float32 oracle"
    return {
        "generator": GENERATOR,
        "oracle": oracle,
        "oracle_name": framework.name,
        "oracle_precision": conversion.precision,
        "framework": framework.name,
        "framework_versions": found,
        "source": conversion.source.name,
        "source_sha256": sha256_of(conversion.source),
        "tolerance_rule": f"{rule}: {conversion.tolerance.rule()}",
        "inputs": {"seed": options.seed, "length": options.length, "batch": options.batch},
        "notes": list(conversion.notes),
    }


def check_destination(out: Path) -> None:
    """Refuse an ``-o`` that cannot be written before any work, not after it."""
    if out.is_dir():
        raise CliError(f"{out}: cannot write the fixture: it is a folder")
    if not out.parent.is_dir():
        raise CliError(f"{out}: cannot write the fixture: no folder {out.parent}")
    if out.suffix != ".json":
        raise CliError(f"{out}: the fixture file must end in .json")


def fixture_name(out: Path) -> str:
    """The fixture's name: the file's stem, with what a name may not hold (``[A-Za-z0-9_.-]``, 100 at most) as ``_``."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", out.stem)[:100] or "converted"


def _progress() -> Progress:
    """A progress bar on stderr, only on a terminal; gone when done."""
    stderr = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=stderr, transient=True, disable=not stderr.is_terminal)


def convert_file(source: Path, out: Path, options: Options) -> Conversion:
    """Steps 1-4: import, draw, answer with the source framework, write. Raises CliError on refusal."""
    options.check()
    framework = framework_for(source)
    if not source.is_file():
        raise CliError(f"{source}: no such file")
    check_destination(out)
    with _progress() as progress:
        task = progress.add_task(f"importing {source.name}", total=None)
        chain = import_chain(source, framework)
        options = shape_for(options, source_extra(source, framework, chain))
        precision = oracle_precision(source, framework)
        conversion = Conversion(source, framework, chain, precision, tolerance_for(precision), options=options)
        runner = _interop(framework.runner, framework, source)
        progress.update(task, description=f"{framework.name} computes the expected values", total=options.cases)
        answer_cases(conversion, options, runner, lambda: progress.advance(task))
    conversion.provenance = provenance(conversion, options)
    description = f"converted from {source.name} by rnn-rosetta convert ({framework.name} oracle): {chain.describe()}"
    document = fixture_document(
        fixture_name(out), description, chain, conversion.cases, conversion.tolerance, conversion.provenance
    )
    write_fixture_file(out, document)
    return conversion


def convert(
    source: Path,
    out: Path,
    options: Options,
    backends: Sequence[str] | None = None,
    console: Console | None = None,
) -> int:
    """The whole command: convert, write, crosscheck, print the verdict; the exit status (0 or 1)."""
    from rnn_rosetta.backends import BACKENDS, available_backends, get_backend
    from rnn_rosetta.crosscheck import crosscheck

    console = console or Console()

    def say(text: str) -> None:  # plain text: no rich markup in paths or messages (``output[t=2, b=0]``)
        console.print(text, soft_wrap=True, markup=False, highlight=False)

    conversion = convert_file(source, out, options)
    steps, batch = conversion.options.steps_batch
    say(f"imported {source}: {conversion.chain.describe()}")
    say(f"oracle: {conversion.provenance['oracle']}; {conversion.tolerance.rule()}")
    say(f"cases (T={steps}, B={batch}): {', '.join(case.name for case in conversion.cases)}")
    for note in conversion.notes:
        say(f"note: {note}")
    say(f"wrote {out}")
    chosen = list(backends) if backends else list(available_backends())
    for name in BACKENDS:
        if name not in chosen and not backends:
            say(f"not checked: {name} ({get_backend(name).why_unavailable()})")
    status = crosscheck([out], chosen, repeats=1, console=console)
    oracle = conversion.framework.name
    if status == 0:
        say(f"verdict: {out} matches {oracle} in {', '.join(chosen)}")
    else:
        say(f"verdict: MISMATCH: a backend differs from {oracle} on {out} (see above)")
    return status

"""The body of `nox -s sanitize`: sanitizers, valgrind and a short fuzz of both fixture readers.

    python c/fuzz/run_sanitize.py [--fuzz-seconds 60] [--atheris-seconds 30] [--skip-build]
                                  [--only build,pytest,demo,valgrind,threads,fuzz]

Steps (each runs even when an earlier one failed; the exit status is 1 if any did):

1. build     make c sanitize-build fuzz-build tsan-build: c/build (for valgrind), c/build-san (ASan +
             UBSan library and demo, SAN_CC=clang by default), c/build-fuzz (libFuzzer harness),
             c/build-tsan (ThreadSanitizer driver).
2. pytest    the C-relevant tests against c/build-san/librnn_rosetta.so (and the fixture reader
             beside it), loaded into Python with the ASan runtime in LD_PRELOAD: tests/test_c_api.py,
             tests/test_c_fixture_library.py, tests/test_c_chain_api.py, tests/test_c_chain.py (the
             chain API and its numbers), tests/test_backward_c.py (backpropagation through time:
             rr_chain_forward_keep, rr_chain_backward, the tape), tests/test_bad_inputs.py (the C backend),
             tests/test_c_determinism.py (bits across calls, batch splits, threads), tests/test_c_step_alloc.py
             (the streaming step's bits and refusals) and
             `python -m rnn_rosetta crosscheck --backends numpy c` (every kernel and precision the C
             backend runs). Python's own allocations go through malloc too (PYTHONMALLOC=malloc), so
             ASan sees every buffer.
3. demo      the sanitized demo (LeakSanitizer on) on every committed fixture, in float64 and
             float32 where the demo has --dtype (exit 0), every entry of tests/bad_fixtures.py
             CATALOGUE (exit 2) and every file of tests/fuzz/regressions/; and the demo's other
             modes (mode_runs): --seed-table on every all-forward chain fixture with cases,
             --generate (sampled in float64, greedy in float32) and a 3-step --train (adam in
             float64 with --out, sgd in float32) on every fixture with a vocabulary.
4. valgrind  memcheck on the normal demo (c/build/rr_demo) over every committed fixture and the
             same mode runs: --error-exitcode=1 --leak-check=full, every leak kind an error.
5. threads   c/fuzz/tsan_threads.c under ThreadSanitizer: every cell x direction x precision with
             num_threads = 2 (the library's second thread), equal to the bit to one thread.
6. fuzz      seeds from c/fuzz/build_corpus.py; libFuzzer on the C reader and atheris on the
             Python loader, side by side (one core each). Corpora persist in c/build-fuzz/.

Any sanitizer report fails its step: reports are written under c/build-fuzz/logs/ (log_path),
so one in a child process is caught too. The output is one line per step; what the commands print
goes to c/build-fuzz/steps/*.log, and its tail is shown only when a step fails.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAN_BUILD = REPO / "c" / "build-san"
FUZZ_BUILD = REPO / "c" / "build-fuzz"
LOGS = FUZZ_BUILD / "logs"
STEP_LOGS = FUZZ_BUILD / "steps"
REGRESSIONS = REPO / "tests" / "fuzz" / "regressions"
STEPS = ("build", "pytest", "demo", "valgrind", "threads", "fuzz")

sys.path.insert(0, str(REPO))


@dataclass
class Outcome:
    name: str
    ok: bool = True
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def fail(self, note: str) -> None:
        self.ok = False
        self.notes.append(note)


def say(text: str) -> None:
    print(f"run_sanitize: {text}", flush=True)


def show_tail(text: str, lines: int = 60) -> None:
    """The last ``lines`` lines of a failed command's output."""
    print("\n".join(text.rstrip().splitlines()[-lines:]), flush=True)


def run(label: str, command: Sequence[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """``(exit status, output)``: the output goes to STEP_LOGS/label.log, not to the terminal, and its
    tail is printed only when the command fails."""
    STEP_LOGS.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        list(command), cwd=REPO, env=env, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    (STEP_LOGS / f"{label}.log").write_text(f"$ {' '.join(command)}\n{done.stdout}")
    if done.returncode != 0:
        say(f"failed (exit {done.returncode}): $ {' '.join(command)}")
        show_tail(done.stdout)
    return done.returncode, done.stdout


def last_line(text: str) -> str:
    """The last line of ``text``, with the indented lines that continue it."""
    lines = text.strip().splitlines()
    start = max((i for i, line in enumerate(lines) if line and not line[0].isspace()), default=0)
    return " ".join(" ".join(lines[start:]).split()).strip("= ") or "no output"


def sanitizer_runtime(compiler: str) -> list[str]:
    """The shared ASan (+UBSan) runtime(s) of ``compiler`` to put in LD_PRELOAD."""
    names = ["libclang_rt.asan-x86_64.so"] if "clang" in compiler else ["libasan.so", "libubsan.so"]
    found = []
    for name in names:
        path = subprocess.run([compiler, f"-print-file-name={name}"], capture_output=True, text=True, check=True)
        resolved = Path(path.stdout.strip())
        if not resolved.is_absolute() or not resolved.exists():
            raise SystemExit(f"run_sanitize: {compiler} has no {name} (install its sanitizer runtime)")
        found.append(str(resolved.resolve()))
    return found


def new_reports(before: set[Path]) -> list[Path]:
    return sorted(p for p in LOGS.glob("*") if p not in before)


# What makes a log file a report: ASan/LSan errors, UBSan's "runtime error", a SUMMARY line.
# (With allocator_may_return_null=1 ASan also logs a WARNING per failed huge allocation: those
# are the library's RR_E_NOMEM paths at work, not reports.)
REPORT = re.compile(r"ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:|^SUMMARY: ", re.MULTILINE)


def check_reports(outcome: Outcome, before: set[Path]) -> None:
    for log in new_reports(before):
        text = log.read_text(errors="replace")
        if REPORT.search(text):
            outcome.fail(f"sanitizer report {log.relative_to(REPO)}")
            print(f"----- {log.name} -----\n" + "\n".join(text.splitlines()[:80]), flush=True)


def sanitizer_options(leaks: bool) -> dict[str, str]:
    LOGS.mkdir(parents=True, exist_ok=True)
    asan = [
        f"detect_leaks={int(leaks)}",  # Python itself "leaks" at exit: leaks only for the demo
        "halt_on_error=1",
        "abort_on_error=0",
        "allocator_may_return_null=1",  # a huge request is the library's NOMEM, not an ASan abort
        f"log_path={LOGS / 'asan'}",
    ]
    ubsan = ["halt_on_error=1", "print_stacktrace=1", f"log_path={LOGS / 'ubsan'}"]
    return {"ASAN_OPTIONS": ":".join(asan), "UBSAN_OPTIONS": ":".join(ubsan)}


# -- 1. build --------------------------------------------------------------------


def step_build(outcome: Outcome, args: argparse.Namespace) -> None:
    command = ["make", "--no-print-directory", f"-j{args.jobs}", "c", "sanitize-build", "fuzz-build", "tsan-build"]
    code, _ = run("make", [*command, f"SAN_CC={args.san_cc}"])
    if code != 0:
        outcome.fail("make failed")


# -- 2. pytest and crosscheck against the sanitized library -------------------------


def python_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(sanitizer_options(leaks=False))
    env.update(
        LD_PRELOAD=":".join(sanitizer_runtime(args.san_cc)),
        PYTHONMALLOC="malloc",
        RR_C_LIBRARY=str(SAN_BUILD / "librnn_rosetta.so"),
        RR_C_DEMO=str(SAN_BUILD / "rr_demo"),
        RR_JAVA_JAR=str(SAN_BUILD / "no-java-in-a-sanitized-process.jar"),  # keeps the JVM out
    )
    env.pop("RR_STRICT", None)  # the Java tests skip here: they are not this session's
    return env


def step_pytest(outcome: Outcome, args: argparse.Namespace) -> None:
    env = python_env(args)
    before = set(LOGS.glob("*"))
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *(["-x"] if args.exitfirst else [])]
    crosscheck = [sys.executable, "-m", "rnn_rosetta", "crosscheck", "--backends", "numpy", "c", "--repeats", "1"]
    runs = [
        ("test_c_api", [*pytest, "tests/test_c_api.py"]),
        ("test_c_fixture_library", [*pytest, "tests/test_c_fixture_library.py"]),
        ("test_c_chain_api", [*pytest, "tests/test_c_chain_api.py"]),
        ("test_c_chain", [*pytest, "tests/test_c_chain.py"]),
        ("test_backward_c", [*pytest, "tests/test_backward_c.py"]),
        ("test_bad_inputs", [*pytest, "tests/test_bad_inputs.py", "-k", "not numpy and not java"]),
        # same bits every call, batch split and thread count (the 10^4-call run is too slow here)
        ("test_c_determinism", [*pytest, "tests/test_c_determinism.py", "-k", "not ten_thousand"]),
        ("test_c_avx512", [*pytest, "tests/test_c_avx512.py"]),  # skips by name on a CPU without AVX-512
        ("test_c_exact", [*pytest, "tests/test_c_exact.py"]),
        # the step's bits and refusals; its allocation counts replace malloc, which ASan owns
        ("test_c_step_alloc", [*pytest, "tests/test_c_step_alloc.py", "-k", "bits or refusals or python"]),
        ("crosscheck", crosscheck),
    ]
    for name, command in runs:
        code, output = run(name, command, env=env)
        outcome.notes.append(f"{name}: {last_line(output) if code == 0 else f'FAILED (exit {code})'}")
        if code != 0:
            outcome.fail(f"failed: {' '.join(command[1:])}")
    check_reports(outcome, before)


# -- 3. the sanitized demo on fixtures, the bad catalogue and the regressions --------


def demo_inputs(scratch: Path, dtypes: Sequence[str]) -> list[tuple[list[str], Path, str]]:
    """(extra arguments, file, rule): rule 'ok' = must exit 0, 'refuse' = must exit 2, 'any' = 0 or 2.
    Committed fixtures run in every precision in ``dtypes`` ('' = the demo's default)."""
    from tests.bad_fixtures import CATALOGUE, make

    inputs = []
    for path in sorted((REPO / "shared_fixtures").glob("*.json")):
        inputs += [(["--dtype", dtype] if dtype else [], path, "ok") for dtype in dtypes]
    for bad in CATALOGUE:
        path = scratch / f"bad_{bad.name}.json"
        path.write_bytes(make(bad))
        inputs.append(([], path, "refuse"))
    for path in sorted(REGRESSIONS.glob("*.json")):
        inputs.append(([], path, "refuse" if path.name.startswith(("refuse-", "c-")) else "any"))
    return inputs


def mode_runs() -> list[tuple[list[str], Path, str]]:
    """(extra arguments, file, 'ok') for the demo's --seed-table and --generate modes on the committed
    fixtures that have what each mode needs (docs/demo-output.md, docs/generation.md)."""
    import json

    runs: list[tuple[list[str], Path, str]] = []
    for path in sorted((REPO / "shared_fixtures").glob("*.json")):
        doc = json.loads(path.read_text("utf-8"))
        if doc.get("version") != 2 or not all(layer["direction"] == "forward" for layer in doc["model"]["layers"]):
            continue
        if doc["cases"]:
            runs.append((["--seed-table"], path, "ok"))
        if doc.get("vocabulary"):
            prime = "".join(doc["vocabulary"][:2])
            generate = ["--generate", "--prime", prime, "--length", "64", "--seed", "7"]
            runs.append(([*generate, "--temperature", "0.8"], path, "ok"))
            runs.append(([*generate, "--temperature", "0", "--dtype", "float32"], path, "ok"))
            train = ["--train", "--data", str(train_text(path, doc["vocabulary"])), "--steps", "3", "--batch", "2"]
            train += ["--bptt", "8", "--out", os.devnull]
            runs.append((train, path, "ok"))
            runs.append(([*train, "--optimizer", "sgd", "--dtype", "float32"], path, "ok"))
    return runs


def train_text(path: Path, vocabulary: list[str]) -> Path:
    """A short text of the fixture's own characters for the demo's --train runs (docs/training.md)."""
    text = Path(tempfile.gettempdir()) / f"rr_sanitize_train_{path.stem}.txt"
    text.write_text("".join(vocabulary) * 4, "utf-8")
    return text


def check_exit(outcome: Outcome, name: str, rule: str, code: int, stderr: str, tool: str) -> None:
    allowed = {"ok": (0,), "refuse": (2,), "any": (0, 2)}[rule]
    if code not in allowed:
        outcome.fail(f"{tool} {name}: exit {code}, expected {allowed}; {stderr.strip()[-300:]}")
    elif code == 2 and len(stderr.strip().splitlines()) != 1:
        outcome.fail(f"{tool} {name}: a refusal must be one line, got {stderr!r:.300}")


def step_demo(outcome: Outcome, args: argparse.Namespace) -> None:
    demo = SAN_BUILD / "rr_demo"
    env = dict(os.environ)
    env.update(sanitizer_options(leaks=True))
    env.pop("LD_PRELOAD", None)
    usage = subprocess.run([str(demo)], capture_output=True, text=True, env=env).stderr
    dtypes = ["", "float32"] if "--dtype" in usage else [""]
    before = set(LOGS.glob("*"))
    with tempfile.TemporaryDirectory() as scratch:
        inputs = demo_inputs(Path(scratch), dtypes) + mode_runs()

        def one(item: tuple[list[str], Path, str]) -> None:
            extra, path, rule = item
            done = subprocess.run([str(demo), *extra, str(path)], capture_output=True, text=True, env=env, timeout=120)
            name = " ".join([*extra, path.name])
            check_exit(outcome, name, rule, done.returncode, done.stderr, "rr_demo (sanitized)")

        with ThreadPoolExecutor(args.jobs) as pool:
            list(pool.map(one, inputs))
    outcome.notes.append(f"{len(inputs)} runs (committed fixtures in {' and '.join(d or 'float64' for d in dtypes)})")
    check_reports(outcome, before)


# -- 4. valgrind on the normal demo --------------------------------------------------


def step_valgrind(outcome: Outcome, args: argparse.Namespace) -> None:
    if shutil.which("valgrind") is None:
        outcome.fail("valgrind is not installed (apt-get install valgrind)")
        return
    demo = REPO / "c" / "build" / "rr_demo"
    command = [
        "valgrind", "-q", "--error-exitcode=99", "--leak-check=full", "--show-leak-kinds=all",
        "--errors-for-leak-kinds=all", str(demo),
    ]  # fmt: skip
    fixtures = sorted((REPO / "shared_fixtures").glob("*.json"))
    runs = [([], path) for path in fixtures] + [(extra, path) for extra, path, _ in mode_runs()]

    def one(run: tuple[list[str], Path]) -> None:
        extra, path = run
        name = " ".join([*extra, path.name])
        done = subprocess.run([*command, *extra, str(path)], capture_output=True, text=True, timeout=600)
        if done.returncode == 99 or "==" in done.stderr:
            outcome.fail(f"valgrind {name}: errors or leaks")
            show_tail(done.stderr)
        else:
            check_exit(outcome, name, "ok", done.returncode, done.stderr, "valgrind rr_demo")

    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(one, runs))
    outcome.notes.append(f"{len(fixtures)} fixtures, {len(runs) - len(fixtures)} --seed-table/--generate/--train runs")


# -- 5. ThreadSanitizer on the second thread --------------------------------------------


def step_threads(outcome: Outcome, args: argparse.Namespace) -> None:
    env = dict(os.environ, TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1")
    env.pop("LD_PRELOAD", None)
    done = subprocess.run([str(REPO / "c/build-tsan/tsan_threads")], capture_output=True, text=True, env=env)
    lines = done.stdout.strip().splitlines()
    outcome.notes.append(lines[-1] if lines else "no output")
    if done.returncode != 0:
        outcome.fail(f"tsan_threads exit {done.returncode} (66: a data race)")
        show_tail(done.stdout + done.stderr)


# -- 6. fuzz ---------------------------------------------------------------------------

STAT = re.compile(r"stat::(\w+):\s+(\d+)")
DONE = re.compile(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/")


def fuzz_summary(log: str) -> str:
    stats = dict(STAT.findall(log))
    done = DONE.search(log)
    parts = [f"{stats.get('number_of_executed_units', '?')} execs", f"{stats.get('average_exec_per_sec', '?')} exec/s"]
    if done:
        parts += [f"cov {done.group(2)}", f"ft {done.group(3)}", f"corpus {done.group(4)}"]
    return ", ".join(parts)


def step_fuzz(outcome: Outcome, args: argparse.Namespace) -> None:
    """Both fuzzers side by side, each from the seeds (a fresh corpus per run, so that a short
    run spends its time fuzzing, not re-reading what earlier runs kept)."""
    seeds, artifacts = FUZZ_BUILD / "seeds", FUZZ_BUILD / "artifacts"
    reader_corpus, loader_corpus = FUZZ_BUILD / "run-corpus-reader", FUZZ_BUILD / "run-corpus-loader"
    loader_bugs = FUZZ_BUILD / "loader-bugs"
    for folder in (reader_corpus, loader_corpus, loader_bugs):
        shutil.rmtree(folder, ignore_errors=True)
    for folder in (reader_corpus, loader_corpus, loader_bugs, artifacts):
        folder.mkdir(parents=True, exist_ok=True)
    if run("build_corpus", [sys.executable, "c/fuzz/build_corpus.py", str(seeds)])[0] != 0:
        outcome.fail("cannot build the seed corpus")
        return
    dictionary = f"-dict={REPO / 'c/fuzz/fixture.dict'}"
    common = [dictionary, "-max_len=65536", "-print_final_stats=1", "-timeout=30", "-rss_limit_mb=2048"]
    reader = [
        str(FUZZ_BUILD / "fuzz_fixture_reader"), f"-max_total_time={args.fuzz_seconds}",
        f"-artifact_prefix={artifacts}/", *common, str(reader_corpus), str(seeds), str(REGRESSIONS),
    ]  # fmt: skip
    loader = [
        sys.executable, str(REPO / "tests/fuzz/fuzz_fixtures.py"), f"-max_total_time={args.atheris_seconds}",
        f"-artifact_prefix={artifacts}/py-", *common, str(loader_corpus), str(seeds), str(REGRESSIONS),
    ]  # fmt: skip
    reader_env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1")
    reader_env.pop("LD_PRELOAD", None)
    # the loader's harness goes on after a breach and lists each distinct one in loader_bugs
    loader_env = dict(os.environ, RR_FUZZ_CONTINUE=str(loader_bugs))
    loader_env.pop("LD_PRELOAD", None)
    jobs: list[tuple[str, list[str], dict[str, str]]] = []
    if args.fuzz_seconds > 0:
        jobs.append(("libFuzzer (C reader)", reader, reader_env))
    if args.atheris_seconds > 0:
        try:
            import atheris  # noqa: F401
        except ImportError:
            outcome.fail("atheris is not installed (pip install atheris)")
        else:
            jobs.append(("atheris (Python loader)", loader, loader_env))
    logs = {name: FUZZ_BUILD / f"{name.split()[0]}.log" for name, _, _ in jobs}
    processes = []
    for name, command, env in jobs:
        with logs[name].open("w") as handle:
            processes.append(
                (name, subprocess.Popen(command, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT))
            )
    for name, process in processes:
        code = process.wait()
        log = logs[name].read_text(errors="replace")
        summary = fuzz_summary(log)
        outcome.notes.append(f"{name}: {summary}")
        if code != 0:
            outcome.fail(f"{name} found a bug (exit {code}); see {logs[name].relative_to(REPO)}")
            show_tail("\n".join(line for line in log.splitlines() if not re.search(r"\b(NEW|REDUCE|pulse)\b", line)))
    for bug in sorted(loader_bugs.glob("bug-*.txt")):
        signature = bug.read_text(errors="replace").splitlines()[0]
        outcome.fail(f"Python loader: {signature} (input {bug.with_suffix('.json').relative_to(REPO)})")


# -- main ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz-seconds", type=int, default=60, help="libFuzzer run on the C reader (0: skip)")
    parser.add_argument("--atheris-seconds", type=int, default=30, help="atheris run on the Python loader (0: skip)")
    parser.add_argument("--san-cc", default=os.environ.get("SAN_CC", "clang"), help="compiler of c/build-san")
    parser.add_argument("--jobs", type=int, default=max(1, min(os.cpu_count() or 1, 4)))
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--exitfirst", action="store_true", help="pytest -x")
    parser.add_argument("--only", default=",".join(STEPS), help=f"comma-separated subset of {','.join(STEPS)}")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(chosen) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    if args.skip_build and "build" in chosen:
        chosen.remove("build")

    functions: dict[str, Callable[[Outcome, argparse.Namespace], None]] = {
        "build": step_build,
        "pytest": step_pytest,
        "demo": step_demo,
        "valgrind": step_valgrind,
        "threads": step_threads,
        "fuzz": step_fuzz,
    }  # fmt: skip
    outcomes = []
    start = time.monotonic()
    for name in STEPS:
        if name not in chosen:
            continue
        outcome = Outcome(name)
        began = time.monotonic()
        try:
            functions[name](outcome, args)
        except (OSError, subprocess.SubprocessError) as exc:
            outcome.fail(f"{type(exc).__name__}: {exc}")
        outcome.seconds = time.monotonic() - began
        outcomes.append(outcome)
        verdict = "ok  " if outcome.ok else "FAIL"
        say(f"{verdict} {name:<9} {outcome.seconds:6.1f} s  {'; '.join(outcome.notes)}")
        if name == "build" and not outcome.ok:
            break  # nothing else can run
    failed = [o.name for o in outcomes if not o.ok]
    total = f"{time.monotonic() - start:.1f} s"
    say(f"FAILED: {', '.join(failed)} ({total})" if failed else f"all {len(outcomes)} steps ok ({total})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

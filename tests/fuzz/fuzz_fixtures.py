"""atheris harness for the Python fixture loader, ``rnn_rosetta.fixtures.parse_fixture``.

    python tests/fuzz/fuzz_fixtures.py [libFuzzer flags] CORPUS_DIR [SEED_DIR ...]

Each input is the bytes of a fixture file; ``loader_contract.check_one`` says
what the loader owes it (a Fixture, or one FixtureError line; any other
exception escaping is a bug). A breach stops the run and atheris writes the
input to ``crash-*`` (see RR_FUZZ_CONTINUE below to go on). Half of the
mutations are structural: decode the JSON, change one field, encode again.

Seeds: ``python c/fuzz/build_corpus.py DIR`` (shared with the C reader's
fuzzer). Needs ``pip install atheris``. Not collected by pytest (no ``test_``
prefix); ``c/fuzz/run_sanitize.py`` runs it for a short while.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import traceback
from collections import deque
from pathlib import Path
from typing import Any

import atheris

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "python")]

with atheris.instrument_imports(include=["rnn_rosetta"]):
    from tests.fuzz.loader_contract import check_one

# -- a structure-aware mutator: most inputs stay JSON fixtures, one field off --

INTERESTING: tuple[Any, ...] = (
    0,
    1,
    2,
    3,
    -1,
    7,
    2**31,
    2**32,
    2**63,
    2**64,
    10**400,
    1048576,
    1048577,
    0.5,
    -0.0,
    1e308,
    1e-320,
    4.5,
    "",
    "x",
    "1",
    None,
    True,
    False,
    [],
    {},
    [[]],
    [0.0],
    {"a": 1},
)
CHOICES: dict[str, tuple[str, ...]] = {
    "cell": ("rnn", "lstm", "gru", "LSTM"),
    "direction": ("forward", "reverse", "bidirectional"),
    "nonlinearity": ("tanh", "relu"),
    "activation": ("identity", "softmax", "sigmoid"),
    "format": ("rnn-rosetta-fixture", "onnx"),
}
SIZES = ("input_size", "hidden_size", "num_layers", "proj_size", "version")
KEYS = (
    "weight_hr",
    "peephole_i",
    "peephole_f",
    "peephole_o",
    "head",
    "clip",
    "proj_size",
    "peepholes",
    "linear_before_reset",
    "nonlinearity",
    "h0",
    "c0",
    "lengths",
    "c_n",
    "y",
    "reverse",
    "forward",
)


def _slots(node: Any, out: list[tuple[Any, Any]], limit: int = 4000) -> None:
    """Every (container, key) pair under ``node``, breadth first, at most ``limit``."""
    queue = deque([node])
    while queue and len(out) < limit:
        current = queue.popleft()
        items = current.items() if isinstance(current, dict) else enumerate(current)
        for key, value in items:
            out.append((current, key))
            if isinstance(value, (dict, list)):
                queue.append(value)


def _mutate_document(doc: Any, rng: random.Random) -> bool:
    slots: list[tuple[Any, Any]] = []
    if isinstance(doc, (dict, list)):
        _slots(doc, slots)
    if not slots:
        return False
    parent, key = rng.choice(slots)
    value = parent[key]
    action = rng.randrange(7)
    if action == 0:
        parent[key] = rng.choice(INTERESTING)
    elif action == 1 and isinstance(key, str) and key in CHOICES:
        parent[key] = rng.choice(CHOICES[key])
    elif action == 1 and isinstance(key, str) and key in SIZES:
        parent[key] = rng.randrange(-1, 9)
    elif action == 2 and isinstance(value, (int, float)) and not isinstance(value, bool):
        parent[key] = rng.choice((value + 1, value - 1, -value, value * 2, value / 3, int(value)))
    elif action == 3 and isinstance(parent, dict):
        del parent[key]
    elif action == 3:
        parent.pop(key)
    elif action == 4 and isinstance(parent, list):
        parent.insert(key, json.loads(json.dumps(value)))
    elif action == 5 and isinstance(parent, dict):
        parent[rng.choice(KEYS)] = json.loads(json.dumps(rng.choice(list(parent.values()))))
    elif action == 6 and isinstance(value, list) and value:
        parent[key] = value[: rng.randrange(len(value))]
    else:
        parent[key] = rng.choice(INTERESTING)
    return True


def CustomMutator(data: bytes, max_size: int, seed: int) -> bytes:
    """Half the time a byte-level mutation; else one structural change to the decoded JSON."""
    rng = random.Random(seed)
    if rng.random() < 0.5:
        return atheris.Mutate(data, max_size)
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return atheris.Mutate(data, max_size)
    try:
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            if not _mutate_document(doc, rng):
                return atheris.Mutate(data, max_size)
        out = json.dumps(doc, separators=(",", ":")).encode()
    except (ArithmeticError, ValueError, RecursionError):  # e.g. int(inf), huge int / 3
        return atheris.Mutate(data, max_size)
    return out if len(out) <= max_size else atheris.Mutate(data, max_size)


# With RR_FUZZ_CONTINUE=DIR a breach does not stop the run (for long runs that
# should find more than the first bug): the first input of each distinct breach
# (exception type + innermost frame in rnn_rosetta) goes to DIR as
# bug-<hash>.json with its traceback in bug-<hash>.txt, and the run goes on.
CONTINUE_DIR = os.environ.get("RR_FUZZ_CONTINUE")
_seen: set[str] = set()


def _signature(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "rnn_rosetta" in f.filename]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].name}:{frames[-1].lineno}" if frames else "harness"
    return f"{type(exc).__name__} at {where}"


def TestOneInput(data: bytes) -> None:
    if CONTINUE_DIR is None:
        check_one(data)
        return
    try:
        check_one(data)
    except Exception as exc:
        signature = _signature(exc)
        if signature in _seen:
            return
        _seen.add(signature)
        name = hashlib.sha1(signature.encode()).hexdigest()[:12]
        folder = Path(CONTINUE_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"bug-{name}.json").write_bytes(data)
        (folder / f"bug-{name}.txt").write_text(signature + "\n\n" + "".join(traceback.format_exception(exc)))
        print(f"fuzz_fixtures: new breach {signature} -> {folder / f'bug-{name}.json'}", flush=True)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput, custom_mutator=CustomMutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

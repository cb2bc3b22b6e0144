"""Write ``shared_fixtures/*.json`` from the specs, or check that the committed copies are fresh.

``--check`` regenerates every fixture in memory and compares it with the
committed file: the model, inputs, tolerance and provenance must be equal
exactly; the expected values must agree within a tenth of the fixture's
tolerance (an oracle's last bits depend on the CPU's SIMD path, so a
byte-for-byte rule would fail on another machine with nothing stale).

The ``keras_*`` fixtures need Keras (on the torch backend). Where it is missing, RR_STRICT=1 (nox, CI)
makes that an error naming them; otherwise they are skipped with a warning line, never silently.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import track

from rnn_rosetta import paths
from rnn_rosetta.fixture_writer import dump_document
from rnn_rosetta.fixturegen.build import build_document
from rnn_rosetta.fixturegen.chain_build import build_chain_document
from rnn_rosetta.fixturegen.chain_specs import CHAIN_SPECS, ChainSpec
from rnn_rosetta.fixturegen.gradient_build import backward_differences
from rnn_rosetta.fixturegen.keras_build import build_keras_document, keras_missing
from rnn_rosetta.fixturegen.keras_specs import KERAS_SPECS, KerasSpec
from rnn_rosetta.fixturegen.program_specs import ProgramSpec
from rnn_rosetta.fixturegen.seed_fixtures import SEED_SPECS
from rnn_rosetta.fixturegen.specs import SPECS, FixtureSpec

FIX_COMMAND = "nox -s fixtures"


def expected_differences(committed: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Where ``committed`` is stale against ``fresh`` (empty when it is fresh)."""
    problems = []
    strip = {key: value for key, value in fresh.items() if key != "cases"}
    old_strip = {key: value for key, value in committed.items() if key != "cases"}
    if strip != old_strip:
        keys = sorted(k for k in strip.keys() | old_strip.keys() if strip.get(k) != old_strip.get(k))
        problems.append(f"differs in {', '.join(keys)}")
    old_cases, new_cases = committed.get("cases", []), fresh["cases"]
    if [c.get("name") for c in old_cases] != [c["name"] for c in new_cases]:
        return [*problems, "the list of cases differs"]
    tolerance = fresh["tolerance"]
    for old, new in zip(old_cases, new_cases, strict=True):
        if old.get("inputs") != new["inputs"]:
            problems.append(f"case {new['name']}: inputs differ")
        problems += backward_differences(old, new, tolerance)
        if sorted(old.get("expected", {})) != sorted(new["expected"]):
            problems.append(f"case {new['name']}: expected fields differ")
            continue
        for field, values in new["expected"].items():
            old_values = old["expected"][field]
            want, got = _numbers(values), _numbers(old_values)
            bound = (tolerance["atol"] + tolerance["rtol"] * np.abs(want)) / 10
            if _layout(values) != _layout(old_values) or not (np.abs(got - want) <= bound).all():
                problems.append(f"case {new['name']}: expected {field} differs from the oracle's answer")
    return problems


def _layout(values: Any) -> Any:
    """The nesting of a JSON array (lengths at every level): states of a chain may be ragged across slots."""
    return (
        [_layout(v) for v in values]
        if isinstance(values, list) and values and isinstance(values[0], list)
        else (len(values) if isinstance(values, list) else None)
    )


def _numbers(values: Any) -> np.ndarray:
    """Every number of a (possibly ragged) nested JSON array, in order."""
    if isinstance(values, list):
        parts = [_numbers(v) for v in values]
        return np.concatenate(parts) if parts else np.zeros(0)
    return np.array([float(values)])


Spec = FixtureSpec | ChainSpec | KerasSpec | ProgramSpec


def _all_specs() -> list[Spec]:
    return [*SPECS, *CHAIN_SPECS, *KERAS_SPECS, *SEED_SPECS]


def _document(spec: Spec) -> dict[str, Any]:
    if isinstance(spec, ProgramSpec):
        return spec.build()
    if isinstance(spec, KerasSpec):
        return build_keras_document(spec)
    return build_chain_document(spec) if isinstance(spec, ChainSpec) else build_document(spec)


def _without_keras(specs: list[Spec]) -> tuple[list[Spec], list[str], bool]:
    """``specs`` less the Keras ones when Keras cannot run here, the names left out and whether that is fatal."""
    wanted = [s.name for s in specs if isinstance(s, KerasSpec)]
    reason = keras_missing() if wanted else None
    if reason is None:
        return specs, [], False
    strict = bool(os.environ.get("RR_STRICT"))
    verdict = "error (RR_STRICT=1)" if strict else "skipped (RR_STRICT=1 makes this an error)"
    print(f"{reason}: cannot make {', '.join(wanted)}: {verdict}", file=sys.stderr)
    return [s for s in specs if not isinstance(s, KerasSpec)], wanted, strict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn_rosetta.fixturegen", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="regenerate in memory and fail on stale files")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these fixtures")
    parser.add_argument("--out", type=Path, default=paths.fixtures_dir(), help="fixture folder (%(default)s)")
    args = parser.parse_args(argv)
    specs = [s for s in _all_specs() if args.only is None or s.name in args.only]
    unknown = set(args.only or ()) - {s.name for s in specs}
    if unknown:
        parser.error(f"no fixture spec named {', '.join(sorted(unknown))}")
    specs, skipped, fatal = _without_keras(specs)
    if fatal:
        return 1
    stale = []
    for spec in track(specs, description="fixtures", transient=True, disable=not sys.stderr.isatty()):
        document = _document(spec)
        path = args.out / f"{spec.name}.json"
        if args.check:
            if not path.exists():
                stale.append(f"{path}: missing")
                continue
            committed = json.loads(path.read_text("utf-8"))
            stale += [f"{path}: {problem}" for problem in expected_differences(committed, document)]
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump_document(document), "utf-8")
    if args.check and args.only is None:
        known = {f"{s.name}.json" for s in _all_specs()}  # a skipped Keras fixture is still known
        stale += [f"{p}: no spec makes this file" for p in sorted(args.out.glob("*.json")) if p.name not in known]
    if stale:
        for line in stale:
            print(line, file=sys.stderr)
        print(f"{len(stale)} stale fixture problem(s); run `{FIX_COMMAND}` to regenerate", file=sys.stderr)
        return 1
    verb = "fresh" if args.check else "written to " + str(args.out)
    print(f"{len(specs)} fixtures {verb}" + (f" ({len(skipped)} Keras fixtures skipped)" if skipped else ""))
    return 0

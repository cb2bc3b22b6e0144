"""Regenerate the committed accuracy cases: ``python -m rnn_rosetta.accuracy.generate [NAME ...] [--out DIR]``.

Each case of :data:`rnn_rosetta.accuracy.cases.SPECS` is built from its seed and answered by the mpmath
oracle (200 bits) in float64 and float32; the files are rewritten only when their content changes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnn_rosetta.accuracy.answers import exact_answer
from rnn_rosetta.accuracy.arithmetic import MPMATH_BITS
from rnn_rosetta.accuracy.case_files import DTYPES_STORED, case_document, cases_dir
from rnn_rosetta.accuracy.cases import SPECS, AccuracySpec, spec_named
from rnn_rosetta.fixture_data import Case
from rnn_rosetta.fixture_writer import dump_document, fixture_document
from rnn_rosetta.result import Result

ORACLE = f"mpmath {MPMATH_BITS} bits"


def build_document(spec: AccuracySpec) -> dict[str, Any]:
    """The case file's document: the fixture (expected = the float64 nearest the exact values) and hi/lo."""
    model, given = spec.build()
    exact = {dtype: exact_answer(model, given, dtype, "mpmath") for dtype in DTYPES_STORED}
    nearest = {name: hi for name, (hi, _) in exact["float64"].items()}
    case = Case(given.name, given.x, given.h0, given.c0, given.lengths, Result(**nearest))
    provenance = {"generator": "rnn_rosetta.accuracy.generate", "seed": spec.seed, "oracle": ORACLE}
    fixture = fixture_document(spec.name, spec.description, model, [case], (1e-15, 1e-300), provenance)
    return case_document(spec.name, spec.description, ORACLE, fixture, exact)


def write_case(spec: AccuracySpec, folder: Path) -> tuple[Path, bool]:
    """Write ``folder/<name>.json``; (path, changed)."""
    path = folder / f"{spec.name}.json"
    text = dump_document(build_document(spec))
    if path.is_file() and path.read_text("utf-8") == text:
        return path, False
    path.write_text(text, "utf-8")
    return path, True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn_rosetta.accuracy.generate", description=__doc__)
    parser.add_argument("names", nargs="*", help="cases to regenerate (default: all)")
    parser.add_argument("--out", type=Path, default=None, help="folder (default: tests/data/accuracy)")
    args = parser.parse_args(argv)
    folder = cases_dir() if args.out is None else args.out
    folder.mkdir(parents=True, exist_ok=True)
    try:
        specs = [spec_named(name) for name in args.names] if args.names else list(SPECS)
    except KeyError as exc:
        print(f"generate: {exc.args[0]}", file=sys.stderr)
        return 2
    for spec in specs:
        start = time.perf_counter()
        path, changed = write_case(spec, folder)
        print(f"{path}: {'written' if changed else 'unchanged'} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

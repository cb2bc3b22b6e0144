"""Write a seed corpus for the fixture fuzzers (C reader and Python loader).

    python c/fuzz/build_corpus.py OUT_DIR [--max-bytes N]

The seeds are the committed fixtures, each also in small forms (numbers rounded
to 3 significant digits, no whitespace, one case: the first, and each case with
lengths or initial states moved to the front, since the C reader reads only the
first) so that every kind of model fits under the fuzzer's -max_len; every
entry of the broken-fixture catalogue (tests/bad_fixtures.py; a big one is the
same mutation of the compact base); and a few hand-written edge cases. Files
still larger than --max-bytes are cut to that size (the fuzzer would cut them
anyway). Names are stable, so rerunning overwrites rather than adds.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))  # for tests.bad_fixtures

from tests.bad_fixtures import CATALOGUE, base_document, make  # noqa: E402

DEFAULT_MAX_BYTES = 65536


def _rounded(node: Any) -> Any:
    """``node`` with every float rounded to 3 significant digits."""
    if isinstance(node, float):
        return float(f"{node:.3g}")
    if isinstance(node, list):
        return [_rounded(child) for child in node]
    if isinstance(node, dict):
        return {key: _rounded(value) for key, value in node.items()}
    return node


def compact(document: dict[str, Any]) -> dict[str, Any]:
    """Still a valid fixture, a third of the size: numbers rounded, no provenance or description."""
    small = _rounded(copy.deepcopy(document))
    small.pop("provenance", None)
    small.pop("description", None)
    return small


def encode(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def small_forms(stem: str, document: dict[str, Any]) -> dict[str, bytes]:
    """The compact fixture with one case: the first, and each later one that has lengths or
    initial states, moved to the front (the C reader reads only the first case)."""
    small = compact(document)
    cases = small.get("cases", [])
    forms = {f"small_{stem}": encode({**small, "cases": cases[:1]})}
    for index, case in enumerate(cases[1:], start=1):
        inputs = case.get("inputs", {})
        if any(inputs.get(key) is not None for key in ("lengths", "h0", "c0")):
            forms[f"small_{stem}_case{index}"] = encode({**small, "cases": [case]})
    return forms


def bad_seed(bad: Any, max_bytes: int) -> bytes:
    """The catalogue entry; when it is too big, the same mutation of the compact base."""
    data = make(bad)
    if len(data) <= max_bytes:
        return data
    result = bad.mutate(compact(base_document(bad.base)))
    return result if isinstance(result, bytes) else encode(result)


def hand_written() -> dict[str, bytes]:
    """Edge cases the catalogue does not spell out."""
    tiny_model = {
        "cell": "rnn",
        "input_size": 1,
        "hidden_size": 1,
        "num_layers": 1,
        "direction": "forward",
        "layers": [{"forward": {"weight_ih": [[0.5]], "weight_hh": [[0.5]], "bias_ih": [0], "bias_hh": [0]}}],
    }
    tiny = {
        "format": "rnn-rosetta-fixture",
        "version": 1,
        "name": "tiny",
        "model": tiny_model,
        "cases": [{"name": "c", "inputs": {"x": [[[1]]]}, "expected": {"output": [[[0.46]]], "h_n": [[[0.46]]]}}],
        "tolerance": {"rtol": 1e-12, "atol": 1e-13},
    }
    no_cases = {**tiny, "cases": []}
    return {
        "hand_tiny": json.dumps(tiny).encode(),
        "hand_no_cases": json.dumps(no_cases).encode(),
        "hand_duplicate_key": json.dumps(tiny).replace('"version": 1', '"version": 1, "version": 2').encode(),
        "hand_bom": b"\xef\xbb\xbf" + json.dumps(tiny).encode(),
        "hand_nul": json.dumps(tiny).encode() + b"\x00",
        "hand_long_number": json.dumps(tiny).replace("0.5]", "0." + "5" * 400 + "]", 1).encode(),
        "hand_escapes": json.dumps(tiny).replace('"tiny"', '"t\\u0000i\\ud83d\\ude00\\n"').encode(),
        "hand_lone_surrogate": json.dumps(tiny).replace('"tiny"', '"\\udc00"').encode(),
        "hand_big_int": json.dumps(tiny).replace('"hidden_size": 1', '"hidden_size": 1' + "0" * 30).encode(),
        "hand_neg_zero": json.dumps(tiny).replace('"version": 1', '"version": -0.0').encode(),
        "hand_exponent": json.dumps(tiny).replace('"input_size": 1', '"input_size": 1e0').encode(),
    }


def build(out: Path, max_bytes: int) -> int:
    out.mkdir(parents=True, exist_ok=True)
    seeds: dict[str, bytes] = {}
    for path in sorted((REPO_ROOT / "shared_fixtures").glob("*.json")):
        raw = path.read_bytes()
        seeds[f"fixture_{path.stem}"] = raw
        seeds.update(small_forms(path.stem, json.loads(raw)))
    for bad in CATALOGUE:
        seeds[f"bad_{bad.name}"] = bad_seed(bad, max_bytes)
    seeds.update(hand_written())
    for name, data in seeds.items():
        (out / f"{name}.json").write_bytes(data[:max_bytes])
    print(f"{len(seeds)} seeds in {out} (each at most {max_bytes} bytes)")
    return len(seeds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    args = parser.parse_args(argv)
    build(args.out, args.max_bytes)
    return 0


if __name__ == "__main__":
    sys.exit(main())

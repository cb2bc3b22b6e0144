"""The committed fixtures are exactly what `nox -s fixtures` makes today (needs PyTorch)."""

from __future__ import annotations

import copy
import json

import pytest

from rnn_rosetta import paths
from rnn_rosetta.fixturegen.build import build_document
from rnn_rosetta.fixturegen.generate import expected_differences, main
from rnn_rosetta.fixturegen.specs import spec_by_name
from tests.conftest import require_torch


def test_committed_fixtures_are_fresh(capsys: pytest.CaptureFixture[str]) -> None:
    require_torch()
    status = main(["--check"])
    assert status == 0, capsys.readouterr().err


def test_a_stale_value_is_caught_and_the_fix_is_named(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    require_torch()
    spec = spec_by_name("lstm_small")
    committed = json.loads((paths.fixtures_dir() / "lstm_small.json").read_text())
    stale = copy.deepcopy(committed)
    stale["cases"][1]["expected"]["h_n"][0][2][3] += 1e-9
    assert expected_differences(committed, build_document(spec)) == []
    problems = expected_differences(stale, build_document(spec))
    assert problems == ["case given_state: expected h_n differs from the oracle's answer"]
    (tmp_path / "lstm_small.json").write_text(json.dumps(stale))
    assert main(["--check", "--only", "lstm_small", "--out", str(tmp_path)]) == 1
    assert "run `nox -s fixtures` to regenerate" in capsys.readouterr().err

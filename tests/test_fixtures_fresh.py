"""The committed fixtures are exactly what `nox -s fixtures` makes today (needs PyTorch; keras_*.json need Keras)."""

from __future__ import annotations

import copy
import json

import pytest

from rnn_rosetta import paths
from rnn_rosetta.fixturegen import generate
from rnn_rosetta.fixturegen.build import build_document
from rnn_rosetta.fixturegen.generate import expected_differences, main
from rnn_rosetta.fixturegen.keras_build import keras_missing
from rnn_rosetta.fixturegen.keras_specs import KERAS_SPECS
from rnn_rosetta.fixturegen.specs import spec_by_name
from tests.conftest import require_torch, skip_or_fail

KERAS_NAMES = [spec.name for spec in KERAS_SPECS]


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


# -- the Keras-oracle fixtures (keras_*.json) need Keras: never skipped silently ----------------------


def require_keras() -> None:
    """Keras on the torch backend, or a skip (a failure under RR_STRICT=1) naming why not."""
    reason = keras_missing()
    if reason is not None:
        skip_or_fail(reason)


def test_the_keras_fixtures_are_fresh(capsys: pytest.CaptureFixture[str]) -> None:
    require_torch()
    require_keras()
    assert main(["--check", "--only", *KERAS_NAMES]) == 0, capsys.readouterr().err
    assert f"{len(KERAS_NAMES)} fixtures fresh" in capsys.readouterr().out


def test_without_keras_rr_strict_fails_naming_the_keras_fixtures(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(generate, "keras_missing", lambda: "Keras is not installed (pip install 'rnn-rosetta[keras]')")
    monkeypatch.setenv("RR_STRICT", "1")
    assert main(["--check", "--only", *KERAS_NAMES]) == 1
    err = capsys.readouterr().err
    assert "Keras is not installed" in err and "error (RR_STRICT=1)" in err
    assert all(name in err for name in KERAS_NAMES)
    assert main(["--only", "keras_seed_stack", "--out", "/nonexistent/never-written"]) == 1  # generation too


def test_without_keras_and_without_rr_strict_they_are_skipped_loudly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(generate, "keras_missing", lambda: "Keras is not installed (pip install 'rnn-rosetta[keras]')")
    monkeypatch.delenv("RR_STRICT", raising=False)
    assert main(["--check", "--only", *KERAS_NAMES]) == 0
    captured = capsys.readouterr()
    assert "skipped (RR_STRICT=1 makes this an error)" in captured.err
    assert f"0 fixtures fresh ({len(KERAS_NAMES)} Keras fixtures skipped)" in captured.out


def test_keras_missing_names_a_foreign_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    reason = keras_missing()
    assert reason is not None and "'jax'" in reason

"""The committed fixtures are what the seeded generator and an independent oracle say.

No PyTorch is needed here: weights and inputs are re-derived from the seed
with numpy, and the expected values are re-checked by a second oracle (the
ONNX reference evaluator in float64, ONNX Runtime in float32) wherever one
can express the model. The full regeneration with PyTorch is in
``test_fixtures_fresh.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import oracles, paths
from rnn_rosetta.compare import Tolerance, compare
from rnn_rosetta.fixturegen.build import build_model_and_inputs
from rnn_rosetta.fixturegen.chain_specs import CHAIN_SPECS
from rnn_rosetta.fixturegen.keras_build import keras_inputs
from rnn_rosetta.fixturegen.keras_specs import KERAS_SPECS
from rnn_rosetta.fixturegen.seed_fixtures import SEED_SPECS
from rnn_rosetta.fixturegen.specs import SPECS, spec_by_name
from rnn_rosetta.model import Model
from rnn_rosetta.oracles import TOLERANCES
from tests.conftest import FIXTURE_IDS


def test_every_spec_has_a_committed_file() -> None:
    assert sorted(s.name for s in SPECS) == FIXTURE_IDS
    committed = sorted(p.stem for p in paths.fixtures_dir().glob("*.json"))
    assert sorted(s.name for s in (*SPECS, *CHAIN_SPECS, *KERAS_SPECS, *SEED_SPECS)) == committed


@pytest.mark.parametrize("spec", KERAS_SPECS, ids=[s.name for s in KERAS_SPECS])
def test_keras_fixture_inputs_match_their_seed(spec) -> None:  # type: ignore[no-untyped-def]
    """Re-derived with numpy alone (no Keras): the inputs, the seeds and what the provenance names."""
    fixture = rr.load_fixture(paths.fixtures_dir() / f"{spec.name}.json")
    provenance = fixture.provenance
    assert (provenance["seed"], provenance["input_seed"]) == (spec.seed, spec.input_seed)
    assert provenance["oracle_name"] == "keras" and provenance["keras_backend"] == "torch"
    assert provenance["oracle"].startswith("keras ") and " float64 " in provenance["oracle"]
    assert "float32" not in provenance["oracle"]  # the crosscheck reads the oracle's precision from it
    assert [c.name for c in fixture.cases] == [c.name for c in spec.cases]
    for case, fresh in zip(fixture.cases, keras_inputs(spec), strict=True):
        assert case.h0 is None and case.c0 is None and case.lengths is None  # Keras takes none of them
        for label in ("x", "tokens"):
            np.testing.assert_array_equal(getattr(case, label), getattr(fresh, label), err_msg=f"{spec.name} {label}")
        assert set(case.expected.fields()) == {"y"}  # Keras gives the model's final output only


@pytest.mark.parametrize("name", FIXTURE_IDS)
def test_weights_and_inputs_match_the_seeded_generator(name: str, loaded_fixtures: dict[str, rr.Fixture]) -> None:
    fixture = loaded_fixtures[name]
    spec = spec_by_name(name)
    model, inputs = build_model_and_inputs(spec)
    assert fixture.provenance["seed"] == spec.seed
    assert fixture.model.describe() == model.describe()
    for committed, fresh in zip(fixture.model.layers, model.layers, strict=True):
        for (dir_a, w_a), (dir_b, w_b) in zip(committed.directions(), fresh.directions(), strict=True):
            assert dir_a == dir_b
            for key, value in w_b.arrays().items():
                np.testing.assert_array_equal(w_a.arrays()[key], value, err_msg=f"{name} {dir_a}.{key}")
    assert [c.name for c in fixture.cases] == [c.name for c in inputs]
    for case, fresh_case in zip(fixture.cases, inputs, strict=True):
        for label in ("x", "h0", "c0", "lengths"):
            np.testing.assert_array_equal(getattr(case, label), getattr(fresh_case, label), err_msg=f"{name} {label}")


def _torch_free_oracles(fixture: rr.Fixture) -> list[str]:
    """The oracles other than PyTorch that can express the fixture's model.

    For a fixture PyTorch made, these are second, independent oracles; for one
    an ONNX oracle made, the same oracle re-answers (a staleness check).
    """
    return [o for o in ("onnx-reference", "onnxruntime") if oracles.why_not(o, fixture.model) is None]


@pytest.mark.parametrize("name", FIXTURE_IDS)
def test_expected_values_agree_with_onnx_oracles(name: str, loaded_fixtures: dict[str, rr.Fixture]) -> None:
    fixture = loaded_fixtures[name]
    checkers = _torch_free_oracles(fixture)
    if not fixture.cases:
        return
    # Only LSTM projection has no ONNX oracle; PyTorch re-checks it in test_fixtures_fresh.py.
    assert checkers or fixture.model.proj_size, f"{name}: no ONNX oracle can express {fixture.model.describe()}"
    primary = fixture.provenance["oracle_name"]
    for oracle in checkers:
        tolerance = Tolerance(
            rtol=max(TOLERANCES[oracle]["rtol"], TOLERANCES[primary]["rtol"]),
            atol=max(TOLERANCES[oracle]["atol"], TOLERANCES[primary]["atol"]),
        )
        for case in fixture.cases:
            answer = oracles.expected(oracle, fixture.model, case.x, case.h0, case.c0, case.lengths)
            comparison = compare(answer, case.expected, tolerance)
            assert comparison.ok, f"{name} / {case.name} / {oracle} vs committed: " + (
                comparison.problem or comparison.mismatch.describe(tolerance)  # type: ignore[union-attr]
            )


def _without(model: Model, **changes: object) -> Model:
    return Model(**{**model.__dict__, **changes})


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("lstm_clip", {"clip": None}),
        ("gru_clip", {"clip": None}),
        ("rnn_clip", {"clip": None}),
        ("gru_cho", {"linear_before_reset": True}),
        ("gru_small", {"linear_before_reset": False}),
        ("rnn_relu_small", {"nonlinearity": "tanh"}),
        ("lstm_reverse", {"direction": "forward"}),
    ],
)
def test_fixtures_pin_their_option(
    name: str, change: dict[str, object], loaded_fixtures: dict[str, rr.Fixture]
) -> None:
    """Getting the option wrong (as exporters do) must fail the fixture, not pass silently."""
    fixture = loaded_fixtures[name]
    model = fixture.model
    if "direction" in change:  # the same weights, read in the other direction
        layers = tuple(rr.Layer(forward=layer.reverse) for layer in model.layers)
        wrong = _without(model, layers=layers, **change)
    else:
        wrong = _without(model, **change)
    net = rr.get_backend("numpy").load(wrong)
    failures = [
        c.name
        for c in fixture.cases
        if not compare(net.forward(c.x, c.h0, c.c0, c.lengths), c.expected, fixture.tolerance).ok
    ]
    assert failures, f"{name}: every case still passes with {change}"


def test_peepholes_matter(loaded_fixtures: dict[str, rr.Fixture]) -> None:
    fixture = loaded_fixtures["lstm_peepholes"]
    layers = tuple(
        rr.Layer(forward=rr.DirectionWeights(**{**layer.forward.__dict__, "peephole_o": layer.forward.peephole_o * 0}))
        for layer in fixture.model.layers
        if layer.forward is not None
    )
    net = rr.get_backend("numpy").load(_without(fixture.model, layers=layers))
    case = fixture.cases[1]
    assert not compare(net.forward(case.x, case.h0, case.c0), case.expected, fixture.tolerance).ok

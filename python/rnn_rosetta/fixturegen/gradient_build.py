"""Turn a :class:`GradientSpec` into a version-2 fixture whose cases carry ``backward`` blocks.

Random draws come from ``numpy.random.default_rng(spec.seed)`` in this order: the embedding (normal,
sd 0.7), every layer's arrays (layer by layer, forward before reverse, in fixture order, uniform in
``+-weight_scale``), every dense layer's weight then bias (uniform in +-0.8 and +-0.5), then per case:
``x`` (standard normal times ``x_scale``) or ``tokens``, the ``h0`` slots, the ``c0`` slots (uniform in
+-1, when given), then the ``d_*`` the case gives, in the order d_output, d_h_n slots, d_c_n slots, d_y
(uniform in +-1).

The oracle is PyTorch float64 (:func:`~rnn_rosetta.fixturegen.torch_backward.torch_gradients`): the forward
results and, by autograd, the gradients of ``L = sum(d_output * output) + sum(d_h_n * h_n) + sum(d_c_n *
c_n) + sum(d_y * y)``.

Tolerance ``rtol 1e-10, atol 1e-12`` (the forward fixtures use 1e-12, 1e-13): a gradient is a sum over
every time step and every path back through the recurrence, and each backend sums in its own order
(matrix products transposed, steps accumulated in reverse), so where terms of opposite sign cancel the
result keeps fewer correct digits than any term; agreement to ten significant digits, or 1e-12 absolute
near zero, still tells a wrong derivative (off by a factor, a sign, a step) from rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.fixture_data import Case, CaseBackward, CaseInputs
from rnn_rosetta.fixture_writer import fixture_document
from rnn_rosetta.fixturegen.gradient_specs import GRADIENT_SPECS, GradCase, GradientSpec, GradLayer
from rnn_rosetta.fixturegen.program_specs import ProgramSpec
from rnn_rosetta.fixturegen.torch_backward import torch_gradients
from rnn_rosetta.model import PEEPHOLE_NAMES, DirectionWeights, Layer, Model
from rnn_rosetta.model_rules import check_model
from rnn_rosetta.result import States

GENERATOR = "python -m rnn_rosetta.fixturegen (nox -s fixtures)"
TOLERANCE = {"rtol": 1e-10, "atol": 1e-12}


def _layer(rng: np.random.Generator, spec: GradLayer, reads: int, scale: float) -> Model:
    skeleton = Model(
        cell=spec.cell, input_size=reads, hidden_size=spec.hidden, num_layers=1, direction=spec.direction,
        layers=(), nonlinearity=spec.nonlinearity, linear_before_reset=spec.linear_before_reset,
        proj_size=spec.proj_size, peepholes=spec.peepholes, clip=spec.clip,
    )  # fmt: skip
    shapes = skeleton.expected_shapes(0)
    order = [n for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr", *PEEPHOLE_NAMES) if n in shapes]
    directions = {
        name: DirectionWeights(**{key: rng.uniform(-scale, scale, size=shapes[key]) for key in order})
        for name in skeleton.direction_names
    }
    return Model(**{**skeleton.__dict__, "layers": (Layer(**directions),)})


def build_gradient_chain(spec: GradientSpec, rng: np.random.Generator) -> Chain:
    """The spec's chain with seeded weights (draws from ``rng`` in the documented order)."""
    embedding = None
    if spec.vocab_size is not None:
        embedding = Embedding(rng.normal(0.0, 0.7, size=(spec.vocab_size, spec.input_size)))  # [V, E]
    layers, reads = [], spec.input_size
    for layer_spec in spec.layers:
        layer = _layer(rng, layer_spec, reads, spec.weight_scale)
        layers.append(layer)
        both = layer.num_directions == 2 and layer_spec.merge == "concat"
        reads = 2 * layer.output_size if both else layer.output_size
    dense = []
    for size, activation in spec.dense:
        weight = rng.uniform(-0.8, 0.8, size=(size, reads))  # [O, W]
        dense.append(Dense(weight, rng.uniform(-0.5, 0.5, size=size), activation))  # bias [O]
        reads = size
    merges = tuple(layer_spec.merge for layer_spec in spec.layers)
    chain = Chain(tuple(layers), merges, embedding, tuple(dense), spec.readout)
    check_model(chain)
    return chain


def _states(rng: np.random.Generator, batch: int, sizes: tuple[int, ...]) -> States:
    """One uniform(-1, 1) ``[B, H_k]`` slot per size: ``[S, B, H]`` when the sizes agree (the reader's form)."""
    slots = [rng.uniform(-1.0, 1.0, size=(batch, size)) for size in sizes]
    return np.stack(slots) if len(set(sizes)) == 1 else slots


def _inputs(case: GradCase, chain: Chain, rng: np.random.Generator) -> CaseInputs:
    x = tokens = None
    if chain.embedding is not None:
        tokens = rng.integers(0, chain.embedding.vocab_size, size=(case.steps, case.batch))  # [T, B]
    else:
        x = rng.standard_normal((case.steps, case.batch, chain.input_size)) * case.x_scale  # [T, B, I]
    h0 = _states(rng, case.batch, chain.state_sizes) if case.states else None
    c0 = _states(rng, case.batch, chain.cell_state_sizes) if case.states and chain.cell_state_sizes else None
    lengths = None if case.lengths is None else np.array(case.lengths, dtype=np.int64)
    return CaseInputs(case.name, x, h0, c0, lengths, tokens)


def _loss_gradients(case: GradCase, chain: Chain, rng: np.random.Generator) -> dict[str, Any]:
    """The ``d_*`` the case gives and the chain has (uniform in +-1); the rest None."""
    steps, batch = case.steps, case.batch
    drawn: dict[str, Any] = {"d_output": None, "d_h_n": None, "d_c_n": None, "d_y": None}
    if "d_output" in case.given:
        drawn["d_output"] = rng.uniform(-1.0, 1.0, size=(steps, batch, chain.output_width))  # [T, B, W]
    if "d_h_n" in case.given:
        drawn["d_h_n"] = _states(rng, batch, chain.state_sizes)
    if "d_c_n" in case.given and chain.cell_state_sizes:
        drawn["d_c_n"] = _states(rng, batch, chain.cell_state_sizes)
    if "d_y" in case.given and chain.y_size is not None:
        shape = (batch, chain.y_size) if chain.readout == "last" else (steps, batch, chain.y_size)
        drawn["d_y"] = rng.uniform(-1.0, 1.0, size=shape)
    if all(value is None for value in drawn.values()):
        raise ValueError(f"case {case.name}: none of {case.given} applies to this chain")
    return drawn


def gradient_cases(spec: GradientSpec) -> tuple[Chain, list[Case]]:
    """The chain and its answered cases, each with its ``backward`` block (runs the oracle)."""
    rng = np.random.default_rng(spec.seed)
    chain = build_gradient_chain(spec, rng)
    cases = []
    for case_spec in spec.cases:
        inputs = _inputs(case_spec, chain, rng)
        given = _loss_gradients(case_spec, chain, rng)
        result, gradients = torch_gradients(chain, inputs, **given)
        backward = CaseBackward(**given, expected=gradients)
        answered = Case.answered(inputs, result)
        cases.append(Case(**{**answered.__dict__, "backward": backward}))
    return chain, cases


def build_gradient_document(spec: GradientSpec) -> dict[str, Any]:
    """The whole version-2 fixture document; runs the oracle."""
    chain, cases = gradient_cases(spec)
    import torch

    provenance = {
        "generator": GENERATOR,
        "seed": spec.seed,
        "oracle": f"torch {torch.__version__} float64 autograd",
        "oracle_name": "torch",
        "composed": "embedding, one nn.RNN/LSTM/GRU per layer (the equations in torch for peepholes, clip and"
        " the Cho GRU), merges and dense layers composed in torch; gradients by torch.autograd.grad",
    }
    return fixture_document(spec.name, spec.description, chain, cases, TOLERANCE, provenance)


def backward_differences(committed: dict[str, Any], fresh: dict[str, Any], tolerance: dict[str, float]) -> list[str]:
    """Where a committed case's ``backward`` block is stale against a fresh one (empty when fresh).

    The ``d_*`` (drawn from the seed) must be equal exactly; the expected gradients within a tenth of the
    fixture's tolerance, as ``generate --check`` holds the forward's expected values (the oracle's last bits
    depend on the CPU's SIMD path).
    """
    name = fresh.get("name", "?")
    old, new = committed.get("backward"), fresh.get("backward")
    if old is None or new is None:
        return [] if old is new else [f"case {name}: backward is {'missing' if old is None else 'not expected'}"]
    problems = [f"case {name}: backward {key} differs" for key in _D_NAMES if old.get(key) != new.get(key)]
    old_expected, new_expected = old.get("expected", {}), new["expected"]
    same_weights = list(old_expected.get("weights", {})) == list(new_expected["weights"])
    if list(old_expected) != list(new_expected) or not same_weights:
        return [*problems, f"case {name}: backward expected fields differ"]
    pairs = [(f"weights {k}", v, old_expected["weights"][k]) for k, v in new_expected["weights"].items()]
    pairs += [(k, v, old_expected[k]) for k, v in new_expected.items() if k != "weights"]
    for label, want_values, got_values in pairs:
        want, got = _flat(want_values), _flat(got_values)
        bound = (tolerance["atol"] + tolerance["rtol"] * np.abs(want)) / 10
        if _layout(want_values) != _layout(got_values) or not (np.abs(got - want) <= bound).all():
            problems.append(f"case {name}: backward expected {label} differs from the oracle's answer")
    return problems


_D_NAMES = ("d_output", "d_h_n", "d_c_n", "d_y")


def _layout(values: Any) -> Any:
    """The nesting of a JSON array (lengths at every level; states may be ragged across slots)."""
    if isinstance(values, list):
        return [len(values), *[_layout(v) for v in values if isinstance(v, list)]]
    return None


def _flat(values: Any) -> np.ndarray:
    """Every number of a (possibly ragged) nested JSON array, in order."""
    if isinstance(values, list):
        parts = [_flat(v) for v in values]
        return np.concatenate(parts) if parts else np.zeros(0)
    return np.array([float(values)])


GRADIENT_PROGRAM_SPECS: tuple[ProgramSpec, ...] = tuple(
    ProgramSpec(spec.name, lambda spec=spec: build_gradient_document(spec)) for spec in GRADIENT_SPECS
)

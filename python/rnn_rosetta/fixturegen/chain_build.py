"""Turn a :class:`ChainSpec` into a version-2 fixture document: seeded weights and inputs, oracle answers.

Random draws come from ``numpy.random.default_rng(spec.seed)`` in this order: the embedding
(standard normal, as ``nn.Embedding``), every layer's arrays (layer by layer, forward before reverse,
uniform in ``+-1/sqrt(H)`` as PyTorch), every dense layer's weight then bias (uniform in
``+-1/sqrt(W)``), then per case ``x`` (or ``tokens``), the ``h0`` slots, the ``c0`` slots.

The oracle is PyTorch float64 composed part by part: ``torch.nn.functional.embedding``, one
``nn.RNN``/``nn.LSTM``/``nn.GRU`` per layer (:func:`rnn_rosetta.oracles.expected`, which runs each
sequence on its own valid prefix), torch ops for the merges and ``torch.nn.functional.linear`` plus
the torch activations for the dense layers. A Cho GRU layer (``linear_before_reset`` false), which
PyTorch lacks, is answered by the ONNX reference evaluator in float64. None of it is our code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_rosetta import oracles
from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.fixture_data import Case, CaseInputs
from rnn_rosetta.fixture_writer import fixture_document
from rnn_rosetta.fixturegen.chain_specs import ChainSpec
from rnn_rosetta.model import DirectionWeights, Layer, Model
from rnn_rosetta.model_rules import check_model
from rnn_rosetta.result import Result

GENERATOR = "python -m rnn_rosetta.fixturegen (nox -s fixtures)"
TOLERANCE = {"rtol": 1e-12, "atol": 1e-13}  # float64 oracles, as for version 1


def build_chain(spec: ChainSpec, rng: np.random.Generator) -> Chain:
    """The spec's chain with seeded weights (draws from ``rng`` in the documented order)."""
    embedding = None
    if spec.vocab_size is not None:
        embedding = Embedding(rng.standard_normal((spec.vocab_size, spec.input_size)))  # [V, E]
    layers: list[Model] = []
    reads = spec.input_size
    for layer_spec in spec.layers:
        skeleton = Model(
            cell=layer_spec.cell,
            input_size=reads,
            hidden_size=layer_spec.hidden_size,
            num_layers=1,
            direction=layer_spec.direction,
            layers=(),
            nonlinearity=layer_spec.nonlinearity,
            linear_before_reset=layer_spec.linear_before_reset,
            proj_size=layer_spec.proj_size,
        )
        bound = 1.0 / np.sqrt(layer_spec.hidden_size)
        shapes = skeleton.expected_shapes(0)
        directions = {
            name: DirectionWeights(**{key: rng.uniform(-bound, bound, size=shape) for key, shape in shapes.items()})
            for name in skeleton.direction_names
        }
        layers.append(Model(**{**skeleton.__dict__, "layers": (Layer(**directions),)}))
        both = skeleton.num_directions == 2 and layer_spec.merge == "concat"
        reads = 2 * skeleton.output_size if both else skeleton.output_size
    dense = []
    for size, activation in spec.dense:
        bound = 1.0 / np.sqrt(reads)
        weight = rng.uniform(-bound, bound, size=(size, reads))  # [O, W]
        bias = rng.uniform(-bound, bound, size=(size,))  # [O]
        dense.append(Dense(weight, bias, activation))
        reads = size
    merges = tuple(layer_spec.merge for layer_spec in spec.layers)
    chain = Chain(tuple(layers), merges, embedding, tuple(dense), spec.readout)
    check_model(chain)
    return chain


def build_inputs(spec: ChainSpec, chain: Chain, rng: np.random.Generator) -> list[CaseInputs]:
    """Every case's inputs (draws from ``rng`` after the weights)."""
    cases = []
    for case in spec.cases:
        x = tokens = None
        if chain.embedding is not None:
            tokens = rng.integers(0, chain.embedding.vocab_size, size=(case.steps, case.batch))  # [T, B]
        else:
            x = rng.standard_normal((case.steps, case.batch, chain.input_size)) * case.x_scale  # [T, B, I]
        h0 = [rng.uniform(-1.0, 1.0, size=(case.batch, size)) for size in chain.state_sizes] if case.h0 else None
        c0 = None
        if case.c0 and chain.cell_state_sizes:
            c0 = [rng.uniform(-1.0, 1.0, size=(case.batch, size)) for size in chain.cell_state_sizes]
        lengths = None if case.lengths is None else np.array(case.lengths, dtype=np.int64)
        cases.append(CaseInputs(case.name, x, _uniform_or_list(h0), _uniform_or_list(c0), lengths, tokens))
    return cases


def _uniform_or_list(slots: list[np.ndarray] | None) -> np.ndarray | list[np.ndarray] | None:
    """Slots as one ``[S, B, H]`` array when their sizes agree (the form the reader gives back)."""
    if slots is None or len({s.shape for s in slots}) != 1:
        return slots
    return np.stack(slots)


def layer_oracle(layer: Model) -> str:
    """PyTorch where it can run the layer exactly, else the ONNX reference evaluator (a Cho GRU)."""
    return "torch" if oracles.why_not("torch", layer) is None else "onnx-reference"


def chain_expected(chain: Chain, inputs: CaseInputs) -> Result:
    """The oracle's answer for one case: every field (output, h_n, c_n, y) the chain produces."""
    import torch

    if inputs.tokens is not None:
        assert chain.embedding is not None
        x = torch.nn.functional.embedding(torch.from_numpy(inputs.tokens), torch.from_numpy(chain.embedding.weight))
        layer_input = x.numpy()  # [T, B, E]
    else:
        assert inputs.x is not None
        layer_input = inputs.x  # [T, B, I]
    batch = layer_input.shape[1]
    h0 = _slots(inputs.h0, batch, chain.state_sizes)
    c0 = _slots(inputs.c0, batch, chain.cell_state_sizes)
    h_n: list[np.ndarray] = []
    c_n: list[np.ndarray] = []
    last = None
    for layer, merge in zip(chain.layers, chain.merges, strict=True):
        d = layer.num_directions
        h_layer = np.stack([h0.pop(0) for _ in range(d)])  # [D, B, H_out]
        c_layer = np.stack([c0.pop(0) for _ in range(d)]) if layer.cell == "lstm" else None  # [D, B, H]
        answer = oracles.expected(layer_oracle(layer), layer, layer_input, h_layer, c_layer, inputs.lengths)
        assert answer.output is not None and isinstance(answer.h_n, np.ndarray)
        h_n.extend(answer.h_n)
        if isinstance(answer.c_n, np.ndarray):
            c_n.extend(answer.c_n)
        output, final = torch.from_numpy(answer.output), torch.from_numpy(answer.h_n)
        if d == 2:
            size = layer.output_size
            output = oracles.torch_merge(merge, output[..., :size], output[..., size:])
            last = oracles.torch_merge(merge, final[0], final[1])
        else:
            last = final[0]
        layer_input = output.numpy()
    assert last is not None
    y = None
    if chain.readout == "last":
        y = _torch_dense(chain.dense, last)  # [B, O]
    elif chain.dense:
        y = _torch_dense(chain.dense, torch.from_numpy(layer_input))  # [T, B, O]
    return Result(
        output=np.ascontiguousarray(layer_input),
        h_n=_uniform_or_list(h_n),
        c_n=_uniform_or_list(c_n) if c_n else None,
        y=None if y is None else np.ascontiguousarray(y),
    )


def _slots(given: Any, batch: int, sizes: tuple[int, ...]) -> list[np.ndarray]:
    if given is None:
        return [np.zeros((batch, size)) for size in sizes]
    return [np.asarray(slot, dtype=np.float64) for slot in given]


def _torch_dense(dense: tuple[Dense, ...], v: Any) -> np.ndarray:
    import torch

    functions = {
        "identity": lambda a: a,
        "softmax": lambda a: torch.softmax(a, dim=-1),
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
    }
    for layer in dense:
        v = functions[layer.activation](
            torch.nn.functional.linear(v, torch.from_numpy(layer.weight), torch.from_numpy(layer.bias))
        )
    return np.asarray(v.numpy())


def build_chain_document(spec: ChainSpec) -> dict[str, Any]:
    """The whole version-2 fixture document; runs the oracle."""
    rng = np.random.default_rng(spec.seed)
    chain = build_chain(spec, rng)
    cases = [Case.answered(case, chain_expected(chain, case)) for case in build_inputs(spec, chain, rng)]
    used = sorted({layer_oracle(layer) for layer in chain.layers})
    provenance = {
        "generator": GENERATOR,
        "seed": spec.seed,
        "oracle": "; ".join(oracles.oracle_version(name) for name in used),
        "oracle_name": "+".join(used),
        "composed": "embedding, layers, merges and dense layers composed in torch, one recurrent module per layer",
    }
    return fixture_document(spec.name, spec.description, chain, cases, TOLERANCE, provenance)

"""The oracles the backward tests compare with: random chains, and the same chain in PyTorch float64.

The PyTorch side is :mod:`rnn_rosetta.fixturegen.torch_backward` (the gradient fixtures' oracle, torch
only: each layer by its own ``nn.RNN``/``nn.LSTM``/``nn.GRU`` module, or written from the equations
where PyTorch has no module; no code is shared with :mod:`rnn_rosetta.backward`), re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from rnn_rosetta.backward import Gradients
from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.fixture_data import CaseInputs
from rnn_rosetta.fixturegen.torch_backward import torch_chain_forward, torch_gradients, torch_leaves
from rnn_rosetta.model import PEEPHOLE_NAMES, DirectionWeights, Layer, Model

# -- random chains ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerOpts:
    cell: str
    hidden: int
    direction: str = "forward"
    merge: str = "concat"
    nonlinearity: str = "tanh"
    lbr: bool = True
    proj: int = 0
    peepholes: bool = False
    clip: float | None = None


def random_layer(rng: np.random.Generator, opts: LayerOpts, input_size: int, scale: float = 0.6) -> Model:
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[opts.cell]
    out = opts.proj or opts.hidden
    directions = ("forward", "reverse") if opts.direction == "bidirectional" else (opts.direction,)

    def weights() -> DirectionWeights:
        arrays: dict[str, np.ndarray] = {
            "weight_ih": rng.uniform(-scale, scale, (gates * opts.hidden, input_size)),
            "weight_hh": rng.uniform(-scale, scale, (gates * opts.hidden, out)),
            "bias_ih": rng.uniform(-scale, scale, gates * opts.hidden),
            "bias_hh": rng.uniform(-scale, scale, gates * opts.hidden),
        }
        if opts.proj:
            arrays["weight_hr"] = rng.uniform(-scale, scale, (opts.proj, opts.hidden))
        if opts.peepholes:
            for name in PEEPHOLE_NAMES:
                arrays[name] = rng.uniform(-scale, scale, opts.hidden)
        return DirectionWeights(**arrays)

    layer = Layer(**{name: weights() for name in directions})
    return Model(
        cell=opts.cell, input_size=input_size, hidden_size=opts.hidden, num_layers=1, direction=opts.direction,
        layers=(layer,), nonlinearity=opts.nonlinearity, linear_before_reset=opts.lbr, proj_size=opts.proj,
        peepholes=opts.peepholes, clip=opts.clip,
    )  # fmt: skip


def random_chain(
    rng: np.random.Generator,
    input_size: int,
    layers: tuple[LayerOpts, ...],
    vocab: int | None = None,
    dense: tuple[tuple[int, str], ...] = (),
    readout: str = "sequence",
) -> Chain:
    models, width = [], input_size
    for opts in layers:
        model = random_layer(rng, opts, width)
        models.append(model)
        both = opts.direction == "bidirectional" and opts.merge == "concat"
        width = 2 * model.output_size if both else model.output_size
    dense_layers = []
    for size, activation in dense:
        dense_layers.append(Dense(rng.uniform(-0.8, 0.8, (size, width)), rng.uniform(-0.5, 0.5, size), activation))
        width = size
    embedding = None if vocab is None else Embedding(rng.normal(0.0, 0.7, (vocab, input_size)))
    return Chain(
        layers=tuple(models), merges=tuple(o.merge for o in layers), embedding=embedding,
        dense=tuple(dense_layers), readout=readout,
    )  # fmt: skip


def with_entry_moved(chain: Chain, path: str, index: tuple[int, ...], delta: float) -> Chain:
    """A copy of ``chain`` whose array at dotted ``path`` has ``delta`` added at ``index``."""
    part = path.split(".")

    def moved(array: np.ndarray) -> np.ndarray:
        array = array.copy()
        array[index] += delta
        return array

    if part[0] == "embedding":
        assert chain.embedding is not None
        return replace(chain, embedding=Embedding(moved(chain.embedding.weight)))
    if part[0] == "dense":
        dense = list(chain.dense)
        k = int(part[1])
        dense[k] = replace(dense[k], **{part[2]: moved(getattr(dense[k], part[2]))})
        return replace(chain, dense=tuple(dense))
    k = int(part[1])
    model = chain.layers[k]
    layer = model.layers[0]
    weights = getattr(layer, part[2])
    weights = replace(weights, **{part[3]: moved(getattr(weights, part[3]))})
    layers = list(chain.layers)
    layers[k] = replace(model, layers=(replace(layer, **{part[2]: weights}),))
    return replace(chain, layers=tuple(layers))


def named_gradients(grads: Gradients) -> dict[str, np.ndarray]:
    """One dict of every gradient: the weights by dotted path, then ``x`` (real inputs), ``h0[k]``, ``c0[k]``."""
    named = dict(grads.weights)
    if grads.x is not None:
        named["x"] = np.asarray(grads.x)
    named.update({f"h0[{k}]": np.asarray(s) for k, s in enumerate(list(grads.h0))})
    if grads.c0 is not None:
        named.update({f"c0[{k}]": np.asarray(s) for k, s in enumerate(list(grads.c0))})
    return named


def autograd_gradients(
    chain: Chain, feed: np.ndarray, h0: Any, c0: Any, lengths: Any, cotangents: dict[str, Any]
) -> dict[str, np.ndarray]:
    """autograd's gradients of ``L = sum(d_output * output) + ... + sum(d_y * y)`` for one case, named as
    :func:`named_gradients` names ours: :func:`~rnn_rosetta.fixturegen.torch_backward.torch_gradients`, the
    gradient fixtures' oracle. ``feed``: x [T, B, I], or tokens [T, B] for a chain with an embedding;
    ``cotangents``: ``d_output``, ``d_h_n``, ``d_c_n``, ``d_y`` (each may be None)."""
    tokens = chain.embedding is not None
    inputs = CaseInputs(
        "case",
        None if tokens else np.asarray(feed, dtype=np.float64),
        h0,
        c0,
        None if lengths is None else np.asarray(lengths, dtype=np.int64),
        np.asarray(feed, dtype=np.int64) if tokens else None,
    )
    _, grads = torch_gradients(chain, inputs, *(cotangents[k] for k in ("d_output", "d_h_n", "d_c_n", "d_y")))
    return named_gradients(grads)


L = LayerOpts
#: (name, input size, layers, vocabulary or None, dense layers, readout): every cell and option.
CHAINS: list[tuple[str, int, tuple[LayerOpts, ...], int | None, tuple[tuple[int, str], ...], str]] = [
    ("rnn_tanh", 3, (L("rnn", 5),), None, (), "sequence"),
    ("rnn_relu_bidirectional_concat", 4, (L("rnn", 3, "bidirectional", nonlinearity="relu"),), None, (), "sequence"),
    ("rnn_clip_reverse", 2, (L("rnn", 4, "reverse", clip=0.7),), None, ((3, "identity"),), "sequence"),
    ("lstm", 3, (L("lstm", 4),), None, (), "sequence"),
    ("lstm_projection_bidirectional_sum", 5, (L("lstm", 5, "bidirectional", "sum", proj=3),), None, (), "last"),
    ("lstm_peepholes", 3, (L("lstm", 4, peepholes=True),), None, ((2, "softmax"),), "sequence"),
    ("lstm_peepholes_clip_projection_reverse", 3, (L("lstm", 5, "reverse", proj=2, peepholes=True, clip=0.9),),
     None, (), "sequence"),
    ("gru_reverse", 4, (L("gru", 3, "reverse"),), None, (), "sequence"),
    ("gru_cho_bidirectional_mul", 3, (L("gru", 4, "bidirectional", "mul", lbr=False),), None, ((2, "tanh"),), "last"),
    ("gru_cho_clip_bidirectional_ave", 2, (L("gru", 3, "bidirectional", "ave", lbr=False, clip=0.8),), None, (),
     "sequence"),
    ("stacked_embedding_last_dense",
     4,
     (L("lstm", 5, "bidirectional", "concat"), L("gru", 3, "bidirectional", "mul"), L("rnn", 4, nonlinearity="relu")),
     9,
     ((6, "tanh"), (5, "sigmoid"), (4, "relu"), (3, "identity"), (3, "softmax")),
     "last"),
    ("stacked_mixed_options_sequence",
     3,
     (L("gru", 4, "reverse", lbr=False), L("lstm", 6, "bidirectional", "ave", proj=2, peepholes=True),
      L("rnn", 3, "bidirectional", "sum", clip=0.6)),
     None,
     ((2, "sigmoid"),),
     "sequence"),
]  # fmt: skip


__all__ = [
    "CHAINS", "LayerOpts", "autograd_gradients", "named_gradients", "random_chain", "random_layer",
    "torch_chain_forward", "torch_leaves", "with_entry_moved",
]  # fmt: skip

"""A chain's weights by dotted JSON path, and a chain with new weights: what an optimiser steps.

The names are those of :attr:`rnn_rosetta.backward.Gradients.weights` (``embedding.weight``,
``layers.0.forward.weight_ih``, ``dense.0.bias``, ...), so ``optimizer.step(chain_weights(chain),
grads.weights)`` lines up name by name, and :func:`chain_with_weights` puts the result back.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rnn_rosetta.backward.gradients import dense_path, layer_path
from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.errors import InputError
from rnn_rosetta.model import DirectionWeights, Layer


def chain_weights(chain: Chain) -> dict[str, np.ndarray]:
    """Every array of ``chain`` by dotted JSON path, in chain order (the arrays themselves, not copies)."""
    weights: dict[str, np.ndarray] = {}
    if chain.embedding is not None:
        weights["embedding.weight"] = chain.embedding.weight
    for index, model in enumerate(chain.layers):
        for name, direction in model.layers[0].directions():
            for array_name, array in direction.arrays().items():
                weights[layer_path(index, name, array_name)] = array
    for index, dense in enumerate(chain.dense):
        weights[dense_path(index, "weight")] = dense.weight
        weights[dense_path(index, "bias")] = dense.bias
    return weights


def chain_with_weights(chain: Chain, weights: dict[str, np.ndarray]) -> Chain:
    """A copy of ``chain`` holding ``weights`` (every path of :func:`chain_weights`, each of the same shape)."""
    old = chain_weights(chain)
    if set(weights) != set(old):
        differ = sorted(set(weights) ^ set(old))
        raise InputError(f"weights must name exactly this chain's arrays; differ in {differ[:3]}")
    for path, array in weights.items():
        if np.shape(array) != old[path].shape:
            raise InputError(f"{path} must have shape {list(old[path].shape)}, got {list(np.shape(array))}")
    embedding = None if chain.embedding is None else Embedding(weights["embedding.weight"])
    layers = []
    for index, model in enumerate(chain.layers):
        directions = {
            name: DirectionWeights(**{n: weights[layer_path(index, name, n)] for n in direction.arrays()})
            for name, direction in model.layers[0].directions()
        }
        layers.append(replace(model, layers=(Layer(**directions),)))
    dense = tuple(
        Dense(weights[dense_path(k, "weight")], weights[dense_path(k, "bias")], d.activation)
        for k, d in enumerate(chain.dense)
    )
    return replace(chain, layers=tuple(layers), embedding=embedding, dense=dense)

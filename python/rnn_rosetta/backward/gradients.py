"""What a backward pass returns: the gradient of the loss with respect to every weight and input."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_rosetta.result import States


@dataclass(frozen=True)
class Gradients:
    """``dL/d(everything the forward pass read)``, each in the shape of what it is the gradient of.

    ``weights`` maps each weight's dotted JSON path in a version-2 fixture's ``model`` object to its
    gradient, in chain order: ``embedding.weight``, ``layers.0.forward.weight_ih``, ...,
    ``layers.1.reverse.peephole_f``, ``dense.0.weight``, ``dense.0.bias``. ``x`` is ``dL/dx``
    ([T, B, I], batch-first when the forward was), None when the inputs were tokens (integers have no
    gradient; the embedding's rows get it). ``h0`` and ``c0`` are in the form the forward pass takes
    and returns states (``[S, B, H]``, or one ``[B, H_k]`` per slot when slot sizes differ); ``c0`` is
    None for a chain without lstm layers.
    """

    weights: dict[str, np.ndarray]
    x: np.ndarray | None
    h0: States
    c0: States | None


def layer_path(layer: int, direction: str, name: str) -> str:
    """``layers.0.forward.weight_ih``: the dotted JSON path of one direction's array."""
    return f"layers.{layer}.{direction}.{name}"


def dense_path(index: int, name: str) -> str:
    """``dense.0.weight``: the dotted JSON path of one dense layer's array."""
    return f"dense.{index}.{name}"

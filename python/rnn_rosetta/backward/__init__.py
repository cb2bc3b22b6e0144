"""Backpropagation through time in numpy: the gradients of a chain's outputs, step by step.

- :mod:`~rnn_rosetta.backward.cells_backward`: one step of each cell, forward with a tape and backward;
- :mod:`~rnn_rosetta.backward.layer_backward`: one direction of one layer over time (lengths, reverse);
- :mod:`~rnn_rosetta.backward.chain_backward`: the whole chain (embedding, merges, readouts, dense layers);
- :mod:`~rnn_rosetta.backward.gradients`: what a backward pass returns;
- :mod:`~rnn_rosetta.backward.weights`: a chain's weights by the same names, and back into a chain.

Use it through a numpy chain net: ``net.forward(x, ..., keep=True)`` then ``net.backward(d_y=...)``;
:mod:`rnn_rosetta.losses` gives ``d_y`` for a loss, :mod:`rnn_rosetta.optimizers` steps the weights.
"""

from __future__ import annotations

from rnn_rosetta.backward.gradients import Gradients
from rnn_rosetta.backward.weights import chain_weights, chain_with_weights

__all__ = ["Gradients", "chain_weights", "chain_with_weights"]

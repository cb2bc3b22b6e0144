"""Backpropagation through time in numpy: the gradients of a chain's outputs, step by step.

- :mod:`~rnn_rosetta.backward.cells_backward`: one step of each cell, forward with a tape and backward;
- :mod:`~rnn_rosetta.backward.layer_backward`: one direction of one layer over time (lengths, reverse);
- :mod:`~rnn_rosetta.backward.chain_backward`: the whole chain (embedding, merges, readouts, dense layers);
- :mod:`~rnn_rosetta.backward.gradients`: what a backward pass returns.

Use it through a numpy chain net: ``net.forward(x, ..., keep=True)`` then ``net.backward(d_y=...)``.
"""

from __future__ import annotations

from rnn_rosetta.backward.gradients import Gradients

__all__ = ["Gradients"]

"""The exact kernel (docs/exact-kernel.md): double-double arithmetic, one rounding per stored value,
the same IEEE operations in the same order as the C and Java exact kernels, so all three agree bit for bit.

- :mod:`~rnn_rosetta.exact.dd`: the primitives (two_sum, two_prod, dd_add, dd_mul, dd_div ...);
- :mod:`~rnn_rosetta.exact.elementary`: exp, expm1, tanh, sigmoid, relu, clip on dd values;
- :mod:`~rnn_rosetta.exact.dot`: the pre-activation accumulator;
- :mod:`~rnn_rosetta.exact.cells`: one step of rnn, lstm, gru;
- :mod:`~rnn_rosetta.exact.dense`: heads and dense layers (softmax included), the float32 store;
- :mod:`~rnn_rosetta.exact.forward`: layers, directions, lengths.
"""

from rnn_rosetta.exact.dense import ExactDense, apply_dense_layers, store_for
from rnn_rosetta.exact.forward import ExactModel, forward, prepare

__all__ = ["ExactDense", "ExactModel", "apply_dense_layers", "forward", "prepare", "store_for"]

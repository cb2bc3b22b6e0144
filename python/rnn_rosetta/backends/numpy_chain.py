"""The numpy backend for chains: one one-layer v1 model per layer on any numpy kernel, then merge,
readout and dense layers (the helpers of :mod:`rnn_rosetta.chain`).

Kernel ``"auto"`` (name ``fast``) runs each layer with :mod:`rnn_rosetta.backends.numpy_fast`,
``"plain"`` with :mod:`rnn_rosetta.reference`; the parts around the layers are the same numpy lines
for both. Kernel ``"exact"`` runs the layers and the dense layers with :mod:`rnn_rosetta.exact`
(docs/exact-kernel.md); the embedding lookup and the merges (one IEEE operation each, in the net's
dtype) are the same lines as the other kernels'.

Backward (``forward(..., keep=True)``, then ``backward``) runs :mod:`rnn_rosetta.backward` on the same
dtype-rounded weights, whichever kernel computes the forward result.
"""

from __future__ import annotations

import numpy as np

from rnn_rosetta import exact, reference
from rnn_rosetta.backends import numpy_fast
from rnn_rosetta.backends.chain_net import ChainNet, FlatResult, join_slots, split_slots
from rnn_rosetta.backward.chain_backward import ChainTape, chain_backward, chain_forward
from rnn_rosetta.backward.gradients import Gradients
from rnn_rosetta.chain import Chain, apply_dense, merge_directions
from rnn_rosetta.model import Model

KERNEL_NAMES: dict[str, str] = {"auto": "fast", "plain": "plain", "exact": "exact"}


class NumpyChainNet(ChainNet):
    backend = "numpy"
    kernels = ("auto", "plain", "exact")
    supports_backward = True

    def __init__(self, chain: Chain, dtype: str = "float64", kernel: str = "auto") -> None:
        super().__init__(chain, dtype, kernel)
        self._kernel = kernel
        dt = self.dtype
        self._exact_layers: tuple[exact.ExactModel, ...] = ()
        self._exact_dense: tuple[exact.ExactDense, ...] = ()
        if kernel == "exact":  # weights rounded to dt and split once
            self._exact_layers = tuple(exact.prepare(layer, dt) for layer in chain.layers)
            self._exact_dense = tuple(
                exact.ExactDense.of(d.weight.astype(dt), d.bias.astype(dt), d.activation) for d in chain.dense
            )
        if kernel == "plain":
            self._layers = tuple(layer.map_arrays(lambda a: a.astype(dt)) for layer in chain.layers)
        else:
            self._layers = tuple(numpy_fast.model_as(layer, dt) for layer in chain.layers)
        # embedding and dense weights rounded once to the net's dtype
        self._chain = chain.map_arrays(lambda a: np.asarray(a, dtype=dt))

    @property
    def kernel_name(self) -> str:
        return KERNEL_NAMES[self._kernel]

    def _forward_flat(
        self,
        inputs: np.ndarray,
        h0_flat: np.ndarray | None,
        c0_flat: np.ndarray | None,
        lengths: np.ndarray | None,
    ) -> FlatResult:
        # IEEE arithmetic, as in C and Java: inf and NaN propagate without a warning
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._run(inputs, h0_flat, c0_flat, lengths)

    def _run(
        self,
        inputs: np.ndarray,
        h0_flat: np.ndarray | None,
        c0_flat: np.ndarray | None,
        lengths: np.ndarray | None,
    ) -> FlatResult:
        chain, dt = self._chain, self.dtype
        run = reference.forward if self._kernel == "plain" else numpy_fast.forward
        layers: tuple[Model, ...] | tuple[exact.ExactModel, ...] = self._layers
        dense = apply_dense
        if self._kernel == "exact":
            run, layers = exact.forward, self._exact_layers  # type: ignore[assignment]
            store = exact.store_for(dt)

            def dense(_: object, v: np.ndarray) -> np.ndarray:
                return exact.apply_dense_layers(self._exact_dense, v, store)

        steps, batch = inputs.shape[0], inputs.shape[1]
        if chain.embedding is not None:
            x = chain.embedding.weight[inputs]  # [T, B, E]
        else:
            x = inputs  # [T, B, I]
        if h0_flat is None:
            h0_flat = np.zeros(batch * sum(chain.state_sizes), dtype=dt)
        if c0_flat is None and chain.cell_state_sizes:
            c0_flat = np.zeros(batch * sum(chain.cell_state_sizes), dtype=dt)
        h0 = split_slots(h0_flat, batch, chain.state_sizes)
        c0 = [] if c0_flat is None else split_slots(c0_flat, batch, chain.cell_state_sizes)
        h_n: list[np.ndarray] = []
        c_n: list[np.ndarray] = []
        last: np.ndarray | None = None  # the top layer's merged final states [B, W]
        slot = c_slot = 0
        for layer, prepared, merge in zip(self._layers, layers, chain.merges, strict=True):
            directions = layer.num_directions
            h_layer = np.stack(h0[slot : slot + directions])  # [D, B, H_out]
            c_layer = None
            if layer.cell == "lstm":
                c_layer = np.stack(c0[c_slot : c_slot + directions])  # [D, B, H]
                c_slot += directions
            slot += directions
            result = run(prepared, x, h_layer, c_layer, lengths)  # type: ignore[arg-type]
            x, last = _merged(layer, merge, result.output, result.h_n)
            h_n.extend(result.h_n)
            if result.c_n is not None:
                c_n.extend(result.c_n)
        y = None
        if chain.readout == "last":
            y = dense(chain.dense, last)  # [B, O]; with no dense layers, the readout itself
        elif chain.dense:
            y = dense(chain.dense, x)  # [T, B, O]
        if y is not None:
            y = np.ascontiguousarray(y, dtype=dt)
        del steps
        c_flat = join_slots(c_n, dt) if chain.cell_state_sizes else None
        return np.ascontiguousarray(x), join_slots(h_n, dt), c_flat, y

    def _keep_forward(
        self,
        inputs: np.ndarray,
        h0_flat: np.ndarray | None,
        c0_flat: np.ndarray | None,
        lengths: np.ndarray | None,
    ) -> tuple[ChainTape, None]:
        """The reference pass of :mod:`rnn_rosetta.backward` with its tape; its results may differ from the
        fast kernel's in the last bits, so the forward's own result comes from :meth:`_forward_flat`."""
        chain, dt = self._chain, self.dtype
        batch = inputs.shape[1]
        if h0_flat is None:
            h0_flat = np.zeros(batch * sum(chain.state_sizes), dtype=dt)
        if c0_flat is None:
            c0_flat = np.zeros(batch * sum(chain.cell_state_sizes), dtype=dt)
        h0 = split_slots(h0_flat, batch, chain.state_sizes)
        c0 = split_slots(c0_flat, batch, chain.cell_state_sizes)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            tape, *_ = chain_forward(chain, inputs, h0, c0, lengths)
        return tape, None

    def _backward_flat(
        self,
        tape: ChainTape,
        d_output: np.ndarray | None,
        d_h_n: list[np.ndarray],
        d_c_n: list[np.ndarray],
        d_y: np.ndarray | None,
    ) -> Gradients:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return chain_backward(self._chain, tape, d_output, d_h_n, d_c_n, d_y)


def _merged(layer: Model, merge: str, output: np.ndarray, h_n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A layer's output [T, B, D*H_out] and final states [D, B, H_out] merged: ([T, B, W], [B, W])."""
    if layer.num_directions == 1:
        return output, h_n[0]
    size = layer.output_size
    merged = merge_directions(merge, output[..., :size], output[..., size:])
    last = merge_directions(merge, h_n[0], h_n[1])
    return merged, last

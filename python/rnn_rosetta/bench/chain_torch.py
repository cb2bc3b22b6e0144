"""A :class:`Chain` as PyTorch modules, for the benchmark's ``torch`` contenders on a fixture.

Built from the chain's parts, one ``torch.nn`` piece each: ``nn.Embedding``, one
``nn.RNN``/``nn.LSTM``/``nn.GRU`` per recurrent layer (weights from
:func:`rnn_rosetta.oracles.torch_module`), torch ops for the direction merges and
the ``last`` readout, ``nn.Linear`` plus an activation per dense layer. A
reverse-only layer runs PyTorch's forward module on the sequence flipped in time
(then flipped back). The bench feeds full-length sequences (no ``lengths``), so
no packing is needed.

What PyTorch cannot express (peepholes, clip, Cho's GRU) is named by
:func:`why_not_torch`; such a chain is not built.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_rosetta.chain import Chain
from rnn_rosetta.oracles import torch_merge, torch_module, why_not


def why_not_torch(chain: Chain) -> str | None:
    """``None`` when PyTorch can run every layer of ``chain``, else which layer it cannot and why."""
    for index, layer in enumerate(chain.layers):
        reason = why_not("torch", layer)
        if reason is not None:
            return f"layers[{index}] ({layer.describe()}): {reason}"
    return None


def _activation(torch: Any, name: str) -> Any:
    if name == "identity":
        return torch.nn.Identity()
    if name == "softmax":
        return torch.nn.Softmax(dim=-1)
    return {"tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU}[name]()


def torch_chain(chain: Chain) -> Any:
    """A float64 ``torch.nn.Module``: ``module(inputs)`` -> ``(output [T, B, W], y or None)``.

    ``inputs`` is x ``[T, B, I]`` (float) or tokens ``[T, B]`` (int64) for a chain with an embedding.
    ``ValueError`` when :func:`why_not_torch` has a reason.
    """
    import torch

    reason = why_not_torch(chain)
    if reason is not None:
        raise ValueError(f"PyTorch cannot run {reason}")

    class ChainModule(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.embedding = None
            if chain.embedding is not None:
                table = torch.from_numpy(np.array(chain.embedding.weight, dtype=np.float64))
                self.embedding = torch.nn.Embedding.from_pretrained(table, freeze=True)
            self.recurrent = torch.nn.ModuleList(
                torch_module(layer, "reverse" if layer.direction == "reverse" else None) for layer in chain.layers
            )
            self.dense = torch.nn.ModuleList()
            for part in chain.dense:
                linear = torch.nn.Linear(part.weight.shape[1], part.weight.shape[0], dtype=torch.float64)
                with torch.no_grad():
                    linear.weight.copy_(torch.from_numpy(np.array(part.weight, dtype=np.float64)))
                    linear.bias.copy_(torch.from_numpy(np.array(part.bias, dtype=np.float64)))
                self.dense.append(torch.nn.Sequential(linear, _activation(torch, part.activation)))

        def forward(self, inputs: Any) -> tuple[Any, Any]:
            v = inputs if self.embedding is None else self.embedding(inputs)  # [T, B, I_0]
            finals: list[Any] = []
            for layer, module, merge in zip(chain.layers, self.recurrent, chain.merges, strict=True):
                reverse_only = layer.direction == "reverse"
                out, state = module(torch.flip(v, (0,)) if reverse_only else v)
                h_n = state[0] if layer.cell == "lstm" else state  # [D, B, H_out]
                if reverse_only:
                    out = torch.flip(out, (0,))
                finals = [h_n[d] for d in range(h_n.shape[0])]  # per direction [B, H_out]
                if layer.num_directions == 2:
                    width = layer.output_size
                    if merge != "concat":
                        out = torch_merge(merge, out[..., :width], out[..., width:])
                    finals = [torch_merge(merge, finals[0], finals[1])]
                v = out  # [T, B, W_l]
            output = v
            if chain.readout == "last":
                v = finals[0]  # [B, W]
            elif not chain.dense:
                return output, None
            for part in self.dense:
                v = part(v)
            return output, v

    module = ChainModule()
    module.eval()
    return module

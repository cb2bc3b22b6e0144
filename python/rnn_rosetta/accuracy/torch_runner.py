"""PyTorch beside the backends in the accuracy report: ``nn.RNN``/``nn.LSTM``/``nn.GRU`` in float32 or float64.

PyTorch runs what it has (no peepholes, clip or Cho GRU: :func:`rnn_rosetta.oracles.why_not`); a
reverse-only model runs on the flipped sequence, uneven lengths one sequence at a time on its prefix.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from rnn_rosetta.fixture_data import CaseInputs
from rnn_rosetta.model import Model
from rnn_rosetta.oracles import torch_module, why_not
from rnn_rosetta.result import Result


def torch_version() -> str | None:
    """PyTorch's version, or None where it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return str(torch.__version__)


def torch_refusal(model: Model) -> str | None:
    """None when PyTorch can run ``model`` here, else why not."""
    if torch_version() is None:
        return "PyTorch is not installed"
    return why_not("torch", model)


def _run_one(model: Model, module: Any, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None, dtype: Any) -> tuple:
    """x [T, B, I] -> output [T, B, D*H_out], h_n, c_n (numpy float64)."""
    import torch

    reverse_only = model.direction == "reverse"
    inputs = torch.from_numpy(np.ascontiguousarray(x[::-1] if reverse_only else x)).to(dtype)
    h = torch.from_numpy(np.ascontiguousarray(h0)).to(dtype)
    state: Any = h if c0 is None else (h, torch.from_numpy(np.ascontiguousarray(c0)).to(dtype))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "LSTM with projections is not supported with oneDNN"
        out, final = module(inputs, state)
    output = out.double().numpy()
    output = output[::-1] if reverse_only else output
    if c0 is None:
        return output, final.double().numpy(), None
    return output, final[0].double().numpy(), final[1].double().numpy()


def torch_forward(model: Model, given: CaseInputs, dtype: str) -> Result:
    """The model run by PyTorch in ``dtype`` (weights and inputs rounded to it), float64 arrays out."""
    import torch

    torch_dtype = torch.float64 if dtype == "float64" else torch.float32
    module = torch_module(model, "reverse" if model.direction == "reverse" else None).to(torch_dtype)
    x = given.x
    steps, batch, _ = x.shape
    h0 = np.zeros(model.state_shape(batch)) if given.h0 is None else given.h0
    c0 = given.c0
    if model.cell == "lstm" and c0 is None:
        c0 = np.zeros(model.cell_state_shape(batch))
    lengths = np.full(batch, steps) if given.lengths is None else given.lengths
    output = np.zeros((steps, batch, model.num_directions * model.output_size))
    h_n, c_n = np.zeros(h0.shape), None if c0 is None else np.zeros(c0.shape)
    for b in range(batch):  # one sequence at a time on its valid prefix
        length = int(lengths[b])
        part = _run_one(
            model, module, x[:length, b : b + 1], h0[:, b : b + 1], None if c0 is None else c0[:, b : b + 1],
            torch_dtype,
        )  # fmt: skip
        output[:length, b] = part[0][:, 0]
        h_n[:, b] = part[1][:, 0]
        if c_n is not None:
            c_n[:, b] = part[2][:, 0]
    y = None
    if model.head is not None:
        head = model.head
        logits = torch.nn.functional.linear(
            torch.from_numpy(output).to(torch_dtype),
            torch.from_numpy(head.weight).to(torch_dtype),
            torch.from_numpy(head.bias).to(torch_dtype),
        )
        y = (torch.softmax(logits, dim=-1) if head.activation == "softmax" else logits).double().numpy()
    return Result(output=output, h_n=h_n, c_n=c_n, y=y)

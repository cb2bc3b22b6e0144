"""The oracle of the gradient fixtures: a chain in PyTorch float64, differentiated by autograd.

PyTorch runs each layer with its own module (``nn.RNN``/``nn.LSTM``/``nn.GRU``, through
``torch.func.functional_call`` so that the weights are our leaf tensors; packed sequences for uneven
lengths; each sequence flipped within its length for a reverse-only layer). What PyTorch has no module
for (peepholes, clip, the Cho GRU) is written here from docs/fixture-format.md's equations with torch
operations, and autograd differentiates it. Torch only: no code is shared with ``rnn_rosetta.backward``
or any backend (the composition is the one tests/backward_oracle.py checks the numpy backward with).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_rosetta.backward.gradients import Gradients
from rnn_rosetta.chain import Chain, Dense
from rnn_rosetta.fixture_data import CaseInputs
from rnn_rosetta.model import PEEPHOLE_NAMES, Model
from rnn_rosetta.result import Result, States

# -- the chain in PyTorch ---------------------------------------------------------------------------


def torch_leaves(torch: Any, chain: Chain) -> dict[str, Any]:
    """Every weight as a float64 leaf tensor that requires grad, by dotted JSON path."""
    leaves: dict[str, Any] = {}

    def leaf(array: np.ndarray) -> Any:
        return torch.tensor(array, dtype=torch.float64, requires_grad=True)

    if chain.embedding is not None:
        leaves["embedding.weight"] = leaf(chain.embedding.weight)
    for index, model in enumerate(chain.layers):
        for name, weights in model.layers[0].directions():
            for array_name, array in weights.arrays().items():
                leaves[f"layers.{index}.{name}.{array_name}"] = leaf(array)
    for index, dense in enumerate(chain.dense):
        leaves[f"dense.{index}.weight"] = leaf(dense.weight)
        leaves[f"dense.{index}.bias"] = leaf(dense.bias)
    return leaves


def _native(model: Model) -> bool:
    """Whether a PyTorch module computes this layer (no peepholes, no clip, no Cho GRU)."""
    return not model.peepholes and model.clip is None and not (model.cell == "gru" and not model.linear_before_reset)


def _flip_index(torch: Any, lengths: np.ndarray, steps: int) -> Any:
    """[T, B] index reversing each sequence within its own length (padded steps stay where they are)."""
    index = np.tile(np.arange(steps)[:, None], (1, lengths.size))
    for b, length in enumerate(lengths):
        index[:length, b] = np.arange(length)[::-1]
    return torch.tensor(index)


def _gather_time(torch: Any, x: Any, index: Any) -> Any:
    return torch.gather(x, 0, index[:, :, None].expand(-1, -1, x.shape[2]))


def _torch_module_layer(torch: Any, model: Model, leaves: dict[str, Any], prefix: str, x: Any, lengths: np.ndarray,
                        h0: list[Any], c0: list[Any]) -> tuple[list[Any], list[Any], list[Any]]:  # fmt: skip
    """One layer by nn.RNN/LSTM/GRU: per direction (output [T, B, H_out], h_n [B, H_out], c_n [B, H])."""
    nn = torch.nn
    both = model.direction == "bidirectional"
    kwargs: dict[str, Any] = {"bidirectional": both, "dtype": torch.float64}
    if model.cell == "rnn":
        module = nn.RNN(model.input_size, model.hidden_size, nonlinearity=model.nonlinearity, **kwargs)
    elif model.cell == "lstm":
        module = nn.LSTM(model.input_size, model.hidden_size, proj_size=model.proj_size, **kwargs)
    else:
        module = nn.GRU(model.input_size, model.hidden_size, **kwargs)
    params = {}
    for name, _ in model.layers[0].directions():
        suffix = "_reverse" if both and name == "reverse" else ""
        for array_name in model.layers[0].directions()[0][1].arrays():
            params[f"{array_name}_l0{suffix}"] = leaves[f"{prefix}.{name}.{array_name}"]
    steps = x.shape[0]
    flip = None
    if model.direction == "reverse":
        flip = _flip_index(torch, lengths, steps)
        x = _gather_time(torch, x, flip)
    packed = nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    state: Any = torch.stack(h0)
    if model.cell == "lstm":
        state = (state, torch.stack(c0))
    out_packed, final = torch.func.functional_call(module, params, (packed, state))
    out, _ = nn.utils.rnn.pad_packed_sequence(out_packed, total_length=steps)  # [T, B, D*H_out]
    if flip is not None:
        out = _gather_time(torch, out, flip)
    h_n, c_n = final if model.cell == "lstm" else (final, None)
    size = model.output_size
    outputs = [out[..., :size], out[..., size:]] if both else [out]
    return outputs, list(h_n), [] if c_n is None else list(c_n)


def _torch_cell(torch: Any, model: Model, w: dict[str, Any], x_t: Any, h: Any, c: Any) -> tuple[Any, Any]:
    """One step, the equations of docs/fixture-format.md in torch (clip = torch.clamp)."""

    def clip(a: Any) -> Any:
        return a if model.clip is None else torch.clamp(a, -model.clip, model.clip)

    if model.cell == "rnn":
        a = clip(x_t @ w["weight_ih"].T + w["bias_ih"] + h @ w["weight_hh"].T + w["bias_hh"])
        return (torch.relu(a) if model.nonlinearity == "relu" else torch.tanh(a)), None
    if model.cell == "lstm":
        a_i, a_f, a_g, a_o = (x_t @ w["weight_ih"].T + w["bias_ih"] + h @ w["weight_hh"].T + w["bias_hh"]).chunk(4, 1)
        p_i, p_f, p_o = (w[n] if model.peepholes else 0.0 for n in PEEPHOLE_NAMES)
        i = torch.sigmoid(clip(a_i + p_i * c))
        f = torch.sigmoid(clip(a_f + p_f * c))
        g = torch.tanh(clip(a_g))
        c_new = f * c + i * g
        o = torch.sigmoid(clip(a_o + p_o * c_new))
        h_new = o * torch.tanh(c_new)
        if model.proj_size:
            h_new = h_new @ w["weight_hr"].T
        return h_new, c_new
    w_ir, w_iz, w_in = w["weight_ih"].chunk(3, 0)
    w_hr, w_hz, w_hn = w["weight_hh"].chunk(3, 0)
    b_ir, b_iz, b_in = w["bias_ih"].chunk(3, 0)
    b_hr, b_hz, b_hn = w["bias_hh"].chunk(3, 0)
    r = torch.sigmoid(clip(x_t @ w_ir.T + b_ir + h @ w_hr.T + b_hr))
    z = torch.sigmoid(clip(x_t @ w_iz.T + b_iz + h @ w_hz.T + b_hz))
    if model.linear_before_reset:
        n = torch.tanh(clip(x_t @ w_in.T + b_in + r * (h @ w_hn.T + b_hn)))
    else:
        n = torch.tanh(clip(x_t @ w_in.T + b_in + (r * h) @ w_hn.T + b_hn))
    return (1 - z) * n + z * h, None


def _torch_equation_layer(torch: Any, model: Model, leaves: dict[str, Any], prefix: str, x: Any, lengths: np.ndarray,
                          h0: list[Any], c0: list[Any]) -> tuple[list[Any], list[Any], list[Any]]:  # fmt: skip
    """One layer by the equations, stepping every row and keeping a row's state where ``t >= L_b``."""
    steps = x.shape[0]
    outputs, h_n, c_n = [], [], []
    for offset, (name, weights) in enumerate(model.layers[0].directions()):
        w = {n: leaves[f"{prefix}.{name}.{n}"] for n in weights.arrays()}
        h, c = h0[offset], (c0[offset] if model.cell == "lstm" else None)
        out = [None] * steps
        for t in range(steps - 1, -1, -1) if name == "reverse" else range(steps):
            running = torch.tensor(t < lengths)[:, None]  # [B, 1]
            h_new, c_new = _torch_cell(torch, model, w, x[t], h, c)
            h = torch.where(running, h_new, h)
            if c is not None:
                c = torch.where(running, c_new, c)
            out[t] = torch.where(running, h_new, torch.zeros_like(h_new))
        outputs.append(torch.stack(out))
        h_n.append(h)
        if c is not None:
            c_n.append(c)
    return outputs, h_n, c_n


def _merge(torch: Any, merge: str, f: Any, r: Any) -> Any:
    if merge == "concat":
        return torch.cat([f, r], dim=-1)
    if merge == "sum":
        return f + r
    if merge == "mul":
        return f * r
    return (f + r) * 0.5


def _dense(torch: Any, dense: Dense, v: Any, weight: Any, bias: Any) -> Any:
    s = torch.nn.functional.linear(v, weight, bias)
    activations = {"identity": lambda a: a, "softmax": lambda a: torch.softmax(a, dim=-1), "tanh": torch.tanh,
                   "sigmoid": torch.sigmoid, "relu": torch.relu}  # fmt: skip
    return activations[dense.activation](s)


def torch_chain_forward(torch: Any, chain: Chain, leaves: dict[str, Any], feed: Any, lengths: np.ndarray,
                        h0: list[Any], c0: list[Any]) -> dict[str, Any]:  # fmt: skip
    """The chain in torch: {"output": [T, B, W], "h_n": [slots], "c_n": [slots], "y": tensor or None}.

    ``feed`` is a float64 tensor x [T, B, I] or an int64 tensor of tokens [T, B].
    """
    x = torch.nn.functional.embedding(feed, leaves["embedding.weight"]) if chain.embedding is not None else feed
    h_n: list[Any] = []
    c_n: list[Any] = []
    slot = c_slot = 0
    last = None
    for index, (model, merge) in enumerate(zip(chain.layers, chain.merges, strict=True)):
        count = model.num_directions
        h_layer = h0[slot : slot + count]
        c_layer = c0[c_slot : c_slot + count] if model.cell == "lstm" else []
        slot += count
        c_slot += len(c_layer)
        run = _torch_module_layer if _native(model) else _torch_equation_layer
        outputs, finals, cells = run(torch, model, leaves, f"layers.{index}", x, lengths, h_layer, c_layer)
        h_n.extend(finals)
        c_n.extend(cells)
        x = outputs[0] if count == 1 else _merge(torch, merge, *outputs)
        last = finals[0] if count == 1 else _merge(torch, merge, *finals)
    v = last if chain.readout == "last" else x
    for index, dense in enumerate(chain.dense):
        v = _dense(torch, dense, v, leaves[f"dense.{index}.weight"], leaves[f"dense.{index}.bias"])
    y = v if chain.dense or chain.readout == "last" else None
    return {"output": x, "h_n": h_n, "c_n": c_n, "y": y}


def _friendly(slots: list[np.ndarray]) -> States:
    """``[S, B, H]`` when every slot has the same size (the form the reader gives back), else the slots."""
    return np.stack(slots) if len({s.shape for s in slots}) == 1 else slots


def _slot_list(given: States | None, batch: int, sizes: tuple[int, ...]) -> list[np.ndarray]:
    """States as one float64 ``[B, H_k]`` array per slot (zeros when not given)."""
    if given is None:
        return [np.zeros((batch, size)) for size in sizes]
    return [np.asarray(slot, dtype=np.float64) for slot in given]


def _weighted(torch: Any, tensor: Any, given: Any) -> Any:
    """``sum(given * tensor)``: one term of the loss (0 for ``given`` None)."""
    return 0.0 if given is None else (torch.from_numpy(np.asarray(given, dtype=np.float64)) * tensor).sum()


def torch_gradients(
    chain: Chain,
    inputs: CaseInputs,
    d_output: np.ndarray | None,
    d_h_n: States | None,
    d_c_n: States | None,
    d_y: np.ndarray | None,
) -> tuple[Result, Gradients]:
    """The forward result of one case and the gradients of
    ``L = sum(d_output * output) + sum_k sum(d_h_n[k] * h_n[k]) + sum_k sum(d_c_n[k] * c_n[k]) + sum(d_y * y)``
    with respect to every weight (dotted path, chain order), x (x inputs only), h0 and c0 (zeros when the
    case gives none), by ``torch.autograd.grad`` in float64.
    """
    import torch

    steps, batch = inputs.steps_batch
    lengths = np.full(batch, steps, dtype=np.int64) if inputs.lengths is None else np.asarray(inputs.lengths)
    leaves = torch_leaves(torch, chain)
    h0 = [torch.tensor(s, requires_grad=True) for s in _slot_list(inputs.h0, batch, chain.state_sizes)]
    c0 = [torch.tensor(s, requires_grad=True) for s in _slot_list(inputs.c0, batch, chain.cell_state_sizes)]
    if inputs.tokens is not None:
        feed = torch.from_numpy(np.asarray(inputs.tokens, dtype=np.int64))  # [T, B]
    else:
        feed = torch.tensor(np.asarray(inputs.x, dtype=np.float64), requires_grad=True)  # [T, B, I]
    run = torch_chain_forward(torch, chain, leaves, feed, lengths, h0, c0)
    loss = _weighted(torch, run["output"], d_output) + _weighted(torch, run["y"], d_y)
    for given, states in ((d_h_n, run["h_n"]), (d_c_n, run["c_n"])):
        if given is not None:
            loss = loss + sum(_weighted(torch, s, g) for g, s in zip(list(given), states, strict=True))
    targets = [*leaves.values(), *h0, *c0, *([] if inputs.tokens is not None else [feed])]
    grads = torch.autograd.grad(loss, targets, allow_unused=True, materialize_grads=True)
    arrays = [g.detach().numpy().copy() for g in grads]
    weights = dict(zip(leaves, arrays[: len(leaves)], strict=True))
    rest = arrays[len(leaves) :]
    d_h0, rest = rest[: len(h0)], rest[len(h0) :]
    d_c0, rest = rest[: len(c0)], rest[len(c0) :]
    gradients = Gradients(
        weights=weights, x=rest[0] if rest else None, h0=_friendly(d_h0), c0=_friendly(d_c0) if c0 else None
    )
    y = run["y"]
    result = Result(
        output=run["output"].detach().numpy().copy(),
        h_n=_friendly([s.detach().numpy().copy() for s in run["h_n"]]),
        c_n=_friendly([s.detach().numpy().copy() for s in run["c_n"]]) if run["c_n"] else None,
        y=None if y is None else y.detach().numpy().copy(),
    )
    return result, gradients

"""The oracles the backward tests compare with: random chains, and the same chain in PyTorch float64.

PyTorch runs each layer with its own module (``nn.RNN``/``nn.LSTM``/``nn.GRU``, through
``torch.func.functional_call`` so that the weights are our leaf tensors; packed sequences for uneven
lengths; each sequence flipped within its length for a reverse-only layer). What PyTorch has no module
for (peepholes, clip, the Cho GRU) is written here from docs/fixture-format.md's equations with torch
operations, and autograd differentiates it: no code is shared with rnn_rosetta.backward.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from rnn_rosetta.chain import Chain, Dense, Embedding
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

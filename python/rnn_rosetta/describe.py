"""``rnn-rosetta describe FIXTURE``: the chain, every shape, and the parameters of each part.

A version 1 fixture's model is described as the chain it is (:func:`chain_from_model`: one layer per
layer, its head as one dense layer on every step). ``T`` and ``B`` stay symbolic in the parts; the
cases give them values. Parameter counts come from :meth:`Chain.parameter_counts` and equal PyTorch's
``sum(p.numel() for p in module.parameters())`` for the same model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from rnn_rosetta.chain import Chain, chain_from_model
from rnn_rosetta.fixture_data import Case, Fixture

WIDTH = 80
COUNT_WIDTH = 12  # the parameter count, right-aligned at the end of a part's first line
DETAIL = "      "  # indent of a part's detail lines


def shape(*sizes: int | str) -> str:
    """``[T, B, 6]``."""
    return "[" + ", ".join(str(s) for s in sizes) + "]"


def _wrapped(items: Sequence[str], first: str, indent: str = DETAIL) -> list[str]:
    """``first`` then ``items`` separated by two spaces, folded at :data:`WIDTH` between items (never inside one)."""
    lines: list[str] = []
    current = first
    for item in items:
        candidate = f"{current}  {item}" if current.strip() else current + item
        if len(candidate) > WIDTH and current.strip():
            lines.append(current)
            current = indent + item
        else:
            current = candidate
    lines.append(current)
    return lines


def _part(label: str, flow: str, count: int | None) -> str:
    """One part's first line: label, what it maps to what, its parameter count at the right."""
    text = f"  {label:<20} {flow}"
    if count is None:
        return text
    number = f"{count:,}"
    return text + " " * max(1, WIDTH - len(text) - len(number)) + number


def _embedding_lines(chain: Chain, count: int) -> list[str]:
    embedding = chain.embedding
    assert embedding is not None
    flow = f"tokens {shape('T', 'B')} in 0..{embedding.vocab_size - 1} -> x {shape('T', 'B', embedding.size)}"
    return [_part("embedding", flow, count), f"{DETAIL}weight {shape(*embedding.weight.shape)}"]


def _layer_lines(chain: Chain, index: int, label: str, count: int) -> list[str]:
    layer = chain.layers[index]
    merge = chain.merges[index]
    reads = "x" if index == 0 else f"layers[{index - 1}]"
    flow = f"{reads} {shape('T', 'B', layer.input_size)} -> {shape('T', 'B', chain.layer_width(index))}"
    options = [layer.describe()]
    if layer.num_directions == 2:
        options.append(f"merge {merge}")
    lines = [_part(label, flow, count), f"{DETAIL}{', '.join(options)}"]
    for direction, weights in layer.layers[0].directions():
        arrays = [f"{name} {shape(*array.shape)}" for name, array in weights.arrays().items()]
        lines.extend(_wrapped(arrays, f"{DETAIL}{direction}:"))
    return lines


def _readout_lines(chain: Chain) -> list[str]:
    top = len(chain.layers) - 1
    width = chain.output_width
    if chain.readout == "sequence":
        return [_part("readout sequence", f"every step: {shape('T', 'B', width)}", None)]
    note = "the top layer's h_n, merged like its outputs"
    return [_part("readout last", f"layers[{top}] -> {shape('B', width)}", None), f"{DETAIL}{note}"]


def _dense_lines(chain: Chain, index: int, label: str, count: int) -> list[str]:
    dense = chain.dense[index]
    lead = ("T", "B") if chain.readout == "sequence" else ("B",)
    width = int(dense.weight.shape[1])
    result = "y " if index == len(chain.dense) - 1 else ""
    flow = f"{shape(*lead, width)} -> {result}{shape(*lead, dense.size)}"
    detail = f"{DETAIL}{dense.activation}(weight {shape(*dense.weight.shape)} v + bias {shape(*dense.bias.shape)})"
    return [_part(f"{label} {dense.activation}", flow, count), detail]


def part_lines(chain: Chain) -> list[str]:
    """Every part in chain order with its shapes and parameter count, then the total."""
    counts = chain.parameter_counts()
    labels = iter(counts)
    lines: list[str] = []
    if chain.embedding is not None:
        lines.extend(_embedding_lines(chain, next(labels)[1]))
    for index in range(len(chain.layers)):
        label, count = next(labels)
        lines.extend(_layer_lines(chain, index, label, count))
    lines.extend(_readout_lines(chain))
    for index in range(len(chain.dense)):
        label, count = next(labels)
        lines.extend(_dense_lines(chain, index, label, count))
    lines.append(_part("total", "", sum(count for _, count in counts)))
    return lines


def _slot_names(chain: Chain, lstm_only: bool) -> list[str]:
    return [
        f"layers[{index}] {direction}"
        for index, layer in enumerate(chain.layers)
        if layer.cell == "lstm" or not lstm_only
        for direction in layer.direction_names
    ]


def state_lines(chain: Chain) -> list[str]:
    """The state slots (one per layer and direction): their sizes and the array form they take."""
    lines = ["states: one slot per layer and direction, in this order"]
    for label, sizes, lstm_only in (("h0, h_n", chain.state_sizes, False), ("c0, c_n", chain.cell_state_sizes, True)):
        if not sizes:
            lines.append(f"  {label:<8} none (no lstm layer)")
            continue
        form = shape(len(sizes), "B", sizes[0]) if len(set(sizes)) == 1 else f"a list of {len(sizes)} [B, H_k]"
        lines.append(f"  {label:<8} {len(sizes)} slot{'' if len(sizes) == 1 else 's'}, {form}:")
        slots = [f"{name} {shape('B', size)}" for name, size in zip(_slot_names(chain, lstm_only), sizes, strict=True)]
        lines.extend(_wrapped(slots, DETAIL))
    return lines


def io_lines(chain: Chain) -> list[str]:
    """What ``forward`` takes and gives."""
    given = f"tokens {shape('T', 'B')}" if chain.takes_tokens else f"x {shape('T', 'B', chain.input_size)}"
    outputs = [f"output {shape('T', 'B', chain.output_width)}", "h_n"]
    if chain.cell_state_sizes:
        outputs.append("c_n")
    if chain.y_size is not None:
        lead = ("T", "B") if chain.readout == "sequence" else ("B",)
        outputs.append(f"y {shape(*lead, chain.y_size)}")
    return [
        f"inputs: {given}, h0, c0 (optional), lengths {shape('B')} (optional)",
        f"outputs: {', '.join(outputs)}",
    ]


def _case_lines(case: Case) -> list[str]:
    """``  name: T=6 B=4  tokens  h0  lengths=6,2,4,1  -> output h_n y``, folded at the width."""
    given = case.tokens if case.tokens is not None else case.x
    assert given is not None
    steps, batch = int(given.shape[0]), int(given.shape[1])
    items = [f"T={steps} B={batch}", "tokens" if case.tokens is not None else "x"]
    items += [name for name in ("h0", "c0") if getattr(case, name) is not None]
    if case.lengths is not None:
        items.append("lengths=" + ",".join(str(int(n)) for n in np.asarray(case.lengths)))
    items.append("-> " + " ".join(case.expected.fields()))
    return _wrapped(items, f"  {case.name}:")


def case_lines(cases: Iterable[Case]) -> list[str]:
    cases = list(cases)
    return [f"cases: {len(cases)}", *(line for case in cases for line in _case_lines(case))]


def as_chain(model: object) -> Chain:
    """A chain as it is; a v1 :class:`Model` as the chain it is."""
    return model if isinstance(model, Chain) else chain_from_model(model)  # type: ignore[arg-type]


def describe_lines(fixture: Fixture) -> list[str]:
    """Everything ``rnn-rosetta describe`` prints, without newlines."""
    model = fixture.model
    chain = as_chain(model)
    version = 2 if isinstance(model, Chain) else 1
    lines = [f"fixture: {fixture.name}, format version {version}"]
    if version == 1:
        lines.append(f"model: {model.describe()} (described below as the chain it is)")
    lines.append(f"chain: {chain.describe()}")
    lines.append(f"tolerance: {fixture.tolerance.rule()}")
    oracle = fixture.provenance.get("oracle")
    if oracle:
        lines.append(f"oracle: {oracle}")
    lines += ["", *io_lines(chain), "", *part_lines(chain), "", *state_lines(chain), "", *case_lines(fixture.cases)]
    return lines

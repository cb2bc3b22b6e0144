"""The per-step demo, the Python twin of ``c/demo/demo.c`` and ``rnnrosetta.demo.Demo``.

The text is specified in ``docs/demo-output.md`` (a v2 fixture, a chain, has its own
format there: always forward mode); all three print it byte for byte. Formatting uses
``%``-style (C printf semantics: exact binary value, rounded half to even).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from rnn_rosetta.backends import Net
from rnn_rosetta.chain import Chain
from rnn_rosetta.errors import FixtureError
from rnn_rosetta.fixtures import Case, Fixture


def norm(values: Iterable[float]) -> float:
    """``sqrt(sum v*v)`` summed in index order (the same order as C and Java)."""
    total = 0.0
    for v in values:
        total += v * v
    return math.sqrt(total)


def first_argmax(values: np.ndarray) -> int:
    """The first index of the largest value (``>`` scan, as in C and Java)."""
    best = 0
    for i in range(1, len(values)):
        if values[i] > values[best]:
            best = i
    return best


def demo_lines(fixture: Fixture, net: Any) -> list[str]:
    """Every line the demo prints, without newlines (``net``: the fixture's model loaded in a backend)."""
    if isinstance(fixture.model, Chain):
        return chain_demo_lines(fixture, net)
    return _model_demo_lines(fixture, net)


def _model_demo_lines(fixture: Fixture, net: Net) -> list[str]:
    """A version 1 fixture: step mode for a forward model, else forward mode."""
    model = fixture.model
    assert not isinstance(model, Chain)
    head = model.head
    described = (
        f"model: {model.cell} layers={model.num_layers} direction={model.direction} "
        f"input={model.input_size} hidden={model.hidden_size}"
    )
    if model.proj_size > 0:
        described += f" proj={model.proj_size}"
    if head is not None:
        described += f" head={head.activation}/{head.size}"
    lines = [f"rnn-rosetta demo: {fixture.name}", described]
    if not fixture.cases:
        return [*lines, "case: none (the fixture has no cases)"]
    case = fixture.cases[0]
    assert case.x is not None
    steps, batch, _ = case.x.shape
    length = steps if case.lengths is None else int(case.lengths[0])
    streaming = model.direction == "forward"
    is_lstm = model.cell == "lstm"
    mode = "step" if streaming else "forward"
    lines.append(f"case: {case.name} (batch element 0 of {batch}, {length} steps, {mode} mode)")
    header = "%4s %6s %12s %12s" % ("t", "input", "x[input]", "|h|")
    header += " %12s" % "|c|" if is_lstm else ""
    header += " %6s %12s" % ("class", "y[class]") if head is not None else ""
    lines.append(header)

    x = case.x[:length, 0:1, :]  # [L0, 1, I]
    h0 = None if case.h0 is None else case.h0[:, 0:1, :]
    c0 = None if case.c0 is None else case.c0[:, 0:1, :]
    out_norms: list[float] = []
    cell_norms: list[str] = []
    ys: list[np.ndarray | None] = []
    if streaming:
        # The streaming API, one step at a time. For a forward model the top
        # layer's output at t is its new hidden state h[L-1].
        h, c = h0, c0
        for t in range(length):
            y_t, (h, c) = net.step(x[t], (h, c))
            out_norms.append(norm(h[-1, 0]))
            cell_norms.append("%.6f" % norm(c[-1, 0]) if c is not None else "-")
            ys.append(y_t[0] if head is not None else None)
        h_n, c_n = h, c
    else:
        result = net.forward(x, h0, c0)
        out_norms = [norm(result.output[t, 0]) for t in range(length)]
        cell_norms = ["-"] * length
        ys = [None if result.y is None else result.y[t, 0] for t in range(length)]
        h_n, c_n = result.h_n, result.c_n

    for t in range(length):
        xt = case.x[t, 0]
        strongest = first_argmax(np.abs(xt))
        row = "%4d %6d %+12.6f %12.6f" % (t, strongest, xt[strongest], out_norms[t])
        if is_lstm:
            row += " %12s" % cell_norms[t]
        if head is not None:
            y_t = ys[t]
            assert y_t is not None
            k = first_argmax(y_t)
            row += " %6d %12.6f" % (k, y_t[k])
        lines.append(row)
    final = "final: |h_n|=%.6f" % norm(np.asarray(h_n)[:, 0].ravel())
    if is_lstm:
        final += " |c_n|=%.6f" % norm(np.asarray(c_n)[:, 0].ravel())
    lines.append(final)
    return lines


# -- version 2: a chain, always one whole-sequence forward ---------------------------------------


def _chain_model_line(chain: Chain) -> str:
    line = f"model: chain input={chain.input_size} layers={len(chain.layers)} readout={chain.readout}"
    if chain.embedding is not None:
        line += f" embedding={chain.embedding.vocab_size}x{chain.embedding.size}"
    if chain.y_size is not None:
        line += f" y={chain.y_size}"
    return line


def _row_zero(states: Any) -> Any:
    """Batch row 0 of every slot, keeping the form: ``[S, 1, H]`` from ``[S, B, H]``, else a list of ``[1, H_k]``."""
    if states is None:
        return None
    if isinstance(states, np.ndarray):
        return states[:, 0:1, :]
    return [np.asarray(slot)[0:1, :] for slot in states]


def _slots_row_zero(states: Any) -> list[float]:
    """Row 0 of every slot, in slot order, as one flat list (what the ``final:`` norms sum)."""
    if isinstance(states, np.ndarray):
        return [float(v) for v in states[:, 0, :].ravel()]
    return [float(v) for slot in states for v in np.asarray(slot)[0, :]]


def _layer0_inputs(chain: Chain, case: Case, length: int) -> np.ndarray:
    """What layer 0 reads for batch element 0, ``[L0, I]``: ``x[t, 0]``, or ``E[tokens[t, 0]]``."""
    if case.tokens is not None:
        assert chain.embedding is not None
        return chain.embedding.weight[case.tokens[:length, 0]]
    assert case.x is not None
    return case.x[:length, 0, :]


def chain_demo_lines(fixture: Fixture, net: Any) -> list[str]:
    """A version 2 fixture (docs/demo-output.md): one forward of batch element 0 over its first L0 steps."""
    chain = fixture.model
    assert isinstance(chain, Chain)
    lines = [f"rnn-rosetta demo: {fixture.name}", _chain_model_line(chain)]
    if not fixture.cases:
        return [*lines, "case: none (the fixture has no cases)"]
    case = fixture.cases[0]
    given = case.tokens if case.tokens is not None else case.x
    assert given is not None
    steps, batch = int(given.shape[0]), int(given.shape[1])
    length = steps if case.lengths is None else int(case.lengths[0])
    lines.append(f"case: {case.name} (batch element 0 of {batch}, {length} steps, forward mode)")
    per_step_y = chain.readout == "sequence" and chain.y_size is not None
    header = "%4s %6s %12s %12s" % ("t", "input", "x[input]", "|h|")
    header += " %6s %12s" % ("class", "y[class]") if per_step_y else ""
    lines.append(header)

    result = net.forward(given[:length, 0:1], _row_zero(case.h0), _row_zero(case.c0))  # one sequence, batch 1
    x = _layer0_inputs(chain, case, length)  # [L0, I]
    for t in range(length):
        strongest = first_argmax(np.abs(x[t]))
        row = "%4d %6d %+12.6f %12.6f" % (t, strongest, x[t, strongest], norm(result.output[t, 0]))
        if per_step_y:
            y_t = result.y[t, 0]
            k = first_argmax(y_t)
            row += " %6d %12.6f" % (k, y_t[k])
        lines.append(row)
    final = "final: |h_n|=%.6f" % norm(_slots_row_zero(result.h_n))
    if chain.cell_state_sizes:
        final += " |c_n|=%.6f" % norm(_slots_row_zero(result.c_n))
    lines.append(final)
    if chain.readout == "last" and result.y is not None:
        k = first_argmax(result.y[0])
        lines.append("last: class=%d y[class]=%.6f" % (k, result.y[0, k]))
    return lines


# -- the seed table (--seed-table): the seed articles' C and Java programs' compact table -----------------


def _seed_table_refusal(fixture: Fixture) -> FixtureError | None:
    """Why the seed table cannot run on ``fixture`` (a FixtureError naming the JSON path), else None."""
    chain = fixture.model
    if not isinstance(chain, Chain):
        return FixtureError(fixture.source, "version", "the seed table needs a version-2 fixture (a chain)")
    for index, layer in enumerate(chain.layers):
        if layer.direction != "forward":
            return FixtureError(
                fixture.source,
                f"model.layers[{index}].direction",
                f"the seed table streams one step at a time; this layer runs {layer.direction}",
            )
    if not fixture.cases:
        return FixtureError(fixture.source, "cases", "the seed table runs the first case; the fixture has none")
    return None


def seed_table_lines(fixture: Fixture, net: Any) -> list[str]:
    """The seed table (docs/demo-output.md, "The seed table"), without newlines.

    Step mode on batch element 0 of the first case: ``L0`` calls of ``net.step`` (batch 1), from row 0 of
    every ``h0``/``c0`` slot (zeros when null). Per step: the input (token, or the first index of the largest
    ``|x[t, 0, i]|``), ``|c|`` of the top layer's cell state (top layer lstm), ``|h|`` of the top layer's output
    (its ``h`` slot, the last one: every layer runs forward), and the most probable class with its ``y``
    (a sequence readout with ``y``). Raises :class:`FixtureError` (one line) for a fixture it cannot run.
    """
    refusal = _seed_table_refusal(fixture)
    if refusal is not None:
        raise refusal
    chain = fixture.model
    assert isinstance(chain, Chain)
    case = fixture.cases[0]
    given = case.tokens if case.tokens is not None else case.x
    assert given is not None
    length = int(given.shape[0]) if case.lengths is None else int(case.lengths[0])
    top_is_lstm = chain.layers[-1].cell == "lstm"
    per_step_y = chain.readout == "sequence" and chain.y_size is not None
    header = "step | input" + (" | |c|   " if top_is_lstm else "") + " | |h|   "
    header += " | class (p)" if per_step_y else ""
    lines = [f"seed table: {fixture.name} (case {case.name}, batch element 0, {length} steps)", header]
    h, c = _row_zero(case.h0), _row_zero(case.c0)
    for t in range(length):
        y_t, (h, c) = net.step(given[t, 0:1], (h, c))  # x_t [1, I] or tokens [1]
        if case.tokens is not None:
            shown = int(case.tokens[t, 0])
        else:
            assert case.x is not None
            shown = first_argmax(np.abs(case.x[t, 0]))
        row = "%4d | %5d" % (t, shown)
        if top_is_lstm:
            row += " | %.4f" % norm(np.asarray(c[-1])[0])  # the top layer's (last) c slot, row 0
        row += " | %.4f" % norm(np.asarray(h[-1])[0])  # the top layer's (last) h slot = its output
        if per_step_y:
            k = first_argmax(y_t[0])
            row += " | %2d (%.2f)" % (k, y_t[0, k])
        lines.append(row)
    return lines

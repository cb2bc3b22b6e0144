"""The per-step demo, the Python twin of ``c/demo/demo.c`` and ``rnnrosetta.demo.Demo``.

The text is specified in ``docs/demo-output.md``; all three print it byte for
byte. Formatting uses ``%``-style (C printf semantics: exact binary value,
rounded half to even).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from rnn_rosetta.backends import Net
from rnn_rosetta.fixtures import Fixture


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


def demo_lines(fixture: Fixture, net: Net) -> list[str]:
    """Every line the demo prints, without newlines."""
    model = fixture.model
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

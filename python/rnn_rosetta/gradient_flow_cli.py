"""``rnn-rosetta gradient-flow [--steps 100] [--out DIR] [--backend B]``: the seed's gradient numbers, measured.

Prints ``||dL/dh_t||`` (the LSTM: ``||dL/dc_t||``) measured against the theory's product at a few
``t`` per model (rich tables, as the bench prints them), then writes ``DIR/gradient_flow.json`` (every
``t``) and ``DIR/gradient_flow.png`` (log-y, one line per model, dashed predictions). What is
measured and how: :mod:`rnn_rosetta.gradient_flow`. Errors: one line, exit status 2.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from rnn_rosetta.backends import BACKENDS
from rnn_rosetta.gradient_flow import EXPLODING_STEPS, MAX_STEPS, STEPS, Flow, table_steps, time_constant

DEFAULT_OUT = Path("gradient_flow_out")

#: The seed article's worked numbers (003), recomputed.
SEED_NUMBERS: tuple[tuple[str, float, str], ...] = (
    ("0.9^99", 0.9**99, "the article's 2.6e-5 is 0.9^100"),
    ("0.9^100", 0.9**100, ""),
    ("0.99^99", 0.99**99, ""),
    ("1.5^19", 1.5**19, "a gain of 1.5 over 20 steps"),
    ("tau(f=0.99) steps", time_constant(0.99), "-1 / ln 0.99"),
    ("tau(f=0.95, dt=0.02 s) s", time_constant(0.95, 0.02), "-0.02 / ln 0.95"),
)


def parse_steps(text: str) -> int:
    """``--steps``: decimal digits, ``2 .. 1000``."""
    if not text.isdigit() or not 2 <= int(text) <= MAX_STEPS:
        raise argparse.ArgumentTypeError(f"steps must be an integer in 2 .. {MAX_STEPS}, got {text!r}")
    return int(text)


def _finite(value: float | None) -> float | None:
    """JSON has no inf or NaN: those become null."""
    return None if value is None or not math.isfinite(value) else float(value)


def flow_document(flows: list[Flow], steps: int, backend: str) -> dict[str, Any]:
    """What ``gradient_flow.json`` holds: the set-up and, per model, every ``t``'s measured and predicted norm."""
    models = []
    for flow in flows:
        model = flow.model
        models.append({
            "name": model.name,
            "cell": model.chain.layers[0].cell,
            "describe": model.chain.describe(),
            "tracks": model.tracks,
            "factor": model.factor,
            "tau_steps": _finite(flow.tau),
            "effective_factor": _finite(flow.effective_factor),
            "steps": int(flow.measured.shape[0]),
            "note": model.note,
            "max_norm": model.max_norm,
            "weight_grad_norm_before_clip": flow.clip_total,
            "clip_coef": flow.clip_coef,
            "measured": [float(v) for v in flow.measured],
            "predicted": [float(v) for v in flow.predicted],
            "h_grad_norms": [float(v) for v in flow.h_norms],
            "c_grad_norms": None if flow.c_norms is None else [float(v) for v in flow.c_norms],
        })  # fmt: skip
    return {
        "what": "||dL/dh_t|| (lstm: ||dL/dc_t||) against t for L = u . h_{T-1}, ||u|| = 1; predicted: "
        "measured[T-1] * factor^(T-1-t); clipped: scaled by clip_grad_norm_'s coefficient of the weight gradients",
        "steps": steps,
        "backend": backend,
        "dtype": "float64",
        "seed_numbers": {name: value for name, value, _ in SEED_NUMBERS},
        "models": models,
    }


def write_plot(flows: list[Flow], path: Path) -> None:
    """Log-y ``||dL/dh_t||`` against ``t``: the vanishing models left, the exploding ones right; dashed: predicted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    exploding = [flow for flow in flows if flow.model.factor > 1.0]
    vanishing = [flow for flow in flows if flow.model.factor <= 1.0]
    figure, axes = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [3, 2]})
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for axis, group, title in (
        (axes[0], vanishing, "vanishing: the gradient from the last step, t steps into the past"),
        (axes[1], exploding, "exploding, and clipped by global norm"),
    ):
        for index, flow in enumerate(group):
            color = colors[(index + (len(vanishing) if group is exploding else 0)) % len(colors)]
            t = range(flow.measured.shape[0])
            label = f"{flow.model.name}: {flow.quantity}"
            if flow.clip_total is not None:
                label += f"\n(weight-gradient norm {flow.clip_total:.4g} -> {flow.clip_total * flow.clip_coef:.3g})"
            axis.plot(t, flow.measured, color=color, linewidth=2.5, alpha=0.6, label=label)
            axis.plot(t, flow.predicted, color="black", linestyle=(0, (3, 3)), linewidth=0.9, zorder=3,
                      label=f"{flow.model.factor:g}^(T-1-t)")  # fmt: skip
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_yscale("log")
        axis.set_xlabel("t")
        axis.set_ylabel("gradient norm")
        axis.set_title(title, fontsize=10)
        axis.grid(True, which="major", alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle("||dL/dh_t|| for a loss on the last output (float64; dashed: the theory's product)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def flow_tables(flows: list[Flow], steps: int) -> list[Any]:
    """The rich tables: measured against predicted at a few ``t`` per model, then one line per model."""
    from rich import box
    from rich.table import Table

    detail = Table(title=f"gradient flow over T = {steps} steps (exploding: {min(EXPLODING_STEPS, steps)})",
                   box=box.SIMPLE_HEAD)  # fmt: skip
    for name in ("model", "norm", "t", "k = T-1-t", "measured", "predicted", "measured / predicted"):
        detail.add_column(name, justify="left" if name in ("model", "norm") else "right")
    title = "per model: the factor per step back, predicted and measured ((measured[0] / measured[T-1])^(1/(T-1)))"
    summary = Table(title=title, box=box.SIMPLE_HEAD)
    for name in ("model", "factor", "tau = -1/ln f", "measured factor", "weight-grad norm", "note"):
        summary.add_column(name, justify="left" if name in ("model", "note") else "right")
    for flow in flows:
        measured, predicted = flow.measured, flow.predicted
        last = measured.shape[0] - 1
        for row, t in enumerate(table_steps(steps, measured.shape[0])):
            ratio = measured[t] / predicted[t] if predicted[t] != 0.0 else math.nan
            name, quantity = (flow.model.name, flow.quantity) if row == 0 else ("", "")
            detail.add_row(name, quantity, str(t), str(last - t), f"{measured[t]:.5g}", f"{predicted[t]:.5g}",
                           f"{ratio:.4f}")  # fmt: skip
        detail.add_section()
        model = flow.model
        tau = "-" if math.isinf(flow.tau) else f"{flow.tau:.1f}"
        grad = ""
        if model.max_norm is not None and flow.clip_total is not None:
            grad = f"{flow.clip_total:.4g} -> {flow.clip_total * flow.clip_coef:.4g}"
        summary.add_row(model.name, f"{model.factor:g}", tau, f"{flow.effective_factor:.5f}", grad, model.note)
    seed = Table(title="the seed's numbers (003), recomputed", box=box.SIMPLE_HEAD)
    for name in ("quantity", "value", "note"):
        seed.add_column(name, justify="right" if name == "value" else "left")
    for name, value, note in SEED_NUMBERS:
        seed.add_row(name, f"{value:.5g}", note)
    return [detail, summary, seed]


def _cmd_gradient_flow(args: argparse.Namespace) -> int:
    from rich.console import Console

    from rnn_rosetta.gradient_flow import gradient_flow

    console = Console()
    if not console.is_terminal:  # a file or a pipe: wide enough for the tables
        console = Console(width=140)
    flows = gradient_flow(args.steps, args.backend)
    args.out.mkdir(parents=True, exist_ok=True)
    json_path, png_path = args.out / "gradient_flow.json", args.out / "gradient_flow.png"
    document = flow_document(flows, args.steps, args.backend)
    json_path.write_text(json.dumps(document, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    write_plot(flows, png_path)
    for table in flow_tables(flows, args.steps):
        console.print(table)
    console.print(f"wrote {json_path} and {png_path}", highlight=False)
    return 0


def add_parser(commands: Any) -> None:
    """Register ``gradient-flow`` on the ``rnn-rosetta`` sub-command parsers."""
    parser = commands.add_parser(
        "gradient-flow",
        help="vanishing and exploding gradients measured: ||dL/dh_t|| against t, next to 0.9^k, 0.99^k, 1.5^k",
        description=(
            "Measure ||dL/dh_t|| (float64, exact BPTT) for a loss on the last output: tanh RNNs at recurrent"
            " gain 0.9 and 0.99, an LSTM with its forget gate at 0.99, a GRU with its update gate at 0.95, and"
            " a relu RNN at gain 1.5 with and without clipping by global norm. Prints measured against"
            " predicted, writes OUT/gradient_flow.json and OUT/gradient_flow.png. Exit 2: a bad argument."
        ),
    )
    parser.add_argument(
        "--steps", type=parse_steps, default=STEPS, metavar="T", help=f"steps, 2 .. {MAX_STEPS} ({STEPS})"
    )
    out_help = f"writes DIR/gradient_flow.json and DIR/gradient_flow.png ({DEFAULT_OUT})"
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR", help=out_help)
    parser.add_argument(
        "--backend", choices=BACKENDS, default="numpy", help="numpy, c or java: the same numbers (numpy)"
    )
    parser.set_defaults(handler=_cmd_gradient_flow)

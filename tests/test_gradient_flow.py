"""``rnn-rosetta gradient-flow``: the measured ``dL/dh_t`` against PyTorch autograd, against the theory where it is
exact, and the command's files and refusals.

Oracles: PyTorch's ``RNNCell``/``LSTMCell``/``GRUCell`` in float64 run step by step with ``retain_grad`` on every
``h_t`` (and ``c_t``), loss ``u . h_{T-1}``; ``torch.nn.utils.clip_grad_norm_`` for the clipped total; the closed
forms ``gain^k`` (linear relu net, orthogonal ``W_hh``), ``f^k`` / ``z^k`` (a gate with no path through ``h``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnn_rosetta.backends.numpy_chain import NumpyChainNet
from rnn_rosetta.cli_errors import PROG, OneLineArgumentParser, dispatch
from rnn_rosetta.gradient_flow import (
    HIDDEN,
    INPUTS,
    Flow,
    FlowModel,
    default_models,
    gru_chain,
    lstm_chain,
    measure,
    rnn_chain,
    time_constant,
)
from rnn_rosetta.gradient_flow_cli import add_parser
from tests.conftest import require_backend, require_torch

RTOL = 1e-9  # ours vs autograd, per step: ||got_t - want_t|| <= RTOL ||want_t||
T = 100


def torch_state_gradients(model: FlowModel) -> tuple[np.ndarray, np.ndarray | None, float]:
    """Autograd's ``dL/dh_t`` [T, 1, H], ``dL/dc_t`` (lstm) and clip_grad_norm_'s total norm of the weight gradients."""
    torch = require_torch()
    layer = model.chain.layers[0]
    w = layer.layers[0].forward
    assert w is not None
    kind = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[layer.cell]
    extra = {"nonlinearity": layer.nonlinearity} if layer.cell == "rnn" else {}
    cell = kind(INPUTS, HIDDEN, dtype=torch.float64, **extra)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(torch.from_numpy(getattr(w, name)))
    x = torch.from_numpy(model.x)  # [T, 1, I]
    h = torch.zeros(1, HIDDEN, dtype=torch.float64)
    c = torch.zeros(1, HIDDEN, dtype=torch.float64)
    hs, cs = [], []
    for t in range(x.shape[0]):
        if layer.cell == "lstm":
            h, c = cell(x[t], (h, c))
            c.retain_grad()
            cs.append(c)
        else:
            h = cell(x[t], h)
        h.retain_grad()
        hs.append(h)
    loss = (torch.from_numpy(model.u) * hs[-1]).sum()
    loss.backward()
    total = float(torch.nn.utils.clip_grad_norm_(cell.parameters(), max_norm=model.max_norm or 1.0))
    d_h = np.stack([v.grad.numpy() for v in hs])
    d_c = np.stack([v.grad.numpy() for v in cs]) if cs else None
    return d_h, d_c, total


def assert_steps_close(got: np.ndarray, want: np.ndarray) -> None:
    """Every step's vector [T, B, H] within RTOL of autograd's, relative to its own norm."""
    for t in range(want.shape[0]):
        error, scale = np.linalg.norm(got[t] - want[t]), np.linalg.norm(want[t])
        assert error <= RTOL * scale, f"t={t}: |got - want| = {error:.3g}, |want| = {scale:.3g}"


MODELS = default_models(T)


@pytest.fixture(scope="module")
def flows() -> dict[str, Flow]:
    """Every default model measured once (numpy, T = 100)."""
    return {model.name: measure(model) for model in MODELS}


@pytest.mark.parametrize("model", MODELS, ids=[m.name for m in MODELS])
def test_state_gradients_equal_autograd(model: FlowModel, flows: dict[str, Flow]) -> None:
    flow = flows[model.name]
    ours = flow.gradients
    want_h, want_c, total = torch_state_gradients(model)
    assert ours.h.shape == want_h.shape == (model.x.shape[0], 1, HIDDEN)
    assert_steps_close(ours.h, want_h)
    if want_c is not None:
        assert ours.c is not None
        assert_steps_close(ours.c, want_c)
    else:
        assert ours.c is None
    np.testing.assert_allclose(flow.h_norms, np.linalg.norm(want_h[:, 0], axis=1), rtol=RTOL)
    if model.max_norm is not None:
        assert flow.clip_total == pytest.approx(total, rel=RTOL)


def _measured_ratio(model: FlowModel) -> np.ndarray:
    flow = measure(model)
    return flow.measured / flow.measured[-1]


def _powers(factor: float, steps: int) -> np.ndarray:
    """``factor^(T-1-t)`` for t = 0 .. T-1, by repeated multiplication (not the code under test's ``**``)."""
    out, value = np.empty(steps), 1.0
    for t in range(steps - 1, -1, -1):
        out[t] = value
        value *= factor
    return out


@pytest.mark.parametrize("gain", [0.9, 1.5])
def test_linear_relu_net_with_orthogonal_w_decays_exactly_as_gain_power(gain: float) -> None:
    rng = np.random.default_rng(1)
    x = np.abs(rng.standard_normal((40 if gain < 1 else 20, 1, INPUTS)))  # > 0: every relu input > 0
    u = np.eye(1, HIDDEN)
    model = FlowModel("relu", rnn_chain(gain, "relu", rng, positive=True), x, u, gain)
    np.testing.assert_allclose(_measured_ratio(model), _powers(gain, x.shape[0]), rtol=1e-12)


def test_exploding_reaches_the_seeds_2216_8_after_20_steps(flows: dict[str, Flow]) -> None:
    flow = flows["rnn relu g=1.5"]
    assert flow.measured.shape == (20,)
    assert round(float(flow.measured[0]), 1) == 2216.8  # 1.5^19, the seed's "about 2200"


def test_lstm_cell_gradient_is_exactly_f_power_without_the_h_path() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 1, INPUTS))
    model = FlowModel("lstm", lstm_chain(0.99, rng, recurrent=0.0), x, np.eye(1, HIDDEN), 0.99, tracks="c")
    np.testing.assert_allclose(_measured_ratio(model), _powers(0.99, 40), rtol=1e-12)


def test_gru_gradient_is_exactly_z_power_without_the_h_path() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 1, INPUTS))
    model = FlowModel("gru", gru_chain(0.95, rng, recurrent=0.0), x, np.eye(1, HIDDEN), 0.95)
    np.testing.assert_allclose(_measured_ratio(model), _powers(0.95, 40), rtol=1e-12)


def test_tanh_net_never_beats_its_gain_and_tiny_states_reach_it(flows: dict[str, Flow]) -> None:
    """``||W^T (s * v)|| = g ||s * v|| <= g ||v||`` for slopes ``s = 1 - h^2`` in (0, 1]: measured <= gain^k."""
    flow = flows["rnn tanh g=0.9"]
    ratio = flow.measured / flow.measured[-1]
    predicted = _powers(0.9, T)
    assert np.all(ratio <= predicted * (1 + 1e-12))
    assert ratio[0] >= 0.999 * predicted[0]
    assert ratio[0] == pytest.approx(2.95e-5, rel=2e-3)  # 0.9^99, not the article's 2.6e-5


def test_clipping_caps_the_weight_gradient_and_scales_every_state_gradient(flows: dict[str, Flow]) -> None:
    clipped_model = next(m for m in MODELS if m.max_norm is not None)
    plain, clipped = flows["rnn relu g=1.5"], flows[clipped_model.name]
    assert clipped.clip_total is not None and clipped.clip_total > 100 * clipped_model.max_norm  # it explodes
    after = clipped.clip_total * clipped.clip_coef
    assert after <= clipped_model.max_norm
    assert after == pytest.approx(clipped_model.max_norm, rel=1e-9)
    np.testing.assert_allclose(clipped.measured, clipped.clip_coef * plain.measured, rtol=1e-15)
    assert plain.clip_coef == 1.0


def test_time_constant_is_the_steps_to_keep_one_over_e() -> None:
    for f, dt in ((0.99, 1.0), (0.95, 0.02), (0.5, 3.0)):
        tau = time_constant(f, dt)
        assert f ** (tau / dt) == pytest.approx(math.exp(-1.0), rel=1e-12)
    assert round(time_constant(0.99), 1) == 99.5
    assert round(time_constant(0.95, 0.02), 2) == 0.39  # the seed's 0.39 s
    assert time_constant(1.5) == math.inf


# -- the command ----------------------------------------------------------------------------------


def run_command(argv: list[str]) -> int:
    parser = OneLineArgumentParser(prog=PROG)
    add_parser(parser.add_subparsers(dest="command", required=True))
    return dispatch(parser.parse_args(argv))


def test_command_prints_the_table_and_writes_png_and_json(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "flow"
    assert run_command(["gradient-flow", "--steps", "20", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for text in ("rnn tanh g=0.9", "lstm f=0.99", "gru z=0.95", "clip 5", "2216.8", "measured / predicted"):
        assert text in printed
    png = (out / "gradient_flow.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    document = json.loads((out / "gradient_flow.json").read_text(encoding="utf-8"))
    assert document["steps"] == 20 and document["backend"] == "numpy"
    assert {m["name"]: len(m["measured"]) for m in document["models"]} == {m.name: 20 for m in MODELS}
    assert round(document["seed_numbers"]["0.9^99"], 7) == 2.95e-5
    assert round(document["seed_numbers"]["1.5^19"], 1) == 2216.8


@pytest.mark.parametrize(
    "argv",
    [
        ["--steps", "1"],
        ["--steps", "1001"],
        ["--steps", "ten"],
        ["--steps", "-5"],
        ["--backend", "fortran"],
        ["--no-such-option"],
    ],
)
def test_bad_arguments_fail_in_one_line_with_exit_2(argv: list[str], capsys: Any) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_command(["gradient-flow", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"{PROG}: ")


def test_out_that_is_a_file_fails_in_one_line(tmp_path: Path, capsys: Any) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert run_command(["gradient-flow", "--steps", "3", "--out", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(blocker) in err


def test_backend_without_backward_fails_in_one_line(monkeypatch: Any, tmp_path: Path, capsys: Any) -> None:
    monkeypatch.setattr(NumpyChainNet, "supports_backward", False)
    assert run_command(["gradient-flow", "--steps", "3", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no backward pass" in err
    assert not (tmp_path / "gradient_flow.json").exists()


@pytest.mark.parametrize("backend", ["c", "java"])
def test_the_c_and_java_backends_print_and_write_the_numpy_numbers(backend: str, tmp_path: Path, capsys: Any) -> None:
    """The same command on C's and Java's backward pass: every norm within 1e-9 relative of numpy's."""
    require_backend(backend)
    documents, printed = {}, {}
    for name in ("numpy", backend):
        out = tmp_path / name
        assert run_command(["gradient-flow", "--steps", "20", "--out", str(out), "--backend", name]) == 0
        printed[name] = capsys.readouterr().out
        documents[name] = json.loads((out / "gradient_flow.json").read_text(encoding="utf-8"))
    numpy_doc, other = documents["numpy"], documents[backend]
    assert other["backend"] == backend and len(other["models"]) == len(numpy_doc["models"]) == len(MODELS)
    for mine, theirs in zip(other["models"], numpy_doc["models"], strict=True):
        assert mine["name"] == theirs["name"]
        for key in ("measured", "predicted", "h_grad_norms", "c_grad_norms"):
            if theirs[key] is None:
                assert mine[key] is None, (mine["name"], key)
                continue
            np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-9, atol=0.0, err_msg=f"{mine['name']} {key}")
        for key in ("weight_grad_norm_before_clip", "clip_coef"):
            if theirs[key] is not None:
                assert mine[key] == pytest.approx(theirs[key], rel=1e-9), (mine["name"], key)
    # the printed tables show the numbers to a few digits: the same text, the file names aside
    strip = {name: text.replace(str(tmp_path / name), "OUT") for name, text in printed.items()}
    assert strip[backend] == strip["numpy"]

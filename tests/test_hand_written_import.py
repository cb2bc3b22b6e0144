"""The hand-written-cell importers (rnn_rosetta.interop.hand_written) against direct implementations.

Each test writes the source's equations out here, in float64 numpy, one time step at a time, on the
source's own weight layout; the imported Chain runs through our numpy backend; both must agree. Every
option is covered: concat ``h_x``/``x_h``, gate orders, gate aliases, the GRU's update-gate conventions
with either reset placement. Bad names, shapes and options are refused with one line naming them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta.interop import model_from_concat_gates, model_from_gate_blocks

I, H, T, B = 3, 4, 6, 2  # noqa: E741 (I: the input size, as in the equations)


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def draw(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape) * 0.5


def run_ours(chain: rr.Chain, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None = None) -> rr.Result:
    net = rr.get_backend("numpy").load(chain)
    return net.forward(x, h0[None], None if c0 is None else c0[None])


def run_direct(step: Callable[..., Any], x: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
    """``state = step(x_t, state)`` for every t; the outputs (the state's h) stacked ``[T, B, H]``."""
    outputs = []
    for x_t in x:
        state = step(x_t, state)
        outputs.append(state[0] if isinstance(state, tuple) else state)
    return np.stack(outputs), state


def assert_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13, err_msg=what)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261206)


# -- model_from_concat_gates -----------------------------------------------------------------------------


@pytest.mark.parametrize("candidate_name", ["g", "c"])
def test_lstm_on_h_x_like_the_java_seed(rng: np.random.Generator, candidate_name: str) -> None:
    """a_k = W_k [h, x] + b_k; c = f c + i g; h = o tanh(c)."""
    W = {k: draw(rng, H, H + I) for k in ("f", "i", candidate_name, "o")}
    b = {k: draw(rng, H) for k in W}
    x, h0, c0 = draw(rng, T, B, I), draw(rng, B, H), draw(rng, B, H)

    def step(x_t: np.ndarray, state: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        h, c = state
        both = np.concatenate([h, x_t], axis=1)  # [B, H+I]
        f = sigmoid(both @ W["f"].T + b["f"])
        i = sigmoid(both @ W["i"].T + b["i"])
        g = np.tanh(both @ W[candidate_name].T + b[candidate_name])
        o = sigmoid(both @ W["o"].T + b["o"])
        c = f * c + i * g
        return o * np.tanh(c), c

    want, (h_n, c_n) = run_direct(step, x, (h0, c0))
    chain = model_from_concat_gates("lstm", W, b, input_size=I)
    got = run_ours(chain, x, h0, c0)
    assert_close(got.output, want, "output")
    assert_close(got.h_n[0], h_n, "h_n")
    assert_close(got.c_n[0], c_n, "c_n")


def test_lstm_on_x_h_like_seed_001s_linear_cell(rng: np.random.Generator) -> None:
    """gates = Linear([x, h]) chunked i, f, o, g: one [H, I+H] block per gate, concat x_h."""
    weight, bias = draw(rng, 4 * H, I + H), draw(rng, 4 * H)
    x, h0, c0 = draw(rng, T, B, I), draw(rng, B, H), draw(rng, B, H)

    def step(x_t: np.ndarray, state: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        h, c = state
        gates = np.concatenate([x_t, h], axis=1) @ weight.T + bias  # [B, 4H]
        i, f, o, g = np.split(gates, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        return sigmoid(o) * np.tanh(c), c

    want, (_, c_n) = run_direct(step, x, (h0, c0))
    blocks = dict(zip("ifog", np.split(weight, 4), strict=True))
    biases = dict(zip("ifog", np.split(bias, 4), strict=True))
    got = run_ours(model_from_concat_gates("lstm", blocks, biases, input_size=I, concat="x_h"), x, h0, c0)
    assert_close(got.output, want, "output")
    assert_close(got.c_n[0], c_n, "c_n")


@pytest.mark.parametrize("update_gate", ["keeps_state", "weights_candidate"])
def test_gru_on_h_x_with_either_update_convention(rng: np.random.Generator, update_gate: str) -> None:
    """z, r = sigmoid(W [h, x] + b); n = tanh(W_n [r h, x] + b_n); h = (1-z) n + z h, or z n + (1-z) h."""
    W = {k: draw(rng, H, H + I) for k in ("z", "r", "n")}
    b = {k: draw(rng, H) for k in W}
    x, h0 = draw(rng, T, B, I), draw(rng, B, H)

    def step(x_t: np.ndarray, h: np.ndarray) -> np.ndarray:
        both = np.concatenate([h, x_t], axis=1)
        z = sigmoid(both @ W["z"].T + b["z"])
        r = sigmoid(both @ W["r"].T + b["r"])
        n = np.tanh(np.concatenate([r * h, x_t], axis=1) @ W["n"].T + b["n"])
        return z * n + (1 - z) * h if update_gate == "weights_candidate" else (1 - z) * n + z * h

    want, h_n = run_direct(step, x, h0)
    chain = model_from_concat_gates("gru", W, b, input_size=I, update_gate=update_gate)
    assert chain.layers[0].linear_before_reset is False
    got = run_ours(chain, x, h0)
    assert_close(got.output, want, "output")
    assert_close(got.h_n[0], h_n, "h_n")


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_on_h_x_without_biases(rng: np.random.Generator, nonlinearity: str) -> None:
    W = draw(rng, H, H + I)
    x, h0 = draw(rng, T, B, I), draw(rng, B, H)
    act = np.tanh if nonlinearity == "tanh" else (lambda a: np.maximum(a, 0.0))
    want, _ = run_direct(lambda x_t, h: act(np.concatenate([h, x_t], axis=1) @ W.T), x, h0)
    chain = model_from_concat_gates("rnn", {"h": W}, input_size=I, nonlinearity=nonlinearity)
    assert_close(run_ours(chain, x, h0).output, want, "output")


# -- model_from_gate_blocks ------------------------------------------------------------------------------


def test_lstm_blocks_chunked_ifog_like_seed_001(rng: np.random.Generator) -> None:
    w_ih, w_hh, b_ih, b_hh = draw(rng, 4 * H, I), draw(rng, 4 * H, H), draw(rng, 4 * H), draw(rng, 4 * H)
    x, h0, c0 = draw(rng, T, B, I), draw(rng, B, H), draw(rng, B, H)

    def step(x_t: np.ndarray, state: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        h, c = state
        i, f, o, g = np.split(x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        return sigmoid(o) * np.tanh(c), c

    want, (h_n, c_n) = run_direct(step, x, (h0, c0))
    got = run_ours(model_from_gate_blocks("lstm", w_ih, w_hh, b_ih, b_hh, gate_order="ifog"), x, h0, c0)
    assert_close(got.output, want, "output")
    assert_close(got.h_n[0], h_n, "h_n")
    assert_close(got.c_n[0], c_n, "c_n")


@pytest.mark.parametrize("linear_before_reset", [True, False])
@pytest.mark.parametrize("update_gate", ["keeps_state", "weights_candidate"])
@pytest.mark.parametrize("gate_order", ["zrn", "rzn", ["n", "z", "r"]])
def test_gru_blocks_every_order_convention_and_reset_placement(
    rng: np.random.Generator, gate_order: Any, update_gate: str, linear_before_reset: bool
) -> None:
    w_ih, w_hh, b_ih, b_hh = draw(rng, 3 * H, I), draw(rng, 3 * H, H), draw(rng, 3 * H), draw(rng, 3 * H)
    x, h0 = draw(rng, T, B, I), draw(rng, B, H)
    at = {name: k for k, name in enumerate(gate_order)}

    def block(array: np.ndarray, name: str) -> np.ndarray:
        return array[at[name] * H : (at[name] + 1) * H]

    def step(x_t: np.ndarray, h: np.ndarray) -> np.ndarray:
        z = sigmoid(x_t @ block(w_ih, "z").T + block(b_ih, "z") + h @ block(w_hh, "z").T + block(b_hh, "z"))
        r = sigmoid(x_t @ block(w_ih, "r").T + block(b_ih, "r") + h @ block(w_hh, "r").T + block(b_hh, "r"))
        if linear_before_reset:
            recurrent = r * (h @ block(w_hh, "n").T + block(b_hh, "n"))
        else:
            recurrent = (r * h) @ block(w_hh, "n").T + block(b_hh, "n")
        n = np.tanh(x_t @ block(w_ih, "n").T + block(b_ih, "n") + recurrent)
        return z * n + (1 - z) * h if update_gate == "weights_candidate" else (1 - z) * n + z * h

    want, h_n = run_direct(step, x, h0)
    chain = model_from_gate_blocks(
        "gru", w_ih, w_hh, b_ih, b_hh, gate_order=gate_order, update_gate=update_gate,
        linear_before_reset=linear_before_reset,
    )  # fmt: skip
    got = run_ours(chain, x, h0)
    assert_close(got.output, want, "output")
    assert_close(got.h_n[0], h_n, "h_n")


def test_rnn_blocks(rng: np.random.Generator) -> None:
    w_ih, w_hh, b_ih = draw(rng, H, I), draw(rng, H, H), draw(rng, H)
    x, h0 = draw(rng, T, B, I), draw(rng, B, H)
    want, _ = run_direct(lambda x_t, h: np.tanh(x_t @ w_ih.T + b_ih + h @ w_hh.T), x, h0)
    assert_close(run_ours(model_from_gate_blocks("rnn", w_ih, w_hh, b_ih, gate_order="h"), x, h0).output, want, "y")


# -- round trips -----------------------------------------------------------------------------------------


def test_canonical_order_is_the_identity_and_permutations_invert(rng: np.random.Generator) -> None:
    w_ih, w_hh, b_ih, b_hh = draw(rng, 4 * H, I), draw(rng, 4 * H, H), draw(rng, 4 * H), draw(rng, 4 * H)
    same = model_from_gate_blocks("lstm", w_ih, w_hh, b_ih, b_hh, gate_order="ifgo").layers[0].layers[0].forward
    assert same is not None
    for got, given in zip(
        (same.weight_ih, same.weight_hh, same.bias_ih, same.bias_hh), (w_ih, w_hh, b_ih, b_hh), strict=True
    ):
        np.testing.assert_array_equal(got, given)
    # canonical -> ifog blocks by hand -> imported with gate_order="ifog" -> the canonical arrays again
    i, f, g, o = np.split(w_ih, 4)
    back = model_from_gate_blocks("lstm", np.concatenate([i, f, o, g]), w_hh, gate_order="ifog").layers[0].layers[0]
    assert back.forward is not None
    np.testing.assert_array_equal(back.forward.weight_ih, w_ih)


def test_concat_gates_round_trip_and_weights_candidate_twice_is_the_identity(rng: np.random.Generator) -> None:
    """Canonical arrays -> one [H, H+I] matrix per gate -> imported: the same arrays; the z negation is exact."""
    w_ih, w_hh, b_ih = draw(rng, 3 * H, I), draw(rng, 3 * H, H), draw(rng, 3 * H)
    rows = {k: slice(n * H, (n + 1) * H) for n, k in enumerate("rzn")}
    gates = {k: np.concatenate([w_hh[rows[k]], w_ih[rows[k]]], axis=1) for k in "rzn"}
    biases = {k: b_ih[rows[k]] for k in "rzn"}
    plain = model_from_concat_gates("gru", gates, biases, input_size=I).layers[0].layers[0].forward
    assert plain is not None
    np.testing.assert_array_equal(plain.weight_ih, w_ih)
    np.testing.assert_array_equal(plain.weight_hh, w_hh)
    np.testing.assert_array_equal(plain.bias_ih, b_ih)
    np.testing.assert_array_equal(plain.bias_hh, np.zeros(3 * H))
    flipped = model_from_concat_gates("gru", gates, biases, input_size=I, update_gate="weights_candidate")
    once = flipped.layers[0].layers[0].forward
    assert once is not None
    twice = model_from_gate_blocks(
        "gru", once.weight_ih, once.weight_hh, once.bias_ih, once.bias_hh, gate_order="rzn",
        update_gate="weights_candidate", linear_before_reset=False,
    ).layers[0].layers[0].forward  # fmt: skip
    assert twice is not None
    np.testing.assert_array_equal(twice.weight_ih, w_ih)
    np.testing.assert_array_equal(twice.bias_ih, b_ih)
    assert not np.signbit(once.bias_hh).any()  # negated zeros are written +0.0


# -- refusals --------------------------------------------------------------------------------------------


def _lstm_gates(**change: Any) -> dict[str, Any]:
    gates: dict[str, Any] = {k: np.zeros((H, H + I)) for k in "ifgo"}
    gates.update(change)
    return {k: v for k, v in gates.items() if v is not None}


REFUSED_CONCAT: list[tuple[str, Callable[[], Any], list[str]]] = [
    ("unknown gate", lambda: model_from_concat_gates("lstm", _lstm_gates(x=np.zeros((H, H + I))), input_size=I),
     ["'x'", "lstm"]),
    ("missing gate", lambda: model_from_concat_gates("lstm", _lstm_gates(o=None), input_size=I), ["missing", "o"]),
    ("gate twice", lambda: model_from_concat_gates("lstm", _lstm_gates(c=np.zeros((H, H + I))), input_size=I),
     ["'g'", "twice"]),
    ("bad shape", lambda: model_from_concat_gates("lstm", _lstm_gates(o=np.zeros((H, H + I + 1))), input_size=I),
     ["gate_weights['o']", "[4, 8]", "[4, 7]"]),
    ("1-d gate", lambda: model_from_concat_gates("lstm", _lstm_gates(f=np.zeros(H)), input_size=I),
     ["gate_weights['f']", "2 dimension"]),
    ("bad bias", lambda: model_from_concat_gates(
        "lstm", _lstm_gates(), {k: np.zeros(H + 1 if k == "i" else H) for k in "ifgo"}, input_size=I),
     ["gate_biases['i']", "[5]", "[4]"]),
    ("partial biases", lambda: model_from_concat_gates("lstm", _lstm_gates(), {"f": np.ones(H)}, input_size=I),
     ["gate_biases", "missing"]),
    ("nan", lambda: model_from_concat_gates("lstm", _lstm_gates(i=np.full((H, H + I), np.nan)), input_size=I),
     ["gate_weights['i']", "NaN"]),
    ("concat", lambda: model_from_concat_gates("lstm", _lstm_gates(), input_size=I, concat="xh"), ["concat", "'xh'"]),
    ("cell", lambda: model_from_concat_gates("lsmt", _lstm_gates(), input_size=I), ["cell", "'lsmt'"]),
    ("update gate on lstm", lambda: model_from_concat_gates(
        "lstm", _lstm_gates(), input_size=I, update_gate="weights_candidate"), ["update_gate", "gru"]),
    ("input size", lambda: model_from_concat_gates("lstm", _lstm_gates(), input_size=0), ["input_size"]),
    ("relu lstm", lambda: model_from_concat_gates("lstm", _lstm_gates(), input_size=I, nonlinearity="relu"),
     ["nonlinearity", "rnn"]),
]  # fmt: skip

REFUSED_BLOCKS: list[tuple[str, Callable[[], Any], list[str]]] = [
    ("short order", lambda: model_from_gate_blocks("lstm", np.zeros((4 * H, I)), np.zeros((4 * H, H)),
                                                   gate_order="ifo"), ["missing", "g"]),
    ("unknown letter", lambda: model_from_gate_blocks("gru", np.zeros((3 * H, I)), np.zeros((3 * H, H)),
                                                      gate_order="rzq"), ["'q'", "gru"]),
    ("rows", lambda: model_from_gate_blocks("lstm", np.zeros((4 * H + 1, I)), np.zeros((4 * H, H)),
                                            gate_order="ifog"), ["weight_ih", "[17, 3]"]),
    ("weight_hh", lambda: model_from_gate_blocks("lstm", np.zeros((4 * H, I)), np.zeros((4 * H, H + 1)),
                                                 gate_order="ifog"), ["weight_hh", "[16, 5]", "[16, 4]"]),
    ("bias", lambda: model_from_gate_blocks("gru", np.zeros((3 * H, I)), np.zeros((3 * H, H)), np.zeros(3),
                                            gate_order="rzn"), ["bias_ih", "[3]", "[12]"]),
    ("update value", lambda: model_from_gate_blocks("gru", np.zeros((3 * H, I)), np.zeros((3 * H, H)),
                                                    gate_order="rzn", update_gate="candidate"), ["update_gate"]),
    ("reset on lstm", lambda: model_from_gate_blocks("lstm", np.zeros((4 * H, I)), np.zeros((4 * H, H)),
                                                     gate_order="ifog", linear_before_reset=False),
     ["linear_before_reset", "gru"]),
    ("strings", lambda: model_from_gate_blocks("rnn", [["a"]], np.zeros((1, 1)), gate_order="h"), ["weight_ih"]),
    ("order type", lambda: model_from_gate_blocks("rnn", np.zeros((1, 1)), np.zeros((1, 1)), gate_order=None),
     ["gate_order", "None"]),
    ("weights type", lambda: model_from_concat_gates("rnn", [np.zeros((1, 2))], input_size=1),
     ["gate_weights", "list"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "words"), [(c, w) for _, c, w in REFUSED_CONCAT + REFUSED_BLOCKS],
    ids=[n for n, _, _ in REFUSED_CONCAT + REFUSED_BLOCKS],
)  # fmt: skip
def test_refused_with_one_line_naming_the_problem(call: Callable[[], Any], words: list[str]) -> None:
    with pytest.raises(rr.ModelImportError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(("model_from_concat_gates: ", "model_from_gate_blocks: ")), message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"

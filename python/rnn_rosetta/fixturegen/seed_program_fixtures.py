"""The seed articles' hand-written programs as fixtures: the very weights they draw, the cells they define.

- ``seed_c_rnn``: seed 000 section 7, the C ``SimpleRNN`` (tanh RNN 10 -> 20, softmax output 10, zero
  biases), weights from glibc's ``srand(42)``/``rand()`` drawn in the program's order;
- ``seed_java_lstm``: seed 000 section 8, the Java ``LSTMCell`` (input 5, hidden 10), one ``[H][H+I]`` matrix
  per gate on ``[h_{t-1}, x_t]``, weights from ``java.util.Random(42).nextDouble()`` in the program's
  interleaved order, Xavier-scaled, forget bias 1;
- ``seed_hand_cell_ifog``: seed 001's hand-written ``LSTMCell`` whose gate blocks are chunked ``i, f, o, g``;
- ``seed_gru_candidate``: the GRU of seeds 000 (section 5) and 004, whose update gate weights the candidate
  (``h_t = z * n + (1 - z) * h_{t-1}``) and whose reset gate multiplies ``h_{t-1}`` inside the candidate's
  concatenation (``n = tanh(W [r * h_{t-1}, x_t] + b)``; 004 prints a sigmoid there, 000 the usual tanh,
  which is what we take).

Expected values: PyTorch float64. The first two run ``nn.RNN``/``nn.LSTM`` (plus ``F.linear`` and ``softmax``)
on the converted weights (:func:`rnn_rosetta.fixturegen.chain_build.chain_expected`); the last two run a direct
torch float64 transcription of the source's equations, one step at a time, on the source's own weight layout
(never through the importer that the fixture's model went through).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from rnn_rosetta import oracles
from rnn_rosetta.chain import Chain, Dense
from rnn_rosetta.fixture_data import Case, CaseInputs
from rnn_rosetta.fixture_writer import fixture_document
from rnn_rosetta.fixturegen.chain_build import GENERATOR, TOLERANCE, chain_expected
from rnn_rosetta.fixturegen.program_specs import ProgramSpec
from rnn_rosetta.interop.hand_written import model_from_concat_gates, model_from_gate_blocks
from rnn_rosetta.result import Result
from rnn_rosetta.seed_random import RAND_MAX, GlibcRandom, JavaRandom

#: The seed the two classic programs pass to srand / new Random.
PROGRAM_SEED = 42
#: Seeds of the random cases (numpy ``default_rng``) and of the torch generator of the hand-written cells.
INPUT_SEED = 1142
CELL_SEED = 1101

C_RNN_SIZES = {"input": 10, "hidden": 20, "output": 10, "steps": 5, "scale": 0.01}
JAVA_LSTM_SIZES = {"input": 5, "hidden": 10, "steps": 8}


def one_hot_steps(steps: int, size: int) -> np.ndarray:
    """The seed programs' input: step ``t`` sets bit ``t % size``. ``[T, 1, I]``."""
    x = np.zeros((steps, 1, size))
    for t in range(steps):
        x[t, 0, t % size] = 1.0
    return x


def _random_case(name: str, rng: np.random.Generator, chain: Chain, steps: int, batch: int) -> CaseInputs:
    """x standard normal ``[T, B, I]``, then ``h0`` (and ``c0`` for an lstm) uniform in +-1 ``[1, B, H]``."""
    x = rng.standard_normal((steps, batch, chain.input_size))
    h0 = rng.uniform(-1.0, 1.0, size=(1, batch, chain.state_sizes[0]))
    c0 = rng.uniform(-1.0, 1.0, size=(1, batch, chain.cell_state_sizes[0])) if chain.cell_state_sizes else None
    return CaseInputs(name, x, h0, c0)


def _provenance(**details: Any) -> dict[str, Any]:
    return {
        "generator": GENERATOR,
        "oracle": oracles.oracle_version("torch"),
        "oracle_name": "torch",
        **details,
    }


# -- seed 000 section 7: the C SimpleRNN ------------------------------------------------------------------


def c_rnn_draws() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``Wxh [I][H]``, ``Whh [H][H]``, ``Why [H][O]`` as the C program fills them after ``srand(42)``.

    Each loop runs its first index outermost; every value is ``(r / RAND_MAX - 0.5) * 2 * 0.01`` in float64,
    the operations in the C expression's order (so the same bits).
    """
    rng = GlibcRandom(PROGRAM_SEED)
    scale = C_RNN_SIZES["scale"]

    def fill(rows: int, cols: int) -> np.ndarray:
        values = np.empty((rows, cols))
        for i in range(rows):
            for j in range(cols):
                values[i, j] = (rng.rand() / RAND_MAX - 0.5) * 2 * scale
        return values

    sizes = C_RNN_SIZES
    wxh = fill(sizes["input"], sizes["hidden"])  # [I, H]
    whh = fill(sizes["hidden"], sizes["hidden"])  # [H, H]
    why = fill(sizes["hidden"], sizes["output"])  # [H, O]
    return wxh, whh, why


def c_rnn_chain() -> Chain:
    """``h_t = tanh(Wxh^T x_t + Whh^T h_{t-1})``, ``y_t = softmax(Why^T h_t)`` (the program sums ``W[j][i] v[j]``)."""
    wxh, whh, why = c_rnn_draws()
    recurrent = model_from_gate_blocks("rnn", wxh.T, whh.T, gate_order="h")  # weight_ih [H, I], weight_hh [H, H]
    head = Dense(np.ascontiguousarray(why.T), np.zeros(why.shape[1]), "softmax")  # [O, H]
    return replace(recurrent, dense=(head,))


def build_c_rnn() -> dict[str, Any]:
    chain = c_rnn_chain()
    sizes = C_RNN_SIZES
    rng = np.random.default_rng(INPUT_SEED)
    inputs = [
        CaseInputs("seed_program", one_hot_steps(sizes["steps"], sizes["input"])),
        _random_case("random_batch3", rng, chain, steps=7, batch=3),
    ]
    cases = [Case.answered(case, chain_expected(chain, case)) for case in inputs]
    provenance = _provenance(
        seed=PROGRAM_SEED,
        input_seed=INPUT_SEED,
        source="seed 000 section 7: the C SimpleRNN (rnn tanh 10 -> 20, softmax 10, zero biases)",
        weights=(
            "srand(42); Wxh[i][j] (i < 10 inputs, j < 20 hidden), then Whh[i][j], then Why[i][j] (i < 20 hidden,"
            " j < 10 outputs), each (rand() / RAND_MAX - 0.5) * 2 * 0.01 in float64"
            " (rnn_rosetta.seed_random.GlibcRandom); weight_ih = Wxh^T, weight_hh = Whh^T, dense weight = Why^T"
        ),
        inputs=(
            "seed_program: step t sets bit t % 10; random_batch3: default_rng(input_seed), x standard normal,"
            " then h0 uniform in +-1"
        ),
        composed="nn.RNN float64, then torch.nn.functional.linear and softmax",
    )
    description = "The seed C program's SimpleRNN (srand(42) weights): its one-hot run and a random batch"
    return fixture_document("seed_c_rnn", description, chain, cases, TOLERANCE, provenance)


# -- seed 000 section 8: the Java LSTMCell ----------------------------------------------------------------


def java_lstm_draws() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``W_f, W_i, W_c, W_o [H][H+I]`` and the biases, as the Java program makes them with ``new Random(42)``.

    For each ``(i, j)`` (``i`` over hidden rows outermost) it draws ``W_f[i][j]``, ``W_i[i][j]``, ``W_c[i][j]``,
    ``W_o[i][j]`` in turn, each ``(nextDouble() - 0.5) * 2 * sqrt(2 / (I + H))``; ``b_f = 1``, the others 0.
    """
    inputs, hidden = JAVA_LSTM_SIZES["input"], JAVA_LSTM_SIZES["hidden"]
    rng = JavaRandom(PROGRAM_SEED)
    scale = math.sqrt(2.0 / (inputs + hidden))
    names = ("f", "i", "c", "o")
    weights = {name: np.empty((hidden, hidden + inputs)) for name in names}
    for i in range(hidden):
        for j in range(hidden + inputs):
            for name in names:
                weights[name][i, j] = (rng.next_double() - 0.5) * 2 * scale
    biases = {name: np.full(hidden, 1.0 if name == "f" else 0.0) for name in names}
    return weights, biases


def build_java_lstm() -> dict[str, Any]:
    weights, biases = java_lstm_draws()
    chain = model_from_concat_gates("lstm", weights, biases, input_size=JAVA_LSTM_SIZES["input"], concat="h_x")
    rng = np.random.default_rng(INPUT_SEED + 1)
    inputs = [
        CaseInputs("seed_program", one_hot_steps(JAVA_LSTM_SIZES["steps"], JAVA_LSTM_SIZES["input"])),
        _random_case("random_batch3", rng, chain, steps=6, batch=3),
    ]
    cases = [Case.answered(case, chain_expected(chain, case)) for case in inputs]
    provenance = _provenance(
        seed=PROGRAM_SEED,
        input_seed=INPUT_SEED + 1,
        source="seed 000 section 8: the Java LSTMCell (input 5, hidden 10, gates on [h_{t-1}, x_t])",
        weights=(
            "new Random(42); for i < 10, for j < 15: Wf[i][j], Wi[i][j], Wc[i][j], Wo[i][j] each"
            " (nextDouble() - 0.5) * 2 * sqrt(2 / 15) (rnn_rosetta.seed_random.JavaRandom); bf = 1, bi = bc = bo = 0;"
            " made canonical by rnn_rosetta.interop.model_from_concat_gates (concat h_x)"
        ),
        inputs=(
            "seed_program: step t sets bit t % 5; random_batch3: default_rng(input_seed), x standard normal,"
            " then h0 and c0 uniform in +-1"
        ),
        composed="nn.LSTM float64",
    )
    description = "The seed Java program's LSTMCell (Random(42) weights, forget bias 1): its one-hot run and a batch"
    return fixture_document("seed_java_lstm", description, chain, cases, TOLERANCE, provenance)


# -- seed 001: the hand-written LSTMCell with gates chunked i, f, o, g --------------------------------------


HAND_CELL_SIZES = {"input": 4, "hidden": 6}
GRU_SIZES = {"input": 3, "hidden": 5}
#: randn times this keeps the gates' pre-activations mostly within +-3 (unsaturated) for unit inputs.
CELL_SCALE = 0.35


def _torch_draw(generator: Any, *shape: int) -> Any:
    import torch

    return torch.randn(*shape, generator=generator, dtype=torch.float64) * CELL_SCALE


def hand_cell_ifog_draws() -> dict[str, Any]:
    """``weight_ih [4H, I]``, ``weight_hh [4H, H]``, ``bias_ih``, ``bias_hh [4H]`` (seed 001 draws ``randn``;
    ours: a seeded torch generator, times :data:`CELL_SCALE`), blocks in the cell's own order ``i, f, o, g``."""
    import torch

    generator = torch.Generator().manual_seed(CELL_SEED)
    inputs, hidden = HAND_CELL_SIZES["input"], HAND_CELL_SIZES["hidden"]
    return {
        "weight_ih": _torch_draw(generator, 4 * hidden, inputs),
        "weight_hh": _torch_draw(generator, 4 * hidden, hidden),
        "bias_ih": _torch_draw(generator, 4 * hidden),
        "bias_hh": _torch_draw(generator, 4 * hidden),
    }


def hand_cell_ifog_oracle(weights: dict[str, Any], x: np.ndarray, h0: np.ndarray, c0: np.ndarray) -> Result:
    """Seed 001's cell, step by step in torch float64 (``x [T, B, I]``, ``h0``/``c0`` ``[B, H]``):

    gates = x_t W_ih^T + b_ih + h W_hh^T + b_hh;   i, f, o, g = the four column blocks of gates
    c = sigmoid(f) * c + sigmoid(i) * tanh(g);     h = sigmoid(o) * tanh(c)
    """
    import torch

    h, c = torch.from_numpy(h0), torch.from_numpy(c0)
    outputs = []
    for x_t in torch.from_numpy(x):  # [B, I]
        gates = (
            torch.mm(x_t, weights["weight_ih"].t()) + weights["bias_ih"]
            + torch.mm(h, weights["weight_hh"].t()) + weights["bias_hh"]
        )  # fmt: skip  # [B, 4H]
        i, f, o, g = gates.chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return Result(output=torch.stack(outputs).numpy(), h_n=h[None].numpy(), c_n=c[None].numpy())


def _state_or_zeros(value: Any, batch: int, size: int) -> np.ndarray:
    return np.zeros((batch, size)) if value is None else np.asarray(value)[0]


def _cell_cases(chain: Chain, seed: int) -> list[CaseInputs]:
    """A zero-state case ``[6, 2]`` and one with random states ``[5, 3]`` (default_rng(seed))."""
    rng = np.random.default_rng(seed)
    return [
        CaseInputs("zero_state", rng.standard_normal((6, 2, chain.input_size))),
        _random_case("with_states", rng, chain, steps=5, batch=3),
    ]


def build_hand_cell_ifog() -> dict[str, Any]:
    weights = hand_cell_ifog_draws()
    arrays = {key: value.numpy() for key, value in weights.items()}
    chain = model_from_gate_blocks(
        "lstm", arrays["weight_ih"], arrays["weight_hh"], arrays["bias_ih"], arrays["bias_hh"], gate_order="ifog"
    )
    hidden = HAND_CELL_SIZES["hidden"]
    cases = []
    for case in _cell_cases(chain, INPUT_SEED + 2):
        assert case.x is not None
        batch = case.x.shape[1]
        h0, c0 = _state_or_zeros(case.h0, batch, hidden), _state_or_zeros(case.c0, batch, hidden)
        cases.append(Case.answered(case, hand_cell_ifog_oracle(weights, case.x, h0, c0)))
    provenance = _provenance(
        seed=CELL_SEED,
        input_seed=INPUT_SEED + 2,
        source="seed 001: the hand-written LSTMCell, gates = x W_ih^T + b_ih + h W_hh^T + b_hh chunked i, f, o, g",
        weights=(
            f"torch.Generator().manual_seed(seed): weight_ih [24, 4], weight_hh [24, 6], bias_ih, bias_hh [24],"
            f" each torch.randn float64 times {CELL_SCALE}, blocks i, f, o, g; made canonical by"
            " rnn_rosetta.interop.model_from_gate_blocks(gate_order='ifog')"
        ),
        inputs="default_rng(input_seed): x standard normal; with_states: then h0 and c0 uniform in +-1",
        composed="the cell's equations transcribed in torch float64, step by step, on its own ifog arrays",
    )
    description = "Seed 001's hand-written LSTMCell (gate blocks i, f, o, g), imported with gate_order='ifog'"
    return fixture_document("seed_hand_cell_ifog", description, chain, cases, TOLERANCE, provenance)


# -- seeds 000 and 004: the GRU whose update gate weights the candidate -----------------------------------


def gru_candidate_draws() -> tuple[dict[str, Any], dict[str, Any]]:
    """``W_z, W_r, W_n [H, H+I]`` on ``[h_{t-1}, x_t]``, ``b_z, b_r, b_n [H]``: torch randn times :data:`CELL_SCALE`."""
    import torch

    generator = torch.Generator().manual_seed(CELL_SEED + 1)
    inputs, hidden = GRU_SIZES["input"], GRU_SIZES["hidden"]
    weights = {name: _torch_draw(generator, hidden, hidden + inputs) for name in ("z", "r", "n")}
    biases = {name: _torch_draw(generator, hidden) for name in ("z", "r", "n")}
    return weights, biases


def gru_candidate_oracle(weights: dict[str, Any], biases: dict[str, Any], x: np.ndarray, h0: np.ndarray) -> Result:
    """The seeds' GRU, step by step in torch float64 (``x [T, B, I]``, ``h0 [B, H]``):

    z = sigmoid(W_z [h, x_t] + b_z);   r = sigmoid(W_r [h, x_t] + b_r)
    n = tanh(W_n [r * h, x_t] + b_n);  h = z * n + (1 - z) * h
    """
    import torch

    h = torch.from_numpy(h0)
    outputs = []
    for x_t in torch.from_numpy(x):  # [B, I]
        both = torch.cat([h, x_t], dim=1)  # [B, H+I]
        z = torch.sigmoid(both @ weights["z"].t() + biases["z"])
        r = torch.sigmoid(both @ weights["r"].t() + biases["r"])
        n = torch.tanh(torch.cat([r * h, x_t], dim=1) @ weights["n"].t() + biases["n"])
        h = z * n + (1 - z) * h
        outputs.append(h)
    return Result(output=torch.stack(outputs).numpy(), h_n=h[None].numpy())


def build_gru_candidate() -> dict[str, Any]:
    weights, biases = gru_candidate_draws()
    chain = model_from_concat_gates(
        "gru",
        {name: w.numpy() for name, w in weights.items()},
        {name: b.numpy() for name, b in biases.items()},
        input_size=GRU_SIZES["input"],
        update_gate="weights_candidate",
    )
    hidden = GRU_SIZES["hidden"]
    cases = []
    for case in _cell_cases(chain, INPUT_SEED + 3):
        assert case.x is not None
        h0 = _state_or_zeros(case.h0, case.x.shape[1], hidden)
        cases.append(Case.answered(case, gru_candidate_oracle(weights, biases, case.x, h0)))
    provenance = _provenance(
        seed=CELL_SEED + 1,
        input_seed=INPUT_SEED + 3,
        source=(
            "seeds 000 (section 5) and 004: GRU with z = sigmoid(W_z [h, x] + b_z), r = sigmoid(W_r [h, x] + b_r),"
            " n = tanh(W [r * h, x] + b), h = z * n + (1 - z) * h"
        ),
        weights=(
            f"torch.Generator().manual_seed(seed): W_z, W_r, W_n [5, 8], then b_z, b_r, b_n [5], each torch.randn"
            f" float64 times {CELL_SCALE}; made canonical by rnn_rosetta.interop.model_from_concat_gates"
            " (concat h_x, update_gate='weights_candidate': the z block negated, linear_before_reset false)"
        ),
        inputs="default_rng(input_seed): x standard normal; with_states: then h0 uniform in +-1",
        composed="the seeds' GRU equations transcribed in torch float64, step by step, on the [h, x] matrices",
    )
    description = "The seeds' GRU whose update gate weights the candidate (imported: update_gate='weights_candidate')"
    return fixture_document("seed_gru_candidate", description, chain, cases, TOLERANCE, provenance)


SEED_PROGRAM_SPECS: tuple[ProgramSpec, ...] = (
    ProgramSpec("seed_c_rnn", build_c_rnn),
    ProgramSpec("seed_java_lstm", build_java_lstm),
    ProgramSpec("seed_hand_cell_ifog", build_hand_cell_ifog),
    ProgramSpec("seed_gru_candidate", build_gru_candidate),
)

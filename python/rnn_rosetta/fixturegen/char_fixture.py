"""The trained character model as a fixture: ``shared_fixtures/char_shakespeare.json`` (issue 11, part 3).

The weights come from :mod:`rnn_rosetta.fixturegen.char_train` (run by hand, then committed). Training is
deterministic on one machine but not bit-reproducible across CPUs, so the fixture generator never
retrains: :func:`build` reads the committed weights, vocabulary and training provenance, and recomputes
every case's expected values with the oracle, the trained PyTorch module itself
(:class:`~rnn_rosetta.fixturegen.char_module.CharLSTM`) in float64 and evaluation mode.

The document: a version-2 chain (embedding ``[V, 16]``, two forward lstm layers of 64, one dense layer of
``V`` outputs with softmax, readout ``sequence``), ``vocabulary`` (token ``k`` is the character
``vocabulary[k]``), two cases of tokens from the held-out text, tolerance rtol 1e-12 / atol 1e-13.

Torch is imported only inside the functions that run the module, so importing the fixture generator
does not need it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np

from rnn_rosetta import paths
from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.errors import FixtureError
from rnn_rosetta.fixture_data import Case, CaseInputs
from rnn_rosetta.fixture_writer import fixture_document
from rnn_rosetta.fixturegen.program_specs import ProgramSpec
from rnn_rosetta.model import DirectionWeights, Layer, Model
from rnn_rosetta.model_rules import check_model
from rnn_rosetta.result import Result
from rnn_rosetta.strict_json import decode_json

if TYPE_CHECKING:
    from rnn_rosetta.fixturegen.char_module import CharLSTM

NAME = "char_shakespeare"
DESCRIPTION = (
    "character LSTM trained on Shakespeare (shared_fixtures/text): embedding 16, lstm 64, lstm 64, "
    "dense softmax over the vocabulary; generate text with rnn-rosetta generate"
)
TEXT_FILE = "shared_fixtures/text/shakespeare.txt"
HELD_OUT_PERCENT = 10
GENERATOR = "python -m rnn_rosetta.fixturegen.char_train (weights); python -m rnn_rosetta.fixturegen (expected values)"
RETRAIN = "train the model again: python -m rnn_rosetta.fixturegen.char_train"
TOLERANCE = {"rtol": 1e-12, "atol": 1e-13}
CASE_STATE_SEED = 2011  # numpy default_rng seed of the given h0/c0 of the second case
# (name, steps T, start of each batch column in the held-out text, whether h0/c0 are given)
CASES: tuple[tuple[str, int, tuple[int, int], bool], ...] = (
    ("held_out_zero_state", 40, (0, 400), False),
    ("held_out_given_state", 24, (200, 700), True),
)
TRAINING_KEYS: tuple[str, ...] = (
    "trainer",
    "seed",
    "steps",
    "training",
    "optimizer",
    "torch_training",
    "train_loss_nats",
    "held_out_loss_nats",
    "train_loss_bits",
    "held_out_loss_bits",
    "weights",
    "loss",
    "text",
    "text_sha256",
)


def read_text() -> str:
    """The training text (``shared_fixtures/text/shakespeare.txt``)."""
    return (paths.fixtures_dir() / "text" / "shakespeare.txt").read_text("utf-8")


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split_text(text: str) -> tuple[str, str]:
    """``(training part, held-out part)``: the held-out part is the last ``len(text) // 10`` characters."""
    held = len(text) * HELD_OUT_PERCENT // 100
    return text[: len(text) - held], text[len(text) - held :]


def vocabulary_of(text: str) -> tuple[str, ...]:
    """The sorted set of the text's characters (by code point): token ``k`` is ``vocabulary[k]``."""
    return tuple(sorted(set(text)))


def chain_from_module(module: CharLSTM) -> Chain:
    """The module's weights as a chain (float64 copies): embedding, lstm1, lstm2, dense softmax."""
    import torch

    def array(tensor: torch.Tensor) -> np.ndarray:
        return tensor.detach().to(torch.float64).numpy().copy()

    layers = []
    for lstm in (module.lstm1, module.lstm2):
        weights = DirectionWeights(
            weight_ih=array(lstm.weight_ih_l0),  # [4H, I_l], gates i, f, g, o
            weight_hh=array(lstm.weight_hh_l0),  # [4H, H]
            bias_ih=array(lstm.bias_ih_l0),  # [4H]
            bias_hh=array(lstm.bias_hh_l0),  # [4H]
        )
        layers.append(Model("lstm", lstm.input_size, lstm.hidden_size, 1, "forward", (Layer(forward=weights),)))
    dense = Dense(array(module.dense.weight), array(module.dense.bias), "softmax")  # [V, H], [V]
    chain = Chain(tuple(layers), embedding=Embedding(array(module.embedding.weight)), dense=(dense,))
    check_model(chain)
    return chain


def case_inputs(text: str, vocabulary: tuple[str, ...], hidden_sizes: tuple[int, ...]) -> list[CaseInputs]:
    """The cases' tokens, read from the held-out text (and the second case's seeded states)."""
    index = {ch: k for k, ch in enumerate(vocabulary)}
    _, held_out = split_text(text)
    rng = np.random.default_rng(CASE_STATE_SEED)
    cases = []
    for name, steps, starts, given_state in CASES:
        columns = [[index[ch] for ch in held_out[start : start + steps]] for start in starts]
        tokens = np.array(columns, dtype=np.int64).T  # [T, B]
        h0 = c0 = None
        if given_state:
            h0 = rng.uniform(-0.5, 0.5, size=(len(hidden_sizes), len(starts), hidden_sizes[0]))  # [S, B, H]
            c0 = rng.uniform(-1.0, 1.0, size=(len(hidden_sizes), len(starts), hidden_sizes[0]))  # [S, B, H]
        cases.append(CaseInputs(name, None, h0, c0, None, tokens))
    return cases


def module_expected(module: CharLSTM, inputs: CaseInputs) -> Result:
    """The oracle: the trained module in float64, evaluation mode, on one case."""
    import torch

    module = module.double().eval()
    h0 = None if inputs.h0 is None else torch.from_numpy(np.asarray(inputs.h0))
    c0 = None if inputs.c0 is None else torch.from_numpy(np.asarray(inputs.c0))
    with torch.no_grad():
        logits, output, h_n, c_n = module(torch.from_numpy(inputs.tokens), h0, c0)
        y = torch.softmax(logits, dim=-1)  # [T, B, V]
    return Result(output=output.numpy(), h_n=h_n.numpy(), c_n=c_n.numpy(), y=y.numpy())


def build_document(module: CharLSTM, vocabulary: tuple[str, ...], training: dict[str, Any]) -> dict[str, Any]:
    """The fixture document of the float64 ``module``: its chain, ``vocabulary``, the cases answered by the
    module, and ``training`` (the :data:`TRAINING_KEYS` of the provenance) with the oracle named.
    """
    import torch

    text = read_text()
    if training["text_sha256"] != text_sha256(text):
        raise FixtureError(f"{NAME}.json", "provenance.text_sha256", f"{TEXT_FILE} changed since training; {RETRAIN}")
    if vocabulary != vocabulary_of(text):
        raise FixtureError(f"{NAME}.json", "vocabulary", f"not the sorted characters of {TEXT_FILE}; {RETRAIN}")
    chain = chain_from_module(module)
    sizes = tuple(layer.hidden_size for layer in chain.layers)
    cases = [Case.answered(inputs, module_expected(module, inputs)) for inputs in case_inputs(text, vocabulary, sizes)]
    provenance = {
        "generator": GENERATOR,
        **{key: training[key] for key in TRAINING_KEYS},
        "oracle": f"torch {torch.__version__} float64",
        "oracle_name": "torch",
        "composed": "the trained module (char_train.CharLSTM) in float64, evaluation mode: dropout off",
    }
    document = fixture_document(NAME, DESCRIPTION, chain, cases, TOLERANCE, provenance)
    ordered: dict[str, Any] = {}
    for key, value in document.items():
        ordered[key] = value
        if key == "model":
            ordered["vocabulary"] = list(vocabulary)
    return ordered


def module_from_document(document: dict[str, Any]) -> CharLSTM:
    """A float64 :class:`CharLSTM` holding the weights of a ``char_shakespeare`` document."""
    import torch

    from rnn_rosetta.fixturegen.char_module import CharLSTM

    model = document["model"]
    embedding = np.array(model["embedding"]["weight"], dtype=np.float64)  # [V, E]
    first, second = model["layers"]
    module = CharLSTM(embedding.shape[0], embedding.shape[1], first["hidden_size"]).double().eval()
    state = {"embedding.weight": embedding}
    for prefix, layer in (("lstm1", first), ("lstm2", second)):
        for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            state[f"{prefix}.{key}_l0"] = np.array(layer["forward"][key], dtype=np.float64)
    (dense,) = model["dense"]
    state["dense.weight"] = np.array(dense["weight"], dtype=np.float64)  # [V, H]
    state["dense.bias"] = np.array(dense["bias"], dtype=np.float64)  # [V]
    module.load_state_dict({key: torch.from_numpy(value) for key, value in state.items()})
    return module


def committed_document() -> dict[str, Any]:
    """The committed ``shared_fixtures/char_shakespeare.json`` as parsed JSON."""
    path = paths.fixtures_dir() / f"{NAME}.json"
    if not path.is_file():
        raise FixtureError(str(path), "", f"missing; {RETRAIN}")
    return decode_json(path.read_bytes(), str(path))


def build() -> dict[str, Any]:
    """The fixture from the committed weights: the same model, vocabulary and training provenance,
    expected values recomputed by the oracle.
    """
    document = committed_document()
    return build_document(module_from_document(document), tuple(document["vocabulary"]), document["provenance"])


CHAR_SPECS: tuple[ProgramSpec, ...] = (ProgramSpec(NAME, build),)

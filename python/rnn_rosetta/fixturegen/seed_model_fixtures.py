"""Seed 001's PyTorch ``SequenceModel`` as a fixture (``seed_sequence_model``), answered by the module itself.

The seed's program is a sequence classifier::

    tokens [B, T] -> nn.Embedding(V, E) -> nn.LSTM(E, H, num_layers=2, batch_first=True, dropout=0.5)
                  -> lstm_out[:, -1, :] -> nn.Linear(H, V)                       # logits [B, V]

at V, E, H = 1000, 128, 256. Here the same program is written as our own module
(:func:`sequence_model`) at small sizes (40, 12, 16), every parameter drawn from
``numpy.random.default_rng(SEED)`` in ``named_parameters()`` order (the embedding standard normal as
``nn.Embedding`` draws it; every other array uniform in ``+-1/sqrt(H)``, as PyTorch draws the LSTM's and
the linear layer's, which reads H features), in float64 and ``eval()`` mode (dropout between
the LSTM layers is off at inference).

1. the chain is what the project's PyTorch importer makes of it
   (:func:`rnn_rosetta.interop.model_from_torch`, which exports the module with ``torch.export`` and walks
   the graph: embedding, two LSTM layers, readout ``last``, one identity dense layer; ``batch_first``);
2. each case's tokens ``[T, B]`` come from ``numpy.random.default_rng(INPUT_SEED)``, uniform in ``0..V-1``;
3. the expected ``y [B, V]`` is the module itself called on the tokens batch-first, ``[B, T]``.

Every sequence of a case has all T steps: ``lstm_out[:, -1, :]`` is the output at the last *padded*
step, which equals each sequence's own last step only when none is padded (the chain's ``lengths`` would
read each sequence's own last step: not what this program computes on a padded batch). The module
takes no initial state, so no case gives one.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

import numpy as np

from rnn_rosetta.fixture_data import Case, CaseInputs
from rnn_rosetta.fixture_writer import fixture_document
from rnn_rosetta.fixturegen.program_specs import ProgramSpec
from rnn_rosetta.result import Result

GENERATOR = "python -m rnn_rosetta.fixturegen (nox -s fixtures)"
TOLERANCE = {"rtol": 1e-12, "atol": 1e-13}  # PyTorch float64 vs our float64: summation order only
NAME = "seed_sequence_model"
VOCAB, EMBEDDING, HIDDEN, LAYERS = 40, 12, 16, 2  # the seed's: 1000, 128, 256, 2
SEED_SIZES = {"vocab_size": 1000, "embedding_dim": 128, "hidden_dim": 256, "num_layers": 2}
DROPOUT = 0.5
SEED, INPUT_SEED = 4001, 4101
CASES: tuple[tuple[str, int, int], ...] = (("random", 6, 3), ("long", 20, 2), ("one_step", 1, 4))  # name, T, B


def sequence_model(
    vocab: int = VOCAB, embedding: int = EMBEDDING, hidden: int = HIDDEN, layers: int = LAYERS, seed: int = SEED
) -> Any:
    """Seed 001's ``SequenceModel`` at these sizes: float64, ``eval()``, weights from ``default_rng(seed)``.

    ``forward(tokens [B, T]) -> logits [B, vocab]``: ``fc(lstm(embedding(tokens))[0][:, -1, :])``.
    """
    import torch

    class SequenceModel(torch.nn.Module):
        """Embedding -> stacked LSTM (batch-first, dropout between layers) -> Linear on the last step."""

        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(vocab, embedding)
            self.lstm = torch.nn.LSTM(embedding, hidden, num_layers=layers, batch_first=True, dropout=DROPOUT)
            self.fc = torch.nn.Linear(hidden, vocab)

        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            embeds = self.embedding(tokens)  # [B, T, E]
            lstm_out, _ = self.lstm(embeds)  # [B, T, H]
            return self.fc(lstm_out[:, -1, :])  # [B, H] -> [B, V]

    module = SequenceModel().double().eval()
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, parameter in module.named_parameters():
            if name.startswith("embedding."):
                values = rng.standard_normal(tuple(parameter.shape))  # as nn.Embedding: N(0, 1)
            else:  # the LSTM's and the linear layer's (it reads H features): uniform in +-1/sqrt(H), as PyTorch
                values = rng.uniform(-1.0 / np.sqrt(hidden), 1.0 / np.sqrt(hidden), size=tuple(parameter.shape))
            parameter.copy_(torch.from_numpy(values))
    return module


def sequence_model_inputs() -> list[CaseInputs]:
    """Every case's tokens ``[T, B]`` (time-major, as fixtures hold them), uniform in ``0..VOCAB-1``."""
    rng = np.random.default_rng(INPUT_SEED)
    return [
        CaseInputs(name, None, tokens=rng.integers(0, VOCAB, size=(steps, batch)).astype(np.int64))
        for name, steps, batch in CASES
    ]


def module_answer(module: Any, tokens: np.ndarray) -> np.ndarray:
    """What the module computes for time-major ``tokens [T, B]``: it reads them batch-first, ``[B, T]``."""
    import torch

    with torch.no_grad():
        logits = module(torch.from_numpy(np.ascontiguousarray(tokens.T)))  # [B, V]
    return np.ascontiguousarray(logits.numpy())


def sequence_model_document() -> dict[str, Any]:
    """The whole fixture: the importer's chain, the module's own answers."""
    import torch

    from rnn_rosetta.interop import model_from_torch

    module = sequence_model()
    inputs = sequence_model_inputs()
    example = torch.from_numpy(np.ascontiguousarray(inputs[0].tokens.T))  # [B, T]
    chain = model_from_torch(module, example_input=example)
    cases = [Case.answered(case, Result(y=module_answer(module, case.tokens))) for case in inputs]
    version = importlib.metadata.version("torch")
    description = (
        f"seed 001's SequenceModel, small: Embedding({VOCAB}, {EMBEDDING}) -> nn.LSTM({EMBEDDING}, {HIDDEN}, "
        f"num_layers={LAYERS}, batch_first=True, dropout={DROPOUT}) -> Linear({HIDDEN}, {VOCAB}) on "
        "lstm_out[:, -1, :] (the seed's sizes: vocab 1000, embedding 128, hidden 256); eval mode; "
        "every sequence full length (lstm_out[:, -1, :] is the last padded step)"
    )
    provenance = {
        "generator": GENERATOR,
        "seed": SEED,
        "input_seed": INPUT_SEED,
        "oracle": f"torch {version} float64 (the SequenceModel module itself, eval mode)",
        "oracle_name": "torch",
        "oracle_precision": "float64",
        "importer": "rnn_rosetta.interop.model_from_torch (torch.export graph walk)",
        "seed_sizes": SEED_SIZES,
        "weights": "default_rng(seed) in named_parameters() order: embedding N(0, 1), the rest uniform in +-1/sqrt(H)",
        "inputs": "default_rng(input_seed): tokens uniform in 0..V-1, every sequence full length",
    }
    return fixture_document(NAME, description, chain, cases, TOLERANCE, provenance)


SEED_MODEL_SPECS: tuple[ProgramSpec, ...] = (ProgramSpec(NAME, sequence_model_document),)

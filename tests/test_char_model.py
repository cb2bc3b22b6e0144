"""The trained character model (shared_fixtures/char_shakespeare.json): its vocabulary, its recorded losses
against PyTorch's recomputation from the committed weights, deterministic training, and that it has learned
something (it beats a unigram model on the held-out text).

The oracle here is this file's own PyTorch float64 composition of the committed arrays (nn.Embedding,
two nn.LSTM, nn.Linear, log_softmax), not the generator's module.
"""

from __future__ import annotations

import collections
import hashlib
import json
import math
from functools import cache
from typing import Any

import numpy as np
import pytest

from rnn_rosetta import load_fixture, paths
from rnn_rosetta.fixturegen import char_fixture
from rnn_rosetta.fixturegen.generate import expected_differences

torch = pytest.importorskip("torch")

FIXTURE = paths.fixtures_dir() / "char_shakespeare.json"
TEXT = paths.fixtures_dir() / "text" / "shakespeare.txt"


@cache
def _document() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text("utf-8"))


@cache
def _text() -> str:
    return TEXT.read_text("utf-8")


def _parts() -> tuple[str, str]:
    """Training part and held-out part: the held-out part is the last len(text) // 10 characters."""
    text = _text()
    held = len(text) // 10
    return text[: len(text) - held], text[len(text) - held :]


def _tensor(values: Any) -> Any:
    return torch.tensor(values, dtype=torch.float64)


def _torch_loss(text: str) -> float:
    """Mean -log p(next character) over ``text`` read from zero states, by torch float64 from the JSON arrays."""
    model = _document()["model"]
    index = {ch: k for k, ch in enumerate(_document()["vocabulary"])}
    tokens = torch.tensor([index[ch] for ch in text])  # [n]
    with torch.no_grad():
        x = torch.nn.functional.embedding(tokens[:-1, None], _tensor(model["embedding"]["weight"]))  # [n-1, 1, E]
        for layer in model["layers"]:
            lstm = torch.nn.LSTM(x.shape[-1], layer["hidden_size"]).double()
            for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(lstm, f"{key}_l0").copy_(_tensor(layer["forward"][key]))
            x, _ = lstm(x)  # [n-1, 1, H]
        (dense,) = model["dense"]
        logits = torch.nn.functional.linear(x[:, 0], _tensor(dense["weight"]), _tensor(dense["bias"]))  # [n-1, V]
        log_p = torch.log_softmax(logits, dim=-1)
        return float(-log_p[torch.arange(len(tokens) - 1), tokens[1:]].mean())


def test_text_and_vocabulary() -> None:
    text = _text()
    assert text.startswith("To be, or not to be")
    assert 8_000 <= len(text.encode("ascii")) <= 12_000
    vocabulary = _document()["vocabulary"]
    assert vocabulary == sorted(set(text))
    assert len(vocabulary) == len(_document()["model"]["embedding"]["weight"])
    assert len(vocabulary) == len(_document()["model"]["dense"][0]["weight"])
    assert load_fixture(FIXTURE).vocabulary == tuple(vocabulary)
    assert _document()["provenance"]["text_sha256"] == hashlib.sha256(text.encode()).hexdigest()


def test_recorded_losses_are_torch_recomputation() -> None:
    train, held_out = _parts()
    provenance = _document()["provenance"]
    assert abs(provenance["held_out_loss_nats"] - _torch_loss(held_out)) <= 1e-9
    assert abs(provenance["train_loss_nats"] - _torch_loss(train)) <= 1e-9
    assert provenance["held_out_loss_bits"] == pytest.approx(provenance["held_out_loss_nats"] / math.log(2), abs=1e-12)


def test_beats_a_unigram_model_on_held_out_text() -> None:
    """Unigram: each character's add-one frequency in the training part; the model must be 0.5 nats better."""
    train, held_out = _parts()
    counts = collections.Counter(train)
    total = len(train) + len(_document()["vocabulary"])
    unigram = -sum(math.log((counts[ch] + 1) / total) for ch in held_out[1:]) / (len(held_out) - 1)
    assert unigram > 2.9  # what English letters cost without context, about 4.2 bits
    assert _torch_loss(held_out) < unigram - 0.5


def test_weights_are_shortest_float32_decimals() -> None:
    """Every weight is the shortest decimal of its float32 rounding: the trained float32 weight, written short."""
    model = _document()["model"]
    arrays = [model["embedding"]["weight"], model["dense"][0]["weight"], model["dense"][0]["bias"]]
    arrays += [layer["forward"][key] for layer in model["layers"] for key in ("weight_ih", "weight_hh")]
    for array in arrays:
        values = np.asarray(array, dtype=np.float64).ravel()
        assert [float(str(v)) for v in values.astype(np.float32)] == values.tolist()


def test_training_is_deterministic() -> None:
    from rnn_rosetta.fixturegen import char_train

    threads = torch.get_num_threads()
    first, second, other = (char_train.train(_text(), steps=10, seed=s).module for s in (5, 5, 6))
    assert torch.get_num_threads() == threads
    assert not torch.are_deterministic_algorithms_enabled()
    for (name, a), (_, b), (_, c) in zip(
        first.state_dict().items(), second.state_dict().items(), other.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name
        assert not torch.equal(a, c), name


def test_generator_reproduces_the_committed_fixture() -> None:
    """What nox -s fixtures --check does for this fixture: rebuild from the committed weights, compare."""
    assert expected_differences(_document(), char_fixture.build()) == []

"""The parameter counts ``rnn-rosetta describe`` prints, against PyTorch's, and the seeds' claims about them.

The seeds say an LSTM has 4x the parameters of a plain RNN of the same sizes and a GRU 3/4 of an
LSTM's: per layer and direction a cell with G gate blocks holds ``G * (H*I + H*H + 2*H)`` numbers
(G = 1, 4, 3). Here one-layer rnn / lstm / gru chains of several sizes are written as fixture files,
``describe`` is run on each through the command line, and the counts it prints are checked against
``sum(p.numel() for p in nn.RNN/LSTM/GRU(I, H).parameters())`` (the oracle) and against each other.
The seeds' own sizes (seed 001's RNN/LSTM/GRU 10 -> 20 and its SequenceModel 1000/128/256/2 layers,
seed 000's Java LSTM 5 -> 10) are printed and checked the same way.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnn_rosetta import cli
from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.fixture_writer import dump_document, fixture_document
from rnn_rosetta.model import GATE_COUNT, DirectionWeights, Layer, Model
from tests.conftest import import_torch_or_skip_module

torch = import_torch_or_skip_module()

SIZES: tuple[tuple[int, int], ...] = ((1, 1), (3, 5), (10, 20), (5, 10), (16, 8), (64, 32))  # (input, hidden)
TORCH_MODULES: dict[str, Any] = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
# "  layers[0] lstm       x [T, B, 6] -> [T, B, 8]          512" and "  total        1,235"
PART = re.compile(r"^  (embedding|layers\[\d+\] \w+|dense\[\d+\] \w+|total)\s.*?\s([\d,]+)$")


def _layer(cell: str, inputs: int, hidden: int) -> Model:
    """A one-layer forward model of zeros (``describe`` reads shapes only)."""
    rows = GATE_COUNT[cell] * hidden
    weights = DirectionWeights(
        weight_ih=np.zeros((rows, inputs)),  # [G*H, I]
        weight_hh=np.zeros((rows, hidden)),  # [G*H, H]
        bias_ih=np.zeros(rows),  # [G*H]
        bias_hh=np.zeros(rows),  # [G*H]
    )
    return Model(cell=cell, input_size=inputs, hidden_size=hidden, num_layers=1, direction="forward",
                 layers=(Layer(forward=weights),))  # fmt: skip


def _write(path: Path, chain: Chain) -> Path:
    document = fixture_document(path.stem, "parameter counts", chain, [], {"rtol": 1e-12, "atol": 1e-13},
                                {"generator": "tests/test_describe_counts.py"})  # fmt: skip
    path.write_text(dump_document(document), "utf-8")
    return path


def _counts(text: str) -> dict[str, int]:
    """``{part label: count}`` from what ``describe`` printed (``total`` included)."""
    found = {}
    for line in text.splitlines():
        match = PART.match(line)
        if match:
            found[match.group(1)] = int(match.group(2).replace(",", ""))
    return found


def _describe(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    """``rnn-rosetta describe PATH`` through the command line's own entry point."""
    assert cli.main(["describe", str(path)]) == 0
    return _counts(capsys.readouterr().out)


def _torch_count(module: Any) -> int:
    return int(sum(p.numel() for p in module.parameters()))


@pytest.mark.parametrize(("inputs", "hidden"), SIZES)
def test_describe_counts_lstm_4x_rnn_and_gru_three_quarters_of_lstm(
    inputs: int, hidden: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    counts = {}
    for cell, module in TORCH_MODULES.items():
        printed = _describe(_write(tmp_path / f"{cell}.json", Chain(layers=(_layer(cell, inputs, hidden),))), capsys)
        assert printed == {f"layers[0] {cell}": printed["total"], "total": printed["total"]}
        counts[cell] = printed["total"]
        assert counts[cell] == _torch_count(module(inputs, hidden)), f"{cell} {inputs}->{hidden}"
    assert counts["lstm"] == 4 * counts["rnn"]
    assert 4 * counts["gru"] == 3 * counts["lstm"]


def _cli(*args: str) -> str:
    """``python -m rnn_rosetta ARGS`` as a separate process (what a person types); its stdout."""
    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run([sys.executable, "-m", "rnn_rosetta", *args], capture_output=True, text=True,
                          timeout=120, check=False, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_seed_001_sizes_rnn_lstm_gru_10_to_20(tmp_path: Path) -> None:
    """Seed 001 builds nn.RNN, nn.LSTM and nn.GRU(input_size=10, hidden_size=20) and says LSTM ~ 4x RNN."""
    counts = {}
    for cell, module in TORCH_MODULES.items():
        path = _write(tmp_path / f"seed_001_{cell}.json", Chain(layers=(_layer(cell, 10, 20),)))
        counts[cell] = _counts(_cli("describe", str(path)))["total"]
        print(f"seed 001 {cell} 10->20: describe {counts[cell]:,}, torch {_torch_count(module(10, 20)):,}")
        assert counts[cell] == _torch_count(module(10, 20))
    assert counts == {"rnn": 640, "lstm": 2560, "gru": 1920}


def test_the_seed_000_java_lstm_size_5_to_10(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    total = _describe(_write(tmp_path / "seed_000_lstm.json", Chain(layers=(_layer("lstm", 5, 10),))), capsys)["total"]
    print(f"seed 000 lstm 5->10: describe {total:,}, torch {_torch_count(torch.nn.LSTM(5, 10)):,}")  # pytest -s
    assert total == _torch_count(torch.nn.LSTM(5, 10)) == 680


def test_the_seed_001_sequence_model_at_its_own_sizes(tmp_path: Path) -> None:
    """Embedding(1000, 128) -> nn.LSTM(128, 256, num_layers=2) -> Linear(256, 1000): every part and the total."""
    vocab, embedding, hidden = 1000, 128, 256
    chain = Chain(
        layers=(_layer("lstm", embedding, hidden), _layer("lstm", hidden, hidden)),
        embedding=Embedding(np.zeros((vocab, embedding))),  # [V, E]
        dense=(Dense(np.zeros((vocab, hidden)), np.zeros(vocab), "identity"),),  # [V, H], [V]
        readout="last",
    )
    printed = _counts(_cli("describe", str(_write(tmp_path / "seed_sequence_model_full.json", chain))))
    lstm = torch.nn.LSTM(embedding, hidden, num_layers=2, batch_first=True, dropout=0.5)
    per_layer = [sum(p.numel() for name, p in lstm.named_parameters() if name.endswith(f"_l{k}")) for k in (0, 1)]
    want = {
        "embedding": _torch_count(torch.nn.Embedding(vocab, embedding)),
        "layers[0] lstm": per_layer[0],
        "layers[1] lstm": per_layer[1],
        "dense[0] identity": _torch_count(torch.nn.Linear(hidden, vocab)),
    }
    want["total"] = sum(want.values())
    print(f"seed 001 SequenceModel 1000/128/256/2: describe {printed}, torch {want}")
    assert printed == want
    assert printed["total"] == 1_306_600

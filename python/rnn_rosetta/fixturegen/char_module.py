"""The character model of ``char_shakespeare`` as a PyTorch module: trained by :mod:`.char_train`, the oracle of
:mod:`.char_fixture` (one module both import, so neither imports the other)."""

from __future__ import annotations

import torch
from torch import nn

EMBEDDING_SIZE = 16
HIDDEN_SIZE = 64
DROPOUT = 0.2


class CharLSTM(nn.Module):
    """Embedding(V, E) -> LSTM(E, H) -> dropout -> LSTM(H, H) -> dropout -> Linear(H, V); time-major."""

    def __init__(self, vocab_size: int, embedding_size: int = EMBEDDING_SIZE, hidden_size: int = HIDDEN_SIZE) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.lstm1 = nn.LSTM(embedding_size, hidden_size)
        self.lstm2 = nn.LSTM(hidden_size, hidden_size)
        self.dropout = nn.Dropout(DROPOUT)
        self.dense = nn.Linear(hidden_size, vocab_size)

    def forward(
        self, tokens: torch.Tensor, h0: torch.Tensor | None = None, c0: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``tokens [T, B]`` and optional states ``[2, B, H]`` (slot 0: lstm1, slot 1: lstm2) ->
        ``(logits [T, B, V], output [T, B, H] of lstm2, h_n [2, B, H], c_n [2, B, H])``.
        """
        x = self.embedding(tokens)  # [T, B, E]
        state1 = None if h0 is None or c0 is None else (h0[0:1].contiguous(), c0[0:1].contiguous())
        state2 = None if h0 is None or c0 is None else (h0[1:2].contiguous(), c0[1:2].contiguous())
        out1, (h1, c1) = self.lstm1(x, state1)  # [T, B, H]
        out2, (h2, c2) = self.lstm2(self.dropout(out1), state2)  # [T, B, H]
        logits = self.dense(self.dropout(out2))  # [T, B, V]
        return logits, out2, torch.cat([h1, h2]), torch.cat([c1, c2])

"""A zoo of whole PyTorch programs: ones ``model_from_torch`` must import exactly, and ones it must refuse.

Every program is an ``nn.Module`` written the way people write them (``forward`` with an
``nn.Embedding``, recurrent modules, ``out[:, -1, :]`` or ``h_n[-1]``, ``nn.Linear`` heads), built in
float64 with its own seed. :data:`PROGRAMS` are the ones that must match PyTorch; :data:`REFUSED`
pairs a program with the words its ``ModelImportError`` must contain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

F64 = torch.float64
VOCAB = 23


@dataclass(frozen=True)
class Program:
    """One zoo entry: a builder, what the program reads (``tokens`` or ``x`` with ``features``), its layout."""

    name: str
    build: Callable[[], nn.Module]
    tokens: bool = False
    features: int = 0
    batch_first: bool = False
    readout: str = "last"


# -- programs that must import ---------------------------------------------------------------


class SequenceModel(nn.Module):
    """seed-001: Embedding -> 2-layer LSTM (batch_first, dropout) -> Linear on ``out[:, -1, :]``."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, 8, dtype=F64)
        self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True, dropout=0.2, dtype=F64)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(16, 5, dtype=F64)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embedding(tokens))  # [B, T, 16]
        return self.fc(self.dropout(out[:, -1, :]))  # [B, 5]


class HiddenClassifier(nn.Module):
    """Time-major LSTM -> ``h_n[-1]`` -> Linear -> Softmax."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(6, 9, num_layers=2, dtype=F64)
        self.head = nn.Sequential(nn.Linear(9, 4, dtype=F64), nn.Softmax(dim=-1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h_n, _) = self.lstm(x)  # h_n [2, B, 9]
        return self.head(h_n[-1])


class BiGRUClassifier(nn.Module):
    """2-layer bidirectional GRU -> ``cat(h_n[-2], h_n[-1])`` -> Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, 5, dtype=F64)
        self.gru = nn.GRU(5, 7, num_layers=2, bidirectional=True, batch_first=True, dtype=F64)
        self.fc = nn.Linear(14, 3, dtype=F64)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        _, h_n = self.gru(self.embedding(tokens))  # h_n [4, B, 7]
        return self.fc(torch.cat([h_n[-2], h_n[-1]], dim=1))


class MixedStack(nn.Module):
    """Three modules of different sizes (LSTM 12, GRU 7, RNN 4), batch-first, a per-step Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 12, batch_first=True, dtype=F64)
        self.gru = nn.GRU(12, 7, batch_first=True, dtype=F64)
        self.rnn = nn.RNN(7, 4, batch_first=True, dtype=F64)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 3, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, _ = self.lstm(x)
        b, _ = self.gru(self.drop(a))
        c, _ = self.rnn(b)
        return self.fc(c)  # [B, T, 3]


class TimeMajorGRU(nn.Module):
    """A bare time-major GRU inside a program, returning its whole output sequence."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(4, 6, num_layers=2, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.gru(x)
        return out  # [T, B, 6]


class MlpHead(nn.Module):
    """LSTM -> ``out[:, -1]`` -> Linear -> ReLU -> Linear -> Softmax (an nn.Sequential head)."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(3, 10, batch_first=True, dtype=F64)
        self.head = nn.Sequential(nn.Linear(10, 8, dtype=F64), nn.ReLU(), nn.Linear(8, 4, dtype=F64), nn.Softmax(dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


class GruTagger(nn.Module):
    """Embedding -> GRU -> Linear -> tanh on every step (batch-first)."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, 6, dtype=F64)
        self.gru = nn.GRU(6, 8, batch_first=True, dtype=F64)
        self.fc = nn.Linear(8, 5, dtype=F64)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.gru(self.embedding(tokens))
        return torch.tanh(self.fc(out))  # [B, T, 5]


class ReluRnn(nn.Module):
    """2-layer ``nn.RNN(nonlinearity="relu")`` -> ``h_n[-1]`` -> Linear -> sigmoid."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.RNN(4, 6, num_layers=2, nonlinearity="relu", dtype=F64)
        self.fc = nn.Linear(6, 2, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h_n = self.rnn(x)
        return torch.sigmoid(self.fc(h_n[-1]))


class TransposingProgram(nn.Module):
    """Takes [B, T, I], transposes to a time-major LSTM and back; per-step Linear + softmax."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 6, dtype=F64)
        self.fc = nn.Linear(6, 3, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x.transpose(0, 1))  # [T, B, 6]
        return torch.softmax(self.fc(out.transpose(0, 1)), dim=-1)  # [B, T, 3]


class ProjectedBiLstm(nn.Module):
    """Bidirectional LSTM with ``proj_size`` -> a per-step Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 7, num_layers=2, bidirectional=True, proj_size=3, dtype=F64)
        self.fc = nn.Linear(6, 2, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.fc(out)


class BiThenUni(nn.Module):
    """Embedding -> bidirectional LSTM 6 -> Dropout -> LSTM 5 -> ``h_n[-1]`` -> Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, 4, dtype=F64)
        self.bi = nn.LSTM(4, 6, bidirectional=True, batch_first=True, dtype=F64)
        self.drop = nn.Dropout(0.1)
        self.top = nn.LSTM(12, 5, batch_first=True, dtype=F64)
        self.fc = nn.Linear(5, 3, dtype=F64)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        a, _ = self.bi(self.embedding(tokens))
        _, (h_n, _) = self.top(self.drop(a))
        return self.fc(h_n[-1])


class SqueezedGru(nn.Module):
    """One-layer GRU -> ``h_n.squeeze(0)`` -> Linear without bias."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(3, 5, dtype=F64)
        self.fc = nn.Linear(5, 4, bias=False, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h_n = self.gru(x)
        return self.fc(h_n.squeeze(0))


class NoBiasLstm(nn.Module):
    """LSTM without biases, ``out[-1]`` (time-major last step)."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 6, bias=False, dtype=F64)
        self.fc = nn.Linear(6, 2, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.fc(out[-1])


PROGRAMS: tuple[Program, ...] = (
    Program("seed001_sequence_model", SequenceModel, tokens=True, batch_first=True),
    Program("h_n_classifier", HiddenClassifier, features=6),
    Program("bigru_classifier", BiGRUClassifier, tokens=True, batch_first=True),
    Program("mixed_stack_3", MixedStack, features=5, batch_first=True, readout="sequence"),
    Program("time_major_gru", TimeMajorGRU, features=4, readout="sequence"),
    Program("mlp_head", MlpHead, features=3, batch_first=True),
    Program("gru_tagger", GruTagger, tokens=True, batch_first=True, readout="sequence"),
    Program("rnn_relu", ReluRnn, features=4),
    Program("transposing", TransposingProgram, features=5, batch_first=True, readout="sequence"),
    Program("bilstm_proj", ProjectedBiLstm, features=4, readout="sequence"),
    Program("bi_then_uni", BiThenUni, tokens=True, batch_first=True),
    Program("squeezed_gru", SqueezedGru, features=3),
    Program("no_bias_lstm", NoBiasLstm, features=4),
)


# -- programs that must be refused ---------------------------------------------------------------


class LayerNormBetween(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.LSTM(4, 6, dtype=F64)
        self.norm = nn.LayerNorm(6, dtype=F64)
        self.b = nn.LSTM(6, 5, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.a(x)
        out, _ = self.b(self.norm(out))
        return out


class Attention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 6, batch_first=True, dtype=F64)
        self.score = nn.Linear(6, 1, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)  # [B, T, 6]
        weights = torch.softmax(self.score(out), dim=1)  # [B, T, 1]
        return (weights * out).sum(dim=1)


class LogSoftmax(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(4, 6, dtype=F64)
        self.fc = nn.Linear(6, 3, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h_n = self.gru(x)
        return torch.log_softmax(self.fc(h_n[-1]), dim=-1)


class BiLastStep(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 6, bidirectional=True, batch_first=True, dtype=F64)
        self.fc = nn.Linear(12, 3, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.fc(out[:, -1, :])


class BiReverseOnly(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(4, 6, bidirectional=True, dtype=F64)
        self.fc = nn.Linear(6, 3, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h_n = self.gru(x)
        return self.fc(h_n[-1])


@torch.library.custom_op("rr_zoo::scale_twice", mutates_args=())
def scale_twice(x: torch.Tensor) -> torch.Tensor:
    return x * 2


@scale_twice.register_fake
def _(x: torch.Tensor) -> torch.Tensor:
    return torch.empty_like(x)


class CustomOp(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(4, 6, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.gru(x)
        return scale_twice(out)


class HiddenArithmetic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 6, dtype=F64)
        self.fc = nn.Linear(6, 2, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h_n, c_n) = self.lstm(x)
        return self.fc(h_n[-1] + c_n[-1])


class TwoOutputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(4, 6, dtype=F64)
        self.fc = nn.Linear(6, 2, dtype=F64)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _, h_n = self.gru(x)
        return self.fc(h_n[-1]), h_n


class InnerLayerState(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(4, 6, num_layers=2, dtype=F64)
        self.fc = nn.Linear(6, 2, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h_n = self.gru(x)
        return self.fc(h_n[0])


class InputProjection(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 5, dtype=F64)
        self.gru = nn.GRU(5, 6, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.gru(self.proj(x))
        return out


class SwappedConcat(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(4, 6, bidirectional=True, dtype=F64)
        self.fc = nn.Linear(12, 2, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h_n = self.gru(x)
        return self.fc(torch.cat([h_n[-1], h_n[-2]], dim=1))


class SkipConnection(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.GRU(4, 6, dtype=F64)
        self.b = nn.GRU(6, 6, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, _ = self.a(x)
        b, _ = self.b(a)
        return torch.cat([a, b], dim=-1)


class MaxNormEmbedding(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, 4, max_norm=1.0, dtype=F64)
        self.gru = nn.GRU(4, 6, dtype=F64)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.gru(self.embedding(tokens))
        return out


class TimeAsBatch(nn.Module):
    """The second module reads time-major output as batch-first: PyTorch runs it, the chain cannot."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.GRU(4, 6, dtype=F64)
        self.b = nn.GRU(6, 5, batch_first=True, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, _ = self.a(x)
        b, _ = self.b(a)
        return b


class PackedSequence(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 6, dtype=F64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        packed = nn.utils.rnn.pack_padded_sequence(x, torch.tensor([5, 3, 2]))
        _, (h_n, _) = self.lstm(packed)
        return h_n[-1]


def _example(tokens: bool = False) -> Any:
    return torch.zeros((3, 5), dtype=torch.long) if tokens else torch.zeros((5, 3, 4), dtype=F64)


#: (name, builder, example input, words the error must contain)
REFUSED: tuple[tuple[str, Callable[[], nn.Module], Callable[[], Any], str], ...] = (
    ("layernorm_between_lstms", LayerNormBetween, _example, "LayerNorm"),
    ("attention", Attention, _example, "softmax over dimension 1, not the features"),
    ("log_softmax", LogSoftmax, _example, "log_softmax is not a dense activation"),
    ("bidirectional_out_last_step", BiLastStep, _example, r"out\[:, -1\] of a bidirectional layer"),
    ("bidirectional_h_n_last_only", BiReverseOnly, _example, "one direction only"),
    ("custom_op", CustomOp, _example, "scale_twice"),
    ("arithmetic_on_hidden_state", HiddenArithmetic, _example, "add.*arithmetic"),
    ("second_output", TwoOutputs, _example, "returns 2 values"),
    ("inner_layer_state", InnerLayerState, _example, "inner layer"),
    ("linear_before_recurrent", InputProjection, _example, "cannot follow the program's input"),
    ("swapped_concat", SwappedConcat, _example, r"torch.cat\(\[h_n\[-2\], h_n\[-1\]\], dim=1\)"),
    ("skip_connection", SkipConnection, _example, "concatenation is a readout only"),
    ("embedding_max_norm", MaxNormEmbedding, lambda: _example(tokens=True), "max_norm"),
    ("time_read_as_batch", TimeAsBatch, _example, "time axis as the batch axis"),
    ("packed_sequence", PackedSequence, _example, "PackedSequence: torch.export failed"),
)

"""The training data of docs/training.md, "Data: streams and windows": a text cut into ``B`` streams and windows.

::

    tokens = the text's characters looked up in the vocabulary       (any other character: refused)
    N = len(tokens);  L = (N - 1) // B                                (refused when L < 1)
    stream b reads tokens[b*L : b*L + L] and predicts tokens[b*L + 1 : b*L + L + 1]
    W = ceil(L / k) windows;  window w covers stream positions [w*k, min((w+1)*k, L))
    step s trains on window s mod W;  x[t][b] = tokens[b*L + w*k + t],  y[t][b] = tokens[b*L + w*k + t + 1]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnn_rosetta.errors import InputError, RosettaError


class TextOutsideVocabulary(InputError):
    """The text holds a character the vocabulary lacks (a bad argument: exit status 2)."""


class TextTooShort(RosettaError):
    """The text gives fewer than one position per stream (``L < 1``; exit status 1)."""


def encode_text(text: str, vocabulary: tuple[str, ...], source: str | Path = "<text>") -> np.ndarray:
    """The text's token ids ``[N]`` (int64); the first character outside the vocabulary is refused, with its line."""
    index = {character: k for k, character in enumerate(vocabulary)}
    tokens = np.empty(len(text), dtype=np.int64)  # [N]
    for position, character in enumerate(text):
        token = index.get(character)
        if token is None:
            line = text.count("\n", 0, position) + 1
            raise TextOutsideVocabulary(
                f"{source}: character {position} (line {line}, U+{ord(character):04X}) is not in the vocabulary"
            )
        tokens[position] = token
    return tokens


@dataclass(frozen=True)
class Streams:
    """``tokens [N]`` read as ``batch`` streams of ``length`` positions, in windows of ``bptt`` steps."""

    tokens: np.ndarray  # [N] int64
    batch: int  # B
    bptt: int  # k

    def __post_init__(self) -> None:
        if self.batch < 1 or self.bptt < 1:
            raise InputError(f"batch and bptt must be >= 1, got {self.batch} and {self.bptt}")
        if self.length < 1:
            raise TextTooShort(
                f"the text is too short for {self.batch} streams ({self.tokens.size} characters;"
                f" at least {self.batch + 1} needed)"
            )

    @property
    def length(self) -> int:
        """``L = (N - 1) // B``: the positions each stream trains on."""
        return (int(self.tokens.size) - 1) // self.batch

    @property
    def windows(self) -> int:
        """``W = ceil(L / k)``: windows per pass over the streams."""
        return -(-self.length // self.bptt)

    def window_of_step(self, step: int) -> int:
        """``w = s mod W``: the window step ``s`` (from 0) trains on."""
        return step % self.windows

    def window(self, w: int) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)``, each ``[T_w, B]`` int64, time-major: ``x[t][b] = tokens[b*L + w*k + t]``, ``y`` one further."""
        if not 0 <= w < self.windows:
            raise InputError(f"window must be in 0 .. {self.windows - 1}, got {w}")
        start = w * self.bptt
        steps = min(self.bptt, self.length - start)  # T_w
        offsets = np.arange(self.batch)[None, :] * self.length + start + np.arange(steps)[:, None]  # [T_w, B]
        return self.tokens[offsets], self.tokens[offsets + 1]

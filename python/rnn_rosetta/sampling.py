"""The random generator and the sampling rule of text generation (docs/generation.md), in plain Python.

The C demo (``c/demo/splitmix64.c``, ``c/demo/sampling.c``) and the Java package ``rnnrosetta.generation``
implement the same two things; given the same logits and seed they pick the same token.

- :class:`SplitMix64`: Steele, Lea and Flood's generator (OOPSLA 2014), 64-bit state, arithmetic mod ``2^64``;
- :func:`sample_token`: greedy at temperature 0, else inverse-CDF sampling from ``softmax(z / T)`` in float64,
  every sum taken in index order (a loop, not a vectorised cumulative sum whose order could differ).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from rnn_rosetta.errors import InputError

_MASK = (1 << 64) - 1
_GOLDEN_GAMMA = 0x9E3779B97F4A7C15
_MIX_1 = 0xBF58476D1CE4E5B9
_MIX_2 = 0x94D049BB133111EB
_TWO_TO_MINUS_53 = 2.0**-53

#: The largest seed, ``2^64 - 1``.
MAX_SEED = _MASK


class SplitMix64:
    """``s += 0x9E3779B97F4A7C15``, then ``z = s``, ``z = (z ^ z>>30) * C1``, ``z = (z ^ z>>27) * C2``,
    ``z ^ z>>31``: one 64-bit output per call (all mod ``2^64``).
    """

    def __init__(self, seed: int) -> None:
        if type(seed) is not int or not 0 <= seed <= MAX_SEED:
            raise InputError(f"seed must be an integer in 0 .. 2^64-1, got {seed!r}")
        self.state = seed

    def next(self) -> int:
        """The next 64-bit output, an int in ``0 .. 2^64 - 1``."""
        self.state = (self.state + _GOLDEN_GAMMA) & _MASK
        z = self.state
        z = ((z ^ (z >> 30)) * _MIX_1) & _MASK
        z = ((z ^ (z >> 27)) * _MIX_2) & _MASK
        return z ^ (z >> 31)

    def next_double(self) -> float:
        """A float64 in ``[0, 1)``: the top 53 bits of :meth:`next` times ``2^-53`` (exact)."""
        return float(self.next() >> 11) * _TWO_TO_MINUS_53


class NonFiniteLogits(InputError):
    """A logit is NaN or infinite: the model gives no distribution (a model problem, exit status 1)."""


class UniformSource(Protocol):
    """What :func:`sample_token` draws from: :class:`SplitMix64`, or a stand-in in a test."""

    def next_double(self) -> float: ...


def check_temperature(temperature: float) -> float:
    """``temperature`` as a float when it is finite and ``>= 0``; else :class:`InputError`."""
    value = float(temperature)
    if not math.isfinite(value) or value < 0:
        raise InputError(f"temperature must be a finite number >= 0, got {temperature!r}")
    return value


def sample_token(logits: Sequence[float] | np.ndarray, temperature: float, rng: UniformSource) -> int:
    """A token index drawn from ``softmax(logits / temperature)``; greedy (no draw) at temperature 0.

    Greedy: the first index of the largest ``z_i`` (``i`` kept when ``z_i > z_best``).
    Else, with ``m = max z``: ``w_i = exp((z_i - m) / T)``, ``total = w_0 + ... + w_{V-1}`` in index order,
    ``target = next_double() * total``; the first ``i`` with ``target < w_0 + ... + w_i``, or, when
    rounding leaves none, the largest ``i`` with ``w_i > 0``.
    """
    temperature = check_temperature(temperature)
    z = [float(v) for v in np.asarray(logits, dtype=np.float64).reshape(-1)]  # [V] float64, index order
    if not z:
        raise InputError("logits must hold at least one value")
    if not all(math.isfinite(v) for v in z):
        bad = next(i for i, v in enumerate(z) if not math.isfinite(v))
        raise NonFiniteLogits(f"logits[{bad}] is {z[bad]}: the model gives no distribution to sample from")
    best = 0
    for i in range(1, len(z)):
        if z[i] > z[best]:
            best = i
    if temperature == 0.0:
        return best
    m = z[best]
    weights = [math.exp((v - m) / temperature) for v in z]  # [V]
    total = 0.0
    for w in weights:
        total += w
    target = rng.next_double() * total
    cumulative = 0.0
    for i, w in enumerate(weights):
        cumulative += w
        if target < cumulative:
            return i
    return max(i for i, w in enumerate(weights) if w > 0)  # only reached through rounding

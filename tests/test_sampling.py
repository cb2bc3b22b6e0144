"""SplitMix64 and the sampling rule (docs/generation.md): reference values, ties, the distribution, refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnn_rosetta.errors import InputError
from rnn_rosetta.sampling import MAX_SEED, SplitMix64, sample_token

MASK = (1 << 64) - 1


def direct_splitmix64(seed: int, count: int) -> list[int]:
    """The generator written out from the paper's definition with numpy uint64 (wrapping) arithmetic."""
    with np.errstate(over="ignore"):
        s = np.uint64(seed)
        out = []
        for _ in range(count):
            s = s + np.uint64(0x9E3779B97F4A7C15)
            z = s
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            out.append(int(z ^ (z >> np.uint64(31))))
    return out


class FixedDraws:
    """A stand-in for the generator that hands out the given uniforms (and counts them)."""

    def __init__(self, *values: float) -> None:
        self.values = list(values)
        self.drawn = 0

    def next_double(self) -> float:
        self.drawn += 1
        return self.values.pop(0)


# -- the generator ------------------------------------------------------------------------------------


def test_splitmix64_reference_values_from_the_spec() -> None:
    rng = SplitMix64(1234567)
    assert [rng.next() for _ in range(3)] == [6457827717110365317, 3203168211198807973, 9817491932198370423]


@pytest.mark.parametrize("seed", [0, 1, 7, 1234567, 2**63, MAX_SEED])
def test_splitmix64_matches_a_direct_uint64_implementation(seed: int) -> None:
    rng = SplitMix64(seed)
    assert [rng.next() for _ in range(50)] == direct_splitmix64(seed, 50)


def test_the_state_wraps_at_2_to_the_64() -> None:
    rng = SplitMix64(MAX_SEED)
    rng.next()
    assert rng.state == (MAX_SEED + 0x9E3779B97F4A7C15) & MASK


def test_next_double_is_the_top_53_bits_in_0_1() -> None:
    bits, doubles = SplitMix64(42), SplitMix64(42)
    for _ in range(2000):
        value = doubles.next_double()
        top = bits.next() >> 11
        assert 0.0 <= value < 1.0
        assert value == top / 2**53
        assert (value * 2**53).is_integer()  # exact: a multiple of 2^-53


def test_next_double_reaches_both_halves_and_low_values() -> None:
    rng = SplitMix64(3)
    values = [rng.next_double() for _ in range(4000)]
    assert min(values) < 0.01 and max(values) > 0.99
    assert abs(sum(values) / len(values) - 0.5) < 0.02


@pytest.mark.parametrize("seed", [-1, 2**64, 1.0, "7", True])
def test_bad_seeds_are_refused(seed: object) -> None:
    with pytest.raises(InputError, match="seed"):
        SplitMix64(seed)  # type: ignore[arg-type]


# -- the sampling rule --------------------------------------------------------------------------------


def test_greedy_takes_the_first_of_tied_maxima_and_draws_nothing() -> None:
    draws = FixedDraws()
    assert sample_token([1.0, 3.0, 3.0, 2.0], 0.0, draws) == 1
    assert sample_token([5.0, 5.0], 0.0, draws) == 0
    assert sample_token([-2.0, -1.0, -1.5], 0.0, draws) == 1
    assert sample_token(np.array([0.25]), 0, draws) == 0
    assert draws.drawn == 0


def test_one_draw_per_sample_at_a_positive_temperature() -> None:
    rng, twin = SplitMix64(11), SplitMix64(11)
    for _ in range(5):
        sample_token([0.1, 0.2, 0.3], 0.7, rng)
        twin.next()
    assert rng.state == twin.state


def test_inverse_cdf_boundaries() -> None:
    """w = exp(z - max) = [1/2, 1, 1/2] (up to roundoff): cumulative 0.5, 1.5, 2.0 of total 2."""
    z = [math.log(1.0), math.log(2.0), math.log(1.0)]
    assert sample_token(z, 1.0, FixedDraws(0.0)) == 0
    assert sample_token(z, 1.0, FixedDraws(0.2)) == 0  # target 0.4 < 0.5
    assert sample_token(z, 1.0, FixedDraws(0.3)) == 1  # target 0.6
    assert sample_token(z, 1.0, FixedDraws(0.74)) == 1  # target 1.48 < 1.5
    assert sample_token(z, 1.0, FixedDraws(0.76)) == 2  # target 1.52
    assert sample_token(z, 1.0, FixedDraws(1.0 - 2**-53)) == 2


def test_the_fallback_returns_the_last_token_with_weight() -> None:
    """Only rounding reaches past the loop; a stand-in drawing 1.0 forces it: w = [e^-5, 1, 0] -> 1, not 2."""
    assert sample_token([0.0, 5.0, -1e6], 1.0, FixedDraws(1.0)) == 1


@pytest.mark.parametrize("temperature", [0.35, 1.0, 2.5])
def test_draws_follow_softmax_of_z_over_t(temperature: float) -> None:
    """10^4 draws with a fixed seed: each token's count within 4 sigma of N * softmax(z / T)."""
    z = np.array([0.5, -1.0, 2.0, 0.0, 1.0, -3.0])
    e = np.exp((z - z.max()) / temperature)
    p = e / e.sum()  # the distribution, computed directly
    draws = 10_000
    rng = SplitMix64(2024)
    counts = np.bincount([sample_token(z, temperature, rng) for _ in range(draws)], minlength=len(z))
    sigma = np.sqrt(draws * p * (1 - p))
    assert np.all(np.abs(counts - draws * p) <= 4 * sigma + 1e-9), (counts, draws * p)


def test_a_low_temperature_sharpens_and_a_high_one_flattens() -> None:
    z = [0.0, 1.0, 0.5]
    cold, hot = SplitMix64(5), SplitMix64(5)
    cold_counts = np.bincount([sample_token(z, 0.05, cold) for _ in range(2000)], minlength=3)
    hot_counts = np.bincount([sample_token(z, 50.0, hot) for _ in range(2000)], minlength=3)
    assert cold_counts[1] >= 1990
    assert hot_counts.min() > 550


@pytest.mark.parametrize("temperature", [-1.0, -1e-300, math.nan, math.inf, -math.inf])
def test_bad_temperatures_are_refused(temperature: float) -> None:
    with pytest.raises(InputError, match="temperature must be a finite number >= 0"):
        sample_token([0.0, 1.0], temperature, SplitMix64(0))


@pytest.mark.parametrize("logits", [[0.0, math.nan], [math.inf, 0.0], [-math.inf, 1.0], []])
def test_logits_without_a_distribution_are_refused(logits: list[float]) -> None:
    with pytest.raises(InputError, match="logits"):
        sample_token(logits, 1.0, SplitMix64(0))

"""Character-level text generation from a fixture (docs/generation.md), in any backend.

The procedure, with ``step`` the chain's streaming step whose last dense layer gives logits::

    tokens = the prime's characters looked up in the vocabulary
    state  = zeros;  for each prime token p:  z, state = step(p, state)
    repeat length times:  k = sample(z, T, rng);  emit vocabulary[k];  z, state = step(k, state)

The C demo (``rr_demo --generate``) and the Java demo (``Demo --generate``) run the same procedure with
the same generator and sampler (:mod:`rnn_rosetta.sampling`), so all of them print the same text.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from rnn_rosetta.backends import get_backend
from rnn_rosetta.backends.chain_net import ChainNet
from rnn_rosetta.chain import Chain
from rnn_rosetta.errors import InputError, RosettaError
from rnn_rosetta.fixture_data import Fixture
from rnn_rosetta.sampling import MAX_SEED, NonFiniteLogits, SplitMix64, check_temperature, sample_token

#: ``--length`` runs from 0 to this many characters.
MAX_LENGTH = 1_000_000
#: The last dense layer's activations whose input is the logits the sampler wants.
LOGIT_ACTIVATIONS: tuple[str, ...] = ("softmax", "identity")


class CannotGenerate(RosettaError):
    """The fixture holds no model that can generate text (exit status 1 from the commands)."""

    def __init__(self, source: str | Path, problem: str) -> None:
        self.source = str(source)
        self.problem = problem
        super().__init__(f"{source}: {problem}")


def generation_problem(fixture: Fixture, purpose: str = "generation") -> str | None:
    """Why ``fixture`` cannot generate (or train: ``purpose="training"``), or None.

    "What a model needs" in docs/generation.md, checked in this order, the first failure winning; rr_demo and
    the Java demo print the same texts (tests/test_refusals_agree.py).
    """
    chain = fixture.model
    if not isinstance(chain, Chain) or fixture.vocabulary is None:
        return "the model has no vocabulary (a version-2 character model needs one: docs/fixture-format.md#vocabulary)"
    for index, layer in enumerate(chain.layers):
        if layer.direction != "forward":
            return (
                f"layer {index} runs {layer.direction}; {purpose} streams one token at a time,"
                " so every layer must run forward"
            )
    if chain.readout != "sequence":
        return f"the readout is {chain.readout!r}; {purpose} needs readout 'sequence' (logits at every step)"
    size = len(fixture.vocabulary)
    if not chain.dense:
        return f"the model has no dense layer; {purpose} needs a last dense layer of {size} outputs (the vocabulary)"
    last = chain.dense[-1]
    if last.size != size:
        return f"the last dense layer has {last.size} outputs; {purpose} needs {size} (the vocabulary's size)"
    if last.activation not in LOGIT_ACTIVATIONS:
        return f"the last dense layer's activation is {last.activation}; {purpose} needs softmax or identity"
    return None


def check_can_generate(fixture: Fixture) -> tuple[Chain, tuple[str, ...]]:
    """``(chain, vocabulary)`` of a fixture that can generate; else :class:`CannotGenerate` with one line."""
    problem = generation_problem(fixture)
    if problem is not None:
        raise CannotGenerate(fixture.source, problem)
    assert isinstance(fixture.model, Chain) and fixture.vocabulary is not None
    return fixture.model, fixture.vocabulary


def logits_chain(chain: Chain) -> Chain:
    """The chain with its last dense layer's activation set to ``identity``: ``step`` then gives ``z [B, V]``."""
    last = replace(chain.dense[-1], activation="identity")
    return replace(chain, dense=(*chain.dense[:-1], last))


def encode_prime(prime: str, vocabulary: tuple[str, ...], source: str | Path = "<fixture>") -> list[int]:
    """The prime's token ids; an empty prime or a character outside the vocabulary is :class:`InputError`.

    A character outside: ``{source}: --prime: character {k} (U+{XXXX}) is not in the vocabulary`` (``k`` counts
    code points from 0; ``source`` is the fixture whose vocabulary lacks it).
    """
    if not prime:
        raise InputError("--prime must not be empty")
    index = {character: k for k, character in enumerate(vocabulary)}
    tokens = []
    for position, character in enumerate(prime):
        if character not in index:
            raise InputError(
                f"{source}: --prime: character {position} (U+{ord(character):04X}) is not in the vocabulary"
            )
        tokens.append(index[character])
    return tokens


def check_length(length: int) -> int:
    if type(length) is not int or not 0 <= length <= MAX_LENGTH:
        raise InputError(f"length must be an integer in 0 .. {MAX_LENGTH}, got {length!r}")
    return length


def generate_tokens(net: ChainNet, prime_tokens: list[int], length: int, temperature: float, seed: int) -> list[int]:
    """The procedure on a loaded logits net (batch 1): ``length`` sampled token ids after the prime."""
    rng = SplitMix64(seed)
    temperature = check_temperature(temperature)
    state = None
    z = np.zeros(0)
    for token in prime_tokens:
        y_t, state = net.step(np.array([token], dtype=np.int64), state)  # [1, V]
        z = np.asarray(y_t[0], dtype=np.float64)  # [V], a float32 net's logits widened
    sampled: list[int] = []
    for emitted in range(length):
        k = sample_token(z, temperature, rng)
        sampled.append(k)
        if emitted + 1 < length:  # the step after the last character would be thrown away
            y_t, state = net.step(np.array([k], dtype=np.int64), state)
            z = np.asarray(y_t[0], dtype=np.float64)
    return sampled


def generate_text(
    fixture: Fixture,
    prime: str,
    length: int = 200,
    temperature: float = 1.0,
    seed: int = 0,
    backend: str = "numpy",
    dtype: str = "float64",
) -> str:
    """The prime followed by ``length`` generated characters (what the command prints, less its ``\\n``).

    :class:`CannotGenerate` for a model that cannot generate (non-finite logits included); :class:`InputError`
    for a bad argument.
    """
    chain, vocabulary = check_can_generate(fixture)
    prime_tokens = encode_prime(prime, vocabulary, fixture.source)
    check_length(length)
    check_temperature(temperature)
    if type(seed) is not int or not 0 <= seed <= MAX_SEED:
        raise InputError(f"seed must be an integer in 0 .. 2^64-1, got {seed!r}")
    net = get_backend(backend).load(logits_chain(chain), dtype=dtype)
    assert isinstance(net, ChainNet)
    try:
        sampled = generate_tokens(net, prime_tokens, length, temperature, seed)
    except NonFiniteLogits as error:
        raise CannotGenerate(fixture.source, str(error)) from None
    return prime + "".join(vocabulary[k] for k in sampled)

"""The two random generators the seed articles' programs draw their weights from, bit for bit.

- :class:`GlibcRandom`: what ``srand(seed)`` then ``rand()`` give with the GNU C library (the seed's C
  ``SimpleRNN`` calls ``srand(42)``);
- :class:`JavaRandom`: ``java.util.Random(seed)`` with ``next(bits)`` and ``nextDouble()`` (the seed's
  Java ``LSTMCell`` draws from ``new Random(42)``).

Both are specified algorithms, written here from their descriptions; the tests check them against the
real ones (glibc through ctypes, the JVM through JPype).
"""

from __future__ import annotations

RAND_MAX = 2**31 - 1
_MASK32 = 2**32 - 1
_LCG_MODULUS = 2**31 - 1  # the Park-Miller "minimal standard" modulus
_LCG_MULTIPLIER = 16807
_DEGREE = 31  # r[i] depends on r[i - 31] ...
_SEPARATION = 3  # ... and on r[i - 3]
_WARM_UP = 310  # outputs glibc throws away after seeding (10 * degree)


def _c_int32(value: int) -> int:
    """``value`` as a C ``int32_t`` holds it (two's complement wrap)."""
    value &= _MASK32
    return value - 2**32 if value >= 2**31 else value


def _c_div(a: int, b: int) -> tuple[int, int]:
    """C's ``a / b`` and ``a % b``: the quotient truncated toward zero, the remainder with ``a``'s sign."""
    quotient = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        quotient = -quotient
    return quotient, a - quotient * b


class GlibcRandom:
    """glibc's ``srand(seed)`` / ``rand()``: the TYPE_3 additive lagged-Fibonacci generator.

    Seeding (``seed`` is an ``unsigned int``; 0 counts as 1):

    - ``r[0] = seed`` (stored in an ``int32_t``);
    - ``r[i] = 16807 * r[i-1] mod (2^31 - 1)`` for ``i = 1 .. 30``, computed as glibc does, with Schrage's
      split (``hi = r / 127773``, ``lo = r % 127773``, ``r = 16807 lo - 2836 hi``, plus ``2^31 - 1`` when
      negative) so that it never overflows 32 bits;
    - ``r[i] = r[i-31]`` for ``i = 31 .. 33``: the 34 words the feedback starts from.

    Every further word is ``r[i] = (r[i-3] + r[i-31]) mod 2^32``; the first 310 of them are discarded,
    and each later one is an output of ``rand()``, shifted right by one bit (so ``0 .. RAND_MAX``,
    ``RAND_MAX = 2^31 - 1``). The state is kept as a ring of the last 34 words.
    """

    def __init__(self, seed: int) -> None:
        if not 0 <= seed <= _MASK32:
            raise ValueError(f"srand takes an unsigned int (0 .. 2^32-1), got {seed}")
        seed = seed or 1
        words = [_c_int32(seed)]
        word = words[0]
        for _ in range(1, _DEGREE):
            hi, lo = _c_div(word, 127773)
            word = _LCG_MULTIPLIER * lo - 2836 * hi
            if word < 0:
                word += _LCG_MODULUS
            words.append(word)
        words += words[:_SEPARATION]  # r[31..33] = r[0..2]
        self._ring = [w & _MASK32 for w in words]  # 34 words, r[i] at index i % 34
        self._index = len(self._ring)  # the index of the next word to make
        for _ in range(_WARM_UP):
            self._next_word()

    def _next_word(self) -> int:
        size = len(self._ring)
        i = self._index
        word = (self._ring[(i - _SEPARATION) % size] + self._ring[(i - _DEGREE) % size]) & _MASK32
        self._ring[i % size] = word
        self._index = i + 1
        return word

    def rand(self) -> int:
        """The next ``rand()``: an int in ``0 .. RAND_MAX``."""
        return self._next_word() >> 1


class JavaRandom:
    """``java.util.Random(seed)``: a 48-bit linear congruential generator, as the Java SE API specifies it.

    - seeding: ``s = (seed XOR 0x5DEECE66D) mod 2^48`` (the "initial scramble");
    - ``next(bits)``: ``s = (s * 0x5DEECE66D + 0xB) mod 2^48``, then the top ``bits`` bits of ``s``
      (``s >> (48 - bits)``) as a Java ``int`` (two's complement, so ``next(32)`` can be negative);
    - ``nextDouble()``: ``((next(26) << 27) + next(27)) * 2^-53``, a double in ``[0, 1)`` (53 random bits,
      exactly representable, so the product is exact).
    """

    MULTIPLIER = 0x5DEECE66D
    ADDEND = 0xB
    MASK = 2**48 - 1

    def __init__(self, seed: int) -> None:
        self._seed = (seed ^ self.MULTIPLIER) & self.MASK  # a Java long: only its low 48 bits matter

    def next(self, bits: int) -> int:
        """``Random.next(bits)``, ``1 <= bits <= 32``."""
        if not 1 <= bits <= 32:
            raise ValueError(f"next(bits) takes 1 .. 32 bits, got {bits}")
        self._seed = (self._seed * self.MULTIPLIER + self.ADDEND) & self.MASK
        return _c_int32(self._seed >> (48 - bits))

    def next_double(self) -> float:
        """``Random.nextDouble()``."""
        return ((self.next(26) << 27) + self.next(27)) * 2.0**-53

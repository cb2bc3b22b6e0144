"""The seed programs' random generators against the real ones: glibc's rand() (ctypes), java.util.Random (JPype)."""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

import pytest

from rnn_rosetta.seed_random import RAND_MAX, GlibcRandom, JavaRandom
from tests.conftest import require_backend, skip_or_fail

#: 0 (glibc reads it as 1), the seed programs' 42, and seeds that need all 32 bits of srand's unsigned int.
GLIBC_SEEDS = [0, 1, 42, 12345, 2**31 - 1, 2**31, 2**31 + 5, 2**32 - 1]
JAVA_SEEDS = [42, 0, 1, -7, 2**40 + 3, -(2**63)]


@pytest.fixture(scope="module")
def libc() -> Any:
    """The C library this process runs on; the oracle only when it is glibc (rand() is not portable)."""
    name = ctypes.util.find_library("c")
    library = ctypes.CDLL(None)
    if not hasattr(library, "gnu_get_libc_version"):
        skip_or_fail(f"the C library here ({name}) is not glibc")
    library.srand.argtypes = [ctypes.c_uint]
    library.rand.restype = ctypes.c_int
    return library


@pytest.mark.parametrize("seed", GLIBC_SEEDS)
def test_glibc_rand_matches_glibc(libc: Any, seed: int) -> None:
    libc.srand(seed)
    ours = GlibcRandom(seed)
    for draw in range(10_000):
        want = libc.rand()
        got = ours.rand()
        assert got == want, f"srand({seed}): draw {draw}: ours {got}, glibc {want}"
        assert 0 <= got <= RAND_MAX


def test_glibc_rand_refuses_a_seed_outside_unsigned_int() -> None:
    for seed in (-1, 2**32):
        with pytest.raises(ValueError, match="unsigned int"):
            GlibcRandom(seed)


@pytest.fixture(scope="module")
def java_random() -> Any:
    """The class ``java.util.Random`` in the JVM the Java backend starts."""
    require_backend("java")
    import jpype

    from rnn_rosetta.backends.java_backend import start_jvm

    start_jvm()
    return jpype.JClass("java.util.Random")


@pytest.mark.parametrize("seed", JAVA_SEEDS)
def test_java_random_matches_java_util_random(java_random: Any, seed: int) -> None:
    import jpype

    theirs = java_random(jpype.JLong(seed))
    ours = JavaRandom(seed)
    for draw in range(1_000):
        want = float(theirs.nextDouble())
        got = ours.next_double()
        assert got == want, f"Random({seed}): nextDouble {draw}: ours {got!r}, Java {want!r}"
        assert 0.0 <= got < 1.0
    # next(bits) itself is protected: nextInt() is next(32), nextBoolean() is next(1), and nextInt(2^k) is
    # next(31) >> (31 - k)
    for k in (1, 7, 30):
        assert ours.next(32) == int(theirs.nextInt())
        assert ours.next(1) == (1 if bool(theirs.nextBoolean()) else 0)
        assert ours.next(31) >> (31 - k) == int(theirs.nextInt(1 << k))


def test_java_random_refuses_a_bit_count_out_of_range() -> None:
    for bits in (0, 33):
        with pytest.raises(ValueError, match=r"1 \.\. 32"):
            JavaRandom(1).next(bits)

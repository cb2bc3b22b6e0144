/*
 * splitmix64.c - SplitMix64 as docs/generation.md writes it down. uint64_t
 * arithmetic wraps modulo 2^64, which is what the algorithm asks for.
 */
#include "splitmix64.h"

splitmix64 splitmix64_seeded(uint64_t seed)
{
    splitmix64 rng = { seed };
    return rng;
}

uint64_t splitmix64_next(splitmix64 *rng)
{
    rng->state += UINT64_C(0x9E3779B97F4A7C15);
    uint64_t z = rng->state;
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

double splitmix64_next_double(splitmix64 *rng)
{
    return (double)(splitmix64_next(rng) >> 11) * 0x1.0p-53;
}

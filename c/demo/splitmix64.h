/*
 * splitmix64.h - the random generator of text generation (docs/generation.md,
 * "The generator: SplitMix64"; Steele, Lea and Flood, OOPSLA 2014): one
 * 64-bit state, arithmetic modulo 2^64, the same numbers in C, Java and
 * Python for the same seed.
 */
#ifndef RR_SPLITMIX64_H
#define RR_SPLITMIX64_H

#include <stdint.h>

typedef struct splitmix64 {
    uint64_t state; /* s */
} splitmix64;

/* s = seed (any of 0 .. 2^64-1). */
splitmix64 splitmix64_seeded(uint64_t seed);

/* s += 0x9E3779B97F4A7C15; z = s;
 * z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
 * z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
 * return z ^ (z >> 31). */
uint64_t splitmix64_next(splitmix64 *rng);

/* (next() >> 11) * 2^-53: a double in [0, 1) with 53 random bits. */
double splitmix64_next_double(splitmix64 *rng);

#endif /* RR_SPLITMIX64_H */

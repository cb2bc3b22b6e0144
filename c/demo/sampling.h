/*
 * sampling.h - the sampling rule of text generation (docs/generation.md,
 * "The sampling rule"): a token index from the logits z [V], greedy at
 * temperature 0, else inverse-CDF sampling from softmax(z / temperature)
 * with one SplitMix64 draw, all in float64 in index order.
 */
#ifndef RR_SAMPLING_H
#define RR_SAMPLING_H

#include "splitmix64.h"

#include <stddef.h>

/* *token = sample(z [n], temperature, rng):
 *   temperature == 0: the first i of the largest z_i; no draw.
 *   temperature > 0:  m = max z_i; w_i = exp((z_i - m) / temperature);
 *                     total = w_0 + ... + w_{n-1} (index order);
 *                     target = next_double() * total; the first i whose
 *                     running sum w_0 + ... + w_i exceeds target (else,
 *                     through rounding only, the largest i with w_i > 0).
 * Returns 1, or 0 (nothing drawn) when n is 0, the temperature is
 * negative, infinite or NaN, or a logit is not finite. */
int sample_token(const double *z, size_t n, double temperature,
                 splitmix64 *rng, size_t *token);

#endif /* RR_SAMPLING_H */

/*
 * sampling.c - sample_token exactly as docs/generation.md specifies it, so
 * that C, Java and numpy pick the same token: the weights, their total and
 * the running sum are float64 sums in index order; exp is libm's. The
 * weights are computed twice (for the total, then for the running sum)
 * rather than stored: the same operations on the same values give the
 * same bits, and no buffer is needed.
 */
#include "sampling.h"

#include <math.h>

/* the first index of the largest z_i (keep i when z_i > z_best) */
static size_t greedy(const double *z, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++) {
        if (z[i] > z[best]) {
            best = i;
        }
    }
    return best;
}

int sample_token(const double *z, size_t n, double temperature,
                 splitmix64 *rng, size_t *token)
{
    if (n == 0 || !isfinite(temperature) || temperature < 0.0) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(z[i])) {
            return 0;
        }
    }
    const size_t best = greedy(z, n);
    if (temperature == 0.0) {
        *token = best;
        return 1;
    }
    const double m = z[best];
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        total += exp((z[i] - m) / temperature);
    }
    const double target = splitmix64_next_double(rng) * total;
    double cum = 0.0;
    size_t last_positive = best; /* w_best = exp(0) = 1 > 0 */
    for (size_t i = 0; i < n; i++) {
        const double w = exp((z[i] - m) / temperature);
        cum += w;
        if (target < cum) {
            *token = i;
            return 1;
        }
        if (w > 0.0) {
            last_positive = i;
        }
    }
    *token = last_positive;
    return 1;
}

/* activation_impl.h - the scalar nonlinearities and softmax for one
 * precision (REAL, SFX: see real.h). The formulas are fixed so that every
 * language of the project computes the same bits in float64. */
#include "real.h"

/* sigmoid(x) = 1 / (1 + exp(-x)), written so that exp never overflows:
 * x >= 0: 1 / (1 + exp(-x));  x < 0: exp(x) / (1 + exp(x)). */
REAL SFX(rr_sigmoid)(REAL x)
{
    if (x >= REAL_C(0.0)) {
        return REAL_C(1.0) / (REAL_C(1.0) + REAL_EXP(-x));
    }
    const REAL e = REAL_EXP(x);
    return e / (REAL_C(1.0) + e);
}

/* relu(x) = max(0, x); NaN propagates. */
REAL SFX(rr_relu)(REAL x)
{
    return x < REAL_C(0.0) ? REAL_C(0.0) : x;
}

/* clamp(x) to [-limit, limit]; NaN propagates. */
REAL SFX(rr_clamp)(REAL x, REAL limit)
{
    return x < -limit ? -limit : (x > limit ? limit : x);
}

/* m = max_i v_i (scanned in index order), e_i = exp(v_i - m),
 * s = sum_i e_i (in index order), v_i = e_i / s. */
void SFX(rr_softmax)(REAL *v, size_t n)
{
    REAL m = v[0];
    for (size_t i = 1; i < n; i++) {
        if (v[i] > m) {
            m = v[i];
        }
    }
    REAL s = REAL_C(0.0);
    for (size_t i = 0; i < n; i++) {
        v[i] = REAL_EXP(v[i] - m);
        s += v[i];
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = v[i] / s;
    }
}

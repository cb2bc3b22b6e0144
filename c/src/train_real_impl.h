/*
 * train_real_impl.h - the element-by-element updates of training in one
 * precision (REAL, SFX: see real.h), included twice by train_optim.c. A
 * float32 run computes them in float, its scalars (lr / c1, beta2, ...)
 * rounded to float first, as a float32 framework does.
 */
#include "real.h"

#include <math.h>

#undef TRAIN_SQRT
#if RR_REAL_BITS == 64
#define TRAIN_SQRT sqrt
#else
#define TRAIN_SQRT sqrtf
#endif

double SFX(rr_train_sum_squares)(const REAL *g, size_t len)
{
    double s = 0.0;  /* sum_i g_i^2, in double, index order */
    for (size_t i = 0; i < len; i++) {
        s += (double)g[i] * (double)g[i];
    }
    return s;
}

void SFX(rr_train_scale)(REAL *g, size_t len, double coef)
{
    const REAL k = REAL_C(coef);
    for (size_t i = 0; i < len; i++) {
        g[i] *= k;  /* g *= coef */
    }
}

void SFX(rr_train_adam)(REAL *p, const REAL *g, REAL *m, REAL *v, size_t len,
                        const rr_adam_scalars *s)
{
    const REAL keep1 = REAL_C(s->keep1), other1 = REAL_C(1.0 - s->keep1);
    const REAL beta2 = REAL_C(s->beta2), keep2 = REAL_C(s->keep2);
    const REAL step_size = REAL_C(s->step_size);
    const REAL c2_sqrt = REAL_C(s->c2_sqrt), eps = REAL_C(s->eps);
    const int near_start = s->keep1 < 0.5;
    for (size_t i = 0; i < len; i++) {
        /* m = beta1 m + (1 - beta1) g as torch's lerp(m, g, 1 - beta1) */
        m[i] = near_start ? m[i] + keep1 * (g[i] - m[i])
                          : g[i] - (g[i] - m[i]) * other1;
        v[i] = beta2 * v[i] + keep2 * g[i] * g[i]; /* beta2 v + (1-b2) g g */
        /* p = p - (lr / c1) * (m / (sqrt(v) / sqrt(c2) + eps)) */
        const REAL denominator = TRAIN_SQRT(v[i]) / c2_sqrt + eps;
        p[i] = p[i] - step_size * (m[i] / denominator);
    }
}

void SFX(rr_train_sgd)(REAL *p, const REAL *g, REAL *b, size_t len,
                       uint64_t t, double lr, double momentum)
{
    const REAL rate = REAL_C(lr), mu = REAL_C(momentum);
    for (size_t i = 0; i < len; i++) {
        REAL step = g[i];                            /* momentum 0: b = g */
        if (momentum != 0.0) {
            b[i] = t == 1 ? g[i] : mu * b[i] + g[i]; /* b = g; mu b + g */
            step = b[i];
        }
        p[i] = p[i] - rate * step;                   /* p = p - lr b */
    }
}

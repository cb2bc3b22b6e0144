/* activation.c - the scalar nonlinearities and softmax. The formulas are
 * fixed so that every language of the project computes the same bits. */
#include "internal.h"

#include <math.h>

/* sigmoid(x) = 1 / (1 + exp(-x)), written so that exp never overflows:
 * x >= 0: 1 / (1 + exp(-x));  x < 0: exp(x) / (1 + exp(x)). */
double rr_sigmoid(double x)
{
    if (x >= 0.0) {
        return 1.0 / (1.0 + exp(-x));
    }
    double e = exp(x);
    return e / (1.0 + e);
}

/* relu(x) = max(0, x); NaN propagates. */
double rr_relu(double x)
{
    return x < 0.0 ? 0.0 : x;
}

/* clamp(x) to [-limit, limit]; NaN propagates. */
double rr_clamp(double x, double limit)
{
    return x < -limit ? -limit : (x > limit ? limit : x);
}

/* m = max_i v_i (scanned in index order), e_i = exp(v_i - m),
 * s = sum_i e_i (in index order), v_i = e_i / s. */
void rr_softmax(double *v, size_t n)
{
    double m = v[0];
    for (size_t i = 1; i < n; i++) {
        if (v[i] > m) {
            m = v[i];
        }
    }
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        v[i] = exp(v[i] - m);
        s += v[i];
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = v[i] / s;
    }
}

/* train_loss.c - the loss and the clip of docs/training.md: softmax
 * cross-entropy with its fused gradient, and the global 2-norm clip
 * (torch.nn.functional.cross_entropy, torch.nn.utils.clip_grad_norm_). */
#include "train_impl.h"

#include <math.h>

/* one row: lse(z) = m + log(sum_j exp(z_j - m)), m = max_j z_j; *sum gets
 * sum_j exp(z_j - m) and *max m */
static double log_sum_exp(const double *z, size_t v, double *max, double *sum)
{
    double m = z[0];
    for (size_t j = 1; j < v; j++) {
        m = z[j] > m ? z[j] : m;
    }
    double s = 0.0;
    for (size_t j = 0; j < v; j++) {
        s += exp(z[j] - m);
    }
    *max = m;
    *sum = s;
    return m + log(s);
}

rr_status rr_softmax_cross_entropy(size_t n, size_t v, const double *logits,
                                   size_t logits_len, const int64_t *targets,
                                   size_t targets_len, double *loss,
                                   double *d_logits, size_t d_logits_len,
                                   rr_error *err)
{
    if (logits == NULL || targets == NULL || loss == NULL) {
        return rr_fail(err, RR_E_NULL, "%s is NULL",
                       logits == NULL ? "logits"
                       : targets == NULL ? "targets" : "loss");
    }
    size_t count = 0;
    if (n == 0 || v == 0 ||
        !rr_count_product((const size_t[]){ n, v }, 2, &count)) {
        return rr_fail(err, RR_E_SIZE, "N = %zu and V = %zu must be >= 1 and "
                       "N*V must fit", n, v);
    }
    if (logits_len != count || targets_len != n ||
        (d_logits != NULL && d_logits_len != count)) {
        return rr_fail(err, RR_E_SHAPE, "logits [N, V] = %zu, targets [N] = "
                       "%zu, d_logits [N, V] = %zu numbers; N = %zu, V = %zu",
                       logits_len, targets_len, d_logits_len, n, v);
    }
    for (size_t r = 0; r < n; r++) {
        if (targets[r] < 0 || (uint64_t)targets[r] >= v) {
            return rr_fail(err, RR_E_TOKENS, "targets[%zu] is %lld, expected "
                           "0..%zu", r, (long long)targets[r], v - 1);
        }
    }
    double total = 0.0;
    for (size_t r = 0; r < n; r++) {
        const double *z = logits + r * v;  /* [V] */
        const size_t y = (size_t)targets[r];
        double m = 0.0, s = 0.0;
        total += log_sum_exp(z, v, &m, &s) - z[y];  /* lse(z) - z_y */
        if (d_logits != NULL) {
            double *d = d_logits + r * v;  /* [V] */
            for (size_t j = 0; j < v; j++) {
                /* (softmax(z)_j - [j == y]) / N */
                d[j] = (exp(z[j] - m) / s - (j == y ? 1.0 : 0.0)) /
                       (double)n;
            }
        }
    }
    *loss = (1.0 / (double)n) * total;  /* (1 / N) * sum */
    return RR_OK;
}

double rr_clip_coef(double max_norm, double total)
{
    const double coef = max_norm / (total + 1e-6);  /* c / (total + 1e-6) */
    return coef < 1.0 ? coef : 1.0;                 /* min(., 1) */
}

rr_status rr_clip_grad_norm(double *grads, size_t len, double max_norm,
                            double *total, rr_error *err)
{
    if (grads == NULL && len > 0) {
        return rr_fail(err, RR_E_NULL, "grads is NULL");
    }
    if (!(max_norm > 0.0) || !isfinite(max_norm)) {
        return rr_fail(err, RR_E_CONFIG, "max_norm must be finite and > 0, "
                       "got %g", max_norm);
    }
    const double norm = sqrt(rr_train_sum_squares_f64(grads, len));
    rr_train_scale_f64(grads, len, rr_clip_coef(max_norm, norm));
    if (total != NULL) {
        *total = norm;
    }
    return RR_OK;
}

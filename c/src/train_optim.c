/* train_optim.c - the optimizers of docs/training.md, element by element,
 * as PyTorch defines them (torch.optim.Adam, torch.optim.SGD; no weight
 * decay, no dampening): the public float64 updates and, through
 * train_real_impl.h, the loops of both precisions the trainer runs. */
#include "train_impl.h"

#include <math.h>

#define RR_REAL_BITS 64
#include "train_real_impl.h"
#undef RR_REAL_BITS
#define RR_REAL_BITS 32
#include "train_real_impl.h"
#undef RR_REAL_BITS

rr_adam_scalars rr_adam_scalars_at(uint64_t t, double lr, double beta1,
                                   double beta2, double eps)
{
    const double c1 = 1.0 - pow(beta1, (double)t);  /* 1 - beta1^t */
    const double c2 = 1.0 - pow(beta2, (double)t);  /* 1 - beta2^t */
    const rr_adam_scalars s = { 1.0 - beta1, beta2, 1.0 - beta2, lr / c1,
                                sqrt(c2), eps };
    return s;
}

/* The settings rr_trainer_create takes (train.c's check_config, same
 * messages): lr finite > 0; beta1, beta2 in [0, 1); eps, momentum finite
 * >= 0. */
static rr_status check_lr(double lr, rr_error *err)
{
    if (!(lr > 0.0) || !isfinite(lr)) {
        return rr_fail(err, RR_E_CONFIG, "lr must be finite and > 0, got %g",
                       lr);
    }
    return RR_OK;
}

static rr_status check_adam(double lr, double beta1, double beta2,
                            double eps, rr_error *err)
{
    if (!(beta1 >= 0.0 && beta1 < 1.0) || !(beta2 >= 0.0 && beta2 < 1.0)) {
        return rr_fail(err, RR_E_CONFIG, "beta1 and beta2 must lie in [0, 1), "
                       "got %g and %g", beta1, beta2);
    }
    if (!(eps >= 0.0) || !isfinite(eps)) {
        return rr_fail(err, RR_E_CONFIG, "eps must be finite and >= 0, got "
                       "%g", eps);
    }
    return check_lr(lr, err);
}

rr_status rr_adam_update(double *params, const double *grads, double *m,
                         double *v, size_t len, uint64_t t, double lr,
                         double beta1, double beta2, double eps,
                         rr_error *err)
{
    if (len > 0 && (params == NULL || grads == NULL || m == NULL ||
                    v == NULL)) {
        return rr_fail(err, RR_E_NULL, "params, grads, m and v are "
                       "required");
    }
    if (t == 0) {
        return rr_fail(err, RR_E_CONFIG, "t counts from 1");
    }
    const rr_status status = check_adam(lr, beta1, beta2, eps, err);
    if (status != RR_OK) {
        return status;
    }
    const rr_adam_scalars s = rr_adam_scalars_at(t, lr, beta1, beta2, eps);
    rr_train_adam_f64(params, grads, m, v, len, &s);
    return RR_OK;
}

rr_status rr_sgd_update(double *params, const double *grads, double *b,
                        size_t len, uint64_t t, double lr, double momentum,
                        rr_error *err)
{
    if (len > 0 && (params == NULL || grads == NULL ||
                    (momentum != 0.0 && b == NULL))) {
        return rr_fail(err, RR_E_NULL, "params, grads and (with momentum) b "
                       "are required");
    }
    if (t == 0) {
        return rr_fail(err, RR_E_CONFIG, "t counts from 1");
    }
    if (!(momentum >= 0.0) || !isfinite(momentum)) {
        return rr_fail(err, RR_E_CONFIG, "momentum must be finite and >= 0, "
                       "got %g", momentum);
    }
    const rr_status status = check_lr(lr, err);
    if (status != RR_OK) {
        return status;
    }
    rr_train_sgd_f64(params, grads, b, len, t, lr, momentum);
    return RR_OK;
}

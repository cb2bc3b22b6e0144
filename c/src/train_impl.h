/*
 * train_impl.h - what the training sources share (train_params.c,
 * train_loss.c, train_optim.c, train.c): the chain's internals and the
 * element-by-element updates in each precision (train_real_impl.h). Not
 * part of the API.
 */
#ifndef RR_TRAIN_IMPL_H
#define RR_TRAIN_IMPL_H

#include "backward_internal.h"
#include "rnn_rosetta_train.h"

/* Adam's scalars at step t (computed in double):
 *   step_size = lr / (1 - beta1^t);  c2_sqrt = sqrt(1 - beta2^t) */
typedef struct rr_adam_scalars {
    double keep1;      /* 1 - beta1 */
    double beta2;
    double keep2;      /* 1 - beta2 */
    double step_size;
    double c2_sqrt;
    double eps;
} rr_adam_scalars;

rr_adam_scalars rr_adam_scalars_at(uint64_t t, double lr, double beta1,
                                   double beta2, double eps);

/* sum_i g_i^2 over g [len], in double, in index order */
double rr_train_sum_squares_f64(const double *g, size_t len);
double rr_train_sum_squares_f32(const float *g, size_t len);
/* g_i *= coef (coef rounded to the precision first) */
void rr_train_scale_f64(double *g, size_t len, double coef);
void rr_train_scale_f32(float *g, size_t len, double coef);
/* rr_adam_update's and rr_sgd_update's loops, checked arguments */
void rr_train_adam_f64(double *p, const double *g, double *m, double *v,
                       size_t len, const rr_adam_scalars *s);
void rr_train_adam_f32(float *p, const float *g, float *m, float *v,
                       size_t len, const rr_adam_scalars *s);
void rr_train_sgd_f64(double *p, const double *g, double *b, size_t len,
                      uint64_t t, double lr, double momentum);
void rr_train_sgd_f32(float *p, const float *g, float *b, size_t len,
                      uint64_t t, double lr, double momentum);

/* coef = min(max_norm / (total + 1e-6), 1) */
double rr_clip_coef(double max_norm, double total);

#endif /* RR_TRAIN_IMPL_H */

/*
 * rnn_rosetta_train.h - training a character model with librnn_rosetta
 * (docs/training.md): the chain's weights as one flat array, the loss,
 * clipping and the optimizers as pure functions, and a trainer that runs
 * one step of the spec's procedure per call.
 *
 * Flat weights [P] are the arrays of rr_chain_param_info, one after the
 * other in chain order (embedding.weight; per layer, forward then
 * reverse: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr, peephole_i,
 * peephole_f, peephole_o, those present; dense.k.weight, dense.k.bias),
 * each row-major in the fixture's shape. Every function that can fail
 * returns an rr_status and fills err as rnn_rosetta.h's do.
 */
#ifndef RNN_ROSETTA_TRAIN_H
#define RNN_ROSETTA_TRAIN_H

#include "rnn_rosetta.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rr_optimizer {
    RR_OPTIMIZER_ADAM = 0,
    RR_OPTIMIZER_SGD = 1
} rr_optimizer;

/* docs/training.md's settings; lr > 0, betas in [0, 1), eps >= 0,
 * momentum >= 0 (sgd), clip_norm >= 0 (0 = off), all finite. */
typedef struct rr_train_config {
    rr_optimizer optimizer;
    double lr;          /* 2e-3 in the CLI                                  */
    double beta1;       /* adam: 0.9                                        */
    double beta2;       /* adam: 0.999                                      */
    double eps;         /* adam: 1e-8                                       */
    double momentum;    /* sgd: 0.9 (0: plain)                              */
    double clip_norm;   /* 0 = off                                          */
} rr_train_config;

/* rr_train_config with docs/training.md's defaults (adam). */
rr_train_config rr_train_config_default(void);

/* ---- the chain's weights, flat ---------------------------------------- */

/* params [P] = the chain's weights (len must be P; a float32 chain's
 * weights are widened). RR_E_STATE when a weight array is not set yet. */
rr_status rr_chain_get_params(const rr_chain *chain, double *params,
                              size_t len, rr_error *err);
/* The chain's weights = params [P] (rounded to float for a float32
 * chain). */
rr_status rr_chain_set_params(rr_chain *chain, const double *params,
                              size_t len, rr_error *err);

/* ---- pure pieces -------------------------------------------------------- */

/* Softmax cross-entropy of N rows of V logits, mean over the rows:
 *   lse(v)  = m + log(sum_j exp(v_j - m)),  m = max_j v_j
 *   loss    = (1 / N) * sum_n ( lse(z_n) - z_n[y_n] )
 *   d_z[n,j] = (exp(z_n[j] - m_n) / sum_k exp(z_n[k] - m_n) - [j == y_n]) / N
 * logits [N, V], targets [N] in 0..V-1 (else RR_E_TOKENS), d_logits [N, V]
 * or NULL. */
rr_status rr_softmax_cross_entropy(size_t n, size_t v, const double *logits,
                                   size_t logits_len, const int64_t *targets,
                                   size_t targets_len, double *loss,
                                   double *d_logits, size_t d_logits_len,
                                   rr_error *err);

/* Clip one array's 2-norm to max_norm > 0 (torch's clip_grad_norm_):
 *   total = sqrt(sum_i g_i^2);  coef = min(max_norm / (total + 1e-6), 1)
 *   g_i  *= coef
 * *total (may be NULL) gets the norm before scaling. */
rr_status rr_clip_grad_norm(double *grads, size_t len, double max_norm,
                            double *total, rr_error *err);

/* One Adam update at step t >= 1 (torch.optim.Adam, no weight decay):
 *   m = m + (1 - beta1) * (g - m)
 *   v = beta2 * v + (1 - beta2) * g * g
 *   p = p - (lr / (1 - beta1^t)) * (m / (sqrt(v) / sqrt(1 - beta2^t) + eps))
 * m, v start at zero; all arrays [len]. The settings are checked as
 * rr_trainer_create checks them (RR_E_CONFIG, nothing changed): lr finite
 * > 0, beta1 and beta2 in [0, 1), eps finite >= 0. */
rr_status rr_adam_update(double *params, const double *grads, double *m,
                         double *v, size_t len, uint64_t t, double lr,
                         double beta1, double beta2, double eps,
                         rr_error *err);

/* One SGD update at step t >= 1 (torch.optim.SGD, no dampening):
 *   b = g at t = 1, then b = momentum * b + g   (momentum 0: b = g)
 *   p = p - lr * b
 * b [len] (NULL allowed when momentum is 0). RR_E_CONFIG (nothing
 * changed) unless lr is finite > 0 and momentum finite >= 0. */
rr_status rr_sgd_update(double *params, const double *grads, double *b,
                        size_t len, uint64_t t, double lr, double momentum,
                        rr_error *err);

/* ---- the trainer -------------------------------------------------------- */

typedef struct rr_trainer rr_trainer;

/* chain: the logits chain (an embedding, every layer forward, readout
 * sequence, a last dense layer of V outputs with activation identity),
 * float64 or float32, its weights set. The trainer keeps the weights and
 * the optimizer's state in the chain's precision (a float32 chain trains
 * in float; the loss and the clip's norm are computed in double) and
 * writes the weights into the chain after each step; it does not own the
 * chain, which must outlive it. RR_E_CONFIG for a chain or settings it
 * cannot train. */
rr_status rr_trainer_create(rr_chain *chain, const rr_train_config *cfg,
                            rr_trainer **out, rr_error *err);

/* One step of docs/training.md on tokens, targets [T, B] (time-major,
 * 0..V-1), from the states h [S_h], c [S_c] (NULL = zeros; c NULL, 0
 * without cell states): forward, loss, backward, clip, update. h_next
 * [S_h] and c_next [S_c] get the forward's final states (may alias h,
 * c) when the step succeeds; *loss the loss before the update. RR_E_STATE
 * when the loss is not finite ("the loss is nan"): the weights, the
 * optimizer's state, h_next and c_next are then left as they were (so is
 * every output on any other failure, *loss aside). */
rr_status rr_trainer_step(rr_trainer *trainer, size_t seq_len, size_t batch,
                          const int64_t *tokens, size_t tokens_len,
                          const int64_t *targets, size_t targets_len,
                          const double *h, size_t h_len,
                          const double *c, size_t c_len,
                          double *h_next, size_t h_next_len,
                          double *c_next, size_t c_next_len,
                          double *loss, rr_error *err);

/* The trainer's weights [P] (what the chain holds, widened). */
rr_status rr_trainer_params(const rr_trainer *trainer, double *params,
                            size_t len, rr_error *err);

/* NULL is allowed. */
void rr_trainer_free(rr_trainer *trainer);

#ifdef __cplusplus
}
#endif

#endif /* RNN_ROSETTA_TRAIN_H */

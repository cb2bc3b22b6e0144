/* train.c - rr_trainer: one step of docs/training.md per call on a
 * logits chain (float64 or float32):
 *
 *   z, state_next = forward(x, state)                 z [T, B, V], tape kept
 *   loss = (1 / (T B)) sum_{t,b} (lse(z[t,b]) - z[t,b,y[t][b]])
 *   dz   = (softmax(z[t,b]) - onehot(y[t][b])) / (T B)
 *   grads = backward(d_y = dz)                        flat [P]
 *   clip: total = sqrt(sum over arrays of their sums of squares);
 *         grads *= min(c / (total + 1e-6), 1)        (clip_norm c > 0)
 *   update: adam or sgd (train_optim.c), then the chain gets the weights
 *
 * A float64 chain trains in double. A float32 chain trains in float: its
 * forward, backward, gradients, the optimizer's state and updates (the
 * loss and the clip's norm are computed in double, as the spec says). */
#include "train_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct rr_trainer {
    rr_chain *chain;
    rr_train_config cfg;
    rr_dtype dtype;
    rr_chain_sizes sizes;
    size_t count;    /* P                                                   */
    double *wide;    /* [P] the weights as double: what the chain holds     */
    void *params;    /* [P] REAL: the weights stepped (float64: wide)       */
    void *grads;     /* [P] REAL: the last step's gradient                  */
    void *m;         /* [P] REAL: adam's first moment; sgd's momentum       */
    void *v;         /* [P] REAL: adam's second moment                      */
    uint64_t t;      /* optimizer steps taken                               */
};

rr_train_config rr_train_config_default(void)
{
    const rr_train_config cfg = { RR_OPTIMIZER_ADAM, 2e-3, 0.9, 0.999, 1e-8,
                                  0.9, 5.0 };
    return cfg;
}

static rr_status check_config(const rr_train_config *c, rr_error *err)
{
    if (c->optimizer != RR_OPTIMIZER_ADAM &&
        c->optimizer != RR_OPTIMIZER_SGD) {
        return rr_fail(err, RR_E_CONFIG, "optimizer is %d, expected adam (0) "
                       "or sgd (1)", (int)c->optimizer);
    }
    if (!(c->lr > 0.0) || !isfinite(c->lr)) {
        return rr_fail(err, RR_E_CONFIG, "lr must be finite and > 0, got %g",
                       c->lr);
    }
    if (!(c->beta1 >= 0.0 && c->beta1 < 1.0) ||
        !(c->beta2 >= 0.0 && c->beta2 < 1.0)) {
        return rr_fail(err, RR_E_CONFIG, "beta1 and beta2 must lie in [0, 1), "
                       "got %g and %g", c->beta1, c->beta2);
    }
    if (!(c->eps >= 0.0) || !isfinite(c->eps) || !(c->momentum >= 0.0) ||
        !isfinite(c->momentum) || !(c->clip_norm >= 0.0) ||
        !isfinite(c->clip_norm)) {
        return rr_fail(err, RR_E_CONFIG, "eps, momentum and clip_norm must be "
                       "finite and >= 0, got %g, %g and %g", c->eps,
                       c->momentum, c->clip_norm);
    }
    return RR_OK;
}

/* what a logits chain needs (rnn_rosetta_train.h) */
static rr_status check_chain(const rr_chain *ch, rr_error *err)
{
    const rr_chain_config *cfg = &ch->cfg;
    if (cfg->vocab_size == 0) {
        return rr_fail(err, RR_E_CONFIG, "the chain has no embedding; "
                       "training reads tokens");
    }
    if (!ch->sizes.all_forward) {
        return rr_fail(err, RR_E_CONFIG, "every layer must run forward "
                       "(the state is carried from window to window)");
    }
    if (cfg->readout != RR_READOUT_SEQUENCE) {
        return rr_fail(err, RR_E_CONFIG, "the readout must be 'sequence' "
                       "(logits at every step)");
    }
    if (cfg->num_dense == 0 ||
        ch->dense[cfg->num_dense - 1].size != cfg->vocab_size ||
        ch->dense[cfg->num_dense - 1].activation != RR_ACT_IDENTITY) {
        return rr_fail(err, RR_E_CONFIG, "the last dense layer must have V = "
                       "%zu outputs and activation identity (the logits)",
                       cfg->vocab_size);
    }
    return RR_OK;
}

void rr_trainer_free(rr_trainer *trainer)
{
    if (trainer == NULL) {
        return;
    }
    if (trainer->params != trainer->wide) {
        free(trainer->params);
    }
    free(trainer->wide);
    free(trainer->grads);
    free(trainer->m);
    free(trainer->v);
    free(trainer);
}

rr_status rr_trainer_create(rr_chain *chain, const rr_train_config *cfg,
                            rr_trainer **out, rr_error *err)
{
    if (chain == NULL || cfg == NULL || out == NULL) {
        return rr_fail(err, RR_E_NULL, "%s is NULL",
                       chain == NULL ? "chain" : cfg == NULL ? "cfg" : "out");
    }
    *out = NULL;
    rr_status status = check_config(cfg, err);
    if (status == RR_OK) {
        status = check_chain(chain, err);
    }
    if (status != RR_OK) {
        return status;
    }
    rr_trainer *tr = calloc(1, sizeof *tr);
    const size_t p = rr_chain_param_count(chain);
    const int f32 = chain->cfg.dtype == RR_FLOAT32;
    const size_t es = f32 ? sizeof(float) : sizeof(double);
    if (tr != NULL) {
        tr->wide = calloc(p, sizeof(double));
        tr->params = f32 ? calloc(p, es) : tr->wide;
        tr->grads = calloc(p, es);
        tr->m = calloc(p, es);
        tr->v = calloc(p, es);
    }
    if (tr == NULL || !tr->wide || !tr->params || !tr->grads || !tr->m ||
        !tr->v) {
        rr_trainer_free(tr);
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the trainer's %zu "
                       "weights and state", p);
    }
    tr->chain = chain;
    tr->cfg = *cfg;
    tr->dtype = chain->cfg.dtype;
    tr->sizes = chain->sizes;
    tr->count = p;
    status = rr_chain_get_params(chain, tr->wide, p, err);
    if (status != RR_OK) {
        rr_trainer_free(tr);
        return status;
    }
    for (size_t i = 0; f32 && i < p; i++) {
        ((float *)tr->params)[i] = (float)tr->wide[i];  /* exact: float */
    }
    *out = tr;
    return RR_OK;
}

/* n floats of v (v may be NULL: then NULL); *ok = 0 on no memory */
static float *narrow(const double *v, size_t n, int *ok)
{
    if (v == NULL) {
        return NULL;
    }
    float *f = malloc((n > 0 ? n : 1) * sizeof *f);
    if (f == NULL) {
        *ok = 0;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        f[i] = (float)v[i];
    }
    return f;
}

static void widen(double *v, const float *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        v[i] = f[i];
    }
}

/* The buffers of one step, double; the float twins for a float32 chain. */
typedef struct step_buffers {
    size_t tokens_len, out_len, y_len;
    double *output, *y, *dy;          /* [N, W], [N, V], [N, V]            */
    float *output_f, *y_f, *dy_f, *h_f, *c_f, *hn_f, *cn_f;
    rr_chain_tape *tape;
} step_buffers;

static void buffers_free(step_buffers *b)
{
    void *all[] = { b->output, b->y, b->dy, b->output_f, b->y_f, b->dy_f,
                    b->h_f, b->c_f, b->hn_f, b->cn_f };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        free(all[i]);
    }
    rr_chain_tape_free(b->tape);
}

/* forward with a tape: y [N, V] (double) and h_next, c_next */
static rr_status step_forward(rr_trainer *tr, step_buffers *b, size_t T,
                              size_t B, const int64_t *tokens,
                              const double *h, size_t h_len, const double *c,
                              size_t c_len, double *h_next, size_t h_next_len,
                              double *c_next, size_t c_next_len,
                              rr_error *err)
{
    const rr_chain *ch = tr->chain;
    const size_t n = b->tokens_len;
    if (tr->dtype == RR_FLOAT64) {
        return rr_chain_forward_keep(ch, T, B, NULL, 0, tokens, n, h, h_len,
                                     c, c_len, NULL, 0, b->output, b->out_len,
                                     h_next, h_next_len, c_next, c_next_len,
                                     b->y, b->y_len, &b->tape, err);
    }
    int ok = 1;
    b->h_f = narrow(h, h_len, &ok);
    b->c_f = narrow(c, c_len, &ok);
    b->hn_f = h_next != NULL ? malloc((h_next_len + 1) * sizeof(float)) : NULL;
    b->cn_f = c_next != NULL ? malloc((c_next_len + 1) * sizeof(float)) : NULL;
    b->output_f = malloc((b->out_len + 1) * sizeof(float));
    b->y_f = malloc((b->y_len + 1) * sizeof(float));
    if (!ok || (h_next && !b->hn_f) || (c_next && !b->cn_f) ||
        !b->output_f || !b->y_f) {
        return rr_fail(err, RR_E_NOMEM, "cannot allocate a step's buffers");
    }
    const rr_status status = rr_chain_forward_keep_f32(
        ch, T, B, NULL, 0, tokens, n, b->h_f, h_len, b->c_f, c_len, NULL, 0,
        b->output_f, b->out_len, b->hn_f, h_next_len, b->cn_f, c_next_len,
        b->y_f, b->y_len, &b->tape, err);
    if (status == RR_OK) {
        widen(b->y, b->y_f, b->y_len);
        widen(h_next, b->hn_f, h_next_len);
        if (c_next != NULL) {
            widen(c_next, b->cn_f, c_next_len);
        }
    }
    return status;
}

/* grads [P] = backward(d_y = dy), in the chain's precision */
static rr_status step_backward(rr_trainer *tr, step_buffers *b,
                               rr_error *err)
{
    const rr_chain *ch = tr->chain;
    if (tr->dtype == RR_FLOAT64) {
        return rr_chain_backward(ch, b->tape, NULL, 0, NULL, 0, NULL, 0,
                                 b->dy, b->y_len, tr->grads, tr->count, NULL,
                                 0, NULL, 0, NULL, 0, err);
    }
    int ok = 1;
    b->dy_f = narrow(b->dy, b->y_len, &ok);
    if (!ok) {
        return rr_fail(err, RR_E_NOMEM, "cannot allocate a step's buffers");
    }
    return rr_chain_backward_f32(ch, b->tape, NULL, 0, NULL, 0, NULL, 0,
                                 b->dy_f, b->y_len, tr->grads, tr->count,
                                 NULL, 0, NULL, 0, NULL, 0, err);
}

/* clip: total = sqrt(sum over arrays of their sums of squares), grads *=
 * min(c / (total + 1e-6), 1); when clip_norm c > 0 */
static void step_clip(rr_trainer *tr)
{
    const struct rr_param_table *t = tr->chain->params;
    const int f32 = tr->dtype == RR_FLOAT32;
    double sum = 0.0;
    for (size_t k = 0; k < t->num; k++) {
        const size_t at = t->params[k].offset, n = t->params[k].count;
        sum += f32 ? rr_train_sum_squares_f32((const float *)tr->grads + at, n)
                   : rr_train_sum_squares_f64((const double *)tr->grads + at,
                                              n);
    }
    const double coef = rr_clip_coef(tr->cfg.clip_norm, sqrt(sum));
    if (f32) {
        rr_train_scale_f32(tr->grads, tr->count, coef);
    } else {
        rr_train_scale_f64(tr->grads, tr->count, coef);
    }
}

/* clip, update (in the chain's precision), and the chain gets the weights */
static rr_status step_update(rr_trainer *tr, rr_error *err)
{
    const rr_train_config *c = &tr->cfg;
    const int f32 = tr->dtype == RR_FLOAT32;
    const size_t n = tr->count;
    if (c->clip_norm > 0.0) {
        step_clip(tr);
    }
    tr->t++;
    if (c->optimizer == RR_OPTIMIZER_ADAM) {
        const rr_adam_scalars s =
            rr_adam_scalars_at(tr->t, c->lr, c->beta1, c->beta2, c->eps);
        if (f32) {
            rr_train_adam_f32(tr->params, tr->grads, tr->m, tr->v, n, &s);
        } else {
            rr_train_adam_f64(tr->params, tr->grads, tr->m, tr->v, n, &s);
        }
    } else if (f32) {
        rr_train_sgd_f32(tr->params, tr->grads, tr->m, n, tr->t, c->lr,
                         c->momentum);
    } else {
        rr_train_sgd_f64(tr->params, tr->grads, tr->m, n, tr->t, c->lr,
                         c->momentum);
    }
    if (f32) {
        widen(tr->wide, tr->params, n);
    }
    return rr_chain_set_params(tr->chain, tr->wide, n, err);
}

rr_status rr_trainer_step(rr_trainer *trainer, size_t seq_len, size_t batch,
                          const int64_t *tokens, size_t tokens_len,
                          const int64_t *targets, size_t targets_len,
                          const double *h, size_t h_len,
                          const double *c, size_t c_len,
                          double *h_next, size_t h_next_len,
                          double *c_next, size_t c_next_len,
                          double *loss, rr_error *err)
{
    if (trainer == NULL || loss == NULL || targets == NULL) {
        return rr_fail(err, RR_E_NULL, "%s is NULL",
                       trainer == NULL ? "trainer"
                       : loss == NULL ? "loss" : "targets");
    }
    size_t n = 0;
    const size_t V = trainer->chain->cfg.vocab_size;
    const size_t W = trainer->sizes.output_width;
    if (seq_len == 0 || batch == 0 ||
        !rr_count_product((const size_t[]){ seq_len, batch, V + W }, 3,
                          &n)) {
        return rr_fail(err, RR_E_SIZE, "T = %zu and B = %zu must be >= 1 "
                       "and T*B*(V + W) must fit", seq_len, batch);
    }
    n = seq_len * batch;
    if (targets_len != n) {
        return rr_fail(err, RR_E_SHAPE, "targets has %zu numbers, expected "
                       "T*B = %zu", targets_len, n);
    }
    step_buffers b;
    memset(&b, 0, sizeof b);
    b.tokens_len = tokens_len;
    b.out_len = n * W;
    b.y_len = n * V;
    b.output = malloc(b.out_len * sizeof(double));
    b.y = malloc(b.y_len * sizeof(double));
    b.dy = malloc(b.y_len * sizeof(double));
    rr_status status = RR_OK;
    if (b.output == NULL || b.y == NULL || b.dy == NULL) {
        status = rr_fail(err, RR_E_NOMEM, "cannot allocate a step's buffers");
    }
    /* the forward's inputs must not overlap its outputs: h, c copied; its
     * final states go to scratch, copied to h_next, c_next only when the
     * whole step succeeds (a failed step leaves them as they were) */
    double *h_in = h != NULL ? malloc((h_len + 1) * sizeof *h_in) : NULL;
    double *c_in = c != NULL ? malloc((c_len + 1) * sizeof *c_in) : NULL;
    double *h_out = h_next != NULL ? malloc((h_next_len + 1) * sizeof *h_out)
                                   : NULL;
    double *c_out = c_next != NULL ? malloc((c_next_len + 1) * sizeof *c_out)
                                   : NULL;
    if (status == RR_OK && ((h != NULL && h_in == NULL) ||
                            (c != NULL && c_in == NULL) ||
                            (h_next != NULL && h_out == NULL) ||
                            (c_next != NULL && c_out == NULL))) {
        status = rr_fail(err, RR_E_NOMEM, "cannot allocate a step's buffers");
    }
    if (status == RR_OK) {
        if (h_in != NULL) {
            memcpy(h_in, h, h_len * sizeof *h_in);
        }
        if (c_in != NULL) {
            memcpy(c_in, c, c_len * sizeof *c_in);
        }
        status = step_forward(trainer, &b, seq_len, batch, tokens, h_in,
                              h_len, c_in, c_len, h_out, h_next_len, c_out,
                              c_next_len, err);
    }
    free(h_in);
    free(c_in);
    if (status == RR_OK) {
        status = rr_softmax_cross_entropy(n, V, b.y, b.y_len, targets,
                                          targets_len, loss, b.dy, b.y_len,
                                          err);
    }
    if (status == RR_OK && !isfinite(*loss)) {
        status = rr_fail(err, RR_E_STATE, "the loss is %s",
                         isnan(*loss) ? "nan" : *loss > 0 ? "inf" : "-inf");
    }
    if (status == RR_OK) {
        status = step_backward(trainer, &b, err);
    }
    if (status == RR_OK) {
        status = step_update(trainer, err);
    }
    if (status == RR_OK && h_next != NULL) {
        memcpy(h_next, h_out, h_next_len * sizeof *h_next);
    }
    if (status == RR_OK && c_next != NULL) {
        memcpy(c_next, c_out, c_next_len * sizeof *c_next);
    }
    free(h_out);
    free(c_out);
    buffers_free(&b);
    return status;
}

rr_status rr_trainer_params(const rr_trainer *trainer, double *params,
                            size_t len, rr_error *err)
{
    if (trainer == NULL || params == NULL) {
        return rr_fail(err, RR_E_NULL, "%s is NULL",
                       trainer == NULL ? "trainer" : "params");
    }
    if (len != trainer->count) {
        return rr_fail(err, RR_E_SHAPE, "params has %zu numbers, the chain's "
                       "weights P = %zu", len, trainer->count);
    }
    memcpy(params, trainer->wide, len * sizeof *params);
    return RR_OK;
}

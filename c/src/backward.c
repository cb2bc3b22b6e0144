/* backward.c - the public entry points of backpropagation through time:
 * rr_chain_forward_keep (rr_chain_forward plus a tape), rr_chain_backward
 * and their float32 twins, and rr_chain_tape_free. The arithmetic is in
 * backward_impl.h and backward_pass_impl.h, once per precision. */
#include "backward_internal.h"

#include <stdlib.h>
#include <string.h>

#define RR_REAL_BITS 64
#include "backward_impl.h"
#include "backward_pass_impl.h"
#undef RR_REAL_BITS
#define RR_REAL_BITS 32
#include "backward_impl.h"
#include "backward_pass_impl.h"
#undef RR_REAL_BITS

void rr_dir_tape_free(rr_dir_tape *dir)
{
    void *arrays[] = { dir->w_ih, dir->w_hh, dir->b_ih, dir->b_hh, dir->w_hr,
                       dir->peep, dir->h_prev, dir->c_prev, dir->pre, dir->act,
                       dir->c_t, dir->tanh_c, dir->hn, dir->out, dir->h_n };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        free(arrays[i]);
    }
}

void rr_chain_tape_free(rr_chain_tape *tape)
{
    if (tape == NULL) {
        return;
    }
    const size_t L = tape->num_layers;
    for (size_t l = 0; tape->inputs != NULL && l <= L; l++) {
        free(tape->inputs[l]);
    }
    for (size_t i = 0; tape->dirs != NULL && i < 2 * L; i++) {
        rr_dir_tape_free(&tape->dirs[i]);
    }
    for (size_t k = 0; k < tape->num_dense; k++) {
        free(tape->dense_in != NULL ? tape->dense_in[k] : NULL);
        free(tape->dense_pre != NULL ? tape->dense_pre[k] : NULL);
        free(tape->dense_out != NULL ? tape->dense_out[k] : NULL);
        free(tape->dense_w != NULL ? tape->dense_w[k] : NULL);
    }
    free(tape->inputs);
    free(tape->dirs);
    free(tape->dense_in);
    free(tape->dense_pre);
    free(tape->dense_out);
    free(tape->dense_w);
    free(tape->tokens);
    free(tape->lengths);
    free(tape);
}

/* An empty tape for a checked call: its tables, tokens and lengths. */
static rr_chain_tape *tape_new(const rr_chain *ch, rr_dtype dtype,
                               size_t steps, size_t batch,
                               const int64_t *tokens, const int64_t *lengths)
{
    rr_chain_tape *t = calloc(1, sizeof *t);
    if (t == NULL) {
        return NULL;
    }
    const size_t L = ch->cfg.num_layers, K = ch->cfg.num_dense;
    t->chain = ch;
    t->chain_serial = ch->serial;
    t->num_layers = L;
    t->num_dense = K;
    t->dtype = dtype;
    t->steps = steps;
    t->batch = batch;
    t->dense_rows = ch->cfg.readout == RR_READOUT_LAST ? batch : steps * batch;
    t->inputs = calloc(L + 1, sizeof(void *));
    t->dirs = calloc(2 * L, sizeof *t->dirs);
    t->lengths = malloc(batch * sizeof(int64_t));
    int ok = t->inputs != NULL && t->dirs != NULL && t->lengths != NULL;
    if (ok && K > 0) {
        t->dense_in = calloc(K, sizeof(void *));
        t->dense_pre = calloc(K, sizeof(void *));
        t->dense_out = calloc(K, sizeof(void *));
        t->dense_w = calloc(K, sizeof(void *));
        ok = t->dense_in != NULL && t->dense_pre != NULL &&
             t->dense_out != NULL && t->dense_w != NULL;
    }
    if (ok && tokens != NULL) {
        t->tokens = malloc(steps * batch * sizeof(int64_t));
        ok = t->tokens != NULL;
        if (ok) {
            memcpy(t->tokens, tokens, steps * batch * sizeof(int64_t));
        }
    }
    for (size_t b = 0; ok && b < batch; b++) {
        t->lengths[b] = lengths != NULL ? lengths[b] : (int64_t)steps;
    }
    if (!ok) {
        rr_chain_tape_free(t);
        return NULL;
    }
    return t;
}

rr_status rr_chain_forward_keep(const rr_chain *chain, size_t seq_len,
                                size_t batch,
                                const double *x, size_t x_len,
                                const int64_t *tokens, size_t tokens_len,
                                const double *h0, size_t h0_len,
                                const double *c0, size_t c0_len,
                                const int64_t *lengths, size_t lengths_len,
                                double *output, size_t output_len,
                                double *h_n, size_t h_n_len,
                                double *c_n, size_t c_n_len,
                                double *y, size_t y_len,
                                rr_chain_tape **tape, rr_error *err)
{
    if (tape == NULL) {
        return rr_fail(err, RR_E_NULL, "tape is NULL");
    }
    *tape = NULL;
    rr_status status = rr_chain_forward(
        chain, seq_len, batch, x, x_len, tokens, tokens_len, h0, h0_len, c0,
        c0_len, lengths, lengths_len, output, output_len, h_n, h_n_len, c_n,
        c_n_len, y, y_len, err);
    if (status != RR_OK) {
        return status;
    }
    rr_chain_tape *t = tape_new(chain, RR_FLOAT64, seq_len, batch, tokens,
                                lengths);
    if (t == NULL) {
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the tape");
    }
    status = rr_tape_fill_f64(t, x, h0, c0, err);
    if (status != RR_OK) {
        rr_chain_tape_free(t);
        return status;
    }
    *tape = t;
    return RR_OK;
}

rr_status rr_chain_forward_keep_f32(const rr_chain *chain, size_t seq_len,
                                    size_t batch,
                                    const float *x, size_t x_len,
                                    const int64_t *tokens, size_t tokens_len,
                                    const float *h0, size_t h0_len,
                                    const float *c0, size_t c0_len,
                                    const int64_t *lengths,
                                    size_t lengths_len,
                                    float *output, size_t output_len,
                                    float *h_n, size_t h_n_len,
                                    float *c_n, size_t c_n_len,
                                    float *y, size_t y_len,
                                    rr_chain_tape **tape, rr_error *err)
{
    if (tape == NULL) {
        return rr_fail(err, RR_E_NULL, "tape is NULL");
    }
    *tape = NULL;
    rr_status status = rr_chain_forward_f32(
        chain, seq_len, batch, x, x_len, tokens, tokens_len, h0, h0_len, c0,
        c0_len, lengths, lengths_len, output, output_len, h_n, h_n_len, c_n,
        c_n_len, y, y_len, err);
    if (status != RR_OK) {
        return status;
    }
    rr_chain_tape *t = tape_new(chain, RR_FLOAT32, seq_len, batch, tokens,
                                lengths);
    if (t == NULL) {
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the tape");
    }
    status = rr_tape_fill_f32(t, x, h0, c0, err);
    if (status != RR_OK) {
        rr_chain_tape_free(t);
        return status;
    }
    *tape = t;
    return RR_OK;
}

/* Every argument of a backward call against the chain and the tape. */
static rr_status check_backward(const rr_chain *ch, const rr_chain_tape *tape,
                                rr_dtype dtype,
                                const void *d_output, size_t d_output_len,
                                const void *d_h_n, size_t d_h_n_len,
                                const void *d_c_n, size_t d_c_n_len,
                                const void *d_y, size_t d_y_len,
                                const void *d_weights, size_t d_weights_len,
                                const void *d_x, size_t d_x_len,
                                const void *d_h0, size_t d_h0_len,
                                const void *d_c0, size_t d_c0_len,
                                rr_error *err)
{
    if (ch == NULL || tape == NULL) {
        return rr_fail(err, RR_E_NULL, "%s is NULL", ch == NULL ? "chain"
                                                                : "tape");
    }
    if (tape->chain != ch || tape->chain_serial != ch->serial) {
        return rr_fail(err, RR_E_CONFIG, "tape was made by another chain "
                       "(rr_chain_forward_keep of this chain makes one)");
    }
    if (tape->dtype != dtype) {
        return rr_fail(err, RR_E_CONFIG, "tape holds %s; call the %s entry "
                       "point", tape->dtype == RR_FLOAT32 ? "float32"
                       : "float64", tape->dtype == RR_FLOAT32 ? "_f32"
                       : "float64 (no _f32)");
    }
    const rr_chain_sizes *sz = &ch->sizes;
    const size_t T = tape->steps, B = tape->batch;
    const char *const bs[] = { "B", "S" };
    const struct {
        const char *name; const void *ptr; size_t len; rr_need need;
        const char *const *names; size_t f[3]; size_t rank; const char *why;
    } arrays[] = {
        { "d_output", d_output, d_output_len, RR_NEED_OPTIONAL,
          (const char *const[]){ "T", "B", "W" }, { T, B, sz->output_width },
          3, "" },
        { "d_h_n", d_h_n, d_h_n_len, RR_NEED_OPTIONAL, bs,
          { B, sz->state_size }, 2, "" },
        { "d_c_n", d_c_n, d_c_n_len, sz->cell_state_size ? RR_NEED_OPTIONAL
                                                         : RR_NEED_ABSENT,
          bs, { B, sz->cell_state_size }, 2, "the chain has no lstm" },
        { "d_y", d_y, d_y_len, sz->y_size ? RR_NEED_OPTIONAL : RR_NEED_ABSENT,
          (const char *const[]){ "N", "O" }, { tape->dense_rows, sz->y_size },
          2, "the chain produces no y (readout sequence, no dense layers)" },
        { "d_weights", d_weights, d_weights_len, RR_NEED_REQUIRED,
          (const char *const[]){ "P" }, { ch->params->total }, 1, "" },
        { "d_x", d_x, d_x_len, tape->tokens != NULL ? RR_NEED_ABSENT
                                                    : RR_NEED_OPTIONAL,
          (const char *const[]){ "T", "B", "I" }, { T, B, sz->input_size }, 3,
          "the chain takes tokens (the embedding's rows get the gradient)" },
        { "d_h0", d_h0, d_h0_len, RR_NEED_OPTIONAL, bs, { B, sz->state_size },
          2, "" },
        { "d_c0", d_c0, d_c0_len, sz->cell_state_size ? RR_NEED_OPTIONAL
                                                      : RR_NEED_ABSENT,
          bs, { B, sz->cell_state_size }, 2, "the chain has no lstm" },
    };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        const rr_status status = rr_check_array(
            err, arrays[i].name, arrays[i].ptr, arrays[i].len, arrays[i].need,
            arrays[i].names, arrays[i].f, arrays[i].rank, arrays[i].why);
        if (status != RR_OK) {
            return status;
        }
    }
    return RR_OK;
}

rr_status rr_chain_backward(const rr_chain *chain, const rr_chain_tape *tape,
                            const double *d_output, size_t d_output_len,
                            const double *d_h_n, size_t d_h_n_len,
                            const double *d_c_n, size_t d_c_n_len,
                            const double *d_y, size_t d_y_len,
                            double *d_weights, size_t d_weights_len,
                            double *d_x, size_t d_x_len,
                            double *d_h0, size_t d_h0_len,
                            double *d_c0, size_t d_c0_len,
                            rr_error *err)
{
    const rr_status status = check_backward(
        chain, tape, RR_FLOAT64, d_output, d_output_len, d_h_n, d_h_n_len,
        d_c_n, d_c_n_len, d_y, d_y_len, d_weights, d_weights_len, d_x,
        d_x_len, d_h0, d_h0_len, d_c0, d_c0_len, err);
    if (status != RR_OK) {
        return status;
    }
    return rr_tape_backward_f64(tape, d_output, d_h_n, d_c_n, d_y, d_weights,
                                d_x, d_h0, d_c0, err);
}

rr_status rr_chain_backward_f32(const rr_chain *chain,
                                const rr_chain_tape *tape,
                                const float *d_output, size_t d_output_len,
                                const float *d_h_n, size_t d_h_n_len,
                                const float *d_c_n, size_t d_c_n_len,
                                const float *d_y, size_t d_y_len,
                                float *d_weights, size_t d_weights_len,
                                float *d_x, size_t d_x_len,
                                float *d_h0, size_t d_h0_len,
                                float *d_c0, size_t d_c0_len,
                                rr_error *err)
{
    const rr_status status = check_backward(
        chain, tape, RR_FLOAT32, d_output, d_output_len, d_h_n, d_h_n_len,
        d_c_n, d_c_n_len, d_y, d_y_len, d_weights, d_weights_len, d_x,
        d_x_len, d_h0, d_h0_len, d_c0, d_c0_len, err);
    if (status != RR_OK) {
        return status;
    }
    return rr_tape_backward_f32(tape, d_output, d_h_n, d_c_n, d_y, d_weights,
                                d_x, d_h0, d_c0, err);
}

/*
 * chain_impl.h - a chain's forward and step for one precision (REAL, SFX:
 * see real.h), included twice by chain.c. The recurrent layers run on
 * their rr_nets; what is written here is the arithmetic around them:
 *
 *   embedding  x[t, b, :] = E[tokens[t, b], :]
 *   merge      concat [h_f, h_r]; sum h_f + h_r; mul h_f * h_r;
 *              ave (h_f + h_r) * 0.5  (padded steps are 0 in both halves)
 *   readout    sequence: v = output [T*B, W];
 *              last: v[b] = merge(h_n[top fwd][b], h_n[top rev][b]) [B, W]
 *   dense      v = act(W_k v + b_k) per row, k = 0, 1, ...
 *
 * Every argument has been checked by rr_chain_check_call before these run.
 */
#include "real.h"

#include <string.h>

/* The layer's net on this precision's entry points. */
static rr_status SFX(net_forward)(const rr_net *net, size_t t, size_t b,
                                  const REAL *x, size_t x_len,
                                  const REAL *h0, size_t h0_len,
                                  const REAL *c0, size_t c0_len,
                                  const int64_t *lengths, size_t lengths_len,
                                  REAL *output, size_t output_len,
                                  REAL *h_n, size_t h_n_len,
                                  REAL *c_n, size_t c_n_len, rr_error *err)
{
#if RR_REAL_BITS == 64
    return rr_net_forward(net, t, b, x, x_len, h0, h0_len, c0, c0_len,
                          lengths, lengths_len, output, output_len, h_n,
                          h_n_len, c_n, c_n_len, NULL, 0, err);
#else
    return rr_net_forward_f32(net, t, b, x, x_len, h0, h0_len, c0, c0_len,
                              lengths, lengths_len, output, output_len, h_n,
                              h_n_len, c_n, c_n_len, NULL, 0, err);
#endif
}

static rr_status SFX(net_step)(const rr_net *net, size_t b,
                               const REAL *x, size_t x_len,
                               const REAL *h, size_t h_len,
                               const REAL *c, size_t c_len,
                               REAL *out, size_t out_len,
                               REAL *h_next, size_t h_next_len,
                               REAL *c_next, size_t c_next_len, rr_error *err)
{
#if RR_REAL_BITS == 64
    return rr_net_step(net, b, x, x_len, h, h_len, c, c_len, out, out_len,
                       h_next, h_next_len, c_next, c_next_len, NULL, 0, err);
#else
    return rr_net_step_f32(net, b, x, x_len, h, h_len, c, c_len, out,
                           out_len, h_next, h_next_len, c_next, c_next_len,
                           NULL, 0, err);
#endif
}

/* x [rows, I] = E[tokens[row]] */
static void SFX(gather)(const rr_chain *ch, const int64_t *tokens, size_t rows,
                        REAL *x)
{
    const size_t width = ch->cfg.input_size;
    const REAL *table = ch->embedding;
    for (size_t r = 0; r < rows; r++) {
        memcpy(x + r * width, table + (size_t)tokens[r] * width,
               width * sizeof(REAL));
    }
}

/* dst [rows, H or 2H] from the halves f [H] at src + r*stride and r [H] at
 * src + r*stride + offset (offset H: one output row [h_f, h_r]; or the two
 * h_n slots, stride H, offset B*H). */
static void SFX(merge)(rr_merge merge, size_t rows, size_t hidden,
                       const REAL *src, size_t stride, size_t offset,
                       REAL *dst)
{
    const size_t width = merge == RR_MERGE_CONCAT ? 2 * hidden : hidden;
    for (size_t r = 0; r < rows; r++) {
        const REAL *f = src + r * stride;
        const REAL *b = f + offset;
        REAL *out = dst + r * width;
        for (size_t j = 0; j < hidden; j++) {
            switch (merge) {
            case RR_MERGE_CONCAT:
                out[j] = f[j];
                out[hidden + j] = b[j];
                break;
            case RR_MERGE_SUM: out[j] = f[j] + b[j]; break;
            case RR_MERGE_MUL: out[j] = f[j] * b[j]; break;
            case RR_MERGE_AVE: out[j] = (f[j] + b[j]) * REAL_C(0.5); break;
            }
        }
    }
}

/* dst [rows, O] = act(src [rows, K] W^T + b), W [O, K]; the dot product
 * summed in index order, then the bias added. */
static void SFX(dense)(const rr_chain *ch, size_t k, size_t rows,
                       size_t in_width, const REAL *src, REAL *dst)
{
    const size_t size = ch->dense[k].size;
    const REAL *w = ch->dense_weight[k];
    const REAL *bias = ch->dense_bias[k];
    const rr_activation act = ch->dense[k].activation;
    for (size_t r = 0; r < rows; r++) {
        const REAL *v = src + r * in_width;
        REAL *out = dst + r * size;
        for (size_t o = 0; o < size; o++) {
            const REAL *row = w + o * in_width;
            REAL acc = REAL_C(0.0);
            for (size_t i = 0; i < in_width; i++) {
                acc += row[i] * v[i];
            }
            acc += bias[o];
            switch (act) {
            case RR_ACT_TANH: acc = REAL_TANH(acc); break;
            case RR_ACT_SIGMOID: acc = SFX(rr_sigmoid)(acc); break;
            case RR_ACT_RELU: acc = SFX(rr_relu)(acc); break;
            case RR_ACT_IDENTITY:
            case RR_ACT_SOFTMAX: break;
            }
            out[o] = acc;
        }
        if (act == RR_ACT_SOFTMAX) {
            SFX(rr_softmax)(out, size);
        }
    }
}

/* y [rows, O] from v [rows, W] through every dense layer (scratch holds
 * 2 * rows * max O_k); without dense layers y = v. A chain on the exact
 * kernel runs its dense layers in double-double (rr_exact_dense). */
static rr_status SFX(apply_dense)(const rr_chain *ch, size_t rows,
                                  const REAL *v, REAL *scratch, REAL *y,
                                  rr_error *err)
{
    const size_t n = ch->cfg.num_dense;
    if (n == 0) {
        memcpy(y, v, rows * ch->sizes.output_width * sizeof(REAL));
        return RR_OK;
    }
    const int exact = ch->nets[0]->path == RR_PATH_EXACT;
    const REAL *src = v;
    size_t width = ch->sizes.output_width;
    for (size_t k = 0; k < n; k++) {
        REAL *dst = k + 1 == n ? y : scratch + (k % 2) * rows * ch->max_dense;
        if (exact) {
            const rr_status status = SFX(rr_exact_dense)(
                rows, width, src, ch->dense[k].size, ch->dense_weight[k],
                ch->dense_bias[k], ch->dense[k].activation, dst, err);
            if (status != RR_OK) {
                return status;
            }
        } else {
            SFX(dense)(ch, k, rows, width, src, dst);
        }
        src = dst;
        width = ch->dense[k].size;
    }
    return RR_OK;
}

/* Scratch of one call: every buffer REAL, sized from the largest layer. */
typedef struct SFX(chain_scratch) {
    REAL *embedded; /* [T*B, I] with an embedding                          */
    REAL *hop[2];   /* [T*B, max W_l] the outputs of layers below the top  */
    REAL *raw;      /* [T*B, max 2*H_out_l] a merged layer's two halves    */
    REAL *readout;  /* [B, W] readout last                                 */
    REAL *dense;    /* [2, N, max O_k]                                     */
} SFX(chain_scratch);

static void SFX(scratch_free)(SFX(chain_scratch) *s)
{
    free(s->embedded);
    free(s->hop[0]);
    free(s->hop[1]);
    free(s->raw);
    free(s->readout);
    free(s->dense);
}

/* count = a*b*c REAL, or NULL on overflow / no memory; NULL when count 0 */
static REAL *SFX(scratch_alloc)(size_t a, size_t b, size_t c, int *failed)
{
    size_t count = 0;
    if (!rr_count_product((const size_t[]){ a, b, c }, 3, &count)) {
        *failed = 1;
        return NULL;
    }
    if (count == 0) {
        return NULL;
    }
    REAL *p = rr_alloc(count, sizeof(REAL), 0);
    if (p == NULL) {
        *failed = 1;
    }
    return p;
}

static rr_status SFX(scratch_make)(const rr_chain *ch, size_t rows,
                                   size_t batch, SFX(chain_scratch) *s,
                                   rr_error *err)
{
    const size_t top = ch->cfg.num_layers - 1;
    size_t hop = 0;
    size_t raw = 0;
    for (size_t l = 0; l < ch->cfg.num_layers; l++) {
        if (l < top && ch->widths[l] > hop) {
            hop = ch->widths[l];
        }
        if (ch->layers[l].merge != RR_MERGE_CONCAT &&
            2 * ch->out_sizes[l] > raw) {
            raw = 2 * ch->out_sizes[l];
        }
    }
    const int last = ch->cfg.readout == RR_READOUT_LAST;
    const size_t n = last ? batch : rows;
    int failed = 0;
    memset(s, 0, sizeof *s);
    s->embedded = SFX(scratch_alloc)(rows, ch->cfg.vocab_size > 0 ?
                                     ch->cfg.input_size : 0, 1, &failed);
    s->hop[0] = SFX(scratch_alloc)(rows, hop, 1, &failed);
    s->hop[1] = SFX(scratch_alloc)(rows, top >= 2 ? hop : 0, 1, &failed);
    s->raw = SFX(scratch_alloc)(rows, raw, 1, &failed);
    s->readout = SFX(scratch_alloc)(batch, last ? ch->sizes.output_width : 0,
                                    1, &failed);
    s->dense = SFX(scratch_alloc)(2, n, ch->cfg.num_dense > 1 ?
                                  ch->max_dense : 0, &failed);
    if (failed) {
        SFX(scratch_free)(s);
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the chain's scratch "
                       "for T*B = %zu rows", rows);
    }
    return RR_OK;
}

/* The layers, the readout and the dense layers over the checked inputs. */
static rr_status SFX(chain_run)(const rr_chain *ch, size_t steps, size_t batch,
                                const REAL *x, const int64_t *tokens,
                                const REAL *h0, const REAL *c0,
                                const int64_t *lengths, REAL *output,
                                REAL *h_n, REAL *c_n, REAL *y,
                                SFX(chain_scratch) *s, rr_error *err)
{
    const size_t rows = steps * batch;
    const size_t top = ch->cfg.num_layers - 1;
    const REAL *in = x;
    if (tokens != NULL) {
        SFX(gather)(ch, tokens, rows, s->embedded);
        in = s->embedded;
    }
    for (size_t l = 0; l <= top; l++) {
        const size_t d = rr_chain_directions(ch, l);
        const size_t out = ch->out_sizes[l];
        const rr_merge merge = ch->layers[l].merge;
        REAL *dest = l == top ? output : s->hop[l % 2];
        REAL *raw = merge == RR_MERGE_CONCAT ? dest : s->raw;
        const size_t h_at = batch * ch->slot_offsets[l];
        const size_t c_at = batch * ch->cell_offsets[l];
        const int lstm = ch->layers[l].cell == RR_CELL_LSTM;
        const size_t h_len = batch * d * out;
        const size_t c_len = lstm ? batch * d * ch->layers[l].hidden_size : 0;
        rr_error inner = { { 0 } };
        const rr_status status = SFX(net_forward)(
            ch->nets[l], steps, batch, in, rows * ch->in_sizes[l],
            h0 != NULL ? h0 + h_at : NULL, h0 != NULL ? h_len : 0,
            c0 != NULL && lstm ? c0 + c_at : NULL,
            c0 != NULL && lstm ? c_len : 0,
            lengths, lengths != NULL ? batch : 0, raw, rows * d * out,
            h_n + h_at, h_len, lstm ? c_n + c_at : NULL, c_len, &inner);
        if (status != RR_OK) {
            return rr_chain_layer_fail(err, status, l, &inner);
        }
        if (merge != RR_MERGE_CONCAT) {
            /* each output row is [h_f (H_out), h_r (H_out)] */
            SFX(merge)(merge, rows, out, raw, 2 * out, out, dest);
        }
        in = dest;
    }
    if (y == NULL) {
        return RR_OK;
    }
    const REAL *v = output;
    size_t n = rows;
    if (ch->cfg.readout == RR_READOUT_LAST) {
        /* v [B, W] from the top layer's slots h_n[fwd] [B, H_out] and
         * h_n[rev] [B, H_out] */
        const size_t out = ch->out_sizes[top];
        const REAL *slots = h_n + batch * ch->slot_offsets[top];
        if (rr_chain_directions(ch, top) == 2) {
            SFX(merge)(ch->layers[top].merge, batch, out, slots, out,
                       batch * out, s->readout);
        } else {
            memcpy(s->readout, slots, batch * out * sizeof(REAL));
        }
        v = s->readout;
        n = batch;
    }
    return SFX(apply_dense)(ch, n, v, s->dense, y, err);
}

static rr_status SFX(chain_forward)(const rr_chain *ch, size_t steps,
                                    size_t batch, const REAL *x,
                                    const int64_t *tokens, const REAL *h0,
                                    const REAL *c0, const int64_t *lengths,
                                    REAL *output, REAL *h_n, REAL *c_n,
                                    REAL *y, rr_error *err)
{
    SFX(chain_scratch) s;
    rr_status status = SFX(scratch_make)(ch, steps * batch, batch, &s, err);
    if (status == RR_OK) {
        status = SFX(chain_run)(ch, steps, batch, x, tokens, h0, c0, lengths,
                                output, h_n, c_n, y, &s, err);
        SFX(scratch_free)(&s);
    }
    return status;
}

/* One step of an all-forward chain: each layer's rr_net_step on its own
 * state slot; y_t = dense(out_t) (the last readout of a forward top layer
 * is its output). h_next may be h, c_next may be c. */
static rr_status SFX(chain_step)(const rr_chain *ch, size_t batch,
                                 const REAL *x_t, const int64_t *tokens_t,
                                 const REAL *h, const REAL *c, REAL *out_t,
                                 REAL *h_next, REAL *c_next, REAL *y_t,
                                 rr_error *err)
{
    SFX(chain_scratch) s;
    rr_status status = SFX(scratch_make)(ch, batch, batch, &s, err);
    if (status != RR_OK) {
        return status;
    }
    const size_t top = ch->cfg.num_layers - 1;
    const REAL *in = x_t;
    if (tokens_t != NULL) {
        SFX(gather)(ch, tokens_t, batch, s.embedded);
        in = s.embedded;
    }
    for (size_t l = 0; l <= top && status == RR_OK; l++) {
        const size_t out = ch->out_sizes[l];
        REAL *dest = l == top ? out_t : s.hop[l % 2];
        const size_t h_at = batch * ch->slot_offsets[l];
        const size_t c_at = batch * ch->cell_offsets[l];
        const int lstm = ch->layers[l].cell == RR_CELL_LSTM;
        const size_t c_len = lstm ? batch * ch->layers[l].hidden_size : 0;
        rr_error inner = { { 0 } };
        status = SFX(net_step)(
            ch->nets[l], batch, in, batch * ch->in_sizes[l],
            h != NULL ? h + h_at : NULL, h != NULL ? batch * out : 0,
            c != NULL && lstm ? c + c_at : NULL,
            c != NULL && lstm ? c_len : 0, dest, batch * out,
            h_next + h_at, batch * out, lstm ? c_next + c_at : NULL, c_len,
            &inner);
        if (status != RR_OK) {
            status = rr_chain_layer_fail(err, status, l, &inner);
        }
        in = dest;
    }
    if (status == RR_OK && y_t != NULL) {
        status = SFX(apply_dense)(ch, batch, out_t, s.dense, y_t, err);
    }
    SFX(scratch_free)(&s);
    return status;
}

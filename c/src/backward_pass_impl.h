/*
 * backward_pass_impl.h - the backward pass over a filled tape for one
 * precision (REAL, SFX: see real.h), included by backward.c after
 * backward_impl.h (whose header comment gives the equations).
 */
#include "real.h"

#include <stdlib.h>
#include <string.h>

/* The gradient arrays of (l, reverse) inside d_weights [P]. */
static SFX(bw_grads) SFX(bw_grads_of)(const rr_chain *ch, size_t l,
                                      int reverse, REAL *d_weights)
{
    const struct rr_param_table *t = ch->params;
    const size_t first = t->direction[2 * l + (size_t)reverse];
    const rr_layer_config *layer = &ch->layers[l];
    const rr_param *p = &t->params[first];
    SFX(bw_grads) g = { d_weights + p[0].offset, d_weights + p[1].offset,
                        d_weights + p[2].offset, d_weights + p[3].offset,
                        NULL, NULL };
    size_t next = 4;
    if (layer->cell == RR_CELL_LSTM && layer->proj_size > 0) {
        g.w_hr = d_weights + p[next++].offset;
    }
    if (layer->cell == RR_CELL_LSTM && layer->peepholes) {
        g.peep = d_weights + p[next].offset; /* p_i, p_f, p_o contiguous */
    }
    return g;
}

/* y [n] += a x [n] (unrolled by four, so that the compiler can use
 * vector registers without reassociating anything) */
static void SFX(bw_axpy)(size_t n, REAL a, const REAL *restrict x,
                         REAL *restrict y)
{
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        y[j] += a * x[j];
        y[j + 1] += a * x[j + 1];
        y[j + 2] += a * x[j + 2];
        y[j + 3] += a * x[j + 3];
    }
    for (; j < n; j++) {
        y[j] += a * x[j];
    }
}

#if RR_HAVE_AVX2_KERNELS
/* bw_axpy compiled for AVX2 (256-bit vectors), for a net on that path */
__attribute__((target("avx2,fma"))) static void
SFX(bw_axpy_avx2)(size_t n, REAL a, const REAL *restrict x, REAL *restrict y)
{
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        for (size_t q = 0; q < 8; q++) {
            y[j + q] += a * x[j + q];
        }
    }
    for (; j < n; j++) {
        y[j] += a * x[j];
    }
}
#endif

typedef void (*SFX(bw_axpy_fn))(size_t n, REAL a, const REAL *restrict x,
                                REAL *restrict y);

/* the axpy of the net's path */
static SFX(bw_axpy_fn) SFX(bw_axpy_of)(const rr_net *net)
{
#if RR_HAVE_AVX2_KERNELS
    if (net->path == RR_PATH_AVX2) {
        return SFX(bw_axpy_avx2);
    }
#endif
    (void)net;
    return SFX(bw_axpy);
}

/* dW [n, k] += A[:, :n]^T V: dW[i] += sum_r A[r, i] V[r], A [rows, lda],
 * V [rows, k]; eight rows of dW at a time, so V is read n/8 times. */
static void SFX(bw_at_v_add)(SFX(bw_axpy_fn) axpy, REAL *dw, size_t n,
                             size_t k, const REAL *a, size_t lda, size_t rows,
                             const REAL *v)
{
    for (size_t i0 = 0; i0 < n; i0 += 8) {
        const size_t i1 = i0 + 8 < n ? i0 + 8 : n;
        for (size_t r = 0; r < rows; r++) {
            for (size_t i = i0; i < i1; i++) {
                axpy(k, a[r * lda + i], v + r * k, dw + i * k);
            }
        }
    }
}

/* db [n] += sum_r A[r, :n] */
static void SFX(bw_colsum_add)(REAL *db, size_t n, const REAL *a, size_t lda,
                               size_t rows)
{
    for (size_t r = 0; r < rows; r++) {
        SFX(bw_axpy)(n, REAL_C(1.0), a + r * lda, db);
    }
}

/* dx [rows, k] += A[:, :n] W: dx[r] += sum_i A[r, i] W[i], W [n, k];
 * sixteen rows of dx at a time, so W is read rows/16 times. */
static void SFX(bw_a_w_add)(SFX(bw_axpy_fn) axpy, REAL *dx, size_t rows,
                            size_t k, const REAL *a, size_t lda, size_t n,
                            const REAL *w)
{
    for (size_t r0 = 0; r0 < rows; r0 += 16) {
        const size_t r1 = r0 + 16 < rows ? r0 + 16 : rows;
        for (size_t i = 0; i < n; i++) {
            for (size_t r = r0; r < r1; r++) {
                axpy(k, a[r * lda + i], w + i * k, dx + r * k);
            }
        }
    }
}

/* Scratch of one backward pass, sized for the largest layer. */
typedef struct SFX(bw_back_scratch) {
    REAL *da_x;   /* [T*B, G*H] what W_ih sees, every row (0: did not run)  */
    REAL *da_h;   /* [T*B, G*H] what W_hh sees (gru; rnn/lstm: da_x)        */
    REAL *dh_part;/* [B, H_out] dh_{t-1} but for W_hh^T da_h                */
    REAL *dht;    /* [H_out]                                                */
    REAL *dv;     /* [H]                                                    */
} SFX(bw_back_scratch);

/* One direction's BPTT: d_half [T*B, H_out] (gradient of its output), dh
 * [B, H_out] and dc [B, H] (lstm) in as dL/d(final state), out as
 * dL/d(initial state); dx [T*B, I_l] added to. Per step the cells give
 * da for the rows that ran, then dh_{t-1} = dh_part + W_hh^T da_h for
 * all of them at once; after the last step, every weight gradient and dx
 * from da of all rows: dW_ih += da_x^T x, dW_hh += da_h^T h_{t-1} (gru
 * without lbr: its n rows += da_h^T (r h)), biases += column sums, dx +=
 * da_x W_ih. */
static void SFX(bw_dir_backward)(const rr_chain_tape *tape, size_t l,
                                 int reverse, const REAL *d_half, REAL *dh,
                                 REAL *dc, REAL *dx, REAL *d_weights,
                                 SFX(bw_back_scratch) *s)
{
    const rr_chain *ch = tape->chain;
    const rr_dir_tape *dir = &tape->dirs[2 * l + (size_t)reverse];
    const SFX(bw_cell) c = SFX(bw_cell_of)(ch, l, dir);
    const SFX(bw_grads) g = SFX(bw_grads_of)(ch, l, reverse, d_weights);
    const size_t T = tape->steps, B = tape->batch, H = c.hidden, R = T * B;
    const size_t GH = c.gates * H, out = c.out;
    const rr_cell cell = ch->layers[l].cell;
    const int cho = cell == RR_CELL_GRU && !ch->layers[l].linear_before_reset;
    const size_t rows_hh = cho ? 2 * H : GH; /* W_hh rows that read h_{t-1} */
    REAL *da_x = s->da_x;
    REAL *da_h = cell == RR_CELL_GRU ? s->da_h : s->da_x;
    memset(da_x, 0, R * GH * sizeof(REAL));
    memset(da_h, 0, R * GH * sizeof(REAL));
    const REAL *in = tape->inputs[l];
    const SFX(bw_axpy_fn) axpy = SFX(bw_axpy_of)(ch->nets[l]);
    for (size_t step = 0; step < T; step++) {
        /* visit order, undone */
        const size_t t = reverse ? step : T - 1 - step;
        for (size_t b = 0; b < B; b++) {
            if ((int64_t)t >= tape->lengths[b]) {
                continue; /* padded: dh passes through */
            }
            const size_t r = t * B + b;
            const SFX(bw_row) row = SFX(bw_row_of)(&c, dir, in, r);
            for (size_t j = 0; j < out; j++) { /* the state is also output[t] */
                s->dht[j] = dh[b * out + j] + d_half[r * out + j];
            }
            REAL *part = s->dh_part + b * out;
            switch (cell) {
            case RR_CELL_LSTM:
                SFX(bw_lstm_backward)(&c, &row, &g, s->dht, dc + b * H,
                                      da_x + r * GH, part, s->dv);
                break;
            case RR_CELL_GRU:
                SFX(bw_gru_backward)(&c, &row, s->dht, da_x + r * GH,
                                     da_h + r * GH, part, s->dv);
                break;
            case RR_CELL_RNN:
                SFX(bw_rnn_backward)(&c, &row, s->dht, da_x + r * GH, part);
                break;
            }
        }
        for (size_t b = 0; b < B; b++) { /* dh_{t-1} = dh_part + W_hh^T da_h */
            if ((int64_t)t < tape->lengths[b]) {
                memcpy(dh + b * out, s->dh_part + b * out, out * sizeof(REAL));
            }
        }
        for (size_t i = 0; i < rows_hh; i++) {
            for (size_t b = 0; b < B; b++) {
                if ((int64_t)t < tape->lengths[b]) {
                    axpy(out, da_h[(t * B + b) * GH + i], c.w_hh + i * out,
                         dh + b * out);
                }
            }
        }
    }
    /* dW_ih += da_x^T x */
    SFX(bw_at_v_add)(axpy, g.w_ih, GH, c.in, da_x, GH, R, in);
    /* db_ih += sum da_x */
    SFX(bw_colsum_add)(g.b_ih, GH, da_x, GH, R);
    SFX(bw_at_v_add)(axpy, g.w_hh, rows_hh, out, da_h, GH, R,
                     /* dW_hh += da_h^T h */
                     dir->h_prev);
    /* db_hh += sum da_h */
    SFX(bw_colsum_add)(g.b_hh, GH, da_h, GH, R);
    if (cho) { /* dW_hn += da_n^T (r h) */
        SFX(bw_at_v_add)(axpy, g.w_hh + 2 * H * H, H, H, da_h + 2 * H, GH, R,
                         dir->hn);
    }
    /* dx += da_x W_ih */
    SFX(bw_a_w_add)(axpy, dx, R, c.in, da_x, GH, GH, c.w_ih);
}

/* ds [O] = dL/ds of y = act(s) for one row, from dy [O] */
static void SFX(bw_activation_back)(rr_activation act, size_t O,
                                    const REAL *dy, const REAL *s,
                                    const REAL *y, REAL *ds)
{
    REAL dot = REAL_C(0.0);
    if (act == RR_ACT_SOFTMAX) {
        for (size_t o = 0; o < O; o++) {
            dot += dy[o] * y[o]; /* sum_k dy_k y_k */
        }
    }
    for (size_t o = 0; o < O; o++) {
        switch (act) {
        case RR_ACT_IDENTITY: ds[o] = dy[o]; break;
        /* y (dy - y.dy) */
        case RR_ACT_SOFTMAX: ds[o] = y[o] * (dy[o] - dot); break;
        case RR_ACT_TANH: ds[o] = dy[o] * (REAL_C(1.0) - y[o] * y[o]); break;
        case RR_ACT_SIGMOID: ds[o] = dy[o] * y[o] * (REAL_C(1.0) - y[o]); break;
        case RR_ACT_RELU:
            ds[o] = s[o] > REAL_C(0.0) ? dy[o] : REAL_C(0.0);
            break;
        }
    }
}

/* dv [N, W] = the gradient of the readout's value from d_y [N, O] through
 * every dense layer; their weight gradients into d_weights. buf: 2 N
 * max(W, O_k), ds: max O_k. Returns the buffer holding dv. */
static const REAL *SFX(bw_dense_backward)(const rr_chain_tape *tape,
                                          const REAL *d_y, REAL *d_weights,
                                          REAL *buf, size_t stride, REAL *ds)
{
    const rr_chain *ch = tape->chain;
    const size_t N = tape->dense_rows;
    const REAL *dy = d_y;
    for (size_t k = ch->cfg.num_dense; k-- > 0;) {
        const size_t O = ch->dense[k].size;
        const size_t width = k == 0 ? ch->sizes.output_width
                                    : ch->dense[k - 1].size;
        const rr_param *p = &ch->params->params[ch->params->dense + 2 * k];
        REAL *dw = d_weights + p[0].offset, *db = d_weights + p[1].offset;
        REAL *dv = buf + (k % 2) * stride;
        memset(dv, 0, N * width * sizeof(REAL));
        const REAL *in = tape->dense_in[k];
        for (size_t r = 0; r < N; r++) {
            SFX(bw_activation_back)(ch->dense[k].activation, O, dy + r * O,
                                    (const REAL *)tape->dense_pre[k] + r * O,
                                    (const REAL *)tape->dense_out[k] + r * O,
                                    ds);
            /* dW += ds v^T */
            SFX(bw_outer_add)(dw, db, O, width, ds, in + r * width);
            SFX(bw_back_add)(tape->dense_w[k], O, width, ds,
                             /* dv = W^T ds */
                             dv + r * width);
        }
        dy = dv;
    }
    return dy;
}

rr_status SFX(rr_tape_backward)(const rr_chain_tape *tape,
                                const REAL *d_output, const REAL *d_h_n,
                                const REAL *d_c_n, const REAL *d_y,
                                REAL *d_weights, REAL *d_x, REAL *d_h0,
                                REAL *d_c0, rr_error *err)
{
    const rr_chain *ch = tape->chain;
    const size_t T = tape->steps, B = tape->batch, rows = T * B;
    const size_t L = ch->cfg.num_layers, W = ch->sizes.output_width;
    const size_t N = tape->dense_rows;
    const int last = ch->cfg.readout == RR_READOUT_LAST;
    size_t widest = W, most_gates = 0, most_dense = 1;
    for (size_t l = 0; l < L; l++) {
        const size_t in = ch->in_sizes[l], g = 4 * ch->layers[l].hidden_size;
        widest = in > widest ? in : widest;
        widest = ch->widths[l] > widest ? ch->widths[l] : widest;
        widest = ch->layers[l].hidden_size > widest ? ch->layers[l].hidden_size
                                                    : widest;
        most_gates = g > most_gates ? g : most_gates;
    }
    for (size_t k = 0; k < ch->cfg.num_dense; k++) {
        const size_t o = ch->dense[k].size;
        most_dense = o > most_dense ? o : most_dense;
        widest = o > widest ? o : widest;
    }
    int failed = 0;
    /* d of a layer's output */
    REAL *d_out = SFX(bw_new)(rows, widest, &failed);
    /* d of a layer's input */
    REAL *d_in = SFX(bw_new)(rows, widest, &failed);
    /* one direction's share */
    REAL *d_half = SFX(bw_new)(rows, widest, &failed);
    /* readout last */
    REAL *d_last = SFX(bw_new)(B, W, &failed);
    /* dh of one direction */
    REAL *d_fin = SFX(bw_new)(B, widest, &failed);
    REAL *dc = SFX(bw_new)(B, widest, &failed);
    REAL *dense_buf = SFX(bw_new)(2 * N, widest, &failed);
    REAL *ds = SFX(bw_new)(most_dense, 1, &failed);
    SFX(bw_back_scratch) bs = {
        SFX(bw_new)(rows, most_gates, &failed),
        SFX(bw_new)(rows, most_gates, &failed),
        SFX(bw_new)(B, widest, &failed),
        SFX(bw_new)(widest, 1, &failed),
        SFX(bw_new)(widest, 1, &failed),
    };
    if (failed) {
        free(d_out); free(d_in); free(d_half); free(d_last); free(d_fin);
        free(dc); free(dense_buf); free(ds);
        free(bs.da_x); free(bs.da_h); free(bs.dh_part); free(bs.dht);
        free(bs.dv);
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the backward pass's "
                       "scratch for T*B = %zu rows", rows);
    }
    memset(d_weights, 0, ch->params->total * sizeof(REAL));
    if (d_output != NULL) {
        memcpy(d_out, d_output, rows * W * sizeof(REAL));
    }
    if (d_y != NULL) {
        const REAL *dv = SFX(bw_dense_backward)(tape, d_y, d_weights,
                                                dense_buf, N * widest, ds);
        REAL *target = last ? d_last : d_out; /* [N, W] either way */
        for (size_t i = 0; i < N * W; i++) {
            target[i] += dv[i];
        }
    }
    for (size_t l = L; l-- > 0;) {
        const size_t D = rr_chain_directions(ch, l);
        const size_t H = ch->layers[l].hidden_size, out = ch->out_sizes[l];
        const int lstm = ch->layers[l].cell == RR_CELL_LSTM;
        const rr_merge merge = ch->layers[l].merge;
        memset(d_in, 0, rows * ch->in_sizes[l] * sizeof(REAL));
        for (size_t d = 0; d < D; d++) {
            const int reverse = d == 1 || ch->layers[l].direction == RR_REVERSE;
            const rr_dir_tape *other = &tape->dirs[2 * l + (size_t)!reverse];
            const size_t slot_h = B * (ch->slot_offsets[l] + d * out);
            const size_t slot_c = B * (ch->cell_offsets[l] + d * H);
            if (D == 2) {
                SFX(bw_merge_back)(merge, rows, out, d, d_out, other->out,
                                   d_half);
            } else {
                memcpy(d_half, d_out, rows * out * sizeof(REAL));
            }
            memset(d_fin, 0, B * out * sizeof(REAL));
            if (l == L - 1 && last) { /* readout last: dL/dh_n from dv */
                if (D == 2) {
                    SFX(bw_merge_back)(merge, B, out, d, d_last, other->h_n,
                                       d_fin);
                } else {
                    memcpy(d_fin, d_last, B * out * sizeof(REAL));
                }
            }
            for (size_t i = 0; d_h_n != NULL && i < B * out; i++) {
                d_fin[i] += d_h_n[slot_h + i];
            }
            if (lstm) {
                if (d_c_n != NULL) {
                    memcpy(dc, d_c_n + slot_c, B * H * sizeof(REAL));
                } else {
                    memset(dc, 0, B * H * sizeof(REAL));
                }
            }
            SFX(bw_dir_backward)(tape, l, reverse, d_half, d_fin, dc, d_in,
                                 d_weights, &bs);
            if (d_h0 != NULL) {
                memcpy(d_h0 + slot_h, d_fin, B * out * sizeof(REAL));
            }
            if (d_c0 != NULL && lstm) {
                memcpy(d_c0 + slot_c, dc, B * H * sizeof(REAL));
            }
        }
        REAL *swap = d_out; /* layer l's input is layer l-1's output */
        d_out = d_in;
        d_in = swap;
    }
    if (tape->tokens != NULL) { /* dE[tokens[t, b]] += dx[t, b] */
        const size_t I = ch->cfg.input_size;
        const size_t at = ch->params->params[ch->params->embedding].offset;
        REAL *d_e = d_weights + at;
        for (size_t r = 0; r < rows; r++) {
            REAL *row = d_e + (size_t)tape->tokens[r] * I;
            for (size_t i = 0; i < I; i++) {
                row[i] += d_out[r * I + i];
            }
        }
    } else if (d_x != NULL) {
        memcpy(d_x, d_out, rows * ch->cfg.input_size * sizeof(REAL));
    }
    free(d_out); free(d_in); free(d_half); free(d_last); free(d_fin);
    free(dc); free(dense_buf); free(ds);
    free(bs.da_x); free(bs.da_h); free(bs.dh_part); free(bs.dht); free(bs.dv);
    return RR_OK;
}

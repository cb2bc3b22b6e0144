/*
 * backward_impl.h - a chain's tape and its backward pass for one precision
 * (REAL, SFX: see real.h), included twice by backward.c.
 *
 * Filling a tape re-runs the recurrent layers with the cells of
 * backward_cells_impl.h (the reference arithmetic, per batch row) and
 * keeps, per step, what their backward steps read; the merges, readout and
 * dense layers as chain_impl.h computes them. The backward pass walks the
 * chain from the end (python/rnn_rosetta/backward/chain_backward.py):
 *
 *   dense   y = act(s), s = W v + b:  ds = dy act'(s) (identity dy; tanh
 *           dy (1 - y^2); sigmoid dy y (1 - y); relu dy [s > 0]; softmax
 *           y (dy - sum_k dy_k y_k));  dW += ds v^T, db += ds, dv = W^T ds
 *   readout sequence: dv joins d_output; last: dv is the gradient of the
 *           top layer's merged final states, split by the merge into dh_n
 *   merge   concat (d[:H], d[H:]); sum (d, d); ave (d/2, d/2);
 *           mul (d h_r, d h_f)
 *   layer   each direction's BPTT, visiting its steps in the opposite
 *           order: a row that ran at t gets dh += d_output[t], then the
 *           cell's backward step; a row that did not run passes dh on.
 *           The directions' dx add up into the layer below's output.
 *   embedding  dE[tokens[t, b]] += dx[t, b]
 */
#include "backward_cells_impl.h"

#include <stdlib.h>
#include <string.h>

/* a*b REAL, zeroed; NULL on overflow / no memory (then *failed = 1), NULL
 * when a*b is 0 */
static REAL *SFX(bw_new)(size_t a, size_t b, int *failed)
{
    size_t count = 0;
    if (!rr_count_product((const size_t[]){ a, b }, 2, &count)) {
        *failed = 1;
        return NULL;
    }
    if (count == 0) {
        return NULL;
    }
    REAL *p = rr_alloc(count, sizeof(REAL), 1);
    if (p == NULL) {
        *failed = 1;
    }
    return p;
}

/* W [G*U, K] row-major (and its bias [G*U] into bias, when m has one)
 * from the kernel's layout: W[g*U + u*nr + j][k] = data[((u*G + g)*K +
 * k)*nr + j]; written at rows first .. first + G*U of a matrix. */
static void SFX(bw_unpack)(const rr_packed *m, REAL *w, REAL *bias)
{
    const REAL *data = m->data;
    const REAL *packed_bias = m->bias;
    for (size_t u = 0; u < m->groups; u++) {
        const size_t first = u * m->nr;
        const size_t width = m->units - first < m->nr ? m->units - first
                                                      : m->nr;
        for (size_t g = 0; g < m->gates; g++) {
            for (size_t j = 0; j < width; j++) {
                const size_t row = g * m->units + first + j;
                for (size_t k = 0; k < m->k; k++) {
                    w[row * m->k + k] =
                        data[((u * m->gates + g) * m->k + k) * m->nr + j];
                }
                if (bias != NULL && packed_bias != NULL) {
                    bias[row] = packed_bias[(u * m->gates + g) * m->nr + j];
                }
            }
        }
    }
}

/* The sizes of layer l as the cells read them, pointing at dir's weights. */
static SFX(bw_cell) SFX(bw_cell_of)(const rr_chain *ch, size_t l,
                                    const rr_dir_tape *dir)
{
    const rr_layer_config *layer = &ch->layers[l];
    SFX(bw_cell) c = { layer, ch->in_sizes[l], layer->hidden_size,
                       ch->out_sizes[l],
                       layer->cell == RR_CELL_LSTM ? 4
                       : layer->cell == RR_CELL_GRU ? 3 : 1,
                       dir->w_ih, dir->w_hh, dir->b_ih, dir->b_hh, dir->w_hr,
                       dir->peep };
    return c;
}

/* Allocate dir's arrays and copy the weights of net slot `slot` into them. */
static int SFX(bw_dir_alloc)(const rr_chain *ch, size_t l, size_t slot,
                             size_t rows, size_t batch, rr_dir_tape *dir)
{
    const rr_layer_config *layer = &ch->layers[l];
    const rr_slot *s = &ch->nets[l]->slots[slot];
    const size_t H = layer->hidden_size, out = ch->out_sizes[l];
    const int lstm = layer->cell == RR_CELL_LSTM;
    const int gru = layer->cell == RR_CELL_GRU;
    const size_t gh = (lstm ? 4 : gru ? 3 : 1) * H;
    int failed = 0;
    dir->w_ih = SFX(bw_new)(gh, ch->in_sizes[l], &failed);
    dir->w_hh = SFX(bw_new)(gh, out, &failed);
    dir->b_ih = SFX(bw_new)(gh, 1, &failed);
    dir->b_hh = SFX(bw_new)(gh, 1, &failed);
    dir->w_hr = SFX(bw_new)(lstm ? layer->proj_size : 0, H, &failed);
    dir->peep = SFX(bw_new)(lstm && layer->peepholes ? 3 : 0, H, &failed);
    dir->h_prev = SFX(bw_new)(rows, out, &failed);
    dir->c_prev = SFX(bw_new)(rows, lstm ? H : 0, &failed);
    dir->pre = SFX(bw_new)(rows, gh, &failed);
    dir->act = SFX(bw_new)(rows, gh, &failed);
    dir->c_t = SFX(bw_new)(rows, lstm ? H : 0, &failed);
    dir->tanh_c = SFX(bw_new)(rows, lstm ? H : 0, &failed);
    dir->hn = SFX(bw_new)(rows, gru ? H : 0, &failed);
    dir->out = SFX(bw_new)(rows, out, &failed);
    dir->h_n = SFX(bw_new)(batch, out, &failed);
    if (failed) {
        return 0;
    }
    SFX(bw_unpack)(&s->w_ih, dir->w_ih, dir->b_ih);
    SFX(bw_unpack)(&s->w_hh, dir->w_hh, dir->b_hh);
    if (gru && !layer->linear_before_reset) { /* W_hn rows after r, z */
        SFX(bw_unpack)(&s->w_hn, (REAL *)dir->w_hh + 2 * H * out,
                       (REAL *)dir->b_hh + 2 * H);
    }
    if (dir->w_hr != NULL) {
        SFX(bw_unpack)(&s->w_hr, dir->w_hr, NULL);
    }
    if (dir->peep != NULL) {
        memcpy(dir->peep, s->peepholes, 3 * H * sizeof(REAL));
    }
    return 1;
}

/* row r's slice of dir */
static SFX(bw_row) SFX(bw_row_of)(const SFX(bw_cell) *c, const rr_dir_tape *d,
                                  const REAL *in, size_t r)
{
    const size_t H = c->hidden, G = c->gates;
    SFX(bw_row) row = {
        in + r * c->in, (REAL *)d->h_prev + r * c->out,
        d->c_prev != NULL ? (REAL *)d->c_prev + r * H : NULL,
        (REAL *)d->pre + r * G * H, (REAL *)d->act + r * G * H,
        d->c_t != NULL ? (REAL *)d->c_t + r * H : NULL,
        d->tanh_c != NULL ? (REAL *)d->tanh_c + r * H : NULL,
        d->hn != NULL ? (REAL *)d->hn + r * H : NULL,
        (REAL *)d->out + r * c->out
    };
    return row;
}

/* c [m, G*U] = a [m, K] W^T + b (plain layout) on the net's product
 * kernel, every group of w. */
static void SFX(bw_product)(const rr_net *net, const rr_packed *w, size_t m,
                            const REAL *a, size_t lda, REAL *c)
{
    const size_t ldc = w->gates * w->units;
    for (size_t u = 0; u < w->groups; u++) {
#if RR_HAVE_AVX2_KERNELS
        if (net->path == RR_PATH_AVX2) {
            SFX(rr_avx2_product)(w, u, m, a, lda, c + u * w->nr, w->units,
                                 ldc);
            continue;
        }
#endif
        SFX(rr_portable_product)(w, u, m, a, lda, c + u * w->nr, w->units,
                                 ldc);
    }
    (void)net;
}

/* Scratch of a tape's forward, sized for the largest layer. */
typedef struct SFX(bw_fwd_scratch) {
    REAL *gi;      /* [T*B, G*H] W_ih x + b_ih, every row                   */
    REAL *gh;      /* [B, G*H]   W_hh h_{t-1} + b_hh, one step              */
    REAL *m;       /* [B, H]     lstm o tanh(c_t), one step                 */
    REAL *proj;    /* [B, H_out] lstm W_hr m, one step                      */
    REAL *hn_w;    /* [B, H]     gru without lbr: W_hn (r h) + b_hn         */
    REAL *c_state; /* [B, H]     lstm: the running c                        */
} SFX(bw_fwd_scratch);

/* whether batch row b runs step t */
static int SFX(bw_runs)(const rr_chain_tape *tape, size_t t, size_t b)
{
    return (int64_t)t < tape->lengths[b];
}

/* One direction (net slot `slot`) forward over in [T*B, I_l]: the state
 * starts at h0/c0 (NULL = zeros) and ends in dir->h_n. The products run
 * for all rows of a step at once (a row that does not run still has its
 * product taken, and ignored); the cells only for the rows that run. */
static void SFX(bw_dir_forward)(const rr_chain_tape *tape, size_t l,
                                size_t slot, int reverse, rr_dir_tape *dir,
                                const REAL *in, const REAL *h0,
                                const REAL *c0, SFX(bw_fwd_scratch) *s)
{
    const rr_chain *ch = tape->chain;
    const rr_net *net = ch->nets[l];
    const rr_slot *w = &net->slots[slot];
    const SFX(bw_cell) c = SFX(bw_cell_of)(ch, l, dir);
    const size_t T = tape->steps, B = tape->batch, H = c.hidden;
    const size_t GH = c.gates * H, ghs = w->w_hh.gates * H, out = c.out;
    const rr_cell cell = ch->layers[l].cell;
    REAL *h = dir->h_n;
    if (h0 != NULL) {
        memcpy(h, h0, B * out * sizeof(REAL));
    }
    if (cell == RR_CELL_LSTM) {
        if (c0 != NULL) {
            memcpy(s->c_state, c0, B * H * sizeof(REAL));
        } else {
            memset(s->c_state, 0, B * H * sizeof(REAL));
        }
    }
    SFX(bw_product)(net, &w->w_ih, T * B, in, c.in, s->gi); /* gi, every row */
    for (size_t step = 0; step < T; step++) {
        const size_t t = reverse ? T - 1 - step : step;
        for (size_t b = 0; b < B; b++) { /* h_{t-1}, c_{t-1} into the tape */
            if (SFX(bw_runs)(tape, t, b)) {
                SFX(bw_row) row = SFX(bw_row_of)(&c, dir, in, t * B + b);
                memcpy(row.h_prev, h + b * out, out * sizeof(REAL));
                if (cell == RR_CELL_LSTM) {
                    memcpy(row.c_prev, s->c_state + b * H, H * sizeof(REAL));
                }
            }
        }
        const REAL *h_prev = (const REAL *)dir->h_prev + t * B * out;
        SFX(bw_product)(net, &w->w_hh, B, h_prev, out, s->gh); /* gh [B, G*H] */
        if (cell == RR_CELL_GRU && !ch->layers[l].linear_before_reset) {
            for (size_t b = 0; b < B; b++) {
                if (SFX(bw_runs)(tape, t, b)) {
                    SFX(bw_row) row = SFX(bw_row_of)(&c, dir, in, t * B + b);
                    SFX(bw_gru_rz_forward)(&c, &row, s->gi + (t * B + b) * GH,
                                           s->gh + b * ghs);
                }
            }
            /* hn_w [B, H] = W_hn (r h_{t-1}) + b_hn */
            SFX(bw_product)(net, &w->w_hn, B, (const REAL *)dir->hn +
                            t * B * H, H, s->hn_w);
        }
        for (size_t b = 0; b < B; b++) {
            if (!SFX(bw_runs)(tape, t, b)) {
                continue; /* padded: the state passes, output stays 0 */
            }
            SFX(bw_row) row = SFX(bw_row_of)(&c, dir, in, t * B + b);
            const REAL *gi = s->gi + (t * B + b) * GH, *gh = s->gh + b * ghs;
            switch (cell) {
            case RR_CELL_LSTM:
                SFX(bw_lstm_forward)(&c, &row, gi, gh, s->m + b * H);
                memcpy(s->c_state + b * H, row.c_t, H * sizeof(REAL));
                break;
            case RR_CELL_GRU:
                if (ch->layers[l].linear_before_reset) {
                    SFX(bw_gru_rz_forward)(&c, &row, gi, gh);
                    SFX(bw_gru_n_forward)(&c, &row, gi, gh + 2 * H);
                } else {
                    SFX(bw_gru_n_forward)(&c, &row, gi, s->hn_w + b * H);
                }
                break;
            case RR_CELL_RNN: SFX(bw_rnn_forward)(&c, &row, gi, gh); break;
            }
        }
        const REAL *m_out = s->m; /* lstm: h_t = m, or W_hr m */
        if (cell == RR_CELL_LSTM && c.w_hr != NULL) {
            SFX(bw_product)(net, &w->w_hr, B, s->m, H, s->proj);
            m_out = s->proj;
        }
        for (size_t b = 0; b < B; b++) {
            if (SFX(bw_runs)(tape, t, b)) {
                REAL *h_t = (REAL *)dir->out + (t * B + b) * out;
                if (cell == RR_CELL_LSTM) {
                    memcpy(h_t, m_out + b * out, out * sizeof(REAL));
                }
                memcpy(h + b * out, h_t, out * sizeof(REAL));
            }
        }
    }
}

/* dst [rows, W] = merge(f [rows, H], r [rows, H]) as chain_impl.h does */
static void SFX(bw_merge)(rr_merge merge, size_t rows, size_t H,
                          const REAL *f, const REAL *r, REAL *dst)
{
    const size_t width = merge == RR_MERGE_CONCAT ? 2 * H : H;
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < H; j++) {
            const REAL a = f[i * H + j], b = r[i * H + j];
            REAL *out = dst + i * width;
            switch (merge) {
            case RR_MERGE_CONCAT: out[j] = a; out[H + j] = b; break;
            case RR_MERGE_SUM: out[j] = a + b; break;
            case RR_MERGE_MUL: out[j] = a * b; break;
            case RR_MERGE_AVE: out[j] = (a + b) * REAL_C(0.5); break;
            }
        }
    }
}

/* dst [rows, H] = what the merge passes back to half `which` (0 f, 1 r)
 * of d [rows, W]; other = the other half's values [rows, H] */
static void SFX(bw_merge_back)(rr_merge merge, size_t rows, size_t H,
                               size_t which, const REAL *d,
                               const REAL *other, REAL *dst)
{
    const size_t width = merge == RR_MERGE_CONCAT ? 2 * H : H;
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < H; j++) {
            const REAL g = d[i * width + (merge == RR_MERGE_CONCAT ? which * H
                                                                   : 0) + j];
            switch (merge) {
            case RR_MERGE_CONCAT:
            /* d */
            case RR_MERGE_SUM: dst[i * H + j] = g; break;
            /* d h_other */
            case RR_MERGE_MUL: dst[i * H + j] = g * other[i * H + j]; break;
            /* d / 2 */
            case RR_MERGE_AVE: dst[i * H + j] = g * REAL_C(0.5); break;
            }
        }
    }
}

/* the dense layers over v [N, W] (v copied into dense_in[0]) */
static void SFX(bw_dense_forward)(const rr_chain_tape *tape, const REAL *v)
{
    const rr_chain *ch = tape->chain;
    const size_t N = tape->dense_rows;
    size_t width = ch->sizes.output_width;
    for (size_t k = 0; k < ch->cfg.num_dense; k++) {
        const size_t O = ch->dense[k].size;
        REAL *in = tape->dense_in[k], *pre = tape->dense_pre[k];
        REAL *out = tape->dense_out[k];
        memcpy(in, v, N * width * sizeof(REAL));
        for (size_t r = 0; r < N; r++) {
            SFX(bw_affine)(ch->dense_weight[k], ch->dense_bias[k], O, width,
                           in + r * width, pre + r * O); /* s = W v + b */
            for (size_t o = 0; o < O; o++) {
                const REAL s = pre[r * O + o];
                switch (ch->dense[k].activation) {
                case RR_ACT_TANH: out[r * O + o] = REAL_TANH(s); break;
                case RR_ACT_SIGMOID: out[r * O + o] = SFX(rr_sigmoid)(s); break;
                case RR_ACT_RELU: out[r * O + o] = SFX(rr_relu)(s); break;
                case RR_ACT_IDENTITY:
                case RR_ACT_SOFTMAX: out[r * O + o] = s; break;
                }
            }
            if (ch->dense[k].activation == RR_ACT_SOFTMAX) {
                SFX(rr_softmax)(out + r * O, O);
            }
        }
        v = out;
        width = O;
    }
}

rr_status SFX(rr_tape_fill)(rr_chain_tape *tape, const REAL *x,
                            const REAL *h0, const REAL *c0, rr_error *err)
{
    const rr_chain *ch = tape->chain;
    const size_t T = tape->steps, B = tape->batch, rows = T * B;
    const size_t L = ch->cfg.num_layers;
    int failed = 0;
    size_t most_gates = 0, most_hidden = 0, most_out = 0;
    for (size_t l = 0; l < L; l++) {
        const size_t H = ch->layers[l].hidden_size;
        most_gates = 4 * H > most_gates ? 4 * H : most_gates;
        most_hidden = H > most_hidden ? H : most_hidden;
        most_out = ch->out_sizes[l] > most_out ? ch->out_sizes[l] : most_out;
    }
    SFX(bw_fwd_scratch) s = {
        SFX(bw_new)(rows, most_gates, &failed),
        SFX(bw_new)(B, most_gates, &failed),
        SFX(bw_new)(B, most_hidden, &failed),
        SFX(bw_new)(B, most_out, &failed),
        SFX(bw_new)(B, most_hidden, &failed),
        SFX(bw_new)(B, most_hidden, &failed),
    };
    for (size_t l = 0; l <= L && !failed; l++) {
        tape->inputs[l] = SFX(bw_new)(rows, l < L ? ch->in_sizes[l]
                                                  : ch->sizes.output_width,
                                      &failed);
    }
    if (!failed && tape->tokens != NULL) {
        const size_t I = ch->cfg.input_size;
        for (size_t r = 0; r < rows; r++) { /* x[t, b] = E[tokens[t, b]] */
            memcpy((REAL *)tape->inputs[0] + r * I,
                   (const REAL *)ch->embedding + (size_t)tape->tokens[r] * I,
                   I * sizeof(REAL));
        }
    } else if (!failed) {
        memcpy(tape->inputs[0], x, rows * ch->cfg.input_size * sizeof(REAL));
    }
    for (size_t l = 0; l < L && !failed; l++) {
        const size_t D = rr_chain_directions(ch, l);
        const size_t H = ch->layers[l].hidden_size, out = ch->out_sizes[l];
        for (size_t d = 0; d < D && !failed; d++) {
            const int reverse = d == 1 || ch->layers[l].direction == RR_REVERSE;
            rr_dir_tape *dir = &tape->dirs[2 * l + (size_t)reverse];
            if (!SFX(bw_dir_alloc)(ch, l, d, rows, B, dir)) {
                failed = 1;
                break;
            }
            const size_t slot_h = B * (ch->slot_offsets[l] + d * out);
            const size_t slot_c = B * (ch->cell_offsets[l] + d * H);
            const int lstm = ch->layers[l].cell == RR_CELL_LSTM;
            SFX(bw_dir_forward)(tape, l, d, reverse, dir, tape->inputs[l],
                                h0 != NULL ? h0 + slot_h : NULL,
                                c0 != NULL && lstm ? c0 + slot_c : NULL, &s);
        }
        if (failed) {
            break;
        }
        const rr_dir_tape *f = &tape->dirs[2 * l];
        if (D == 2) {
            SFX(bw_merge)(ch->layers[l].merge, rows, out, f->out,
                          tape->dirs[2 * l + 1].out, tape->inputs[l + 1]);
        } else {
            const rr_dir_tape *only = f->out != NULL ? f : f + 1;
            memcpy(tape->inputs[l + 1], only->out, rows * out * sizeof(REAL));
        }
    }
    const size_t N = tape->dense_rows, W = ch->sizes.output_width;
    REAL *last = NULL;
    if (!failed && ch->cfg.readout == RR_READOUT_LAST) {
        const size_t top = L - 1, out = ch->out_sizes[top];
        const rr_dir_tape *f = &tape->dirs[2 * top];
        last = SFX(bw_new)(B, W, &failed);
        if (last != NULL && rr_chain_directions(ch, top) == 2) {
            SFX(bw_merge)(ch->layers[top].merge, B, out, f->h_n, f[1].h_n,
                          last);
        } else if (last != NULL) {
            memcpy(last, f->h_n != NULL ? f->h_n : f[1].h_n,
                   B * out * sizeof(REAL));
        }
    }
    size_t width = W;
    for (size_t k = 0; k < ch->cfg.num_dense && !failed; k++) {
        tape->dense_in[k] = SFX(bw_new)(N, width, &failed);
        tape->dense_pre[k] = SFX(bw_new)(N, ch->dense[k].size, &failed);
        tape->dense_out[k] = SFX(bw_new)(N, ch->dense[k].size, &failed);
        tape->dense_w[k] = SFX(bw_new)(ch->dense[k].size, width, &failed);
        if (tape->dense_w[k] != NULL) {
            memcpy(tape->dense_w[k], ch->dense_weight[k],
                   ch->dense[k].size * width * sizeof(REAL));
        }
        width = ch->dense[k].size;
    }
    if (!failed) {
        SFX(bw_dense_forward)(tape, last != NULL ? last : tape->inputs[L]);
    }
    free(last);
    free(s.gi);
    free(s.gh);
    free(s.m);
    free(s.proj);
    free(s.hn_w);
    free(s.c_state);
    if (failed) {
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the tape for T*B = "
                       "%zu rows", rows);
    }
    return RR_OK;
}

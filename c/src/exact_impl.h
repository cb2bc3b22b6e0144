/*
 * exact_impl.h - the exact kernel's forward computation for one storage
 * precision (REAL, SFX: see real.h): the products of rows, a step, a
 * direction with variable lengths, the head (the calls that run them:
 * exact_driver_impl.h). docs/exact-kernel.md is the spec.
 *
 * Per direction of a layer:
 *   1. gi [T*B][G*H] (dd) = the input projection of every running position
 *      (t < L_b), one dot product per gate row;
 *   2. per step, the running batch rows, up to RR_EXACT_ROWS at a time:
 *      gh [G_hh*H] (dd) of each = the recurrent product of its h_{t-1}
 *      (every weight read once for those rows); then per row (rows never
 *      interact, so they run one after the other on one thread) the gates
 *      of every unit, then (lstm projection) h_t = W_hr m, (gru without
 *      lbr) hn = W_hn (r * h) + b_hn.
 * The input projections, too, run RR_EXACT_ROWS positions at a time.
 * The packed weights are those of the portable path (nr = U, one group):
 * gate g is the panel data + g*K*U, [K][U], so each dot product runs its
 * units side by side (exact_dot_impl.h).
 */
#include "real.h"

/* The arguments and the heap scratch of one thread of a call: it runs the
 * batch rows [b_begin, b_end) (rows never interact, so the threads of
 * num_threads = 2 share the rows and meet only at the end). layer_out,
 * state_h and state_c are the call's, shared: each thread writes its rows. */
typedef struct SFX(exact_run) {
    const rr_net *net;
    size_t seq_len;         /* T                                            */
    size_t batch;           /* B                                            */
    size_t b_begin, b_end;  /* this thread's batch rows                     */
    size_t max_len;         /* max_b L_b                                    */
    const int64_t *lengths; /* [B] or NULL = all T                          */
    double limit;           /* the clip as this precision holds it          */
    size_t wide;            /* max(G*H, O): the longest product's rows      */

    /* dd vectors; "wide" is [max(G*H, O)], the longest product             */
    rr_dd_vec gi;           /* [T*B, G*H] input projection of a direction   */
    rr_dd_vec gh;           /* [ROWS, wide]: the recurrent products of rows  */
    rr_dd_vec hn;           /* wide: W_hr m, W_hn (r * h), the head's y_pre */
    rr_dd_vec rh;           /* wide: gru without lbr r * h_{t-1}; softmax e */
    rr_dd_vec z;            /* [H] gru without lbr: the update gate         */
    rr_dd_vec tmp[RR_EXACT_CELL_TMP]; /* [H] each: a cell's gate vectors   */
    double *acc_s;          /* [ROWS, wide]: the accumulators' s            */
    double *acc_c;          /* [ROWS, wide]: ... and c                      */
    REAL *layer_out[2];     /* [T*B, D*H_out] outputs of layers l, l-1      */
    REAL *state_h;          /* [L*D, B, H_out]                              */
    REAL *state_c;          /* [L*D, B, H] lstm                             */
    double *m;              /* [H] lstm round(o * tanh(c_t)) of one row     */
    double *v;              /* [ROWS, max K] float32: rows of activations as
                             * doubles (float64 reads them in place)        */
    double *split_hi;       /* [ROWS, max K] the activations' split halves  */
    double *split_lo;
    REAL *h_new;            /* [H_out] h_t of one row                       */
} SFX(exact_run);

/* The split halves of w's weights, made at pack time: [2][G*K*U] after
 * its data (see rr_exact_split_offset). */
static const double *SFX(exact_split_of)(const rr_packed *w)
{
    const size_t count = w->gates * w->k * w->units; /* nr = U: one group */
    return (const double *)((const char *)w->data +
                            rr_exact_split_offset(count, sizeof(REAL)));
}

/* out[r] (dd) [G*U] = W v[r] + b for rows r < `rows` (<= RR_EXACT_ROWS),
 * v[r] [K]: for gate blocks g < G, out[r] rows g*U .. g*U+U-1 = panel g of
 * w times v[r], each its own dot product; the panel is read once for all
 * the rows. */
static void SFX(exact_matvec_rows)(SFX(exact_run) *run, const rr_packed *w,
                                   size_t rows, const double *const *v,
                                   const rr_dd_vec *out)
{
    const size_t U = w->units, K = w->k, total = w->gates * K * U;
    const REAL *data = w->data;
    const REAL *bias = w->bias;
    const double *split = SFX(exact_split_of)(w); /* [2][G*K*U] */
    rr_exact_acts acts[RR_EXACT_ROWS];            /* [rows] of [K] */
    for (size_t r = 0; r < rows; r++) {
        rr_exact_acts a = { v[r], NULL, run->split_hi + r * K,
                            run->split_lo + r * K, 0, 0 };
        rr_exact_acts_split(&a, K);
        acts[r] = a;
    }
    for (size_t g = 0; g < w->gates; g++) {
        const size_t at = g * K * U; /* panel g: [K][U] */
        const SFX(exact_panel) panel = { data + at, split + at,
                                         split + total + at, U,
                                         rr_exact_split_tame(split) };
        for (size_t r = 0; r < rows; r++) { /* acc [rows, U] */
            SFX(exact_start)(U, bias != NULL ? bias + g * U : NULL,
                             run->acc_s + r * U, run->acc_c + r * U);
        }
        SFX(exact_products_rows)(U, K, panel, rows, acts, run->acc_s,
                                 run->acc_c, U);
        for (size_t r = 0; r < rows; r++) {
            const rr_dd_vec gate = { out[r].hi + g * U, out[r].lo + g * U };
            SFX(exact_finish)(U, run->acc_s + r * U, run->acc_c + r * U,
                              gate);
        }
    }
}

/* exact_matvec_rows over REAL rows v[r] [K] */
static void SFX(exact_matvec_real_rows)(SFX(exact_run) *run,
                                        const rr_packed *w, size_t rows,
                                        const REAL *const *v,
                                        const rr_dd_vec *out)
{
    const double *as_double[RR_EXACT_ROWS];
    for (size_t r = 0; r < rows; r++) {
        as_double[r] = SFX(exact_as_double)(v[r], w->k, run->v + r * w->k);
    }
    SFX(exact_matvec_rows)(run, w, rows, as_double, out);
}

/* out (dd) [G*U] = W v + b for one double row v [K] */
static void SFX(exact_matvec_d)(SFX(exact_run) *run, const rr_packed *w,
                                const double *v, rr_dd_vec out)
{
    SFX(exact_matvec_rows)(run, w, 1, &v, &out);
}

/* ... for one REAL row v [K] */
static void SFX(exact_matvec)(SFX(exact_run) *run, const rr_packed *w,
                              const REAL *v, rr_dd_vec out)
{
    SFX(exact_matvec_real_rows)(run, w, 1, &v, &out);
}

/* Softmax over y_pre (dd) [n] into y [n]:
 *   m = max y_pre.hi; e_i = exp_dd(y_pre_i - m); s = sum e_i (dd, in
 *   order); y_i = round(e_i / s). e [n] is scratch. */
static void SFX(exact_softmax)(size_t n, rr_dd_vec y_pre, rr_dd_vec e,
                               REAL *y)
{
    double m = y_pre.hi[0];
    for (size_t i = 1; i < n; i++) {
        if (y_pre.hi[i] > m) {
            m = y_pre.hi[i];
        }
    }
    for (size_t i = 0; i < n; i++) { /* e = y_pre - m, then exp_dd(e) */
        const rr_dd d =
            rr_dd_sub(rr_dd_make(y_pre.hi[i], y_pre.lo[i]), rr_dd_of(m));
        e.hi[i] = d.hi;
        e.lo[i] = d.lo;
    }
    rr_exp_dd_n(n, e, e);
    rr_dd s = rr_dd_make(0.0, 0.0);
    for (size_t i = 0; i < n; i++) {
        s = rr_dd_add(s, rr_dd_make(e.hi[i], e.lo[i]));
    }
    for (size_t i = 0; i < n; i++) {
        y[i] = (REAL)rr_dd_div(rr_dd_make(e.hi[i], e.lo[i]), s).hi;
    }
}

/* The step of one running batch row: h [H_out] and c [H] (lstm) hold
 * h_{t-1}, c_{t-1} and get h_t, c_t; gi [G*H] is its input projection,
 * gh [G_hh*H] its recurrent product (exact_direction). */
static void SFX(exact_row_step)(SFX(exact_run) *run, const rr_slot *slot,
                                rr_dd_vec gi, rr_dd_vec gh, REAL *h, REAL *c)
{
    const rr_net *net = run->net;
    const rr_config *cfg = &net->cfg;
    const size_t H = cfg->hidden_size;
    REAL *h_new = run->h_new; /* [H_out] */

    switch (cfg->cell) {
    case RR_CELL_RNN:
        SFX(exact_rnn_row)(cfg, run->limit, H, gi, gh, run->tmp, h_new);
        break;
    case RR_CELL_LSTM: {
        SFX(exact_lstm_row)(cfg, run->limit, H, gi, gh, slot->peepholes,
                            run->tmp, c, run->m);
        if (cfg->proj_size > 0) {
            /* h_t [P] = round(W_hr m), no bias, over the rounded m (a
             * double, also in a float32 net: m is not stored) */
            SFX(exact_matvec_d)(run, &slot->w_hr, run->m, run->hn);
            for (size_t r = 0; r < net->out_size; r++) {
                h_new[r] = (REAL)run->hn.hi[r];
            }
        } else {
            for (size_t j = 0; j < H; j++) {
                h_new[j] = (REAL)run->m[j]; /* h_t = m */
            }
        }
        break;
    }
    case RR_CELL_GRU:
        if (cfg->linear_before_reset) {
            SFX(exact_gru_row)(cfg, run->limit, H, gi, gh, run->tmp, h,
                               h_new);
        } else {
            /* hn = add_term(b_hn); add_product_dd(rh[k], W_hn[j][k]) */
            const rr_packed *w_hn = &slot->w_hn; /* one gate block [H][H] */
            const double *split = SFX(exact_split_of)(w_hn); /* [2][H*H] */
            const SFX(exact_panel) panel = { w_hn->data, split, split + H * H,
                                             H, rr_exact_split_tame(split) };
            SFX(exact_gru_rz_row)(cfg, run->limit, H, gi, gh, h, run->z,
                                  run->rh);
            rr_exact_acts acts = { run->rh.hi, run->rh.lo, run->split_hi,
                                   run->split_lo, 0, 0 };
            rr_exact_acts_split(&acts, H);
            SFX(exact_start)(H, w_hn->bias, run->acc_s, run->acc_c);
            SFX(exact_products_rows)(H, H, panel, 1, &acts, run->acc_s,
                                     run->acc_c, H);
            SFX(exact_finish)(H, run->acc_s, run->acc_c, run->hn);
            SFX(exact_gru_n_row)(cfg, run->limit, H, gi, run->hn, run->z, h,
                                 h_new);
        }
        break;
    }
    memcpy(h, h_new, net->out_size * sizeof(REAL));
}

/* Whether batch row b runs at step `step`, and the time t it reads. */
static int SFX(exact_row_time)(const SFX(exact_run) *run, size_t b,
                               size_t step, int reverse, size_t *t)
{
    const size_t len =
        run->lengths != NULL ? (size_t)run->lengths[b] : run->seq_len;
    if (step >= len) {
        return 0; /* ended: the state is held, the output stays zero */
    }
    *t = reverse ? len - 1 - step : step;
    return 1;
}

/* The positions of up to RR_EXACT_ROWS rows that a product runs at once:
 * batch row b[i] at position row[i] (= t * B + b). */
typedef struct SFX(exact_rows) {
    size_t count;
    size_t b[RR_EXACT_ROWS];
    size_t row[RR_EXACT_ROWS];
} SFX(exact_rows);

/* gi of the positions in `rows` = the input projection of in's rows */
static void SFX(exact_input_rows)(SFX(exact_run) *run, const rr_slot *slot,
                                  const REAL *in, size_t in_width,
                                  const SFX(exact_rows) *rows)
{
    const size_t gi_width = slot->w_ih.gates * run->net->cfg.hidden_size;
    const REAL *x[RR_EXACT_ROWS];
    rr_dd_vec gi[RR_EXACT_ROWS];
    for (size_t i = 0; i < rows->count; i++) {
        const size_t row = rows->row[i];
        x[i] = in + row * in_width;                          /* [I_l] */
        gi[i] = (rr_dd_vec){ run->gi.hi + row * gi_width,    /* [G*H] */
                             run->gi.lo + row * gi_width };
    }
    SFX(exact_matvec_real_rows)(run, &slot->w_ih, rows->count, x, gi);
}

/* One step of the running batch rows in `rows`: their recurrent products
 * (together), then each row's cell; h [B, H_out], c [B, H] (lstm) */
static void SFX(exact_step_rows)(SFX(exact_run) *run, const rr_slot *slot,
                                 const SFX(exact_rows) *rows, REAL *out,
                                 size_t out_offset, REAL *h, REAL *c)
{
    const rr_net *net = run->net;
    const size_t H = net->cfg.hidden_size, out_size = net->out_size;
    const size_t width = net->directions * out_size; /* D*H_out */
    const size_t gi_width = slot->w_ih.gates * H;     /* G*H */
    const size_t wide = run->wide;
    const REAL *h_prev[RR_EXACT_ROWS];
    rr_dd_vec gh[RR_EXACT_ROWS];
    for (size_t i = 0; i < rows->count; i++) {
        h_prev[i] = h + rows->b[i] * out_size;               /* [H_out] */
        gh[i] = (rr_dd_vec){ run->gh.hi + i * wide, run->gh.lo + i * wide };
    }
    SFX(exact_matvec_real_rows)(run, &slot->w_hh, rows->count, h_prev, gh);
    for (size_t i = 0; i < rows->count; i++) {
        const size_t b = rows->b[i], row = rows->row[i];
        const rr_dd_vec gi = { run->gi.hi + row * gi_width,
                               run->gi.lo + row * gi_width };
        REAL *h_row = h + b * out_size;
        SFX(exact_row_step)(run, slot, gi, gh[i], h_row,
                            c != NULL ? c + b * H : NULL);
        memcpy(out + row * width + out_offset, h_row,
               out_size * sizeof(REAL));
    }
}

/* One direction of one layer: in [T, B, I_l] -> out [T, B, D*H_out]
 * columns out_offset.., h [B, H_out] and c [B, H] from initial to final. */
static void SFX(exact_direction)(SFX(exact_run) *run, const rr_slot *slot,
                                 int reverse, const REAL *in, size_t in_width,
                                 REAL *out, size_t out_offset, REAL *h,
                                 REAL *c)
{
    const size_t B = run->batch;
    SFX(exact_rows) rows = { 0 };

    /* 1. the input projection of every running position */
    for (size_t b = run->b_begin; b < run->b_end; b++) {
        for (size_t step = 0; step < run->max_len; step++) {
            size_t t = 0;
            if (!SFX(exact_row_time)(run, b, step, 0, &t)) {
                break;
            }
            rows.b[rows.count] = b;
            rows.row[rows.count++] = t * B + b;
            if (rows.count == RR_EXACT_ROWS) {
                SFX(exact_input_rows)(run, slot, in, in_width, &rows);
                rows.count = 0;
            }
        }
    }
    if (rows.count > 0) {
        SFX(exact_input_rows)(run, slot, in, in_width, &rows);
        rows.count = 0;
    }
    /* 2. the steps */
    for (size_t step = 0; step < run->max_len; step++) {
        for (size_t b = run->b_begin; b < run->b_end; b++) {
            size_t t = 0;
            if (!SFX(exact_row_time)(run, b, step, reverse, &t)) {
                continue;
            }
            rows.b[rows.count] = b;
            rows.row[rows.count++] = t * B + b;
            if (rows.count == RR_EXACT_ROWS) {
                SFX(exact_step_rows)(run, slot, &rows, out, out_offset, h, c);
                rows.count = 0;
            }
        }
        if (rows.count > 0) {
            SFX(exact_step_rows)(run, slot, &rows, out, out_offset, h, c);
            rows.count = 0;
        }
    }
}

/* y [T*B, O] = head(top [T*B, D*H_out]) for this thread's batch rows,
 * padded positions included */
static void SFX(exact_head)(SFX(exact_run) *run, const REAL *top, REAL *y)
{
    const rr_net *net = run->net;
    const size_t width = net->directions * net->out_size;
    const size_t classes = net->cfg.head_size;
    for (size_t r = 0; r < run->seq_len * run->batch; r++) {
        const size_t b = r % run->batch;
        if (b < run->b_begin || b >= run->b_end) {
            continue;
        }
        SFX(exact_matvec)(run, &net->head, top + r * width, run->hn);
        if (net->cfg.head == RR_HEAD_SOFTMAX) {
            SFX(exact_softmax)(classes, run->hn, run->rh, y + r * classes);
        } else {
            for (size_t o = 0; o < classes; o++) {
                y[r * classes + o] = (REAL)run->hn.hi[o];
            }
        }
    }
}

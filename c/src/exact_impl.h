/*
 * exact_impl.h - the exact kernel's forward computation for one storage
 * precision (REAL, SFX: see real.h): layers, directions, variable lengths,
 * the head; and a chain's dense layer. docs/exact-kernel.md is the spec.
 *
 * Per direction of a layer:
 *   1. gi [T*B][G*H] (dd) = the input projection of every running position
 *      (t < L_b), one dot product per gate row;
 *   2. per step, per running batch row b (rows never interact, so they run
 *      one after the other on one thread): gh [G_hh*H] (dd) = the recurrent
 *      product of h_{t-1}[b], then the gates of every unit, then (lstm
 *      projection) h_t = W_hr m, (gru without lbr) hn = W_hn (r * h) + b_hn.
 * The packed weights are those of the portable path (nr = U, one group):
 * gate g is the panel data + g*K*U, [K][U], so each dot product runs its
 * units side by side (exact_dot_impl.h).
 */
#include "real.h"

/* The arguments and the heap scratch of one call. */
typedef struct SFX(exact_run) {
    const rr_net *net;
    size_t seq_len;         /* T                                            */
    size_t batch;           /* B                                            */
    size_t max_len;         /* max_b L_b                                    */
    const int64_t *lengths; /* [B] or NULL = all T                          */
    double limit;           /* the clip as this precision holds it          */

    /* dd vectors; "wide" is [max(G*H, O)], the longest product             */
    rr_dd_vec gi;           /* [T*B, G*H] input projection of a direction   */
    rr_dd_vec gh;           /* wide: the recurrent product of one row       */
    rr_dd_vec hn;           /* wide: W_hr m, W_hn (r * h), the head's y_pre */
    rr_dd_vec rh;           /* wide: gru without lbr r * h_{t-1}; softmax e */
    rr_dd_vec z;            /* [H] gru without lbr: the update gate         */
    rr_dd_vec tmp[RR_EXACT_CELL_TMP]; /* [H] each: a cell's gate vectors   */
    double *acc_s;          /* wide: the accumulators' s                    */
    double *acc_c;          /* wide: ... and c                              */
    REAL *layer_out[2];     /* [T*B, D*H_out] outputs of layers l, l-1      */
    REAL *state_h;          /* [L*D, B, H_out]                              */
    REAL *state_c;          /* [L*D, B, H] lstm                             */
    double *m;              /* [H] lstm round(o * tanh(c_t)) of one row     */
    double *v;              /* [max K] float32: a row of activations as
                             * doubles (float64 reads them in place)        */
    double *split_hi;       /* [max K] the activations' split halves        */
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

/* out (dd) [G*U] = W v + b: for gate blocks g < G, out rows g*U ..
 * g*U+U-1 = panel g of w times v [K], each its own dot product */
static void SFX(exact_matvec_d)(SFX(exact_run) *run, const rr_packed *w,
                                const double *v, rr_dd_vec out)
{
    const size_t U = w->units, K = w->k, total = w->gates * K * U;
    const REAL *data = w->data;
    const REAL *bias = w->bias;
    const double *split = SFX(exact_split_of)(w); /* [2][G*K*U] */
    const rr_exact_acts acts = { v, NULL, run->split_hi, run->split_lo };
    rr_exact_acts_split(acts, K);
    for (size_t g = 0; g < w->gates; g++) {
        const size_t at = g * K * U; /* panel g: [K][U] */
        const SFX(exact_panel) panel = { data + at, split + at,
                                         split + total + at, U };
        const rr_dd_vec rows = { out.hi + g * U, out.lo + g * U };
        SFX(exact_start)(U, bias != NULL ? bias + g * U : NULL, run->acc_s,
                         run->acc_c);
        SFX(exact_products)(U, K, panel, acts, run->acc_s, run->acc_c);
        SFX(exact_finish)(U, run->acc_s, run->acc_c, rows);
    }
}

/* exact_matvec_d over a REAL vector v [K] */
static void SFX(exact_matvec)(SFX(exact_run) *run, const rr_packed *w,
                              const REAL *v, rr_dd_vec out)
{
    SFX(exact_matvec_d)(run, w, SFX(exact_as_double)(v, w->k, run->v), out);
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
    rr_dd s = rr_dd_make(0.0, 0.0);
    for (size_t i = 0; i < n; i++) {
        const rr_dd ei = rr_exp_dd(
            rr_dd_sub(rr_dd_make(y_pre.hi[i], y_pre.lo[i]), rr_dd_of(m)));
        e.hi[i] = ei.hi;
        e.lo[i] = ei.lo;
        s = rr_dd_add(s, ei);
    }
    for (size_t i = 0; i < n; i++) {
        y[i] = (REAL)rr_dd_div(rr_dd_make(e.hi[i], e.lo[i]), s).hi;
    }
}

/* The step of one running batch row: h [H_out] and c [H] (lstm) hold
 * h_{t-1}, c_{t-1} and get h_t, c_t; gi [G*H] is its input projection. */
static void SFX(exact_row_step)(SFX(exact_run) *run, const rr_slot *slot,
                                rr_dd_vec gi, REAL *h, REAL *c)
{
    const rr_net *net = run->net;
    const rr_config *cfg = &net->cfg;
    const size_t H = cfg->hidden_size;
    REAL *h_new = run->h_new; /* [H_out] */

    SFX(exact_matvec)(run, &slot->w_hh, h, run->gh);
    switch (cfg->cell) {
    case RR_CELL_RNN:
        SFX(exact_rnn_row)(cfg, run->limit, H, gi, run->gh, run->tmp, h_new);
        break;
    case RR_CELL_LSTM: {
        SFX(exact_lstm_row)(cfg, run->limit, H, gi, run->gh, slot->peepholes,
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
            SFX(exact_gru_row)(cfg, run->limit, H, gi, run->gh, run->tmp, h,
                               h_new);
        } else {
            /* hn = add_term(b_hn); add_product_dd(rh[k], W_hn[j][k]) */
            const rr_packed *w_hn = &slot->w_hn; /* one gate block [H][H] */
            const double *split = SFX(exact_split_of)(w_hn); /* [2][H*H] */
            const SFX(exact_panel) panel = { w_hn->data, split, split + H * H,
                                             H };
            SFX(exact_gru_rz_row)(cfg, run->limit, H, gi, run->gh, h, run->z,
                                  run->rh);
            const rr_exact_acts acts = { run->rh.hi, run->rh.lo,
                                         run->split_hi, run->split_lo };
            rr_exact_acts_split(acts, H);
            SFX(exact_start)(H, w_hn->bias, run->acc_s, run->acc_c);
            SFX(exact_products)(H, H, panel, acts, run->acc_s, run->acc_c);
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

/* One direction of one layer: in [T, B, I_l] -> out [T, B, D*H_out]
 * columns out_offset.., h [B, H_out] and c [B, H] from initial to final. */
static void SFX(exact_direction)(SFX(exact_run) *run, const rr_slot *slot,
                                 int reverse, const REAL *in, size_t in_width,
                                 REAL *out, size_t out_offset, REAL *h,
                                 REAL *c)
{
    const rr_net *net = run->net;
    const size_t B = run->batch, H = net->cfg.hidden_size;
    const size_t out_size = net->out_size;
    const size_t width = net->directions * out_size;   /* D*H_out */
    const size_t gi_width = slot->w_ih.gates * H;       /* G*H */

    /* 1. the input projection of every running position */
    for (size_t b = 0; b < B; b++) {
        for (size_t step = 0; step < run->max_len; step++) {
            size_t t = 0;
            if (!SFX(exact_row_time)(run, b, step, 0, &t)) {
                break;
            }
            const size_t row = t * B + b;
            const rr_dd_vec gi = { run->gi.hi + row * gi_width,
                                   run->gi.lo + row * gi_width };
            SFX(exact_matvec)(run, &slot->w_ih, in + row * in_width, gi);
        }
    }
    /* 2. the steps */
    for (size_t step = 0; step < run->max_len; step++) {
        for (size_t b = 0; b < B; b++) {
            size_t t = 0;
            if (!SFX(exact_row_time)(run, b, step, reverse, &t)) {
                continue;
            }
            const size_t row = t * B + b;
            const rr_dd_vec gi = { run->gi.hi + row * gi_width,
                                   run->gi.lo + row * gi_width };
            REAL *h_row = h + b * out_size;
            SFX(exact_row_step)(run, slot, gi, h_row,
                                c != NULL ? c + b * H : NULL);
            memcpy(out + row * width + out_offset, h_row,
                   out_size * sizeof(REAL));
        }
    }
}

/* y [T*B, O] = head(top [T*B, D*H_out]), padded rows included */
static void SFX(exact_head)(SFX(exact_run) *run, const REAL *top, REAL *y)
{
    const rr_net *net = run->net;
    const size_t rows = run->seq_len * run->batch;
    const size_t width = net->directions * net->out_size;
    const size_t classes = net->cfg.head_size;
    for (size_t r = 0; r < rows; r++) {
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

static void SFX(exact_free)(SFX(exact_run) *s)
{
    free(s->gi.hi);
    free(s->gi.lo);
    free(s->gh.hi);
    free(s->gh.lo);
    free(s->hn.hi);
    free(s->hn.lo);
    free(s->rh.hi);
    free(s->rh.lo);
    free(s->z.hi);
    free(s->z.lo);
    for (size_t i = 0; i < RR_EXACT_CELL_TMP; i++) {
        free(s->tmp[i].hi);
        free(s->tmp[i].lo);
    }
    free(s->acc_s);
    free(s->acc_c);
    free(s->layer_out[0]);
    free(s->layer_out[1]);
    free(s->state_h);
    free(s->state_c);
    free(s->m);
    free(s->v);
    free(s->split_hi);
    free(s->split_lo);
    free(s->h_new);
}

/* count = a*b*c elements of `size` bytes (zeroed), NULL on failure */
static void *SFX(exact_alloc)(size_t a, size_t b, size_t c, size_t size,
                              int *failed)
{
    size_t count = 0;
    if (!rr_count_product((const size_t[]){ a, b, c }, 3, &count)) {
        *failed = 1;
        return NULL;
    }
    void *p = rr_alloc(count > 0 ? count : 1, size, 1);
    if (p == NULL) {
        *failed = 1;
    }
    return p;
}

static rr_status SFX(exact_alloc_scratch)(SFX(exact_run) *s, rr_error *err)
{
    const rr_net *net = s->net;
    const rr_config *cfg = &net->cfg;
    const size_t T = s->seq_len, B = s->batch, H = cfg->hidden_size;
    const size_t width = net->directions * net->out_size;
    const size_t slots = cfg->num_layers * net->directions;
    const size_t gh_rows = net->gates * H; /* G*H: every product's rows */
    size_t wide = gh_rows;                 /* the longest dd vector */
    if (cfg->head_size > wide) {
        wide = cfg->head_size;
    }
    /* the longest dot product: over x, a layer's output, h or m */
    size_t k_max = cfg->input_size > width ? cfg->input_size : width;
    k_max = H > k_max ? H : k_max;
    const size_t d = sizeof(double), r = sizeof(REAL);
    int failed = 0;
    s->gi.hi = SFX(exact_alloc)(T, B, gh_rows, d, &failed);
    s->gi.lo = SFX(exact_alloc)(T, B, gh_rows, d, &failed);
    s->gh.hi = SFX(exact_alloc)(wide, 1, 1, d, &failed);
    s->gh.lo = SFX(exact_alloc)(wide, 1, 1, d, &failed);
    s->hn.hi = SFX(exact_alloc)(wide, 1, 1, d, &failed);
    s->hn.lo = SFX(exact_alloc)(wide, 1, 1, d, &failed);
    s->rh.hi = SFX(exact_alloc)(wide, 1, 1, d, &failed);
    s->rh.lo = SFX(exact_alloc)(wide, 1, 1, d, &failed);
    s->z.hi = SFX(exact_alloc)(H, 1, 1, d, &failed);
    s->z.lo = SFX(exact_alloc)(H, 1, 1, d, &failed);
    for (size_t i = 0; i < RR_EXACT_CELL_TMP; i++) {
        s->tmp[i].hi = SFX(exact_alloc)(H, 1, 1, d, &failed);
        s->tmp[i].lo = SFX(exact_alloc)(H, 1, 1, d, &failed);
    }
    s->acc_s = SFX(exact_alloc)(wide, 1, 1, d, &failed);
    s->acc_c = SFX(exact_alloc)(wide, 1, 1, d, &failed);
    s->layer_out[0] = SFX(exact_alloc)(T, B, width, r, &failed);
    s->layer_out[1] = SFX(exact_alloc)(T, B, width, r, &failed);
    s->state_h = SFX(exact_alloc)(slots, B, net->out_size, r, &failed);
    s->state_c = SFX(exact_alloc)(slots, B, H, r, &failed);
    s->m = SFX(exact_alloc)(H, 1, 1, d, &failed);
    s->v = SFX(exact_alloc)(k_max, 1, 1, d, &failed);
    s->split_hi = SFX(exact_alloc)(k_max, 1, 1, d, &failed);
    s->split_lo = SFX(exact_alloc)(k_max, 1, 1, d, &failed);
    s->h_new = SFX(exact_alloc)(H, 1, 1, r, &failed);
    if (failed) {
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the exact kernel's "
                       "scratch for T=%zu, B=%zu", T, B);
    }
    return RR_OK;
}

rr_status SFX(rr_exact_run_sequence)(const rr_net *net, size_t seq_len,
                                     size_t batch, const REAL *x,
                                     const REAL *h0, const REAL *c0,
                                     const int64_t *lengths, REAL *output,
                                     REAL *h_n, REAL *c_n, REAL *y,
                                     rr_error *err)
{
    const rr_config *cfg = &net->cfg;
    const size_t D = net->directions, L = cfg->num_layers;
    const size_t width = D * net->out_size;
    const size_t h_count = L * D * batch * net->out_size;
    const size_t c_count = L * D * batch * cfg->hidden_size;
    SFX(exact_run) run = { 0 };
    run.net = net;
    run.seq_len = seq_len;
    run.batch = batch;
    run.lengths = lengths;
    run.limit = (double)(REAL)cfg->clip; /* float32: rounded to float first */
    rr_status status = SFX(exact_alloc_scratch)(&run, err);
    if (status != RR_OK) {
        SFX(exact_free)(&run);
        return status;
    }
    if (h0 != NULL) {
        memcpy(run.state_h, h0, h_count * sizeof(REAL));
    }
    if (c0 != NULL && cfg->cell == RR_CELL_LSTM) {
        memcpy(run.state_c, c0, c_count * sizeof(REAL));
    }
    run.max_len = seq_len;
    if (lengths != NULL) {
        run.max_len = 0;
        for (size_t b = 0; b < batch; b++) {
            if ((size_t)lengths[b] > run.max_len) {
                run.max_len = (size_t)lengths[b];
            }
        }
    }
    for (size_t l = 0; l < L; l++) {
        const REAL *in = l == 0 ? x : run.layer_out[(l - 1) % 2];
        const size_t in_width = l == 0 ? cfg->input_size : width;
        REAL *out = run.layer_out[l % 2];
        for (size_t d = 0; d < D; d++) {
            const size_t slot = l * D + d;
            const int reverse = d == 1 || cfg->direction == RR_REVERSE;
            REAL *c = cfg->cell == RR_CELL_LSTM
                          ? run.state_c + slot * batch * cfg->hidden_size
                          : NULL;
            SFX(exact_direction)(&run, &net->slots[slot], reverse, in,
                                 in_width, out, d * net->out_size,
                                 run.state_h + slot * batch * net->out_size, c);
        }
    }
    const REAL *top = run.layer_out[(L - 1) % 2];
    if (cfg->head != RR_HEAD_NONE) {
        SFX(exact_head)(&run, top, y);
    }
    memcpy(output, top, seq_len * batch * width * sizeof(REAL));
    memcpy(h_n, run.state_h, h_count * sizeof(REAL));
    if (c_n != NULL) {
        memcpy(c_n, run.state_c, c_count * sizeof(REAL));
    }
    SFX(exact_free)(&run);
    return RR_OK;
}

rr_status SFX(rr_exact_dense)(size_t rows, size_t in_width, const REAL *src,
                              size_t out_width, const REAL *w, const REAL *b,
                              rr_activation act, REAL *dst, rr_error *err)
{
    const size_t d = sizeof(double);
    int failed = 0;
    rr_dd_vec pre = { SFX(exact_alloc)(out_width, 1, 1, d, &failed),   /* [O] */
                      SFX(exact_alloc)(out_width, 1, 1, d, &failed) };
    rr_dd_vec e = { SFX(exact_alloc)(out_width, 1, 1, d, &failed),     /* [O] */
                    SFX(exact_alloc)(out_width, 1, 1, d, &failed) };
    /* [3][K]: a row as doubles, its split halves */
    double *buf = SFX(exact_alloc)(in_width, 3, 1, d, &failed);
    if (failed) {
        free(buf);
        free(pre.hi);
        free(pre.lo);
        free(e.hi);
        free(e.lo);
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the exact kernel's "
                       "scratch for a dense layer of %zu outputs", out_width);
    }
    for (size_t r = 0; r < rows; r++) {
        const rr_exact_acts v = {             /* [K] */
            SFX(exact_as_double)(src + r * in_width, in_width, buf), NULL,
            buf + in_width, buf + 2 * in_width
        };
        rr_exact_acts_split(v, in_width);
        REAL *out = dst + r * out_width;    /* [O] */
        for (size_t o = 0; o < out_width; o++) {
            /* W [O, K] row-major: row o is contiguous in k, so the unit
             * loop of exact_products runs over one output (ldw = 1) */
            double s = 0.0, c = 0.0;
            const SFX(exact_panel) row = { w + o * in_width, NULL, NULL, 1 };
            SFX(exact_start)(1, b != NULL ? b + o : NULL, &s, &c);
            SFX(exact_products)(1, in_width, row, v, &s, &c);
            const rr_dd y_pre = rr_two_sum(s, c);
            pre.hi[o] = y_pre.hi;
            pre.lo[o] = y_pre.lo;
            rr_dd y = y_pre;
            switch (act) {
            case RR_ACT_TANH: y = rr_tanh_dd(y_pre); break;
            case RR_ACT_SIGMOID: y = rr_sigmoid_dd(y_pre); break;
            case RR_ACT_RELU: y = rr_dd_relu(y_pre); break;
            case RR_ACT_IDENTITY:
            case RR_ACT_SOFTMAX: break;
            }
            out[o] = (REAL)y.hi;
        }
        if (act == RR_ACT_SOFTMAX) {
            SFX(exact_softmax)(out_width, pre, e, out);
        }
    }
    free(buf);
    free(pre.hi);
    free(pre.lo);
    free(e.hi);
    free(e.lo);
    return RR_OK;
}

/*
 * exact_driver_impl.h - the exact kernel's calls for one storage precision
 * (REAL, SFX: see real.h), after exact_impl.h: a forward call's scratch and
 * shared buffers, its threads (num_threads = 2 shares the batch rows: rows
 * never interact, so the bits are those of one thread) and the layers in
 * order; and a chain's dense layer. docs/exact-kernel.md is the spec.
 */
#include "real.h"

/* frees a thread's scratch (not the shared layer_out, state_h, state_c) */
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
    s->wide = wide;
    s->gh.hi = SFX(exact_alloc)(RR_EXACT_ROWS, wide, 1, d, &failed);
    s->gh.lo = SFX(exact_alloc)(RR_EXACT_ROWS, wide, 1, d, &failed);
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
    s->acc_s = SFX(exact_alloc)(RR_EXACT_ROWS, wide, 1, d, &failed);
    s->acc_c = SFX(exact_alloc)(RR_EXACT_ROWS, wide, 1, d, &failed);
    s->m = SFX(exact_alloc)(H, 1, 1, d, &failed);
    s->v = SFX(exact_alloc)(RR_EXACT_ROWS, k_max, 1, d, &failed);
    s->split_hi = SFX(exact_alloc)(RR_EXACT_ROWS, k_max, 1, d, &failed);
    s->split_lo = SFX(exact_alloc)(RR_EXACT_ROWS, k_max, 1, d, &failed);
    s->h_new = SFX(exact_alloc)(H, 1, 1, r, &failed);
    if (failed) {
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the exact kernel's "
                       "scratch for T=%zu, B=%zu", T, B);
    }
    return RR_OK;
}

/* The call's shared buffers, into run: layer_out [2][T, B, D*H_out],
 * state_h [L*D, B, H_out], state_c [L*D, B, H] (zeroed). */
static rr_status SFX(exact_alloc_shared)(SFX(exact_run) *run, rr_error *err)
{
    const rr_net *net = run->net;
    const size_t T = run->seq_len, B = run->batch;
    const size_t width = net->directions * net->out_size;
    const size_t slots = net->cfg.num_layers * net->directions;
    const size_t r = sizeof(REAL);
    int failed = 0;
    run->layer_out[0] = SFX(exact_alloc)(T, B, width, r, &failed);
    run->layer_out[1] = SFX(exact_alloc)(T, B, width, r, &failed);
    run->state_h = SFX(exact_alloc)(slots, B, net->out_size, r, &failed);
    run->state_c =
        SFX(exact_alloc)(slots, B, net->cfg.hidden_size, r, &failed);
    if (failed) {
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the exact kernel's "
                       "outputs for T=%zu, B=%zu", T, B);
    }
    return RR_OK;
}

static void SFX(exact_free_shared)(SFX(exact_run) *run)
{
    free(run->layer_out[0]);
    free(run->layer_out[1]);
    free(run->state_h);
    free(run->state_c);
}

/* This thread's batch rows through every layer and direction, then the
 * head: x [T, B, I] in, y [T, B, O] out. */
static void SFX(exact_rows_forward)(SFX(exact_run) *run, const REAL *x,
                                    REAL *y)
{
    const rr_net *net = run->net;
    const rr_config *cfg = &net->cfg;
    const size_t D = net->directions, L = cfg->num_layers, B = run->batch;
    const size_t width = D * net->out_size;
    for (size_t l = 0; l < L; l++) {
        const REAL *in = l == 0 ? x : run->layer_out[(l - 1) % 2];
        const size_t in_width = l == 0 ? cfg->input_size : width;
        REAL *out = run->layer_out[l % 2];
        for (size_t d = 0; d < D; d++) {
            const size_t slot = l * D + d;
            const int reverse = d == 1 || cfg->direction == RR_REVERSE;
            REAL *c = cfg->cell == RR_CELL_LSTM
                          ? run->state_c + slot * B * cfg->hidden_size
                          : NULL;
            SFX(exact_direction)(run, &net->slots[slot], reverse, in,
                                 in_width, out, d * net->out_size,
                                 run->state_h + slot * B * net->out_size, c);
        }
    }
    if (cfg->head != RR_HEAD_NONE) {
        SFX(exact_head)(run, run->layer_out[(L - 1) % 2], y);
    }
}

/* What the threads of a call run (rr_team_run): thread tid its share of
 * the batch rows, in its own scratch runs[tid]; a team of one, all. */
typedef struct SFX(exact_team_job) {
    SFX(exact_run) *runs; /* [threads] */
    const REAL *x;
    REAL *y;
} SFX(exact_team_job);

static void SFX(exact_team_main)(void *arg, rr_team *team, size_t tid)
{
    const SFX(exact_team_job) *job = arg;
    SFX(exact_run) *run = &job->runs[tid];
    rr_team_share(run->batch, rr_team_size(team), tid, &run->b_begin,
                  &run->b_end);
    SFX(exact_rows_forward)(run, job->x, job->y);
}

/* 2 threads where num_threads = 2, the batch has 2 rows or more and the
 * call enough multiply-adds to pay for starting a thread; else 1 */
static size_t SFX(exact_thread_count)(const rr_net *net, size_t seq_len,
                                      size_t batch)
{
    if (net->cfg.num_threads < 2 || batch < 2) {
        return 1;
    }
    const rr_slot *slot = &net->slots[0];
    const size_t rows = slot->w_hh.gates * slot->w_hh.units; /* G*H */
    const size_t work = seq_len * batch * rows * (slot->w_hh.k + slot->w_ih.k);
    return work >= RR_EXACT_THREAD_MIN_WORK ? 2 : 1;
}

static rr_status SFX(exact_run_sequence)(const rr_net *net, size_t seq_len,
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
    const size_t threads = SFX(exact_thread_count)(net, seq_len, batch);
    SFX(exact_run) shared = { 0 };
    shared.net = net;
    shared.seq_len = seq_len;
    shared.batch = batch;
    shared.lengths = lengths;
    shared.limit = (double)(REAL)cfg->clip; /* float32: rounded first */
    shared.max_len = seq_len;
    if (lengths != NULL) {
        shared.max_len = 0;
        for (size_t b = 0; b < batch; b++) {
            if ((size_t)lengths[b] > shared.max_len) {
                shared.max_len = (size_t)lengths[b];
            }
        }
    }
    rr_status status = SFX(exact_alloc_shared)(&shared, err);
    SFX(exact_run) runs[2]; /* [threads]: shared's fields, own scratch */
    for (size_t i = 0; i < threads; i++) {
        runs[i] = shared;
        if (status == RR_OK) {
            status = SFX(exact_alloc_scratch)(&runs[i], err);
        }
    }
    if (status == RR_OK) {
        if (h0 != NULL) {
            memcpy(shared.state_h, h0, h_count * sizeof(REAL));
        }
        if (c0 != NULL && cfg->cell == RR_CELL_LSTM) {
            memcpy(shared.state_c, c0, c_count * sizeof(REAL));
        }
        SFX(exact_team_job) job = { runs, x, y };
        rr_team_run(threads, SFX(exact_team_main), &job);
        memcpy(output, shared.layer_out[(L - 1) % 2],
               seq_len * batch * width * sizeof(REAL));
        memcpy(h_n, shared.state_h, h_count * sizeof(REAL));
        if (c_n != NULL) {
            memcpy(c_n, shared.state_c, c_count * sizeof(REAL));
        }
    }
    for (size_t i = 0; i < threads; i++) {
        SFX(exact_free)(&runs[i]);
    }
    SFX(exact_free_shared)(&shared);
    return status;
}

static rr_status SFX(exact_dense)(size_t rows, size_t in_width,
                                 const REAL *src, size_t out_width,
                                 const REAL *w, const REAL *b,
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
        rr_exact_acts v = {                   /* [K] */
            SFX(exact_as_double)(src + r * in_width, in_width, buf), NULL,
            buf + in_width, buf + 2 * in_width, 0, 0
        };
        rr_exact_acts_split(&v, in_width);
        REAL *out = dst + r * out_width;    /* [O] */
        for (size_t o = 0; o < out_width; o++) {
            /* W [O, K] row-major: row o is contiguous in k, so the unit
             * loop of exact_products runs over one output (ldw = 1) */
            double s = 0.0, c = 0.0;
            const SFX(exact_panel) row = { w + o * in_width, NULL, NULL, 1,
                                           0 };
            SFX(exact_start)(1, b != NULL ? b + o : NULL, &s, &c);
            SFX(exact_products)(1, in_width, row, v, &s, &c);
            const rr_dd y_pre = rr_two_sum(s, c);
            pre.hi[o] = y_pre.hi;
            pre.lo[o] = y_pre.lo;
        }
        /* the activation over the row's outputs (the vector functions: the
         * same bits as one value at a time) */
        switch (act) {
        case RR_ACT_TANH: rr_tanh_dd_n(out_width, pre, e); break;
        case RR_ACT_SIGMOID: rr_sigmoid_dd_n(out_width, pre, e); break;
        case RR_ACT_SOFTMAX: SFX(exact_softmax)(out_width, pre, e, out); break;
        case RR_ACT_RELU:
        case RR_ACT_IDENTITY:
            for (size_t o = 0; o < out_width; o++) {
                const rr_dd y_pre = rr_dd_make(pre.hi[o], pre.lo[o]);
                e.hi[o] = act == RR_ACT_RELU ? rr_dd_relu(y_pre).hi : y_pre.hi;
            }
            break;
        }
        if (act != RR_ACT_SOFTMAX) {
            for (size_t o = 0; o < out_width; o++) {
                out[o] = (REAL)e.hi[o]; /* round(act(y_pre)) */
            }
        }
    }
    free(buf);
    free(pre.hi);
    free(pre.lo);
    free(e.hi);
    free(e.lo);
    return RR_OK;
}

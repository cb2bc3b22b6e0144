/*
 * sequence_impl.h - the whole forward computation (layers, directions,
 * variable lengths, the head) for one precision (REAL, SFX: see real.h),
 * on arguments the caller has checked.
 *
 * Per direction of a layer:
 *   1. the input projection in [T*B, I_l] W_ih^T + b_ih: one GEMM for all
 *      steps, written group by group (see rr_packed): proj [groups][T*B]
 *      [G][nr], so that what a step needs of a group is one block, laid
 *      out as the recurrent tile;
 *   2. per step, per group of units: the recurrent product tile [B, G, nr]
 *      = h_{t-1} [B, H_out] W_hh^T + b_hh for the G gates of those units,
 *      and right after it, the gates of those units for every batch row;
 *      h_t goes to the other half of a double buffer, since every unit's
 *      product reads all of h_{t-1}.
 * With a second thread (num_threads = 2 and RR_SECOND_THREAD, see
 * sequence.c) both threads run this same code (SPMD), each on its share
 * of the groups, and meet at rr_team_sync where one needs what the other
 * wrote; with one thread, rr_team_sync does nothing.
 */
#include "real.h"

/* The arguments and the heap scratch of one call, shared by its threads;
 * nothing here is sized on the stack. */
typedef struct SFX(run) {
    const rr_net *net;
    size_t seq_len;       /* T                                              */
    size_t batch;         /* B                                              */
    size_t max_len;       /* max_b L_b: steps that run                      */
    const REAL *x;        /* [T, B, I]                                      */
    const int64_t *lengths; /* [B] or NULL = all T                          */
    REAL *y;              /* [T, B, O] the caller's y (head), or NULL       */

    REAL *proj;           /* [groups][T*B][G][nr] input projection of one
                           * direction, in the groups of W_ih               */
    REAL *layer_out[2];   /* [T*B, D*H_out] each: outputs of layers l, l-1;
                           * zero at padded positions t >= L_b              */
    REAL *state_h;        /* [L*D, B, H_out] running (then final) h         */
    REAL *state_c;        /* [L*D, B, H] running (then final) c; lstm only  */
    REAL *h_other;        /* [B, H_out] the other half of h's double buffer */
    REAL *c_grouped;      /* [groups][B][nr] lstm: c of the running direction,
                           * each group's units of all rows in one block    */
    REAL *m;              /* [B, H] lstm projection: o * tanh(c_t);
                           * gru without lbr: r * h_{t-1}                   */
    REAL *z;              /* [B, H] gru without lbr: the update gate        */
    REAL *tile[2];        /* [B, G*nr] per thread: one group's products     */
} SFX(run);

/* --- the kernel of the net --------------------------------------------- */

#include "kernel_table_impl.h"

/* One group of w times m rows of a (see rr_portable_product). */
static void SFX(product)(const rr_net *net, const rr_packed *w, size_t u,
                         size_t m, const REAL *a, size_t lda, REAL *c,
                         size_t c_gate_stride, size_t ldc)
{
    SFX(kernels_of)(net->path)->product(w, u, m, a, lda, c, c_gate_stride,
                                        ldc);
}

/* c [m, G*U] (row stride ldc) = a [m, K] W^T + b, for this thread's share
 * of the groups of w: the plain layout (the head). */
static void SFX(gemm)(const rr_net *net, rr_team *team, size_t tid,
                      const rr_packed *w, size_t m, const REAL *a, size_t lda,
                      REAL *c, size_t ldc)
{
    size_t begin = 0, end = 0;
    rr_team_share(w->groups, rr_team_size(team), tid, &begin, &end);
    for (size_t u = begin; u < end; u++) {
        SFX(product)(net, w, u, m, a, lda, c + u * w->nr, w->units, ldc);
    }
}

/* proj [groups][m][G][nr] = a [m, K] W^T + b, for this thread's share of
 * the groups of w: the grouped layout (the input projection). */
static void SFX(gemm_grouped)(const rr_net *net, rr_team *team, size_t tid,
                              const rr_packed *w, size_t m, const REAL *a,
                              size_t lda, REAL *proj)
{
    const size_t block = w->gates * w->nr; /* G*nr: one row of one group */
    size_t begin = 0, end = 0;
    rr_team_share(w->groups, rr_team_size(team), tid, &begin, &end);
    for (size_t u = begin; u < end; u++) {
        SFX(product)(net, w, u, m, a, lda, proj + u * m * block, w->nr, block);
    }
}

/* The gate functions of a path (see internal_real.h). */
static const SFX(kernel_table) *SFX(gates_of)(const rr_net *net)
{
    return SFX(kernels_of)(net->path);
}

/* --- one time step ----------------------------------------------------- */

/* Where batch row b is at step `step` of a direction: whether it still runs
 * (step < L_b) and, if so, the time t it reads and writes. */
static int SFX(row_time)(const SFX(run) *run, size_t b, size_t step,
                         int reverse, size_t *t)
{
    const size_t len =
        run->lengths != NULL ? (size_t)run->lengths[b] : run->seq_len;
    if (step >= len) {
        return 0; /* sequence b has ended: its state stays as it is */
    }
    /* forward reads t = step; reverse reads t = L_b-1 .. 0 */
    *t = reverse ? len - 1 - step : step;
    return 1;
}

/* The gates of `count` units from `first`, batch row b, after the product
 * of their group: gi [G][nr] its block of the input projection, gh [G][nr]
 * its row of the recurrent tile, c [nr] its cell states (lstm). Writes
 * h_next (or m, z). */
static void SFX(row_gates)(const SFX(run) *run, const rr_slot *slot,
                           const REAL *gi, const REAL *gh, size_t nr,
                           size_t b, size_t first, size_t count,
                           const REAL *h_prev, REAL *h_next, REAL *c)
{
    const rr_net *net = run->net;
    const rr_config *cfg = &net->cfg;
    const size_t hidden = cfg->hidden_size;
    const size_t out_size = net->out_size;
    const REAL *prev = h_prev + b * out_size + first; /* [count] */
    REAL *next = h_next + b * out_size + first;       /* [count] */
    const SFX(kernel_table) *gates = SFX(gates_of)(net);

    switch (cfg->cell) {
    case RR_CELL_RNN:
        gates->rnn(cfg, count, gi, gh, next);
        break;
    case RR_CELL_LSTM: {
        const REAL *peep = slot->peepholes != NULL
                               ? (const REAL *)slot->peepholes + first
                               : NULL;
        /* with a projection, m = o * tanh(c_t) waits for W_hr */
        REAL *m = cfg->proj_size > 0 ? run->m + b * hidden + first : next;
        gates->lstm(cfg, count, gi, nr, gh, nr, peep, hidden, c, m);
        break;
    }
    case RR_CELL_GRU:
        if (cfg->linear_before_reset) {
            gates->gru(cfg, count, gi, nr, gh, nr, prev, next);
        } else {
            /* n waits for W_hn (r * h_{t-1}) */
            gates->gru_rz(cfg, count, gi, nr, gh, nr, prev,
                          run->z + b * hidden + first,
                          run->m + b * hidden + first);
        }
        break;
    }
}

/* After h_t of units [first, first+count) is final: copy it to the output
 * row of every running batch row, and carry h_{t-1} over for the rows
 * that have ended. */
static void SFX(finish_units)(const SFX(run) *run, size_t step, int reverse,
                              size_t first, size_t count, const REAL *h_prev,
                              REAL *h_next, REAL *out, size_t out_offset)
{
    const size_t out_size = run->net->out_size;
    const size_t width = run->net->directions * out_size; /* D*H_out */
    for (size_t b = 0; b < run->batch; b++) {
        size_t t = 0;
        REAL *next = h_next + b * out_size + first;
        if (SFX(row_time)(run, b, step, reverse, &t)) {
            /* the state is written at the position of the input it read */
            memcpy(out + (t * run->batch + b) * width + out_offset + first,
                   next, count * sizeof(REAL));
        } else {
            memcpy(next, h_prev + b * out_size + first, count * sizeof(REAL));
        }
    }
}

/* The i-th group of [begin, end) that a step visits: in order on even
 * steps, backwards on odd ones. A matrix larger than a cache, read in the
 * same order every step, misses that cache on every line (each line is
 * evicted just before it is needed again); read back and forth, the lines
 * read last in one step are the first ones needed in the next, and still
 * cached. The order of the groups does not change any result. */
static size_t SFX(zigzag)(size_t step, size_t begin, size_t end, size_t i)
{
    return step % 2 == 0 ? begin + i : end - 1 - i;
}

/* Between c [B, H] and grouped [groups][B][nr], groups begin..end-1:
 * grouped[u][b][j] = c[b][u*nr + j] (`into` 1: c to grouped; 0: back). */
static void SFX(regroup)(REAL *c, REAL *grouped, size_t batch, size_t hidden,
                         size_t nr, size_t begin, size_t end, int into)
{
    for (size_t u = begin; u < end; u++) {
        const size_t first = u * nr;
        const size_t count = hidden - first < nr ? hidden - first : nr;
        for (size_t b = 0; b < batch; b++) {
            REAL *plain = c + b * hidden + first;
            REAL *block = grouped + (u * batch + b) * nr;
            memcpy(into ? block : plain, into ? plain : block,
                   count * sizeof(REAL));
        }
    }
}

/* One direction of one layer over the whole sequence.
 *   in  [T, B, I_l]; out [T, B, D*H_out], this direction writing columns
 *   out_offset .. out_offset+H_out-1; h [B, H_out] and c [B, H] hold the
 *   initial state and are left holding the final one. */
static void SFX(run_direction)(SFX(run) *run, rr_team *team, size_t tid,
                               const rr_slot *slot, int reverse,
                               const REAL *in, size_t in_width,
                               REAL *out, size_t out_offset, REAL *h, REAL *c)
{
    const rr_net *net = run->net;
    const rr_config *cfg = &net->cfg;
    const size_t batch = run->batch;
    const size_t hidden = cfg->hidden_size;
    const size_t out_size = net->out_size;               /* H_out */
    const size_t threads = rr_team_size(team);
    const int has_proj = cfg->proj_size > 0;
    const int gru_cho = cfg->cell == RR_CELL_GRU && !cfg->linear_before_reset;
    const rr_packed *w_hh = &slot->w_hh;
    const size_t nr = w_hh->nr;              /* as in W_ih and W_hn */
    const size_t tile_width = w_hh->gates * nr;          /* G*nr */
    const size_t gi_width = slot->w_ih.gates * nr;       /* G*nr of W_ih */
    const size_t rows = run->seq_len * batch;            /* T*B */
    REAL *tile = run->tile[tid];                         /* [B, G*nr] */

    size_t begin = 0, end = 0; /* this thread's groups of units */
    rr_team_share(w_hh->groups, threads, tid, &begin, &end);
    if (c != NULL) {
        SFX(regroup)(c, run->c_grouped, batch, hidden, nr, begin, end, 1);
    }
    /* proj = in [T*B, I_l] W_ih^T + b_ih, all steps at once */
    SFX(gemm_grouped)(net, team, tid, &slot->w_ih, rows, in, in_width,
                      run->proj);
    rr_team_sync(team);
    REAL *h_prev = h;            /* [B, H_out] h_{t-1} */
    REAL *h_next = run->h_other; /* [B, H_out] h_t */

    for (size_t step = 0; step < run->max_len; step++) {
        for (size_t i = 0; i < end - begin; i++) {
            const size_t u = SFX(zigzag)(step, begin, end, i);
            const size_t first = u * nr;
            const size_t count = hidden - first < nr ? hidden - first : nr;
            /* tile [B, G, nr] = h_{t-1} W_hh^T + b_hh, units first.. */
            SFX(product)(net, w_hh, u, batch, h_prev, out_size, tile, nr,
                         tile_width);
            for (size_t b = 0; b < batch; b++) {
                size_t t = 0;
                if (SFX(row_time)(run, b, step, reverse, &t)) {
                    const REAL *gi = run->proj                   /* [G][nr] */
                                     + (u * rows + t * batch + b) * gi_width;
                    REAL *c_row = run->c_grouped != NULL         /* [nr] */
                                      ? run->c_grouped + (u * batch + b) * nr
                                      : NULL;
                    SFX(row_gates)(run, slot, gi, tile + b * tile_width, nr,
                                   b, first, count, h_prev, h_next, c_row);
                }
            }
            if (!has_proj && !gru_cho) {
                SFX(finish_units)(run, step, reverse, first, count, h_prev,
                                  h_next, out, out_offset);
            }
        }
        rr_team_sync(team);

        if (has_proj) {
            /* h_t [B, P] = m [B, H] W_hr^T, this thread's groups of P */
            const rr_packed *w_hr = &slot->w_hr;
            size_t p_begin = 0, p_end = 0;
            rr_team_share(w_hr->groups, threads, tid, &p_begin, &p_end);
            for (size_t i = 0; i < p_end - p_begin; i++) {
                const size_t u = SFX(zigzag)(step, p_begin, p_end, i);
                const size_t first = u * w_hr->nr;
                const size_t count = out_size - first < w_hr->nr
                                         ? out_size - first : w_hr->nr;
                SFX(product)(net, w_hr, u, batch, run->m, hidden,
                             h_next + first, out_size, out_size);
                SFX(finish_units)(run, step, reverse, first, count, h_prev,
                                  h_next, out, out_offset);
            }
            rr_team_sync(team);
        }
        if (gru_cho) {
            /* hn = W_hn (r * h_{t-1}) + b_hn, then n and h_t; W_hn has
             * the same groups of units as W_hh */
            const rr_packed *w_hn = &slot->w_hn;
            for (size_t i = 0; i < end - begin; i++) {
                const size_t u = SFX(zigzag)(step, begin, end, i);
                const size_t first = u * nr;
                const size_t count = hidden - first < nr ? hidden - first : nr;
                SFX(product)(net, w_hn, u, batch, run->m, hidden, tile, nr,
                             nr);
                for (size_t b = 0; b < batch; b++) {
                    size_t t = 0;
                    if (!SFX(row_time)(run, b, step, reverse, &t)) {
                        continue;
                    }
                    const REAL *gi_n = run->proj /* gate n: W_in x + b_in */
                                       + (u * rows + t * batch + b) * gi_width
                                       + 2 * nr;
                    const size_t at = b * hidden + first;
                    SFX(gates_of)(net)->gru_n(cfg, count, gi_n, tile + b * nr,
                                              h_prev + at, run->z + at,
                                              h_next + at);
                }
                SFX(finish_units)(run, step, reverse, first, count, h_prev,
                                  h_next, out, out_offset);
            }
            rr_team_sync(team);
        }
        REAL *swap = h_prev; /* h_t becomes h_{t-1} */
        h_prev = h_next;
        h_next = swap;
    }
    if (h_prev != h && tid == 0) {
        memcpy(h, h_prev, batch * out_size * sizeof(REAL));
    }
    if (c != NULL) {
        SFX(regroup)(c, run->c_grouped, batch, hidden, nr, begin, end, 0);
    }
    rr_team_sync(team);
}

/* --- the whole call ------------------------------------------------------ */

/* What every thread of the call runs (SPMD; see the top of the file). */
static void SFX(run_all)(void *arg, rr_team *team, size_t tid)
{
    SFX(run) *run = arg;
    const rr_net *net = run->net;
    const rr_config *cfg = &net->cfg;
    const size_t layers = cfg->num_layers;
    const size_t directions = net->directions;
    const size_t batch = run->batch;
    const size_t width = directions * net->out_size;  /* D*H_out */
    const size_t rows = run->seq_len * batch;         /* T*B */

    for (size_t layer = 0; layer < layers; layer++) {
        /* layer 0 reads x [T, B, I]; layer l > 0 reads layer l-1's output */
        const REAL *in = layer == 0 ? run->x : run->layer_out[(layer - 1) % 2];
        const size_t in_width = layer == 0 ? cfg->input_size : width;
        REAL *out = run->layer_out[layer % 2];
        for (size_t d = 0; d < directions; d++) {
            const size_t slot = layer * directions + d;
            const int reverse = d == 1 || cfg->direction == RR_REVERSE;
            REAL *c = run->state_c != NULL
                          ? run->state_c + slot * batch * cfg->hidden_size
                          : NULL;
            SFX(run_direction)(run, team, tid, &net->slots[slot], reverse, in,
                               in_width, out, d * net->out_size,
                               run->state_h + slot * batch * net->out_size,
                               c);
        }
    }

    if (cfg->head != RR_HEAD_NONE) {
        const REAL *top = run->layer_out[(layers - 1) % 2]; /* [T*B, D*H_out] */
        const size_t classes = cfg->head_size;              /* O */
        /* y [T*B, O] = output [T*B, D*H_out] W_y^T + b_y, padding included */
        SFX(gemm)(net, team, tid, &net->head, rows, top, width, run->y,
                  classes);
        rr_team_sync(team);
        if (cfg->head == RR_HEAD_SOFTMAX) {
            size_t begin = 0, end = 0;
            rr_team_share(rows, rr_team_size(team), tid, &begin, &end);
            for (size_t r = begin; r < end; r++) {
                SFX(rr_softmax)(run->y + r * classes, classes);
            }
        }
    }
}

static void SFX(free_scratch)(SFX(run) *s)
{
    free(s->proj);
    free(s->layer_out[0]);
    free(s->layer_out[1]);
    free(s->state_h);
    free(s->state_c);
    free(s->h_other);
    free(s->c_grouped);
    free(s->m);
    free(s->z);
    free(s->tile[0]);
    free(s->tile[1]);
}

/* Allocate `*buffer` with the product of `factors` REALs. */
static rr_status SFX(alloc_buffer)(REAL **buffer, const char *what,
                                   const size_t *factors, size_t factor_count,
                                   int zeroed, rr_error *err)
{
    size_t count = 0;
    if (!rr_count_product(factors, factor_count, &count)) {
        return rr_fail(err, RR_E_SIZE,
                       "the scratch for %s overflows size_t", what);
    }
    *buffer = rr_alloc(count, sizeof(REAL), zeroed);
    if (*buffer == NULL) {
        return rr_fail(err, RR_E_NOMEM,
                       "cannot allocate %zu values of scratch for %s",
                       count, what);
    }
    return RR_OK;
}

static rr_status SFX(alloc_scratch)(const rr_net *net, size_t threads,
                                    SFX(run) *s, rr_error *err)
{
    const rr_config *cfg = &net->cfg;
    const size_t T = s->seq_len, B = s->batch, H = cfg->hidden_size;
    const size_t width = net->directions * net->out_size;    /* D*H_out */
    const size_t slots = cfg->num_layers * net->directions;  /* L*D */
    const int gru_cho = cfg->cell == RR_CELL_GRU && !cfg->linear_before_reset;
    /* every slot packs W_hh alike: the first one tells the tile width */
    const size_t tile_width = net->slots[0].w_hh.gates * net->slots[0].w_hh.nr;

    const rr_packed *w_ih = &net->slots[0].w_ih; /* every slot alike */
    rr_status status = SFX(alloc_buffer)(
        &s->proj, "the input projection",
        (const size_t[]){ T, B, w_ih->groups, w_ih->gates, w_ih->nr }, 5, 0,
        err);
    /* zero where t >= L_b; without lengths every position is written */
    const int padded = s->lengths != NULL;
    if (status == RR_OK) {
        status = SFX(alloc_buffer)(&s->layer_out[0], "the layer output",
                                   (const size_t[]){ T, B, width }, 3, padded,
                                   err);
    }
    if (status == RR_OK && cfg->num_layers > 1) {
        status = SFX(alloc_buffer)(&s->layer_out[1], "the layer output",
                                   (const size_t[]){ T, B, width }, 3, padded,
                                   err);
    }
    if (status == RR_OK) {
        status = SFX(alloc_buffer)(&s->state_h, "the hidden states",
                                   (const size_t[]){ slots, B, net->out_size },
                                   3, 1, err);
    }
    if (status == RR_OK && cfg->cell == RR_CELL_LSTM) {
        status = SFX(alloc_buffer)(&s->state_c, "the cell states",
                                   (const size_t[]){ slots, B, H }, 3, 1, err);
    }
    if (status == RR_OK && cfg->cell == RR_CELL_LSTM) {
        const rr_packed *w_hh = &net->slots[0].w_hh;
        status = SFX(alloc_buffer)(&s->c_grouped, "the cell states",
                                   (const size_t[]){ w_hh->groups, B,
                                                     w_hh->nr },
                                   3, 0, err);
    }
    if (status == RR_OK) {
        status = SFX(alloc_buffer)(&s->h_other, "the hidden state",
                                   (const size_t[]){ B, net->out_size }, 2, 0,
                                   err);
    }
    if (status == RR_OK && (cfg->proj_size > 0 || gru_cho)) {
        status = SFX(alloc_buffer)(&s->m, "the cell outputs",
                                   (const size_t[]){ B, H }, 2, 1, err);
    }
    if (status == RR_OK && gru_cho) {
        status = SFX(alloc_buffer)(&s->z, "the update gates",
                                   (const size_t[]){ B, H }, 2, 0, err);
    }
    for (size_t tid = 0; tid < threads && status == RR_OK; tid++) {
        status = SFX(alloc_buffer)(&s->tile[tid], "the recurrent product",
                                   (const size_t[]){ B, tile_width }, 2, 0,
                                   err);
    }
    return status;
}

/* Whether a second thread pays for itself (see RR_SECOND_THREAD in
 * sequence.c): it needs the AVX2 or AVX-512 kernels (the portable product
 * is one group, which cannot be shared) and enough work per barrier to
 * hide the meeting of the threads. */
static size_t SFX(thread_count)(const rr_net *net, size_t batch)
{
    if (!RR_SECOND_THREAD || net->cfg.num_threads < 2 ||
        (net->path != RR_PATH_AVX2 && net->path != RR_PATH_AVX512)) {
        return 1;
    }
    const rr_packed *w_hh = &net->slots[0].w_hh;
    /* multiply-adds of one step's recurrent product */
    const size_t work = batch * w_hh->k * w_hh->gates * w_hh->units;
    return work >= RR_THREAD_MIN_WORK ? 2 : 1;
}

rr_status SFX(rr_run_sequence)(const rr_net *net, size_t seq_len,
                               size_t batch, const REAL *x, const REAL *h0,
                               const REAL *c0, const int64_t *lengths,
                               REAL *output, REAL *h_n, REAL *c_n, REAL *y,
                               rr_error *err)
{
    if (net->path == RR_PATH_EXACT) { /* its own driver: exact_impl.h */
        return SFX(rr_exact_run_sequence)(net, seq_len, batch, x, h0, c0,
                                          lengths, output, h_n, c_n, y, err);
    }
    const rr_config *cfg = &net->cfg;
    const size_t slots = cfg->num_layers * net->directions;
    const size_t width = net->directions * net->out_size; /* D*H_out */
    const size_t h_count = slots * batch * net->out_size;
    const size_t c_count =
        cfg->cell == RR_CELL_LSTM ? slots * batch * cfg->hidden_size : 0;
    const size_t threads = SFX(thread_count)(net, batch);

    SFX(run) run = { 0 };
    run.net = net;
    run.seq_len = seq_len;
    run.batch = batch;
    run.x = x;
    run.lengths = lengths;
    run.y = y;
    rr_status status = SFX(alloc_scratch)(net, threads, &run, err);
    if (status != RR_OK) {
        SFX(free_scratch)(&run);
        return status;
    }

    /* States start from h0/c0 (copied: an output may alias them) or 0. */
    if (h0 != NULL) {
        memcpy(run.state_h, h0, h_count * sizeof(REAL));
    }
    if (c0 != NULL) {
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

    rr_team_run(threads, SFX(run_all), &run);

    const REAL *top = run.layer_out[(cfg->num_layers - 1) % 2];
    memcpy(output, top, seq_len * batch * width * sizeof(REAL));
    memcpy(h_n, run.state_h, h_count * sizeof(REAL));
    if (c_n != NULL) {
        memcpy(c_n, run.state_c, c_count * sizeof(REAL));
    }
    SFX(free_scratch)(&run);
    return RR_OK;
}

/*
 * step_impl.h - one time step of a forward-direction net for one precision
 * (REAL, SFX: see real.h), on arguments already checked, with its scratch
 * in a buffer the caller hands in: no allocation, no size check.
 *
 * It is the arithmetic of sequence_impl.h with T = 1, call for call (the
 * same products on the same rows, the same gate functions), so that a
 * step gives the bits of rr_net_forward with T = 1. Per layer l (input
 * in [B, I_l]: x_t, or layer l-1's h_t):
 *   proj [groups][B][G][nr] = in W_ih^T + b_ih          (every group first)
 *   per group u: tile [B][G][nr] = h_{t-1} W_hh^T + b_hh, then the gates of
 *   its units, row by row:
 *     rnn   h_t = phi(gi + gh)
 *     lstm  c_t = f * c_{t-1} + i * g,  m = o * tanh(c_t)  (h_t = m, or
 *           h_t = m W_hr^T with a projection)
 *     gru   h_t = (1 - z) * n + z * h_{t-1}  (n from W_hn (r * h_{t-1})
 *           + b_hn in a second pass without linear_before_reset)
 * then out_t = h_t of the top layer and y_t = out_t W_y^T + b_y (softmax).
 *
 * h_{t-1} is read from h, or from a copy in the scratch when h_next
 * overlaps h; c_next starts as a copy of c (none when they are the same)
 * and is updated in place: h_next may alias h and c_next alias c.
 */
#include "real.h"

#include "kernel_table_impl.h" /* the products and gates of each path */

/* The scratch of one step, carved from one buffer (see rr_step_prepare). */
typedef struct SFX(step_scratch) {
    REAL *h_prev; /* [L, B, H_out] h_{t-1}: h copied (in place), or zeros */
    REAL *proj;   /* [groups][B][G][nr] input projection of one layer     */
    REAL *tile;   /* [B][G][nr] one group's recurrent products            */
    REAL *m;      /* [B, H] lstm projection: o * tanh(c_t); gru without
                   * lbr: r * h_{t-1}                                     */
    REAL *z;      /* [B, H] gru without lbr: the update gate              */
    REAL *out;    /* [B, H_out] out_t while the top layer runs (a layer
                   * that writes out_t as well as h_t: see step_with),
                   * NULL below it                                        */
} SFX(step_scratch);

static RR_STEP_INLINE SFX(step_scratch)
    SFX(step_carve)(const rr_net *net, size_t batch, void *scratch)
{
    REAL *at = scratch;
    REAL *region[5];
    RR_UNROLL(5)
    for (size_t i = 0; i < 5; i++) {
        region[i] = at;
        at += rr_step_round(batch * net->step_scratch_row[i]);
    }
    return (SFX(step_scratch)){ region[0], region[1], region[2], region[3],
                                region[4], NULL };
}

/* One layer: in [B, in_width] -> h_next [B, H_out] (and c [B, H] in
 * place), h_prev [B, H_out] its h_{t-1}. A path may run a layer function
 * of its own with these arguments (step_avx512_impl.h). */
typedef void (*SFX(step_layer_fn))(const SFX(kernel_table) *, const rr_net *,
                                   const rr_slot *, size_t, const REAL *,
                                   size_t, const REAL *, REAL *, REAL *,
                                   const SFX(step_scratch) *);

static RR_STEP_INLINE void SFX(step_layer)(
    const SFX(kernel_table) *kern, const rr_net *net, const rr_slot *slot,
    size_t batch, const REAL *in, size_t in_width, const REAL *h_prev,
    REAL *h_next, REAL *c, const SFX(step_scratch) *s)
{
    const rr_config *cfg = &net->cfg;
    const size_t hidden = cfg->hidden_size;              /* H */
    const size_t out_size = net->out_size;               /* H_out */
    const int has_proj = cfg->proj_size > 0;
    const int gru_cho = cfg->cell == RR_CELL_GRU && !cfg->linear_before_reset;
    const rr_packed *w_hh = &slot->w_hh;
    const size_t nr = w_hh->nr;                          /* as in W_ih, W_hn */
    const size_t tile_width = w_hh->gates * nr;          /* G*nr of W_hh */
    const size_t gi_width = slot->w_ih.gates * nr;       /* G*nr of W_ih */
    const REAL *peep_all = slot->peepholes;              /* [3H] or NULL */

    /* proj = in [B, I_l] W_ih^T + b_ih, group by group */
    for (size_t u = 0; u < slot->w_ih.groups; u++) {
        kern->product(&slot->w_ih, u, batch, in, in_width,
                      s->proj + u * batch * gi_width, nr, gi_width);
    }
    for (size_t u = 0; u < w_hh->groups; u++) {
        const size_t first = u * nr;
        const size_t count = hidden - first < nr ? hidden - first : nr;
        /* tile [B, G, nr] = h_{t-1} W_hh^T + b_hh, units first.. */
        kern->product(w_hh, u, batch, h_prev, out_size, s->tile, nr,
                      tile_width);
        for (size_t b = 0; b < batch; b++) {
            const REAL *gi = s->proj + (u * batch + b) * gi_width; /* [G][nr] */
            const REAL *gh = s->tile + b * tile_width;              /* [G][nr] */
            REAL *next = h_next + b * out_size + first;             /* [count] */
            switch (cfg->cell) {
            case RR_CELL_RNN:
                kern->rnn(cfg, count, gi, gh, next);
                break;
            case RR_CELL_LSTM: {
                const REAL *peep = peep_all != NULL ? peep_all + first : NULL;
                REAL *m = has_proj ? s->m + b * hidden + first : next;
                kern->lstm(cfg, count, gi, nr, gh, nr, peep, hidden,
                           c + b * hidden + first, m);
                break;
            }
            case RR_CELL_GRU:
                if (!gru_cho) {
                    kern->gru(cfg, count, gi, nr, gh, nr,
                              h_prev + b * out_size + first, next);
                } else {
                    kern->gru_rz(cfg, count, gi, nr, gh, nr,
                                 h_prev + b * out_size + first,
                                 s->z + b * hidden + first,
                                 s->m + b * hidden + first);
                }
                break;
            }
        }
    }
    if (has_proj) {
        /* h_t [B, P] = m [B, H] W_hr^T */
        for (size_t u = 0; u < slot->w_hr.groups; u++) {
            kern->product(&slot->w_hr, u, batch, s->m, hidden,
                          h_next + u * slot->w_hr.nr, out_size, out_size);
        }
    }
    if (gru_cho) {
        /* hn = W_hn (r * h_{t-1}) + b_hn, then n and h_t */
        for (size_t u = 0; u < slot->w_hn.groups; u++) {
            const size_t first = u * nr;
            const size_t count = hidden - first < nr ? hidden - first : nr;
            kern->product(&slot->w_hn, u, batch, s->m, hidden, s->tile, nr,
                          nr);
            for (size_t b = 0; b < batch; b++) {
                const REAL *gi_n = s->proj + (u * batch + b) * gi_width
                                   + 2 * nr; /* gate n: W_in x + b_in */
                const size_t at = b * hidden + first;
                kern->gru_n(cfg, count, gi_n, s->tile + b * nr, h_prev + at,
                            s->z + at, h_next + at);
            }
        }
    }
}

/* The whole step (see the top of the file), each layer by `layer`
 * (SFX(step_layer), or a path's own). reads_h_first: the layer reads all
 * of its h_{t-1} before it writes any of h_t (and each unit's own h_{t-1}
 * before its h_t), so h_next == h needs no copy of h. writes_out: the
 * layer stores its h_t to s->out too when that is not NULL (the top
 * layer's h_t is out_t), so out_t needs no copy from h_next. */
static RR_STEP_INLINE void SFX(step_with)(
    const SFX(kernel_table) *kern, SFX(step_layer_fn) layer,
    int reads_h_first, int writes_out, const rr_net *net, size_t batch,
    const void *x_v, const void *h_v, const void *c_v, void *out_v,
    void *h_next_v, void *c_next_v, void *y_v, void *scratch)
{
    const rr_config *cfg = &net->cfg;
    const REAL *x = x_v;   /* [B, I] */
    const REAL *h = h_v;   /* [L, B, H_out] or NULL */
    const REAL *c = c_v;   /* [L, B, H] or NULL */
    REAL *out = out_v;     /* [B, H_out] */
    REAL *h_next = h_next_v;
    REAL *c_next = c_next_v;
    REAL *y = y_v;         /* [B, O] or NULL */
    const size_t layers = cfg->num_layers;
    const size_t out_size = net->out_size;
    const size_t h_count = layers * batch * out_size;      /* L*B*H_out */
    const size_t c_count = batch * net->step_c_row;        /* L*B*H */
    SFX(step_scratch) s = SFX(step_carve)(net, batch, scratch);

    /* h_{t-1}: h itself unless the step writes over it (h_next overlaps h),
     * then a copy; zeros for NULL */
    const REAL *h_prev = h;
    const uintptr_t h_at = (uintptr_t)h, h_next_at = (uintptr_t)h_next;
    const size_t h_bytes = h_count * sizeof(REAL);
    if (h == NULL) {
        memset(s.h_prev, 0, h_bytes);
        h_prev = s.h_prev;
    } else if (h_at < h_next_at + h_bytes && h_next_at < h_at + h_bytes &&
               !(reads_h_first && h_at == h_next_at)) {
        memcpy(s.h_prev, h, h_bytes);
        h_prev = s.h_prev;
    }
    if (c_next != NULL) {
        if (c == NULL) {
            memset(c_next, 0, c_count * sizeof(REAL));
        } else if (c != c_next) {
            memmove(c_next, c, c_count * sizeof(REAL));
        }
    }
    for (size_t l = 0; l < layers; l++) {
        const REAL *in = l == 0 ? x : h_next + (l - 1) * batch * out_size;
        const size_t in_width = l == 0 ? cfg->input_size : out_size;
        REAL *c_layer =
            c_next != NULL ? c_next + l * batch * cfg->hidden_size : NULL;
        s.out = writes_out && l + 1 == layers ? out : NULL;
        layer(kern, net, &net->slots[l], batch, in, in_width,
              h_prev + l * batch * out_size, h_next + l * batch * out_size,
              c_layer, &s);
    }
    if (!writes_out) {
        memcpy(out, h_next + (layers - 1) * batch * out_size,
               batch * out_size * sizeof(REAL));
    }

    if (cfg->head != RR_HEAD_NONE) {
        /* y [B, O] = out_t [B, H_out] W_y^T + b_y */
        const rr_packed *head = &net->head;
        for (size_t u = 0; u < head->groups; u++) {
            kern->product(head, u, batch, out, out_size, y + u * head->nr,
                          head->units, cfg->head_size);
        }
        if (cfg->head == RR_HEAD_SOFTMAX) {
            for (size_t b = 0; b < batch; b++) {
                SFX(rr_softmax)(y + b * cfg->head_size, cfg->head_size);
            }
        }
    }
}


/* The step of the portable path. */
static void SFX(step_portable)(const rr_net *net, size_t batch,
                               const void *x, const void *h, const void *c,
                               void *out, void *h_next, void *c_next,
                               void *y, void *scratch)
{
    SFX(step_with)(&SFX(portable_kernels), SFX(step_layer), 0, 0, net,
                   batch, x, h, c, out, h_next, c_next, y, scratch);
}

#if RR_HAVE_AVX2_KERNELS

/* The step of the AVX2 path. */
static void SFX(step_avx2)(const rr_net *net, size_t batch, const void *x,
                           const void *h, const void *c, void *out,
                           void *h_next, void *c_next, void *y,
                           void *scratch)
{
    SFX(step_with)(&SFX(avx2_kernels), SFX(step_layer), 0, 0, net, batch,
                   x, h, c, out, h_next, c_next, y, scratch);
}
#endif

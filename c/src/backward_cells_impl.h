/*
 * backward_cells_impl.h - one step of each cell for one batch row, forward
 * (writing what the backward step needs into the tape) and backward; one
 * precision (REAL, SFX: see real.h), included by backward_impl.h.
 *
 * The forward equations are those of cells_impl.h, in the plain order of
 * the numpy reference (python/rnn_rosetta/backward/cells_backward.py),
 * whose backward equations these are, line for line. Notation: dv is
 * dL/dv; a weight W [N, K] times a row v [K]: W v; its backward adds
 * dW += dv v^T and gives dv_in = W^T dv. Derivatives: sigmoid' = s (1-s),
 * tanh' = 1 - tanh^2, relu'(a) = [a > 0], clip'(a) = [-clip <= a <= clip]
 * (a clamped value does not move; NaN passes).
 */
#include "real.h"

#include <math.h>

/* One direction's weights and sizes, REAL, as the tape holds them. */
typedef struct SFX(bw_cell) {
    const rr_layer_config *layer;
    size_t in;     /* I_l   */
    size_t hidden; /* H     */
    size_t out;    /* H_out */
    size_t gates;  /* G     */
    const REAL *w_ih, *w_hh, *b_ih, *b_hh, *w_hr, *peep;
} SFX(bw_cell);

/* The gradient arrays of one direction inside the flat [P] buffer. */
typedef struct SFX(bw_grads) {
    REAL *w_ih, *w_hh, *b_ih, *b_hh, *w_hr, *peep;
} SFX(bw_grads);

/* One row's slice of a direction tape (row r = t*B + b). */
typedef struct SFX(bw_row) {
    const REAL *x;  /* [I_l]                       */
    REAL *h_prev;   /* [H_out]                     */
    REAL *c_prev;   /* [H] lstm                    */
    REAL *pre;      /* [G*H]                       */
    REAL *act;      /* [G*H]                       */
    REAL *c_t;      /* [H] lstm                    */
    REAL *tanh_c;   /* [H] lstm                    */
    REAL *hn;       /* [H] gru                     */
    REAL *h_t;      /* [H_out]                     */
} SFX(bw_row);

/* out [rows] = bias + W v, W [rows, k] row-major */
static void SFX(bw_affine)(const REAL *w, const REAL *bias, size_t rows,
                           size_t k, const REAL *v, REAL *out)
{
    for (size_t i = 0; i < rows; i++) {
        REAL acc = REAL_C(0.0);
        for (size_t j = 0; j < k; j++) {
            acc += w[i * k + j] * v[j];
        }
        out[i] = acc + (bias != NULL ? bias[i] : REAL_C(0.0));
    }
}

/* dv [k] += W^T d, W [rows, k] */
static void SFX(bw_back_add)(const REAL *w, size_t rows, size_t k,
                             const REAL *d, REAL *dv)
{
    for (size_t i = 0; i < rows; i++) {
        const REAL di = d[i];
        for (size_t j = 0; j < k; j++) {
            dv[j] += di * w[i * k + j];
        }
    }
}

/* dW [rows, k] += d v^T; db [rows] += d (db NULL: no bias) */
static void SFX(bw_outer_add)(REAL *dw, REAL *db, size_t rows, size_t k,
                              const REAL *d, const REAL *v)
{
    for (size_t i = 0; i < rows; i++) {
        const REAL di = d[i];
        for (size_t j = 0; j < k; j++) {
            dw[i * k + j] += di * v[j];
        }
        if (db != NULL) {
            db[i] += di;
        }
    }
}

/* clip(a) when the layer clips, else a */
static REAL SFX(bw_clip)(const rr_layer_config *layer, REAL a)
{
    return layer->has_clip ? SFX(rr_clamp)(a, (REAL)layer->clip) : a;
}

/* clip'(a): 0 where the clamp moved a, else 1 */
static REAL SFX(bw_clip_slope)(const rr_layer_config *layer, REAL a)
{
    const REAL bound = (REAL)layer->clip;
    return layer->has_clip && (a < -bound || a > bound) ? REAL_C(0.0)
                                                        : REAL_C(1.0);
}

/* --- forward, one row ----------------------------------------------------
 * gi [G*H] = W_ih x + b_ih and gh = W_hh h_{t-1} + b_hh come in computed
 * (for all rows at once, by the net's product kernel). */

static void SFX(bw_rnn_forward)(const SFX(bw_cell) *c, SFX(bw_row) *r,
                                const REAL *gi, const REAL *gh)
{
    for (size_t j = 0; j < c->hidden; j++) {
        /* a = W_ih x + b_ih + W_hh h + b_hh */
        const REAL a = gi[j] + gh[j];
        /* s = clip(a) */
        const REAL s = SFX(bw_clip)(c->layer, a);
        r->pre[j] = a;
        r->act[j] = c->layer->nonlinearity == RR_RELU ? SFX(rr_relu)(s)
                                                      : REAL_TANH(s);
        /* h_t = phi(s) */
        r->h_t[j] = r->act[j];
    }
}

/* m [H] = o tanh(c_t): h_t itself (or, with a projection, what W_hr
 * multiplies: the caller does). */
static void SFX(bw_lstm_forward)(const SFX(bw_cell) *c, SFX(bw_row) *r,
                                 const REAL *gi, const REAL *gh, REAL *m)
{
    const size_t H = c->hidden;
    const rr_layer_config *L = c->layer;
    const REAL *p = c->peep;
    for (size_t j = 0; j < H; j++) {
        const REAL cp = r->c_prev[j];
        REAL z_i = gi[j] + gh[j];
        REAL z_f = gi[H + j] + gh[H + j];
        const REAL z_g = gi[2 * H + j] + gh[2 * H + j];
        REAL z_o = gi[3 * H + j] + gh[3 * H + j];
        if (p != NULL) {
            z_i += p[j] * cp;                     /* z_i = a_i + p_i c_{t-1} */
            z_f += p[H + j] * cp;                 /* z_f = a_f + p_f c_{t-1} */
        }
        const REAL i = SFX(rr_sigmoid)(SFX(bw_clip)(L, z_i));
        const REAL f = SFX(rr_sigmoid)(SFX(bw_clip)(L, z_f));
        const REAL g = REAL_TANH(SFX(bw_clip)(L, z_g));
        const REAL ct = f * cp + i * g;           /* c_t = f c_{t-1} + i g   */
        if (p != NULL) {
            z_o += p[2 * H + j] * ct;             /* z_o = a_o + p_o c_t     */
        }
        const REAL o = SFX(rr_sigmoid)(SFX(bw_clip)(L, z_o));
        const REAL tc = REAL_TANH(ct);
        r->pre[j] = z_i;
        r->pre[H + j] = z_f;
        r->pre[2 * H + j] = z_g;
        r->pre[3 * H + j] = z_o;
        r->act[j] = i;
        r->act[H + j] = f;
        r->act[2 * H + j] = g;
        r->act[3 * H + j] = o;
        r->c_t[j] = ct;
        r->tanh_c[j] = tc;
        m[j] = o * tc;                            /* m = o tanh(c_t)         */
    }
}

/* GRU, first half: r and z from gi, gh [2H]; without linear_before_reset
 * also hn = r h_{t-1} (what W_hn multiplies next). */
static void SFX(bw_gru_rz_forward)(const SFX(bw_cell) *c, SFX(bw_row) *r,
                                   const REAL *gi, const REAL *gh)
{
    const size_t H = c->hidden;
    for (size_t j = 0; j < 2 * H; j++) {
        /* z_r, z_z */
        r->pre[j] = gi[j] + gh[j];
        /* r, z */
        r->act[j] = SFX(rr_sigmoid)(SFX(bw_clip)(c->layer, r->pre[j]));
    }
    if (!c->layer->linear_before_reset) {
        for (size_t j = 0; j < H; j++) {
            r->hn[j] = r->act[j] * r->h_prev[j];  /* hn = r h_{t-1}           */
        }
    }
}

/* GRU, second half: hn_w [H] = W_hn h_{t-1} + b_hn (linear before reset)
 * or W_hn (r h_{t-1}) + b_hn (reset before linear). */
static void SFX(bw_gru_n_forward)(const SFX(bw_cell) *c, SFX(bw_row) *r,
                                  const REAL *gi, const REAL *hn_w)
{
    const size_t H = c->hidden;
    const int lbr = c->layer->linear_before_reset;
    for (size_t j = 0; j < H; j++) {
        const REAL rg = r->act[j], z = r->act[H + j];
        if (lbr) {
            r->hn[j] = hn_w[j];                   /* hn = W_hn h + b_hn      */
        }
        /* z_n = a_n + r hn (lbr) or a_n + W_hn (r h) + b_hn */
        r->pre[2 * H + j] = gi[2 * H + j] + (lbr ? rg * hn_w[j] : hn_w[j]);
        const REAL n = REAL_TANH(SFX(bw_clip)(c->layer, r->pre[2 * H + j]));
        r->act[2 * H + j] = n;
        /* (1-z) n + z h */
        r->h_t[j] = (REAL_C(1.0) - z) * n + z * r->h_prev[j];
    }
}

/* --- backward, one row ----------------------------------------------------
 * From dh_t [H_out] (and dc [H], lstm: dL/dc_t in, dL/dc_{t-1} out): the
 * gradients of the gate pre-activations, da_x [G*H] (what W_ih and b_ih
 * see, with input x) and da_h [G*H] (what W_hh and b_hh see, with input
 * h_{t-1}; gru: its n rows see hn), and dh_part [H_out], the part of
 * dh_{t-1} that does not go through W_hh. The products with the weights
 * (dW += da v^T, dx += W_ih^T da, dh_{t-1} += W_hh^T da_h) are taken for
 * all rows at once by backward_pass_impl.h. */

static void SFX(bw_rnn_backward)(const SFX(bw_cell) *c, const SFX(bw_row) *r,
                                 const REAL *dh_t, REAL *da, REAL *dh_part)
{
    for (size_t j = 0; j < c->hidden; j++) {
        const REAL h = r->act[j];
        const REAL slope = c->layer->nonlinearity == RR_RELU
                               ? (h > REAL_C(0.0) ? REAL_C(1.0) : REAL_C(0.0))
                               : REAL_C(1.0) - h * h;
        /* da = dh_t phi'(s) clip'(a); relu' = [h_t > 0], tanh' = 1 - h_t^2 */
        da[j] = dh_t[j] * slope * SFX(bw_clip_slope)(c->layer, r->pre[j]);
        dh_part[j] = REAL_C(0.0);           /* dh_{t-1} = W_hh^T da only     */
    }
}

static void SFX(bw_lstm_backward)(const SFX(bw_cell) *c, const SFX(bw_row) *r,
                                  const SFX(bw_grads) *g, const REAL *dh_t,
                                  REAL *dc, REAL *da, REAL *dh_part, REAL *dm)
{
    const size_t H = c->hidden;
    const rr_layer_config *L = c->layer;
    const REAL *p = c->peep;
    const REAL *act = r->act;
    if (c->w_hr != NULL) {
        for (size_t j = 0; j < H; j++) {
            dm[j] = REAL_C(0.0);
            da[j] = act[3 * H + j] * r->tanh_c[j]; /* m, recomputed */
        }
        /* dW_hr += dh_t m^T */
        SFX(bw_outer_add)(g->w_hr, NULL, c->out, H, dh_t, da);
        /* dm = W_hr^T dh_t */
        SFX(bw_back_add)(c->w_hr, c->out, H, dh_t, dm);
    } else {
        for (size_t j = 0; j < H; j++) {
            /* dm = dh_t */
            dm[j] = dh_t[j];
        }
    }
    for (size_t j = 0; j < H; j++) {
        const REAL i = act[j], f = act[H + j];
        const REAL gg = act[2 * H + j], o = act[3 * H + j];
        const REAL tc = r->tanh_c[j], cp = r->c_prev[j];
        /* dz_o = dm tanh(c_t) o (1 - o) clip'(z_o) */
        const REAL dz_o = dm[j] * tc * o * (REAL_C(1.0) - o) *
                          SFX(bw_clip_slope)(L, r->pre[3 * H + j]);
        /* dc = dc_t + dm o (1 - tanh(c_t)^2) + dz_o p_o: every path into c_t */
        REAL dct = dc[j] + dm[j] * o * (REAL_C(1.0) - tc * tc);
        if (p != NULL) {
            dct += dz_o * p[2 * H + j];
            g->peep[2 * H + j] += dz_o * r->c_t[j];       /* dp_o += dz_o c_t */
        }
        /* dz_i = dc g i (1 - i) clip'(z_i) */
        const REAL dz_i = dct * gg * i * (REAL_C(1.0) - i) *
                          SFX(bw_clip_slope)(L, r->pre[j]);
        /* dz_f = dc c_{t-1} f (1 - f) clip'(z_f) */
        const REAL dz_f = dct * cp * f * (REAL_C(1.0) - f) *
                          SFX(bw_clip_slope)(L, r->pre[H + j]);
        /* dz_g = dc i (1 - g^2) clip'(z_g) */
        const REAL dz_g = dct * i * (REAL_C(1.0) - gg * gg) *
                          SFX(bw_clip_slope)(L, r->pre[2 * H + j]);
        /* dc_{t-1} = dc f + dz_i p_i + dz_f p_f */
        REAL dcp = dct * f;
        if (p != NULL) {
            dcp += dz_i * p[j] + dz_f * p[H + j];
            /* dp_i += dz_i c_{t-1} */
            g->peep[j] += dz_i * cp;
            /* dp_f += dz_f c_{t-1} */
            g->peep[H + j] += dz_f * cp;
        }
        dc[j] = dcp;
        /* da = [dz_i, dz_f, dz_g, dz_o] */
        da[j] = dz_i;
        da[H + j] = dz_f;
        da[2 * H + j] = dz_g;
        da[3 * H + j] = dz_o;
    }
    for (size_t j = 0; j < c->out; j++) {
        /* dh_{t-1} = W_hh^T da only */
        dh_part[j] = REAL_C(0.0);
    }
}

/* dv [H] scratch */
static void SFX(bw_gru_backward)(const SFX(bw_cell) *c, const SFX(bw_row) *r,
                                 const REAL *dh_t, REAL *da_x, REAL *da_h,
                                 REAL *dh_part, REAL *dv)
{
    const size_t H = c->hidden;
    const rr_layer_config *L = c->layer;
    const REAL *w_hn = c->w_hh + 2 * H * H;
    const REAL *act = r->act;
    for (size_t j = 0; j < H; j++) {
        const REAL z = act[H + j], n = act[2 * H + j];
        /* dh_{t-1} = dh_t z */
        dh_part[j] = dh_t[j] * z;
        /* dn = dh_t (1 - z) */
        const REAL dn = dh_t[j] * (REAL_C(1.0) - z);
        /* dz = dh_t (h_{t-1} - n) */
        da_x[H + j] = dh_t[j] * (r->h_prev[j] - n);
        /* da_n = dn (1 - n^2) clip'(z_n) */
        da_x[2 * H + j] = dn * (REAL_C(1.0) - n * n) *
                          SFX(bw_clip_slope)(L, r->pre[2 * H + j]);
    }
    const REAL *da_n = da_x + 2 * H;
    if (L->linear_before_reset) {
        for (size_t j = 0; j < H; j++) {
            /* da_hn = da_n r */
            da_h[2 * H + j] = da_n[j] * act[j];
            /* dr = da_n hn */
            da_x[j] = da_n[j] * r->hn[j];
        }
        /* dh_{t-1} += W_hn^T da_hn: with W_hh */
    } else {
        for (size_t j = 0; j < H; j++) {
            dv[j] = REAL_C(0.0);
            /* W_hn reads r h */
            da_h[2 * H + j] = da_n[j];
        }
        /* d(rh) = W_hn^T da_n */
        SFX(bw_back_add)(w_hn, H, H, da_n, dv);
        for (size_t j = 0; j < H; j++) {
            /* dr = d(rh) h_{t-1} */
            da_x[j] = dv[j] * r->h_prev[j];
            /* dh_{t-1} += d(rh) r */
            dh_part[j] += dv[j] * act[j];
        }
    }
    for (size_t j = 0; j < 2 * H; j++) {
        /* r or z */
        const REAL s = act[j];
        /* da_r = dr r (1 - r) clip'(z_r); da_z likewise */
        da_x[j] = da_x[j] * s * (REAL_C(1.0) - s) *
                  SFX(bw_clip_slope)(L, r->pre[j]);
        /* W_hh[r,z] see the same */
        da_h[j] = da_x[j];
    }
}

/*
 * exact_cells_impl.h - one time step of the exact kernel for one batch row
 * (docs/exact-kernel.md, "One time step"), one storage precision (REAL,
 * SFX: see real.h). The pre-activations come in as normalized dd vectors:
 * gi = the input projection [G*H] (gate blocks in the fixture's order),
 * gh = the recurrent product [G_hh*H]; a(r) = dd_add(gi(r), gh(r)).
 * States are REAL; every stored value is round(d) = d.hi, cast to REAL
 * (for float32: (float) of the hi of the float64 algorithm's dd).
 *
 * Each cell runs in phases over all H units, so that the elementary
 * functions run over vectors (rr_sigmoid_dd_n, rr_tanh_dd_n); each unit's
 * operations are those of the spec, in its order. tmp holds
 * RR_EXACT_CELL_TMP dd vectors [H] of scratch.
 */
#include "real.h"

/* A dd vector: element i is (hi[i], lo[i]). */
static inline rr_dd SFX(exact_at)(const rr_dd_vec v, size_t i)
{
    return rr_dd_make(v.hi[i], v.lo[i]);
}

static inline void SFX(exact_put)(rr_dd_vec v, size_t i, rr_dd d)
{
    v.hi[i] = d.hi;
    v.lo[i] = d.lo;
}

/* clip_dd(a, L) when the model clips (limit: L, as the precision holds
 * it), else a */
static inline rr_dd SFX(exact_clip)(const rr_config *cfg, double limit,
                                    rr_dd a)
{
    return cfg->has_clip ? rr_dd_clip(a, limit) : a;
}

/* v[j] = clip(a(first + j)) = clip(gi(first + j) + gh(first + j)), j < H */
static void SFX(exact_gate_pre)(const rr_config *cfg, double limit,
                                size_t hidden, rr_dd_vec gi, rr_dd_vec gh,
                                size_t first, rr_dd_vec v)
{
    for (size_t j = 0; j < hidden; j++) {
        const rr_dd a = rr_dd_add(SFX(exact_at)(gi, first + j),
                                  SFX(exact_at)(gh, first + j));
        SFX(exact_put)(v, j, SFX(exact_clip)(cfg, limit, a));
    }
}

/* RNN: h_t[j] = round(phi(clip(a(j)))), phi = tanh_dd or relu_dd */
static void SFX(exact_rnn_row)(const rr_config *cfg, double limit,
                               size_t hidden, rr_dd_vec gi, rr_dd_vec gh,
                               const rr_dd_vec *tmp, REAL *h_next)
{
    const rr_dd_vec a = tmp[0];
    SFX(exact_gate_pre)(cfg, limit, hidden, gi, gh, 0, a);
    if (cfg->nonlinearity == RR_RELU) {
        for (size_t j = 0; j < hidden; j++) {
            h_next[j] = (REAL)rr_dd_relu(SFX(exact_at)(a, j)).hi;
        }
        return;
    }
    rr_tanh_dd_n(hidden, a, a);
    for (size_t j = 0; j < hidden; j++) {
        h_next[j] = (REAL)a.hi[j];
    }
}

/*
 * LSTM, units j < H; c [H] holds c_{t-1} and gets c_t; m [H] gets
 * round(o * tanh(c_t)) as a double (what W_hr multiplies; the caller
 * stores it as h_t without a projection). peep = p_i [H], p_f [H], p_o [H]
 * or NULL.
 *   a_i += two_prod(c_prev, p_i); a_f += two_prod(c_prev, p_f)
 *   i = sigmoid(clip(a_i)); f = sigmoid(clip(a_f)); g = tanh(clip(a_g))
 *   c_t = f * c_prev + i * g
 *   a_o += c_t * p_o; o = sigmoid(clip(a_o)); m = o * tanh(c_t)
 */
static void SFX(exact_lstm_row)(const rr_config *cfg, double limit,
                                size_t hidden, rr_dd_vec gi, rr_dd_vec gh,
                                const REAL *peep, const rr_dd_vec *tmp,
                                REAL *c, double *m)
{
    const size_t H = hidden;
    const rr_dd_vec i_gate = tmp[0], f_gate = tmp[1], g_gate = tmp[2];
    const rr_dd_vec o_gate = tmp[3], c_t = tmp[4];
    for (size_t j = 0; j < H; j++) {
        const double c_prev = (double)c[j];
        rr_dd a_i = rr_dd_add(SFX(exact_at)(gi, j), SFX(exact_at)(gh, j));
        rr_dd a_f = rr_dd_add(SFX(exact_at)(gi, H + j),
                              SFX(exact_at)(gh, H + j));
        const rr_dd a_g = rr_dd_add(SFX(exact_at)(gi, 2 * H + j),
                                    SFX(exact_at)(gh, 2 * H + j));
        if (peep != NULL) {
            a_i = rr_dd_add(a_i, rr_two_prod(c_prev, (double)peep[j]));
            a_f = rr_dd_add(a_f, rr_two_prod(c_prev, (double)peep[H + j]));
        }
        SFX(exact_put)(i_gate, j, SFX(exact_clip)(cfg, limit, a_i));
        SFX(exact_put)(f_gate, j, SFX(exact_clip)(cfg, limit, a_f));
        SFX(exact_put)(g_gate, j, SFX(exact_clip)(cfg, limit, a_g));
    }
    rr_sigmoid_dd_n(H, i_gate, i_gate);
    rr_sigmoid_dd_n(H, f_gate, f_gate);
    rr_tanh_dd_n(H, g_gate, g_gate);
    for (size_t j = 0; j < H; j++) {
        const rr_dd ct = rr_dd_add(
            rr_dd_mul(SFX(exact_at)(f_gate, j), rr_dd_of((double)c[j])),
            rr_dd_mul(SFX(exact_at)(i_gate, j), SFX(exact_at)(g_gate, j)));
        rr_dd a_o = rr_dd_add(SFX(exact_at)(gi, 3 * H + j),
                              SFX(exact_at)(gh, 3 * H + j));
        if (peep != NULL) {
            a_o = rr_dd_add(a_o,
                            rr_dd_mul(ct, rr_dd_of((double)peep[2 * H + j])));
        }
        SFX(exact_put)(o_gate, j, SFX(exact_clip)(cfg, limit, a_o));
        SFX(exact_put)(c_t, j, ct);
        c[j] = (REAL)ct.hi; /* c_t = round(c_t) */
    }
    rr_sigmoid_dd_n(H, o_gate, o_gate);
    rr_tanh_dd_n(H, c_t, c_t);
    for (size_t j = 0; j < H; j++) {
        m[j] = rr_dd_mul(SFX(exact_at)(o_gate, j), SFX(exact_at)(c_t, j)).hi;
    }
}

/* h_t = round((1 - z) * n + z * h_prev) for j < H, n [H] and z [H] dd */
static void SFX(exact_gru_blend)(size_t hidden, rr_dd_vec z, rr_dd_vec n,
                                 const REAL *h_prev, REAL *h_next)
{
    for (size_t j = 0; j < hidden; j++) {
        const rr_dd zj = SFX(exact_at)(z, j);
        const rr_dd h = rr_dd_add(
            rr_dd_mul(rr_dd_sub(rr_dd_of(1.0), zj), SFX(exact_at)(n, j)),
            rr_dd_mul(zj, rr_dd_of((double)h_prev[j])));
        h_next[j] = (REAL)h.hi;
    }
}

/* GRU, linear_before_reset = 1: r, z = sigmoid(clip(a)),
 * n = tanh(clip(gi_n + r * gh_n)), h_t = (1 - z) n + z h_prev */
static void SFX(exact_gru_row)(const rr_config *cfg, double limit,
                               size_t hidden, rr_dd_vec gi, rr_dd_vec gh,
                               const rr_dd_vec *tmp, const REAL *h_prev,
                               REAL *h_next)
{
    const size_t H = hidden;
    const rr_dd_vec r = tmp[0], z = tmp[1], n = tmp[2];
    SFX(exact_gate_pre)(cfg, limit, H, gi, gh, 0, r);
    SFX(exact_gate_pre)(cfg, limit, H, gi, gh, H, z);
    rr_sigmoid_dd_n(H, r, r);
    rr_sigmoid_dd_n(H, z, z);
    for (size_t j = 0; j < H; j++) {
        const rr_dd a = rr_dd_add(SFX(exact_at)(gi, 2 * H + j),
                                  rr_dd_mul(SFX(exact_at)(r, j),
                                            SFX(exact_at)(gh, 2 * H + j)));
        SFX(exact_put)(n, j, SFX(exact_clip)(cfg, limit, a));
    }
    rr_tanh_dd_n(H, n, n);
    SFX(exact_gru_blend)(H, z, n, h_prev, h_next);
}

/* GRU, linear_before_reset = 0, first half: z [H] = sigmoid(clip(a_z)) and
 * rh [H] = r * h_prev (a dd vector, what W_hn multiplies) */
static void SFX(exact_gru_rz_row)(const rr_config *cfg, double limit,
                                  size_t hidden, rr_dd_vec gi, rr_dd_vec gh,
                                  const REAL *h_prev, rr_dd_vec z,
                                  rr_dd_vec rh)
{
    const size_t H = hidden;
    SFX(exact_gate_pre)(cfg, limit, H, gi, gh, 0, rh);
    SFX(exact_gate_pre)(cfg, limit, H, gi, gh, H, z);
    rr_sigmoid_dd_n(H, rh, rh); /* r */
    rr_sigmoid_dd_n(H, z, z);
    for (size_t j = 0; j < H; j++) {
        SFX(exact_put)(rh, j, rr_dd_mul(SFX(exact_at)(rh, j),
                                        rr_dd_of((double)h_prev[j])));
    }
}

/* ... second half: n = tanh(clip(gi_n + hn)), hn = W_hn rh + b_hn (dd),
 * h_t = (1 - z) n + z h_prev; hn [H] becomes n */
static void SFX(exact_gru_n_row)(const rr_config *cfg, double limit,
                                 size_t hidden, rr_dd_vec gi, rr_dd_vec hn,
                                 rr_dd_vec z, const REAL *h_prev,
                                 REAL *h_next)
{
    const size_t H = hidden;
    for (size_t j = 0; j < H; j++) {
        const rr_dd a = rr_dd_add(SFX(exact_at)(gi, 2 * H + j),
                                  SFX(exact_at)(hn, j));
        SFX(exact_put)(hn, j, SFX(exact_clip)(cfg, limit, a));
    }
    rr_tanh_dd_n(H, hn, hn);
    SFX(exact_gru_blend)(H, z, hn, h_prev, h_next);
}

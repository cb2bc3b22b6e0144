/*
 * cells_impl.h - the gate math of one time step for a run of units of one
 * batch row, one precision (REAL, SFX: see real.h); the portable reference
 * that the vectorised gates (the second half of avx2_impl.h) are checked
 * against.
 *
 * gi = W_ih x_t + b_ih and gh = W_hh h_{t-1} + b_hh come in precomputed;
 * the pre-activation of a gate is a = gi + gh. With clip set, every gate's
 * full pre-activation is clamped to [-clip, clip] before its nonlinearity.
 * Arguments: see internal_real.h.
 */
#include "real.h"

/* clip(a) when the model clips, else a */
static REAL SFX(clip_gate)(const rr_config *cfg, REAL a)
{
    return cfg->has_clip ? SFX(rr_clamp)(a, (REAL)cfg->clip) : a;
}

void SFX(rr_rnn_gates)(const rr_config *cfg, size_t count, const REAL *gi,
                       const REAL *gh, REAL *h_next)
{
    for (size_t j = 0; j < count; j++) {
        /* h_t = phi(a), phi = tanh or relu */
        const REAL a = SFX(clip_gate)(cfg, gi[j] + gh[j]);
        h_next[j] = cfg->nonlinearity == RR_RELU ? SFX(rr_relu)(a)
                                                 : REAL_TANH(a);
    }
}

void SFX(rr_lstm_gates)(const rr_config *cfg, size_t count,
                        const REAL *gi, size_t gi_stride,
                        const REAL *gh, size_t gh_stride,
                        const REAL *peep, size_t peep_stride,
                        REAL *c, REAL *m)
{
    const REAL *gi_i = gi, *gi_f = gi + gi_stride;
    const REAL *gi_g = gi + 2 * gi_stride, *gi_o = gi + 3 * gi_stride;
    const REAL *gh_i = gh, *gh_f = gh + gh_stride;
    const REAL *gh_g = gh + 2 * gh_stride, *gh_o = gh + 3 * gh_stride;
    const REAL *peep_i = peep;                                  /* or NULL */
    const REAL *peep_f = peep != NULL ? peep + peep_stride : NULL;
    const REAL *peep_o = peep != NULL ? peep + 2 * peep_stride : NULL;

    for (size_t j = 0; j < count; j++) {
        const REAL c_prev = c[j];
        REAL a_i = gi_i[j] + gh_i[j];
        REAL a_f = gi_f[j] + gh_f[j];
        const REAL a_g = gi_g[j] + gh_g[j];
        REAL a_o = gi_o[j] + gh_o[j];
        if (peep_i != NULL) {
            a_i += peep_i[j] * c_prev; /* a_i + p_i * c_{t-1} */
            a_f += peep_f[j] * c_prev; /* a_f + p_f * c_{t-1} */
        }
        const REAL i_gate = SFX(rr_sigmoid)(SFX(clip_gate)(cfg, a_i));
        const REAL f_gate = SFX(rr_sigmoid)(SFX(clip_gate)(cfg, a_f));
        const REAL g_gate = REAL_TANH(SFX(clip_gate)(cfg, a_g));
        /* c_t = f * c_{t-1} + i * g */
        const REAL c_t = f_gate * c_prev + i_gate * g_gate;
        if (peep_o != NULL) {
            a_o += peep_o[j] * c_t; /* a_o + p_o * c_t: the new cell state */
        }
        const REAL o_gate = SFX(rr_sigmoid)(SFX(clip_gate)(cfg, a_o));
        c[j] = c_t;
        /* m = o * tanh(c_t), the cell state itself is not clipped */
        m[j] = o_gate * REAL_TANH(c_t);
    }
}

void SFX(rr_gru_gates)(const rr_config *cfg, size_t count,
                       const REAL *gi, size_t gi_stride,
                       const REAL *gh, size_t gh_stride,
                       const REAL *h_prev, REAL *h_next)
{
    for (size_t j = 0; j < count; j++) {
        const REAL r =
            SFX(rr_sigmoid)(SFX(clip_gate)(cfg, gi[j] + gh[j]));
        const REAL z = SFX(rr_sigmoid)(
            SFX(clip_gate)(cfg, gi[gi_stride + j] + gh[gh_stride + j]));
        /* n = tanh(W_in x + b_in + r * (W_hn h_{t-1} + b_hn)) */
        const REAL n = REAL_TANH(SFX(clip_gate)(
            cfg, gi[2 * gi_stride + j] + r * gh[2 * gh_stride + j]));
        /* h_t = (1 - z) * n + z * h_{t-1} */
        h_next[j] = (REAL_C(1.0) - z) * n + z * h_prev[j];
    }
}

void SFX(rr_gru_rz_gates)(const rr_config *cfg, size_t count,
                          const REAL *gi, size_t gi_stride,
                          const REAL *gh, size_t gh_stride,
                          const REAL *h_prev, REAL *z, REAL *rh)
{
    for (size_t j = 0; j < count; j++) {
        const REAL r =
            SFX(rr_sigmoid)(SFX(clip_gate)(cfg, gi[j] + gh[j]));
        z[j] = SFX(rr_sigmoid)(
            SFX(clip_gate)(cfg, gi[gi_stride + j] + gh[gh_stride + j]));
        rh[j] = r * h_prev[j]; /* r * h_{t-1}, what W_hn multiplies */
    }
}

void SFX(rr_gru_n_gates)(const rr_config *cfg, size_t count,
                         const REAL *gi_n, const REAL *hn,
                         const REAL *h_prev, const REAL *z, REAL *h_next)
{
    for (size_t j = 0; j < count; j++) {
        /* n = tanh(W_in x + b_in + W_hn (r * h_{t-1}) + b_hn) */
        const REAL n = REAL_TANH(SFX(clip_gate)(cfg, gi_n[j] + hn[j]));
        /* h_t = (1 - z) * n + z * h_{t-1} */
        h_next[j] = (REAL_C(1.0) - z[j]) * n + z[j] * h_prev[j];
    }
}

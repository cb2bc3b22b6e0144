/* cells.c - the gate math of one time step for one batch row.
 *
 * gi = W_ih x_t + b_ih and gh = W_hh h_{t-1} + b_hh come in precomputed, with
 * gate rows stacked as lstm i, f, g, o and gru r, z, n (H rows each); the
 * pre-activation of a gate is a = gi + gh. With clip set, every gate's full
 * pre-activation is clamped to [-clip, clip] before its nonlinearity. */
#include "internal.h"

#include <math.h>

/* clip(a) when the model clips, else a */
static double clip_gate(const rr_config *cfg, double a)
{
    return cfg->has_clip ? rr_clamp(a, cfg->clip) : a;
}

void rr_rnn_cell(const rr_net *net, const double *gi /* [H] */,
                 const double *gh /* [H] */, double *h /* [H] */)
{
    const rr_config *cfg = &net->cfg;
    const size_t hidden = cfg->hidden_size;
    for (size_t j = 0; j < hidden; j++) {
        /* h_t = phi(a), phi = tanh or relu */
        const double a = clip_gate(cfg, gi[j] + gh[j]);
        h[j] = cfg->nonlinearity == RR_RELU ? rr_relu(a) : tanh(a);
    }
}

void rr_lstm_cell(const rr_net *net, const rr_slot *slot,
                  const double *gi /* [4H] */, const double *gh /* [4H] */,
                  double *c /* [H] */, double *h /* [H_out] */,
                  double *scratch /* [H] */)
{
    const rr_config *cfg = &net->cfg;
    const size_t hidden = cfg->hidden_size;
    const double *peep_i = slot->peepholes;                  /* [H] or NULL */
    const double *peep_f = peep_i ? peep_i + hidden : NULL;     /* [H] or NULL */
    const double *peep_o = peep_i ? peep_i + 2 * hidden : NULL; /* [H] or NULL */
    /* m = o * tanh(c_t) [H]: h itself without a projection */
    double *m = cfg->proj_size > 0 ? scratch : h;

    for (size_t j = 0; j < hidden; j++) {
        const double c_prev = c[j];
        double a_i = gi[j] + gh[j];
        double a_f = gi[hidden + j] + gh[hidden + j];
        const double a_g = gi[2 * hidden + j] + gh[2 * hidden + j];
        double a_o = gi[3 * hidden + j] + gh[3 * hidden + j];
        if (peep_i != NULL) {
            a_i += peep_i[j] * c_prev; /* a_i + p_i * c_{t-1} */
            a_f += peep_f[j] * c_prev; /* a_f + p_f * c_{t-1} */
        }
        const double i_gate = rr_sigmoid(clip_gate(cfg, a_i));
        const double f_gate = rr_sigmoid(clip_gate(cfg, a_f));
        const double g_gate = tanh(clip_gate(cfg, a_g));
        /* c_t = f * c_{t-1} + i * g */
        const double c_t = f_gate * c_prev + i_gate * g_gate;
        if (peep_o != NULL) {
            a_o += peep_o[j] * c_t; /* a_o + p_o * c_t: the new cell state */
        }
        const double o_gate = rr_sigmoid(clip_gate(cfg, a_o));
        c[j] = c_t;
        /* m = o * tanh(c_t), the cell state itself is not clipped */
        m[j] = o_gate * tanh(c_t);
    }
    if (cfg->proj_size > 0) {
        /* h_t [P] = W_hr m */
        rr_gemm_bias(1, cfg->proj_size, hidden, m, hidden,
                     slot->weight_hr_t, cfg->proj_size, NULL,
                     h, cfg->proj_size);
    }
}

void rr_gru_cell(const rr_net *net, const rr_slot *slot,
                 const double *gi /* [3H] */, const double *gh /* [3H] */,
                 double *h /* [H] */, double *scratch /* [3H] */)
{
    const rr_config *cfg = &net->cfg;
    const size_t hidden = cfg->hidden_size;

    if (cfg->linear_before_reset) {
        for (size_t j = 0; j < hidden; j++) {
            const double r = rr_sigmoid(clip_gate(cfg, gi[j] + gh[j]));
            const double z =
                rr_sigmoid(clip_gate(cfg, gi[hidden + j] + gh[hidden + j]));
            /* n = tanh(W_in x + b_in + r * (W_hn h_{t-1} + b_hn)) */
            const double n = tanh(
                clip_gate(cfg, gi[2 * hidden + j] + r * gh[2 * hidden + j]));
            /* h_t = (1 - z) * n + z * h_{t-1} */
            h[j] = (1.0 - z) * n + z * h[j];
        }
        return;
    }

    double *z = scratch;                  /* [H] update gate           */
    double *reset_h = scratch + hidden;   /* [H] r * h_{t-1}           */
    double *hn = scratch + 2 * hidden;    /* [H] W_hn (r * h) + b_hn   */
    for (size_t j = 0; j < hidden; j++) {
        const double r = rr_sigmoid(clip_gate(cfg, gi[j] + gh[j]));
        z[j] = rr_sigmoid(clip_gate(cfg, gi[hidden + j] + gh[hidden + j]));
        reset_h[j] = r * h[j];
    }
    /* hn [H] = W_hn (r * h_{t-1}) + b_hn; W_hn^T is columns 2H..3H-1 of W_hh^T */
    rr_gemm_bias(1, hidden, hidden, reset_h, hidden,
                 slot->weight_hh_t + 2 * hidden, 3 * hidden,
                 slot->bias_hh + 2 * hidden, hn, hidden);
    for (size_t j = 0; j < hidden; j++) {
        /* n = tanh(W_in x + b_in + W_hn (r * h_{t-1}) + b_hn) */
        const double n = tanh(clip_gate(cfg, gi[2 * hidden + j] + hn[j]));
        /* h_t = (1 - z) * n + z * h_{t-1} */
        h[j] = (1.0 - z[j]) * n + z[j] * h[j];
    }
}

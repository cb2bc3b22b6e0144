/*
 * avx512_cells_impl.h - what the AVX-512 kernels (avx512_impl.h) and the
 * fused batch-1 step (step_avx512_impl.h) share, so that both run the same
 * vector code and give the same bits (REAL, SFX: see real.h; VEC:
 * avx512_real.h), as static inline helpers:
 *   - the one-row dot products of a packed group (SFX(dot512_row)), in the
 *     blocked order of RR_DOT_BLOCK (internal.h);
 *   - the cell formulas on one vector of VLEN units: the gate loops of
 *     avx512_impl.h call them on pre-activations loaded from memory, the
 *     fused step on pre-activations still in registers. gi_* and gh_* are
 *     a gate's input part (W_i x + b_i) and recurrent part (W_h h + b_h).
 *     As in the AVX2 kernels, two sums are one FMA: c_t = f c_{t-1} + i g
 *     and the GRU's h_t = (1 - z) n + z h_{t-1}.
 * No include guard: read once per precision, after avx512_math_impl.h.
 */
#include "real.h"
#include "avx512_real.h"

/* Blocks of k that SFX(dot512_row) sums at once, block p in its own 2G
 * accumulators (at least 8 FMA chains in flight, within the 32 zmm). */
#define RR512_BLOCKS_AT_ONCE(gates) \
    ((gates) == 1 ? 4 : (gates) <= 3 ? 2 : 1)

/*
 * One row x every gate of a packed group ([G][K][nr], nr = 2 * VLEN; the
 * gates' panels K*nr apart; bias [G][nr] or NULL):
 *   total[2g + half] = bias[g][half] + sum_k x[k] * group[g][k][half]
 * in the blocked order (internal.h):
 *   total = bias (or 0)
 *   per block [kb, kb + RR_DOT_BLOCK) of k, in increasing kb:
 *     s = 0;  s = fma(x[k], w[k], s) for k ascending;  total = total + s
 * `ways` consecutive blocks at a time (independent chains s[p]), added to
 * total in block order; the blocks left over (fewer than `ways`, the last
 * maybe short) one by one. halves = 1: only each gate's first vector
 * (total[2g + 1] not set; every lane is its own sum, so the first
 * vector's bits are the same either way). gates, halves and ways are
 * constants after inlining.
 */
RR_AVX512_INLINE void SFX(dot512_row)(const size_t gates, const size_t halves,
                                      const size_t ways, size_t k,
                                      const REAL *x, const REAL *group,
                                      const REAL *bias, VEC *total)
{
    const size_t nr = 2 * VLEN;
    const size_t panel_len = k * nr; /* one gate: [K][nr] */
    const size_t span = ways * RR_DOT_BLOCK;
    VEC s[4][8]; /* [block in flight][2*g + half] */
    RR_UNROLL(8)
    for (size_t v = 0; v < 2 * gates; v++) {
        if (v % 2 < halves) {
            total[v] = bias != NULL ? V_LOAD(bias + v * VLEN) : V_ZERO();
        }
    }
    size_t kb = 0;
    for (; kb + span <= k; kb += span) {
        RR_UNROLL(4)
        for (size_t p = 0; p < ways; p++) {
            RR_UNROLL(8)
            for (size_t v = 0; v < 2 * gates; v++) {
                s[p][v] = V_ZERO();
            }
        }
        for (size_t i = 0; i < RR_DOT_BLOCK; i++) {
            RR_UNROLL(4)
            for (size_t p = 0; p < ways; p++) {
                const size_t kk = kb + p * RR_DOT_BLOCK + i;
                const VEC xk = V_SET1(x[kk]);
                const REAL *row = group + kk * nr; /* of gate 0 */
                RR_UNROLL(4)
                for (size_t g = 0; g < gates; g++) {
                    const REAL *w = row + g * panel_len;
                    s[p][2 * g] = V_FMA(xk, V_LOAD(w), s[p][2 * g]);
                    if (halves == 2) {
                        s[p][2 * g + 1] =
                            V_FMA(xk, V_LOAD(w + VLEN), s[p][2 * g + 1]);
                    }
                }
            }
        }
        RR_UNROLL(4)
        for (size_t p = 0; p < ways; p++) { /* total = total + s, in order */
            RR_UNROLL(8)
            for (size_t v = 0; v < 2 * gates; v++) {
                if (v % 2 < halves) {
                    total[v] = V_ADD(total[v], s[p][v]);
                }
            }
        }
    }
    for (; kb < k; kb += RR_DOT_BLOCK) { /* the blocks left, one by one */
        const size_t k_end = k - kb < RR_DOT_BLOCK ? k : kb + RR_DOT_BLOCK;
        RR_UNROLL(8)
        for (size_t v = 0; v < 2 * gates; v++) {
            s[0][v] = V_ZERO();
        }
        for (size_t kk = kb; kk < k_end; kk++) {
            const VEC xk = V_SET1(x[kk]);
            const REAL *row = group + kk * nr;
            RR_UNROLL(4)
            for (size_t g = 0; g < gates; g++) {
                const REAL *w = row + g * panel_len;
                s[0][2 * g] = V_FMA(xk, V_LOAD(w), s[0][2 * g]);
                if (halves == 2) {
                    s[0][2 * g + 1] =
                        V_FMA(xk, V_LOAD(w + VLEN), s[0][2 * g + 1]);
                }
            }
        }
        RR_UNROLL(8)
        for (size_t v = 0; v < 2 * gates; v++) {
            if (v % 2 < halves) {
                total[v] = V_ADD(total[v], s[0][v]);
            }
        }
    }
}

/* clip(a) when the model clips, else a */
RR_AVX512_INLINE VEC SFX(clip512_gate)(int has_clip, VEC limit, VEC a)
{
    return has_clip ? SFX(rr_v512_clamp)(a, limit) : a;
}

/* h_t = (1 - z) * n + z * h_{t-1} (one FMA) */
RR_AVX512_INLINE VEC SFX(gru512_mix)(VEC z, VEC n_gate, VEC h_prev)
{
    return V_FMA(V_SUB(V_SET1(REAL_C(1.0)), z), n_gate, V_MUL(z, h_prev));
}

/* rnn: h_t = phi(clip(gi + gh)), phi = relu or tanh */
RR_AVX512_INLINE VEC SFX(rnn512_cell)(int has_clip, VEC limit, int relu,
                                      VEC gi, VEC gh)
{
    const VEC a = SFX(clip512_gate)(has_clip, limit, V_ADD(gi, gh));
    return relu ? SFX(rr_v512_relu)(a) : V_TANH(a);
}

/* The peepholes of VLEN units: p_i, p_f, p_o (zeros when has_peep is 0,
 * then never read). */
typedef struct SFX(peep512) {
    int has_peep;
    VEC p_i, p_f, p_o;
} SFX(peep512);

/*
 * lstm, gates i, f, g, o:
 *   a_x = gi_x + gh_x  (+ p_i c_{t-1}, + p_f c_{t-1} with peepholes)
 *   i = sigma(clip a_i), f = sigma(clip a_f), g = tanh(clip a_g)
 *   c_t = f * c_{t-1} + i * g                 (one FMA; not clipped)
 *   o = sigma(clip(a_o (+ p_o c_t)))
 *   m = o * tanh(c_t)
 * returns m; *c_t_out = c_t.
 */
RR_AVX512_INLINE VEC SFX(lstm512_cell)(int has_clip, VEC limit, VEC gi_i,
                                       VEC gh_i, VEC gi_f, VEC gh_f, VEC gi_g,
                                       VEC gh_g, VEC gi_o, VEC gh_o,
                                       const SFX(peep512) *peep, VEC c_prev,
                                       VEC *c_t_out)
{
    VEC a_i = V_ADD(gi_i, gh_i);
    VEC a_f = V_ADD(gi_f, gh_f);
    const VEC a_g = V_ADD(gi_g, gh_g);
    VEC a_o = V_ADD(gi_o, gh_o);
    if (peep->has_peep) {
        a_i = V_ADD(a_i, V_MUL(peep->p_i, c_prev));
        a_f = V_ADD(a_f, V_MUL(peep->p_f, c_prev));
    }
    const VEC i_gate = V_SIGMOID(SFX(clip512_gate)(has_clip, limit, a_i));
    const VEC f_gate = V_SIGMOID(SFX(clip512_gate)(has_clip, limit, a_f));
    const VEC g_gate = V_TANH(SFX(clip512_gate)(has_clip, limit, a_g));
    const VEC c_t = V_FMA(f_gate, c_prev, V_MUL(i_gate, g_gate));
    if (peep->has_peep) {
        a_o = V_ADD(a_o, V_MUL(peep->p_o, c_t)); /* the new cell state */
    }
    const VEC o_gate = V_SIGMOID(SFX(clip512_gate)(has_clip, limit, a_o));
    *c_t_out = c_t;
    return V_MUL(o_gate, V_TANH(c_t));
}

/*
 * gru with linear_before_reset, gates r, z, n:
 *   r = sigma(clip(gi_r + gh_r)), z = sigma(clip(gi_z + gh_z))
 *   n = tanh(clip(gi_n + r * gh_n))      (gh_n = W_hn h_{t-1} + b_hn)
 *   h_t = (1 - z) * n + z * h_{t-1}
 */
RR_AVX512_INLINE VEC SFX(gru512_cell)(int has_clip, VEC limit, VEC gi_r,
                                      VEC gh_r, VEC gi_z, VEC gh_z, VEC gi_n,
                                      VEC gh_n, VEC h_prev)
{
    const VEC r =
        V_SIGMOID(SFX(clip512_gate)(has_clip, limit, V_ADD(gi_r, gh_r)));
    const VEC z =
        V_SIGMOID(SFX(clip512_gate)(has_clip, limit, V_ADD(gi_z, gh_z)));
    const VEC n = V_TANH(
        SFX(clip512_gate)(has_clip, limit, V_ADD(gi_n, V_MUL(r, gh_n))));
    return SFX(gru512_mix)(z, n, h_prev);
}

/*
 * The cells of a layer of at most VLEN / 2 units (the fused step's one
 * group), two gates to a vector: the cells above, lane for lane (every
 * lane is its own sum and function, so the same bits), in fewer sigmoid
 * and tanh calls. SFX(pack512_low)(a, b) = [a's first VLEN/2 lanes | b's
 * first VLEN/2 lanes]; SFX(high512_to_low)(v) = [v's last VLEN/2 lanes,
 * twice]. Lanes past the layer's units are computed and never stored.
 */
RR_AVX512_INLINE VEC SFX(pack512_low)(VEC a, VEC b)
{
#if RR_REAL_BITS == 64
    return _mm512_shuffle_f64x2(a, b, 0x44); /* 128-bit parts a0 a1 b0 b1 */
#else
    return _mm512_shuffle_f32x4(a, b, 0x44);
#endif
}

RR_AVX512_INLINE VEC SFX(high512_to_low)(VEC v)
{
#if RR_REAL_BITS == 64
    return _mm512_shuffle_f64x2(v, v, 0xEE); /* 128-bit parts 2 3 2 3 */
#else
    return _mm512_shuffle_f32x4(v, v, 0xEE);
#endif
}

/*
 * lstm without peepholes, units in the first VLEN/2 lanes of each a_x:
 *   [i | f] = sigma(clip [a_i | a_f])          one sigmoid
 *   [g | o] = [tanh | sigma](clip [a_g | a_o]) one shared exp
 *   c_t = f * c_{t-1} + i * g  (one FMA),  m = o * tanh(c_t)
 * with a_x = gi_x + gh_x; returns m; *c_t_out = c_t (the first VLEN/2
 * lanes: the bits of SFX(lstm512_cell)).
 */
RR_AVX512_INLINE VEC SFX(lstm512_half_cell)(int has_clip, VEC limit,
                                            const VEC *gi, const VEC *gh,
                                            VEC c_prev, VEC *c_t_out)
{
    /* gi, gh [2G]: gate g's first vector at 2g (i, f, g, o) */
    const VEC a_if = SFX(pack512_low)(V_ADD(gi[0], gh[0]), V_ADD(gi[2], gh[2]));
    const VEC a_go = SFX(pack512_low)(V_ADD(gi[4], gh[4]), V_ADD(gi[6], gh[6]));
    const VEC if_gate = V_SIGMOID(SFX(clip512_gate)(has_clip, limit, a_if));
    const VEC go_gate = V_TANH_SIGMOID(
        SFX(clip512_gate)(has_clip, limit, a_go), V_MASK(VLEN / 2));
    const VEC f_gate = SFX(high512_to_low)(if_gate);
    const VEC c_t = V_FMA(f_gate, c_prev, V_MUL(if_gate, go_gate));
    const VEC o_gate = SFX(high512_to_low)(go_gate);
    *c_t_out = c_t;
    return V_MUL(o_gate, V_TANH(c_t));
}

/*
 * gru with linear_before_reset, units in the first VLEN/2 lanes:
 *   [r | z] = sigma(clip [gi_r + gh_r | gi_z + gh_z])   one sigmoid
 *   n = tanh(clip(gi_n + r * gh_n)),  h_t = (1 - z) * n + z * h_{t-1}
 * (the first VLEN/2 lanes: the bits of SFX(gru512_cell)).
 */
RR_AVX512_INLINE VEC SFX(gru512_half_cell)(int has_clip, VEC limit,
                                           const VEC *gi, const VEC *gh,
                                           VEC h_prev)
{
    /* gi, gh [2G]: gate g's first vector at 2g (r, z, n) */
    const VEC a_rz = SFX(pack512_low)(V_ADD(gi[0], gh[0]), V_ADD(gi[2], gh[2]));
    const VEC rz = V_SIGMOID(SFX(clip512_gate)(has_clip, limit, a_rz));
    const VEC n = V_TANH(
        SFX(clip512_gate)(has_clip, limit, V_ADD(gi[4], V_MUL(rz, gh[4]))));
    return SFX(gru512_mix)(SFX(high512_to_low)(rz), n, h_prev);
}

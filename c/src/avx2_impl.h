/*
 * avx2_impl.h - the AVX2 + FMA products and gates for one precision (REAL,
 * SFX: see real.h; VEC and V_*: see avx2_real.h).
 *
 * A packed group (see rr_packed in internal.h) is G panels [K][nr] with
 * nr = 2 * VLEN: row k of a panel holds the weights of nr units of one gate
 * as two vectors. Two kernels read it:
 *   - one row (batch 1, the recurrent GEMV): all G gates of the group at
 *     once, K times "broadcast x[k], 2G FMAs", streaming the G panels at
 *     memory speed; with few gates, k is split over several sets of
 *     accumulators so that enough FMAs are in flight;
 *   - several rows (GEMM): per gate, register tiles of up to RR_MR rows x
 *     nr units (2*RR_MR accumulators), each loaded weight vector serving
 *     every row of the tile. K goes in slices of RR_KC, so that the slice
 *     of the panel that all tiles read stays in cache.
 */
#include "real.h"
#include "avx2_real.h"
#include "avx2_math_impl.h"

/* Rows of one register tile: 6 rows x 2 vectors = 12 accumulators, plus
 * the two weight vectors and a broadcast, of the 16 ymm registers. */
#define RR_MR 6
/* The K-slice of the GEMM: a panel slice of RR_KC 64-byte rows is 32 KB,
 * read by every tile of rows while it is in the L1 or L2 cache (measured on
 * Zen 3: 256 to 4096 are within 15%, 512 and 1024 best). */
#define RR_KC 512

/* c[0..width) = the two vectors v0, v1 of one gate's nr units */
RR_AVX2_INLINE void SFX(store_units)(REAL *c, VEC v0, VEC v1, size_t width)
{
    if (width == 2 * VLEN) {
        V_STORE(c, v0);
        V_STORE(c + VLEN, v1);
        return;
    }
    REAL units[2 * VLEN]; /* the last group of a gate: past U is padding */
    V_STORE(units, v0);
    V_STORE(units + VLEN, v1);
    memcpy(c, units, width * sizeof(REAL));
}

/* *v0, *v1 = c[0..width), zero past width */
RR_AVX2_INLINE void SFX(load_units)(const REAL *c, size_t width, VEC *v0,
                                    VEC *v1)
{
    if (width == 2 * VLEN) {
        *v0 = V_LOAD(c);
        *v1 = V_LOAD(c + VLEN);
        return;
    }
    REAL units[2 * VLEN] = { 0 };
    memcpy(units, c, width * sizeof(REAL));
    *v0 = V_LOAD(units);
    *v1 = V_LOAD(units + VLEN);
}

/*
 * One row, every gate of the group:
 *   c[g*c_gate_stride + j] = bias[g][j] + sum_k x[k] * group[g][k][j]
 * `phases` accumulator sets take k = 0, 1, ... in turn and are summed at
 * the end. gates and phases are constants after inlining.
 */
RR_AVX2_INLINE void SFX(gemv_group)(const size_t gates, const size_t phases,
                                    size_t k, const REAL *x,
                                    const REAL *group, const REAL *bias,
                                    REAL *c, size_t c_gate_stride,
                                    size_t width)
{
    const size_t nr = 2 * VLEN;
    const size_t panel_len = k * nr; /* one gate: [K][nr] */
    VEC acc[4][8];                   /* [phase][2*g + half] */
    RR_UNROLL(8)
    for (size_t p = 0; p < phases; p++) {
        RR_UNROLL(8)
        for (size_t v = 0; v < 2 * gates; v++) {
            acc[p][v] = p == 0 && bias != NULL ? V_LOAD(bias + v * VLEN)
                                               : V_ZERO();
        }
    }
    size_t kk = 0;
    for (; kk + phases <= k; kk += phases) {
        RR_UNROLL(8)
        for (size_t p = 0; p < phases; p++) {
            const VEC xk = V_BROADCAST(x + kk + p);
            const REAL *row = group + (kk + p) * nr; /* of gate 0 */
            RR_UNROLL(8)
            for (size_t g = 0; g < gates; g++) {
                const REAL *w = row + g * panel_len;
                acc[p][2 * g] = V_FMA(xk, V_LOAD(w), acc[p][2 * g]);
                acc[p][2 * g + 1] =
                    V_FMA(xk, V_LOAD(w + VLEN), acc[p][2 * g + 1]);
            }
        }
    }
    for (; kk < k; kk++) { /* the last k % phases */
        const VEC xk = V_BROADCAST(x + kk);
        const REAL *row = group + kk * nr;
        RR_UNROLL(8)
        for (size_t g = 0; g < gates; g++) {
            const REAL *w = row + g * panel_len;
            acc[0][2 * g] = V_FMA(xk, V_LOAD(w), acc[0][2 * g]);
            acc[0][2 * g + 1] = V_FMA(xk, V_LOAD(w + VLEN), acc[0][2 * g + 1]);
        }
    }
    RR_UNROLL(8)
    for (size_t p = 1; p < phases; p++) {
        RR_UNROLL(8)
        for (size_t v = 0; v < 2 * gates; v++) {
            acc[0][v] = V_ADD(acc[0][v], acc[p][v]);
        }
    }
    RR_UNROLL(8)
    for (size_t g = 0; g < gates; g++) {
        SFX(store_units)(c + g * c_gate_stride, acc[0][2 * g],
                         acc[0][2 * g + 1], width);
    }
}

/*
 * A register tile over one K-slice: rows i < mr of a (row stride lda,
 * already at the slice) times the slice [kc][nr] of one gate's panel:
 *   c[i*ldc + j] = start[i][j] + sum_k a[i][k] * panel[k][j],  j < width
 * where start is c itself when `accumulate`, else the bias (or 0). mr is a
 * constant after inlining.
 */
RR_AVX2_INLINE void SFX(tile)(const size_t mr, size_t kc, const REAL *a,
                              size_t lda, const REAL *panel,
                              const REAL *bias, int accumulate, REAL *c,
                              size_t ldc, size_t width)
{
    const size_t nr = 2 * VLEN;
    VEC acc[RR_MR][2];
    if (accumulate) {
        RR_UNROLL(8)
        for (size_t i = 0; i < mr; i++) {
            SFX(load_units)(c + i * ldc, width, &acc[i][0], &acc[i][1]);
        }
    } else {
        const VEC bias0 = bias != NULL ? V_LOAD(bias) : V_ZERO();
        const VEC bias1 = bias != NULL ? V_LOAD(bias + VLEN) : V_ZERO();
        RR_UNROLL(8)
        for (size_t i = 0; i < mr; i++) {
            acc[i][0] = bias0;
            acc[i][1] = bias1;
        }
    }
    for (size_t kk = 0; kk < kc; kk++) {
        const VEC w0 = V_LOAD(panel + kk * nr);
        const VEC w1 = V_LOAD(panel + kk * nr + VLEN);
        RR_UNROLL(8)
        for (size_t i = 0; i < mr; i++) {
            const VEC a_ik = V_BROADCAST(a + i * lda + kk);
            acc[i][0] = V_FMA(a_ik, w0, acc[i][0]);
            acc[i][1] = V_FMA(a_ik, w1, acc[i][1]);
        }
    }
    RR_UNROLL(8)
    for (size_t i = 0; i < mr; i++) {
        SFX(store_units)(c + i * ldc, acc[i][0], acc[i][1], width);
    }
}

/* SFX(tile) with mr a constant (1..RR_MR): one compiled loop each */
#define RR_TILE_CASE(rows)                                                  \
    case rows:                                                              \
        SFX(tile)(rows, kc, a, lda, panel, bias, accumulate, c, ldc, width); \
        break;

RR_AVX2 static void SFX(tile_rows)(size_t mr, size_t kc, const REAL *a,
                                   size_t lda, const REAL *panel,
                                   const REAL *bias, int accumulate, REAL *c,
                                   size_t ldc, size_t width)
{
    switch (mr) {
        RR_TILE_CASE(1)
        RR_TILE_CASE(2)
        RR_TILE_CASE(3)
        RR_TILE_CASE(4)
        RR_TILE_CASE(5)
        RR_TILE_CASE(6)
    default:
        break;
    }
}
#undef RR_TILE_CASE

RR_AVX2 void SFX(rr_avx2_product)(const rr_packed *w, size_t u, size_t m,
                                  const REAL *a, size_t lda, REAL *c,
                                  size_t c_gate_stride, size_t ldc)
{
    const size_t k = w->k, gates = w->gates, nr = w->nr; /* nr = 2*VLEN */
    const size_t first = u * nr;
    const size_t width = w->units - first < nr ? w->units - first : nr;
    const REAL *group = (const REAL *)w->data + u * gates * k * nr;
    const REAL *bias =
        w->bias != NULL ? (const REAL *)w->bias + u * gates * nr : NULL;

    if (m == 1) {
        /* at least 8 independent accumulators: 2G per k phase */
        switch (gates) {
        case 1:
            SFX(gemv_group)(1, 4, k, a, group, bias, c, c_gate_stride, width);
            return;
        case 2:
            SFX(gemv_group)(2, 2, k, a, group, bias, c, c_gate_stride, width);
            return;
        case 3:
            SFX(gemv_group)(3, 2, k, a, group, bias, c, c_gate_stride, width);
            return;
        case 4:
            SFX(gemv_group)(4, 1, k, a, group, bias, c, c_gate_stride, width);
            return;
        default:
            break; /* not a gate count of this library */
        }
    }

    /* m rows in tiles of at most RR_MR rows, as even as can be */
    const size_t tiles = (m + RR_MR - 1) / RR_MR;
    for (size_t k0 = 0; k0 < k; k0 += RR_KC) {
        const size_t kc = k - k0 < RR_KC ? k - k0 : RR_KC;
        for (size_t g = 0; g < gates; g++) {
            const REAL *slice = group + (g * k + k0) * nr; /* [kc][nr] */
            const REAL *gate_bias = bias != NULL ? bias + g * nr : NULL;
            size_t row = 0;
            for (size_t t = 0; t < tiles; t++) {
                const size_t rows = m / tiles + (t < m % tiles ? 1 : 0);
                SFX(tile_rows)(rows, kc, a + row * lda + k0, lda, slice,
                               gate_bias, k0 > 0,
                               c + row * ldc + g * c_gate_stride, ldc, width);
                row += rows;
            }
        }
    }
}

/* --- the gates ---------------------------------------------------------
 *
 * The formulas of cells_impl.h on VLEN units at a time, with the vector
 * exp, sigmoid and tanh of avx2_math_impl.h; the last count % VLEN units
 * (only where H is not a multiple of VLEN) take the portable code.
 */

/* clip(a) when the model clips, else a */
RR_AVX2_INLINE VEC SFX(clip_gate)(int has_clip, VEC limit, VEC a)
{
    return has_clip ? SFX(rr_v_clamp)(a, limit) : a;
}

RR_AVX2 void SFX(rr_avx2_rnn_gates)(const rr_config *cfg, size_t count,
                                    const REAL *gi, const REAL *gh,
                                    REAL *h_next)
{
    const int has_clip = cfg->has_clip;
    const VEC limit = V_SET1((REAL)cfg->clip);
    const int relu = cfg->nonlinearity == RR_RELU;
    size_t j = 0;
    for (; j + VLEN <= count; j += VLEN) {
        /* h_t = phi(a), phi = tanh or relu */
        const VEC a = SFX(clip_gate)(has_clip, limit,
                                     V_ADD(V_LOAD(gi + j), V_LOAD(gh + j)));
        V_STORE(h_next + j, relu ? SFX(rr_v_relu)(a) : V_TANH(a));
    }
    if (j < count) {
        SFX(rr_rnn_gates)(cfg, count - j, gi + j, gh + j, h_next + j);
    }
}

RR_AVX2 void SFX(rr_avx2_lstm_gates)(const rr_config *cfg, size_t count,
                                     const REAL *gi, size_t gi_stride,
                                     const REAL *gh, size_t gh_stride,
                                     const REAL *peep, size_t peep_stride,
                                     REAL *c, REAL *m)
{
    const int has_clip = cfg->has_clip;
    const VEC limit = V_SET1((REAL)cfg->clip);
    size_t j = 0;
    for (; j + VLEN <= count; j += VLEN) {
        const VEC c_prev = V_LOAD(c + j);
        VEC a_i = V_ADD(V_LOAD(gi + j), V_LOAD(gh + j));
        VEC a_f = V_ADD(V_LOAD(gi + gi_stride + j), V_LOAD(gh + gh_stride + j));
        const VEC a_g = V_ADD(V_LOAD(gi + 2 * gi_stride + j),
                              V_LOAD(gh + 2 * gh_stride + j));
        VEC a_o = V_ADD(V_LOAD(gi + 3 * gi_stride + j),
                        V_LOAD(gh + 3 * gh_stride + j));
        if (peep != NULL) {
            /* a_i + p_i * c_{t-1}, a_f + p_f * c_{t-1} */
            a_i = V_ADD(a_i, V_MUL(V_LOAD(peep + j), c_prev));
            a_f = V_ADD(a_f, V_MUL(V_LOAD(peep + peep_stride + j), c_prev));
        }
        const VEC i_gate = SFX(rr_v_sigmoid)(SFX(clip_gate)(has_clip, limit, a_i));
        const VEC f_gate = SFX(rr_v_sigmoid)(SFX(clip_gate)(has_clip, limit, a_f));
        const VEC g_gate = V_TANH(SFX(clip_gate)(has_clip, limit, a_g));
        /* c_t = f * c_{t-1} + i * g */
        const VEC c_t = V_ADD(V_MUL(f_gate, c_prev), V_MUL(i_gate, g_gate));
        if (peep != NULL) {
            /* a_o + p_o * c_t: the new cell state */
            a_o = V_ADD(a_o, V_MUL(V_LOAD(peep + 2 * peep_stride + j), c_t));
        }
        const VEC o_gate = SFX(rr_v_sigmoid)(SFX(clip_gate)(has_clip, limit, a_o));
        V_STORE(c + j, c_t);
        /* m = o * tanh(c_t), the cell state itself is not clipped */
        V_STORE(m + j, V_MUL(o_gate, V_TANH(c_t)));
    }
    if (j < count) {
        SFX(rr_lstm_gates)(cfg, count - j, gi + j, gi_stride, gh + j,
                           gh_stride, peep != NULL ? peep + j : NULL,
                           peep_stride, c + j, m + j);
    }
}

RR_AVX2 void SFX(rr_avx2_gru_gates)(const rr_config *cfg, size_t count,
                                    const REAL *gi, size_t gi_stride,
                                    const REAL *gh, size_t gh_stride,
                                    const REAL *h_prev, REAL *h_next)
{
    const int has_clip = cfg->has_clip;
    const VEC limit = V_SET1((REAL)cfg->clip);
    const VEC one = V_SET1(REAL_C(1.0));
    size_t j = 0;
    for (; j + VLEN <= count; j += VLEN) {
        const VEC r = SFX(rr_v_sigmoid)(SFX(clip_gate)(
            has_clip, limit, V_ADD(V_LOAD(gi + j), V_LOAD(gh + j))));
        const VEC z = SFX(rr_v_sigmoid)(SFX(clip_gate)(
            has_clip, limit,
            V_ADD(V_LOAD(gi + gi_stride + j), V_LOAD(gh + gh_stride + j))));
        /* n = tanh(W_in x + b_in + r * (W_hn h_{t-1} + b_hn)) */
        const VEC n = V_TANH(SFX(clip_gate)(
            has_clip, limit,
            V_ADD(V_LOAD(gi + 2 * gi_stride + j),
                  V_MUL(r, V_LOAD(gh + 2 * gh_stride + j)))));
        /* h_t = (1 - z) * n + z * h_{t-1} */
        V_STORE(h_next + j, V_ADD(V_MUL(V_SUB(one, z), n),
                                  V_MUL(z, V_LOAD(h_prev + j))));
    }
    if (j < count) {
        SFX(rr_gru_gates)(cfg, count - j, gi + j, gi_stride, gh + j,
                          gh_stride, h_prev + j, h_next + j);
    }
}

RR_AVX2 void SFX(rr_avx2_gru_rz_gates)(const rr_config *cfg, size_t count,
                                       const REAL *gi, size_t gi_stride,
                                       const REAL *gh, size_t gh_stride,
                                       const REAL *h_prev, REAL *z, REAL *rh)
{
    const int has_clip = cfg->has_clip;
    const VEC limit = V_SET1((REAL)cfg->clip);
    size_t j = 0;
    for (; j + VLEN <= count; j += VLEN) {
        const VEC r = SFX(rr_v_sigmoid)(SFX(clip_gate)(
            has_clip, limit, V_ADD(V_LOAD(gi + j), V_LOAD(gh + j))));
        V_STORE(z + j, SFX(rr_v_sigmoid)(SFX(clip_gate)(
                           has_clip, limit,
                           V_ADD(V_LOAD(gi + gi_stride + j),
                                 V_LOAD(gh + gh_stride + j)))));
        V_STORE(rh + j, V_MUL(r, V_LOAD(h_prev + j))); /* r * h_{t-1} */
    }
    if (j < count) {
        SFX(rr_gru_rz_gates)(cfg, count - j, gi + j, gi_stride, gh + j,
                             gh_stride, h_prev + j, z + j, rh + j);
    }
}

RR_AVX2 void SFX(rr_avx2_gru_n_gates)(const rr_config *cfg, size_t count,
                                      const REAL *gi_n, const REAL *hn,
                                      const REAL *h_prev, const REAL *z,
                                      REAL *h_next)
{
    const int has_clip = cfg->has_clip;
    const VEC limit = V_SET1((REAL)cfg->clip);
    const VEC one = V_SET1(REAL_C(1.0));
    size_t j = 0;
    for (; j + VLEN <= count; j += VLEN) {
        /* n = tanh(W_in x + b_in + W_hn (r * h_{t-1}) + b_hn) */
        const VEC n = V_TANH(SFX(clip_gate)(
            has_clip, limit, V_ADD(V_LOAD(gi_n + j), V_LOAD(hn + j))));
        const VEC z_j = V_LOAD(z + j);
        /* h_t = (1 - z) * n + z * h_{t-1} */
        V_STORE(h_next + j, V_ADD(V_MUL(V_SUB(one, z_j), n),
                                  V_MUL(z_j, V_LOAD(h_prev + j))));
    }
    if (j < count) {
        SFX(rr_gru_n_gates)(cfg, count - j, gi_n + j, hn + j, h_prev + j,
                            z + j, h_next + j);
    }
}

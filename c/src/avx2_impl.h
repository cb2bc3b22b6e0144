/*
 * avx2_impl.h - the AVX2 + FMA products and gates for one precision (REAL,
 * SFX: see real.h; VEC and V_*: see avx2_real.h).
 *
 * A packed group (see rr_packed in internal.h) is G panels [K][nr] with
 * nr = 2 * VLEN: row k of a panel holds the weights of nr units of one gate
 * as two vectors. Two kernels read it:
 *   - one row (batch 1, the recurrent GEMV): all G gates of the group at
 *     once, K times "broadcast x[k], 2G FMAs", streaming the G panels at
 *     memory speed; with few gates, it sums several blocks of k at once in
 *     separate accumulators, so that enough FMAs are in flight;
 *   - several rows (GEMM): per gate, register tiles of up to RR_MR rows x
 *     nr units (2*RR_MR accumulators), each loaded weight vector serving
 *     every row of the tile. K goes in slices of RR_KC, so that the slice
 *     of the panel that all tiles read stays in cache.
 * Both sum every dot product in the blocked order of RR_DOT_BLOCK
 * (internal.h):
 *     total = bias (or 0)
 *     per block [kb, kb + RR_DOT_BLOCK) of k, in increasing kb:
 *         s = 0;  s = fma(a[k], w[k], s) for k ascending;  total = total + s
 * so that a row's bits do not depend on how many rows come with it, on its
 * tile or on its thread.
 */
#include "real.h"
#include "avx2_real.h"
#include "avx2_math_impl.h"

/* Rows of one register tile: 6 rows x 2 vectors = 12 accumulators, plus
 * the two weight vectors and a broadcast, of the 16 ymm registers. */
#define RR_MR 6
/* The K-slice of the GEMM: a panel slice of RR_KC 64-byte rows is 32 KB,
 * read by every tile of rows while it is in the L1 or L2 cache (measured on
 * Zen 3: 256 to 4096 are within 15%, 512 and 1024 best). A multiple of
 * RR_DOT_BLOCK, so that no block straddles two slices. */
#define RR_KC 512
_Static_assert(RR_KC % RR_DOT_BLOCK == 0, "K-slices hold whole blocks");

/* Blocks of k that the one-row kernel sums at once (2G vectors each, in
 * separate accumulators): at least 8 FMA chains in flight. */
#define RR_AVX2_BLOCKS_AT_ONCE(gates) \
    ((gates) == 1 ? 4 : (gates) <= 3 ? 2 : 1)

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

/* s[2g + half] = fma(x[k], row k of gate g's panel, s[2g + half]), every
 * gate (row: row k of gate 0; the gates' panels are panel_len apart) */
RR_AVX2_INLINE void SFX(gemv_k)(const size_t gates, const REAL *x_k,
                                const REAL *row, size_t panel_len, VEC *s)
{
    const VEC xk = V_BROADCAST(x_k);
    RR_UNROLL(8)
    for (size_t g = 0; g < gates; g++) {
        const REAL *w = row + g * panel_len;
        s[2 * g] = V_FMA(xk, V_LOAD(w), s[2 * g]);
        s[2 * g + 1] = V_FMA(xk, V_LOAD(w + VLEN), s[2 * g + 1]);
    }
}

/*
 * One row, every gate of the group:
 *   c[g*c_gate_stride + j] = bias[g][j] + sum_k x[k] * group[g][k][j]
 * in the blocked order above: `ways` consecutive blocks at a time, block p
 * in s[p] (independent chains), added to total in block order; the blocks
 * left over (fewer than `ways`, the last one maybe short) one at a time.
 * gates and ways are constants after inlining.
 */
RR_AVX2_INLINE void SFX(gemv_group)(const size_t gates, const size_t ways,
                                    size_t k, const REAL *x,
                                    const REAL *group, const REAL *bias,
                                    REAL *c, size_t c_gate_stride,
                                    size_t width)
{
    const size_t nr = 2 * VLEN;
    const size_t panel_len = k * nr; /* one gate: [K][nr] */
    const size_t span = ways * RR_DOT_BLOCK;
    VEC total[8]; /* [2*g + half] */
    VEC s[4][8];  /* [block in flight][2*g + half] */
    RR_UNROLL(8)
    for (size_t v = 0; v < 2 * gates; v++) {
        total[v] = bias != NULL ? V_LOAD(bias + v * VLEN) : V_ZERO();
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
                SFX(gemv_k)(gates, x + kk, group + kk * nr, panel_len, s[p]);
            }
        }
        RR_UNROLL(4)
        for (size_t p = 0; p < ways; p++) { /* total = total + s, in order */
            RR_UNROLL(8)
            for (size_t v = 0; v < 2 * gates; v++) {
                total[v] = V_ADD(total[v], s[p][v]);
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
            SFX(gemv_k)(gates, x + kk, group + kk * nr, panel_len, s[0]);
        }
        RR_UNROLL(8)
        for (size_t v = 0; v < 2 * gates; v++) {
            total[v] = V_ADD(total[v], s[0][v]);
        }
    }
    RR_UNROLL(8)
    for (size_t g = 0; g < gates; g++) {
        SFX(store_units)(c + g * c_gate_stride, total[2 * g],
                         total[2 * g + 1], width);
    }
}

/*
 * A register tile over one K-slice [k0, k0 + kc) (k0 a multiple of
 * RR_DOT_BLOCK): rows i < mr of a (row stride lda, already at the slice)
 * times the slice [kc][nr] of one gate's panel, block by block:
 *   s[i][j] = sum over the block's k of a[i][k] * panel[k][j]  (from 0)
 *   c[i][j] = c[i][j] + s[i][j],  j < width
 * where c holds the running total: the bias (or 0), stored first when the
 * slice is K's first (`from_c` 0), then the sum of the blocks before (a
 * store and a load: exact). mr is a constant after inlining.
 */
RR_AVX2_INLINE void SFX(tile)(const size_t mr, size_t kc, int from_c,
                              const REAL *a, size_t lda, const REAL *panel,
                              const REAL *bias, REAL *c, size_t ldc,
                              size_t width)
{
    const size_t nr = 2 * VLEN;
    if (!from_c) { /* total = bias (or 0) */
        const VEC bias0 = bias != NULL ? V_LOAD(bias) : V_ZERO();
        const VEC bias1 = bias != NULL ? V_LOAD(bias + VLEN) : V_ZERO();
        RR_UNROLL(8)
        for (size_t i = 0; i < mr; i++) {
            SFX(store_units)(c + i * ldc, bias0, bias1, width);
        }
    }
    for (size_t kb = 0; kb < kc; kb += RR_DOT_BLOCK) {
        const size_t k_end = kc - kb < RR_DOT_BLOCK ? kc : kb + RR_DOT_BLOCK;
        VEC s[RR_MR][2];
        RR_UNROLL(8)
        for (size_t i = 0; i < mr; i++) {
            s[i][0] = V_ZERO();
            s[i][1] = V_ZERO();
        }
        for (size_t kk = kb; kk < k_end; kk++) {
            const VEC w0 = V_LOAD(panel + kk * nr);
            const VEC w1 = V_LOAD(panel + kk * nr + VLEN);
            RR_UNROLL(8)
            for (size_t i = 0; i < mr; i++) {
                const VEC a_ik = V_BROADCAST(a + i * lda + kk);
                s[i][0] = V_FMA(a_ik, w0, s[i][0]);
                s[i][1] = V_FMA(a_ik, w1, s[i][1]);
            }
        }
        RR_UNROLL(8)
        for (size_t i = 0; i < mr; i++) { /* total = total + s */
            VEC total0, total1;
            SFX(load_units)(c + i * ldc, width, &total0, &total1);
            SFX(store_units)(c + i * ldc, V_ADD(total0, s[i][0]),
                             V_ADD(total1, s[i][1]), width);
        }
    }
}

/* SFX(tile) with mr a constant (1..RR_MR): one compiled loop each */
#define RR_TILE_CASE(rows)                                                  \
    case rows:                                                              \
        SFX(tile)(rows, kc, from_c, a, lda, panel, bias, c, ldc, width);    \
        break;

RR_AVX2 static void SFX(tile_rows)(size_t mr, size_t kc, int from_c,
                                   const REAL *a, size_t lda,
                                   const REAL *panel, const REAL *bias,
                                   REAL *c, size_t ldc, size_t width)
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

/* gemv_group with its gates and ways constants: one compiled loop each */
#define RR_GEMV_CASE(g)                                                     \
    case g:                                                                 \
        SFX(gemv_group)(g, RR_AVX2_BLOCKS_AT_ONCE(g), k, a, group, bias, c, \
                        c_gate_stride, width);                              \
        return;

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
        switch (gates) {
            RR_GEMV_CASE(1)
            RR_GEMV_CASE(2)
            RR_GEMV_CASE(3)
            RR_GEMV_CASE(4)
        default:
            break; /* not a gate count of this library: the tiles below */
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
                SFX(tile_rows)(rows, kc, k0 > 0, a + row * lda + k0, lda,
                               slice, gate_bias,
                               c + row * ldc + g * c_gate_stride, ldc,
                               width);
                row += rows;
            }
        }
    }
}
#undef RR_GEMV_CASE

/* --- the gates ---------------------------------------------------------
 *
 * The formulas of cells_impl.h on VLEN units at a time, with the vector
 * sigmoid and tanh of avx2_math_impl.h. The last count % VLEN units run the
 * same code on masked lanes (V_LOAD_PART, V_STORE_PART), so that every unit
 * gets the same arithmetic wherever it sits. Two sums use one FMA instead
 * of a product and a sum: c_t = f c_{t-1} + i g and the GRU's
 * h_t = (1 - z) n + z h_{t-1}.
 */

/* clip(a) when the model clips, else a */
RR_AVX2_INLINE VEC SFX(clip_gate)(int has_clip, VEC limit, VEC a)
{
    return has_clip ? SFX(rr_v_clamp)(a, limit) : a;
}

/* n units at p (n = VLEN: a plain load; 0 < n < VLEN: masked, zeros past
 * n) and the matching store; n is VLEN after inlining in the loop body */
RR_AVX2_INLINE VEC SFX(load_n)(const REAL *p, size_t n)
{
    return n == VLEN ? V_LOAD(p) : V_LOAD_PART(p, V_LANES(n));
}

RR_AVX2_INLINE void SFX(store_n)(REAL *p, VEC v, size_t n)
{
    if (n == VLEN) {
        V_STORE(p, v);
    } else {
        V_STORE_PART(p, V_LANES(n), v);
    }
}

/* gi[j] + gh[j], n units */
RR_AVX2_INLINE VEC SFX(gate_sum)(const REAL *gi, const REAL *gh, size_t n)
{
    return V_ADD(SFX(load_n)(gi, n), SFX(load_n)(gh, n));
}

RR_AVX2_INLINE void SFX(rnn_units)(int has_clip, VEC limit, int relu,
                                   const REAL *gi, const REAL *gh,
                                   REAL *h_next, size_t n)
{
    /* h_t = phi(a), phi = tanh or relu */
    const VEC a = SFX(clip_gate)(has_clip, limit, SFX(gate_sum)(gi, gh, n));
    SFX(store_n)(h_next, relu ? SFX(rr_v_relu)(a) : V_TANH(a), n);
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
        SFX(rnn_units)(has_clip, limit, relu, gi + j, gh + j, h_next + j,
                       VLEN);
    }
    if (j < count) {
        SFX(rnn_units)(has_clip, limit, relu, gi + j, gh + j, h_next + j,
                       count - j);
    }
}

RR_AVX2_INLINE void SFX(lstm_units)(int has_clip, VEC limit, const REAL *gi,
                                    size_t gi_stride, const REAL *gh,
                                    size_t gh_stride, const REAL *peep,
                                    size_t peep_stride, REAL *c, REAL *m,
                                    size_t n)
{
    const VEC c_prev = SFX(load_n)(c, n);
    VEC a_i = SFX(gate_sum)(gi, gh, n);
    VEC a_f = SFX(gate_sum)(gi + gi_stride, gh + gh_stride, n);
    const VEC a_g = SFX(gate_sum)(gi + 2 * gi_stride, gh + 2 * gh_stride, n);
    VEC a_o = SFX(gate_sum)(gi + 3 * gi_stride, gh + 3 * gh_stride, n);
    if (peep != NULL) {
        /* a_i + p_i * c_{t-1}, a_f + p_f * c_{t-1} */
        a_i = V_ADD(a_i, V_MUL(SFX(load_n)(peep, n), c_prev));
        a_f = V_ADD(a_f, V_MUL(SFX(load_n)(peep + peep_stride, n), c_prev));
    }
    const VEC i_gate = V_SIGMOID(SFX(clip_gate)(has_clip, limit, a_i));
    const VEC f_gate = V_SIGMOID(SFX(clip_gate)(has_clip, limit, a_f));
    const VEC g_gate = V_TANH(SFX(clip_gate)(has_clip, limit, a_g));
    /* c_t = f * c_{t-1} + i * g (one FMA) */
    const VEC c_t = V_FMA(f_gate, c_prev, V_MUL(i_gate, g_gate));
    if (peep != NULL) {
        /* a_o + p_o * c_t: the new cell state */
        a_o = V_ADD(a_o, V_MUL(SFX(load_n)(peep + 2 * peep_stride, n), c_t));
    }
    const VEC o_gate = V_SIGMOID(SFX(clip_gate)(has_clip, limit, a_o));
    SFX(store_n)(c, c_t, n);
    /* m = o * tanh(c_t), the cell state itself is not clipped */
    SFX(store_n)(m, V_MUL(o_gate, V_TANH(c_t)), n);
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
        SFX(lstm_units)(has_clip, limit, gi + j, gi_stride, gh + j, gh_stride,
                        peep != NULL ? peep + j : NULL, peep_stride, c + j,
                        m + j, VLEN);
    }
    if (j < count) {
        SFX(lstm_units)(has_clip, limit, gi + j, gi_stride, gh + j, gh_stride,
                        peep != NULL ? peep + j : NULL, peep_stride, c + j,
                        m + j, count - j);
    }
}

/* h_t = (1 - z) * n + z * h_{t-1} (one FMA) */
RR_AVX2_INLINE VEC SFX(gru_mix)(VEC z, VEC n_gate, VEC h_prev)
{
    return V_FMA(V_SUB(V_SET1(REAL_C(1.0)), z), n_gate, V_MUL(z, h_prev));
}

RR_AVX2_INLINE void SFX(gru_units)(int has_clip, VEC limit, const REAL *gi,
                                   size_t gi_stride, const REAL *gh,
                                   size_t gh_stride, const REAL *h_prev,
                                   REAL *h_next, size_t n)
{
    const VEC r = V_SIGMOID(
        SFX(clip_gate)(has_clip, limit, SFX(gate_sum)(gi, gh, n)));
    const VEC z = V_SIGMOID(SFX(clip_gate)(
        has_clip, limit, SFX(gate_sum)(gi + gi_stride, gh + gh_stride, n)));
    /* n = tanh(W_in x + b_in + r * (W_hn h_{t-1} + b_hn)) */
    const VEC n_gate = V_TANH(SFX(clip_gate)(
        has_clip, limit,
        V_ADD(SFX(load_n)(gi + 2 * gi_stride, n),
              V_MUL(r, SFX(load_n)(gh + 2 * gh_stride, n)))));
    SFX(store_n)(h_next, SFX(gru_mix)(z, n_gate, SFX(load_n)(h_prev, n)), n);
}

RR_AVX2 void SFX(rr_avx2_gru_gates)(const rr_config *cfg, size_t count,
                                    const REAL *gi, size_t gi_stride,
                                    const REAL *gh, size_t gh_stride,
                                    const REAL *h_prev, REAL *h_next)
{
    const int has_clip = cfg->has_clip;
    const VEC limit = V_SET1((REAL)cfg->clip);
    size_t j = 0;
    for (; j + VLEN <= count; j += VLEN) {
        SFX(gru_units)(has_clip, limit, gi + j, gi_stride, gh + j, gh_stride,
                       h_prev + j, h_next + j, VLEN);
    }
    if (j < count) {
        SFX(gru_units)(has_clip, limit, gi + j, gi_stride, gh + j, gh_stride,
                       h_prev + j, h_next + j, count - j);
    }
}

RR_AVX2_INLINE void SFX(gru_rz_units)(int has_clip, VEC limit,
                                      const REAL *gi, size_t gi_stride,
                                      const REAL *gh, size_t gh_stride,
                                      const REAL *h_prev, REAL *z, REAL *rh,
                                      size_t n)
{
    const VEC r = V_SIGMOID(
        SFX(clip_gate)(has_clip, limit, SFX(gate_sum)(gi, gh, n)));
    SFX(store_n)(z,
                 V_SIGMOID(SFX(clip_gate)(
                     has_clip, limit,
                     SFX(gate_sum)(gi + gi_stride, gh + gh_stride, n))),
                 n);
    /* r * h_{t-1}, what W_hn multiplies */
    SFX(store_n)(rh, V_MUL(r, SFX(load_n)(h_prev, n)), n);
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
        SFX(gru_rz_units)(has_clip, limit, gi + j, gi_stride, gh + j,
                          gh_stride, h_prev + j, z + j, rh + j, VLEN);
    }
    if (j < count) {
        SFX(gru_rz_units)(has_clip, limit, gi + j, gi_stride, gh + j,
                          gh_stride, h_prev + j, z + j, rh + j, count - j);
    }
}

RR_AVX2_INLINE void SFX(gru_n_units)(int has_clip, VEC limit,
                                     const REAL *gi_n, const REAL *hn,
                                     const REAL *h_prev, const REAL *z,
                                     REAL *h_next, size_t n)
{
    /* n = tanh(W_in x + b_in + W_hn (r * h_{t-1}) + b_hn) */
    const VEC n_gate =
        V_TANH(SFX(clip_gate)(has_clip, limit, SFX(gate_sum)(gi_n, hn, n)));
    SFX(store_n)(h_next,
                 SFX(gru_mix)(SFX(load_n)(z, n), n_gate,
                              SFX(load_n)(h_prev, n)),
                 n);
}

RR_AVX2 void SFX(rr_avx2_gru_n_gates)(const rr_config *cfg, size_t count,
                                      const REAL *gi_n, const REAL *hn,
                                      const REAL *h_prev, const REAL *z,
                                      REAL *h_next)
{
    const int has_clip = cfg->has_clip;
    const VEC limit = V_SET1((REAL)cfg->clip);
    size_t j = 0;
    for (; j + VLEN <= count; j += VLEN) {
        SFX(gru_n_units)(has_clip, limit, gi_n + j, hn + j, h_prev + j, z + j,
                         h_next + j, VLEN);
    }
    if (j < count) {
        SFX(gru_n_units)(has_clip, limit, gi_n + j, hn + j, h_prev + j, z + j,
                         h_next + j, count - j);
    }
}

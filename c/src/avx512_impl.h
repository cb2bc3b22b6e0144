/*
 * avx512_impl.h - the AVX-512 products and gates for one precision (REAL,
 * SFX: see real.h; VEC, MASK and V_*: see avx512_real.h).
 *
 * A packed group (see rr_packed in internal.h) is G panels [K][nr] with
 * nr = 2 * VLEN (two 64-byte lines: 32 floats or 16 doubles): row k of a
 * panel holds the weights of nr units of one gate as two vectors. Two
 * kernels read it:
 *   - one row (batch 1, the recurrent GEMV): all G gates of the group at
 *     once, K times "broadcast x[k], 2G FMAs", streaming the G panels,
 *     several blocks of k at once (SFX(dot512_row), avx512_cells_impl.h,
 *     which the fused step runs too);
 *   - several rows (GEMM): per gate, register tiles of up to RR512_MR rows
 *     x nr units (2*RR512_MR of the 32 zmm registers as accumulators),
 *     each loaded weight vector serving every row of the tile, a[i][k]
 *     broadcast straight from memory. K goes in slices of RR512_KC, so
 *     that the slice of the panel that all tiles read stays in cache.
 *
 * Determinism: in both kernels every output element is summed in the
 * blocked order of RR_DOT_BLOCK (internal.h):
 *     total = bias (or 0)
 *     per block [kb, kb + RR_DOT_BLOCK) of k, in increasing kb:
 *         s = 0;  s = fma(a[k], w[k], s) for k ascending;  total = total + s
 * one rounding per step (the GEMM keeps total in c between blocks and
 * slices: a store and a load, exact). The blocks depend on k alone, so an
 * element's bits do not depend on the number of rows m, on its row's
 * place in a tile, on the tiles, or on which thread runs its group: a
 * batch row gives the bits of that row run alone. The last group's units
 * past U are masked lanes: the same arithmetic, never stored. The gates
 * work on masked vectors too (no scalar tail), so a unit's bits do not
 * depend on its position either.
 */
#include "real.h"
#include "avx512_real.h"
#include "avx512_math_impl.h"
#include "avx512_cells_impl.h"

/* Rows of one register tile: 12 rows x 2 vectors = 24 accumulators, plus
 * the two weight vectors, of the 32 zmm registers. */
#define RR512_MR 12
/* The K-slice of the GEMM: a panel slice of RR512_KC 128-byte rows is
 * 32 KB, read by every tile of rows while it is in the L1 or L2 cache
 * (measured on Zen 4, LSTM 512, 800 rows: 64 -> 83, 128 -> 94, 256 and
 * 512 -> 98 GFLOP/s). A multiple of RR_DOT_BLOCK, so that no block
 * straddles two slices. */
#define RR512_KC 256
_Static_assert(RR512_KC % RR_DOT_BLOCK == 0, "K-slices hold whole blocks");

/*
 * One row, every gate of the group:
 *   c[g*c_gate_stride + j] = bias[g][j] + sum_k x[k] * group[g][k][j]
 * for j < width (the mask m0 | m1 of the two vectors), in the blocked
 * order. gates is a constant after inlining.
 */
RR_AVX512_INLINE void SFX(gemv512_group)(const size_t gates, size_t k,
                                         const REAL *x, const REAL *group,
                                         const REAL *bias, REAL *c,
                                         size_t c_gate_stride, MASK m0,
                                         MASK m1)
{
    VEC total[8]; /* [2*g + half] */
    SFX(dot512_row)(gates, 2, RR512_BLOCKS_AT_ONCE(gates), k, x, group, bias,
                    total);
    RR_UNROLL(4)
    for (size_t g = 0; g < gates; g++) {
        V_STOREM(c + g * c_gate_stride, m0, total[2 * g]);
        V_STOREM(c + g * c_gate_stride + VLEN, m1, total[2 * g + 1]);
    }
}

/*
 * A register tile over one K-slice [k0, k0 + kc) (k0 a multiple of
 * RR_DOT_BLOCK): rows i < mr of a (row stride lda, already at the slice)
 * times the slice [kc][nr] of one gate's panel, block by block:
 *   s[i][j] = sum over the block's k of a[i][k] * panel[k][j]  (from 0)
 *   c[i*ldc + j] = c[i*ldc + j] + s[i][j],  j < width
 * where c holds the running total: the bias (or 0), stored first when the
 * slice is K's first (`from_c` 0), then the sum of the blocks before (a
 * store and a load: exact). The masks m0, m1 hold j < width. mr is a
 * constant after inlining.
 */
RR_AVX512_INLINE void SFX(tile512)(const size_t mr, size_t kc, int from_c,
                                   const REAL *a, size_t lda,
                                   const REAL *panel, const REAL *bias,
                                   REAL *c, size_t ldc, MASK m0, MASK m1)
{
    const size_t nr = 2 * VLEN;
    if (!from_c) { /* total = bias (or 0) */
        const VEC bias0 = bias != NULL ? V_LOAD(bias) : V_ZERO();
        const VEC bias1 = bias != NULL ? V_LOAD(bias + VLEN) : V_ZERO();
        RR_UNROLL(12)
        for (size_t i = 0; i < mr; i++) {
            V_STOREM(c + i * ldc, m0, bias0);
            V_STOREM(c + i * ldc + VLEN, m1, bias1);
        }
    }
    for (size_t kb = 0; kb < kc; kb += RR_DOT_BLOCK) {
        const size_t k_end = kc - kb < RR_DOT_BLOCK ? kc : kb + RR_DOT_BLOCK;
        VEC s[RR512_MR][2];
        RR_UNROLL(12)
        for (size_t i = 0; i < mr; i++) {
            s[i][0] = V_ZERO();
            s[i][1] = V_ZERO();
        }
        for (size_t kk = kb; kk < k_end; kk++) {
            const VEC w0 = V_LOAD(panel + kk * nr);
            const VEC w1 = V_LOAD(panel + kk * nr + VLEN);
            RR_UNROLL(12)
            for (size_t i = 0; i < mr; i++) {
                const VEC a_ik = V_SET1(a[i * lda + kk]);
                s[i][0] = V_FMA(a_ik, w0, s[i][0]);
                s[i][1] = V_FMA(a_ik, w1, s[i][1]);
            }
        }
        RR_UNROLL(12)
        for (size_t i = 0; i < mr; i++) { /* total = total + s */
            REAL *c_i = c + i * ldc;
            V_STOREM(c_i, m0, V_ADD(V_LOADM(m0, c_i), s[i][0]));
            V_STOREM(c_i + VLEN, m1, V_ADD(V_LOADM(m1, c_i + VLEN), s[i][1]));
        }
    }
}

/* SFX(tile512) with mr a constant (1..RR512_MR): one compiled loop each */
#define RR512_TILE_CASE(rows)                                               \
    case rows:                                                              \
        SFX(tile512)(rows, kc, from_c, a, lda, panel, bias, c, ldc, m0,     \
                     m1);                                                   \
        break;

RR_AVX512 static void SFX(tile512_rows)(size_t mr, size_t kc, int from_c,
                                        const REAL *a, size_t lda,
                                        const REAL *panel, const REAL *bias,
                                        REAL *c, size_t ldc, MASK m0, MASK m1)
{
    switch (mr) {
        RR512_TILE_CASE(1)
        RR512_TILE_CASE(2)
        RR512_TILE_CASE(3)
        RR512_TILE_CASE(4)
        RR512_TILE_CASE(5)
        RR512_TILE_CASE(6)
        RR512_TILE_CASE(7)
        RR512_TILE_CASE(8)
        RR512_TILE_CASE(9)
        RR512_TILE_CASE(10)
        RR512_TILE_CASE(11)
        RR512_TILE_CASE(12)
    default:
        break;
    }
}
#undef RR512_TILE_CASE

RR_AVX512 void SFX(rr_avx512_product)(const rr_packed *w, size_t u, size_t m,
                                      const REAL *a, size_t lda, REAL *c,
                                      size_t c_gate_stride, size_t ldc)
{
    const size_t k = w->k, gates = w->gates, nr = w->nr; /* nr = 2*VLEN */
    const size_t first = u * nr;
    const size_t width = w->units - first < nr ? w->units - first : nr;
    const MASK m0 = V_MASK(width);                           /* units 0.. */
    const MASK m1 = V_MASK(width > VLEN ? width - VLEN : 0); /* VLEN..    */
    const REAL *group = (const REAL *)w->data + u * gates * k * nr;
    const REAL *bias =
        w->bias != NULL ? (const REAL *)w->bias + u * gates * nr : NULL;

    if (m == 1) {
        switch (gates) {
        case 1:
            SFX(gemv512_group)(1, k, a, group, bias, c, c_gate_stride, m0, m1);
            return;
        case 2:
            SFX(gemv512_group)(2, k, a, group, bias, c, c_gate_stride, m0, m1);
            return;
        case 3:
            SFX(gemv512_group)(3, k, a, group, bias, c, c_gate_stride, m0, m1);
            return;
        case 4:
            SFX(gemv512_group)(4, k, a, group, bias, c, c_gate_stride, m0, m1);
            return;
        default:
            break; /* not a gate count of this library: the tiles below */
        }
    }

    /* m rows in tiles of at most RR512_MR rows, as even as can be (blocks
     * of 48 to 192 rows, for the L2 cache, measured no faster on Zen 4) */
    const size_t tiles = (m + RR512_MR - 1) / RR512_MR;
    for (size_t k0 = 0; k0 < k; k0 += RR512_KC) {
        const size_t kc = k - k0 < RR512_KC ? k - k0 : RR512_KC;
        for (size_t g = 0; g < gates; g++) {
            const REAL *slice = group + (g * k + k0) * nr; /* [kc][nr] */
            const REAL *gate_bias = bias != NULL ? bias + g * nr : NULL;
            size_t row = 0;
            for (size_t t = 0; t < tiles; t++) {
                const size_t rows = m / tiles + (t < m % tiles ? 1 : 0);
                SFX(tile512_rows)(rows, kc, k0 > 0, a + row * lda + k0, lda,
                                  slice, gate_bias,
                                  c + row * ldc + g * c_gate_stride, ldc, m0,
                                  m1);
                row += rows;
            }
        }
    }
}

/* --- the gates ---------------------------------------------------------
 *
 * The formulas of cells_impl.h on VLEN units at a time, with the vector
 * sigmoid and tanh of avx512_math_impl.h; the last count % VLEN units are
 * a masked vector (lanes past count are not read or written), so every
 * unit gets the same arithmetic wherever it sits. As in the AVX2 kernels,
 * two sums are one FMA: c_t = f c_{t-1} + i g and the GRU's
 * h_t = (1 - z) n + z h_{t-1}.
 */

/* The per-vector cell formulas are in avx512_cells_impl.h, shared with
 * the fused batch-1 step (step_avx512_impl.h). */

RR_AVX512 void SFX(rr_avx512_rnn_gates)(const rr_config *cfg, size_t count,
                                        const REAL *gi, const REAL *gh,
                                        REAL *h_next)
{
    const int has_clip = cfg->has_clip;
    const VEC limit = V_SET1((REAL)cfg->clip);
    const int relu = cfg->nonlinearity == RR_RELU;
    for (size_t j = 0; j < count; j += VLEN) {
        const MASK mk = V_MASK(count - j);
        /* h_t = phi(a), phi = tanh or relu */
        V_STOREM(h_next + j, mk,
                 SFX(rnn512_cell)(has_clip, limit, relu,
                                  V_LOADM(mk, gi + j), V_LOADM(mk, gh + j)));
    }
}

RR_AVX512 void SFX(rr_avx512_lstm_gates)(const rr_config *cfg, size_t count,
                                         const REAL *gi, size_t gi_stride,
                                         const REAL *gh, size_t gh_stride,
                                         const REAL *peep, size_t peep_stride,
                                         REAL *c, REAL *m)
{
    const int has_clip = cfg->has_clip;
    const VEC limit = V_SET1((REAL)cfg->clip);
    for (size_t j = 0; j < count; j += VLEN) {
        const MASK mk = V_MASK(count - j);
        SFX(peep512) p = { peep != NULL, V_ZERO(), V_ZERO(), V_ZERO() };
        if (peep != NULL) {
            p.p_i = V_LOADM(mk, peep + j);
            p.p_f = V_LOADM(mk, peep + peep_stride + j);
            p.p_o = V_LOADM(mk, peep + 2 * peep_stride + j);
        }
        VEC c_t;
        const VEC m_t = SFX(lstm512_cell)(
            has_clip, limit, V_LOADM(mk, gi + j), V_LOADM(mk, gh + j),
            V_LOADM(mk, gi + gi_stride + j), V_LOADM(mk, gh + gh_stride + j),
            V_LOADM(mk, gi + 2 * gi_stride + j),
            V_LOADM(mk, gh + 2 * gh_stride + j),
            V_LOADM(mk, gi + 3 * gi_stride + j),
            V_LOADM(mk, gh + 3 * gh_stride + j), &p, V_LOADM(mk, c + j), &c_t);
        V_STOREM(c + j, mk, c_t);
        /* m = o * tanh(c_t), the cell state itself is not clipped */
        V_STOREM(m + j, mk, m_t);
    }
}

RR_AVX512 void SFX(rr_avx512_gru_gates)(const rr_config *cfg, size_t count,
                                        const REAL *gi, size_t gi_stride,
                                        const REAL *gh, size_t gh_stride,
                                        const REAL *h_prev, REAL *h_next)
{
    const int has_clip = cfg->has_clip;
    const VEC limit = V_SET1((REAL)cfg->clip);
    for (size_t j = 0; j < count; j += VLEN) {
        const MASK mk = V_MASK(count - j);
        V_STOREM(h_next + j, mk,
                 SFX(gru512_cell)(has_clip, limit, V_LOADM(mk, gi + j),
                                  V_LOADM(mk, gh + j),
                                  V_LOADM(mk, gi + gi_stride + j),
                                  V_LOADM(mk, gh + gh_stride + j),
                                  V_LOADM(mk, gi + 2 * gi_stride + j),
                                  V_LOADM(mk, gh + 2 * gh_stride + j),
                                  V_LOADM(mk, h_prev + j)));
    }
}

RR_AVX512 void SFX(rr_avx512_gru_rz_gates)(const rr_config *cfg, size_t count,
                                           const REAL *gi, size_t gi_stride,
                                           const REAL *gh, size_t gh_stride,
                                           const REAL *h_prev, REAL *z,
                                           REAL *rh)
{
    const int has_clip = cfg->has_clip;
    const VEC limit = V_SET1((REAL)cfg->clip);
    for (size_t j = 0; j < count; j += VLEN) {
        const MASK mk = V_MASK(count - j);
        const VEC r = V_SIGMOID(SFX(clip512_gate)(
            has_clip, limit, V_ADD(V_LOADM(mk, gi + j), V_LOADM(mk, gh + j))));
        V_STOREM(z + j, mk,
                 V_SIGMOID(SFX(clip512_gate)(
                     has_clip, limit,
                     V_ADD(V_LOADM(mk, gi + gi_stride + j),
                           V_LOADM(mk, gh + gh_stride + j)))));
        /* r * h_{t-1} */
        V_STOREM(rh + j, mk, V_MUL(r, V_LOADM(mk, h_prev + j)));
    }
}

RR_AVX512 void SFX(rr_avx512_gru_n_gates)(const rr_config *cfg, size_t count,
                                          const REAL *gi_n, const REAL *hn,
                                          const REAL *h_prev, const REAL *z,
                                          REAL *h_next)
{
    const int has_clip = cfg->has_clip;
    const VEC limit = V_SET1((REAL)cfg->clip);
    for (size_t j = 0; j < count; j += VLEN) {
        const MASK mk = V_MASK(count - j);
        /* n = tanh(W_in x + b_in + W_hn (r * h_{t-1}) + b_hn) */
        const VEC n = V_TANH(SFX(clip512_gate)(
            has_clip, limit,
            V_ADD(V_LOADM(mk, gi_n + j), V_LOADM(mk, hn + j))));
        V_STOREM(h_next + j, mk,
                 SFX(gru512_mix)(V_LOADM(mk, z + j), n,
                                 V_LOADM(mk, h_prev + j)));
    }
}

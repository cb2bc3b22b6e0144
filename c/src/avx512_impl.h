/*
 * avx512_impl.h - the AVX-512 products and gates for one precision (REAL,
 * SFX: see real.h; VEC, MASK and V_*: see avx512_real.h).
 *
 * A packed group (see rr_packed in internal.h) is G panels [K][nr] with
 * nr = 2 * VLEN (two 64-byte lines: 32 floats or 16 doubles): row k of a
 * panel holds the weights of nr units of one gate as two vectors. Three
 * kernels read it:
 *   - one row (batch 1, the recurrent GEMV): all G gates of the group at
 *     once, K times "broadcast x[k], 2G FMAs", streaming the G panels,
 *     several blocks of k at once (SFX(dot512_row), avx512_cells_impl.h,
 *     which the fused step runs too);
 *   - a step's few rows (2 to RR512_HELD_MR): per gate, one register
 *     tile over all of K with the running totals in registers, the panel
 *     streamed once and prefetched ahead (SFX(held_tile512));
 *   - more rows (GEMM): per pair of gates, register tiles of up to
 *     RR512_MR / 2 rows x 2 gates x nr units (SFX(pair_tile512); an odd
 *     last gate alone, up to RR512_MR rows: SFX(tile512)), 24 of the 32
 *     zmm registers as accumulators, each loaded weight vector serving
 *     every row of the tile, a[i][k] broadcast straight from memory. K
 *     goes in slices of RR512_KC, so that the slice of the panels that
 *     all tiles read stays in cache.
 *
 * Determinism: in every kernel every output element is summed in the
 * blocked order of RR_DOT_BLOCK (internal.h):
 *     total = bias (or 0)
 *     per block [kb, kb + RR_DOT_BLOCK) of k, in increasing kb:
 *         s = 0;  s = fma(a[k], w[k], s) for k ascending;  total = total + s
 * one rounding per step (the GEMM keeps total in c between blocks and
 * slices: a store and a load, exact; its first block adds s to the bias
 * itself, bias + s, with no store of the bias before; the few-row tile
 * keeps total in registers; every kernel folds a block in with
 * SFX(fold_block512) or SFX(fold_block_c512)). The blocks depend on k
 * alone, so an element's bits do not depend on the number of rows m, on
 * its row's place in a tile, on the tiles, or on which thread runs its
 * group: a batch row gives the bits of that row run alone. The last
 * group's units past U are masked lanes: the same arithmetic, never
 * stored. The gates work on masked vectors too (no scalar tail), so a
 * unit's bits do not depend on its position either.
 */
#include "real.h"
#include "avx512_real.h"
#include "avx512_math_impl.h"
#include "avx512_cells_impl.h"

/* Rows of one register tile: 12 rows x 2 vectors = 24 accumulators, plus
 * the two weight vectors, of the 32 zmm registers. */
#define RR512_MR 12
/* The K-slice of the GEMM: a slice of a pair of panels is RR512_KC rows
 * of 2 x 128 bytes, 128 KB at 512, read by every tile of rows while it
 * is in the L2 cache (the L1 cache holds none of it: measured on Zen 4,
 * LSTM 512 float32, 800 rows and 32 rows, the pair tiles: 64 and 128 ->
 * 1-6% slower than 256, 512 -> 1.5-2% faster than 256: one slice for
 * K = 512, so no bias pass and no second pass over the tiles). A
 * multiple of RR_DOT_BLOCK, so that no block straddles two slices. */
#define RR512_KC 512
_Static_assert(RR512_KC % RR_DOT_BLOCK == 0, "K-slices hold whole blocks");

/* Rows of the tile that keeps its running totals in registers over all
 * of K (SFX(held_tile512)): 2 * mr totals + 2 * mr block sums + 2 weight
 * vectors + the broadcast <= 32 zmm registers (GCC spills none at 7). A
 * step of batch 2..7 takes it instead of SFX(tile512); as the many-row
 * tile of the GEMM it measured slower (GCC spills the weights at 6 and 7
 * rows; 5 rows no faster than 12 with c holding the totals). */
#define RR512_HELD_MR 7
/* How many panel rows (nr reals: two 64-byte lines) ahead of its FMAs the
 * held tile prefetches: the panels of a step's W_hh are read once per
 * step, from the L3 cache where W_hh is larger than L2 (LSTM 512 float32:
 * 4 MB). 24 rows: about 200 cycles ahead at 4 rows. */
#define RR512_AHEAD 24

/* One block's sums into the running totals of one row's nr units (two
 * vectors: units 0.., VLEN..), held in registers:
 *   total[h] = total[h] + s[h],  h = 0, 1
 * the step of the blocked order that every kernel takes after a block. */
RR_AVX512_INLINE void SFX(fold_block512)(VEC total[2], const VEC s[2])
{
    total[0] = V_ADD(total[0], s[0]);
    total[1] = V_ADD(total[1], s[1]);
}

/* The same with the running total in c, for the GEMM's tiles:
 *   c[j] = before[j] + s[j],  j < width (the masks m0, m1)
 * where before is the total so far: c itself, or on K's first block the
 * bias (`before` = the bias; NULL = 0, so that c = 0 + s as in the other
 * kernels). before = bias saves storing the bias into c first. */
RR_AVX512_INLINE void SFX(fold_block_c512)(REAL *c, const REAL *before,
                                           const VEC s[2], MASK m0, MASK m1)
{
    VEC total[2] = { V_ZERO(), V_ZERO() }; /* units 0.., VLEN.. */
    if (before != NULL) {
        total[0] = V_LOADM(m0, before);
        total[1] = V_LOADM(m1, before + VLEN);
    }
    SFX(fold_block512)(total, s);
    V_STOREM(c, m0, total[0]);
    V_STOREM(c + VLEN, m1, total[1]);
}

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
 *   c[i*ldc + j] = before + s[i][j],  j < width
 * before: the running total, the bias (or 0) on K's first block (the
 * slice's first when `from_c` is 0), else c itself, the sum of the blocks
 * before (a store and a load: exact); SFX(fold_block_c512). The masks m0,
 * m1 hold j < width. mr is a constant after inlining.
 */
RR_AVX512_INLINE void SFX(tile512)(const size_t mr, size_t kc, int from_c,
                                   const REAL *a, size_t lda,
                                   const REAL *panel, const REAL *bias,
                                   REAL *c, size_t ldc, MASK m0, MASK m1)
{
    const size_t nr = 2 * VLEN;
    for (size_t kb = 0; kb < kc; kb += RR_DOT_BLOCK) {
        const size_t k_end = kc - kb < RR_DOT_BLOCK ? kc : kb + RR_DOT_BLOCK;
        const int first = kb == 0 && !from_c; /* total so far = bias (or 0) */
        VEC s[RR512_MR][2]; /* [mr][2] the block's sums */
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
            SFX(fold_block_c512)(c_i, first ? bias : c_i, s[i], m0, m1);
        }
    }
}

/*
 * A register tile of mr <= RR512_HELD_MR rows over all of K, for the few
 * rows of a recurrent step: rows i < mr of a (row stride lda) times one
 * gate's panel [k][nr]. The sums of SFX(tile512), in its order, with the
 * running total held in registers instead of c:
 *   total[i][j] = bias[j] (or 0)
 *   per block [kb, kb + RR_DOT_BLOCK) of k, in increasing kb:
 *       s[i][j] = sum over the block's k, ascending, of a[i][k] * panel[k][j]
 *                 (fma, from 0)
 *       total[i][j] = total[i][j] + s[i][j]
 *   c[i*ldc + j] = total[i][j],  j < width (the masks m0, m1)
 * so a row's bits are those of SFX(tile512) and of the one-row kernel.
 * The panel is read once, front to back, prefetched RR512_AHEAD rows
 * ahead of the FMAs (the last row standing in for rows past the end). mr
 * is a constant after inlining.
 */
RR_AVX512_INLINE void SFX(held_tile512)(const size_t mr, size_t k,
                                        const REAL *a, size_t lda,
                                        const REAL *panel, const REAL *bias,
                                        REAL *c, size_t ldc, MASK m0, MASK m1)
{
    const size_t nr = 2 * VLEN;
    const VEC bias0 = bias != NULL ? V_LOAD(bias) : V_ZERO();
    const VEC bias1 = bias != NULL ? V_LOAD(bias + VLEN) : V_ZERO();
    VEC total[RR512_HELD_MR][2]; /* [mr][2]: units 0.., VLEN.. */
    RR_UNROLL(7)
    for (size_t i = 0; i < mr; i++) {
        total[i][0] = bias0;
        total[i][1] = bias1;
    }
    for (size_t kb = 0; kb < k; kb += RR_DOT_BLOCK) {
        const size_t k_end = k - kb < RR_DOT_BLOCK ? k : kb + RR_DOT_BLOCK;
        VEC s[RR512_HELD_MR][2]; /* [mr][2] the block's sums */
        RR_UNROLL(7)
        for (size_t i = 0; i < mr; i++) {
            s[i][0] = V_ZERO();
            s[i][1] = V_ZERO();
        }
        for (size_t kk = kb; kk < k_end; kk++) {
            const size_t ahead =
                kk + RR512_AHEAD < k ? kk + RR512_AHEAD : k - 1;
            __builtin_prefetch(panel + ahead * nr, 0, 3);
            __builtin_prefetch(panel + ahead * nr + VLEN, 0, 3);
            const VEC w0 = V_LOAD(panel + kk * nr);
            const VEC w1 = V_LOAD(panel + kk * nr + VLEN);
            RR_UNROLL(7)
            for (size_t i = 0; i < mr; i++) {
                const VEC a_ik = V_SET1(a[i * lda + kk]);
                s[i][0] = V_FMA(a_ik, w0, s[i][0]);
                s[i][1] = V_FMA(a_ik, w1, s[i][1]);
            }
        }
        RR_UNROLL(7)
        for (size_t i = 0; i < mr; i++) { /* total = total + s */
            SFX(fold_block512)(total[i], s[i]);
        }
    }
    RR_UNROLL(7)
    for (size_t i = 0; i < mr; i++) {
        V_STOREM(c + i * ldc, m0, total[i][0]);
        V_STOREM(c + i * ldc + VLEN, m1, total[i][1]);
    }
}

/* The G gates of a group for m = 1..RR512_HELD_MR rows: SFX(held_tile512)
 * with mr a constant (one compiled loop each), gate after gate (the G
 * panels of a group are one stream in memory). */
#define RR512_HELD_CASE(rows)                                               \
    case rows:                                                              \
        for (size_t g = 0; g < gates; g++) {                                \
            SFX(held_tile512)(rows, k, a, lda, group + g * k * nr,          \
                              bias != NULL ? bias + g * nr : NULL,          \
                              c + g * c_gate_stride, ldc, m0, m1);          \
        }                                                                   \
        break;

RR_AVX512 static void SFX(held_gates512)(size_t m, size_t gates, size_t k,
                                         const REAL *a, size_t lda,
                                         const REAL *group, const REAL *bias,
                                         REAL *c, size_t c_gate_stride,
                                         size_t ldc, MASK m0, MASK m1)
{
    const size_t nr = 2 * VLEN;
    switch (m) {
        RR512_HELD_CASE(1)
        RR512_HELD_CASE(2)
        RR512_HELD_CASE(3)
        RR512_HELD_CASE(4)
        RR512_HELD_CASE(5)
        RR512_HELD_CASE(6)
        RR512_HELD_CASE(7)
    default:
        break;
    }
}
#undef RR512_HELD_CASE

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

/*
 * SFX(tile512) for two gates at once: rows i < mr <= RR512_MR / 2 of a
 * times the slices of the panels of gates q = 0, 1 (gate q's at
 * panel + q * panel_stride), gate q's totals in c + q * c_gate_stride;
 * each broadcast a[i][k] serves 4 FMAs (6 rows x 2 gates x 2 vectors =
 * 24 accumulators; 4 weight loads and 6 broadcasts per 24 FMAs, where
 * the one-gate tile needs 2 and 12). The same sums, in the same order:
 *   s[i][q][j] = sum over the block's k of a[i][k] * panel_q[k][j]
 *                (fma, k ascending, from 0)
 *   c_q[i*ldc + j] = before_q + s[i][q][j],  j < width
 * before_q: bias_q (or 0) on K's first block (when `from_c` is 0), else
 * c_q itself (SFX(fold_block_c512)). mr is a constant after inlining.
 */
RR_AVX512_INLINE void SFX(pair_tile512)(const size_t mr, size_t kc,
                                        int from_c, const REAL *a, size_t lda,
                                        const REAL *panel,
                                        size_t panel_stride, const REAL *bias,
                                        REAL *c, size_t ldc,
                                        size_t c_gate_stride, MASK m0,
                                        MASK m1)
{
    const size_t nr = 2 * VLEN;
    const REAL *panel1 = panel + panel_stride; /* gate q = 1 */
    REAL *c1 = c + c_gate_stride;
    const REAL *bias1 = bias != NULL ? bias + nr : NULL; /* gate q = 1 */
    for (size_t kb = 0; kb < kc; kb += RR_DOT_BLOCK) {
        const size_t k_end = kc - kb < RR_DOT_BLOCK ? kc : kb + RR_DOT_BLOCK;
        const int first = kb == 0 && !from_c; /* total so far = bias (or 0) */
        VEC s[RR512_MR / 2][4]; /* [mr][gate 0: 0.., VLEN..; gate 1: ...] */
        RR_UNROLL(6)
        for (size_t i = 0; i < mr; i++) {
            s[i][0] = V_ZERO();
            s[i][1] = V_ZERO();
            s[i][2] = V_ZERO();
            s[i][3] = V_ZERO();
        }
        for (size_t kk = kb; kk < k_end; kk++) {
            const VEC w0 = V_LOAD(panel + kk * nr);
            const VEC w1 = V_LOAD(panel + kk * nr + VLEN);
            const VEC w2 = V_LOAD(panel1 + kk * nr);
            const VEC w3 = V_LOAD(panel1 + kk * nr + VLEN);
            RR_UNROLL(6)
            for (size_t i = 0; i < mr; i++) {
                const VEC a_ik = V_SET1(a[i * lda + kk]);
                s[i][0] = V_FMA(a_ik, w0, s[i][0]);
                s[i][1] = V_FMA(a_ik, w1, s[i][1]);
                s[i][2] = V_FMA(a_ik, w2, s[i][2]);
                s[i][3] = V_FMA(a_ik, w3, s[i][3]);
            }
        }
        RR_UNROLL(6)
        for (size_t i = 0; i < mr; i++) { /* total = total + s */
            REAL *c0_i = c + i * ldc, *c1_i = c1 + i * ldc;
            SFX(fold_block_c512)(c0_i, first ? bias : c0_i, &s[i][0], m0, m1);
            SFX(fold_block_c512)(c1_i, first ? bias1 : c1_i, &s[i][2], m0, m1);
        }
    }
}

/* SFX(pair_tile512) with mr a constant (1..RR512_MR / 2) */
#define RR512_PAIR_CASE(rows)                                               \
    case rows:                                                              \
        SFX(pair_tile512)(rows, kc, from_c, a, lda, panel, panel_stride,    \
                          bias, c, ldc, c_gate_stride, m0, m1);             \
        break;

RR_AVX512 static void SFX(pair_tile512_rows)(size_t mr, size_t kc,
                                             int from_c, const REAL *a,
                                             size_t lda, const REAL *panel,
                                             size_t panel_stride,
                                             const REAL *bias, REAL *c,
                                             size_t ldc, size_t c_gate_stride,
                                             MASK m0, MASK m1)
{
    switch (mr) {
        RR512_PAIR_CASE(1)
        RR512_PAIR_CASE(2)
        RR512_PAIR_CASE(3)
        RR512_PAIR_CASE(4)
        RR512_PAIR_CASE(5)
        RR512_PAIR_CASE(6)
    default:
        break;
    }
}
#undef RR512_PAIR_CASE

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

    if (m <= RR512_HELD_MR) { /* a step's few rows */
        SFX(held_gates512)(m, gates, k, a, lda, group, bias, c,
                           c_gate_stride, ldc, m0, m1);
        return;
    }

    /* per K-slice: m rows in tiles of at most RR512_MR / 2 rows, as even
     * as can be, and per tile the gates two at a time (SFX(pair_tile512)),
     * so that the tile's rows of a, read from the L1 cache, serve every
     * pair while the group's panels stay in the L2 cache (measured on Zen
     * 4, LSTM 512 float32, 800 rows: about 1% faster than the pairs
     * outside the tiles; blocks of 48 to 192 rows measured no faster);
     * then, when G is odd, the last gate alone (SFX(tile512)) in tiles of
     * at most RR512_MR rows */
    const size_t pairs = gates / 2;
    const size_t pair_tiles = (m + RR512_MR / 2 - 1) / (RR512_MR / 2);
    const size_t lone_tiles = (m + RR512_MR - 1) / RR512_MR;
    for (size_t k0 = 0; k0 < k; k0 += RR512_KC) {
        const size_t kc = k - k0 < RR512_KC ? k - k0 : RR512_KC;
        size_t row = 0;
        for (size_t t = 0; pairs > 0 && t < pair_tiles; t++) {
            const size_t rows = m / pair_tiles + (t < m % pair_tiles ? 1 : 0);
            for (size_t g = 0; g < 2 * pairs; g += 2) {
                SFX(pair_tile512_rows)(
                    rows, kc, k0 > 0, a + row * lda + k0, lda,
                    group + (g * k + k0) * nr, k * nr,
                    bias != NULL ? bias + g * nr : NULL,
                    c + row * ldc + g * c_gate_stride, ldc, c_gate_stride, m0,
                    m1);
            }
            row += rows;
        }
        const size_t lone = gates - 1; /* the last gate, alone if G is odd */
        row = 0;
        for (size_t t = 0; gates % 2 == 1 && t < lone_tiles; t++) {
            const size_t rows = m / lone_tiles + (t < m % lone_tiles ? 1 : 0);
            SFX(tile512_rows)(rows, kc, k0 > 0, a + row * lda + k0, lda,
                              group + (lone * k + k0) * nr,
                              bias != NULL ? bias + lone * nr : NULL,
                              c + row * ldc + lone * c_gate_stride, ldc, m0,
                              m1);
            row += rows;
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

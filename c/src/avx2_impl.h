/*
 * avx2_impl.h - the AVX2 + FMA products and gates for one precision (REAL,
 * SFX: see real.h; VEC and V_*: see avx2_real.h).
 *
 * A packed group (see rr_packed in internal.h) is G panels [K][nr] with
 * nr = 2 * VLEN: row k of a panel holds the weights of nr units of one gate
 * as two vectors. Two kernels read it:
 *   - one row (batch 1, the recurrent GEMV): all G gates of the group at
 *     once, K times "broadcast x[k], 2G FMAs", streaming the G panels at
 *     memory speed; with few gates, K is cut into blocks summed by separate
 *     accumulators so that enough FMAs are in flight;
 *   - several rows (GEMM): per gate, register tiles of up to RR_MR rows x
 *     nr units (2*RR_MR accumulators), each loaded weight vector serving
 *     every row of the tile. K goes in slices of RR_KC, so that the slice
 *     of the panel that all tiles read stays in cache.
 * Both sum every dot product in the same order (see RR_PHASES), so that a
 * row's bits do not depend on how many rows come with it.
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
 * The order of every sum, whatever the number of rows m (so that row b of
 * a batch gets the bits it gets alone, and a net the same bits at every
 * batch size and thread count): K goes in slices of RR_KC; a slice of kc
 * values of k is cut into P = RR_PHASES(G) consecutive blocks (the first
 * kc % P one longer: SFX(block)); block p is summed in increasing k into
 * partial s_p, s_0 starting from the running value (the bias or 0 before
 * the first slice, the previous slices' sum after), the others from 0; the
 * slice ends with ((s_0 + s_1) + s_2) + s_3.
 * The blocks give the one-row kernel P independent chains of 2G FMAs (at
 * least 8 in flight) that walk P streams of the panel; the tile gets its
 * chains from its rows and sums block after block, each read once.
 */
#define RR_PHASES(gates) ((gates) == 1 ? 4 : (gates) <= 3 ? 2 : 1)

/* Block p of a slice of kc values cut into `phases` blocks (P above):
 * [*start, *start + *len) relative to the slice. */
RR_AVX2_INLINE void SFX(block)(size_t kc, size_t phases, size_t p,
                               size_t *start, size_t *len)
{
    const size_t base = kc / phases, extra = kc % phases;
    *start = p * base + (p < extra ? p : extra);
    *len = base + (p < extra ? 1 : 0);
}

/* acc[2g + half] += x[k] * row k of gate g's panel, for every gate (row:
 * row k of gate 0; the gates' panels are panel_len apart) */
RR_AVX2_INLINE void SFX(gemv_k)(const size_t gates, const REAL *x_k,
                                const REAL *row, size_t panel_len, VEC *acc)
{
    const VEC xk = V_BROADCAST(x_k);
    RR_UNROLL(8)
    for (size_t g = 0; g < gates; g++) {
        const REAL *w = row + g * panel_len;
        acc[2 * g] = V_FMA(xk, V_LOAD(w), acc[2 * g]);
        acc[2 * g + 1] = V_FMA(xk, V_LOAD(w + VLEN), acc[2 * g + 1]);
    }
}

/*
 * One row, every gate of the group:
 *   c[g*c_gate_stride + j] = bias[g][j] + sum_k x[k] * group[g][k][j]
 * in the order above. gates and phases are constants after inlining.
 */
RR_AVX2_INLINE void SFX(gemv_group)(const size_t gates, const size_t phases,
                                    size_t k, const REAL *x,
                                    const REAL *group, const REAL *bias,
                                    REAL *c, size_t c_gate_stride,
                                    size_t width)
{
    const size_t nr = 2 * VLEN;
    const size_t panel_len = k * nr; /* one gate: [K][nr] */
    VEC acc[4][8];                   /* [block][2*g + half] */
    RR_UNROLL(8)
    for (size_t v = 0; v < 2 * gates; v++) {
        acc[0][v] = bias != NULL ? V_LOAD(bias + v * VLEN) : V_ZERO();
    }
    for (size_t k0 = 0; k0 < k; k0 += RR_KC) {
        const size_t kc = k - k0 < RR_KC ? k - k0 : RR_KC;
        const size_t common = kc / phases; /* every block's length */
        size_t start[4];
        RR_UNROLL(8)
        for (size_t p = 0; p < phases; p++) {
            size_t len = 0;
            SFX(block)(kc, phases, p, &start[p], &len);
            start[p] += k0;
            if (p > 0) {
                RR_UNROLL(8)
                for (size_t v = 0; v < 2 * gates; v++) {
                    acc[p][v] = V_ZERO();
                }
            }
        }
        for (size_t i = 0; i < common; i++) {
            RR_UNROLL(8)
            for (size_t p = 0; p < phases; p++) {
                SFX(gemv_k)(gates, x + start[p] + i,
                            group + (start[p] + i) * nr, panel_len, acc[p]);
            }
        }
        RR_UNROLL(8)
        for (size_t p = 0; p < phases; p++) { /* the longer blocks' last k */
            if (p < kc % phases) {
                SFX(gemv_k)(gates, x + start[p] + common,
                            group + (start[p] + common) * nr, panel_len,
                            acc[p]);
            }
        }
        RR_UNROLL(8)
        for (size_t p = 1; p < phases; p++) { /* ((s0 + s1) + s2) + s3 */
            RR_UNROLL(8)
            for (size_t v = 0; v < 2 * gates; v++) {
                acc[0][v] = V_ADD(acc[0][v], acc[p][v]);
            }
        }
    }
    RR_UNROLL(8)
    for (size_t g = 0; g < gates; g++) {
        SFX(store_units)(c + g * c_gate_stride, acc[0][2 * g],
                         acc[0][2 * g + 1], width);
    }
}

/*
 * A register tile, one block of one K-slice: rows i < mr of a (row stride
 * lda, already at the block) times the block [len][nr] of one gate's
 * panel:
 *   s[i][j] = sum_k a[i][k] * panel[k][j],  j < width
 * Block 0 (`first`) adds to `start` (c itself when `accumulate`, else the
 * bias or 0) and writes c = start + s; the others write c = c + s. mr is
 * a constant after inlining.
 */
RR_AVX2_INLINE void SFX(tile)(const size_t mr, int first, size_t len,
                              const REAL *a, size_t lda, const REAL *panel,
                              const REAL *bias, int accumulate, REAL *c,
                              size_t ldc, size_t width)
{
    const size_t nr = 2 * VLEN;
    VEC acc[RR_MR][2];
    if (!first) {
        RR_UNROLL(8)
        for (size_t i = 0; i < mr; i++) {
            acc[i][0] = V_ZERO();
            acc[i][1] = V_ZERO();
        }
    } else if (accumulate) {
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
    for (size_t kk = 0; kk < len; kk++) {
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
        if (!first) { /* the sum of the earlier blocks, then + s */
            VEC sum0, sum1;
            SFX(load_units)(c + i * ldc, width, &sum0, &sum1);
            acc[i][0] = V_ADD(sum0, acc[i][0]);
            acc[i][1] = V_ADD(sum1, acc[i][1]);
        }
        SFX(store_units)(c + i * ldc, acc[i][0], acc[i][1], width);
    }
}

/* SFX(tile) with mr a constant (1..RR_MR): one compiled loop each */
#define RR_TILE_CASE(rows)                                                  \
    case rows:                                                              \
        SFX(tile)(rows, first, len, a, lda, panel, bias, accumulate, c,     \
                  ldc, width);                                              \
        break;

RR_AVX2 static void SFX(tile_rows)(size_t mr, int first, size_t len,
                                   const REAL *a, size_t lda,
                                   const REAL *panel, const REAL *bias,
                                   int accumulate, REAL *c, size_t ldc,
                                   size_t width)
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
    const size_t phases = RR_PHASES(gates);

    if (m == 1) {
        switch (gates) {
        case 1:
            SFX(gemv_group)(1, RR_PHASES(1), k, a, group, bias, c,
                            c_gate_stride, width);
            return;
        case 2:
            SFX(gemv_group)(2, RR_PHASES(2), k, a, group, bias, c,
                            c_gate_stride, width);
            return;
        case 3:
            SFX(gemv_group)(3, RR_PHASES(3), k, a, group, bias, c,
                            c_gate_stride, width);
            return;
        case 4:
            SFX(gemv_group)(4, RR_PHASES(4), k, a, group, bias, c,
                            c_gate_stride, width);
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
                for (size_t p = 0; p < phases; p++) { /* block by block */
                    size_t start = 0, len = 0;
                    SFX(block)(kc, phases, p, &start, &len);
                    SFX(tile_rows)(rows, p == 0, len,
                                   a + row * lda + k0 + start, lda,
                                   slice + start * nr, gate_bias, k0 > 0,
                                   c + row * ldc + g * c_gate_stride, ldc,
                                   width);
                }
                row += rows;
            }
        }
    }
}

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

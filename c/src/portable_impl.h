/*
 * portable_impl.h - the reference matrix product, one precision (REAL,
 * SFX: see real.h). Plain C11; the fast kernels are checked against it.
 *
 * The portable path packs every matrix with nr = U (one group), so the
 * panel of gate g is W_g^T [K, U]. Each c[i][j] is summed in the blocked
 * order of RR_DOT_BLOCK (internal.h), with s = s + a*w (two roundings;
 * the build has no FMA contraction):
 *     total = bias (or 0)
 *     per block [kb, kb + RR_DOT_BLOCK) of k, in increasing kb:
 *         s = 0;  s = s + a[i][k] * w[k][j] for k ascending;  total += s
 * The loops run row i, gate, block, then RR_PORTABLE_JR units at a time
 * (their partial sums in registers; each k reads one a[i][k] and the
 * units' neighbouring weights), the running totals in c. A block's rows
 * of the panel are read together, so they stay in the cache and the TLB
 * for every pass. Every element is its own chain, so the result does not
 * depend on how the loops are cut.
 */
#include "real.h"

/* Units whose partial sums one pass keeps in registers. */
#define RR_PORTABLE_JR 8

/*
 * One block [kb, k_end) for units j < jr: s[j] = sum_k a_row[k] *
 * panel[k][j] (from 0, k ascending), then c_gate[j] = c_gate[j] + s[j].
 * panel [K][nr] at the pass's first unit. jr <= RR_PORTABLE_JR, and
 * RR_PORTABLE_JR after inlining on the main path (s in registers).
 */
static inline void SFX(portable_block)(const size_t jr, size_t kb,
                                       size_t k_end,
                                       const REAL *restrict a_row,
                                       const REAL *restrict panel,
                                       size_t nr, REAL *restrict c_gate)
{
    REAL s[RR_PORTABLE_JR] = { 0 }; /* [jr] the block's sums */
    for (size_t kk = kb; kk < k_end; kk++) {
        const REAL a_ik = a_row[kk];
        const REAL *w_row = panel + kk * nr; /* [jr] */
        RR_UNROLL(8)
        for (size_t j = 0; j < jr; j++) {
            s[j] = s[j] + a_ik * w_row[j];
        }
    }
    RR_UNROLL(8)
    for (size_t j = 0; j < jr; j++) { /* total = total + s */
        c_gate[j] = c_gate[j] + s[j];
    }
}

void SFX(rr_portable_product)(const rr_packed *w, size_t u, size_t m,
                              const REAL *restrict a, size_t lda,
                              REAL *restrict c, size_t c_gate_stride,
                              size_t ldc)
{
    const size_t k = w->k, gates = w->gates, nr = w->nr;
    const size_t first = u * nr;                     /* first unit of u */
    const size_t width = w->units - first < nr ? w->units - first : nr;
    const size_t panel_len = k * nr;                 /* one gate: [K][nr] */
    const REAL *restrict group =                     /* [G][K][nr] */
        (const REAL *)w->data + u * gates * panel_len;
    const REAL *bias =                               /* [G][nr] */
        w->bias != NULL ? (const REAL *)w->bias + u * gates * nr : NULL;

    for (size_t i = 0; i < m; i++) {
        const REAL *a_row = a + i * lda; /* [K] */
        for (size_t g = 0; g < gates; g++) {
            const REAL *panel = group + g * panel_len; /* [K][nr] */
            REAL *c_gate = c + i * ldc + g * c_gate_stride;
            for (size_t j = 0; j < width; j++) { /* total = bias (or 0) */
                c_gate[j] = bias != NULL ? bias[g * nr + j] : REAL_C(0.0);
            }
            for (size_t kb = 0; kb < k; kb += RR_DOT_BLOCK) {
                const size_t k_end =
                    k - kb < RR_DOT_BLOCK ? k : kb + RR_DOT_BLOCK;
                size_t j = 0;
                for (; j + RR_PORTABLE_JR <= width; j += RR_PORTABLE_JR) {
                    SFX(portable_block)(RR_PORTABLE_JR, kb, k_end, a_row,
                                        panel + j, nr, c_gate + j);
                }
                if (j < width) { /* the last width % RR_PORTABLE_JR */
                    SFX(portable_block)(width - j, kb, k_end, a_row,
                                        panel + j, nr, c_gate + j);
                }
            }
        }
    }
}

/*
 * portable_impl.h - the reference matrix product, one precision (REAL,
 * SFX: see real.h). Plain C11; the fast kernels are checked against it.
 *
 * The portable path packs every matrix with nr = U (one group), so the
 * panel of gate g is W_g^T [K, U], and this is the classic i-k-j loop: for
 * each row i of c, start from the bias and add a[i][k] times row k of
 * W_g^T. The inner loop runs over contiguous memory, and each c[i][j] adds
 * its K products in ascending k order, so the result does not depend on
 * vectorisation.
 */
#include "real.h"

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
        REAL *c_row = c + i * ldc;       /* gate g at c_row[g*c_gate_stride] */
        for (size_t g = 0; g < gates; g++) {
            for (size_t j = 0; j < width; j++) {
                c_row[g * c_gate_stride + j] =
                    bias != NULL ? bias[g * nr + j] : REAL_C(0.0);
            }
        }
        for (size_t kk = 0; kk < k; kk++) {
            const REAL a_ik = a_row[kk];
            for (size_t g = 0; g < gates; g++) {
                REAL *restrict c_gate = c_row + g * c_gate_stride;
                const REAL *w_row = group + g * panel_len + kk * nr; /* [nr] */
                for (size_t j = 0; j < width; j++) {
                    c_gate[j] += a_ik * w_row[j];
                }
            }
        }
    }
}

/* linalg.c - the matrix product every layer, step and head uses. */
#include "internal.h"

/* c [m, n] = a [m, k] * bt [k, n] + bias [n]
 *
 * Loop order i-k-j: for each row i of c, start from the bias and add
 * a[i][kk] times row kk of bt. The inner loop runs over contiguous memory in
 * both bt and c, and each c[i][j] accumulates its k products in ascending
 * order, so the result does not depend on how the loop is vectorised. */
void rr_gemm_bias(size_t m, size_t n, size_t k,
                  const double *restrict a, size_t lda,
                  const double *restrict bt, size_t ldb,
                  const double *restrict bias,
                  double *restrict c, size_t ldc)
{
    for (size_t i = 0; i < m; i++) {
        const double *a_row = a + i * lda; /* [k] */
        double *c_row = c + i * ldc;       /* [n] */
        for (size_t j = 0; j < n; j++) {
            c_row[j] = bias != NULL ? bias[j] : 0.0;
        }
        for (size_t kk = 0; kk < k; kk++) {
            const double a_ik = a_row[kk];
            const double *bt_row = bt + kk * ldb; /* [n] */
            for (size_t j = 0; j < n; j++) {
                c_row[j] += a_ik * bt_row[j];
            }
        }
    }
}

/* dst[j][i] = src[i][j] */
void rr_transpose(size_t rows, size_t cols, const double *src, double *dst)
{
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < cols; j++) {
            dst[j * rows + i] = src[i * cols + j];
        }
    }
}

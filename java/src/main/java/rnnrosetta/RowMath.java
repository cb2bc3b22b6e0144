package rnnrosetta;

/**
 * The three products that the kept forward pass ({@link ChainTape}) and the backward pass
 * ({@link Backward64}) are written with, on one row at a time, in float64. A weight
 * {@code W [N_all, K]} is row-major; each product works on its rows {@code row0 .. row0+n-1}
 * (a gate block), so that {@code W_hh}'s r/z rows and n rows of a GRU can be treated apart.
 *
 * <pre>
 *   affine:         out[o]  = b[row0+o] + sum_k W[row0+o, k] v[k]      (forward:  a = W v + b; 4 partial sums)
 *   addOuter:       dW[row0+o, k] += d[o] v[k],  db[row0+o] += d[o]   (backward: dW += d v^T, db += d)
 *   addTransposed:  out[k] += sum_o d[o] W[row0+o, k]                 (backward: dv += W^T d)
 * </pre>
 */
final class RowMath {
    private RowMath() {
    }

    /** {@code out[outOff+o] = b[row0+o] + sum_k W[row0+o, k] v[vOff+k]}, o in 0..n-1; b may be null (0). */
    static void affine(double[] w, double[] b, int row0, int n, int k, double[] v, int vOff, double[] out,
                       int outOff) {
        int k4 = k - k % 4;
        for (int o = 0; o < n; o++) {
            int row = (row0 + o) * k;
            // four partial sums (independent chains the CPU overlaps), then the tail
            double s0 = 0.0;
            double s1 = 0.0;
            double s2 = 0.0;
            double s3 = 0.0;
            for (int j = 0; j < k4; j += 4) {
                s0 += w[row + j] * v[vOff + j];
                s1 += w[row + j + 1] * v[vOff + j + 1];
                s2 += w[row + j + 2] * v[vOff + j + 2];
                s3 += w[row + j + 3] * v[vOff + j + 3];
            }
            for (int j = k4; j < k; j++) {
                s0 += w[row + j] * v[vOff + j];
            }
            out[outOff + o] = (b == null ? 0.0 : b[row0 + o]) + ((s0 + s1) + (s2 + s3));
        }
    }

    /** {@code dW[row0+o, k] += d[dOff+o] v[vOff+k]} and {@code db[row0+o] += d[dOff+o]}; db may be null. */
    static void addOuter(double[] dw, double[] db, int row0, int n, int k, double[] d, int dOff, double[] v,
                         int vOff) {
        for (int o = 0; o < n; o++) {
            double g = d[dOff + o];
            if (db != null) {
                db[row0 + o] += g;
            }
            int row = (row0 + o) * k;
            for (int j = 0; j < k; j++) {
                dw[row + j] += g * v[vOff + j];
            }
        }
    }

    /** {@code out[outOff+k] += sum_o d[dOff+o] W[row0+o, k]} (the product with W transposed). */
    static void addTransposed(double[] w, int row0, int n, int k, double[] d, int dOff, double[] out, int outOff) {
        for (int o = 0; o < n; o++) {
            double g = d[dOff + o];
            int row = (row0 + o) * k;
            for (int j = 0; j < k; j++) {
                out[outOff + j] += g * w[row + j];
            }
        }
    }

    /** How many rows {@link #addOuterRows} and {@link #addTransposedRows} take at a time (their rows stay in cache). */
    private static final int BLOCK = 16;

    /**
     * {@link #addOuter} over many rows: for each c in 0..count-1, with the gradient row
     * {@code d[dOffs[c] ..]} aligned with W's rows ({@code d[dOffs[c] + row0 + o]} belongs to row row0+o):
     * {@code dW[row0+o, k] += d_c[row0+o] v[vOffs[c] + k]}, {@code db[row0+o] += d_c[row0+o]}. Blocked:
     * each row of dW is visited once per {@link #BLOCK} rows, not once per row.
     */
    static void addOuterRows(double[] dw, double[] db, int row0, int n, int k, double[] d, int[] dOffs, double[] v,
                             int[] vOffs, int count) {
        for (int c0 = 0; c0 < count; c0 += BLOCK) {
            int c1 = Math.min(count, c0 + BLOCK);
            for (int o = row0; o < row0 + n; o++) {
                int row = o * k;
                for (int c = c0; c < c1; c++) {
                    double g = d[dOffs[c] + o];
                    int vOff = vOffs[c];
                    if (db != null) {
                        db[o] += g;
                    }
                    for (int j = 0; j < k; j++) {
                        dw[row + j] += g * v[vOff + j];
                    }
                }
            }
        }
    }

    /**
     * {@link #addTransposed} over many rows: {@code out[outOffs[c] + k] += sum_o d[dOffs[c] + row0 + o]
     * W[row0+o, k]} for each c in 0..count-1 (d aligned with W's rows, as in {@link #addOuterRows}); each
     * row of W is read once per {@link #BLOCK} rows.
     */
    static void addTransposedRows(double[] w, int row0, int n, int k, double[] d, int[] dOffs, double[] out,
                                  int[] outOffs, int count) {
        for (int c0 = 0; c0 < count; c0 += BLOCK) {
            int c1 = Math.min(count, c0 + BLOCK);
            for (int o = row0; o < row0 + n; o++) {
                int row = o * k;
                for (int c = c0; c < c1; c++) {
                    double g = d[dOffs[c] + o];
                    int outOff = outOffs[c];
                    for (int j = 0; j < k; j++) {
                        out[outOff + j] += g * w[row + j];
                    }
                }
            }
        }
    }
}

package rnnrosetta;

/**
 * The three products of the kept forward pass ({@link ChainTape}) and the backward pass
 * ({@link Backward64}) on one row, in float64: the small ones (dense layers, the projection, the
 * Cho GRU's n block); {@link Products} does the large ones over many rows at once. A weight
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
}

package rnnrosetta;

/**
 * Dense row-major products. Every output element starts from its bias (0.0 without one)
 * and adds the products {@code w[k] * v[k]} in ascending k: {@code ((b + w0 v0) + w1 v1) + ...},
 * the same order as the C library's portable product ({@code rr_portable_product}), so the
 * two agree to the bit. {@link Plain64} (the float64 reference path) computes with these.
 */
final class Linalg {
    private Linalg() {
    }

    /** {@code start + sum_k a[aOff + k] * b[bOff + k]} for k = 0 .. n-1, added in index order. */
    static double dot(double start, double[] a, int aOff, double[] b, int bOff, int n) {
        double s = start;
        for (int k = 0; k < n; k++) {
            s += a[aOff + k] * b[bOff + k];
        }
        return s;
    }

    /**
     * {@code y[yOff + o] = b[firstRow + o] + dot(W[firstRow + o, :], v[vOff ..])} for
     * o = 0 .. rows-1: a block of {@code rows} rows of W [*, cols] times the vector v [cols];
     * b null = no bias.
     */
    static void matVec(double[] w, int firstRow, int rows, int cols, double[] b,
                       double[] v, int vOff, double[] y, int yOff) {
        for (int o = 0; o < rows; o++) {
            int row = firstRow + o;
            y[yOff + o] = dot(b == null ? 0.0 : b[row], w, row * cols, v, vOff, cols);
        }
    }
}

package rnnrosetta;

/**
 * Dense row-major products. Every dot product sums {@code w[k] * v[k]} in index order
 * starting from 0.0 and adds the bias afterwards: {@code (sum_k w[k] v[k]) + b}.
 */
final class Linalg {
    private Linalg() {
    }

    /** {@code sum_k a[aOff + k] * b[bOff + k]} for k = 0 .. n-1, in index order. */
    static double dot(double[] a, int aOff, double[] b, int bOff, int n) {
        double s = 0.0;
        for (int k = 0; k < n; k++) {
            s += a[aOff + k] * b[bOff + k];
        }
        return s;
    }

    /**
     * Y = X W^T + b for a block of rows (the "linear" layer, one GEMM):
     * X [rows, in], W [out, in], b [out] (null = no bias), Y [rows, out].
     */
    static void linear(double[] x, int rows, int in, double[] w, double[] b, int out, double[] y) {
        for (int r = 0; r < rows; r++) {
            matVec(w, 0, out, in, b, x, r * in, y, r * out);
        }
    }

    /**
     * {@code y[yOff + o] = dot(W[firstRow + o, :], v[vOff ..]) + b[firstRow + o]} for o = 0 .. rows-1:
     * a block of {@code rows} rows of W [*, cols] times the vector v [cols]; b null = no bias.
     */
    static void matVec(double[] w, int firstRow, int rows, int cols, double[] b,
                       double[] v, int vOff, double[] y, int yOff) {
        for (int o = 0; o < rows; o++) {
            int row = firstRow + o;
            double s = dot(w, row * cols, v, vOff, cols);
            y[yOff + o] = b == null ? s : s + b[row];
        }
    }
}

package rnnrosetta;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The large products of the kept forward pass ({@link ChainTape}) and of the backward pass
 * ({@link CellBackward}) over many rows at once, on a chain's float64 {@link Compute} (its GEMM:
 * the Vector API kernel when the chain computes with it, else plain loops), so that backward runs
 * at the speed of the forward kernels. The same three products as {@link RowMath}'s row versions
 * (those stay for the small per-row products), with W's rows {@code row0 .. row0+n-1}:
 *
 * <pre>
 *   affineRows:         y_c[row0+o]  = b[row0+o] + sum_k W[row0+o, k] v_c[k]     Y = V W^T + b
 *   addTransposedRows:  out_c[k]    += sum_o d_c[row0+o] W[row0+o, k]            OUT += D W
 *   addOuterRows:       dW[row0+o, k] += sum_c d_c[row0+o] v_c[k],  db += sum_c d_c   dW += D^T V
 * </pre>
 * Row c of V, D, Y, OUT starts at the offset given for it (rows need not be contiguous); d and y
 * rows are aligned with W's rows (element row0+o of the row belongs to W's row row0+o). The
 * weight matrices are packed for the kernel once and kept (thread-safe); the per-call operands
 * are gathered into contiguous scratch. Sums run in the kernel's order, not index order.
 */
final class Products {
    /** A packed weight block: W's rows [first, first+n) of a [*, k] array, or of its transpose. */
    private record Key(double[] w, double[] b, int first, int n, int k, boolean transposed) {
    }

    private final Compute<double[]> compute;
    private final Map<Key, Matrix<double[]>> packed = new ConcurrentHashMap<>();

    /** Products on {@code kernel}'s float64 arithmetic. */
    Products(Kernel kernel) {
        this.compute = Kernels.float64(kernel, Double.NaN);
    }

    /** {@code W[first .. first+n) [n, k]} with the bias b[first ..] (or none), packed once. */
    private Matrix<double[]> rows(double[] w, double[] b, int first, int n, int k) {
        return packed.computeIfAbsent(new Key(w, b, first, n, k, false), key -> compute.matrix(w, b, first, n, k));
    }

    /** {@code (W[first .. first+n))^T [k, n]}, packed once. */
    private Matrix<double[]> transposedRows(double[] w, int first, int n, int k) {
        return packed.computeIfAbsent(new Key(w, null, first, n, k, true), key -> {
            double[] t = new double[k * n];                                          // [k, n]
            for (int o = 0; o < n; o++) {
                for (int j = 0; j < k; j++) {
                    t[j * n + o] = w[(first + o) * k + j];
                }
            }
            return compute.matrix(t, null, 0, k, n);
        });
    }

    /** {@code Y = V W^T + b}: y[yOffs[c] + row0 + o] for each listed row; b may be null. */
    void affineRows(double[] w, double[] b, int row0, int n, int k, double[] v, int[] vOffs, double[] y,
                    int[] yOffs, int count) {
        if (count == 0) {
            return;
        }
        Matrix<double[]> m = rows(w, b, row0, n, k);
        double[] vb = gather(v, vOffs, 0, k, count);                                  // [count, k]
        double[] yb = new double[count * m.stride()];                                 // [count, stride]
        compute.linear(vb, 0, count, m, yb, 0, m.stride());
        for (int c = 0; c < count; c++) {
            System.arraycopy(yb, c * m.stride(), y, yOffs[c] + row0, n);
        }
    }

    /** {@code OUT += D W}: out[outOffs[c] + j] += sum_o d[dOffs[c] + row0 + o] W[row0 + o, j]. */
    void addTransposedRows(double[] w, int row0, int n, int k, double[] d, int[] dOffs, double[] out, int[] outOffs,
                           int count) {
        if (count == 0) {
            return;
        }
        Matrix<double[]> m = transposedRows(w, row0, n, k);                          // W^T [k, n]
        double[] db = gather(d, dOffs, row0, n, count);                               // [count, n]
        double[] yb = new double[count * m.stride()];                                 // [count, stride]
        compute.linear(db, 0, count, m, yb, 0, m.stride());
        for (int c = 0; c < count; c++) {
            int src = c * m.stride();
            int dst = outOffs[c];
            for (int j = 0; j < k; j++) {
                out[dst + j] += yb[src + j];
            }
        }
    }

    /** {@code dW += D^T V}, {@code db += sum_c d_c} on W's rows [row0, row0+n); db may be null. */
    void addOuterRows(double[] dw, double[] db, int row0, int n, int k, double[] d, int[] dOffs, double[] v,
                      int[] vOffs, int count) {
        if (count == 0) {
            return;
        }
        double[] dt = new double[n * count];                                          // D^T [n, count]
        double[] vt = new double[k * count];                                          // V^T [k, count]
        for (int c = 0; c < count; c++) {
            for (int o = 0; o < n; o++) {
                dt[o * count + c] = d[dOffs[c] + row0 + o];
            }
            for (int j = 0; j < k; j++) {
                vt[j * count + c] = v[vOffs[c] + j];
            }
        }
        Matrix<double[]> m = compute.matrix(vt, null, 0, k, count);                  // rows of V^T, [k, count]
        double[] yb = new double[n * m.stride()];                                     // (D^T V) [n, stride]
        compute.linear(dt, 0, n, m, yb, 0, m.stride());
        for (int o = 0; o < n; o++) {
            int row = (row0 + o) * k;
            double sum = 0.0;
            for (int j = 0; j < k; j++) {
                dw[row + j] += yb[o * m.stride() + j];
            }
            for (int c = 0; c < count; c++) {
                sum += dt[o * count + c];
            }
            if (db != null) {
                db[row0 + o] += sum;
            }
        }
    }

    /** Rows {@code a[offs[c] + from .. + n)} one after another: [count, n]. */
    private static double[] gather(double[] a, int[] offs, int from, int n, int count) {
        double[] g = new double[count * n];
        for (int c = 0; c < count; c++) {
            System.arraycopy(a, offs[c] + from, g, c * n, n);
        }
        return g;
    }
}

package rnnrosetta.train;

/**
 * The mean softmax cross-entropy of N rows of logits and its fused gradient, in float64
 * (docs/training.md, "One step"; PyTorch's {@code F.cross_entropy} with reduction "mean"):
 *
 * <pre>
 *   lse(v)      = m + log(sum_j exp(v_j - m)),  m = max_j v_j
 *   loss        = (1 / N) * sum_n ( lse(z_n) - z_n[y_n] )
 *   dz_n[j]     = ( softmax(z_n)_j - [j == y_n] ) / N,   softmax(z_n)_j = exp(z_n[j] - m) / sum_k exp(z_n[k] - m)
 * </pre>
 */
public final class SoftmaxCrossEntropy {
    private SoftmaxCrossEntropy() {
    }

    /**
     * The loss; {@code dz} receives the gradient.
     *
     * @param z       logits [N, V], row-major
     * @param rows    N &gt;= 1
     * @param classes V &gt;= 1
     * @param targets y [N], each in 0 .. V-1
     * @param dz      [N, V], overwritten with dL/dz
     * @throws IllegalArgumentException on a bad length or target
     */
    public static double lossAndGradient(double[] z, int rows, int classes, int[] targets, double[] dz) {
        check(z, rows, classes, targets, dz);
        double total = 0.0;
        for (int n = 0; n < rows; n++) {
            int off = n * classes;
            double m = z[off];
            for (int j = 1; j < classes; j++) {
                m = Math.max(m, z[off + j]);                          // m = max_j z_j
            }
            double sum = 0.0;
            for (int j = 0; j < classes; j++) {
                double e = Math.exp(z[off + j] - m);                  // exp(z_j - m)
                dz[off + j] = e;
                sum += e;
            }
            double lse = m + Math.log(sum);                           // lse(z_n)
            total += lse - z[off + targets[n]];
            for (int j = 0; j < classes; j++) {
                dz[off + j] = (dz[off + j] / sum - (j == targets[n] ? 1.0 : 0.0)) / rows;
            }
        }
        return total / rows;                                          // mean over the N rows
    }

    /** {@link #lossAndGradient} on float32 logits, computed in float64 (the logits widened exactly). */
    public static double lossAndGradient(float[] z, int rows, int classes, int[] targets, double[] dz) {
        if (z == null) {
            throw new IllegalArgumentException("logits must not be null");
        }
        double[] wide = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            wide[i] = z[i];
        }
        return lossAndGradient(wide, rows, classes, targets, dz);
    }

    private static void check(double[] z, int rows, int classes, int[] targets, double[] dz) {
        if (rows < 1 || classes < 1) {
            throw new IllegalArgumentException("need N >= 1 rows of V >= 1 logits, got N=" + rows + ", V=" + classes);
        }
        long n = (long) rows * classes;
        if (z == null || z.length != n || dz == null || dz.length != n) {
            throw new IllegalArgumentException("logits and their gradient must hold N*V = " + n + " values");
        }
        if (targets == null || targets.length != rows) {
            throw new IllegalArgumentException("targets must hold N = " + rows + " values");
        }
        for (int i = 0; i < rows; i++) {
            if (targets[i] < 0 || targets[i] >= classes) {
                throw new IllegalArgumentException("targets[" + i + "] = " + targets[i] + " is not in 0 .. "
                        + (classes - 1));
            }
        }
    }
}

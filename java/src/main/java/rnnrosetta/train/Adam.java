package rnnrosetta.train;

import java.util.List;

/**
 * Adam as {@code torch.optim.Adam} computes it (no weight decay, not amsgrad), element by element,
 * at step {@code t = 1, 2, ...} (docs/training.md, "Optimizers"):
 *
 * <pre>
 *   m  = m + (1 - beta1) * (g - m)                 torch's lerp, (1 - beta1) &lt; 0.5
 *   v  = beta2 * v + (1 - beta2) * g * g
 *   c1 = 1 - beta1^t;  c2 = 1 - beta2^t
 *   p  = p - (lr / c1) * (m / (sqrt(v) / sqrt(c2) + eps))
 * </pre>
 *
 * m and v start at zero. Scalars (c1, c2, lr / c1, sqrt(c2)) are float64 in both precisions, as
 * PyTorch's; in float32 every elementwise result is rounded to float.
 */
public final class Adam implements Optimizer {
    private final double lr;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final Precision precision;
    private double[][] m;
    private double[][] v;
    private int t;

    /** Adam with the spec's betas 0.9, 0.999 and eps 1e-8. */
    public Adam(double lr, boolean float32) {
        this(lr, TrainConfig.BETA1, TrainConfig.BETA2, TrainConfig.EPS, float32);
    }

    /**
     * Adam with its constants given.
     *
     * @throws IllegalArgumentException unless lr &gt; 0, 0 &lt;= beta &lt; 1, eps &gt;= 0 (all finite)
     */
    public Adam(double lr, double beta1, double beta2, double eps, boolean float32) {
        if (!(lr > 0 && lr < Double.POSITIVE_INFINITY) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)
                || !(eps >= 0 && eps < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("Adam needs lr > 0, betas in [0, 1) and eps >= 0, got lr=" + lr
                    + ", betas=" + beta1 + ", " + beta2 + ", eps=" + eps);
        }
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.precision = float32 ? Precision.FLOAT32 : Precision.FLOAT64;
    }

    @Override
    public void step(List<double[]> params, List<double[]> grads) {
        Optimizer.check(params, grads, m);
        if (m == null) {
            m = new double[params.size()][];
            v = new double[params.size()][];
            for (int k = 0; k < params.size(); k++) {
                m[k] = new double[params.get(k).length];
                v[k] = new double[params.get(k).length];
            }
        }
        t++;
        double c1 = 1.0 - Math.pow(beta1, t);                         // bias corrections
        double c2 = 1.0 - Math.pow(beta2, t);
        double stepSize = lr / c1;
        double sqrtC2 = Math.sqrt(c2);
        double w = 1.0 - beta1;
        double w2 = 1.0 - beta2;
        Precision r = precision;
        for (int k = 0; k < params.size(); k++) {
            double[] p = params.get(k);
            double[] g = grads.get(k);
            double[] mk = m[k];
            double[] vk = v[k];
            for (int i = 0; i < p.length; i++) {
                double gi = g[i];
                mk[i] = lerp(mk[i], gi, w, r);                                        // m = lerp(m, g, 1 - beta1)
                vk[i] = r.round(r.round(beta2 * vk[i]) + r.round(r.round(w2 * gi) * gi)); // v = beta2 v + (1-beta2) g g
                double denom = r.round(r.round(r.round(Math.sqrt(vk[i])) / sqrtC2) + eps); // sqrt(v)/sqrt(c2) + eps
                p[i] = r.round(p[i] - r.round(stepSize * r.round(mk[i] / denom)));   // p -= (lr/c1) (m/denom)
            }
        }
    }

    /** torch.lerp(start, end, weight): from the nearer end. */
    private static double lerp(double start, double end, double weight, Precision r) {
        if (weight < 0.5) {
            return r.round(start + r.round(weight * r.round(end - start)));
        }
        return r.round(end - r.round(r.round(end - start) * (1.0 - weight)));
    }

    @Override
    public int steps() {
        return t;
    }
}

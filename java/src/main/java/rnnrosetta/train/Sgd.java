package rnnrosetta.train;

import java.util.List;

/**
 * SGD with momentum as {@code torch.optim.SGD} computes it (no dampening, weight decay or Nesterov),
 * element by element (docs/training.md, "Optimizers"):
 *
 * <pre>
 *   b = g at t = 1, then b = mu * b + g          (mu = 0: no buffer, b = g)
 *   p = p - lr * b
 * </pre>
 *
 * In float32 every elementwise result is rounded to float.
 */
public final class Sgd implements Optimizer {
    private final double lr;
    private final double momentum;
    private final Precision precision;
    private double[][] buffers;
    private int t;

    /**
     * SGD with learning rate lr and momentum mu.
     *
     * @throws IllegalArgumentException unless lr &gt; 0 and mu &gt;= 0 (both finite)
     */
    public Sgd(double lr, double momentum, boolean float32) {
        if (!(lr > 0 && lr < Double.POSITIVE_INFINITY) || !(momentum >= 0 && momentum < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("SGD needs lr > 0 and momentum >= 0, got lr=" + lr + ", momentum="
                    + momentum);
        }
        this.lr = lr;
        this.momentum = momentum;
        this.precision = float32 ? Precision.FLOAT32 : Precision.FLOAT64;
    }

    @Override
    public void step(List<double[]> params, List<double[]> grads) {
        Optimizer.check(params, grads, buffers);
        boolean first = buffers == null;
        if (first) {
            buffers = new double[params.size()][];
            for (int k = 0; k < params.size(); k++) {
                buffers[k] = new double[params.get(k).length];
            }
        }
        t++;
        Precision r = precision;
        for (int k = 0; k < params.size(); k++) {
            double[] p = params.get(k);
            double[] g = grads.get(k);
            double[] b = buffers[k];
            for (int i = 0; i < p.length; i++) {
                double d = g[i];
                if (momentum != 0.0) {
                    b[i] = first ? d : r.round(r.round(momentum * b[i]) + d);    // b = mu b + g (b = g at t = 1)
                    d = b[i];
                }
                p[i] = r.round(p[i] - r.round(lr * d));                         // p = p - lr b
            }
        }
    }

    @Override
    public int steps() {
        return t;
    }
}

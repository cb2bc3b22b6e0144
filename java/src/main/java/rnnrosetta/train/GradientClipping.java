package rnnrosetta.train;

import java.util.List;

/**
 * Clipping by the global norm ({@code torch.nn.utils.clip_grad_norm_}, docs/training.md):
 *
 * <pre>
 *   total = sqrt( sum over every gradient array (in order) of its sum of squares )
 *   coef  = min( c / (total + 1e-6), 1 );   every gradient *= coef
 * </pre>
 *
 * The norm is summed in float64 in both precisions; in float32 each product is rounded to float.
 */
public final class GradientClipping {
    private GradientClipping() {
    }

    /**
     * Scales {@code grads} in place so that their global 2-norm is at most {@code maxNorm}.
     *
     * @return total, the norm before scaling
     * @throws IllegalArgumentException when maxNorm is not finite and &gt; 0, or a gradient is null
     */
    public static double clip(List<double[]> grads, double maxNorm) {
        return clip(grads, maxNorm, false);
    }

    /** {@link #clip(List, double)}, each scaled value rounded to float when {@code float32}. */
    public static double clip(List<double[]> grads, double maxNorm, boolean float32) {
        if (!(maxNorm > 0 && maxNorm < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("the clipping bound must be a finite number > 0, got " + maxNorm);
        }
        double total = norm(grads);
        double coef = Math.min(maxNorm / (total + 1e-6), 1.0);
        Precision p = float32 ? Precision.FLOAT32 : Precision.FLOAT64;
        double c = p.round(coef);
        for (double[] g : grads) {
            for (int i = 0; i < g.length; i++) {
                g[i] = p.round(g[i] * c);                           // g *= coef
            }
        }
        return total;
    }

    /** sqrt of the sum of squares of every entry of every array, in order. */
    public static double norm(List<double[]> grads) {
        if (grads == null) {
            throw new IllegalArgumentException("gradients must not be null");
        }
        double squares = 0.0;
        for (double[] g : grads) {
            if (g == null) {
                throw new IllegalArgumentException("a gradient must not be null");
            }
            for (double v : g) {
                squares += v * v;
            }
        }
        return Math.sqrt(squares);
    }
}

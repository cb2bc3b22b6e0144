package rnnrosetta;

/**
 * What the float64 kernels take from their precision and from nothing else: the weights
 * as given (copied) and the clip bound as given. {@link Compute32} is the same for float32;
 * these two small classes are the only hand-written code that differs by precision, so the
 * kernels themselves ({@link Plain64}, {@code Vector64}) can be the template of the float32
 * ones.
 */
abstract class Compute64 extends Compute<double[]> {
    /** Gate pre-activations are clamped to [-clip, clip]; NaN = no clipping. */
    final double clip;

    Compute64(double clip) {
        this.clip = clip;
    }

    @Override
    final double[] convert(double[] v) {
        return v == null ? null : v.clone();
    }
}

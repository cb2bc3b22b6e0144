package rnnrosetta;

/**
 * {@link Compute64} for float32: the weights rounded to float once, at construction, and
 * the clip bound too (by {@link Kernels}, which passes it as a float; NaN stays NaN).
 */
abstract class Compute32 extends Compute<float[]> {
    /** Gate pre-activations are clamped to [-clip, clip]; NaN = no clipping. */
    final float clip;

    Compute32(float clip) {
        this.clip = clip;
    }

    @Override
    final float[] convert(double[] v) {
        if (v == null) {
            return null;
        }
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}

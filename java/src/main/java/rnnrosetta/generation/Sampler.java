package rnnrosetta.generation;

/**
 * The sampling rule of docs/generation.md, the same in every backend: from logits z [V]
 * (float64) and a temperature, one token index.
 *
 * <pre>
 *   T == 0:  the first index of the largest z_i (no draw)
 *   T &gt; 0:   m = max z;  w_i = exp((z_i - m) / T);  total = w_0 + ... + w_{V-1} (index order)
 *           target = rng.nextDouble() * total
 *           the first i with target &lt; w_0 + ... + w_i (cumulated in index order);
 *           past the end (rounding only): the largest i with w_i &gt; 0
 * </pre>
 *
 * That is inverse-CDF sampling from softmax(z / T). The loops run in index order with
 * {@link Math#exp} so that the sums are those of the other backends' loops.
 */
public final class Sampler {
    private Sampler() {
    }

    /**
     * One token index drawn from softmax(logits / temperature), or the greedy one at temperature 0.
     *
     * @param logits      z [V], V &gt;= 1
     * @param temperature finite, &gt;= 0
     * @param rng         the generator (one {@link SplitMix64#nextDouble()} per call when temperature &gt; 0)
     * @throws IllegalArgumentException on empty logits or a negative, infinite or NaN temperature
     * @throws GenerationError when a logit is not finite (the model gives no distribution)
     */
    public static int sampleToken(double[] logits, double temperature, SplitMix64 rng) {
        checkTemperature(temperature);
        if (logits == null || logits.length == 0) {
            throw new IllegalArgumentException("sampleToken needs at least one logit");
        }
        for (int i = 0; i < logits.length; i++) {
            if (!Double.isFinite(logits[i])) {
                throw new GenerationError("logits[" + i + "] is " + cText(logits[i])
                        + ": the model gives no distribution to sample from");
            }
        }
        if (temperature == 0) {
            return argmax(logits);
        }
        if (rng == null) {
            throw new IllegalArgumentException("sampleToken needs a generator when the temperature is above 0");
        }
        double m = logits[argmax(logits)];
        double[] w = new double[logits.length];                 // [V]
        double total = 0.0;
        for (int i = 0; i < logits.length; i++) {
            w[i] = Math.exp((logits[i] - m) / temperature);
            total += w[i];
        }
        double target = rng.nextDouble() * total;
        double cum = 0.0;
        for (int i = 0; i < w.length; i++) {
            cum += w[i];
            if (target < cum) {
                return i;
            }
        }
        for (int i = w.length - 1; i > 0; i--) {                 // only reached through rounding
            if (w[i] > 0) {
                return i;
            }
        }
        return 0;
    }

    /**
     * Refuses a negative, infinite or NaN temperature.
     *
     * @throws IllegalArgumentException when the temperature is not finite and &gt;= 0
     */
    public static void checkTemperature(double temperature) {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("the temperature must be a finite number >= 0, got " + temperature);
        }
    }

    /** The first index of the largest z_i: keep i when z_i &gt; z_best. */
    private static int argmax(double[] z) {
        int best = 0;
        for (int i = 1; i < z.length; i++) {
            if (z[i] > z[best]) {
                best = i;
            }
        }
        return best;
    }

    /** A non-finite value as C's printf and Python write it: nan, inf, -inf. */
    private static String cText(double value) {
        if (Double.isNaN(value)) {
            return "nan";
        }
        return value > 0 ? "inf" : "-inf";
    }
}

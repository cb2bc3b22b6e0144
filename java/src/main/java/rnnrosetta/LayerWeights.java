package rnnrosetta;

/**
 * The weights of one direction of one layer, as flat row-major arrays in the canonical
 * (PyTorch) layout. Gate blocks are stacked i, f, g, o (LSTM) and r, z, n (GRU).
 *
 * <pre>
 *   weightIh  [G*H, I_l]     I_l = I for layer 0, else D*H_out
 *   weightHh  [G*H, H_out]
 *   biasIh    [G*H]
 *   biasHh    [G*H]
 *   weightHr  [P, H]         LSTM with a projection only, else null
 *   peepholes [3*H]          LSTM with peepholes only, else null: p_i, p_f, p_o
 * </pre>
 *
 * The constructor copies every array; lengths are checked against a {@link Config} by
 * {@link Net}. Immutable.
 */
public final class LayerWeights {
    final double[] weightIh;
    final double[] weightHh;
    final double[] biasIh;
    final double[] biasHh;
    final double[] weightHr;
    final double[] peepholes;

    /**
     * Copies the arrays in.
     *
     * @throws IllegalArgumentException when one of the four required arrays is null
     */
    public LayerWeights(double[] weightIh, double[] weightHh, double[] biasIh, double[] biasHh,
                        double[] weightHr, double[] peepholes) {
        this.weightIh = Checks.notNull("weightIh", weightIh).clone();
        this.weightHh = Checks.notNull("weightHh", weightHh).clone();
        this.biasIh = Checks.notNull("biasIh", biasIh).clone();
        this.biasHh = Checks.notNull("biasHh", biasHh).clone();
        this.weightHr = weightHr == null ? null : weightHr.clone();
        this.peepholes = peepholes == null ? null : peepholes.clone();
    }

    /** A copy of W_ih [G*H, I_l]. */
    public double[] weightIh() {
        return weightIh.clone();
    }

    /** A copy of W_hh [G*H, H_out]. */
    public double[] weightHh() {
        return weightHh.clone();
    }

    /** A copy of b_ih [G*H]. */
    public double[] biasIh() {
        return biasIh.clone();
    }

    /** A copy of b_hh [G*H]. */
    public double[] biasHh() {
        return biasHh.clone();
    }

    /** A copy of W_hr [P, H], or null without a projection. */
    public double[] weightHr() {
        return weightHr == null ? null : weightHr.clone();
    }

    /** A copy of the peephole weights [3*H] (p_i, p_f, p_o), or null without peepholes. */
    public double[] peepholes() {
        return peepholes == null ? null : peepholes.clone();
    }

    /** Checks every length against {@code config} for layer {@code layer}; {@code name} prefixes messages. */
    void check(Config config, int layer, String name) {
        int g = config.gates();
        int h = config.hiddenSize();
        int hOut = config.outputSize();
        int in = config.layerInputSize(layer);
        String dims = "G=" + g + ", H=" + h + ", I_l=" + in + ", H_out=" + hOut;
        Checks.length(name + ".weightIh", weightIh, g * h * in, "G*H*I_l", dims);
        Checks.length(name + ".weightHh", weightHh, g * h * hOut, "G*H*H_out", dims);
        Checks.length(name + ".biasIh", biasIh, g * h, "G*H", dims);
        Checks.length(name + ".biasHh", biasHh, g * h, "G*H", dims);
        if (config.projSize() > 0) {
            Checks.length(name + ".weightHr", weightHr, config.projSize() * h, "P*H",
                    "P=" + config.projSize() + ", H=" + h);
        } else {
            Checks.absent(name + ".weightHr", weightHr, "the model has no projection (projSize = 0)");
        }
        if (config.peepholes()) {
            Checks.length(name + ".peepholes", peepholes, 3 * h, "3*H", "H=" + h);
        } else {
            Checks.absent(name + ".peepholes", peepholes, "the model has no peepholes");
        }
    }
}

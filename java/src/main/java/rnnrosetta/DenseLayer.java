package rnnrosetta;

/**
 * One dense layer of a chain: {@code y = activation(W v + b)}.
 *
 * @param outputs    O &gt;= 1
 * @param inputs     W &gt;= 1, the width it reads (the readout's, or the previous dense layer's O)
 * @param weight     W_d [O, W], row-major; copied in, and copied out by the accessor
 * @param bias       b [O]; copied in, and copied out by the accessor
 * @param activation what follows the affine map
 */
public record DenseLayer(int outputs, int inputs, double[] weight, double[] bias, DenseActivation activation) {
    /**
     * Validates and copies.
     *
     * @throws IllegalArgumentException on a bad size or length
     */
    public DenseLayer {
        Checks.positive("dense outputs", outputs);
        Checks.positive("dense inputs", inputs);
        Checks.notNull("dense activation", activation);
        String dims = "O=" + outputs + ", W=" + inputs;
        Checks.length("dense weight", weight, Checks.product("O*W", dims, outputs, inputs), "O*W", dims);
        Checks.length("dense bias", bias, outputs, "O", dims);
        weight = weight.clone();
        bias = bias.clone();
    }

    /** A copy of W_d [O, W]. */
    @Override
    public double[] weight() {
        return weight.clone();
    }

    /** A copy of b [O]. */
    @Override
    public double[] bias() {
        return bias.clone();
    }

    /** W_d itself, for the engines (never handed out). */
    double[] weightArray() {
        return weight;
    }

    /** b itself, for the engines (never handed out). */
    double[] biasArray() {
        return bias;
    }
}

package rnnrosetta;

/**
 * What a model is: cell, sizes, direction and options, without the weights.
 * Mirrors the C {@code rr_config} and the fixture's {@code model} object minus its arrays.
 * The canonical constructor validates everything.
 *
 * <p>Shapes use I = input size, H = hidden size, H_out = {@link #outputSize()} (the
 * projection size if set, else H), L = layers, D = {@link #numDirections()},
 * G = {@link Cell#gates()}, O = head size.
 *
 * @param cell              RNN, LSTM or GRU
 * @param nonlinearity      TANH or RELU; used by RNN only, must be non-null for every cell
 * @param linearBeforeReset GRU only: true = {@code n = tanh(W_in x + b_in + r * (W_hn h + b_hn))}
 *                          (PyTorch / ONNX lbr=1); ignored by other cells
 * @param inputSize         I &gt;= 1
 * @param hiddenSize        H &gt;= 1
 * @param numLayers         L &gt;= 1
 * @param direction         FORWARD, REVERSE or BIDIRECTIONAL
 * @param projSize          P, LSTM only: 0 = no projection, else 1 .. H-1; must be 0 for other cells
 * @param peepholes         LSTM only; must be false for other cells
 * @param clip              {@link Double#NaN} = no clipping, else finite and &gt; 0
 * @param head              NONE, IDENTITY or SOFTMAX
 * @param headSize          O: 0 with {@link HeadActivation#NONE}, else &gt;= 1
 */
public record Config(Cell cell, Nonlinearity nonlinearity, boolean linearBeforeReset, int inputSize,
                     int hiddenSize, int numLayers, Direction direction, int projSize, boolean peepholes,
                     double clip, HeadActivation head, int headSize) {
    /**
     * Validates a configuration.
     *
     * @throws IllegalArgumentException on any bad value or option mix
     */
    public Config {
        Checks.notNull("cell", cell);
        Checks.notNull("nonlinearity", nonlinearity);
        Checks.notNull("direction", direction);
        Checks.notNull("head", head);
        Checks.positive("inputSize", inputSize);
        Checks.positive("hiddenSize", hiddenSize);
        Checks.positive("numLayers", numLayers);
        if (projSize < 0) {
            throw new IllegalArgumentException("projSize must be >= 0 (0 = no projection), got " + projSize);
        }
        if (projSize > 0 && cell != Cell.LSTM) {
            throw new IllegalArgumentException("projSize applies to LSTM only, got " + projSize + " for " + cell);
        }
        if (projSize >= hiddenSize) {
            throw new IllegalArgumentException("projSize must be < hiddenSize (" + hiddenSize + "), got " + projSize);
        }
        if (peepholes && cell != Cell.LSTM) {
            throw new IllegalArgumentException("peepholes apply to LSTM only, got true for " + cell);
        }
        if (!Double.isNaN(clip) && !(clip > 0 && clip < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("clip must be finite and > 0 (NaN = no clip), got " + clip);
        }
        if (head == HeadActivation.NONE && headSize != 0) {
            throw new IllegalArgumentException("headSize must be 0 without a head, got " + headSize);
        }
        if (head != HeadActivation.NONE) {
            Checks.positive("headSize", headSize);
        }
        checkWeightSizes(cell.gates(), hiddenSize, inputSize, projSize > 0 ? projSize : hiddenSize,
                direction.count(), numLayers, headSize);
    }

    /** Every weight array must be addressable with an int index. */
    private static void checkWeightSizes(int gates, int hiddenSize, int inputSize, int outputSize, int dirs,
                                         int numLayers, int headSize) {
        String dims = "G=" + gates + ", H=" + hiddenSize + ", I=" + inputSize + ", H_out=" + outputSize
                + ", D=" + dirs + ", L=" + numLayers + ", O=" + headSize;
        Checks.product("G*H*I", dims, gates, hiddenSize, inputSize);
        Checks.product("G*H*H_out", dims, gates, hiddenSize, outputSize);
        Checks.product("G*H*D*H_out", dims, gates, hiddenSize, dirs, outputSize);
        Checks.product("L*D", dims, numLayers, dirs);
        Checks.product("3*H", dims, 3, hiddenSize);
        Checks.product("O*D*H_out", dims, headSize, dirs, outputSize);
    }

    /** Whether gate pre-activations are clamped to [-clip, clip]. */
    public boolean hasClip() {
        return !Double.isNaN(clip);
    }

    /** Whether the model has an output head. */
    public boolean hasHead() {
        return head != HeadActivation.NONE;
    }

    /** G: 1 (RNN), 4 (LSTM), 3 (GRU). */
    public int gates() {
        return cell.gates();
    }

    /** H_out: the size of h (the projection size if set, else H). */
    public int outputSize() {
        return projSize > 0 ? projSize : hiddenSize;
    }

    /** D: 2 when bidirectional, else 1. */
    public int numDirections() {
        return direction.count();
    }

    /** I_l: the input size of layer {@code layer} (I for layer 0, else D*H_out). */
    public int layerInputSize(int layer) {
        if (layer < 0 || layer >= numLayers) {
            throw new IllegalArgumentException("layer must be in 0.." + (numLayers - 1) + ", got " + layer);
        }
        return layer == 0 ? inputSize : numDirections() * outputSize();
    }
}

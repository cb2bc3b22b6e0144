package rnnrosetta;

import java.util.Objects;

/**
 * What a model is: cell, sizes, direction and options, without the weights.
 * Mirrors the C {@code rr_config} and the fixture's {@code model} object minus its arrays.
 * Immutable; the constructor validates everything.
 *
 * <p>Shapes use I = input size, H = hidden size, H_out = {@link #outputSize()} (the
 * projection size if set, else H), L = layers, D = {@link #numDirections()},
 * G = {@link Cell#gates()}, O = head size.
 */
public final class Config {
    private final Cell cell;
    private final Nonlinearity nonlinearity;
    private final boolean linearBeforeReset;
    private final int inputSize;
    private final int hiddenSize;
    private final int numLayers;
    private final Direction direction;
    private final int projSize;
    private final boolean peepholes;
    private final double clip;
    private final HeadActivation head;
    private final int headSize;

    /**
     * Validates and builds a configuration.
     *
     * @param cell              RNN, LSTM or GRU
     * @param nonlinearity      TANH or RELU; used by RNN only, must be non-null for every cell
     * @param linearBeforeReset GRU only (true = PyTorch / ONNX lbr=1); ignored by other cells
     * @param inputSize         I &gt;= 1
     * @param hiddenSize        H &gt;= 1
     * @param numLayers         L &gt;= 1
     * @param direction         FORWARD, REVERSE or BIDIRECTIONAL
     * @param projSize          LSTM only: 0 = no projection, else 1 .. H-1; must be 0 for other cells
     * @param peepholes         LSTM only; must be false for other cells
     * @param clip              {@link Double#NaN} = no clipping, else finite and &gt; 0
     * @param head              NONE, IDENTITY or SOFTMAX
     * @param headSize          O: 0 with {@link HeadActivation#NONE}, else &gt;= 1
     * @throws IllegalArgumentException on any bad value or option mix
     */
    public Config(Cell cell, Nonlinearity nonlinearity, boolean linearBeforeReset, int inputSize,
                  int hiddenSize, int numLayers, Direction direction, int projSize,
                  boolean peepholes, double clip, HeadActivation head, int headSize) {
        this.cell = Checks.notNull("cell", cell);
        this.nonlinearity = Checks.notNull("nonlinearity", nonlinearity);
        this.direction = Checks.notNull("direction", direction);
        this.head = Checks.notNull("head", head);
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
        this.linearBeforeReset = linearBeforeReset;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.numLayers = numLayers;
        this.projSize = projSize;
        this.peepholes = peepholes;
        this.clip = clip;
        this.headSize = headSize;
        checkWeightSizes();
    }

    /** Every weight array must be addressable with an int index. */
    private void checkWeightSizes() {
        String dims = "G=" + gates() + ", H=" + hiddenSize + ", I=" + inputSize + ", H_out="
                + outputSize() + ", D=" + numDirections() + ", L=" + numLayers + ", O=" + headSize;
        Checks.product("G*H*I", dims, gates(), hiddenSize, inputSize);
        Checks.product("G*H*H_out", dims, gates(), hiddenSize, outputSize());
        Checks.product("G*H*D*H_out", dims, gates(), hiddenSize, numDirections(), outputSize());
        Checks.product("L*D", dims, numLayers, numDirections());
        Checks.product("3*H", dims, 3, hiddenSize);
        Checks.product("O*D*H_out", dims, headSize, numDirections(), outputSize());
    }

    /** The cell type. */
    public Cell cell() {
        return cell;
    }

    /** The RNN activation (ignored by LSTM and GRU). */
    public Nonlinearity nonlinearity() {
        return nonlinearity;
    }

    /** GRU only: true = {@code n = tanh(W_in x + b_in + r * (W_hn h + b_hn))}. */
    public boolean linearBeforeReset() {
        return linearBeforeReset;
    }

    /** I. */
    public int inputSize() {
        return inputSize;
    }

    /** H. */
    public int hiddenSize() {
        return hiddenSize;
    }

    /** L. */
    public int numLayers() {
        return numLayers;
    }

    /** The direction. */
    public Direction direction() {
        return direction;
    }

    /** P: the LSTM projection size, 0 when there is none. */
    public int projSize() {
        return projSize;
    }

    /** Whether the LSTM has peephole connections. */
    public boolean peepholes() {
        return peepholes;
    }

    /** The clip bound, or NaN when gates are not clipped. */
    public double clip() {
        return clip;
    }

    /** Whether gate pre-activations are clamped to [-clip, clip]. */
    public boolean hasClip() {
        return !Double.isNaN(clip);
    }

    /** The head activation ({@link HeadActivation#NONE} without a head). */
    public HeadActivation head() {
        return head;
    }

    /** Whether the model has an output head. */
    public boolean hasHead() {
        return head != HeadActivation.NONE;
    }

    /** O: the head's output size, 0 without a head. */
    public int headSize() {
        return headSize;
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

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Config)) {
            return false;
        }
        Config c = (Config) o;
        return cell == c.cell && nonlinearity == c.nonlinearity
                && linearBeforeReset == c.linearBeforeReset && inputSize == c.inputSize
                && hiddenSize == c.hiddenSize && numLayers == c.numLayers
                && direction == c.direction && projSize == c.projSize && peepholes == c.peepholes
                && Double.compare(clip, c.clip) == 0 && head == c.head && headSize == c.headSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(cell, nonlinearity, linearBeforeReset, inputSize, hiddenSize, numLayers,
                direction, projSize, peepholes, clip, head, headSize);
    }

    @Override
    public String toString() {
        return "Config[cell=" + cell + ", nonlinearity=" + nonlinearity + ", linearBeforeReset="
                + linearBeforeReset + ", inputSize=" + inputSize + ", hiddenSize=" + hiddenSize
                + ", numLayers=" + numLayers + ", direction=" + direction + ", projSize=" + projSize
                + ", peepholes=" + peepholes + ", clip=" + clip + ", head=" + head
                + ", headSize=" + headSize + "]";
    }
}

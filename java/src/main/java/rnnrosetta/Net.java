package rnnrosetta;

import java.util.Arrays;

/**
 * A recurrent network with its weights: stacked layers of one cell type, one or two
 * directions per layer, and an optional output head. The constructor copies and validates
 * everything; afterwards the net is immutable and may be used from many threads at once
 * (each call allocates its own scratch).
 *
 * <p>Shapes use T = seqLen, B = batch, I = input size, H = hidden size, H_out = output
 * size (P with a projection, else H), L = layers, D = directions, G = gates, O = head size.
 * All arrays are flat, row-major, float64.
 */
public final class Net {
    private final Config config;
    private final LayerWeights[][] weights; // [L][D]: forward and/or reverse, as the direction says
    private final double[] headWeight;      // [O, D*H_out], null without a head
    private final double[] headBias;        // [O], null without a head

    /**
     * Builds a net.
     *
     * @param config     the model's configuration
     * @param weights    {@code weights[layer][d]}, L rows of D entries: FORWARD -&gt; [forward],
     *                   REVERSE -&gt; [reverse], BIDIRECTIONAL -&gt; [forward, reverse]
     * @param headWeight [O, D*H_out] with a head, else null
     * @param headBias   [O] with a head, else null
     * @throws IllegalArgumentException when anything is missing or has the wrong length
     */
    public Net(Config config, LayerWeights[][] weights, double[] headWeight, double[] headBias) {
        this.config = Checks.notNull("config", config);
        Checks.notNull("weights", weights);
        int layers = config.numLayers();
        int dirs = config.numDirections();
        if (weights.length != layers) {
            throw new IllegalArgumentException("weights has length " + weights.length + ", expected "
                    + layers + " = numLayers");
        }
        this.weights = new LayerWeights[layers][];
        for (int l = 0; l < layers; l++) {
            LayerWeights[] row = Checks.notNull("weights[" + l + "]", weights[l]);
            if (row.length != dirs) {
                throw new IllegalArgumentException("weights[" + l + "] has length " + row.length
                        + ", expected " + dirs + " for direction " + config.direction()
                        + (dirs == 2 ? " ([forward, reverse])" : ""));
            }
            for (int d = 0; d < dirs; d++) {
                String name = "weights[" + l + "][" + d + "]";
                Checks.notNull(name, row[d]).check(config, l, name);
            }
            this.weights[l] = row.clone();
        }
        if (config.hasHead()) {
            int o = config.headSize();
            int dh = dirs * config.outputSize();
            String dims = "O=" + o + ", D=" + dirs + ", H_out=" + config.outputSize();
            Checks.length("headWeight", headWeight, o * dh, "O*D*H_out", dims);
            Checks.length("headBias", headBias, o, "O", dims);
            this.headWeight = headWeight.clone();
            this.headBias = headBias.clone();
        } else {
            Checks.absent("headWeight", headWeight, "the config has no head");
            Checks.absent("headBias", headBias, "the config has no head");
            this.headWeight = null;
            this.headBias = null;
        }
    }

    /** The configuration this net was built with. */
    public Config config() {
        return config;
    }

    /**
     * Runs the whole sequence.
     *
     * @param seqLen  T &gt;= 1
     * @param batch   B &gt;= 1
     * @param x       [T, B, I]
     * @param h0      [L*D, B, H_out], or null for zeros
     * @param c0      [L*D, B, H] (LSTM only), or null for zeros; must be null for other cells
     * @param lengths [B], each in 1..T, or null for all T
     * @return output [T, B, D*H_out] (zero where t &gt;= lengths[b]), hN, cN (LSTM), y (head)
     * @throws IllegalArgumentException on any bad size, length or value of lengths
     */
    public Result forward(int seqLen, int batch, double[] x, double[] h0, double[] c0, int[] lengths) {
        Checks.positive("seqLen", seqLen);
        Checks.positive("batch", batch);
        String tb = "T=" + seqLen + ", B=" + batch;
        int xLen = Checks.product("T*B*I", tb + ", I=" + config.inputSize(),
                seqLen, batch, config.inputSize());
        Checks.length("x", x, xLen, "T*B*I", tb + ", I=" + config.inputSize());
        checkStates("h0", h0, "c0", c0, config.numLayers() * config.numDirections(), "L*D",
                "L=" + config.numLayers() + ", D=" + config.numDirections(), batch);
        int[] lens = new int[batch];
        if (lengths == null) {
            Arrays.fill(lens, seqLen);
        } else {
            if (lengths.length != batch) {
                throw new IllegalArgumentException("lengths has length " + lengths.length
                        + ", expected " + batch + " = B (B=" + batch + ")");
            }
            for (int b = 0; b < batch; b++) {
                if (lengths[b] < 1 || lengths[b] > seqLen) {
                    throw new IllegalArgumentException("lengths[" + b + "] is " + lengths[b]
                            + ", expected 1..T (T=" + seqLen + ")");
                }
                lens[b] = lengths[b];
            }
        }
        checkScratch(seqLen, batch);
        return run(seqLen, batch, x, h0, c0, lens);
    }

    /**
     * One time step of a {@link Direction#FORWARD} model (streaming); equals
     * {@link #forward} with T = 1, to the bit.
     *
     * @param batch B &gt;= 1
     * @param x     [B, I]
     * @param h     [L, B, H_out], or null for zeros
     * @param c     [L, B, H] (LSTM only), or null for zeros; must be null for other cells
     * @return output [B, H_out], hN [L, B, H_out] (the next h), cN [L, B, H] (LSTM), y [B, O] (head)
     * @throws UnsupportedOperationException for REVERSE and BIDIRECTIONAL models
     * @throws IllegalArgumentException on any bad size or length
     */
    public Result step(int batch, double[] x, double[] h, double[] c) {
        if (config.direction() != Direction.FORWARD) {
            throw new UnsupportedOperationException("step() needs a FORWARD model, this one is "
                    + config.direction() + "; use forward() on the whole sequence");
        }
        Checks.positive("batch", batch);
        String dims = "B=" + batch + ", I=" + config.inputSize();
        Checks.length("x", x, Checks.product("B*I", dims, batch, config.inputSize()), "B*I", dims);
        checkStates("h", h, "c", c, config.numLayers(), "L", "L=" + config.numLayers(), batch);
        checkScratch(1, batch);
        int[] lens = new int[batch];
        Arrays.fill(lens, 1);
        return run(1, batch, x, h, c, lens);
    }

    /** Checks h [S, B, H_out] and c [S, B, H] (null allowed; c only for LSTM), S = {@code states}. */
    private void checkStates(String hName, double[] h, String cName, double[] c, int states,
                             String statesFormula, String statesDims, int batch) {
        String hForm = statesFormula + "*B*H_out";
        String hDims = statesDims + ", B=" + batch + ", H_out=" + config.outputSize();
        Checks.lengthOrNull(hName, h, Checks.product(hForm, hDims, states, batch, config.outputSize()),
                hForm, hDims);
        if (config.cell() == Cell.LSTM) {
            String cForm = statesFormula + "*B*H";
            String cDims = statesDims + ", B=" + batch + ", H=" + config.hiddenSize();
            Checks.lengthOrNull(cName, c, Checks.product(cForm, cDims, states, batch, config.hiddenSize()),
                    cForm, cDims);
        } else {
            Checks.absent(cName, c, "only LSTM has a cell state, this model is " + config.cell());
        }
    }

    /** The per-call arrays sized by T*B must be addressable with an int index. */
    private void checkScratch(int seqLen, int batch) {
        String dims = "T=" + seqLen + ", B=" + batch + ", G=" + config.gates() + ", H="
                + config.hiddenSize() + ", D=" + config.numDirections() + ", H_out="
                + config.outputSize() + ", O=" + config.headSize();
        Checks.product("T*B*G*H", dims, seqLen, batch, config.gates(), config.hiddenSize());
        Checks.product("T*B*D*H_out", dims, seqLen, batch, config.numDirections(), config.outputSize());
        Checks.product("T*B*O", dims, seqLen, batch, config.headSize());
        for (int l = 0; l < config.numLayers(); l++) {
            Checks.product("T*B*I_l", dims + ", I_l=" + config.layerInputSize(l),
                    seqLen, batch, config.layerInputSize(l));
        }
    }

    /** The whole computation on validated arguments; {@code lens} has every length. */
    private Result run(int seqLen, int batch, double[] x, double[] h0, double[] c0, int[] lens) {
        int layers = config.numLayers();
        int dirs = config.numDirections();
        int hOut = config.outputSize();
        int rows = seqLen * batch;
        double[] hN = new double[layers * dirs * batch * hOut];                       // [L*D, B, H_out]
        double[] cN = config.cell() == Cell.LSTM
                ? new double[layers * dirs * batch * config.hiddenSize()] : null;     // [L*D, B, H]
        double[] in = x;                                                              // [T, B, I_l]
        for (int l = 0; l < layers; l++) {
            double[] out = new double[rows * dirs * hOut];                            // [T, B, D*H_out]
            for (int d = 0; d < dirs; d++) {
                boolean reverse = config.direction() == Direction.REVERSE || d == 1;
                new DirectionRun(config, weights[l][d], seqLen, batch, lens, reverse)
                        .run(in, config.layerInputSize(l), h0, c0, l * dirs + d, out, d, hN, cN);
            }
            in = out;
        }
        return new Result(in, hN, cN, head(in, rows), seqLen, batch);
    }

    /** y = act(W_y output + b_y) on every row of output [rows, D*H_out] (padded ones too). */
    private double[] head(double[] output, int rows) {
        if (!config.hasHead()) {
            return null;
        }
        int o = config.headSize();
        double[] y = new double[rows * o];                                            // [rows, O]
        Linalg.linear(output, rows, config.numDirections() * config.outputSize(), headWeight, headBias, o, y);
        if (config.head() == HeadActivation.SOFTMAX) {
            for (int r = 0; r < rows; r++) {
                Activations.softmax(y, r * o, o);
            }
        }
        return y;
    }
}

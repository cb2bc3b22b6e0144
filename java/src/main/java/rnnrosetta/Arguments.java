package rnnrosetta;

import java.util.Arrays;

/**
 * The argument checks of {@link Net} and {@link Net32}, shared so that both precisions
 * refuse the same things with the same {@link IllegalArgumentException} messages. Arrays
 * are passed as their length, -1 standing for null, so one check serves double[] and float[].
 */
final class Arguments {
    private Arguments() {
    }

    /** The length of {@code a}, or -1 for null. */
    static int len(double[] a) {
        return a == null ? -1 : a.length;
    }

    /** The length of {@code a}, or -1 for null. */
    static int len(float[] a) {
        return a == null ? -1 : a.length;
    }

    /**
     * The constructor's checks.
     *
     * @throws IllegalArgumentException when anything is missing or has the wrong length
     */
    static void net(Config config, LayerWeights[][] weights, double[] headWeight, double[] headBias,
                    Kernel kernel) {
        Checks.notNull("config", config);
        Checks.notNull("weights", weights);
        int layers = config.numLayers();
        int dirs = config.numDirections();
        if (weights.length != layers) {
            throw new IllegalArgumentException("weights has length " + weights.length + ", expected "
                    + layers + " = numLayers");
        }
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
        }
        if (config.hasHead()) {
            int o = config.headSize();
            int dh = dirs * config.outputSize();
            String dims = "O=" + o + ", D=" + dirs + ", H_out=" + config.outputSize();
            Checks.length("headWeight", headWeight, o * dh, "O*D*H_out", dims);
            Checks.length("headBias", headBias, o, "O", dims);
        } else {
            Checks.absent("headWeight", headWeight, "the config has no head");
            Checks.absent("headBias", headBias, "the config has no head");
        }
        Checks.notNull("kernel", kernel);
    }

    /**
     * forward's checks; returns every sequence length (all T when {@code lengths} is null).
     *
     * @param xLen  the length of x, -1 for null (likewise h0Len, c0Len)
     * @throws IllegalArgumentException on any bad size, length or value of lengths
     */
    static int[] forward(Config config, int seqLen, int batch, int xLen, int h0Len, int c0Len, int[] lengths) {
        Checks.positive("seqLen", seqLen);
        Checks.positive("batch", batch);
        String tb = "T=" + seqLen + ", B=" + batch;
        int expected = Checks.product("T*B*I", tb + ", I=" + config.inputSize(),
                seqLen, batch, config.inputSize());
        Checks.length("x", xLen, expected, "T*B*I", tb + ", I=" + config.inputSize());
        states(config, "h0", h0Len, "c0", c0Len, config.numLayers() * config.numDirections(), "L*D",
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
        scratch(config, seqLen, batch);
        return lens;
    }

    /**
     * step's checks; returns the lengths of a one-step forward (all 1).
     *
     * @throws UnsupportedOperationException for REVERSE and BIDIRECTIONAL models
     * @throws IllegalArgumentException on any bad size or length
     */
    static int[] step(Config config, int batch, int xLen, int hLen, int cLen) {
        if (config.direction() != Direction.FORWARD) {
            throw new UnsupportedOperationException("step() needs a FORWARD model, this one is "
                    + config.direction() + "; use forward() on the whole sequence");
        }
        Checks.positive("batch", batch);
        String dims = "B=" + batch + ", I=" + config.inputSize();
        Checks.length("x", xLen, Checks.product("B*I", dims, batch, config.inputSize()), "B*I", dims);
        states(config, "h", hLen, "c", cLen, config.numLayers(), "L", "L=" + config.numLayers(), batch);
        scratch(config, 1, batch);
        int[] lens = new int[batch];
        Arrays.fill(lens, 1);
        return lens;
    }

    /** Checks h [S, B, H_out] and c [S, B, H] (null allowed; c only for LSTM), S = {@code states}. */
    private static void states(Config config, String hName, int hLen, String cName, int cLen, int states,
                               String statesFormula, String statesDims, int batch) {
        String hForm = statesFormula + "*B*H_out";
        String hDims = statesDims + ", B=" + batch + ", H_out=" + config.outputSize();
        int hExpected = Checks.product(hForm, hDims, states, batch, config.outputSize());
        if (hLen >= 0) {
            Checks.length(hName, hLen, hExpected, hForm, hDims);
        }
        if (config.cell() == Cell.LSTM) {
            String cForm = statesFormula + "*B*H";
            String cDims = statesDims + ", B=" + batch + ", H=" + config.hiddenSize();
            int cExpected = Checks.product(cForm, cDims, states, batch, config.hiddenSize());
            if (cLen >= 0) {
                Checks.length(cName, cLen, cExpected, cForm, cDims);
            }
        } else if (cLen >= 0) {
            throw new IllegalArgumentException(cName + " must be null: only LSTM has a cell state, this model is "
                    + config.cell());
        }
    }

    /** The per-call arrays sized by T*B must be addressable with an int index. */
    private static void scratch(Config config, int seqLen, int batch) {
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
}

package rnnrosetta.demo;

import java.util.List;
import rnnrosetta.Config;
import rnnrosetta.Kernel;
import rnnrosetta.LayerWeights;
import rnnrosetta.Net;
import rnnrosetta.Net32;

/**
 * A fixture file after validation (fixture-format.md): its model as a {@link Net} and its
 * cases as flat row-major arrays. Made by {@link FixtureReader}.
 */
public final class Fixture {
    /** The fixture's {@code name}. */
    public final String name;
    /** The fixture's {@code description}, or null when absent. */
    public final String description;
    /** The model's configuration. */
    public final Config config;
    /** The model, weights loaded. */
    public final Net net;
    /** The cases, in file order (may be empty). */
    public final List<Case> cases;
    /** {@code tolerance.rtol}, or NaN when absent. */
    public final double rtol;
    /** {@code tolerance.atol}, or NaN when absent. */
    public final double atol;
    private final LayerWeights[][] weights; // as given to net, for net32
    private final double[] headWeight;
    private final double[] headBias;

    Fixture(String name, String description, Config config, Net net, List<Case> cases,
            double rtol, double atol, LayerWeights[][] weights, double[] headWeight, double[] headBias) {
        this.name = name;
        this.description = description;
        this.config = config;
        this.net = net;
        this.cases = List.copyOf(cases);
        this.rtol = rtol;
        this.atol = atol;
        this.weights = weights;
        this.headWeight = headWeight;
        this.headBias = headBias;
    }

    /** The model in float32 (its weights rounded once), computing with {@code kernel}. */
    public Net32 net32(Kernel kernel) {
        return new Net32(config, weights, headWeight, headBias, kernel);
    }

    /** One case: inputs and expected outputs, flat row-major. */
    public static final class Case {
        /** The case's {@code name}. */
        public final String name;
        /** T. */
        public final int seqLen;
        /** B. */
        public final int batch;
        /** [T, B, I]. */
        public final double[] x;
        /** [L*D, B, H_out], or null (zeros). */
        public final double[] h0;
        /** [L*D, B, H] (LSTM), or null (zeros). */
        public final double[] c0;
        /** [B], or null (all T). */
        public final int[] lengths;
        /** Expected [T, B, D*H_out]. */
        public final double[] output;
        /** Expected [L*D, B, H_out]. */
        public final double[] hN;
        /** Expected [L*D, B, H] for LSTM, else null. */
        public final double[] cN;
        /** Expected [T, B, O] with a head, else null. */
        public final double[] y;

        Case(String name, int seqLen, int batch, double[] x, double[] h0, double[] c0, int[] lengths,
             double[] output, double[] hN, double[] cN, double[] y) {
            this.name = name;
            this.seqLen = seqLen;
            this.batch = batch;
            this.x = x;
            this.h0 = h0;
            this.c0 = c0;
            this.lengths = lengths;
            this.output = output;
            this.hN = hN;
            this.cN = cN;
            this.y = y;
        }
    }
}

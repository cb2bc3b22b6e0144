package rnnrosetta;

/**
 * {@link Net} in float32: the same model, arguments, checks, messages and shapes (see
 * {@link Net}'s documentation), computed natively in float. The weights are given as
 * double[] (the same {@link LayerWeights}) and rounded to float once, at construction;
 * inputs and results are float[]. Immutable and thread-safe after construction.
 */
public final class Net32 {
    private final Config config;
    private final Engine<float[]> engine;

    /** {@link Net#Net(Config, LayerWeights[][], double[], double[])} in float32. */
    public Net32(Config config, LayerWeights[][] weights, double[] headWeight, double[] headBias) {
        this(config, weights, headWeight, headBias, Kernel.AUTO);
    }

    /** {@link Net#Net(Config, LayerWeights[][], double[], double[], Kernel)} in float32. */
    public Net32(Config config, LayerWeights[][] weights, double[] headWeight, double[] headBias, Kernel kernel) {
        Arguments.net(config, weights, headWeight, headBias, kernel);
        this.config = config;
        this.engine = new Engine<>(config, Kernels.float32(kernel, config.clip()), weights, headWeight, headBias);
    }

    /** The configuration this net was built with. */
    public Config config() {
        return config;
    }

    /** The code path this net computes with: "plain" or "vector". */
    public String kernelName() {
        return engine.kernelName();
    }

    /** {@link Net#forward}: x [T, B, I], h0 [L*D, B, H_out] or null, c0 [L*D, B, H] or null, lengths [B] or null. */
    public Result<float[]> forward(int seqLen, int batch, float[] x, float[] h0, float[] c0, int[] lengths) {
        int[] lens = Arguments.forward(config, seqLen, batch, Arguments.len(x), Arguments.len(h0),
                Arguments.len(c0), lengths);
        return engine.run(seqLen, batch, x, h0, c0, lens);
    }

    /** {@link Net#step}: x [B, I], h [L, B, H_out] or null, c [L, B, H] or null; FORWARD models only. */
    public Result<float[]> step(int batch, float[] x, float[] h, float[] c) {
        int[] lens = Arguments.step(config, batch, Arguments.len(x), Arguments.len(h), Arguments.len(c));
        return engine.run(1, batch, x, h, c, lens);
    }

    /**
     * A caller-owned state for streaming with {@link #step(StepState, float[])}: the recurrent state
     * of every layer and all the scratch a step needs, made once; a step then allocates nothing
     * (at batch 1 to 5; from 6 rows the vector kernel's matrix product packs rows in a scratch of
     * its own). Use
     * one per thread (it is not thread-safe); any number of them may share one net.
     */
    public static final class StepState {
        private final Engine.Stream<float[]> stream;

        private StepState(Engine.Stream<float[]> stream) {
            this.stream = stream;
        }

        /** B. */
        public int batch() {
            return stream.batch;
        }

        /** The top layer's h_t [B, H_out] after the last step: a live array the next step overwrites. */
        public float[] output() {
            return stream.h.get(stream.h.size() - 1);
        }

        /** The head's output [B, O] after the last step (live, like {@link #output()}), or null without a head. */
        public float[] y() {
            return stream.y;
        }

        /**
         * Copies the state out: {@code h} [L, B, H_out] and, for an LSTM, {@code c} [L, B, H]
         * (ignored, may be null, for other cells).
         */
        public void getState(float[] h, float[] c) {
            Checks.notNull("h", h);
            stateLengths(stream, h, c);
            stream.getState(h, c);
        }

        /** Sets the state: {@code h} [L, B, H_out], {@code c} [L, B, H] (LSTM only); null for zeros. */
        public void setState(float[] h, float[] c) {
            stateLengths(stream, h, c);
            stream.setState(h, c);
        }
    }

    /** Checks h [L, B, H_out] and c [L, B, H] (LSTM only; null allowed) against the state's shapes. */
    private static void stateLengths(Engine.Stream<float[]> stream, float[] h, float[] c) {
        Config config = stream.engine.config();
        Arguments.step(config, stream.batch, stream.batch * config.inputSize(), Arguments.len(h), Arguments.len(c));
    }

    /**
     * A new {@link StepState} at batch {@code batch} with a zero state, for
     * {@link #step(StepState, float[])}.
     *
     * @throws UnsupportedOperationException for REVERSE and BIDIRECTIONAL models
     * @throws IllegalArgumentException      when batch &lt; 1 or the scratch would be too large
     */
    public StepState newStepState(int batch) {
        Checks.positive("batch", batch);
        Arguments.step(config, batch, Checks.product("B*I", "B=" + batch + ", I=" + config.inputSize(), batch,
                config.inputSize()), -1, -1);
        return new StepState(engine.newStream(batch));
    }

    /**
     * One time step in place: {@code x} [B, I] moves {@code state} from t-1 to t; read the
     * result from {@link StepState#output()} (and {@link StepState#y()}). The same bits as
     * {@link #step(int, float[], float[], float[])} and as {@link #forward} with T = 1, and no heap
     * allocation at batch 1 to 5.
     *
     * @throws IllegalArgumentException when the state belongs to another net or x has the wrong length
     */
    public void step(StepState state, float[] x) {
        if (state == null || state.stream.engine != engine) {
            throw new IllegalArgumentException("state must come from this net's newStepState, got "
                    + (state == null ? "null" : "another net's"));
        }
        if (x == null || x.length != state.stream.xLength) {
            throw new IllegalArgumentException("x has length " + Arguments.len(x) + ", expected B*I = "
                    + state.stream.batch * config.inputSize() + " (B=" + state.stream.batch + ", I="
                    + config.inputSize() + ")");
        }
        engine.step(state.stream, x);
    }
}

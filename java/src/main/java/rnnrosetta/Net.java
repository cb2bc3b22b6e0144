package rnnrosetta;

/**
 * A recurrent network with its weights: stacked layers of one cell type, one or two
 * directions per layer, and an optional output head. The constructor copies and validates
 * everything; afterwards the net is immutable and may be used from many threads at once
 * (each call allocates its own scratch).
 *
 * <p>Shapes use T = seqLen, B = batch, I = input size, H = hidden size, H_out = output
 * size (P with a projection, else H), L = layers, D = directions, G = gates, O = head size.
 * All arrays are flat, row-major, float64; {@link Net32} is the same in float32.
 */
public final class Net {
    private final Config config;
    private final Engine<double[]> engine;

    /**
     * Builds a net that computes with {@link Kernel#AUTO}.
     *
     * @param config     the model's configuration
     * @param weights    {@code weights[layer][d]}, L rows of D entries: FORWARD -&gt; [forward],
     *                   REVERSE -&gt; [reverse], BIDIRECTIONAL -&gt; [forward, reverse]
     * @param headWeight [O, D*H_out] with a head, else null
     * @param headBias   [O] with a head, else null
     * @throws IllegalArgumentException when anything is missing or has the wrong length
     */
    public Net(Config config, LayerWeights[][] weights, double[] headWeight, double[] headBias) {
        this(config, weights, headWeight, headBias, Kernel.AUTO);
    }

    /**
     * Builds a net that computes with {@code kernel}. The weights are copied once, into the
     * layout the kernel wants.
     *
     * @param config     the model's configuration
     * @param weights    {@code weights[layer][d]}, L rows of D entries: FORWARD -&gt; [forward],
     *                   REVERSE -&gt; [reverse], BIDIRECTIONAL -&gt; [forward, reverse]
     * @param headWeight [O, D*H_out] with a head, else null
     * @param headBias   [O] with a head, else null
     * @param kernel     AUTO, PLAIN or VECTOR
     * @throws IllegalArgumentException when anything is missing or has the wrong length
     * @throws UnsupportedOperationException for {@link Kernel#VECTOR} when the JVM was started
     *                                       without {@code --add-modules=jdk.incubator.vector}
     */
    public Net(Config config, LayerWeights[][] weights, double[] headWeight, double[] headBias, Kernel kernel) {
        Arguments.net(config, weights, headWeight, headBias, kernel);
        this.config = config;
        this.engine = new Engine<>(config, Kernels.float64(kernel, config.clip()), weights, headWeight, headBias);
    }

    /** The configuration this net was built with. */
    public Config config() {
        return config;
    }

    /** The code path this net computes with: "plain" or "vector". */
    public String kernelName() {
        return engine.kernelName();
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
    public Result<double[]> forward(int seqLen, int batch, double[] x, double[] h0, double[] c0, int[] lengths) {
        int[] lens = Arguments.forward(config, seqLen, batch, Arguments.len(x), Arguments.len(h0),
                Arguments.len(c0), lengths);
        return engine.run(seqLen, batch, x, h0, c0, lens);
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
    public Result<double[]> step(int batch, double[] x, double[] h, double[] c) {
        int[] lens = Arguments.step(config, batch, Arguments.len(x), Arguments.len(h), Arguments.len(c));
        return engine.run(1, batch, x, h, c, lens);
    }

    /**
     * A caller-owned state for streaming with {@link #step(StepState, double[])}: the recurrent state
     * of every layer and all the scratch a step needs, made once; a step then allocates nothing
     * (at batch 1 to 5; from 6 rows the vector kernel's matrix product packs rows in a scratch of
     * its own). Use
     * one per thread (it is not thread-safe); any number of them may share one net.
     */
    public static final class StepState {
        private final Engine.Stream<double[]> stream;

        private StepState(Engine.Stream<double[]> stream) {
            this.stream = stream;
        }

        /** B. */
        public int batch() {
            return stream.batch;
        }

        /** The top layer's h_t [B, H_out] after the last step: a live array the next step overwrites. */
        public double[] output() {
            return stream.h.get(stream.h.size() - 1);
        }

        /** The head's output [B, O] after the last step (live, like {@link #output()}), or null without a head. */
        public double[] y() {
            return stream.y;
        }

        /**
         * Copies the state out: {@code h} [L, B, H_out] and, for an LSTM, {@code c} [L, B, H]
         * (ignored, may be null, for other cells).
         */
        public void getState(double[] h, double[] c) {
            Checks.notNull("h", h);
            stateLengths(stream, h, c);
            stream.getState(h, c);
        }

        /** Sets the state: {@code h} [L, B, H_out], {@code c} [L, B, H] (LSTM only); null for zeros. */
        public void setState(double[] h, double[] c) {
            stateLengths(stream, h, c);
            stream.setState(h, c);
        }
    }

    /** Checks h [L, B, H_out] and c [L, B, H] (LSTM only; null allowed) against the state's shapes. */
    private static void stateLengths(Engine.Stream<double[]> stream, double[] h, double[] c) {
        Config config = stream.engine.config();
        Arguments.step(config, stream.batch, stream.batch * config.inputSize(), Arguments.len(h), Arguments.len(c));
    }

    /**
     * A new {@link StepState} at batch {@code batch} with a zero state, for
     * {@link #step(StepState, double[])}.
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
     * {@link #step(int, double[], double[], double[])} and as {@link #forward} with T = 1, and no heap
     * allocation at batch 1 to 5.
     *
     * @throws IllegalArgumentException when the state belongs to another net or x has the wrong length
     */
    public void step(StepState state, double[] x) {
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

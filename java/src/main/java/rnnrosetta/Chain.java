package rnnrosetta;

/**
 * A model as a chain (fixture format v2) in float64: embedding, recurrent layers of their own
 * sizes, merges, readout and dense layers; see {@link ChainSpec} for the equations and the
 * state slots. Built on one {@link Net}-engine per recurrent layer. The constructor copies
 * the weights into the kernel's layout; afterwards the chain is immutable and may be used
 * from many threads at once (each call allocates its own scratch). {@link Chain32} is the
 * same in float32.
 *
 * <p>Shapes: T = seqLen, B = batch, I = {@link ChainSpec#inputSize()}, W =
 * {@link ChainSpec#outputWidth()}, O = {@link ChainSpec#ySize()}; S_h = sum of
 * {@link ChainSpec#stateSizes()}, S_c = sum of {@link ChainSpec#cellStateSizes()}. The
 * {@link Result} holds output [T, B, W] (zero where t &gt;= lengths[b]), hN [S_h * B] (the
 * flat slots), cN [S_c * B] or null without LSTM layers, and y: [T, B, O] for the SEQUENCE
 * readout with dense layers, [B, O] for LAST, null for SEQUENCE without dense layers.
 */
public final class Chain {
    private final ChainSpec spec;
    private final ChainEngine<double[]> engine;
    private final Products products;          // the backward pass's products, on the same kernel

    /** A chain that computes with {@link Kernel#AUTO}. */
    public Chain(ChainSpec spec) {
        this(spec, Kernel.AUTO);
    }

    /**
     * A chain that computes with {@code kernel}.
     *
     * @throws IllegalArgumentException when spec or kernel is null
     * @throws UnsupportedOperationException for {@link Kernel#VECTOR} without the Vector API module
     */
    public Chain(ChainSpec spec, Kernel kernel) {
        this.spec = Checks.notNull("spec", spec);
        Checks.notNull("kernel", kernel);
        this.engine = new ChainEngine<>(spec, clip -> Kernels.float64(kernel, clip));
        this.products = new Products(kernel);
    }

    /** The model this chain computes. */
    public ChainSpec spec() {
        return spec;
    }

    /** The code path this chain computes with: "plain" or "vector". */
    public String kernelName() {
        return engine.kernelName();
    }

    /**
     * Runs the whole sequence on real inputs (a chain without an embedding).
     *
     * @param x       [T, B, I]
     * @param h0      [S_h * B] (the flat slots), or null for zeros
     * @param c0      [S_c * B], or null for zeros; must be null without LSTM layers
     * @param lengths [B], each in 1..T, or null for all T
     * @throws IllegalArgumentException on any bad size, length or value of lengths
     */
    public Result<double[]> forward(int seqLen, int batch, double[] x, double[] h0, double[] c0, int[] lengths) {
        int[] lens = ChainArguments.forward(spec, seqLen, batch, Arguments.len(x), null, Arguments.len(h0),
                Arguments.len(c0), lengths);
        return engine.run(seqLen, batch, x, null, h0, c0, lens);
    }

    /**
     * Runs the whole sequence on tokens (a chain with an embedding): {@code x_t = E[tokens_t]}.
     *
     * @param tokens [T, B], each in 0..V-1
     * @throws IllegalArgumentException as {@link #forward}, and on a token out of range
     */
    public Result<double[]> forwardTokens(int seqLen, int batch, int[] tokens, double[] h0, double[] c0,
                                          int[] lengths) {
        int[] lens = ChainArguments.forward(spec, seqLen, batch, -1, tokens, Arguments.len(h0), Arguments.len(c0),
                lengths);
        return engine.run(seqLen, batch, null, tokens, h0, c0, lens);
    }

    /**
     * One time step of a chain whose layers are all FORWARD (streaming); equals
     * {@link #forward} with T = 1, to the bit: output [B, W], hN / cN the next state, y [B, O].
     *
     * @param x [B, I]
     * @param h [S_h * B], or null for zeros
     * @param c [S_c * B], or null for zeros
     * @throws UnsupportedOperationException when a layer is REVERSE or BIDIRECTIONAL
     * @throws IllegalArgumentException on any bad size or length
     */
    public Result<double[]> step(int batch, double[] x, double[] h, double[] c) {
        int[] lens = ChainArguments.step(spec, batch, Arguments.len(x), null, Arguments.len(h), Arguments.len(c));
        return engine.run(1, batch, x, null, h, c, lens);
    }

    /** {@link #step} on tokens [B] (a chain with an embedding). */
    public Result<double[]> stepTokens(int batch, int[] tokens, double[] h, double[] c) {
        int[] lens = ChainArguments.step(spec, batch, -1, tokens, Arguments.len(h), Arguments.len(c));
        return engine.run(1, batch, null, tokens, h, c, lens);
    }

    /**
     * {@link #forward}, keeping what {@link #backward} needs: the tape's {@link Tape#result()} is
     * forward's result to the bit; beside it, a plain float64 reference pass keeps every step.
     *
     * @throws IllegalArgumentException as {@link #forward}
     */
    public Tape<double[]> forwardKeep(int seqLen, int batch, double[] x, double[] h0, double[] c0, int[] lengths) {
        int[] lens = ChainArguments.forward(spec, seqLen, batch, Arguments.len(x), null, Arguments.len(h0),
                Arguments.len(c0), lengths);
        Result<double[]> result = engine.run(seqLen, batch, x, null, h0, c0, lens);
        return new Tape<>(this, result, ChainTape.record(spec, products, seqLen, batch, x, null, h0, c0, lens));
    }

    /**
     * A caller-owned state for streaming with {@link #step(StepState, double[])} or
     * {@link #stepTokens(StepState, int[])}: the state of every layer and all the scratch a step needs
     * (embedding rows, dense outputs), made once; a step then allocates nothing (at batch 1 to 5, as
     * {@link Net.StepState}). One per thread; any number of them may share one chain.
     */
    public static final class StepState {
        private final ChainEngine.Stream<double[]> stream;

        private StepState(ChainEngine.Stream<double[]> stream) {
            this.stream = stream;
        }

        /** B. */
        public int batch() {
            return stream.batch;
        }

        /** The output [B, W] after the last step: a live array the next step overwrites. */
        public double[] output() {
            return stream.output();
        }

        /** y [B, O] after the last step (live), or null for a chain without y. */
        public double[] y() {
            return stream.y;
        }

        /** Copies the state out: h [S_h * B] (the flat slots) and c [S_c * B] (ignored when null). */
        public void getState(double[] h, double[] c) {
            Checks.notNull("h", h);
            stream.engine.checkState(stream.batch, Arguments.len(h), Arguments.len(c));
            stream.getState(h, c);
        }

        /** Sets the state: h [S_h * B], c [S_c * B] (LSTM layers only); null for zeros. */
        public void setState(double[] h, double[] c) {
            stream.engine.checkState(stream.batch, Arguments.len(h), Arguments.len(c));
            stream.setState(h, c);
        }
    }

    /**
     * A new {@link StepState} at batch {@code batch} with a zero state.
     *
     * @throws UnsupportedOperationException when a layer is REVERSE or BIDIRECTIONAL
     * @throws IllegalArgumentException      when batch &lt; 1 or the scratch would be too large
     */
    public StepState newStepState(int batch) {
        Checks.positive("batch", batch);
        engine.checkState(batch, -1, -1);
        return new StepState(engine.newStream(batch));
    }

    /**
     * One time step in place on x [B, I]: the same bits as {@link #step(int, double[], double[], double[])}; read
     * {@link StepState#output()} and {@link StepState#y()}. No heap allocation at batch 1 to 5.
     *
     * @throws IllegalArgumentException when the state belongs to another chain or x is wrong
     */
    public void step(StepState state, double[] x) {
        engine.checkStep(state == null ? null : state.stream, Arguments.len(x), null);
        engine.step(state.stream, x, null);
    }

    /** {@link #step(StepState, double[])} on tokens [B] (a chain with an embedding). */
    public void stepTokens(StepState state, int[] tokens) {
        engine.checkStep(state == null ? null : state.stream, -1, tokens);
        engine.step(state.stream, null, tokens);
    }

    /** {@link #forwardKeep} on tokens [T, B] (a chain with an embedding); the result is {@link #forwardTokens}'s. */
    public Tape<double[]> forwardTokensKeep(int seqLen, int batch, int[] tokens, double[] h0, double[] c0,
                                            int[] lengths) {
        int[] lens = ChainArguments.forward(spec, seqLen, batch, -1, tokens, Arguments.len(h0), Arguments.len(c0),
                lengths);
        Result<double[]> result = engine.run(seqLen, batch, null, tokens, h0, c0, lens);
        return new Tape<>(this, result, ChainTape.record(spec, products, seqLen, batch, null, tokens, h0, c0, lens));
    }

    /**
     * Backpropagation through time: the gradients of a scalar loss L through the forward call that
     * made {@code tape}, given dL/d of what it returned (each null for zero): see {@link Backward64}
     * for the equations. The tape is only read; call again with other gradients as often as needed.
     *
     * @param dOutput [T, B, W], or null
     * @param dHn     [S_h * B] (the flat slots), or null
     * @param dCn     [S_c * B], or null; must be null without LSTM layers
     * @param dY      [T, B, O] (SEQUENCE) or [B, O] (LAST), or null; must be null for a chain without y
     * @throws IllegalArgumentException when tape is null or was made by another chain, or on any bad size
     */
    public Gradients<double[]> backward(Tape<double[]> tape, double[] dOutput, double[] dHn, double[] dCn,
                                        double[] dY) {
        BackwardArguments.check(this, spec, tape, Arguments.len(dOutput), Arguments.len(dHn), Arguments.len(dCn),
                Arguments.len(dY));
        Backward64.Raw raw = Backward64.run(spec, products, tape.kept, dOutput, dHn, dCn, dY);
        return new Gradients<>(raw.weights(), raw.x(), raw.h0(), raw.c0());
    }
}

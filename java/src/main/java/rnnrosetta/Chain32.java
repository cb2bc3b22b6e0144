package rnnrosetta;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link Chain} in float32: the same model, arguments, checks, messages and shapes, computed
 * natively in float. The weights (double[] in the {@link ChainSpec}) are rounded to float
 * once, at construction; inputs and results are float[]. Immutable and thread-safe after
 * construction.
 *
 * <p>Backward ({@link #forwardKeep}, {@link #backward}): the tape and the gradients are computed
 * in float64 on the float32-rounded weights and inputs (the same reference code as
 * {@link Chain#backward}) and rounded to float once at the end, so they are the float64 gradients
 * of the float32 model, closer to exact than a float32 computation would be.
 */
public final class Chain32 {
    private final ChainSpec spec;
    private final ChainEngine<float[]> engine;
    private final Products products;          // the backward pass's float64 products, on the same kernel
    private volatile ChainSpec rounded;   // spec with every weight rounded to float, for the backward pass

    /** {@link Chain#Chain(ChainSpec)} in float32. */
    public Chain32(ChainSpec spec) {
        this(spec, Kernel.AUTO);
    }

    /** {@link Chain#Chain(ChainSpec, Kernel)} in float32. */
    public Chain32(ChainSpec spec, Kernel kernel) {
        this.spec = Checks.notNull("spec", spec);
        Checks.notNull("kernel", kernel);
        this.engine = new ChainEngine<>(spec, clip -> Kernels.float32(kernel, clip));
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

    /** {@link Chain#forward}: x [T, B, I], h0 [S_h * B] or null, c0 [S_c * B] or null, lengths [B] or null. */
    public Result<float[]> forward(int seqLen, int batch, float[] x, float[] h0, float[] c0, int[] lengths) {
        int[] lens = ChainArguments.forward(spec, seqLen, batch, Arguments.len(x), null, Arguments.len(h0),
                Arguments.len(c0), lengths);
        return engine.run(seqLen, batch, x, null, h0, c0, lens);
    }

    /** {@link Chain#forwardTokens}: tokens [T, B] in 0..V-1. */
    public Result<float[]> forwardTokens(int seqLen, int batch, int[] tokens, float[] h0, float[] c0,
                                         int[] lengths) {
        int[] lens = ChainArguments.forward(spec, seqLen, batch, -1, tokens, Arguments.len(h0), Arguments.len(c0),
                lengths);
        return engine.run(seqLen, batch, null, tokens, h0, c0, lens);
    }

    /** {@link Chain#step}: x [B, I], h [S_h * B] or null, c [S_c * B] or null; FORWARD layers only. */
    public Result<float[]> step(int batch, float[] x, float[] h, float[] c) {
        int[] lens = ChainArguments.step(spec, batch, Arguments.len(x), null, Arguments.len(h), Arguments.len(c));
        return engine.run(1, batch, x, null, h, c, lens);
    }

    /** {@link Chain#stepTokens}: tokens [B]. */
    public Result<float[]> stepTokens(int batch, int[] tokens, float[] h, float[] c) {
        int[] lens = ChainArguments.step(spec, batch, -1, tokens, Arguments.len(h), Arguments.len(c));
        return engine.run(1, batch, null, tokens, h, c, lens);
    }

    /** {@link Chain.StepState} in float32. */
    public static final class StepState {
        private final ChainEngine.Stream<float[]> stream;

        private StepState(ChainEngine.Stream<float[]> stream) {
            this.stream = stream;
        }

        /** B. */
        public int batch() {
            return stream.batch;
        }

        /** The output [B, W] after the last step: a live array the next step overwrites. */
        public float[] output() {
            return stream.output();
        }

        /** y [B, O] after the last step (live), or null for a chain without y. */
        public float[] y() {
            return stream.y;
        }

        /** Copies the state out: h [S_h * B] (the flat slots) and c [S_c * B] (ignored when null). */
        public void getState(float[] h, float[] c) {
            Checks.notNull("h", h);
            stream.engine.checkState(stream.batch, Arguments.len(h), Arguments.len(c));
            stream.getState(h, c);
        }

        /** Sets the state: h [S_h * B], c [S_c * B] (LSTM layers only); null for zeros. */
        public void setState(float[] h, float[] c) {
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
     * One time step in place on x [B, I]: the same bits as {@link #step(int, float[], float[], float[])}; read
     * {@link StepState#output()} and {@link StepState#y()}. No heap allocation at batch 1 to 5.
     *
     * @throws IllegalArgumentException when the state belongs to another chain or x is wrong
     */
    public void step(StepState state, float[] x) {
        engine.checkStep(state == null ? null : state.stream, Arguments.len(x), null);
        engine.step(state.stream, x, null);
    }

    /** {@link #step(StepState, float[])} on tokens [B] (a chain with an embedding). */
    public void stepTokens(StepState state, int[] tokens) {
        engine.checkStep(state == null ? null : state.stream, -1, tokens);
        engine.step(state.stream, null, tokens);
    }

    /** {@link Chain#forwardKeep} in float32: the tape's result is {@link #forward}'s to the bit. */
    public Tape<float[]> forwardKeep(int seqLen, int batch, float[] x, float[] h0, float[] c0, int[] lengths) {
        int[] lens = ChainArguments.forward(spec, seqLen, batch, Arguments.len(x), null, Arguments.len(h0),
                Arguments.len(c0), lengths);
        Result<float[]> result = engine.run(seqLen, batch, x, null, h0, c0, lens);
        return new Tape<>(this, result, ChainTape.record(rounded(), products, seqLen, batch, widened(x), null,
                widened(h0), widened(c0), lens));
    }

    /** {@link Chain#forwardTokensKeep} in float32. */
    public Tape<float[]> forwardTokensKeep(int seqLen, int batch, int[] tokens, float[] h0, float[] c0,
                                           int[] lengths) {
        int[] lens = ChainArguments.forward(spec, seqLen, batch, -1, tokens, Arguments.len(h0), Arguments.len(c0),
                lengths);
        Result<float[]> result = engine.run(seqLen, batch, null, tokens, h0, c0, lens);
        return new Tape<>(this, result, ChainTape.record(rounded(), products, seqLen, batch, null, tokens, widened(h0),
                widened(c0), lens));
    }

    /**
     * {@link Chain#backward} in float32: the arguments and checks of Chain's, the gradients computed in
     * float64 on the float32 model and rounded to float.
     */
    public Gradients<float[]> backward(Tape<float[]> tape, float[] dOutput, float[] dHn, float[] dCn, float[] dY) {
        BackwardArguments.check(this, spec, tape, Arguments.len(dOutput), Arguments.len(dHn), Arguments.len(dCn),
                Arguments.len(dY));
        Backward64.Raw raw = Backward64.run(rounded(), products, tape.kept, widened(dOutput), widened(dHn),
                widened(dCn), widened(dY));
        Map<String, float[]> weights = new LinkedHashMap<>();
        raw.weights().forEach((path, grad) -> weights.put(path, narrowed(grad)));
        return new Gradients<>(weights, narrowed(raw.x()), narrowed(raw.h0()), narrowed(raw.c0()));
    }

    /** The spec with every weight rounded to float (what this chain computes with), made once. */
    private ChainSpec rounded() {
        ChainSpec r = rounded;
        if (r == null) {
            r = roundedToFloat(spec);
            rounded = r;
        }
        return r;
    }

    private static ChainSpec roundedToFloat(ChainSpec spec) {
        Embedding e = spec.embedding();
        Embedding embedding = e == null ? null : new Embedding(e.vocabSize(), e.size(), roundedToFloat(e.table()));
        List<RecurrentLayer> layers = new ArrayList<>();
        for (RecurrentLayer layer : spec.layers()) {
            LayerWeights[] weights = layer.weights();
            LayerWeights[] r = new LayerWeights[weights.length];
            for (int d = 0; d < weights.length; d++) {
                LayerWeights w = weights[d];
                r[d] = new LayerWeights(roundedToFloat(w.weightIh), roundedToFloat(w.weightHh),
                        roundedToFloat(w.biasIh), roundedToFloat(w.biasHh), roundedToFloat(w.weightHr),
                        roundedToFloat(w.peepholes));
            }
            layers.add(new RecurrentLayer(layer.config(), layer.merge(), r));
        }
        List<DenseLayer> dense = new ArrayList<>();
        for (DenseLayer d : spec.dense()) {
            dense.add(new DenseLayer(d.outputs(), d.inputs(), roundedToFloat(d.weightArray()),
                    roundedToFloat(d.biasArray()), d.activation()));
        }
        return new ChainSpec(embedding, layers, dense, spec.readout());
    }

    /** {@code (double) (float) a[i]}, or null. */
    private static double[] roundedToFloat(double[] a) {
        return a == null ? null : widened(narrowed(a));
    }

    /** {@code (double) a[i]}, or null. */
    private static double[] widened(float[] a) {
        if (a == null) {
            return null;
        }
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** {@code (float) a[i]}, or null. */
    private static float[] narrowed(double[] a) {
        if (a == null) {
            return null;
        }
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }
}

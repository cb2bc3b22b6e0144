package rnnrosetta;

/**
 * {@link Chain} in float32: the same model, arguments, checks, messages and shapes, computed
 * natively in float. The weights (double[] in the {@link ChainSpec}) are rounded to float
 * once, at construction; inputs and results are float[]. Immutable and thread-safe after
 * construction.
 */
public final class Chain32 {
    private final ChainSpec spec;
    private final ChainEngine<float[]> engine;

    /** {@link Chain#Chain(ChainSpec)} in float32. */
    public Chain32(ChainSpec spec) {
        this(spec, Kernel.AUTO);
    }

    /** {@link Chain#Chain(ChainSpec, Kernel)} in float32. */
    public Chain32(ChainSpec spec, Kernel kernel) {
        this.spec = Checks.notNull("spec", spec);
        Checks.notNull("kernel", kernel);
        this.engine = new ChainEngine<>(spec, clip -> Kernels.float32(kernel, clip));
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
}

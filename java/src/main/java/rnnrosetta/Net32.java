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
}

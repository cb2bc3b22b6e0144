package rnnrosetta;

/**
 * {@link Net} in float32: the same model, checks, messages and shapes, computed natively in
 * float. The weights are given as double[] (the same {@link LayerWeights}) and rounded to
 * float once, at construction; inputs and results are float[]. Immutable and thread-safe
 * after construction.
 */
public final class Net32 {
    private final Config config;
    private final Engine<float[]> engine;

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
    public Net32(Config config, LayerWeights[][] weights, double[] headWeight, double[] headBias) {
        this(config, weights, headWeight, headBias, Kernel.AUTO);
    }

    /**
     * Builds a net that computes with {@code kernel}. The weights are rounded to float and
     * copied once, into the layout the kernel wants.
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
    public Result<float[]> forward(int seqLen, int batch, float[] x, float[] h0, float[] c0, int[] lengths) {
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
    public Result<float[]> step(int batch, float[] x, float[] h, float[] c) {
        int[] lens = Arguments.step(config, batch, Arguments.len(x), Arguments.len(h), Arguments.len(c));
        return engine.run(1, batch, x, h, c, lens);
    }
}

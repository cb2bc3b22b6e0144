package rnnrosetta.bench;

import java.util.Random;

import java.util.List;

import rnnrosetta.Cell;
import rnnrosetta.ChainSpec;
import rnnrosetta.Config;
import rnnrosetta.DenseActivation;
import rnnrosetta.DenseLayer;
import rnnrosetta.Direction;
import rnnrosetta.Embedding;
import rnnrosetta.HeadActivation;
import rnnrosetta.LayerWeights;
import rnnrosetta.Merge;
import rnnrosetta.Nonlinearity;
import rnnrosetta.Readout;
import rnnrosetta.RecurrentLayer;

/**
 * Random one-layer, forward, headless models (and small chains) for the benchmarks: weights uniform in
 * {@code [-1/sqrt(H), 1/sqrt(H)]} (PyTorch's initialisation) from a fixed seed, so every run
 * times the same model.
 */
final class BenchModels {
    private BenchModels() {
    }

    /** The configuration of a one-layer forward {@code cell} with {@code input} inputs and {@code hidden} units. */
    static Config config(Cell cell, int input, int hidden) {
        return new Config(cell, Nonlinearity.TANH, true, input, hidden, 1, Direction.FORWARD, 0, false, Double.NaN,
                HeadActivation.NONE, 0);
    }

    /** Weights for {@link #config}: {@code [1][1]}, drawn from {@code seed}. */
    static LayerWeights[][] weights(Config config, long seed) {
        Random random = new Random(seed);
        int rows = config.gates() * config.hiddenSize();
        double scale = 1.0 / Math.sqrt(config.hiddenSize());
        LayerWeights w = new LayerWeights(uniform(random, rows * config.inputSize(), scale),
                uniform(random, rows * config.hiddenSize(), scale), uniform(random, rows, scale),
                uniform(random, rows, scale), null, null);
        return new LayerWeights[][] {{w}};
    }

    /** The vocabulary of {@link #chain}'s embedding. */
    static final int VOCAB = 16;
    /** The outputs of {@link #chain}'s dense layer. */
    static final int CHAIN_OUTPUTS = 5;

    /**
     * A streaming chain: (with {@code tokens}, an embedding [VOCAB, input]), two forward layers of
     * {@code cell} (input -&gt; hidden -&gt; hidden), the LAST readout and a tanh dense layer
     * [CHAIN_OUTPUTS, hidden]; weights from {@code seed}.
     */
    static ChainSpec chain(Cell cell, int input, int hidden, boolean tokens, long seed) {
        Random random = new Random(seed);
        Embedding embedding = tokens ? new Embedding(VOCAB, input, uniform(random, VOCAB * input, 1.0)) : null;
        Config first = config(cell, input, hidden);
        Config second = config(cell, hidden, hidden);
        RecurrentLayer l0 = new RecurrentLayer(first, Merge.CONCAT, weights(first, seed + 1)[0]);
        RecurrentLayer l1 = new RecurrentLayer(second, Merge.CONCAT, weights(second, seed + 2)[0]);
        double scale = 1.0 / Math.sqrt(hidden);
        DenseLayer dense = new DenseLayer(CHAIN_OUTPUTS, hidden, uniform(random, CHAIN_OUTPUTS * hidden, scale),
                uniform(random, CHAIN_OUTPUTS, scale), DenseActivation.TANH);
        return new ChainSpec(embedding, List.of(l0, l1), List.of(dense), Readout.LAST);
    }

    /** n values uniform in [-scale, scale). */
    static double[] uniform(Random random, int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (2.0 * random.nextDouble() - 1.0) * scale;
        }
        return v;
    }

    /** {@code v} rounded to float. */
    static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    /** The cell named {@code name} ("rnn", "lstm", "gru"). */
    static Cell cell(String name) {
        return Cell.valueOf(name.toUpperCase(java.util.Locale.ROOT));
    }
}

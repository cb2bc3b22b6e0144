package rnnrosetta.bench;

import java.util.Random;

import rnnrosetta.Cell;
import rnnrosetta.Config;
import rnnrosetta.Direction;
import rnnrosetta.HeadActivation;
import rnnrosetta.LayerWeights;
import rnnrosetta.Nonlinearity;

/**
 * Random one-layer, forward, headless models for the benchmarks: weights uniform in
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

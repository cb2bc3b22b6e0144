package rnnrosetta.train;

import java.util.List;

/**
 * An optimizer over a fixed list of weight arrays: each {@link #step} updates every array in place
 * from its gradient (same index, same length), keeping its own state per array.
 */
public interface Optimizer {
    /**
     * One update of every weight array, in place.
     *
     * @throws IllegalArgumentException when the lists differ in size or an array in length, or
     *                                  differ from the first call's
     */
    void step(List<double[]> params, List<double[]> grads);

    /** The number of steps taken. */
    int steps();

    /** The optimizer {@code config} names, in float64 or float32. */
    static Optimizer of(TrainConfig config, boolean float32) {
        return config.adam() ? new Adam(config.lr(), float32) : new Sgd(config.lr(), config.momentum(), float32);
    }

    /** Checks that params and grads match each other and the state's sizes (null before the first step). */
    static void check(List<double[]> params, List<double[]> grads, double[][] state) {
        if (params == null || grads == null || params.size() != grads.size()) {
            throw new IllegalArgumentException("need as many gradients as weight arrays");
        }
        for (int k = 0; k < params.size(); k++) {
            double[] p = params.get(k);
            double[] g = grads.get(k);
            if (p == null || g == null || p.length != g.length) {
                throw new IllegalArgumentException("weight array " + k + " and its gradient differ in length");
            }
            if (state != null && (state.length != params.size() || state[k].length != p.length)) {
                throw new IllegalArgumentException("weight array " + k + " is not the one of the first step");
            }
        }
    }
}

package rnnrosetta;

/** The activation of a {@link DenseLayer}: {@code y = act(W v + b)}. */
public enum DenseActivation {
    /** {@code y = W v + b}. */
    IDENTITY,
    /** {@code y_i = exp(a_i - max a) / sum_j exp(a_j - max a)}. */
    SOFTMAX,
    /** {@code y = tanh(a)}. */
    TANH,
    /** {@code y = 1 / (1 + exp(-a))}, computed without overflow. */
    SIGMOID,
    /** {@code y = a < 0 ? 0 : a}. */
    RELU
}

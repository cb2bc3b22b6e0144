package rnnrosetta;

/** The activation of the Elman RNN cell ({@link Cell#RNN} only; other cells ignore it). */
public enum Nonlinearity {
    /** {@code h_t = tanh(a)}. */
    TANH,
    /** {@code h_t = max(a, 0)}; NaN propagates. */
    RELU
}

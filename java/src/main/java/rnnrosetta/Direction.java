package rnnrosetta;

/** Which way(s) each layer reads the sequence. */
public enum Direction {
    /** t = 0 .. L_b-1. */
    FORWARD,
    /** t = L_b-1 .. 0, each output written at the position it read (ONNX "reverse"). */
    REVERSE,
    /** Both; {@code output[t] = concat(fwd[t], rev[t])}. */
    BIDIRECTIONAL;

    /** D: 2 for {@link #BIDIRECTIONAL}, else 1. */
    public int count() {
        return this == BIDIRECTIONAL ? 2 : 1;
    }
}

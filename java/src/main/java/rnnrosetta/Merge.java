package rnnrosetta;

/**
 * How a bidirectional layer of a {@link ChainSpec} joins its two directions into one output
 * per step. Padded steps (t &gt;= L_b) are zero in each direction before merging, so every
 * mode gives zero there.
 */
public enum Merge {
    /** {@code [h_fwd, h_rev]}: width 2*H_out. */
    CONCAT,
    /** {@code h_fwd + h_rev}: width H_out. */
    SUM,
    /** {@code h_fwd * h_rev}: width H_out. */
    MUL,
    /** {@code (h_fwd + h_rev) * 0.5}: width H_out. */
    AVE
}

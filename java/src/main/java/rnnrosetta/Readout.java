package rnnrosetta;

/** What a {@link ChainSpec}'s dense layers read: every step, or one vector per sequence. */
public enum Readout {
    /** Every output step [T, B, W] (padded steps included); y is [T, B, O]. */
    SEQUENCE,
    /**
     * The top layer's final states h_n merged like its outputs [B, W]: the forward direction's
     * state after step L_b-1, the reverse direction's after step t = 0; y is [B, O].
     */
    LAST
}

package rnnrosetta;

/**
 * What {@link Net#forward} and {@link Net#step} return: flat row-major arrays, freshly
 * allocated per call and owned by the caller.
 */
public final class Result {
    /** [T, B, D*H_out] from forward (zero where t &gt;= lengths[b]); [B, H_out] from step. */
    public final double[] output;
    /** [L*D, B, H_out], ordered l0_fwd, l0_rev, l1_fwd, ...: the state after each direction's last step. */
    public final double[] hN;
    /** [L*D, B, H] for LSTM, else null. */
    public final double[] cN;
    /** [T, B, O] from forward, [B, O] from step; null without a head. */
    public final double[] y;
    /** T (1 for step). */
    public final int seqLen;
    /** B. */
    public final int batch;

    Result(double[] output, double[] hN, double[] cN, double[] y, int seqLen, int batch) {
        this.output = output;
        this.hN = hN;
        this.cN = cN;
        this.y = y;
        this.seqLen = seqLen;
        this.batch = batch;
    }
}

package rnnrosetta;

/**
 * What {@link Net32#forward} and {@link Net32#step} return: {@link Result} in float32, flat
 * row-major arrays, freshly allocated per call and owned by the caller.
 */
public final class Result32 {
    /** [T, B, D*H_out] from forward (zero where t &gt;= lengths[b]); [B, H_out] from step. */
    public final float[] output;
    /** [L*D, B, H_out], ordered l0_fwd, l0_rev, l1_fwd, ...: the state after each direction's last step. */
    public final float[] hN;
    /** [L*D, B, H] for LSTM, else null. */
    public final float[] cN;
    /** [T, B, O] from forward, [B, O] from step; null without a head. */
    public final float[] y;
    /** T (1 for step). */
    public final int seqLen;
    /** B. */
    public final int batch;

    Result32(float[] output, float[] hN, float[] cN, float[] y, int seqLen, int batch) {
        this.output = output;
        this.hN = hN;
        this.cN = cN;
        this.y = y;
        this.seqLen = seqLen;
        this.batch = batch;
    }
}

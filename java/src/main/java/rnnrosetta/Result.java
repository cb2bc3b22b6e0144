package rnnrosetta;

/**
 * What {@link Net#forward} and {@link Net#step} return ({@code A} = {@code double[]}), and
 * {@link Net32}'s ({@code A} = {@code float[]}): flat row-major arrays, freshly allocated per
 * call and owned by the caller.
 *
 * @param output [T, B, D*H_out] from forward (zero where t &gt;= lengths[b]); [B, H_out] from step
 * @param hN     [L*D, B, H_out], ordered l0_fwd, l0_rev, l1_fwd, ...: the state after each
 *               direction's last step
 * @param cN     [L*D, B, H] for LSTM, else null
 * @param y      [T, B, O] from forward, [B, O] from step; null without a head
 * @param seqLen T (1 for step)
 * @param batch  B
 */
public record Result<A>(A output, A hN, A cN, A y, int seqLen, int batch) {
    /** Checks that the two arrays every result has are there. */
    public Result {
        Checks.notNull("output", output);
        Checks.notNull("hN", hN);
    }
}

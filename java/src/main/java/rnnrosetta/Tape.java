package rnnrosetta;

/**
 * What {@link Chain#forwardKeep} (and {@link Chain32#forwardKeep}) return: the forward result,
 * the same to the bit as {@link Chain#forward}'s, and what the backward pass needs (every step's
 * intermediate values, recomputed in float64 by a plain reference pass beside the forward one).
 * Only the chain that made a tape can run {@code backward} on it; the backward pass reads it and
 * never changes it, so a tape serves any number of backward calls, from any thread.
 *
 * @param <A> double[] (Chain) or float[] (Chain32)
 */
public final class Tape<A> {
    final Object owner;
    final ChainTape kept;
    private final Result<A> result;

    Tape(Object owner, Result<A> result, ChainTape kept) {
        this.owner = owner;
        this.result = result;
        this.kept = kept;
    }

    /** The forward result: output, hN, cN, y as {@link Chain#forward} returns them (the arrays themselves). */
    public Result<A> result() {
        return result;
    }

    /** T of the forward call. */
    public int seqLen() {
        return kept.seqLen;
    }

    /** B of the forward call. */
    public int batch() {
        return kept.batch;
    }
}

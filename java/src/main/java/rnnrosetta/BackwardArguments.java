package rnnrosetta;

import java.util.Arrays;

/**
 * The argument checks of {@link Chain#backward} and {@link Chain32#backward}, shared so that both
 * precisions refuse the same things with the same {@link IllegalArgumentException} messages. Real
 * arrays are passed as their length, -1 standing for null (null is always allowed: zero).
 */
final class BackwardArguments {
    private BackwardArguments() {
    }

    /**
     * Fails unless {@code tape} was made by {@code owner} and every gradient fits its forward call.
     *
     * @param dOutputLen length of dOutput [T, B, W], -1 for null (likewise dHn, dCn, dY)
     */
    static void check(Object owner, ChainSpec spec, Tape<?> tape, int dOutputLen, int dHnLen, int dCnLen,
                      int dYLen) {
        Checks.notNull("tape", tape);
        if (tape.owner != owner) {
            throw new IllegalArgumentException("tape was made by another chain (" + tape.owner
                    + "), not by this one (" + owner + "); run backward on the chain whose forwardKeep made it");
        }
        int steps = tape.seqLen();
        int batch = tape.batch();
        String tb = "T=" + steps + ", B=" + batch;
        int width = spec.outputWidth();
        if (dOutputLen >= 0) {
            Checks.length("dOutput", dOutputLen, steps * batch * width, "T*B*W", tb + ", W=" + width);
        }
        if (dHnLen >= 0) {
            int[] sizes = spec.stateSizes();
            Checks.length("dHn", dHnLen, Arrays.stream(sizes).sum() * batch, "sum(H_out_k)*B",
                    "H_out_k=" + Arrays.toString(sizes) + ", B=" + batch);
        }
        int[] cSizes = spec.cellStateSizes();
        if (cSizes.length == 0) {
            if (dCnLen >= 0) {
                throw new IllegalArgumentException("dCn must be null: the chain has no LSTM layer");
            }
        } else if (dCnLen >= 0) {
            Checks.length("dCn", dCnLen, Arrays.stream(cSizes).sum() * batch, "sum(H_k)*B",
                    "H_k=" + Arrays.toString(cSizes) + ", B=" + batch);
        }
        if (dYLen >= 0) {
            if (!spec.hasY()) {
                throw new IllegalArgumentException("dY must be null: the chain has no y (SEQUENCE readout, no dense"
                        + " layer)");
            }
            int o = spec.ySize();
            if (spec.readout() == Readout.LAST) {
                Checks.length("dY", dYLen, batch * o, "B*O", "B=" + batch + ", O=" + o);
            } else {
                Checks.length("dY", dYLen, steps * batch * o, "T*B*O", tb + ", O=" + o);
            }
        }
    }
}

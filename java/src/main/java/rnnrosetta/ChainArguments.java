package rnnrosetta;

import java.util.Arrays;

/**
 * The argument checks of {@link Chain} and {@link Chain32}, shared so that both precisions
 * refuse the same things with the same {@link IllegalArgumentException} messages. Real arrays
 * are passed as their length, -1 standing for null.
 */
final class ChainArguments {
    private ChainArguments() {
    }

    /**
     * forward's checks; returns every sequence length (all T when {@code lengths} is null).
     *
     * @param xLen   the length of x, -1 for null (likewise h0Len, c0Len)
     * @param tokens the tokens [T, B] (chains with an embedding), else null
     * @throws IllegalArgumentException on any bad size, length, token or value of lengths
     */
    static int[] forward(ChainSpec spec, int seqLen, int batch, int xLen, int[] tokens, int h0Len, int c0Len,
                         int[] lengths) {
        Checks.positive("seqLen", seqLen);
        Checks.positive("batch", batch);
        inputs(spec, "T*B", "T=" + seqLen + ", B=" + batch, Checks.product("T*B", "T=" + seqLen + ", B=" + batch,
                seqLen, batch), xLen, tokens);
        states(spec, batch, "h0", h0Len, "c0", c0Len);
        int[] lens = new int[batch];
        if (lengths == null) {
            Arrays.fill(lens, seqLen);
        } else {
            if (lengths.length != batch) {
                throw new IllegalArgumentException("lengths has length " + lengths.length
                        + ", expected " + batch + " = B (B=" + batch + ")");
            }
            for (int b = 0; b < batch; b++) {
                if (lengths[b] < 1 || lengths[b] > seqLen) {
                    throw new IllegalArgumentException("lengths[" + b + "] is " + lengths[b]
                            + ", expected 1..T (T=" + seqLen + ")");
                }
                lens[b] = lengths[b];
            }
        }
        scratch(spec, seqLen, batch);
        return lens;
    }

    /**
     * step's checks; returns the lengths of a one-step forward (all 1).
     *
     * @throws UnsupportedOperationException unless every layer is FORWARD
     * @throws IllegalArgumentException on any bad size, length or token
     */
    static int[] step(ChainSpec spec, int batch, int xLen, int[] tokens, int hLen, int cLen) {
        if (!spec.allForward()) {
            throw new UnsupportedOperationException("step() needs a chain of FORWARD layers only;"
                    + " use forward() on the whole sequence");
        }
        Checks.positive("batch", batch);
        inputs(spec, "B", "B=" + batch, batch, xLen, tokens);
        states(spec, batch, "h", hLen, "c", cLen);
        scratch(spec, 1, batch);
        int[] lens = new int[batch];
        Arrays.fill(lens, 1);
        return lens;
    }

    /** x [rows, I] for real inputs, or tokens [rows] in 0..V-1 with an embedding; never both. */
    private static void inputs(ChainSpec spec, String rowsFormula, String rowsDims, int rows, int xLen,
                               int[] tokens) {
        Embedding e = spec.embedding();
        if (e == null) {
            Checks.absent("tokens", tokens, "the chain has no embedding; pass x");
            String dims = rowsDims + ", I=" + spec.inputSize();
            String formula = rowsFormula + "*I";
            Checks.length("x", xLen, Checks.product(formula, dims, rows, spec.inputSize()), formula, dims);
            return;
        }
        if (xLen >= 0) {
            throw new IllegalArgumentException("x must be null: the chain has an embedding; pass tokens");
        }
        Checks.length("tokens", tokens == null ? -1 : tokens.length, rows, rowsFormula, rowsDims);
        for (int i = 0; i < rows; i++) {
            if (tokens[i] < 0 || tokens[i] >= e.vocabSize()) {
                throw new IllegalArgumentException("tokens[" + i + "] is " + tokens[i] + ", expected 0..V-1 (V="
                        + e.vocabSize() + ")");
            }
        }
    }

    /** h [sum(H_out_k) * B] and c [sum(H_k) * B] (flat slots; null allowed; c only with LSTM layers). */
    private static void states(ChainSpec spec, int batch, String hName, int hLen, String cName, int cLen) {
        int hSum = sum(spec.stateSizes());
        String hDims = "H_out_k=" + Arrays.toString(spec.stateSizes()) + ", B=" + batch;
        int hExpected = Checks.product("sum(H_out_k)*B", hDims, hSum, batch);
        if (hLen >= 0) {
            Checks.length(hName, hLen, hExpected, "sum(H_out_k)*B", hDims);
        }
        int[] cSizes = spec.cellStateSizes();
        if (cSizes.length == 0) {
            if (cLen >= 0) {
                throw new IllegalArgumentException(cName + " must be null: the chain has no LSTM layer");
            }
            return;
        }
        String cDims = "H_k=" + Arrays.toString(cSizes) + ", B=" + batch;
        int cExpected = Checks.product("sum(H_k)*B", cDims, sum(cSizes), batch);
        if (cLen >= 0) {
            Checks.length(cName, cLen, cExpected, "sum(H_k)*B", cDims);
        }
    }

    /** Every per-call array sized by T*B must be addressable with an int index. */
    private static void scratch(ChainSpec spec, int seqLen, int batch) {
        String tb = "T=" + seqLen + ", B=" + batch;
        for (RecurrentLayer layer : spec.layers()) {
            Config config = layer.config();
            int in = Checks.product("T*B*I_l", tb + ", I_l=" + config.inputSize(), seqLen, batch,
                    config.inputSize());
            Arguments.forward(config, seqLen, batch, in, -1, -1, null);
        }
        for (DenseLayer dense : spec.dense()) {
            Checks.product("T*B*O", tb + ", O=" + dense.outputs(), seqLen, batch, dense.outputs());
        }
    }

    /** The sum of the slot sizes, or an IllegalArgumentException when it overflows int. */
    private static int sum(int[] sizes) {
        long s = 0;
        for (int size : sizes) {
            s += size;
        }
        if (s > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the state slot sizes " + Arrays.toString(sizes) + " overflow int");
        }
        return (int) s;
    }
}

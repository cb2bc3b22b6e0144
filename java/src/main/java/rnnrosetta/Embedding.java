package rnnrosetta;

/**
 * A chain's lookup table: token {@code k} becomes the row {@code x_t = E[k]}.
 *
 * @param vocabSize V &gt;= 1, the number of rows (tokens are 0 .. V-1)
 * @param size      E_dim &gt;= 1, the width of a row (layer 0's input size)
 * @param weight    E [V, E_dim], row-major; copied in, and copied out by the accessor
 */
public record Embedding(int vocabSize, int size, double[] weight) {
    /**
     * Validates and copies.
     *
     * @throws IllegalArgumentException on a bad size or length
     */
    public Embedding {
        Checks.positive("embedding vocabSize", vocabSize);
        Checks.positive("embedding size", size);
        String dims = "V=" + vocabSize + ", E=" + size;
        Checks.length("embedding weight", weight, Checks.product("V*E", dims, vocabSize, size), "V*E", dims);
        weight = weight.clone();
    }

    /** A copy of E [V, E_dim]. */
    @Override
    public double[] weight() {
        return weight.clone();
    }

    /** The table itself, for the engines (never handed out). */
    double[] table() {
        return weight;
    }
}

package rnnrosetta;

/**
 * A weight matrix W [n, k] and its bias [n] as a {@link Compute} stores them: row-major
 * for the plain path, packed into panels for the vector path. Made once, at construction
 * of a net.
 *
 * @param w      the weights in the layout of the {@link Compute} that made them
 * @param bias   the bias, or null (a {@link Compute} may also store zeros)
 * @param n      outputs (rows of W)
 * @param k      inputs (columns of W)
 * @param stride the fewest columns a row of {@link Compute#linear}'s output must have: n or more
 */
record Matrix<A>(A w, A bias, int n, int k, int stride) {
    /**
     * The k block of every product of the plain and vector kernels (float64 and float32): each
     * output {@code y[o] = b[o] + sum_k W[o, k] x[k]} is summed as
     * {@code total = b[o]; for each block [kb, kb + DOT_BLOCK) of k: s = the block's products
     * from 0, k ascending; total = total + s}. Short chains keep the rounding error near BLAS's
     * at large K (one chain over all of K grows with K); fixed blocks, independent of the batch,
     * keep a row's bits independent of the rows around it. The C kernels use the same blocks.
     */
    static final int DOT_BLOCK = 32;

    Matrix {
        if (n < 1 || k < 1 || stride < n) {
            throw new IllegalArgumentException("matrix [" + n + ", " + k + "] with stride " + stride);
        }
    }
}

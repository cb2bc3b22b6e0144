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
    Matrix {
        if (n < 1 || k < 1 || stride < n) {
            throw new IllegalArgumentException("matrix [" + n + ", " + k + "] with stride " + stride);
        }
    }
}

package rnnrosetta;

/**
 * A weight matrix W [n, k] and its bias [n] as a {@link Compute} stores them: row-major
 * for the plain path, packed into panels for the vector path. Made once, at construction
 * of a net; immutable.
 */
final class Matrix<A> {
    /** The weights in the layout of the {@link Compute} that made them. */
    final A w;
    /** The bias, or null (a {@link Compute} may also store zeros). */
    final A bias;
    /** Outputs (rows of W). */
    final int n;
    /** Inputs (columns of W). */
    final int k;
    /** The fewest columns a row of {@link Compute#linear}'s output must have: n or more. */
    final int stride;

    Matrix(A w, A bias, int n, int k, int stride) {
        this.w = w;
        this.bias = bias;
        this.n = n;
        this.k = k;
        this.stride = stride;
    }
}

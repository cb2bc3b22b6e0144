package rnnrosetta;

/**
 * Which code path a {@link Net}, {@link Net32}, {@link Chain} or {@link Chain32} computes with.
 * {@link #PLAIN} and {@link #VECTOR} give the same results up to rounding (the order of the
 * additions differs); {@link #PLAIN} is the readable reference the vector path is checked
 * against. {@link #EXACT} is slower and gives the same bits as the numpy and C exact kernels.
 */
public enum Kernel {
    /**
     * {@link #VECTOR} when the JVM has the {@code jdk.incubator.vector} module (started with
     * {@code --add-modules=jdk.incubator.vector}), else {@link #PLAIN}.
     */
    AUTO,
    /** Plain Java loops: one dot product per output, added in index order. */
    PLAIN,
    /**
     * The Vector API ({@code jdk.incubator.vector}): weights packed into panels at
     * construction, blocked matrix products with FMA lanes, vectorized gates. Constructing
     * a net with it throws {@link UnsupportedOperationException} when the JVM was started
     * without {@code --add-modules=jdk.incubator.vector}.
     */
    VECTOR,
    /**
     * The exact kernel of docs/exact-kernel.md: the same IEEE binary64 operations in the same
     * order as numpy's {@code kernel="exact"} and C's {@code RR_KERNEL_EXACT}, the inside of each
     * step in double-double arithmetic, each stored value rounded once. Its outputs equal theirs
     * to the last bit, in float64 and float32 (the float64 algorithm on the float32 values, each
     * stored value rounded to float), for every batch split, thread and call; in float64 they are
     * within 0.75 eps of the exact result. About 25 double operations per multiply-add: many
     * times slower than {@link #AUTO}.
     */
    EXACT
}

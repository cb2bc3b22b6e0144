package rnnrosetta;

/**
 * Which code path a {@link Net} or {@link Net32} computes with. Both paths give the same
 * results up to rounding (the order of the additions differs); {@link #PLAIN} is the
 * readable reference the other is checked against.
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
    VECTOR
}

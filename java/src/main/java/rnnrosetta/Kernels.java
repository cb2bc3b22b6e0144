package rnnrosetta;

/**
 * Picks the {@link Compute} for a {@link Kernel} and a precision. The plain kernels are
 * {@link Plain64} and {@code Plain32} (generated from Plain64 at build time); the vector
 * kernels ({@code Vector64}, {@code Vector32}) are compiled separately against
 * {@code jdk.incubator.vector} and loaded by name, only when the JVM has that module, so
 * that nothing here needs it.
 */
final class Kernels {
    private static final String MODULE = "jdk.incubator.vector";

    /** Whether the JVM was started with the Vector API module (--add-modules=jdk.incubator.vector). */
    static final boolean VECTOR_AVAILABLE = ModuleLayer.boot().findModule(MODULE).isPresent();

    private Kernels() {
    }

    /** The float64 arithmetic for {@code kernel}, clamping gates to {@code clip} (NaN: none). */
    static Compute<double[]> float64(Kernel kernel, double clip) {
        if (kernel == Kernel.EXACT) {
            return new Exact64(clip);
        }
        Compute64 vector = useVector(kernel) ? load("rnnrosetta.Vector64", Compute64.class, double.class, clip, kernel)
                : null;
        return vector != null ? vector : new Plain64(clip);
    }

    /** The float32 arithmetic for {@code kernel}, clamping gates to {@code clip} rounded to float. */
    static Compute<float[]> float32(Kernel kernel, double clip) {
        float bound = (float) clip; // NaN stays NaN
        if (kernel == Kernel.EXACT) {
            return new Exact32(bound);
        }
        Compute32 vector = useVector(kernel) ? load("rnnrosetta.Vector32", Compute32.class, float.class, bound, kernel)
                : null;
        return vector != null ? vector : new Plain32(bound);
    }

    private static boolean useVector(Kernel kernel) {
        switch (kernel) {
            case PLAIN:
                return false;
            case AUTO:
                return VECTOR_AVAILABLE;
            case VECTOR:
                if (!VECTOR_AVAILABLE) {
                    throw new UnsupportedOperationException("the VECTOR kernel needs the " + MODULE
                            + " module: start the JVM with --add-modules=" + MODULE);
                }
                return true;
            default:
                throw new IllegalArgumentException("unknown kernel " + kernel);
        }
    }

    /**
     * A new instance of the vector kernel class {@code name} (a {@code base}), whose
     * constructor takes the clip bound as a {@code clipType}; null when it cannot load and
     * {@code kernel} is AUTO.
     */
    private static <C> C load(String name, Class<C> base, Class<?> clipType, Object clip, Kernel kernel) {
        try {
            return base.cast(Class.forName(name).getDeclaredConstructor(clipType).newInstance(clip));
        } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
            if (kernel == Kernel.AUTO) {
                return null;
            }
            throw new UnsupportedOperationException("the VECTOR kernel is not usable here (" + name + ": " + e
                    + "); use Kernel.PLAIN", e);
        }
    }
}

package rnnrosetta;

/**
 * Picks the {@link Compute} for a {@link Kernel}. The vector kernels ({@code Vector64},
 * {@code Vector32}) are compiled separately against {@code jdk.incubator.vector} and loaded
 * by name, only when the JVM has that module, so that nothing here needs it.
 */
final class Kernels {
    private static final String MODULE = "jdk.incubator.vector";

    /** Whether the JVM was started with the Vector API module (--add-modules=jdk.incubator.vector). */
    static final boolean VECTOR_AVAILABLE = ModuleLayer.boot().findModule(MODULE).isPresent();

    private Kernels() {
    }

    /** The float64 arithmetic for {@code kernel}. */
    static Plain64 float64(Kernel kernel) {
        Plain64 vector = useVector(kernel) ? load("rnnrosetta.Vector64", Plain64.class, kernel) : null;
        return vector != null ? vector : new Plain64();
    }

    /** The float32 arithmetic for {@code kernel}. */
    static Plain32 float32(Kernel kernel) {
        Plain32 vector = useVector(kernel) ? load("rnnrosetta.Vector32", Plain32.class, kernel) : null;
        return vector != null ? vector : new Plain32();
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

    /** The vector kernel class {@code name}; null when it cannot load and {@code kernel} is AUTO. */
    private static <T> T load(String name, Class<T> base, Kernel kernel) {
        try {
            return Class.forName(name).asSubclass(base).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            if (kernel == Kernel.AUTO) {
                return null;
            }
            throw new UnsupportedOperationException("the VECTOR kernel is not usable here (" + name + ": " + e
                    + "); use Kernel.PLAIN", e);
        }
    }
}

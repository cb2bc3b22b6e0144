package rnnrosetta;

/**
 * Argument validation shared by {@link Config}, {@link Net} and {@link LayerWeights}.
 * Every failure is an {@link IllegalArgumentException} with one line naming the argument
 * and the expected versus the actual value.
 */
final class Checks {
    private Checks() {
    }

    /** Fails unless {@code value >= 1}. */
    static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
    }

    /** Fails when {@code value} is null. */
    static <T> T notNull(String name, T value) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return value;
    }

    /**
     * The product of {@code factors} as an int, or a failure naming the formula when it
     * overflows, e.g. {@code "T*B*I overflows int (T=..., B=..., I=...)"}.
     */
    static int product(String formula, String dims, int... factors) {
        int p = 1;
        try {
            for (int f : factors) {
                p = Math.multiplyExact(p, f);
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(formula + " overflows int (" + dims + ")", e);
        }
        return p;
    }

    /**
     * Fails unless {@code array} is non-null with {@code expected} elements, e.g.
     * {@code "x has length 23, expected 24 = T*B*I (T=2, B=3, I=4)"}.
     */
    static void length(String name, double[] array, int expected, String formula, String dims) {
        length(name, array == null ? -1 : array.length, expected, formula, dims);
    }

    /** As {@link #length(String, double[], int, String, String)} for a float array. */
    static void length(String name, float[] array, int expected, String formula, String dims) {
        length(name, array == null ? -1 : array.length, expected, formula, dims);
    }

    /**
     * The check behind the {@code length} overloads: {@code actual} is the array's length,
     * or -1 when the array is null (which fails).
     */
    static void length(String name, int actual, int expected, String formula, String dims) {
        if (actual < 0) {
            throw new IllegalArgumentException(name + " must not be null, expected length "
                    + expected + " = " + formula + " (" + dims + ")");
        }
        if (actual != expected) {
            throw new IllegalArgumentException(name + " has length " + actual + ", expected "
                    + expected + " = " + formula + " (" + dims + ")");
        }
    }

    /** Fails unless {@code array} is null; {@code why} says when it applies. */
    static void absent(String name, Object array, String why) {
        if (array != null) {
            throw new IllegalArgumentException(name + " must be null: " + why);
        }
    }
}

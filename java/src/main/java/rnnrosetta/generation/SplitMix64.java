package rnnrosetta.generation;

/**
 * SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA
 * 2014), the generator every backend samples with (docs/generation.md). The state is one unsigned
 * 64-bit integer held in a {@code long}: Java's long arithmetic wraps modulo 2^64, so + and * are
 * the unsigned operations bit for bit, and {@code >>>} is the unsigned shift.
 *
 * <pre>
 *   next():        s = s + 0x9E3779B97F4A7C15
 *                  z = (s ^ (s >>> 30)) * 0xBF58476D1CE4E5B9
 *                  z = (z ^ (z >>> 27)) * 0x94D049BB133111EB
 *                  return z ^ (z >>> 31)
 *   nextDouble():  (next() >>> 11) * 2^-53              in [0, 1)
 * </pre>
 *
 * Not thread-safe: one generator per sampling loop.
 */
public final class SplitMix64 {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    private static final long MIX_1 = 0xBF58476D1CE4E5B9L;
    private static final long MIX_2 = 0x94D049BB133111EBL;
    private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

    private long state;

    /** A generator whose state is {@code seed} read as an unsigned 64-bit integer. */
    public SplitMix64(long seed) {
        this.state = seed;
    }

    /**
     * A generator seeded with a decimal {@code 0 .. 2^64-1} (digits only).
     *
     * @throws IllegalArgumentException when {@code seed} is not such a number
     */
    public static SplitMix64 fromDecimal(String seed) {
        return new SplitMix64(parseSeed(seed));
    }

    /**
     * The decimal seed {@code 0 .. 2^64-1} (ASCII digits only, any count of leading zeros, no sign,
     * no spaces) as the bits of a long, range-checked without overflow.
     *
     * @throws IllegalArgumentException when {@code text} is not such a number
     */
    public static long parseSeed(String text) {
        if (text != null && text.matches("[0-9]+")) {
            String digits = text.replaceFirst("^0+(?=.)", "");                   // "000" -> "0"
            if (digits.length() <= 20) {                                          // 2^64 - 1 has 20 digits
                try {
                    return Long.parseUnsignedLong(digits);
                } catch (NumberFormatException e) {
                    // above 2^64 - 1: refused below
                }
            }
        }
        throw new IllegalArgumentException("the seed must be an integer in 0..18446744073709551615, got "
                + (text == null ? "nothing" : "'" + text + "'"));
    }

    /** The next 64 bits, as a long (read it with {@link Long#toUnsignedString(long)}). */
    public long next() {
        state += GOLDEN_GAMMA;
        long z = state;
        z = (z ^ (z >>> 30)) * MIX_1;
        z = (z ^ (z >>> 27)) * MIX_2;
        return z ^ (z >>> 31);
    }

    /** The next float64 in [0, 1): the top 53 bits of {@link #next()} times 2^-53 (exact). */
    public double nextDouble() {
        return (next() >>> 11) * TWO_POW_MINUS_53;
    }
}

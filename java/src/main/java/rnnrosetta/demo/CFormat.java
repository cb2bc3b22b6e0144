package rnnrosetta.demo;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The few C printf conversions the demo needs, reproduced exactly: {@code %.Nf} rounds
 * the exact binary value half-to-even (as glibc does), keeps the sign of negative values
 * that round to zero ({@code -0.000000}, also for -0.0), and prints non-finite values as
 * {@code nan}, {@code inf}, {@code -inf}.
 */
final class CFormat {
    private CFormat() {
    }

    /** C's {@code %.<decimals>f}. */
    static String fixed(double v, int decimals) {
        return fixed(v, decimals, false);
    }

    /** C's {@code %+.<decimals>f}: as {@link #fixed(double, int)} with a '+' on non-negative values. */
    static String signedFixed(double v, int decimals) {
        return fixed(v, decimals, true);
    }

    private static String fixed(double v, int decimals, boolean plus) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        boolean negative = (Double.doubleToRawLongBits(v) & Long.MIN_VALUE) != 0; // true for -0.0
        String sign = negative ? "-" : (plus ? "+" : "");
        if (Double.isInfinite(v)) {
            return sign + "inf";
        }
        // new BigDecimal(double) is the exact binary value; round it once, half to even.
        return sign + new BigDecimal(Math.abs(v)).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
    }

    /** C's {@code %<width>s}: right-aligned, never truncated. */
    static String right(String s, int width) {
        if (s.length() >= width) {
            return s;
        }
        StringBuilder b = new StringBuilder(width);
        for (int i = s.length(); i < width; i++) {
            b.append(' ');
        }
        return b.append(s).toString();
    }

    /** C's {@code %<width>zu} / {@code %<width>d}. */
    static String right(long n, int width) {
        return right(Long.toString(n), width);
    }
}

package rnnrosetta.demo;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * The few C printf conversions the demo needs, reproduced exactly: {@code %.Nf} rounds
 * the exact binary value half-to-even (as glibc does), keeps the sign of negative values
 * that round to zero ({@code -0.000000}, also for -0.0), and prints non-finite values as
 * {@code nan}, {@code inf}, {@code -inf}; {@code %.Ng} likewise from the exact value.
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

    /**
     * C's {@code %.<precision>g} (precision &gt;= 1): P significant digits of the exact value, rounded
     * half to even; with X the decimal exponent after rounding, {@code %.(P-1-X)f} when
     * {@code -4 <= X < P}, else {@code d.ddde+XX} (two exponent digits at least); trailing zeros and
     * a trailing point removed. {@code nan}, {@code inf}, {@code -inf}; -0.0 prints as {@code -0}.
     */
    static String general(double v, int precision) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        boolean negative = (Double.doubleToRawLongBits(v) & Long.MIN_VALUE) != 0;
        String sign = negative ? "-" : "";
        if (Double.isInfinite(v)) {
            return sign + "inf";
        }
        if (v == 0) {
            return sign + "0";
        }
        BigDecimal r = new BigDecimal(Math.abs(v)).round(new MathContext(precision, RoundingMode.HALF_EVEN));
        int exponent = r.precision() - r.scale() - 1;                        // X: r = d.ddd * 10^X
        StringBuilder digits = new StringBuilder(r.unscaledValue().toString());
        while (digits.length() < precision) {
            digits.append('0');                                              // P digits
        }
        String body;
        if (exponent >= -4 && exponent < precision) {
            if (exponent >= 0) {
                body = digits.substring(0, exponent + 1) + "." + digits.substring(exponent + 1);
            } else {
                body = "0." + "0".repeat(-exponent - 1) + digits;
            }
            return sign + stripZeros(body);
        }
        body = stripZeros(digits.charAt(0) + "." + digits.substring(1));
        int e = Math.abs(exponent);
        return sign + body + "e" + (exponent < 0 ? "-" : "+") + (e < 10 ? "0" : "") + e;
    }

    /** "1.2500" -> "1.25", "3.000" -> "3" (only after a point). */
    private static String stripZeros(String s) {
        if (s.indexOf('.') < 0) {
            return s;
        }
        int end = s.length();
        while (s.charAt(end - 1) == '0') {
            end--;
        }
        if (s.charAt(end - 1) == '.') {
            end--;
        }
        return s.substring(0, end);
    }
}

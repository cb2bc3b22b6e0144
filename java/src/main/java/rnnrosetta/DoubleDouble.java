package rnnrosetta;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * A double-double: the unevaluated sum {@code hi + lo} of two doubles (about 106 bits), and the
 * primitives of docs/exact-kernel.md ("Primitives") written line by line as the specification
 * writes them. Every operation is one IEEE binary64 {@code +}, {@code -}, {@code *} or {@code /},
 * evaluated left to right; Java never contracts {@code a * b + c} into a fused multiply-add and
 * has been strictly IEEE since Java 17, so these give the same bits as the numpy and C exact
 * kernels, in every JIT tier.
 *
 * <p>A double-double made by {@link #twoSum} or {@link #fastTwoSum} is <em>normalized</em>: its
 * rounding to double is {@code hi}. Every method here returns a normalized value.
 *
 * <p>The {@code Fma} forms compute two_prod's error term as {@code Math.fma(a, b, -p)}: the same
 * double as Dekker's formula where a and b are {@link #tame} (docs/exact-kernel.md, "two_prod by
 * FMA"), so callers use them only there, and only where {@link #FMA} says the JVM runs
 * {@code Math.fma} as an instruction (elsewhere it is a slow BigDecimal computation).
 *
 * @param hi the leading double
 * @param lo the trailing double
 */
record DoubleDouble(double hi, double lo) {
    static final DoubleDouble ZERO = new DoubleDouble(0.0, 0.0);
    static final DoubleDouble ONE = new DoubleDouble(1.0, 0.0);
    static final DoubleDouble TWO = new DoubleDouble(2.0, 0.0);

    /** Veltkamp's splitter 2^27 + 1 = 134217729. */
    static final double SPLITTER = 0x1.0000002p+27;

    /** Whether {@code Math.fma} is an instruction here: HotSpot's {@code UseFMA} option is on. */
    static final boolean FMA = fmaIsInstruction();

    private static boolean fmaIsInstruction() {
        try {
            HotSpotDiagnosticMXBean bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return bean != null && "true".equals(bean.getVMOption("UseFMA").getValue());
        } catch (RuntimeException | LinkageError e) {
            return false; // not HotSpot, or no such option: keep Dekker's formula
        }
    }

    /**
     * Whether x is tame: 0, or {@code 2^-480 <= |x| < 2^500}. For tame a and b, a*b is 0 or in
     * [2^-960, 2^1000): nothing overflows (the split included), every partial product of Dekker's
     * formula and the error {@code a*b - p} are multiples of 2^(ea + eb - 104) >= 2^-1066, so
     * both ways give the exact error; an error of zero is +0 both ways (an exact zero sum is +0
     * when rounding to nearest; Dekker's first term {@code ah*bh - p} is never -0). NaN and
     * infinities are not tame.
     */
    static boolean tame(double x) {
        double m = Math.abs(x);
        return x == 0.0 || (m >= 0x1p-480 && m < 0x1p500);
    }

    /** Whether |x| is 0 or at least 2^-470 (not NaN): the operands {@link ExactMath} checks. */
    static boolean notTiny(double x) {
        return x == 0.0 || Math.abs(x) >= 0x1p-470;
    }

    /** {@code dd(x) = (x, 0.0)}: a double as a double-double. */
    static DoubleDouble of(double x) {
        return new DoubleDouble(x, 0.0);
    }

    /** {@code s + e == a + b} exactly (Knuth), for any a, b. */
    static DoubleDouble twoSum(double a, double b) {
        double s = a + b;
        double v = s - a;
        double e = (a - (s - v)) + (b - v);
        return new DoubleDouble(s, e);
    }

    /** {@code s + e == a + b} exactly (Dekker), when {@code |a| >= |b|} or {@code a == 0}. */
    static DoubleDouble fastTwoSum(double a, double b) {
        double s = a + b;
        double e = b - (s - a);
        return new DoubleDouble(s, e);
    }

    /**
     * The high half of Veltkamp's split {@code a == hi + lo} (26 bits each):
     * {@code t = SPLITTER * a; hi = t - (t - a)}; the low half is {@code a - hi}.
     */
    static double splitHi(double a) {
        double t = SPLITTER * a;
        return t - (t - a);
    }

    /**
     * {@code p + e == a * b} exactly (Dekker): {@code p = a * b}, then
     * {@code e = (((ah*bh - p) + ah*bl) + al*bh) + al*bl} over the splits of a and b. Not
     * symmetric in its bits: an activation times a weight is {@code twoProd(v, w)}.
     */
    static DoubleDouble twoProd(double a, double b) {
        double p = a * b;
        double ah = splitHi(a);
        double al = a - ah;
        double bh = splitHi(b);
        double bl = b - bh;
        double e = (((ah * bh - p) + ah * bl) + al * bh) + al * bl;
        return new DoubleDouble(p, e);
    }

    /** {@link #twoProd} for tame a and b: {@code e = Math.fma(a, b, -p)}, the same pair. */
    static DoubleDouble twoProdFma(double a, double b) {
        double p = a * b;
        return new DoubleDouble(p, Math.fma(a, b, -p));
    }

    /** {@code dd_add}: this + b, from two two_sums (the accurate, IEEE-style addition). */
    DoubleDouble add(DoubleDouble b) {
        DoubleDouble s = twoSum(hi, b.hi);
        DoubleDouble t = twoSum(lo, b.lo);
        double e = s.lo + t.hi;
        DoubleDouble u = fastTwoSum(s.hi, e);
        double f = u.lo + t.lo;
        return fastTwoSum(u.hi, f);
    }

    /** {@code dd_neg}: (-hi, -lo). */
    DoubleDouble neg() {
        return new DoubleDouble(-hi, -lo);
    }

    /** {@code dd_sub(a, b) = dd_add(a, dd_neg(b))}. */
    DoubleDouble sub(DoubleDouble b) {
        return add(b.neg());
    }

    /** {@code dd_mul}: {@code (p, e) = two_prod(ah, bh); e = e + (ah*bl + al*bh); fast_two_sum(p, e)}. */
    DoubleDouble mul(DoubleDouble b) {
        return mulRest(twoProd(hi, b.hi), b);
    }

    /** {@link #mul} for tame {@code hi} and {@code b.hi}: two_prod by FMA. */
    DoubleDouble mulFma(DoubleDouble b) {
        return mulRest(twoProdFma(hi, b.hi), b);
    }

    /** dd_mul from {@code p = two_prod(hi, b.hi)}. */
    private DoubleDouble mulRest(DoubleDouble p, DoubleDouble b) {
        double e = p.lo + (hi * b.lo + lo * b.hi);
        return fastTwoSum(p.hi, e);
    }

    /**
     * {@code dd_div}: {@code q1 = ah / bh}; {@code r = (((ah - p) - e) + al) - q1*bl} with
     * {@code (p, e) = two_prod(q1, bh)}; {@code q2 = r / bh}; {@code fast_two_sum(q1, q2)}.
     */
    DoubleDouble div(DoubleDouble b) {
        double q1 = hi / b.hi;
        return divRest(q1, twoProd(q1, b.hi), b);
    }

    /** {@link #div} for tame {@code hi / b.hi} and {@code b.hi}: two_prod by FMA. */
    DoubleDouble divFma(DoubleDouble b) {
        double q1 = hi / b.hi;
        return divRest(q1, twoProdFma(q1, b.hi), b);
    }

    /** dd_div from {@code q1 = hi / b.hi} and {@code p = two_prod(q1, b.hi)}. */
    private DoubleDouble divRest(double q1, DoubleDouble p, DoubleDouble b) {
        double r = (((hi - p.hi) - p.lo) + lo) - q1 * b.lo;
        double q2 = r / b.hi;
        return fastTwoSum(q1, q2);
    }
}

package rnnrosetta;

/**
 * The elementary functions of the exact kernel on {@link DoubleDouble}s, docs/exact-kernel.md
 * ("Elementary functions"), line by line: exp, expm1, tanh, sigmoid, relu, clip and a row's
 * softmax. Besides {@code + - * /} they use only {@link Math#rint}, {@link Math#floor} and
 * {@link Math#scalb} (all exact), never {@code Math.exp}/{@code tanh}/{@code expm1} or
 * {@code StrictMath}; {@code Math.fma} only for two_prod's error term, where the operands are
 * tame and the JVM runs it as an instruction ({@link DoubleDouble#FMA}): the same pair as
 * Dekker's formula. Arguments and results are normalized.
 *
 * <pre>
 *   exp(x)     = 2^n (1 + q),  n = rint(x / ln2),  r = x - n ln2 (ln2 in three parts),
 *                1 + q = (e^(r / 2^10))^(2^10): Taylor to degree 9 by Horner, then ten squarings
 *   expm1(x)   = q when n == 0, else 2^n (1 + q) - 1
 *   tanh(x)    = sign(x) m / (m + 2),  m = expm1(2|x|)   (1 for |x| &gt;= 40)
 *   sigmoid(x) = x &gt;= 0 ? 1 / (1 + e^-x) : e^x / (1 + e^x)
 * </pre>
 */
final class ExactMath {
    /** ln 2 in three parts (LN2_1 + LN2_2 + LN2_3 = ln 2 to about 2^-160) and 1 / ln 2. */
    private static final double LN2_1 = 0x1.62e42fefa39efp-1;
    private static final double LN2_2 = 0x1.abc9e3b39803fp-56;
    private static final double LN2_3 = 0x1.7b57a079a1934p-111;
    private static final double INV_LN2 = 0x1.71547652b82fep+0;

    /** {@code TAYLOR[k] = 1/k!} as a double-double, k = 2 .. 9 (0 and 1 unused). */
    private static final DoubleDouble[] TAYLOR = {
        null,
        null,
        new DoubleDouble(0x1.0000000000000p-1, 0x0.0p+0),
        new DoubleDouble(0x1.5555555555555p-3, 0x1.5555555555555p-57),
        new DoubleDouble(0x1.5555555555555p-5, 0x1.5555555555555p-59),
        new DoubleDouble(0x1.1111111111111p-7, 0x1.1111111111111p-63),
        new DoubleDouble(0x1.6c16c16c16c17p-10, -0x1.f49f49f49f49fp-65),
        new DoubleDouble(0x1.a01a01a01a01ap-13, 0x1.a01a01a01a01ap-73),
        new DoubleDouble(0x1.a01a01a01a01ap-16, 0x1.a01a01a01a01ap-76),
        new DoubleDouble(0x1.71de3a556c734p-19, -0x1.c154f8ddc6c00p-73),
    };

    /** The squarings that undo the scaling of r by 2^-10. */
    private static final int SQUARINGS = 10;

    private ExactMath() {
    }

    /** {@code e^x = 2^n (1 + q)}: what {@link #reduce} returns. */
    private record Reduced(double n, DoubleDouble q) {
    }

    /**
     * {@code x = n ln2 + r}, {@code |r| <= 0.3466}, then {@code q = e^r - 1} from
     * {@code s = r / 2^10}: {@code q_s = s (1 + s (C2 + s (C3 + ... + s C9)))}, and ten times
     * {@code q <- 2q + q^2} (that is {@code (1 + q)^2 - 1}). Requires {@code |x.hi| < 710}.
     */
    private static Reduced reduce(DoubleDouble x) {
        double n = Math.rint(x.hi() * INV_LN2);
        // the dd operations on (hi, lo) doubles, each result in d: no object per operation;
        // dd_sub(a, b) = dd_add(a, dd_neg(b))
        double[] d = new double[2];
        // r = x - two_prod(n, LN2_1) - two_prod(n, LN2_2) - dd(n * LN2_3); n is an integer,
        // |n| < 1100: two_prod(n, LN2_k) has tame operands (by FMA where the JVM has it)
        double p1 = n * LN2_1;
        add(d, x.hi(), x.lo(), -p1, -productError(n, LN2_1, p1, DoubleDouble.FMA));
        double p2 = n * LN2_2;
        add(d, d[0], d[1], -p2, -productError(n, LN2_2, p2, DoubleDouble.FMA));
        add(d, d[0], d[1], -(n * LN2_3), -0.0);
        double sh = d[0] * 0x1p-10;                                     // s = r / 2^10
        double sl = d[1] * 0x1p-10;
        // with s.hi 0 or |s.hi| >= 2^-470 every product below has tame operands (t in [C9, 1],
        // u near 1, |q| grows from about |s|): two_prod by FMA gives the same pairs
        boolean fma = DoubleDouble.FMA && DoubleDouble.notTiny(sh);
        double th = TAYLOR[9].hi();                                     // t = C9
        double tl = TAYLOR[9].lo();
        for (int k = 8; k >= 2; k--) {
            mul(d, sh, sl, th, tl, fma);                                // t = C[k] + s * t
            add(d, TAYLOR[k].hi(), TAYLOR[k].lo(), d[0], d[1]);
            th = d[0];
            tl = d[1];
        }
        mul(d, sh, sl, th, tl, fma);                                    // u = 1 + s * t
        add(d, 1.0, 0.0, d[0], d[1]);
        mul(d, sh, sl, d[0], d[1], fma);                                // q = s * u
        double qh = d[0];
        double ql = d[1];
        for (int i = 0; i < SQUARINGS; i++) {
            mul(d, qh, ql, qh, ql, fma);                                // q = 2q + q * q
            add(d, 2 * qh, 2 * ql, d[0], d[1]);
            qh = d[0];
            ql = d[1];
        }
        DoubleDouble q = new DoubleDouble(qh, ql);
        return new Reduced(n, q);
    }

    /**
     * {@code (d[0], d[1]) = dd_add((ah, al), (bh, bl))}, {@link DoubleDouble#add} on doubles:
     * {@code (s, e) = two_sum(ah, bh); (t, f) = two_sum(al, bl); e = e + t;
     * (s, e) = fast_two_sum(s, e); e = e + f; fast_two_sum(s, e)}.
     */
    private static void add(double[] d, double ah, double al, double bh, double bl) {
        double s = ah + bh;                                             // two_sum(ah, bh)
        double v = s - ah;
        double e = (ah - (s - v)) + (bh - v);
        double t = al + bl;                                             // two_sum(al, bl)
        double w = t - al;
        double f = (al - (t - w)) + (bl - w);
        e = e + t;
        double u = s + e;                                               // fast_two_sum(s, e)
        e = e - (u - s);
        e = e + f;
        d[0] = u + e;                                                   // fast_two_sum(u, e)
        d[1] = e - (d[0] - u);
    }

    /**
     * {@code (d[0], d[1]) = dd_mul((ah, al), (bh, bl))}, {@link DoubleDouble#mul} on doubles:
     * {@code (p, e) = two_prod(ah, bh)} (by FMA when {@code fma}: tame operands only);
     * {@code e = e + (ah*bl + al*bh)}; {@code fast_two_sum(p, e)}.
     */
    private static void mul(double[] d, double ah, double al, double bh, double bl, boolean fma) {
        double p = ah * bh;
        double e = productError(ah, bh, p, fma);
        e = e + (ah * bl + al * bh);
        d[0] = p + e;                                                   // fast_two_sum(p, e)
        d[1] = e - (d[0] - p);
    }

    /**
     * two_prod's error term for {@code p = a * b}: {@code Math.fma(a, b, -p)} when {@code fma}
     * (tame operands only), else Dekker's {@code (((ah*bh - p) + ah*bl) + al*bh) + al*bl}.
     */
    private static double productError(double a, double b, double p, boolean fma) {
        if (fma) {
            return Math.fma(a, b, -p);
        }
        double ah = DoubleDouble.splitHi(a);
        double al = a - ah;
        double bh = DoubleDouble.splitHi(b);
        double bl = b - bh;
        return (((ah * bh - p) + ah * bl) + al * bh) + al * bl;
    }

    /** {@code d * 2^n} for an integer n in [-1077, 1025], as two exact scalings by 2^n1 and 2^n2. */
    private static DoubleDouble scale(DoubleDouble d, double n) {
        double n1 = Math.floor(n * 0.5);
        double n2 = n - n1;
        double p1 = Math.scalb(1.0, (int) n1);
        double p2 = Math.scalb(1.0, (int) n2);
        return new DoubleDouble((d.hi() * p1) * p2, (d.lo() * p1) * p2);
    }

    /** e^x: NaN stays NaN, +inf from x &gt;= 710, 0 from x &lt;= -746. */
    static DoubleDouble exp(DoubleDouble x) {
        if (Double.isNaN(x.hi())) {
            return new DoubleDouble(x.hi(), x.hi());
        }
        if (x.hi() >= 710) {
            return new DoubleDouble(Double.POSITIVE_INFINITY, 0.0);
        }
        if (x.hi() <= -746) {
            return DoubleDouble.ZERO;
        }
        Reduced e = reduce(x);
        return scale(DoubleDouble.ONE.add(e.q()), e.n());
    }

    /** e^x - 1, for {@code |x.hi| < 80} (no cancellation when n == 0). */
    static DoubleDouble expm1(DoubleDouble x) {
        Reduced e = reduce(x);
        if (e.n() == 0) {
            return e.q();
        }
        return scale(DoubleDouble.ONE.add(e.q()), e.n()).sub(DoubleDouble.ONE);
    }

    /** tanh(x) = sign(x) (e^{2|x|} - 1) / (e^{2|x|} + 1); 0 and NaN are returned as they are. */
    static DoubleDouble tanh(DoubleDouble x) {
        if (Double.isNaN(x.hi()) || x.hi() == 0) {
            return x;
        }
        boolean negative = x.hi() < 0;
        DoubleDouble a = negative ? x.neg() : x;
        DoubleDouble t;
        if (a.hi() >= 40) {
            t = DoubleDouble.ONE; // 1 - tanh(40) < 2^-115
        } else {
            DoubleDouble m = expm1(new DoubleDouble(2 * a.hi(), 2 * a.lo())); // e^{2a} - 1
            // m in [0, e^80): m / (m + 2) divides tame operands when m is 0 or >= 2^-470
            DoubleDouble den = m.add(DoubleDouble.TWO);
            t = DoubleDouble.FMA && DoubleDouble.notTiny(m.hi()) ? m.divFma(den) : m.div(den);
        }
        return negative ? t.neg() : t;
    }

    /** sigmoid(x) = 1 / (1 + e^-x) for x &gt;= 0, e^x / (1 + e^x) below (no overflow); NaN stays NaN. */
    static DoubleDouble sigmoid(DoubleDouble x) {
        if (Double.isNaN(x.hi())) {
            return x;
        }
        if (x.hi() >= 0) {
            DoubleDouble e = exp(x.neg()); // 1 / (1 + e), e in [0, 1]: tame operands
            DoubleDouble den = DoubleDouble.ONE.add(e);
            return DoubleDouble.FMA ? DoubleDouble.ONE.divFma(den) : DoubleDouble.ONE.div(den);
        }
        DoubleDouble e = exp(x); // in [0, 1]: e / (1 + e) divides tame operands when e is 0 or >= 2^-470
        DoubleDouble den = DoubleDouble.ONE.add(e);
        return DoubleDouble.FMA && DoubleDouble.notTiny(e.hi()) ? e.divFma(den) : e.div(den);
    }

    /** {@code x.hi < 0 ? 0 : x}; NaN stays NaN. */
    static DoubleDouble relu(DoubleDouble x) {
        return x.hi() < 0 ? DoubleDouble.ZERO : x;
    }

    /** x clamped to [-bound, bound] by its hi part; a NaN bound (no clip) leaves x as it is. */
    static DoubleDouble clip(DoubleDouble x, double bound) {
        if (x.hi() > bound) {
            return DoubleDouble.of(bound);
        }
        return x.hi() < -bound ? DoubleDouble.of(-bound) : x;
    }

    /**
     * Softmax of a row {@code y[0 .. n)}, in place: {@code m} = the largest {@code hi} (by
     * {@code >} in index order), {@code e_i = exp(y_i - m)}, {@code s = e_0 + ... + e_{n-1}} (in
     * order), {@code y_i = e_i / s}.
     */
    static void softmax(DoubleDouble[] y, int n) {
        double m = y[0].hi();
        for (int i = 1; i < n; i++) {
            if (y[i].hi() > m) {
                m = y[i].hi();
            }
        }
        DoubleDouble max = DoubleDouble.of(m);
        DoubleDouble s = DoubleDouble.ZERO;
        for (int i = 0; i < n; i++) {
            y[i] = exp(y[i].sub(max));
            s = s.add(y[i]);
        }
        for (int i = 0; i < n; i++) {
            y[i] = y[i].div(s);
        }
    }
}

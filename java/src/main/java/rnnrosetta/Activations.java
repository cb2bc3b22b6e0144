package rnnrosetta;

/**
 * The scalar functions of the default kernels, written from arithmetic this class controls so
 * that they return the same bits in every JIT tier, on every call and in every thread: no
 * {@code Math.exp}/{@code Math.tanh} (their results may differ between the interpreter, C1, C2
 * and the intrinsics), only +, -, *, /, {@link Math#fma} and bit operations, each exactly
 * rounded by the JVM specification. The vector kernels ({@code Lanes64}, {@code Lanes32} in
 * java/src/vector) compute the same functions with the same operations in the same order, so a
 * unit computed in a vector lane and one computed here (a row's last units) agree to the bit.
 *
 * <p><b>exp(y), y &lt;= 0</b> (every exponential the kernels need: {@code exp(-|x|)},
 * {@code exp(-2|x|)}, {@code exp(v - max)}), as an unevaluated pair {@code eHi + eLo}:
 * <pre>
 *   y  = max(y, -746)                      (exp underflows to 0 below; keeps k in 11 bits)
 *   k  = rint(y / ln2)                     (y*log2(e) + 1.5*2^52: k sits in the low bits)
 *   rh = y - k*LN2_HI                      (exact: LN2_HI has 32 bits, |k| &lt; 2^11, Sterbenz)
 *   c  = k*LN2_LO,  r = rh - c             (|r| &lt;= ln2/2 + tiny; LN2_HI + LN2_LO = ln2 to 2^-86)
 *   e^r = 1 + rh - c + r^2/2 + r^3 q3(r),  q3(r) = sum_{n=3..14} r^(n-3)/n!   (Taylor, truncation &lt; 2^-61)
 *   r^2 = p + pe exactly (fma),  sHi + sLo = 1 + rh exactly (Fast2Sum),  e0 + e1 = sHi + p/2 exactly
 *   e1 += r^3 q3(r) + (sLo - c + pe/2)     (the only roundings: of terms below 2^-4.5 |e|)
 *   f0 + f1 = e0 + e1 (Fast2Sum: |f1| &lt;= ulp(f0)/2)
 *   e^y = 2^k (f0 + f1),  2^k = 2^(k>>1) * 2^(k - (k>>1))   (both factors normal; eHi, eLo)
 * </pre>
 * <b>Ratios</b> of two such pairs {@code N / D} with {@code D = 1 + e} (Fast2Sum, e &lt;= 1):
 * {@code q0 = nHi/dHi}, the remainder {@code nHi - q0*dHi} exactly by fma, then
 * {@code q = q0 + (rem + (nLo - q0*dLo)) / dHi}: the quotient of the pairs, rounded once more.
 * <pre>
 *   sigmoid(x) = x &gt;= 0 ? 1 / (1 + e) : e / (1 + e),   e = exp(-|x|)       (no overflow)
 *   tanh(x)    = sign(x) * (1 - e) / (1 + e),           e = exp(-2|x|)      (1 - e as a pair: no cancellation)
 *   exp(y)     = eHi + eLo                                                 (softmax)
 * </pre>
 * NaN gives NaN, tanh keeps the sign of -0.0. Measured against mpmath (tests/test_java_determinism.py):
 * float64 within 0.6 ulp (tanh 0.65).
 *
 * <p><b>float32</b> computes in float throughout. {@link #expNonPositive(float)} is the pair algorithm above
 * in float ({@code q3} to degree 8, y clamped at -104, k by 1.5*2^23; within 0.6 ulp). The float sigmoid
 * and tanh are C's float32 functions instead (c/src/avx512_math_impl.h: one expf by a degree-7 Taylor
 * polynomial, one division; Cephes' polynomial for tanh near 0), operation for operation, so a float32 gate
 * has the bits of C's AVX-512 and AVX2 kernels (tests/test_float32_functions.py): sigmoid within 2.4 ulp,
 * tanh 1.4 (every float input, against float64), in about half the dependent operations of the pair
 * algorithm (issue 14: the float32 step of a small layer is bound by these chains).
 */
final class Activations {
    // ---- float64 constants
    private static final double LOG2E = 0x1.71547652b82fep0;
    /** 1.5 * 2^52: adding it rounds to an integer held in the low mantissa bits. */
    private static final double SHIFT = 0x1.8p52;
    private static final long SHIFT_BITS = Double.doubleToRawLongBits(SHIFT);
    /** ln2 to 32 bits (k * LN2_HI is exact for |k| &lt; 2^11) and the rest. */
    private static final double LN2_HI = 0x1.62e42feep-1;
    private static final double LN2_LO = 0x1.a39ef35793c76p-33;
    private static final double EXP_MIN = -746.0;
    /** 1/n!, n = 3 .. 14. */
    private static final double C3 = 0x1.5555555555555p-3;
    private static final double C4 = 0x1.5555555555555p-5;
    private static final double C5 = 0x1.1111111111111p-7;
    private static final double C6 = 0x1.6c16c16c16c17p-10;
    private static final double C7 = 0x1.a01a01a01a01ap-13;
    private static final double C8 = 0x1.a01a01a01a01ap-16;
    private static final double C9 = 0x1.71de3a556c734p-19;
    private static final double C10 = 0x1.27e4fb7789f5cp-22;
    private static final double C11 = 0x1.ae64567f544e4p-26;
    private static final double C12 = 0x1.1eed8eff8d898p-29;
    private static final double C13 = 0x1.6124613a86d09p-33;
    private static final double C14 = 0x1.93974a8c07c9dp-37;

    // ---- float32 constants (the same roles)
    static final float LOG2E_F = 0x1.715476p0f;
    static final float SHIFT_F = 0x1.8p23f;
    static final int SHIFT_BITS_F = Float.floatToRawIntBits(SHIFT_F);
    /** ln2 to 12 bits (k * LN2_HI_F is exact for |k| &lt; 2^8) and the rest. */
    private static final float LN2_HI_F = 0x1.62ep-1f;
    private static final float LN2_LO_F = 0x1.0bfbe8p-15f;
    static final float EXP_MIN_F = -104.0f;
    private static final float F3 = 0x1.555556p-3f;
    private static final float F4 = 0x1.555556p-5f;
    private static final float F5 = 0x1.111112p-7f;
    private static final float F6 = 0x1.6c16c2p-10f;
    private static final float F7 = 0x1.a01a02p-13f;
    private static final float F8 = 0x1.a01a02p-16f;
    /** The float sigmoid's and tanh's constants: C's (c/src/avx512_math_impl.h), the same decimal literals (Lanes32 reads them here). */
    static final float EXPF_LN2_HI = 0.693359375f;
    static final float EXPF_LN2_LO = -2.12194440e-4f;
    /** 1/n!, n = 7 .. 2 (Taylor to r^7; the terms r and 1 have coefficient 1). */
    static final float T7 = 1.98412698e-4f;
    static final float T6 = 1.38888889e-3f;
    static final float T5 = 8.33333333e-3f;
    static final float T4 = 4.16666667e-2f;
    static final float T3 = 1.66666667e-1f;
    static final float T2 = 0.5f;
    /** Cephes' tanhf polynomial P(z), highest power first, and where tanh leaves it. */
    static final float P4 = -5.70498872745e-3f;
    static final float P3 = 2.06390887954e-2f;
    static final float P2 = -5.37397155531e-2f;
    static final float P1 = 1.33314422036e-1f;
    static final float P0 = -3.33332819422e-1f;
    static final float TANH_SMALL_F = 0.625f;
    /** tanh's a = min(44.5, |x|): 2a = 89 is the top of expf's range. */
    static final float TANH_MAX_F = 44.5f;

    /** What {@link #ratio} divides: its numerator over {@code 1 + e}, or e alone. */
    private static final int ONE = 0;       // 1 / (1 + e)
    private static final int E = 1;         // e / (1 + e)
    private static final int ONE_MINUS = 2; // (1 - e) / (1 + e)
    private static final int EXP = 3;       // e

    private Activations() {
    }

    /** Overflow-free logistic: {@code x >= 0 ? 1/(1+e) : e/(1+e)}, {@code e = exp(-|x|)}; NaN gives NaN. */
    static double sigmoid(double x) {
        return ratio(-Math.abs(x), x >= 0 ? ONE : E);
    }

    /** Hyperbolic tangent: {@code sign(x) (1 - e)/(1 + e)}, {@code e = exp(-2|x|)}. */
    static double tanh(double x) {
        double t = ratio(-2.0 * Math.abs(x), ONE_MINUS);
        return Double.longBitsToDouble(Double.doubleToRawLongBits(t)
                | (Double.doubleToRawLongBits(x) & Long.MIN_VALUE));
    }

    /** {@code exp(y)} for {@code y <= 0} (larger y are not supported); NaN gives NaN. */
    static double expNonPositive(double y) {
        return ratio(y, EXP);
    }

    /** exp(y) (y &lt;= 0) as a pair, then what {@code kind} asks of it; see the class comment. */
    private static double ratio(double y, int kind) {
        y = Math.max(y, EXP_MIN);
        double t = y * LOG2E + SHIFT;
        double kd = t - SHIFT;                                   // k = rint(y / ln2)
        long k = Double.doubleToRawLongBits(t) - SHIFT_BITS;
        double rh = Math.fma(-kd, LN2_HI, y);                    // y - k LN2_HI, exact
        double c = kd * LN2_LO;
        double r = rh - c;                                       // y - k ln2
        double p = r * r;                                        // r^2 = p + pe exactly
        double pe = Math.fma(r, r, -p);
        double q3 = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(
                C14, r, C13), r, C12), r, C11), r, C10), r, C9), r, C8), r, C7), r, C6), r, C5), r, C4), r, C3);
        double sHi = 1.0 + rh;                                   // sHi + sLo = 1 + rh exactly
        double sLo = (1.0 - sHi) + rh;
        double h = 0.5 * p;                                      // r^2 / 2, exact
        double e0 = sHi + h;                                     // e0 + e1 = sHi + h exactly
        double e1 = (sHi - e0) + h;
        e1 = e1 + Math.fma(p * r, q3, (sLo - c) + pe * 0.5);     // + the small terms: r^3 q3(r), sLo, -c, pe/2
        long k1 = k >> 1;
        double p1 = Double.longBitsToDouble((k1 + 1023) << 52);  // 2^k = p1 p2, each normal
        double p2 = Double.longBitsToDouble((k - k1 + 1023) << 52);
        double f0 = e0 + e1;                                     // normalised: f0 + f1 = e0 + e1
        double f1 = (e0 - f0) + e1;
        double eHi = f0 * p1 * p2;
        double eLo = f1 * p1 * p2;
        if (kind == EXP) {
            return eHi + eLo;
        }
        double dHi = 1.0 + eHi;                                  // D = 1 + e, dHi + dLo
        double dLo = ((1.0 - dHi) + eHi) + eLo;
        double nHi;
        double nLo;
        if (kind == ONE) {
            nHi = 1.0;
            nLo = 0.0;
        } else if (kind == E) {
            nHi = eHi;
            nLo = eLo;
        } else {
            nHi = 1.0 - eHi;                                     // N = 1 - e, nHi + nLo
            nLo = ((1.0 - nHi) - eHi) - eLo;
        }
        double q0 = nHi / dHi;
        double rem = Math.fma(-q0, dHi, nHi) + (nLo - q0 * dLo); // N - q0 D
        return q0 + rem / dHi;
    }

    /** {@code x < 0 ? 0 : x}; NaN propagates. */
    static double relu(double x) {
        return x < 0 ? 0.0 : x;
    }

    /**
     * Clamps {@code x} to {@code [-c, c]}. With {@code c} = NaN (no clip) both comparisons
     * are false and {@code x} comes back unchanged.
     */
    static double clamp(double x, double c) {
        return x < -c ? -c : (x > c ? c : x);
    }

    /**
     * In-place softmax of {@code v[off .. off+n)}: m = max in index order,
     * e_i = exp(v_i - m), s = sum of e_i in index order, y_i = e_i / s.
     */
    static void softmax(double[] v, int off, int n) {
        double m = v[off];
        for (int i = 1; i < n; i++) {
            if (v[off + i] > m) {
                m = v[off + i];
            }
        }
        double s = 0.0;
        for (int i = 0; i < n; i++) {
            v[off + i] = expNonPositive(v[off + i] - m);
            s += v[off + i];
        }
        for (int i = 0; i < n; i++) {
            v[off + i] = v[off + i] / s;
        }
    }

    /**
     * The float sigmoid: C's float32 function ({@code rr_v512_sigmoid_f32}, c/src/avx512_math_impl.h),
     * the same operations in the same order, so the same bits:
     * {@code e = expf(max(-104, -|x|))}, then {@code x >= 0 ? 1/(1+e) : e/(1+e)} ({@link #expF}).
     */
    static float sigmoid(float x) {
        float y = Math.max(EXP_MIN_F, -Math.abs(x));
        float e = expF(y, rintF(y * LOG2E_F));
        return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
    }

    /**
     * The float tanh: C's float32 function ({@code rr_v512_tanh_f32}), the same bits. For
     * {@code |x| < 0.625} Cephes' polynomial {@code |x| + |x| z P(z)}, {@code z = x^2}
     * ({@link #tanhSmallF}); else {@code 1 - 2 / (expf(2a) + 1)}, {@code a = min(44.5, |x|)}, with
     * {@code n = rint(a * 2/ln2)}; then the sign of x (tanh(-0) = -0).
     */
    static float tanh(float x) {
        float ax = Math.abs(x);
        float magnitude;
        if (ax < TANH_SMALL_F) {
            magnitude = tanhSmallF(x, ax);
        } else {
            float a = Math.min(TANH_MAX_F, ax);
            float e = expF(a + a, rintF(a * (2.0f * LOG2E_F)));
            magnitude = 1.0f - 2.0f / (e + 1.0f);
        }
        return Float.intBitsToFloat(Float.floatToRawIntBits(magnitude) | (Float.floatToRawIntBits(x) & Integer.MIN_VALUE));
    }

    /** {@code rint(v)} for {@code |v| < 2^22} (NaN stays NaN): adding 1.5*2^23 rounds v to an integer. */
    static float rintF(float v) {
        return (v + SHIFT_F) - SHIFT_F;
    }

    /**
     * {@code expf(y) = p(r) 2^n} for y in [-104, 89] and {@code n = rint(y / ln2)} (C's
     * {@code rr_v512_exp_reduced_f32}): {@code r = y - n ln2} in two fmas (ln2 = EXPF_LN2_HI +
     * EXPF_LN2_LO), p the Taylor series of e^r to r^7 by Horner (highest power first), then
     * {@code p 2^n1 2^n2} with {@code n1 = n >> 1, n2 = n - n1}: the first product is exact (|n1| &lt;= 75
     * keeps it normal), so the one rounding is that of {@code p 2^n} (C's vscalefps).
     */
    static float expF(float y, float n) {
        float r = Math.fma(-n, EXPF_LN2_HI, y);
        r = Math.fma(-n, EXPF_LN2_LO, r);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(
                T7, r, T6), r, T5), r, T4), r, T3), r, T2), r, 1.0f), r, 1.0f);
        int k = (int) n;
        int k1 = k >> 1;
        return p * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k - k1 + 127) << 23);
    }

    /** Cephes' tanhf polynomial for |x| &lt; 0.625: {@code |x| + |x| z P(z)}, {@code z = x^2}. */
    static float tanhSmallF(float x, float ax) {
        float z = x * x;
        float p = Math.fma(Math.fma(Math.fma(Math.fma(P4, z, P3), z, P2), z, P1), z, P0);
        return Math.fma(p * z, ax, ax);
    }

    /** {@link #expNonPositive(double)} in float: the pair algorithm of the class comment, in float. */
    static float expNonPositive(float y) {
        y = Math.max(y, EXP_MIN_F);
        float t = y * LOG2E_F + SHIFT_F;
        float kd = t - SHIFT_F;
        int k = Float.floatToRawIntBits(t) - SHIFT_BITS_F;
        float rh = Math.fma(-kd, LN2_HI_F, y);
        float c = kd * LN2_LO_F;
        float r = rh - c;
        float p = r * r;
        float pe = Math.fma(r, r, -p);
        float q3 = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(F8, r, F7), r, F6), r, F5), r, F4), r, F3);
        float sHi = 1.0f + rh;
        float sLo = (1.0f - sHi) + rh;
        float h = 0.5f * p;
        float e0 = sHi + h;
        float e1 = (sHi - e0) + h;
        e1 = e1 + Math.fma(p * r, q3, (sLo - c) + pe * 0.5f);
        int k1 = k >> 1;
        float p1 = Float.intBitsToFloat((k1 + 127) << 23);
        float p2 = Float.intBitsToFloat((k - k1 + 127) << 23);
        float f0 = e0 + e1;
        float f1 = (e0 - f0) + e1;
        return f0 * p1 * p2 + f1 * p1 * p2;
    }

    /** {@link #relu(double)} in float. */
    static float relu(float x) {
        return x < 0 ? 0.0f : x;
    }

    /** {@link #clamp(double, double)} in float; {@code c} = NaN is no clip. */
    static float clamp(float x, float c) {
        return x < -c ? -c : (x > c ? c : x);
    }

    /** {@link #softmax(double[], int, int)} in float. */
    static void softmax(float[] v, int off, int n) {
        float m = v[off];
        for (int i = 1; i < n; i++) {
            if (v[off + i] > m) {
                m = v[off + i];
            }
        }
        float s = 0.0f;
        for (int i = 0; i < n; i++) {
            v[off + i] = expNonPositive(v[off + i] - m);
            s += v[off + i];
        }
        for (int i = 0; i < n; i++) {
            v[off + i] = v[off + i] / s;
        }
    }
}

package rnnrosetta;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Activations}' float64 sigmoid and tanh over arrays, a vector of lanes at a time: the same algorithm
 * (see the class comment of {@link Activations}) written with the same operations in the same
 * order (lanewise add, sub, mul, div, fma, max, compare, blend and bit operations, each exactly
 * rounded), so every lane returns the bits the scalar function returns for it, in every JIT
 * tier. The Vector API's own EXP/TANH are not used: their results depend on the tier (the
 * interpreter and C2's intrinsics round differently). {@code Lanes32} is the float32 twin.
 *
 * <p>Why array passes and not a function of a vector: the algorithm is some 50 vector
 * operations, too large for C2 to inline into a gate loop beside four others; a vector that
 * crosses a call C2 did not inline is boxed (a heap allocation and a slow path). Each pass here
 * is a loop of its own that C2 compiles with every operation inlined, and the gate code
 * ({@code Vector64}) calls one pass per gate block, reading and writing arrays.
 */
final class Lanes64 {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    /** The lane numbers 0, 1, .. as values: {@link #gates} picks each lane's function by its unit. */
    private static final DoubleVector INDEX = DoubleVector.zero(S).addIndex(1);
    private static final double LOG2E = 0x1.71547652b82fep0;
    private static final double SHIFT = 0x1.8p52;
    private static final long SHIFT_BITS = Double.doubleToRawLongBits(SHIFT);
    private static final double LN2_HI = 0x1.62e42feep-1;
    private static final double LN2_LO = 0x1.a39ef35793c76p-33;
    private static final double EXP_MIN = -746.0;
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

    private Lanes64() {
    }

    /**
     * {@code dst[dstOff + j] = sigmoid(src[srcOff + j])} for j &lt; {@code n}: whole vectors, then the
     * last units (fewer than a vector) as one more vector whose other lanes are read and written
     * back unchanged (a blend) when both arrays hold a whole vector there, else with
     * {@link Activations#sigmoid(double)}: the same bits either way. src and dst may be the same array. With
     * {@code e = exp(-|x|)} as a pair eHi + eLo: {@code x >= 0 ? 1/(1+e) : e/(1+e)}, in {@link Activations}' order.
     */
    static void sigmoid(double[] src, int srcOff, double[] dst, int dstOff, int n) {
        int lanes = S.length();
        for (int j = 0; j < n; j += lanes) {
            boolean whole = j + lanes <= n;
            if (!whole && !roomForTail(src, srcOff + j, dst, dstOff + j)) {
                for (; j < n; j++) {
                    dst[dstOff + j] = Activations.sigmoid(src[srcOff + j]);
                }
                return;
            }
            DoubleVector x = DoubleVector.fromArray(S, src, srcOff + j);
            DoubleVector y = x.abs().neg();
            y = y.max(EXP_MIN);
            DoubleVector t = y.mul(LOG2E).add(SHIFT);
            DoubleVector kd = t.sub(SHIFT);                                   // k = rint(y / ln2)
            LongVector k = t.reinterpretAsLongs().sub(SHIFT_BITS);
            DoubleVector rh = kd.neg().fma(y.broadcast(LN2_HI), y);           // y - k LN2_HI, exact
            DoubleVector c = kd.mul(LN2_LO);
            DoubleVector r = rh.sub(c);                                       // y - k ln2
            DoubleVector p = r.mul(r);                                        // r^2 = p + pe exactly
            DoubleVector pe = r.fma(r, p.neg());
            DoubleVector q3 = horner(horner(horner(horner(horner(horner(horner(horner(horner(horner(
                    r.fma(C14, C13), r, C12), r, C11), r, C10), r, C9), r, C8), r, C7), r, C6), r, C5), r, C4), r, C3);
            DoubleVector sHi = rh.add(1.0);                                   // sHi + sLo = 1 + rh exactly
            DoubleVector sLo = sHi.neg().add(1.0).add(rh);
            DoubleVector h = p.mul(0.5);                                      // r^2 / 2, exact
            DoubleVector e0 = sHi.add(h);                                     // e0 + e1 = sHi + h exactly
            DoubleVector e1 = sHi.sub(e0).add(h);
            e1 = e1.add(p.mul(r).fma(q3, sLo.sub(c).add(pe.mul(0.5))));    // + r^3 q3(r) + (sLo - c + pe/2)
            DoubleVector f0 = e0.add(e1);                                     // normalised: f0 + f1 = e0 + e1
            DoubleVector f1 = e0.sub(f0).add(e1);
            LongVector k1 = k.lanewise(VectorOperators.ASHR, 1);
            DoubleVector p1 = k1.add(1023L).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
            DoubleVector p2 = k.sub(k1).add(1023L).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
            DoubleVector eHi = f0.mul(p1).mul(p2);                            // e = 2^k (f0 + f1)
            DoubleVector eLo = f1.mul(p1).mul(p2);
            DoubleVector dHi = eHi.add(1.0);                                  // D = 1 + e
            DoubleVector dLo = dHi.neg().add(1.0).add(eHi).add(eLo);
            VectorMask<Double> one = x.compare(VectorOperators.GE, 0.0);  // N = 1 (x >= 0) or e
            DoubleVector nHi = eHi.blend(1.0, one);
            DoubleVector nLo = eLo.blend(0.0, one);
            DoubleVector q0 = nHi.div(dHi);
            DoubleVector rem = q0.neg().fma(dHi, nHi).add(nLo.sub(q0.mul(dLo))); // N - q0 D
            DoubleVector v = q0.add(rem.div(dHi));
            if (whole) {
                v.intoArray(dst, dstOff + j);
            } else {
                // the tail: lanes j .. n-1 of v, the rest of dst as it was
                DoubleVector old = DoubleVector.fromArray(S, dst, dstOff + j);
                old.blend(v, S.indexInRange(0, n - j)).intoArray(dst, dstOff + j);
            }
        }
    }

    /**
     * {@link #sigmoid} for tanh: with {@code e = exp(-2|x|)} as a pair, {@code (1-e)/(1+e)} and the
     * sign of x. (Two loops, not one with a branch on the function: C2 would duplicate the body
     * per branch, and these bodies are large.)
     */
    static void tanh(double[] src, int srcOff, double[] dst, int dstOff, int n) {
        int lanes = S.length();
        for (int j = 0; j < n; j += lanes) {
            boolean whole = j + lanes <= n;
            if (!whole && !roomForTail(src, srcOff + j, dst, dstOff + j)) {
                for (; j < n; j++) {
                    dst[dstOff + j] = Activations.tanh(src[srcOff + j]);
                }
                return;
            }
            DoubleVector x = DoubleVector.fromArray(S, src, srcOff + j);
            DoubleVector y = x.abs().mul(-2.0);
            y = y.max(EXP_MIN);
            DoubleVector t = y.mul(LOG2E).add(SHIFT);
            DoubleVector kd = t.sub(SHIFT);                                   // k = rint(y / ln2)
            LongVector k = t.reinterpretAsLongs().sub(SHIFT_BITS);
            DoubleVector rh = kd.neg().fma(y.broadcast(LN2_HI), y);           // y - k LN2_HI, exact
            DoubleVector c = kd.mul(LN2_LO);
            DoubleVector r = rh.sub(c);                                       // y - k ln2
            DoubleVector p = r.mul(r);                                        // r^2 = p + pe exactly
            DoubleVector pe = r.fma(r, p.neg());
            DoubleVector q3 = horner(horner(horner(horner(horner(horner(horner(horner(horner(horner(
                    r.fma(C14, C13), r, C12), r, C11), r, C10), r, C9), r, C8), r, C7), r, C6), r, C5), r, C4), r, C3);
            DoubleVector sHi = rh.add(1.0);                                   // sHi + sLo = 1 + rh exactly
            DoubleVector sLo = sHi.neg().add(1.0).add(rh);
            DoubleVector h = p.mul(0.5);                                      // r^2 / 2, exact
            DoubleVector e0 = sHi.add(h);                                     // e0 + e1 = sHi + h exactly
            DoubleVector e1 = sHi.sub(e0).add(h);
            e1 = e1.add(p.mul(r).fma(q3, sLo.sub(c).add(pe.mul(0.5))));    // + r^3 q3(r) + (sLo - c + pe/2)
            DoubleVector f0 = e0.add(e1);                                     // normalised: f0 + f1 = e0 + e1
            DoubleVector f1 = e0.sub(f0).add(e1);
            LongVector k1 = k.lanewise(VectorOperators.ASHR, 1);
            DoubleVector p1 = k1.add(1023L).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
            DoubleVector p2 = k.sub(k1).add(1023L).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
            DoubleVector eHi = f0.mul(p1).mul(p2);                            // e = 2^k (f0 + f1)
            DoubleVector eLo = f1.mul(p1).mul(p2);
            DoubleVector dHi = eHi.add(1.0);                                  // D = 1 + e
            DoubleVector dLo = dHi.neg().add(1.0).add(eHi).add(eLo);
            DoubleVector nHi = eHi.neg().add(1.0);                            // N = 1 - e
            DoubleVector nLo = nHi.neg().add(1.0).sub(eHi).sub(eLo);
            DoubleVector q0 = nHi.div(dHi);
            DoubleVector rem = q0.neg().fma(dHi, nHi).add(nLo.sub(q0.mul(dLo))); // N - q0 D
            DoubleVector v = q0.add(rem.div(dHi));
            v = v.reinterpretAsLongs().or(x.reinterpretAsLongs().and(Long.MIN_VALUE)).reinterpretAsDoubles();
            if (whole) {
                v.intoArray(dst, dstOff + j);
            } else {
                // the tail: lanes j .. n-1 of v, the rest of dst as it was
                DoubleVector old = DoubleVector.fromArray(S, dst, dstOff + j);
                old.blend(v, S.indexInRange(0, n - j)).intoArray(dst, dstOff + j);
            }
        }
    }

    /**
     * In place over {@code a[off + j]}, j &lt; {@code n}: tanh for {@code tanhFrom <= j < tanhTo}, sigmoid
     * for the other j. {@link #sigmoid} and {@link #tanh} in one pass, so that neighbouring gate blocks of
     * a small layer (an LSTM's i, f | g | o; o | tanh(c_t)) share vectors and one tail, and fewer
     * dependency chains run one after the other. Each lane runs its own function's operations in that
     * function's order: the steps the two share once, y, N and the sign picked per lane by a blend on
     * the lane's unit, so every value gets the bits of {@link #sigmoid} / {@link #tanh} and of
     * {@link Activations}. The tail as in {@link #sigmoid} (a is src and dst).
     * The exp pipeline is written out again here rather than shared with {@link #sigmoid}: a helper would
     * have to return two vectors (eHi, eLo), and C2 boxes vectors that cross a call it declines to
     * inline, which made the step allocate (measured).
     */
    static void gates(double[] a, int off, int tanhFrom, int tanhTo, int n) {
        int lanes = S.length();
        for (int j = 0; j < n; j += lanes) {
            boolean whole = j + lanes <= n;
            if (!whole && !roomForTail(a, off + j, a, off + j)) {
                for (; j < n; j++) {
                    double x = a[off + j];
                    a[off + j] = j >= tanhFrom && j < tanhTo ? Activations.tanh(x) : Activations.sigmoid(x);
                }
                return;
            }
            DoubleVector x = DoubleVector.fromArray(S, a, off + j);
            DoubleVector unit = INDEX.add(j);                                        // j + lane, exact
            VectorMask<Double> tanh = unit.compare(VectorOperators.GE, (double) tanhFrom).and(unit.lt((double) tanhTo));
            DoubleVector ax = x.abs();
            DoubleVector y = ax.neg().blend(ax.mul(-2.0), tanh);                  // sigmoid: -|x|; tanh: -2|x|
            y = y.max(EXP_MIN);
            DoubleVector t = y.mul(LOG2E).add(SHIFT);
            DoubleVector kd = t.sub(SHIFT);                                   // k = rint(y / ln2)
            LongVector k = t.reinterpretAsLongs().sub(SHIFT_BITS);
            DoubleVector rh = kd.neg().fma(y.broadcast(LN2_HI), y);           // y - k LN2_HI, exact
            DoubleVector c = kd.mul(LN2_LO);
            DoubleVector r = rh.sub(c);                                       // y - k ln2
            DoubleVector p = r.mul(r);                                        // r^2 = p + pe exactly
            DoubleVector pe = r.fma(r, p.neg());
            DoubleVector q3 = horner(horner(horner(horner(horner(horner(horner(horner(horner(horner(
                    r.fma(C14, C13), r, C12), r, C11), r, C10), r, C9), r, C8), r, C7), r, C6), r, C5), r, C4), r, C3);
            DoubleVector sHi = rh.add(1.0);                                   // sHi + sLo = 1 + rh exactly
            DoubleVector sLo = sHi.neg().add(1.0).add(rh);
            DoubleVector h = p.mul(0.5);                                      // r^2 / 2, exact
            DoubleVector e0 = sHi.add(h);                                     // e0 + e1 = sHi + h exactly
            DoubleVector e1 = sHi.sub(e0).add(h);
            e1 = e1.add(p.mul(r).fma(q3, sLo.sub(c).add(pe.mul(0.5))));    // + r^3 q3(r) + (sLo - c + pe/2)
            DoubleVector f0 = e0.add(e1);                                     // normalised: f0 + f1 = e0 + e1
            DoubleVector f1 = e0.sub(f0).add(e1);
            LongVector k1 = k.lanewise(VectorOperators.ASHR, 1);
            DoubleVector p1 = k1.add(1023L).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
            DoubleVector p2 = k.sub(k1).add(1023L).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
            DoubleVector eHi = f0.mul(p1).mul(p2);                            // e = 2^k (f0 + f1)
            DoubleVector eLo = f1.mul(p1).mul(p2);
            DoubleVector dHi = eHi.add(1.0);                                  // D = 1 + e
            DoubleVector dLo = dHi.neg().add(1.0).add(eHi).add(eLo);
            // N: sigmoid 1 (x >= 0) or e; tanh 1 - e
            VectorMask<Double> one = x.compare(VectorOperators.GE, 0.0);
            DoubleVector tHi = eHi.neg().add(1.0);
            DoubleVector nHi = eHi.blend(1.0, one).blend(tHi, tanh);
            DoubleVector nLo = eLo.blend(0.0, one).blend(tHi.neg().add(1.0).sub(eHi).sub(eLo), tanh);
            DoubleVector q0 = nHi.div(dHi);
            DoubleVector rem = q0.neg().fma(dHi, nHi).add(nLo.sub(q0.mul(dLo))); // N - q0 D
            DoubleVector v = q0.add(rem.div(dHi));
            DoubleVector signed = v.reinterpretAsLongs().or(x.reinterpretAsLongs().and(Long.MIN_VALUE))
                    .reinterpretAsDoubles();
            v = v.blend(signed, tanh);                                        // tanh: the sign of x
            if (whole) {
                v.intoArray(a, off + j);
            } else {
                // the tail: lanes j .. n-1 of v, the rest of a as it was
                DoubleVector old = DoubleVector.fromArray(S, a, off + j);
                old.blend(v, S.indexInRange(0, n - j)).intoArray(a, off + j);
            }
        }
    }

    /**
     * Whether a whole vector fits at {@code srcOff} in src and at {@code dstOff} in dst, for the tail
     * vector (its lanes past n compute on whatever is there and are written back unchanged).
     */
    private static boolean roomForTail(double[] src, int srcOff, double[] dst, int dstOff) {
        return srcOff + S.length() <= src.length && dstOff + S.length() <= dst.length;
    }

    /** One Horner step: {@code acc * r + c} in one fma. */
    private static DoubleVector horner(DoubleVector acc, DoubleVector r, double c) {
        return acc.fma(r, r.broadcast(c));
    }
}

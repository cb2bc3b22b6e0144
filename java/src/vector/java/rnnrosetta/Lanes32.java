package rnnrosetta;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Lanes64} in float32: {@link Activations}' float sigmoid and tanh over arrays, the same
 * operations in the same order as the scalar float functions (y clamped at -104, k by 1.5*2^23
 * in the low bits of an int, ln2 split at 12 bits, the Taylor polynomial to degree 8).
 */
final class Lanes32 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** The lane numbers 0, 1, .. as values: {@link #gates} picks each lane's function by its unit. */
    private static final FloatVector INDEX = FloatVector.zero(S).addIndex(1);
    private static final float LOG2E = 0x1.715476p0f;
    private static final float SHIFT = 0x1.8p23f;
    private static final int SHIFT_BITS = Float.floatToRawIntBits(SHIFT);
    private static final float LN2_HI = 0x1.62ep-1f;
    private static final float LN2_LO = 0x1.0bfbe8p-15f;
    private static final float EXP_MIN = -104.0f;
    private static final float C3 = 0x1.555556p-3f;
    private static final float C4 = 0x1.555556p-5f;
    private static final float C5 = 0x1.111112p-7f;
    private static final float C6 = 0x1.6c16c2p-10f;
    private static final float C7 = 0x1.a01a02p-13f;
    private static final float C8 = 0x1.a01a02p-16f;

    private Lanes32() {
    }

    /**
     * {@code dst[dstOff + j] = sigmoid(src[srcOff + j])} for j &lt; {@code n}: whole vectors, then the
     * last units (fewer than a vector) as one more vector whose other lanes are read and written
     * back unchanged (a blend) when both arrays hold a whole vector there, else with
     * {@link Activations#sigmoid(float)}: the same bits either way. src and dst may be the same array. With
     * {@code e = exp(-|x|)} as a pair eHi + eLo: {@code x >= 0 ? 1/(1+e) : e/(1+e)}, in {@link Activations}' order.
     */
    static void sigmoid(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        int lanes = S.length();
        for (int j = 0; j < n; j += lanes) {
            boolean whole = j + lanes <= n;
            if (!whole && !roomForTail(src, srcOff + j, dst, dstOff + j)) {
                for (; j < n; j++) {
                    dst[dstOff + j] = Activations.sigmoid(src[srcOff + j]);
                }
                return;
            }
            FloatVector x = FloatVector.fromArray(S, src, srcOff + j);
            FloatVector y = x.abs().neg();
            y = y.max(EXP_MIN);
            FloatVector t = y.mul(LOG2E).add(SHIFT);
            FloatVector kd = t.sub(SHIFT);                                   // k = rint(y / ln2)
            IntVector k = t.reinterpretAsInts().sub(SHIFT_BITS);
            FloatVector rh = kd.neg().fma(y.broadcast(LN2_HI), y);           // y - k LN2_HI, exact
            FloatVector c = kd.mul(LN2_LO);
            FloatVector r = rh.sub(c);                                       // y - k ln2
            FloatVector p = r.mul(r);                                        // r^2 = p + pe exactly
            FloatVector pe = r.fma(r, p.neg());
            FloatVector q3 = horner(horner(horner(horner(r.fma(C8, C7), r, C6), r, C5), r, C4), r, C3);
            FloatVector sHi = rh.add(1.0f);                                   // sHi + sLo = 1 + rh exactly
            FloatVector sLo = sHi.neg().add(1.0f).add(rh);
            FloatVector h = p.mul(0.5f);                                      // r^2 / 2, exact
            FloatVector e0 = sHi.add(h);                                     // e0 + e1 = sHi + h exactly
            FloatVector e1 = sHi.sub(e0).add(h);
            e1 = e1.add(p.mul(r).fma(q3, sLo.sub(c).add(pe.mul(0.5f))));    // + r^3 q3(r) + (sLo - c + pe/2)
            FloatVector f0 = e0.add(e1);                                     // normalised: f0 + f1 = e0 + e1
            FloatVector f1 = e0.sub(f0).add(e1);
            IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
            FloatVector p1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector p2 = k.sub(k1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector eHi = f0.mul(p1).mul(p2);                            // e = 2^k (f0 + f1)
            FloatVector eLo = f1.mul(p1).mul(p2);
            FloatVector dHi = eHi.add(1.0f);                                  // D = 1 + e
            FloatVector dLo = dHi.neg().add(1.0f).add(eHi).add(eLo);
            VectorMask<Float> one = x.compare(VectorOperators.GE, 0.0f);  // N = 1 (x >= 0) or e
            FloatVector nHi = eHi.blend(1.0f, one);
            FloatVector nLo = eLo.blend(0.0f, one);
            FloatVector q0 = nHi.div(dHi);
            FloatVector rem = q0.neg().fma(dHi, nHi).add(nLo.sub(q0.mul(dLo))); // N - q0 D
            FloatVector v = q0.add(rem.div(dHi));
            if (whole) {
                v.intoArray(dst, dstOff + j);
            } else {
                // the tail: lanes j .. n-1 of v, the rest of dst as it was
                FloatVector old = FloatVector.fromArray(S, dst, dstOff + j);
                old.blend(v, S.indexInRange(0, n - j)).intoArray(dst, dstOff + j);
            }
        }
    }

    /**
     * {@link #sigmoid} for tanh: with {@code e = exp(-2|x|)} as a pair, {@code (1-e)/(1+e)} and the
     * sign of x. (Two loops, not one with a branch on the function: C2 would duplicate the body
     * per branch, and these bodies are large.)
     */
    static void tanh(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        int lanes = S.length();
        for (int j = 0; j < n; j += lanes) {
            boolean whole = j + lanes <= n;
            if (!whole && !roomForTail(src, srcOff + j, dst, dstOff + j)) {
                for (; j < n; j++) {
                    dst[dstOff + j] = Activations.tanh(src[srcOff + j]);
                }
                return;
            }
            FloatVector x = FloatVector.fromArray(S, src, srcOff + j);
            FloatVector y = x.abs().mul(-2.0f);
            y = y.max(EXP_MIN);
            FloatVector t = y.mul(LOG2E).add(SHIFT);
            FloatVector kd = t.sub(SHIFT);                                   // k = rint(y / ln2)
            IntVector k = t.reinterpretAsInts().sub(SHIFT_BITS);
            FloatVector rh = kd.neg().fma(y.broadcast(LN2_HI), y);           // y - k LN2_HI, exact
            FloatVector c = kd.mul(LN2_LO);
            FloatVector r = rh.sub(c);                                       // y - k ln2
            FloatVector p = r.mul(r);                                        // r^2 = p + pe exactly
            FloatVector pe = r.fma(r, p.neg());
            FloatVector q3 = horner(horner(horner(horner(r.fma(C8, C7), r, C6), r, C5), r, C4), r, C3);
            FloatVector sHi = rh.add(1.0f);                                   // sHi + sLo = 1 + rh exactly
            FloatVector sLo = sHi.neg().add(1.0f).add(rh);
            FloatVector h = p.mul(0.5f);                                      // r^2 / 2, exact
            FloatVector e0 = sHi.add(h);                                     // e0 + e1 = sHi + h exactly
            FloatVector e1 = sHi.sub(e0).add(h);
            e1 = e1.add(p.mul(r).fma(q3, sLo.sub(c).add(pe.mul(0.5f))));    // + r^3 q3(r) + (sLo - c + pe/2)
            FloatVector f0 = e0.add(e1);                                     // normalised: f0 + f1 = e0 + e1
            FloatVector f1 = e0.sub(f0).add(e1);
            IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
            FloatVector p1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector p2 = k.sub(k1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector eHi = f0.mul(p1).mul(p2);                            // e = 2^k (f0 + f1)
            FloatVector eLo = f1.mul(p1).mul(p2);
            FloatVector dHi = eHi.add(1.0f);                                  // D = 1 + e
            FloatVector dLo = dHi.neg().add(1.0f).add(eHi).add(eLo);
            FloatVector nHi = eHi.neg().add(1.0f);                            // N = 1 - e
            FloatVector nLo = nHi.neg().add(1.0f).sub(eHi).sub(eLo);
            FloatVector q0 = nHi.div(dHi);
            FloatVector rem = q0.neg().fma(dHi, nHi).add(nLo.sub(q0.mul(dLo))); // N - q0 D
            FloatVector v = q0.add(rem.div(dHi));
            v = v.reinterpretAsInts().or(x.reinterpretAsInts().and(Integer.MIN_VALUE)).reinterpretAsFloats();
            if (whole) {
                v.intoArray(dst, dstOff + j);
            } else {
                // the tail: lanes j .. n-1 of v, the rest of dst as it was
                FloatVector old = FloatVector.fromArray(S, dst, dstOff + j);
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
    static void gates(float[] a, int off, int tanhFrom, int tanhTo, int n) {
        int lanes = S.length();
        for (int j = 0; j < n; j += lanes) {
            boolean whole = j + lanes <= n;
            if (!whole && !roomForTail(a, off + j, a, off + j)) {
                for (; j < n; j++) {
                    float x = a[off + j];
                    a[off + j] = j >= tanhFrom && j < tanhTo ? Activations.tanh(x) : Activations.sigmoid(x);
                }
                return;
            }
            FloatVector x = FloatVector.fromArray(S, a, off + j);
            FloatVector unit = INDEX.add(j);                                        // j + lane, exact
            VectorMask<Float> tanh = unit.compare(VectorOperators.GE, (float) tanhFrom).and(unit.lt((float) tanhTo));
            FloatVector ax = x.abs();
            FloatVector y = ax.neg().blend(ax.mul(-2.0f), tanh);                  // sigmoid: -|x|; tanh: -2|x|
            y = y.max(EXP_MIN);
            FloatVector t = y.mul(LOG2E).add(SHIFT);
            FloatVector kd = t.sub(SHIFT);                                   // k = rint(y / ln2)
            IntVector k = t.reinterpretAsInts().sub(SHIFT_BITS);
            FloatVector rh = kd.neg().fma(y.broadcast(LN2_HI), y);           // y - k LN2_HI, exact
            FloatVector c = kd.mul(LN2_LO);
            FloatVector r = rh.sub(c);                                       // y - k ln2
            FloatVector p = r.mul(r);                                        // r^2 = p + pe exactly
            FloatVector pe = r.fma(r, p.neg());
            FloatVector q3 = horner(horner(horner(horner(r.fma(C8, C7), r, C6), r, C5), r, C4), r, C3);
            FloatVector sHi = rh.add(1.0f);                                   // sHi + sLo = 1 + rh exactly
            FloatVector sLo = sHi.neg().add(1.0f).add(rh);
            FloatVector h = p.mul(0.5f);                                      // r^2 / 2, exact
            FloatVector e0 = sHi.add(h);                                     // e0 + e1 = sHi + h exactly
            FloatVector e1 = sHi.sub(e0).add(h);
            e1 = e1.add(p.mul(r).fma(q3, sLo.sub(c).add(pe.mul(0.5f))));    // + r^3 q3(r) + (sLo - c + pe/2)
            FloatVector f0 = e0.add(e1);                                     // normalised: f0 + f1 = e0 + e1
            FloatVector f1 = e0.sub(f0).add(e1);
            IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
            FloatVector p1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector p2 = k.sub(k1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector eHi = f0.mul(p1).mul(p2);                            // e = 2^k (f0 + f1)
            FloatVector eLo = f1.mul(p1).mul(p2);
            FloatVector dHi = eHi.add(1.0f);                                  // D = 1 + e
            FloatVector dLo = dHi.neg().add(1.0f).add(eHi).add(eLo);
            // N: sigmoid 1 (x >= 0) or e; tanh 1 - e
            VectorMask<Float> one = x.compare(VectorOperators.GE, 0.0f);
            FloatVector tHi = eHi.neg().add(1.0f);
            FloatVector nHi = eHi.blend(1.0f, one).blend(tHi, tanh);
            FloatVector nLo = eLo.blend(0.0f, one).blend(tHi.neg().add(1.0f).sub(eHi).sub(eLo), tanh);
            FloatVector q0 = nHi.div(dHi);
            FloatVector rem = q0.neg().fma(dHi, nHi).add(nLo.sub(q0.mul(dLo))); // N - q0 D
            FloatVector v = q0.add(rem.div(dHi));
            FloatVector signed = v.reinterpretAsInts().or(x.reinterpretAsInts().and(Integer.MIN_VALUE))
                    .reinterpretAsFloats();
            v = v.blend(signed, tanh);                                        // tanh: the sign of x
            if (whole) {
                v.intoArray(a, off + j);
            } else {
                // the tail: lanes j .. n-1 of v, the rest of a as it was
                FloatVector old = FloatVector.fromArray(S, a, off + j);
                old.blend(v, S.indexInRange(0, n - j)).intoArray(a, off + j);
            }
        }
    }

    /**
     * Whether a whole vector fits at {@code srcOff} in src and at {@code dstOff} in dst, for the tail
     * vector (its lanes past n compute on whatever is there and are written back unchanged).
     */
    private static boolean roomForTail(float[] src, int srcOff, float[] dst, int dstOff) {
        return srcOff + S.length() <= src.length && dstOff + S.length() <= dst.length;
    }

    /** One Horner step: {@code acc * r + c} in one fma. */
    private static FloatVector horner(FloatVector acc, FloatVector r, float c) {
        return acc.fma(r, r.broadcast(c));
    }
}

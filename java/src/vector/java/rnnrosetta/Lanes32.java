package rnnrosetta;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Activations}' float sigmoid and tanh over arrays: C's float32 functions
 * (c/src/avx512_math_impl.h), the same operations in the same order as the scalar float functions
 * ({@link Activations#sigmoid(float)}, {@link Activations#tanh(float)}, {@link Activations#expF}), so a
 * lane and the scalar code agree to the bit. Where a branch of the scalar code is not taken a lane still
 * computes it, and a blend keeps the branch taken.
 */
final class Lanes32 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** The lane numbers 0, 1, .. as values: {@link #gates} picks each lane's function by its unit. */
    private static final FloatVector INDEX = FloatVector.zero(S).addIndex(1);
    // the constants of Activations' float sigmoid and tanh (C's), under short names
    private static final float LOG2E = Activations.LOG2E_F;
    private static final float SHIFT = Activations.SHIFT_F;
    private static final int SHIFT_BITS = Activations.SHIFT_BITS_F;
    private static final float EXP_MIN = Activations.EXP_MIN_F;
    private static final float LN2_HI = Activations.EXPF_LN2_HI;
    private static final float LN2_LO = Activations.EXPF_LN2_LO;
    private static final float T7 = Activations.T7;
    private static final float T6 = Activations.T6;
    private static final float T5 = Activations.T5;
    private static final float T4 = Activations.T4;
    private static final float T3 = Activations.T3;
    private static final float T2 = Activations.T2;
    private static final float P4 = Activations.P4;
    private static final float P3 = Activations.P3;
    private static final float P2 = Activations.P2;
    private static final float P1 = Activations.P1;
    private static final float P0 = Activations.P0;
    private static final float TANH_SMALL = Activations.TANH_SMALL_F;
    private static final float TANH_MAX = Activations.TANH_MAX_F;

    private Lanes32() {
    }

    /**
     * {@code dst[dstOff + j] = sigmoid(src[srcOff + j])} for j &lt; {@code n}: whole vectors, then the
     * last units (fewer than a vector) as one more vector whose other lanes are read and written
     * back unchanged (a blend) when both arrays hold a whole vector there, else with
     * {@link Activations#sigmoid(float)}: the same bits either way. src and dst may be the same array.
     * Per lane: {@code e = expf(max(-104, -|x|))}, {@code (x >= 0 ? 1 : e) / (1 + e)}.
     *
     * <p>The three loops write out expf's pipeline each: helpers returning vectors are not inlined once
     * the caller (a step, inlining these) reaches C2's node budget, and C2 then boxes the vectors, which
     * made the step allocate (measured). Only the one-fma {@link #horner} is a call.
     */
    static void sigmoid(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        int lanes = S.length();
        for (int j = 0; j < n; j += lanes) {
            if (j + lanes > n && !roomForTail(src, srcOff + j, dst, dstOff + j)) {
                for (; j < n; j++) {
                    dst[dstOff + j] = Activations.sigmoid(src[srcOff + j]);
                }
                return;
            }
            FloatVector x = FloatVector.fromArray(S, src, srcOff + j);
            FloatVector arg = x.abs().neg().max(EXP_MIN);
            FloatVector t = arg.mul(LOG2E).add(SHIFT);
            FloatVector kd = t.sub(SHIFT);                                     // expf(arg): kd = rint(arg / ln2)
            FloatVector r = kd.neg().fma(x.broadcast(LN2_HI), arg);            // r = arg - kd ln2, two fmas
            r = kd.neg().fma(x.broadcast(LN2_LO), r);
            FloatVector p = horner(horner(horner(horner(horner(horner(r.fma(T7, T6), r, T5), r, T4), r, T3), r, T2),
                    r, 1.0f), r, 1.0f);                                        // Taylor to r^7
            IntVector k = t.reinterpretAsInts().sub(SHIFT_BITS);
            IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
            FloatVector e = p.mul(k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(k.sub(k1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()); // p 2^n1 2^n2
            FloatVector v = e.blend(1.0f, x.compare(VectorOperators.GE, 0.0f)).div(e.add(1.0f));
            if (j + lanes <= n) {
                v.intoArray(dst, dstOff + j);
            } else {                                                            // lanes j .. n-1 of v, the rest as it was
                FloatVector old = FloatVector.fromArray(S, dst, dstOff + j);
                old.blend(v, S.indexInRange(0, n - j)).intoArray(dst, dstOff + j);
            }
        }
    }

    /**
     * {@link #sigmoid(float[], int, float[], int, int)} for tanh: per lane both branches of
     * {@link Activations#tanh(float)}, the one taken kept by a blend, then the sign of x.
     */
    static void tanh(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        int lanes = S.length();
        for (int j = 0; j < n; j += lanes) {
            if (j + lanes > n && !roomForTail(src, srcOff + j, dst, dstOff + j)) {
                for (; j < n; j++) {
                    dst[dstOff + j] = Activations.tanh(src[srcOff + j]);
                }
                return;
            }
            FloatVector x = FloatVector.fromArray(S, src, srcOff + j);
            FloatVector ax = x.abs();
            FloatVector z = x.mul(x);                                          // |x| < 0.625: |x| + |x| z P(z)
            FloatVector small = horner(horner(horner(z.fma(P4, P3), z, P2), z, P1), z, P0).mul(z).fma(ax, ax);
            FloatVector a = ax.min(TANH_MAX);                                  // else 1 - 2 / (expf(2a) + 1)
            FloatVector arg = a.add(a);
            FloatVector t = a.mul(2.0f * LOG2E).add(SHIFT);
            FloatVector kd = t.sub(SHIFT);                                     // expf(arg): kd = rint(arg / ln2)
            FloatVector r = kd.neg().fma(x.broadcast(LN2_HI), arg);            // r = arg - kd ln2, two fmas
            r = kd.neg().fma(x.broadcast(LN2_LO), r);
            FloatVector p = horner(horner(horner(horner(horner(horner(r.fma(T7, T6), r, T5), r, T4), r, T3), r, T2),
                    r, 1.0f), r, 1.0f);                                        // Taylor to r^7
            IntVector k = t.reinterpretAsInts().sub(SHIFT_BITS);
            IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
            FloatVector e = p.mul(k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(k.sub(k1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()); // p 2^n1 2^n2
            FloatVector magnitude = x.broadcast(1.0f).sub(x.broadcast(2.0f).div(e.add(1.0f)))
                    .blend(small, ax.compare(VectorOperators.LT, TANH_SMALL));
            FloatVector v = magnitude.reinterpretAsInts().or(x.reinterpretAsInts().and(Integer.MIN_VALUE))
                    .reinterpretAsFloats();                                     // the sign of x
            if (j + lanes <= n) {
                v.intoArray(dst, dstOff + j);
            } else {                                                            // lanes j .. n-1 of v, the rest as it was
                FloatVector old = FloatVector.fromArray(S, dst, dstOff + j);
                old.blend(v, S.indexInRange(0, n - j)).intoArray(dst, dstOff + j);
            }
        }
    }

    /**
     * In place over {@code a[off + j]}, j &lt; {@code n}: tanh for {@code tanhFrom <= j < tanhTo}, sigmoid
     * for the other j, in one pass with one expf and one division (C's {@code rr_v512_tanh_sigmoid_f32}),
     * so that neighbouring gate blocks of a small layer (an LSTM's i, f | g | o; o | tanh(c_t)) share
     * vectors and one tail, and fewer dependency chains run one after the other. expf's argument is 2a
     * (tanh lanes, a = min(44.5, |x|)) or max(-104, -|x|), the numerator 2 or (x >= 0 ? 1 : e): each lane
     * gets its own function's bits. The tail as in {@link #sigmoid(float[], int, float[], int, int)}.
     */
    static void gates(float[] a, int off, int tanhFrom, int tanhTo, int n) {
        int lanes = S.length();
        for (int j = 0; j < n; j += lanes) {
            if (j + lanes > n && !roomForTail(a, off + j, a, off + j)) {
                for (; j < n; j++) {
                    float x = a[off + j];
                    a[off + j] = j >= tanhFrom && j < tanhTo ? Activations.tanh(x) : Activations.sigmoid(x);
                }
                return;
            }
            FloatVector x = FloatVector.fromArray(S, a, off + j);
            FloatVector unit = INDEX.add(j);                                    // j + lane, exact
            VectorMask<Float> tanh = unit.compare(VectorOperators.GE, (float) tanhFrom).and(unit.lt((float) tanhTo));
            FloatVector ax = x.abs();
            FloatVector z = x.mul(x);                                          // |x| < 0.625: |x| + |x| z P(z)
            FloatVector small = horner(horner(horner(z.fma(P4, P3), z, P2), z, P1), z, P0).mul(z).fma(ax, ax);
            FloatVector capped = ax.min(TANH_MAX);                             // tanh's a = min(44.5, |x|)
            FloatVector y = ax.neg().max(EXP_MIN);                             // sigmoid's max(-104, -|x|)
            FloatVector arg = y.blend(capped.add(capped), tanh);
            FloatVector t = y.blend(capped, tanh).mul(x.broadcast(LOG2E).blend(2.0f * LOG2E, tanh)).add(SHIFT);
            FloatVector kd = t.sub(SHIFT);                                     // expf(arg): kd = rint(arg / ln2)
            FloatVector r = kd.neg().fma(x.broadcast(LN2_HI), arg);            // r = arg - kd ln2, two fmas
            r = kd.neg().fma(x.broadcast(LN2_LO), r);
            FloatVector p = horner(horner(horner(horner(horner(horner(r.fma(T7, T6), r, T5), r, T4), r, T3), r, T2),
                    r, 1.0f), r, 1.0f);                                        // Taylor to r^7
            IntVector k = t.reinterpretAsInts().sub(SHIFT_BITS);
            IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
            FloatVector e = p.mul(k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(k.sub(k1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()); // p 2^n1 2^n2
            FloatVector num = e.blend(1.0f, x.compare(VectorOperators.GE, 0.0f)).blend(2.0f, tanh);
            FloatVector q = num.div(e.add(1.0f));
            FloatVector magnitude = x.broadcast(1.0f).sub(q).blend(small, ax.compare(VectorOperators.LT, TANH_SMALL));
            FloatVector v = q.blend(magnitude.reinterpretAsInts().or(x.reinterpretAsInts().and(Integer.MIN_VALUE))
                    .reinterpretAsFloats(), tanh);                              // tanh lanes: the sign of x
            if (j + lanes <= n) {
                v.intoArray(a, off + j);
            } else {                                                            // lanes j .. n-1 of v, the rest as it was
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

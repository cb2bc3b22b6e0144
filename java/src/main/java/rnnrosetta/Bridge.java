package rnnrosetta;

import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.function.IntFunction;

/**
 * Calls into the library from another language (Python through JPype, C through JNI) with as
 * few crossings of the bridge as possible. Every crossing costs about a microsecond, and a
 * bridge may build a Java array from a foreign one element by element (JPype does, at 2-4 ns
 * an element), so here a call's input arrays come in one {@link ByteBuffer} that the caller
 * fills with its own bulk copy (a direct buffer it allocated once, in native byte order) and
 * that is read here with one bulk copy per array; all the results go back as one array.
 *
 * <p>The arrays in the buffer are the flat row-major arrays that {@link Net} and
 * {@link Net32} take as {@code double[]} or {@code float[]}. The packed result is
 * {@code output, hN, cN, y} one after the other, leaving out those that are null; the caller
 * knows their shapes (see {@link Result}).
 */
public final class Bridge {
    private Bridge() {
    }

    /**
     * {@link Net#forward} with its arrays read from {@code inputs}, its result packed.
     * {@code inputs} holds x [xLen], then h0 [h0Len], then c0 [c0Len] as doubles, one after
     * the other; a length below 0 stands for a null array, which takes no room.
     *
     * @throws IllegalArgumentException as {@link Net#forward} does, and when {@code net} is
     *                                  null or {@code inputs} holds fewer values than the lengths say
     */
    public static double[] forward(Net net, int seqLen, int batch, ByteBuffer inputs, int xLen, int h0Len,
                                   int c0Len, int[] lengths) {
        requireNet(net);
        DoubleBuffer values = inNativeOrder(inputs).asDoubleBuffer();
        int[] at = offsets(values.remaining(), xLen, h0Len, c0Len);
        return packed(net.forward(seqLen, batch, take(values, at[0], xLen), take(values, at[1], h0Len),
                take(values, at[2], c0Len), lengths));
    }

    /**
     * {@link Net32#forward} with its arrays read from {@code inputs} (floats, laid out as in
     * {@link #forward(Net, int, int, ByteBuffer, int, int, int, int[])}), its result packed.
     *
     * @throws IllegalArgumentException as {@link Net32#forward} does, and when {@code inputs}
     *                                  holds fewer values than the lengths say
     */
    public static float[] forward(Net32 net, int seqLen, int batch, ByteBuffer inputs, int xLen, int h0Len,
                                  int c0Len, int[] lengths) {
        requireNet(net);
        FloatBuffer values = inNativeOrder(inputs).asFloatBuffer();
        int[] at = offsets(values.remaining(), xLen, h0Len, c0Len);
        return packed(net.forward(seqLen, batch, take(values, at[0], xLen), take(values, at[1], h0Len),
                take(values, at[2], c0Len), lengths));
    }

    /**
     * {@link Net#step} with x [xLen], h [hLen], c [cLen] read from {@code inputs} (as in
     * {@link #forward(Net, int, int, ByteBuffer, int, int, int, int[])}), its result packed.
     *
     * @throws IllegalArgumentException as {@link Net#step} does, and when {@code inputs} holds
     *                                  fewer values than the lengths say
     * @throws UnsupportedOperationException as {@link Net#step} does
     */
    public static double[] step(Net net, int batch, ByteBuffer inputs, int xLen, int hLen, int cLen) {
        requireNet(net);
        DoubleBuffer values = inNativeOrder(inputs).asDoubleBuffer();
        int[] at = offsets(values.remaining(), xLen, hLen, cLen);
        return packed(net.step(batch, take(values, at[0], xLen), take(values, at[1], hLen),
                take(values, at[2], cLen)));
    }

    /**
     * {@link Net32#step} with x, h, c read from {@code inputs} (floats), its result packed.
     *
     * @throws IllegalArgumentException as {@link Net32#step} does, and when {@code inputs}
     *                                  holds fewer values than the lengths say
     * @throws UnsupportedOperationException as {@link Net32#step} does
     */
    public static float[] step(Net32 net, int batch, ByteBuffer inputs, int xLen, int hLen, int cLen) {
        requireNet(net);
        FloatBuffer values = inNativeOrder(inputs).asFloatBuffer();
        int[] at = offsets(values.remaining(), xLen, hLen, cLen);
        return packed(net.step(batch, take(values, at[0], xLen), take(values, at[1], hLen),
                take(values, at[2], cLen)));
    }

    /** output, hN, cN, y of {@code r} in one array, the null ones left out. */
    static double[] packed(Result r) {
        return concat(new double[][] {r.output, r.hN, r.cN, r.y}, double[]::new);
    }

    /** output, hN, cN, y of {@code r} in one array, the null ones left out. */
    static float[] packed(Result32 r) {
        return concat(new float[][] {r.output, r.hN, r.cN, r.y}, float[]::new);
    }

    /** The non-null {@code parts} (primitive arrays of one type) end to end, in a new array. */
    private static <A> A concat(A[] parts, IntFunction<A> newArray) {
        int total = 0;
        for (A part : parts) {
            total += part == null ? 0 : Array.getLength(part);
        }
        A all = newArray.apply(total);
        int at = 0;
        for (A part : parts) {
            if (part != null) {
                int length = Array.getLength(part);
                System.arraycopy(part, 0, all, at, length);
                at += length;
            }
        }
        return all;
    }

    /**
     * Where each of three arrays of these lengths (below 0: absent, no room) starts when they
     * lie one after another in {@code available} values.
     */
    private static int[] offsets(int available, int... lengths) {
        int[] at = new int[lengths.length];
        long next = 0;
        for (int i = 0; i < lengths.length; i++) {
            at[i] = (int) Math.min(next, Integer.MAX_VALUE);
            next += Math.max(lengths[i], 0);
        }
        if (next > available) {
            throw new IllegalArgumentException("the inputs buffer holds " + available + " values, but the lengths "
                    + java.util.Arrays.toString(lengths) + " need " + next);
        }
        return at;
    }

    /** values[at .. at+len) as a new array; null when len is below 0. */
    private static double[] take(DoubleBuffer values, int at, int len) {
        if (len < 0) {
            return null;
        }
        double[] array = new double[len];
        values.get(at, array);
        return array;
    }

    /** values[at .. at+len) as a new array; null when len is below 0. */
    private static float[] take(FloatBuffer values, int at, int len) {
        if (len < 0) {
            return null;
        }
        float[] array = new float[len];
        values.get(at, array);
        return array;
    }

    /** Refuses a null net before anything is read. */
    private static void requireNet(Object net) {
        if (net == null) {
            throw new IllegalArgumentException("net is null");
        }
    }

    /** A view of {@code buffer} in native byte order (the caller's buffer is left as it is). */
    private static ByteBuffer inNativeOrder(ByteBuffer buffer) {
        if (buffer == null) {
            throw new IllegalArgumentException("the inputs buffer is null");
        }
        return buffer.duplicate().order(ByteOrder.nativeOrder());
    }
}

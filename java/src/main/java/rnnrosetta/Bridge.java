package rnnrosetta;

import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Calls into the library from another language (Python through JPype) with as few
 * crossings of the bridge as possible. Every crossing costs about a microsecond, and a
 * bridge may build a Java array from a foreign one element by element (JPype does, at 2-4 ns
 * an element), so here a call's input arrays come in one {@link ByteBuffer} that the caller
 * fills with its own bulk copy (a direct buffer it allocated once, in native byte order) and
 * that is read here with one bulk copy per array; all the results go back as one array.
 *
 * <p>The arrays in the buffer are the flat row-major arrays that {@link Net}, {@link Net32},
 * {@link Chain} and {@link Chain32} take as {@code double[]} or {@code float[]} (a chain's
 * tokens come first, as int32). The packed result is
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
        double[][] in = doubles(inputs, xLen, h0Len, c0Len);
        return packed(net.forward(seqLen, batch, in[0], in[1], in[2], lengths), double[]::new);
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
        float[][] in = floats(inputs, xLen, h0Len, c0Len);
        return packed(net.forward(seqLen, batch, in[0], in[1], in[2], lengths), float[]::new);
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
        double[][] in = doubles(inputs, xLen, hLen, cLen);
        return packed(net.step(batch, in[0], in[1], in[2]), double[]::new);
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
        float[][] in = floats(inputs, xLen, hLen, cLen);
        return packed(net.step(batch, in[0], in[1], in[2]), float[]::new);
    }

    /**
     * {@link Chain#forward} (tokenLen &lt; 0) or {@link Chain#forwardTokens} (tokenLen &gt;= 0)
     * with its arrays read from {@code inputs}, its result packed. {@code inputs} holds the
     * tokens [tokenLen] as int32 first (none when tokenLen &lt; 0), then, from the next multiple
     * of 8 bytes, x [xLen], h0 [h0Len], c0 [c0Len] as doubles, as in
     * {@link #forward(Net, int, int, ByteBuffer, int, int, int, int[])}.
     *
     * @throws IllegalArgumentException as the chain does, and when {@code inputs} holds fewer
     *                                  values than the lengths say
     */
    public static double[] forward(Chain chain, int seqLen, int batch, ByteBuffer inputs, int tokenLen, int xLen,
                                   int h0Len, int c0Len, int[] lengths) {
        requireNet(chain);
        int[] tokens = tokens(inputs, tokenLen);
        double[][] in = doubles(afterTokens(inputs, tokenLen), xLen, h0Len, c0Len);
        return packed(tokens != null ? chain.forwardTokens(seqLen, batch, tokens, in[1], in[2], lengths)
                : chain.forward(seqLen, batch, in[0], in[1], in[2], lengths), double[]::new);
    }

    /** {@link #forward(Chain, int, int, ByteBuffer, int, int, int, int, int[])} for {@link Chain32} (floats). */
    public static float[] forward(Chain32 chain, int seqLen, int batch, ByteBuffer inputs, int tokenLen, int xLen,
                                  int h0Len, int c0Len, int[] lengths) {
        requireNet(chain);
        int[] tokens = tokens(inputs, tokenLen);
        float[][] in = floats(afterTokens(inputs, tokenLen), xLen, h0Len, c0Len);
        return packed(tokens != null ? chain.forwardTokens(seqLen, batch, tokens, in[1], in[2], lengths)
                : chain.forward(seqLen, batch, in[0], in[1], in[2], lengths), float[]::new);
    }

    /**
     * {@link Chain#step} / {@link Chain#stepTokens} with tokens [tokenLen], x [xLen], h [hLen],
     * c [cLen] read from {@code inputs} (laid out as for forward), its result packed.
     *
     * @throws IllegalArgumentException as the chain does
     * @throws UnsupportedOperationException as the chain does
     */
    public static double[] step(Chain chain, int batch, ByteBuffer inputs, int tokenLen, int xLen, int hLen,
                                int cLen) {
        requireNet(chain);
        int[] tokens = tokens(inputs, tokenLen);
        double[][] in = doubles(afterTokens(inputs, tokenLen), xLen, hLen, cLen);
        return packed(tokens != null ? chain.stepTokens(batch, tokens, in[1], in[2])
                : chain.step(batch, in[0], in[1], in[2]), double[]::new);
    }

    /** {@link #step(Chain, int, ByteBuffer, int, int, int, int)} for {@link Chain32} (floats). */
    public static float[] step(Chain32 chain, int batch, ByteBuffer inputs, int tokenLen, int xLen, int hLen,
                               int cLen) {
        requireNet(chain);
        int[] tokens = tokens(inputs, tokenLen);
        float[][] in = floats(afterTokens(inputs, tokenLen), xLen, hLen, cLen);
        return packed(tokens != null ? chain.stepTokens(batch, tokens, in[1], in[2])
                : chain.step(batch, in[0], in[1], in[2]), float[]::new);
    }

    /** The int32 tokens at the start of {@code inputs}, or null for a count below 0. */
    private static int[] tokens(ByteBuffer inputs, int count) {
        if (count < 0) {
            return null;
        }
        IntBuffer values = inNativeOrder(inputs).asIntBuffer();
        requireRoom(values.remaining(), count);
        int[] tokens = new int[count];
        values.get(0, tokens);
        return tokens;
    }

    /** {@code inputs} from the first multiple of 8 bytes after {@code count} int32 tokens (all of it for none). */
    private static ByteBuffer afterTokens(ByteBuffer inputs, int count) {
        ByteBuffer all = inNativeOrder(inputs);
        long skip = count <= 0 ? 0 : ((4L * count + 7) / 8) * 8;
        if (skip > all.remaining()) {
            throw new IllegalArgumentException("the inputs buffer holds " + all.remaining() + " bytes, but "
                    + count + " tokens need " + skip);
        }
        return all.position(all.position() + (int) skip).slice();
    }

    /** output, hN, cN, y of {@code r} in one array (double[] or float[]), the null ones left out. */
    static <A> A packed(Result<A> r, IntFunction<A> newArray) {
        List<A> parts = Arrays.asList(r.output(), r.hN(), r.cN(), r.y());
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
     * The arrays of these lengths that lie one after another in {@code inputs} (doubles,
     * native byte order); a length below 0 is a null array that takes no room.
     */
    private static double[][] doubles(ByteBuffer inputs, int... lengths) {
        DoubleBuffer values = inNativeOrder(inputs).asDoubleBuffer();
        requireRoom(values.remaining(), lengths);
        double[][] arrays = new double[lengths.length][];
        for (int i = 0, at = 0; i < lengths.length; at += Math.max(lengths[i], 0), i++) {
            if (lengths[i] >= 0) {
                arrays[i] = new double[lengths[i]];
                values.get(at, arrays[i]);
            }
        }
        return arrays;
    }

    /** {@link #doubles(ByteBuffer, int...)} for floats. */
    private static float[][] floats(ByteBuffer inputs, int... lengths) {
        FloatBuffer values = inNativeOrder(inputs).asFloatBuffer();
        requireRoom(values.remaining(), lengths);
        float[][] arrays = new float[lengths.length][];
        for (int i = 0, at = 0; i < lengths.length; at += Math.max(lengths[i], 0), i++) {
            if (lengths[i] >= 0) {
                arrays[i] = new float[lengths[i]];
                values.get(at, arrays[i]);
            }
        }
        return arrays;
    }

    /** Refuses lengths (below 0: no room) that need more than the {@code available} values. */
    private static void requireRoom(int available, int... lengths) {
        long need = 0;
        for (int length : lengths) {
            need += Math.max(length, 0);
        }
        if (need > available) {
            throw new IllegalArgumentException("the inputs buffer holds " + available + " values, but the lengths "
                    + Arrays.toString(lengths) + " need " + need);
        }
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

package rnnrosetta;

/**
 * The exact kernel in float32 (docs/exact-kernel.md, "float32"): the weights rounded to float
 * once, the float64 algorithm on the float values (each exactly a double), and every stored
 * value {@code (float) d.hi}.
 *
 * <p>A float32 net's scratch arrays are float[], but the exact kernel keeps its pre-activations
 * as double-doubles between {@link #linear} and the gate methods. A double therefore takes three
 * slots of a float[]: its 64 bits in pieces of 22, 22 and 20 bits, each held as a float whose
 * value is that integer (below 2^24, so exact); only {@link #atWide} reads those slots. (Holding
 * raw bits with {@code Float.intBitsToFloat} would risk a signaling-NaN pattern being quieted.)
 */
final class Exact32 extends ExactCompute<float[]> {
    private static final int PIECE_BITS = 22;
    private static final long PIECE_MASK = (1L << PIECE_BITS) - 1;

    /** {@code clip}: the clip bound already rounded to float (NaN: none). */
    Exact32(float clip) {
        super(clip);
    }

    @Override
    float[] newArray(int n) {
        return new float[n];
    }

    @Override
    float[] convert(double[] v) {
        if (v == null) {
            return null;
        }
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    @Override
    double at(float[] a, int i) {
        return a[i];
    }

    @Override
    void put(float[] a, int i, double v) {
        a[i] = (float) v;
    }

    @Override
    double round(double v) {
        return (float) v;
    }

    @Override
    boolean floatWeights() {
        return true;
    }

    @Override
    int wideSlots() {
        return 3;
    }

    @Override
    void putWide(float[] a, int i, double v) {
        long bits = Double.doubleToRawLongBits(v);
        a[i] = (float) (bits & PIECE_MASK);                         // bits 0 .. 21
        a[i + 1] = (float) ((bits >>> PIECE_BITS) & PIECE_MASK);    // bits 22 .. 43
        a[i + 2] = (float) (bits >>> (2 * PIECE_BITS));             // bits 44 .. 63
    }

    @Override
    double atWide(float[] a, int i) {
        long bits = (long) a[i] | ((long) a[i + 1] << PIECE_BITS) | ((long) a[i + 2] << (2 * PIECE_BITS));
        return Double.longBitsToDouble(bits);
    }
}

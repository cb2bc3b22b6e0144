package rnnrosetta;

/**
 * The exact kernel's dot products (docs/exact-kernel.md, "Dot products") and the layout they
 * are stored in, for both precisions; {@link ExactCompute} adds the gates. A subclass only says
 * how its array type holds values ({@link #at}, {@link #put}) and exact doubles
 * ({@link #atWide}, {@link #putWide}).
 *
 * <p>A weight matrix [n, k] is stored as three blocks {@code [W | W_hi | W_lo]} [3, n, k]: the
 * weights and Veltkamp's split {@code W = W_hi + W_lo} of each, computed once (the split is a
 * pure function of the weight, so this saves work, not bits; a float weight splits into itself
 * and 0, both floats). An activation row is split once too ({@link SplitRow}) and shared by the
 * n outputs.
 *
 * <p>{@link #linear} writes every output as its stored value followed by its double-double, so
 * that the gates can add the input projection {@code gi} and the recurrent product {@code gh}
 * as the spec does ({@code a = dd_add(gi, gh)}). A row of n outputs [n + 2nW], W =
 * {@link #wideSlots}:
 * <pre>
 *   [ stored_0 .. stored_{n-1} | hi_0 lo_0 hi_1 lo_1 .. hi_{n-1} lo_{n-1} ]   (each hi, lo: W slots)
 * </pre>
 * so a projection's output (which {@link Engine} copies into h) is its stored values.
 */
abstract class ExactProducts<A> extends Compute<A> {
    /** Element i of a, exactly (a float widens exactly). */
    abstract double at(A a, int i);

    /** Stores v rounded to the precision: {@code a[i] = round(v)}. */
    abstract void put(A a, int i, double v);

    /** v rounded to the precision (float64: v; float32: {@code (float) v}). */
    abstract double round(double v);

    /** Whether the weights are floats (float32: every finite one times a finite float is exact). */
    boolean floatWeights() {
        return false;
    }

    /** Slots of A that one exact double takes in a {@link #linear} output row. */
    abstract int wideSlots();

    /** Writes the double v exactly at slots {@code [i, i + wideSlots())} of a. */
    abstract void putWide(A a, int i, double v);

    /** The double {@link #putWide} wrote at slot i of a. */
    abstract double atWide(A a, int i);

    /**
     * A row of activations v [k] and Veltkamp's split {@code v = hi + lo} [k] of each; what the
     * row's values all are ({@link #fmaSafe}, {@link #narrow}) is found once after each change.
     */
    static final class SplitRow {
        final double[] v;
        final double[] hi;
        final double[] lo;
        private boolean checked;
        private boolean tame;
        private boolean narrow;

        SplitRow(int k) {
            v = new double[k];
            hi = new double[k];
            lo = new double[k];
        }

        /** {@code v[i] = x} and its split: {@code hi = t - (t - x)}, {@code t = 134217729 x}; {@code lo = x - hi}. */
        void set(int i, double x) {
            v[i] = x;
            hi[i] = DoubleDouble.splitHi(x);
            lo[i] = x - hi[i];
            checked = false;
        }

        private void check() {
            boolean t = true;
            boolean f = true;
            for (double x : v) {
                t &= DoubleDouble.tame(x);
                f &= Math.abs(x) < 0x1p128 && (double) (float) x == x;
            }
            tame = t;
            narrow = f;
            checked = true;
        }

        /** Whether every value is {@link DoubleDouble#tame}. */
        boolean fmaSafe() {
            if (!checked) {
                check();
            }
            return tame;
        }

        /** Whether every value is a finite float: the product with a finite float is exact. */
        boolean narrow() {
            if (!checked) {
                check();
            }
            return narrow;
        }
    }

    @Override
    final Matrix<A> matrix(A w, A b, int first, int n, int k) {
        int size = n * k;
        A blocks = newArray(3 * size + 1);                                           // [W | W_hi | W_lo | tame]
        boolean tame = true;
        for (int i = 0; i < size; i++) {
            double weight = at(w, first * k + i);
            double hi = DoubleDouble.splitHi(weight);
            put(blocks, i, weight);
            put(blocks, size + i, hi);
            put(blocks, 2 * size + i, weight - hi);
            tame &= DoubleDouble.tame(weight);
        }
        put(blocks, 3 * size, tame ? 1.0 : 0.0); // every weight tame (a float32 weight: finite)
        A bias = null;
        if (b != null) {
            bias = newArray(n);
            System.arraycopy(b, first, bias, 0, n);
        }
        return new Matrix<>(blocks, bias, n, k, n + 2 * n * wideSlots());
    }

    /** Whether every weight of m is {@link DoubleDouble#tame} (the flag {@link #matrix} stored). */
    final boolean tame(Matrix<A> m) {
        return at(m.w(), 3 * m.n() * m.k()) == 1.0;
    }

    /** {@code b[o]}, +0.0 for a matrix without a bias. */
    final double bias(Matrix<A> m, int o) {
        return m.bias() == null ? 0.0 : at(m.bias(), o);
    }

    /**
     * Output o of {@code W x + b}: the accumulator {@code (s, c)} starts at (0, 0);
     * {@code add_term(b)}: {@code (s, q) = two_sum(s, b); c = c + q}; for each k
     * {@code add_product(x_k, W_ok)}: {@code (p, e) = two_prod(x_k, W_ok); (s, q) = two_sum(s, p);
     * c = c + (q + e)}; {@code finish() = two_sum(s, c)}. The primitives are written out here
     * (the hot loop of the kernel), two_prod over the stored splits.
     */
    final DoubleDouble dot(Matrix<A> m, int o, SplitRow x) {
        return dot(m, o, x, null);
    }

    /**
     * As {@link #dot} with double-double activations {@code (x_k, xLo_k)} ({@code add_product_dd}):
     * {@code c = c + ((q + e) + xLo_k * W_ok)}; {@code xLo == null}: plain activations.
     *
     * <p>Two faster ways to the same bits: where every weight and activation is tame and the JVM
     * has FMA, {@code e = Math.fma(x, y, -p)} (Dekker's double, {@link DoubleDouble#tame}); where
     * both are finite floats (float32, plain activations), x * y is exact, e = +0, and
     * {@code c + (q + e) == c + q} bit for bit (c starts as {@code 0.0 + start.lo} and is only ever
     * {@code c + something}, so it is never -0, and adding -0 or +0 to it gives the same double).
     */
    final DoubleDouble dot(Matrix<A> m, int o, SplitRow x, double[] xLo) {
        int k = m.k();
        int size = m.n() * k;
        int row = o * k;
        A w = m.w();
        DoubleDouble start = DoubleDouble.twoSum(0.0, bias(m, o));
        double s = start.hi();
        double c = 0.0 + start.lo();
        boolean tameWeights = tame(m);
        if (xLo == null && tameWeights && floatWeights() && x.narrow()) { // float32: e = +0
            for (int i = 0; i < k; i++) {
                double p = x.v[i] * at(w, row + i);
                // (s, q) = two_sum(s, p); c = c + q
                double sum = s + p;
                double u = sum - s;
                double q = (s - (sum - u)) + (p - u);
                s = sum;
                c = c + q;
            }
            return DoubleDouble.twoSum(s, c);
        }
        if (DoubleDouble.FMA && tameWeights && x.fmaSafe()) {
            for (int i = 0; i < k; i++) {
                double y = at(w, row + i);
                double xv = x.v[i];
                // (p, e) = two_prod(x, y), e by FMA
                double p = xv * y;
                double e = Math.fma(xv, y, -p);
                // (s, q) = two_sum(s, p)
                double sum = s + p;
                double u = sum - s;
                double q = (s - (sum - u)) + (p - u);
                s = sum;
                c = xLo == null ? c + (q + e) : c + ((q + e) + xLo[i] * y);
            }
            return DoubleDouble.twoSum(s, c);
        }
        for (int i = 0; i < k; i++) {
            double y = at(w, row + i);
            double yh = at(w, size + row + i);
            double yl = at(w, 2 * size + row + i);
            double xh = x.hi[i];
            double xl = x.lo[i];
            // (p, e) = two_prod(x, y)
            double p = x.v[i] * y;
            double e = (((xh * yh - p) + xh * yl) + xl * yh) + xl * yl;
            // (s, q) = two_sum(s, p)
            double sum = s + p;
            double u = sum - s;
            double q = (s - (sum - u)) + (p - u);
            s = sum;
            c = xLo == null ? c + (q + e) : c + ((q + e) + xLo[i] * y);
        }
        return DoubleDouble.twoSum(s, c);
    }

    /** Writes output o of a row of n at {@code row}: its stored value, then its hi and lo parts. */
    private void putOutput(A y, int row, int n, int o, DoubleDouble d) {
        int w = wideSlots();
        put(y, row + o, d.hi());
        putWide(y, row + n + 2 * o * w, d.hi());
        putWide(y, row + n + (2 * o + 1) * w, d.lo());
    }

    /** The double-double output o of a row of n at {@code row}, as {@link #linear} wrote it. */
    final DoubleDouble pre(A y, int row, int n, int o) {
        int w = wideSlots();
        return new DoubleDouble(atWide(y, row + n + 2 * o * w), atWide(y, row + n + (2 * o + 1) * w));
    }

    /** {@code x[off .. off+k)} as a split row. */
    final void load(A x, int off, int k, SplitRow row) {
        for (int i = 0; i < k; i++) {
            row.set(i, at(x, off + i));
        }
    }

    @Override
    final void linear(A x, int xOff, int rows, Matrix<A> m, A y, int yOff, int yStride) {
        int k = m.k();
        SplitRow v = new SplitRow(k);                                                // row r of x [K]
        for (int r = 0; r < rows; r++) {
            load(x, xOff + r * k, k, v);
            for (int o = 0; o < m.n(); o++) {
                // y[r, o] = finish(add_term(b[o]); add_product(x[r, j], W[o, j]) for j < k)
                putOutput(y, yOff + r * yStride, m.n(), o, dot(m, o, v));
            }
        }
    }
}

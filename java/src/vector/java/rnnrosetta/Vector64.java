package rnnrosetta;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float64 arithmetic with the Vector API ({@code jdk.incubator.vector}): {@link Plain64}
 * with the hot loops replaced, the same equations, the additions in another order.
 *
 * <p>Products. Each weight matrix W [n, k] is packed once, at construction, into panels of
 * {@code NR} = two vectors of outputs: panel p holds {@code W[p*NR + j, kk]} at
 * {@code (p*k + kk)*NR + j}, so that a product streams through memory in order and never
 * sums across lanes ({@code y[cols] += x[kk] * panel[kk, :]}, one broadcast and two FMAs per
 * kk). n is padded with zero rows to a whole panel, the bias with zeros. One row (batch 1,
 * the recurrent step) runs four panels at once (then two, then one); more rows run a blocked
 * GEMM whose tile is {@code MR} rows by one panel (then four rows, then one; four rows, then one,
 * below {@code PACK_K} inputs, where packing x costs as much as the products), over row blocks
 * of {@code MC} (whose y rows stay in cache) and k blocks of {@code KC}: the x rows of a
 * block's tiles are packed into one stream (L2), and the panel slice every tile reads stays
 * in L1/L2.
 *
 * <p>One summation order for every output, whatever the tile: blocks of k of
 * {@link Matrix#DOT_BLOCK} (as {@link Plain64}), each block one fma chain from zero in index
 * order, {@code s = fma(x[kb+31], W[o, kb+31], ... fma(x[kb], W[o, kb], 0))}, added to the
 * running total in block order, {@code y = ((b[o] + s_0) + s_1) + ...}. Every tile keeps its
 * outputs' partial sums and totals in registers and stores the totals once (the GEMM's next k
 * slice reloads them: exact): so a row's bits do not depend on the batch size,
 * on its position in a tile or on the number of rows (row b of a batch-B run equals the
 * batch-1 run of that sequence), only on its values; KC is a whole number of blocks.
 *
 * <p>Gates: the equations of {@link Plain64}, a vector of units at a time, the same operations
 * in the same order (fma where Plain64 has {@link Math#fma}); sigmoid and tanh are
 * {@link Lanes64}'s, the lanewise twins of {@link Activations}'. The last units of a row (fewer
 * than a vector: all of them when H is below a vector) get the elementwise operations one at a
 * time and sigmoid / tanh as one more, partly used, vector of {@link Lanes64} (not one scalar
 * call per unit and gate, which cost most of a small step); the same bits as a whole lane.
 *
 * <p>This file is the template of {@code Vector32}: the build applies java/src/float32.sed
 * to it (see the comment at the top of {@link Plain64}); {@link Lanes64} becomes
 * {@code Lanes32}, written by hand (other constants and polynomial degree).
 */
final class Vector64 extends Plain64 {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    /** Lanes per vector. */
    private static final int L = S.length();
    /** Outputs per packed panel (two vectors). */
    private static final int NR = 2 * L;
    /** Rows per GEMM tile: 6 rows x 2 vectors = 12 partial sums and 12 totals (of 32 AVX-512 registers). */
    private static final int MR = 6;
    /** The k block of the GEMM (512, whole dot blocks): the panel slice a row block reads stays in L1/L2. */
    private static final int KC = 16 * Matrix.DOT_BLOCK;
    /** The row block of the GEMM (a multiple of MR): its x block stays in L2. */
    private static final int MC = 72;
    /** The fewest inputs k at which the GEMM packs x and runs MR-row tiles (else four-row tiles, x in place). */
    private static final int PACK_K = 4 * Matrix.DOT_BLOCK;
    /** The dot block (k per partial sum), see {@link Matrix#DOT_BLOCK}. */
    private static final int DB = Matrix.DOT_BLOCK;
    /**
     * Elements before the first panel of a packed W ({@link #matrix}): 48 bytes, so that every panel row
     * (NR elements: two 64-byte lines) starts on a line when the JVM aligns objects to 64 bytes
     * ({@code -XX:ObjectAlignmentInBytes=64}, the project's JVM options) and an array's data starts 16
     * bytes into it (HotSpot's array header with compressed class pointers, the default): a 512-bit load
     * that crosses a line costs two loads (measured on Zen 4: the products of a small layer 1.3-1.5x
     * slower from an array aligned to 16 bytes; a step at 32 units 14-20 % slower). Java promises an
     * array no other alignment; under other options the lead costs 48 bytes per matrix and nothing else.
     * Only the speed depends on it, never the bits.
     */
    static final int PAD = 48 / Double.BYTES;

    Vector64(double clip) {
        super(clip);
    }

    @Override
    String name() {
        return "vector";
    }

    @Override
    Matrix<double[]> matrix(double[] w, double[] b, int first, int n, int k) {
        int panels = (n + NR - 1) / NR;
        int stride = panels * NR;
        int size = Checks.product("padded rows*columns of W", "rows=" + stride + ", columns=" + k, stride, k);
        if (size > Integer.MAX_VALUE - PAD) {
            throw new IllegalArgumentException("padded rows*columns of W (rows=" + stride + ", columns=" + k
                    + ") and a lead of " + PAD + " exceed the largest Java array");
        }
        double[] packed = new double[PAD + size];
        for (int o = 0; o < n; o++) {
            int src = (first + o) * k;
            int dst = PAD + (o / NR) * k * NR + o % NR;
            for (int kk = 0; kk < k; kk++) {
                packed[dst + kk * NR] = w[src + kk];
            }
        }
        double[] bias = new double[stride];
        if (b != null) {
            System.arraycopy(b, first, bias, 0, n);
        }
        return new Matrix<>(packed, bias, n, k, stride);
    }

    @Override
    void linear(double[] x, int xOff, int rows, Matrix<double[]> m, double[] y, int yOff, int yStride) {
        if (rows == 1) {
            matVec(x, xOff, m, y, yOff);
            return;
        }
        int k = m.k();
        int panels = m.stride() / NR;
        double[] w = m.w();
        double[] bias = m.bias();
        // the x rows of the MR-row tiles of a block, packed as [tile][kk][MR] (one stream per tile); below
        // PACK_K inputs packing costs as much as the products, and four-row tiles read x in place instead
        // (none below MR rows: a streaming step at a small batch allocates nothing)
        boolean pack = rows >= MR && k >= PACK_K;
        double[] a = pack ? new double[Math.min(rows, MC) / MR * MR * Math.min(k, KC)] : null;
        for (int i0 = 0; i0 < rows; i0 += MC) {
            int i1 = Math.min(rows, i0 + MC);
            int tiles = pack ? (i1 - i0) / MR : 0;
            for (int k0 = 0; k0 < k; k0 += KC) {
                int kc = Math.min(KC, k - k0);
                // the totals start at the bias in the first k slice, else from the sums in y (exact)
                boolean first = k0 == 0;
                for (int t = 0; t < tiles; t++) {
                    for (int r = 0; r < MR; r++) {
                        int src = xOff + (i0 + t * MR + r) * k + k0;
                        int dst = t * kc * MR + r;
                        for (int kk = 0; kk < kc; kk++) {
                            a[dst + kk * MR] = x[src + kk];
                        }
                    }
                }
                for (int p = 0; p < panels; p++) {
                    int wOff = PAD + (p * k + k0) * NR;
                    int col = p * NR;
                    int i = i0;
                    for (int t = 0; t < tiles; t++, i += MR) {
                        int y0 = yOff + i * yStride + col;
                        tile6(a, t * kc * MR, kc, w, wOff, first ? bias : y, first ? col : y0, first ? 0 : yStride,
                                y, y0, yStride);
                    }
                    for (; i + 4 <= i1; i += 4) {
                        int y0 = yOff + i * yStride + col;
                        tile4(x, xOff + i * k + k0, k, kc, w, wOff, first ? bias : y, first ? col : y0,
                                first ? 0 : yStride, y, y0, yStride);
                    }
                    for (; i < i1; i++) {
                        int y0 = yOff + i * yStride + col;
                        tile1(x, xOff + i * k + k0, kc, w, wOff, first ? bias : y, first ? col : y0, y, y0);
                    }
                }
            }
        }
    }

    /** y = W x + b for one row x [k]: four panels at a time (four streams, eight accumulators), then two, then one. */
    private static void matVec(double[] x, int xOff, Matrix<double[]> m, double[] y, int yOff) {
        int k = m.k();
        int panels = m.stride() / NR;
        double[] w = m.w();
        double[] bias = m.bias();
        int p = 0;
        for (; p + 4 <= panels; p += 4) {
            fourPanels(x, xOff, k, w, PAD + p * k * NR, k * NR, bias, p * NR, y, yOff + p * NR);
        }
        if (p + 2 <= panels) {
            twoPanels(x, xOff, k, w, PAD + p * k * NR, k * NR, bias, p * NR, y, yOff + p * NR);
            p += 2;
        }
        if (p < panels) {
            tile1(x, xOff, k, w, PAD + p * k * NR, bias, p * NR, y, yOff + p * NR);
        }
    }

    // ------------------------------------------------------------------ tiles
    //
    // Every tile runs the dot blocks of its kc inputs (kc a whole number of blocks, but for the last
    // slice of k) in ascending order: for each block [kb, kb + DB), the partial sums start at zero and
    // take x[kk] W[col .., kk] for kk ascending in one fma chain per output, s = fma(x[kk], W[o, kk], s),
    // then the running totals take them, total = total + s. The totals start from t (the bias, rows
    // tStride = 0 apart; or the sums of the previous k slice in y) and stay in registers; each tile
    // writes them to y at the end. W[col .., kk] is read at wOff + kk*NR (panels panelStep apart).
    // The loops index by kk itself, not by offsets carried across the blocks: C2 then hoists the
    // range checks out of each block's loop (carried offsets cost 5 to 15% at 512-32-25).

    /** One row by four neighbouring panels: eight partial sums and eight totals. */
    private static void fourPanels(double[] x, int x0, int kc, double[] w, int w0, int panelStep, double[] t,
                                   int tOff, double[] y, int y0) {
        int w1 = w0 + panelStep;
        int w2 = w1 + panelStep;
        int w3 = w2 + panelStep;
        DoubleVector ta0 = load(t, tOff);
        DoubleVector ta1 = load(t, tOff + L);
        DoubleVector tb0 = load(t, tOff + NR);
        DoubleVector tb1 = load(t, tOff + NR + L);
        DoubleVector tc0 = load(t, tOff + 2 * NR);
        DoubleVector tc1 = load(t, tOff + 2 * NR + L);
        DoubleVector td0 = load(t, tOff + 3 * NR);
        DoubleVector td1 = load(t, tOff + 3 * NR + L);
        for (int kb = 0; kb < kc; kb += DB) {
            int kEnd = Math.min(kb + DB, kc);
            DoubleVector a0 = DoubleVector.zero(S);
            DoubleVector a1 = a0;
            DoubleVector b0 = a0;
            DoubleVector b1 = a0;
            DoubleVector c0 = a0;
            DoubleVector c1 = a0;
            DoubleVector d0 = a0;
            DoubleVector d1 = a0;
            for (int kk = kb; kk < kEnd; kk++) {
                // s[col ..] = fma(x[kk], W[col .., kk], s[col ..])
                int wk = kk * NR;
                DoubleVector v = DoubleVector.broadcast(S, x[x0 + kk]);
                a0 = v.fma(DoubleVector.fromArray(S, w, w0 + wk), a0);
                a1 = v.fma(DoubleVector.fromArray(S, w, w0 + wk + L), a1);
                b0 = v.fma(DoubleVector.fromArray(S, w, w1 + wk), b0);
                b1 = v.fma(DoubleVector.fromArray(S, w, w1 + wk + L), b1);
                c0 = v.fma(DoubleVector.fromArray(S, w, w2 + wk), c0);
                c1 = v.fma(DoubleVector.fromArray(S, w, w2 + wk + L), c1);
                d0 = v.fma(DoubleVector.fromArray(S, w, w3 + wk), d0);
                d1 = v.fma(DoubleVector.fromArray(S, w, w3 + wk + L), d1);
            }
            // total = total + s
            ta0 = ta0.add(a0);
            ta1 = ta1.add(a1);
            tb0 = tb0.add(b0);
            tb1 = tb1.add(b1);
            tc0 = tc0.add(c0);
            tc1 = tc1.add(c1);
            td0 = td0.add(d0);
            td1 = td1.add(d1);
        }
        ta0.intoArray(y, y0);
        ta1.intoArray(y, y0 + L);
        tb0.intoArray(y, y0 + NR);
        tb1.intoArray(y, y0 + NR + L);
        tc0.intoArray(y, y0 + 2 * NR);
        tc1.intoArray(y, y0 + 2 * NR + L);
        td0.intoArray(y, y0 + 3 * NR);
        td1.intoArray(y, y0 + 3 * NR + L);
    }

    /** One row by two neighbouring panels: four partial sums and four totals. */
    private static void twoPanels(double[] x, int x0, int kc, double[] w, int w0, int panelStep, double[] t,
                                  int tOff, double[] y, int y0) {
        int w1 = w0 + panelStep;
        DoubleVector ta0 = load(t, tOff);
        DoubleVector ta1 = load(t, tOff + L);
        DoubleVector tb0 = load(t, tOff + NR);
        DoubleVector tb1 = load(t, tOff + NR + L);
        for (int kb = 0; kb < kc; kb += DB) {
            int kEnd = Math.min(kb + DB, kc);
            DoubleVector a0 = DoubleVector.zero(S);
            DoubleVector a1 = a0;
            DoubleVector b0 = a0;
            DoubleVector b1 = a0;
            for (int kk = kb; kk < kEnd; kk++) {
                // s[col ..] = fma(x[kk], W[col .., kk], s[col ..])
                int wk = kk * NR;
                DoubleVector u = DoubleVector.broadcast(S, x[x0 + kk]);
                a0 = u.fma(DoubleVector.fromArray(S, w, w0 + wk), a0);
                a1 = u.fma(DoubleVector.fromArray(S, w, w0 + wk + L), a1);
                b0 = u.fma(DoubleVector.fromArray(S, w, w1 + wk), b0);
                b1 = u.fma(DoubleVector.fromArray(S, w, w1 + wk + L), b1);
            }
            // total = total + s
            ta0 = ta0.add(a0);
            ta1 = ta1.add(a1);
            tb0 = tb0.add(b0);
            tb1 = tb1.add(b1);
        }
        ta0.intoArray(y, y0);
        ta1.intoArray(y, y0 + L);
        tb0.intoArray(y, y0 + NR);
        tb1.intoArray(y, y0 + NR + L);
    }

    /** One row by one panel: two partial sums and two totals. */
    private static void tile1(double[] x, int x0, int kc, double[] w, int wOff, double[] t, int tOff, double[] y,
                              int y0) {
        DoubleVector ta0 = load(t, tOff);
        DoubleVector ta1 = load(t, tOff + L);
        for (int kb = 0; kb < kc; kb += DB) {
            int kEnd = Math.min(kb + DB, kc);
            DoubleVector a0 = DoubleVector.zero(S);
            DoubleVector a1 = a0;
            for (int kk = kb; kk < kEnd; kk++) {
                // s[col ..] = fma(x[kk], W[col .., kk], s[col ..])
                int wk = wOff + kk * NR;
                DoubleVector u = DoubleVector.broadcast(S, x[x0 + kk]);
                a0 = u.fma(DoubleVector.fromArray(S, w, wk), a0);
                a1 = u.fma(DoubleVector.fromArray(S, w, wk + L), a1);
            }
            // total = total + s
            ta0 = ta0.add(a0);
            ta1 = ta1.add(a1);
        }
        ta0.intoArray(y, y0);
        ta1.intoArray(y, y0 + L);
    }

    /**
     * MR = 6 rows by one panel, the rows packed as {@code a[a0 + kk*6 + r]}: twelve partial sums and twelve
     * totals (24 of AVX-512's 32 registers; AVX2 keeps the totals, touched once a block, on the stack).
     * Row r's totals start at {@code t[tOff + r*tStride]} and go to {@code y[y0 + r*yStride]}.
     */
    private static void tile6(double[] a, int a0, int kc, double[] w, int wOff, double[] t, int tOff, int tStride,
                              double[] y, int y0, int yStride) {
        int t1 = tOff + tStride;
        int t2 = t1 + tStride;
        int t3 = t2 + tStride;
        int t4 = t3 + tStride;
        int t5 = t4 + tStride;
        DoubleVector s00 = load(t, tOff);
        DoubleVector s01 = load(t, tOff + L);
        DoubleVector s10 = load(t, t1);
        DoubleVector s11 = load(t, t1 + L);
        DoubleVector s20 = load(t, t2);
        DoubleVector s21 = load(t, t2 + L);
        DoubleVector s30 = load(t, t3);
        DoubleVector s31 = load(t, t3 + L);
        DoubleVector s40 = load(t, t4);
        DoubleVector s41 = load(t, t4 + L);
        DoubleVector s50 = load(t, t5);
        DoubleVector s51 = load(t, t5 + L);
        for (int kb = 0; kb < kc; kb += DB) {
            int kEnd = Math.min(kb + DB, kc);
            DoubleVector c00 = DoubleVector.zero(S);
            DoubleVector c01 = c00;
            DoubleVector c10 = c00;
            DoubleVector c11 = c00;
            DoubleVector c20 = c00;
            DoubleVector c21 = c00;
            DoubleVector c30 = c00;
            DoubleVector c31 = c00;
            DoubleVector c40 = c00;
            DoubleVector c41 = c00;
            DoubleVector c50 = c00;
            DoubleVector c51 = c00;
            for (int kk = kb; kk < kEnd; kk++) {
                // s[r, col ..] = fma(x[r, kk], W[col .., kk], s[r, col ..]) for the six rows r
                int wk = wOff + kk * NR;
                int aOff = a0 + kk * MR;
                DoubleVector w0 = DoubleVector.fromArray(S, w, wk);
                DoubleVector w1 = DoubleVector.fromArray(S, w, wk + L);
                DoubleVector v = DoubleVector.broadcast(S, a[aOff]);
                c00 = v.fma(w0, c00);
                c01 = v.fma(w1, c01);
                v = DoubleVector.broadcast(S, a[aOff + 1]);
                c10 = v.fma(w0, c10);
                c11 = v.fma(w1, c11);
                v = DoubleVector.broadcast(S, a[aOff + 2]);
                c20 = v.fma(w0, c20);
                c21 = v.fma(w1, c21);
                v = DoubleVector.broadcast(S, a[aOff + 3]);
                c30 = v.fma(w0, c30);
                c31 = v.fma(w1, c31);
                v = DoubleVector.broadcast(S, a[aOff + 4]);
                c40 = v.fma(w0, c40);
                c41 = v.fma(w1, c41);
                v = DoubleVector.broadcast(S, a[aOff + 5]);
                c50 = v.fma(w0, c50);
                c51 = v.fma(w1, c51);
            }
            // total = total + s
            s00 = s00.add(c00);
            s01 = s01.add(c01);
            s10 = s10.add(c10);
            s11 = s11.add(c11);
            s20 = s20.add(c20);
            s21 = s21.add(c21);
            s30 = s30.add(c30);
            s31 = s31.add(c31);
            s40 = s40.add(c40);
            s41 = s41.add(c41);
            s50 = s50.add(c50);
            s51 = s51.add(c51);
        }
        int y1 = y0 + yStride;
        int y2 = y1 + yStride;
        int y3 = y2 + yStride;
        int y4 = y3 + yStride;
        int y5 = y4 + yStride;
        s00.intoArray(y, y0);
        s01.intoArray(y, y0 + L);
        s10.intoArray(y, y1);
        s11.intoArray(y, y1 + L);
        s20.intoArray(y, y2);
        s21.intoArray(y, y2 + L);
        s30.intoArray(y, y3);
        s31.intoArray(y, y3 + L);
        s40.intoArray(y, y4);
        s41.intoArray(y, y4 + L);
        s50.intoArray(y, y5);
        s51.intoArray(y, y5 + L);
    }

    /**
     * Four rows (x rows {@code xStride} apart) by one panel: eight partial sums and eight totals; row r's
     * totals start at {@code t[tOff + r*tStride]} and go to {@code y[y0 + r*yStride]}.
     */
    private static void tile4(double[] x, int x0, int xStride, int kc, double[] w, int wOff, double[] t, int tOff,
                              int tStride, double[] y, int y0, int yStride) {
        int t1 = tOff + tStride;
        int t2 = t1 + tStride;
        int t3 = t2 + tStride;
        DoubleVector s00 = load(t, tOff);
        DoubleVector s01 = load(t, tOff + L);
        DoubleVector s10 = load(t, t1);
        DoubleVector s11 = load(t, t1 + L);
        DoubleVector s20 = load(t, t2);
        DoubleVector s21 = load(t, t2 + L);
        DoubleVector s30 = load(t, t3);
        DoubleVector s31 = load(t, t3 + L);
        int x1 = x0 + xStride;
        int x2 = x1 + xStride;
        int x3 = x2 + xStride;
        for (int kb = 0; kb < kc; kb += DB) {
            int kEnd = Math.min(kb + DB, kc);
            DoubleVector c00 = DoubleVector.zero(S);
            DoubleVector c01 = c00;
            DoubleVector c10 = c00;
            DoubleVector c11 = c00;
            DoubleVector c20 = c00;
            DoubleVector c21 = c00;
            DoubleVector c30 = c00;
            DoubleVector c31 = c00;
            for (int kk = kb; kk < kEnd; kk++) {
                // s[r, col ..] = fma(x[r, kk], W[col .., kk], s[r, col ..]) for the four rows r
                int wk = wOff + kk * NR;
                DoubleVector w0 = DoubleVector.fromArray(S, w, wk);
                DoubleVector w1 = DoubleVector.fromArray(S, w, wk + L);
                DoubleVector v = DoubleVector.broadcast(S, x[x0 + kk]);
                c00 = v.fma(w0, c00);
                c01 = v.fma(w1, c01);
                v = DoubleVector.broadcast(S, x[x1 + kk]);
                c10 = v.fma(w0, c10);
                c11 = v.fma(w1, c11);
                v = DoubleVector.broadcast(S, x[x2 + kk]);
                c20 = v.fma(w0, c20);
                c21 = v.fma(w1, c21);
                v = DoubleVector.broadcast(S, x[x3 + kk]);
                c30 = v.fma(w0, c30);
                c31 = v.fma(w1, c31);
            }
            // total = total + s
            s00 = s00.add(c00);
            s01 = s01.add(c01);
            s10 = s10.add(c10);
            s11 = s11.add(c11);
            s20 = s20.add(c20);
            s21 = s21.add(c21);
            s30 = s30.add(c30);
            s31 = s31.add(c31);
        }
        int y1 = y0 + yStride;
        int y2 = y1 + yStride;
        int y3 = y2 + yStride;
        s00.intoArray(y, y0);
        s01.intoArray(y, y0 + L);
        s10.intoArray(y, y1);
        s11.intoArray(y, y1 + L);
        s20.intoArray(y, y2);
        s21.intoArray(y, y2 + L);
        s30.intoArray(y, y3);
        s31.intoArray(y, y3 + L);
    }

    // ------------------------------------------------------------------ gates
    //
    // Each gate method runs in passes: elementwise code that writes a gate block's pre-activation
    // into the gh row (scratch once the step has read it), vectors over [0, end) and then the
    // units [end, hidden) one at a time, then a Lanes64 pass applies sigmoid or tanh to the whole
    // block in place (its tail as one blended vector where the arrays have room: the engine pads
    // gh and the Cho GRU's gn), and so on. Neighbouring blocks go in one pass where they can: a GRU's
    // r | z, and when H is not a whole number of vectors an LSTM's i, f | g | o (Lanes64.gates: sigmoid
    // or tanh per lane), so a small layer runs one or two vectors per pass, not a partly used vector per
    // block (each pass is one long dependency chain). Every unit gets the operations of Plain64 in
    // Plain64's order, so the same bits wherever it is computed. The RNN's last units get tanh in the
    // gh row (h is the caller's array, not padded) and are copied to h.

    @Override
    void rnn(boolean relu, double[] xp, int xpOff, double[] gh, int ghOff, double[] h, int hOff, int hidden) {
        int end = S.loopBound(hidden);
        for (int j = 0; j < end; j += L) {
            // a = W_ih x + b_ih + W_hh h + b_hh, clamped
            DoubleVector a = clamp(load(xp, xpOff + j).add(load(gh, ghOff + j)), clip);
            // h_t = relu(a), or a for now and tanh below
            (relu ? relu(a) : a).intoArray(h, hOff + j);
        }
        if (!relu) {
            Lanes64.tanh(h, hOff, h, hOff, end);                           // h_t = tanh(a)
        }
        if (relu || end == hidden) {
            Plain64.rnn(relu, clip, xp, xpOff, gh, ghOff, h, hOff, end, hidden);
            return;
        }
        // the last units: a in the spent gh row, tanh there (one partly used vector of Lanes64 where gh has
        // room: the engine pads it), then h_t; Plain64.rnn's operations, the same bits
        for (int j = end; j < hidden; j++) {
            gh[ghOff + j] = Activations.clamp(xp[xpOff + j] + gh[ghOff + j], clip);
        }
        Lanes64.tanh(gh, ghOff + end, gh, ghOff + end, hidden - end);
        System.arraycopy(gh, ghOff + end, h, hOff + end, hidden - end);
    }

    @Override
    void lstm(double[] p, double[] xp, int xpOff, double[] gh, int ghOff, double[] c, int cOff, double[] m, int mOff,
              int hidden) {
        int end = S.loopBound(hidden);
        int fOff = ghOff + hidden;
        int gOff = ghOff + 2 * hidden;
        int oOff = ghOff + 3 * hidden;
        if (p == null) {
            // without peepholes every gate is clamp(xp + gh), and the four blocks lie side by side in
            // both rows: one pass over all 4H (whole vectors across the blocks, then the last elements)
            clampedSums(xp, xpOff, gh, ghOff, 4 * hidden);
        } else {
            peepholeSums(p, xp, xpOff, gh, ghOff, c, cOff, hidden);
        }
        // i = sigmoid(a_i + p_i c_{t-1}), f = sigmoid(a_f + p_f c_{t-1}), g = tanh(a_g), and without
        // peepholes o = sigmoid(a_o)
        activateGates(gh, ghOff, hidden, p == null ? 4 : 3);
        for (int j = 0; j < end; j += L) {
            // c_t = f * c_{t-1} + i * g, into c and into the spent g block (tanh(c_t) runs there)
            DoubleVector cNew = load(gh, fOff + j).fma(load(c, cOff + j), load(gh, ghOff + j).mul(load(gh, gOff + j)));
            cNew.intoArray(c, cOff + j);
            cNew.intoArray(gh, gOff + j);
            if (p != null) {
                // o sees the new c_t
                clamp(load(p, 2 * hidden + j).fma(cNew, load(gh, oOff + j)), clip).intoArray(gh, oOff + j);
            }
        }
        for (int j = end; j < hidden; j++) {
            double cNew = Math.fma(gh[fOff + j], c[cOff + j], gh[ghOff + j] * gh[gOff + j]);
            c[cOff + j] = cNew;
            gh[gOff + j] = cNew;
            if (p != null) {
                gh[oOff + j] = Activations.clamp(Math.fma(p[2 * hidden + j], cNew, gh[oOff + j]), clip);
            }
        }
        // tanh(c_t), and with peepholes o = sigmoid(a_o + p_o c_t); m = o * tanh(c_t)
        if (p == null) {
            Lanes64.tanh(gh, gOff, gh, gOff, hidden);
        } else if (hidden % L != 0) {
            Lanes64.gates(gh, gOff, 0, hidden, 2 * hidden);
        } else {
            Lanes64.tanh(gh, gOff, gh, gOff, hidden);
            Lanes64.sigmoid(gh, oOff, gh, oOff, hidden);
        }
        for (int j = 0; j < end; j += L) {
            load(gh, oOff + j).mul(load(gh, gOff + j)).intoArray(m, mOff + j);
        }
        for (int j = end; j < hidden; j++) {
            m[mOff + j] = gh[oOff + j] * gh[gOff + j];
        }
    }

    /**
     * The LSTM's pre-activations with peepholes, in place over the gate row: i and f see c_{t-1}
     * ({@code clamp(xp + gh + p c_{t-1})}), g is {@code clamp(xp + gh)}, and o stays {@code xp + gh}
     * (unclamped until it sees c_t); vectors, then the last units one by one.
     */
    private void peepholeSums(double[] p, double[] xp, int xpOff, double[] gh, int ghOff, double[] c, int cOff,
                              int hidden) {
        int end = S.loopBound(hidden);
        int fOff = ghOff + hidden;
        int gOff = ghOff + 2 * hidden;
        int oOff = ghOff + 3 * hidden;
        for (int j = 0; j < end; j += L) {
            DoubleVector cPrev = load(c, cOff + j);
            DoubleVector ai = load(p, j).fma(cPrev, load(xp, xpOff + j).add(load(gh, ghOff + j)));
            DoubleVector af = load(p, hidden + j).fma(cPrev, load(xp, xpOff + hidden + j).add(load(gh, fOff + j)));
            clamp(ai, clip).intoArray(gh, ghOff + j);
            clamp(af, clip).intoArray(gh, fOff + j);
            clamp(load(xp, xpOff + 2 * hidden + j).add(load(gh, gOff + j)), clip).intoArray(gh, gOff + j);
            load(xp, xpOff + 3 * hidden + j).add(load(gh, oOff + j)).intoArray(gh, oOff + j);
        }
        for (int j = end; j < hidden; j++) {
            double cPrev = c[cOff + j];
            gh[ghOff + j] = Activations.clamp(Math.fma(p[j], cPrev, xp[xpOff + j] + gh[ghOff + j]), clip);
            gh[fOff + j] = Activations.clamp(Math.fma(p[hidden + j], cPrev, xp[xpOff + hidden + j] + gh[fOff + j]),
                    clip);
            gh[gOff + j] = Activations.clamp(xp[xpOff + 2 * hidden + j] + gh[gOff + j], clip);
            gh[oOff + j] = xp[xpOff + 3 * hidden + j] + gh[oOff + j];
        }
    }

    /**
     * {@code gh[ghOff + j] = clamp(xp[xpOff + j] + gh[ghOff + j])} for j &lt; n: whole vectors, then the
     * last elements one by one (Plain64's operations, the same bits).
     */
    private void clampedSums(double[] xp, int xpOff, double[] gh, int ghOff, int n) {
        int end = S.loopBound(n);
        for (int j = 0; j < end; j += L) {
            clamp(load(xp, xpOff + j).add(load(gh, ghOff + j)), clip).intoArray(gh, ghOff + j);
        }
        for (int j = end; j < n; j++) {
            gh[ghOff + j] = Activations.clamp(xp[xpOff + j] + gh[ghOff + j], clip);
        }
    }

    /**
     * The LSTM's first activations in place over the gate row: sigmoid on i and f, tanh on g, and
     * sigmoid on o when {@code blocks} is 4. When H is not a whole number of vectors the blocks share
     * vectors in one {@link Lanes64#gates} pass (a small layer: one or two vectors instead of a
     * partly used one per block, each a long dependency chain); else a pass per function.
     */
    private static void activateGates(double[] gh, int ghOff, int hidden, int blocks) {
        if (hidden % L != 0) {
            Lanes64.gates(gh, ghOff, 2 * hidden, 3 * hidden, blocks * hidden);
            return;
        }
        Lanes64.sigmoid(gh, ghOff, gh, ghOff, 2 * hidden);
        Lanes64.tanh(gh, ghOff + 2 * hidden, gh, ghOff + 2 * hidden, hidden);
        if (blocks == 4) {
            Lanes64.sigmoid(gh, ghOff + 3 * hidden, gh, ghOff + 3 * hidden, hidden);
        }
    }

    @Override
    void gru(double[] xp, int xpOff, double[] gh, int ghOff, double[] h, int hOff, int hidden) {
        int n0 = 2 * hidden; // first row of the n block
        int end = S.loopBound(hidden);
        int zOff = ghOff + hidden;
        int nOff = ghOff + n0;
        clampedSums(xp, xpOff, gh, ghOff, 2 * hidden);                       // a_r, a_z: side by side
        // r = sigmoid(a_r), z = sigmoid(a_z): one pass over the two blocks
        Lanes64.sigmoid(gh, ghOff, gh, ghOff, 2 * hidden);
        for (int j = 0; j < end; j += L) {
            // W_in x + b_in + r * (W_hn h_{t-1} + b_hn), clamped
            clamp(load(gh, ghOff + j).fma(load(gh, nOff + j), load(xp, xpOff + n0 + j)), clip).intoArray(gh, nOff + j);
        }
        for (int j = end; j < hidden; j++) {
            gh[nOff + j] = Activations.clamp(Math.fma(gh[ghOff + j], gh[nOff + j], xp[xpOff + n0 + j]), clip);
        }
        Lanes64.tanh(gh, nOff, gh, nOff, hidden);                          // n
        for (int j = 0; j < end; j += L) {
            // h_t = (1 - z) * n + z * h_{t-1}
            update(gh, zOff + j, gh, nOff + j, h, hOff + j);
        }
        for (int j = end; j < hidden; j++) {
            double z = gh[zOff + j];
            h[hOff + j] = (1.0 - z) * gh[nOff + j] + z * h[hOff + j];
        }
    }

    @Override
    void gruReset(double[] xp, int xpOff, double[] gh, int ghOff, double[] h, int hOff, double[] rh, int rhOff,
                  int hidden) {
        int end = S.loopBound(hidden);
        clampedSums(xp, xpOff, gh, ghOff, hidden);                           // a_r
        Lanes64.sigmoid(gh, ghOff, gh, ghOff, hidden);                      // r = sigmoid(a_r)
        for (int j = 0; j < end; j += L) {
            // rh = r * h_{t-1}
            load(gh, ghOff + j).mul(load(h, hOff + j)).intoArray(rh, rhOff + j);
        }
        for (int j = end; j < hidden; j++) {
            rh[rhOff + j] = gh[ghOff + j] * h[hOff + j];
        }
    }

    @Override
    void gruUpdate(double[] xp, int xpOff, double[] gh, int ghOff, double[] gn, int gnOff, double[] h, int hOff,
                   int hidden) {
        int n0 = 2 * hidden; // first row of the n block
        int end = S.loopBound(hidden);
        int zOff = ghOff + hidden;
        clampedSums(xp, xpOff + hidden, gh, zOff, hidden);                   // a_z
        clampedSums(xp, xpOff + n0, gn, gnOff, hidden);                      // W_in x + b_in + W_hn (r * h_{t-1}) + b_hn
        Lanes64.sigmoid(gh, zOff, gh, zOff, hidden);                        // z = sigmoid(a_z)
        Lanes64.tanh(gn, gnOff, gn, gnOff, hidden);                         // n
        for (int j = 0; j < end; j += L) {
            // h_t = (1 - z) * n + z * h_{t-1}
            update(gh, zOff + j, gn, gnOff + j, h, hOff + j);
        }
        for (int j = end; j < hidden; j++) {
            double z = gh[zOff + j];
            h[hOff + j] = (1.0 - z) * gn[gnOff + j] + z * h[hOff + j];
        }
    }

    /**
     * GRU: {@code h[off ..] = (1 - z) * n + z * h[off ..]}, one vector. Arrays in, not vectors: a
     * vector argument of a call C2 does not inline is boxed (allocated), and this helper is just
     * above C2's size for inlining at a cold call site.
     */
    private static void update(double[] zs, int zOff, double[] ns, int nOff, double[] h, int off) {
        DoubleVector z = load(zs, zOff);
        DoubleVector.broadcast(S, 1.0).sub(z).mul(load(ns, nOff)).add(z.mul(load(h, off))).intoArray(h, off);
    }

    // ------------------------------------------------------------------ lanewise functions

    private static DoubleVector load(double[] a, int off) {
        return DoubleVector.fromArray(S, a, off);
    }

    /** {@link Activations#clamp(double, double)}: NaN lanes stay NaN, NaN c is no clip. */
    private static DoubleVector clamp(DoubleVector x, double c) {
        return Double.isNaN(c) ? x : x.max(-c).min(c);
    }

    /** {@link Activations#relu(double)}: {@code x < 0 ? 0 : x}, NaN and -0.0 kept. */
    private static DoubleVector relu(DoubleVector x) {
        return x.blend(0.0, x.lt(0.0));
    }
}

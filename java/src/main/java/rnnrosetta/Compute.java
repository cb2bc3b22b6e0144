package rnnrosetta;

/**
 * The arithmetic of one precision and one code path, for {@link Engine}: the matrix
 * products and the gate equations of one time step. {@code A} is the array type,
 * {@code double[]} or {@code float[]}; everything else (layers, directions, lengths,
 * states, the head) is written once, in {@link Engine}.
 *
 * <p>The classes, by precision (float64 | float32):
 * <ul>
 *   <li>{@link Compute64} | {@link Compute32}: what only the precision decides (rounding the
 *       double weights and the clip bound to it); hand-written, a few lines each;</li>
 *   <li>{@link Plain64} | {@code Plain32}: plain loops, the readable reference;</li>
 *   <li>{@code Vector64} | {@code Vector32} (java/src/vector, compiled against
 *       {@code jdk.incubator.vector}, loaded by name by {@link Kernels}): the hot loops with
 *       the Vector API;</li>
 *   <li>{@link Exact64} | {@link Exact32} ({@link ExactCompute}): the exact kernel, in
 *       double-double, docs/exact-kernel.md.</li>
 * </ul>
 * Plain64 and Vector64 are the only source of the gate math; the build generates Plain32 and
 * Vector32 from them (java/src/float32.sed, see the comment at the top of {@link Plain64}).
 *
 * <p>Every gate method works on one batch row: {@code xp} holds {@code W_ih x_t + b_ih}
 * and {@code gh} holds {@code W_hh h_{t-1} + b_hh}, gate blocks at offsets 0, H, 2H, 3H in
 * the order of {@link Cell}. Gate pre-activations are clamped to the clip bound the
 * instance was made with (NaN: no clipping).
 */
abstract class Compute<A> {
    /** "plain", "vector" or "exact". */
    abstract String name();

    /** A new zero-filled array of n elements. */
    abstract A newArray(int n);

    /** A copy of {@code v} in this precision (float32 rounds each value once); null gives null. */
    abstract A convert(double[] v);

    /**
     * Rows {@code [first, first+n)} of the row-major matrix {@code w} [*, k], with the bias
     * {@code b[first ..]} (null = none), in the layout {@link #linear} wants.
     */
    abstract Matrix<A> matrix(A w, A b, int first, int n, int k);

    /**
     * The product of a block of rows with a matrix (one GEMM, or a matrix-vector product
     * for one row): {@code y[yOff + r*yStride + o] = b[o] + sum_k W[o, k] x[xOff + r*K + k]}
     * for r &lt; rows, o &lt; m.n. Requires {@code yStride >= m.stride}; the columns
     * {@code m.n .. m.stride-1} of each row of y may be overwritten (padding).
     */
    abstract void linear(A x, int xOff, int rows, Matrix<A> m, A y, int yOff, int yStride);

    /** Elman RNN, one row: {@code h_t = phi(clamp(xp + gh))}, phi = tanh or relu. */
    abstract void rnn(boolean relu, A xp, int xpOff, A gh, int ghOff, A h, int hOff, int hidden);

    /**
     * LSTM, one row: gates i, f, g, o (peepholes {@code p} [3H] = p_i, p_f, p_o, or null);
     * {@code c} [H] goes from c_{t-1} to c_t in place; writes {@code m = o * tanh(c_t)} [H]
     * (h_t itself without a projection).
     */
    abstract void lstm(A p, A xp, int xpOff, A gh, int ghOff, A c, int cOff, A m, int mOff, int hidden);

    /**
     * GRU with linear_before_reset, one row: gates r, z, n; {@code h} [H] goes from h_{t-1}
     * to h_t in place.
     */
    abstract void gru(A xp, int xpOff, A gh, int ghOff, A h, int hOff, int hidden);

    /**
     * GRU without linear_before_reset (Cho), first half of a row: {@code r = sigmoid(a_r)},
     * {@code rh = r * h_{t-1}} [H]; gh holds the r and z blocks only.
     */
    abstract void gruReset(A xp, int xpOff, A gh, int ghOff, A h, int hOff, A rh, int rhOff, int hidden);

    /**
     * GRU without linear_before_reset, second half of a row: z, n and h_t, where
     * {@code gn = W_hn (r * h_{t-1}) + b_hn} [H] and gh holds the r and z blocks.
     */
    abstract void gruUpdate(A xp, int xpOff, A gh, int ghOff, A gn, int gnOff, A h, int hOff, int hidden);

    /**
     * LSTM with a projection, one step of the rows b with {@code xpRow[b] >= 0} ({@code xp} row
     * {@code xpRow[b]} of stride xs, {@code gh} [B, ghs], {@code c} [B, H] in place, {@code h}
     * [B, hOut] written; {@code m} [B, H] and {@code p} [B, ps] scratch): by default {@link #lstm}
     * on each row into m, {@code h_t = W_hr m} by {@link #linear} into p, copied into h. A kernel
     * that keeps m in more precision than A (the exact kernel in float32) overrides it.
     */
    void lstmProjected(Matrix<A> hr, A peepholes, int batch, int[] xpRow, A xp, int xs, A gh, int ghs, A c, A m,
                       A p, int ps, A h, int hOut, int hidden) {
        for (int b = 0; b < batch; b++) {
            if (xpRow[b] >= 0) {
                lstm(peepholes, xp, xpRow[b] * xs, gh, b * ghs, c, b * hidden, m, b * hidden, hidden);
            }
        }
        linear(m, 0, batch, hr, p, 0, ps);                                          // [B, P]
        for (int b = 0; b < batch; b++) {
            if (xpRow[b] >= 0) {
                System.arraycopy(p, b * ps, h, b * hOut, hOut);
            }
        }
    }

    /**
     * GRU without linear_before_reset, one step of the rows b with {@code xpRow[b] >= 0}
     * ({@code xp} row {@code xpRow[b]} of stride xs, {@code gh} [B, ghs] the r and z blocks,
     * {@code h} [B, hOut] in place; {@code rh} [B, H] and {@code gn} [B, gns] scratch): by default
     * {@link #gruReset} on each row, {@code gn = W_hn rh + b_hn} by {@link #linear}, then
     * {@link #gruUpdate} on each row. A kernel that carries {@code r * h_{t-1}} in more than
     * one value (the exact kernel) overrides it.
     */
    void gruCho(Matrix<A> hn, int batch, int[] xpRow, A xp, int xs, A gh, int ghs, A h, int hOut, A rh, A gn,
                int gns, int hidden) {
        for (int b = 0; b < batch; b++) {
            if (xpRow[b] >= 0) {
                gruReset(xp, xpRow[b] * xs, gh, b * ghs, h, b * hOut, rh, b * hidden, hidden);
            }
        }
        linear(rh, 0, batch, hn, gn, 0, gns);                                      // [B, H]
        for (int b = 0; b < batch; b++) {
            if (xpRow[b] >= 0) {
                gruUpdate(xp, xpRow[b] * xs, gh, b * ghs, gn, b * gns, h, b * hOut, hidden);
            }
        }
    }

    /**
     * A dense layer or a head on {@code rows} rows of {@code x} [rows, m.k]:
     * {@code y = act(x W^T + b)} into {@code y} [rows, m.n] (the activation over each row). By
     * default {@link #linear} (through {@code padded} [rows, m.stride] when {@code m.stride > m.n};
     * null: a new one), then {@link #activate} on each row; the exact kernel overrides it to
     * activate the unrounded sums.
     */
    void dense(A x, int rows, Matrix<A> m, DenseActivation activation, A y, A padded) {
        int n = m.n();
        if (m.stride() == n) {
            linear(x, 0, rows, m, y, 0, n);
        } else {
            if (padded == null) {
                padded = newArray(Math.multiplyExact(rows, m.stride()));
            }
            linear(x, 0, rows, m, padded, 0, m.stride());
            for (int r = 0; r < rows; r++) {
                System.arraycopy(padded, r * m.stride(), y, r * n, n);
            }
        }
        for (int r = 0; r < rows; r++) {
            activate(activation, y, r * n, n);
        }
    }

    /** In-place softmax of {@code v[off .. off+n)}, max-subtracted. */
    abstract void softmax(A v, int off, int n);

    /**
     * A bidirectional layer's two halves merged elementwise (a chain's {@link Merge} other
     * than CONCAT): {@code out[outOff + j] = f[fOff + j] (+ | * | ave) r[rOff + j]} for j &lt; n,
     * where ave is {@code (f + r) * 0.5}.
     */
    abstract void merge(Merge merge, A f, int fOff, A r, int rOff, A out, int outOff, int n);

    /**
     * In place, {@code v[off .. off+n)} through a dense layer's activation: identity, softmax
     * (max-subtracted), tanh, sigmoid (overflow-free) or relu ({@code v < 0 ? 0 : v}).
     */
    abstract void activate(DenseActivation activation, A v, int off, int n);
}

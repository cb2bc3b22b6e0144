package rnnrosetta;

/**
 * The exact kernel ({@link Kernel#EXACT}), written once for both precisions: docs/exact-kernel.md
 * to the letter, so that its bits equal the numpy and C exact kernels'. The inside of a step is
 * carried in double-double ({@link DoubleDouble}, {@link ExactMath}); each value the net stores
 * (a state, a layer output, a head output) is rounded once, to double ({@link Exact64}) or to
 * float ({@link Exact32}: the float64 algorithm on the float32 values). The dot products and
 * their layout are {@link ExactProducts}; this class holds the gates ("One time step"), the
 * merges and the heads and dense layers ("Heads and dense layers").
 */
abstract class ExactCompute<A> extends ExactProducts<A> {
    /** Gate pre-activations are clipped to [-clip, clip] (already rounded to the precision); NaN = none. */
    final double clip;

    ExactCompute(double clip) {
        this.clip = clip;
    }

    @Override
    final String name() {
        return "exact";
    }

    /** {@code clip(dd_add(gi(o), gh(o)))}: gate o's pre-activation from rows of nXp and nGh outputs. */
    private DoubleDouble gate(A xp, int xpOff, int nXp, A gh, int ghOff, int nGh, int o) {
        return ExactMath.clip(pre(xp, xpOff, nXp, o).add(pre(gh, ghOff, nGh, o)), clip);
    }

    @Override
    final void rnn(boolean relu, A xp, int xpOff, A gh, int ghOff, A h, int hOff, int hidden) {
        for (int j = 0; j < hidden; j++) {
            // h_t = round(phi(clip(gi + gh)))
            DoubleDouble a = gate(xp, xpOff, hidden, gh, ghOff, hidden, j);
            put(h, hOff + j, (relu ? ExactMath.relu(a) : ExactMath.tanh(a)).hi());
        }
    }

    @Override
    final void lstm(A p, A xp, int xpOff, A gh, int ghOff, A c, int cOff, A m, int mOff, int hidden) {
        for (int j = 0; j < hidden; j++) {
            put(m, mOff + j, lstmUnit(p, xp, xpOff, gh, ghOff, c, cOff, hidden, j).hi());
        }
    }

    /**
     * With a projection, m stays a double (it is not a stored value: in float32 it is not rounded
     * to float): per running row, {@code m_j = round(o * tanh(c_t))} for every unit, then
     * {@code h_t[r] = round(finish(add_product(m[k], W_hr[r][k]) for k < H))} (no bias).
     * {@code m} and {@code p} are not used.
     */
    @Override
    final void lstmProjected(Matrix<A> hr, A peepholes, int batch, int[] xpRow, A xp, int xs, A gh, int ghs, A c,
                             A m, A p, int ps, A h, int hOut, int hidden) {
        SplitRow mRow = new SplitRow(hidden);                                        // [H]
        for (int b = 0; b < batch; b++) {
            if (xpRow[b] < 0) {
                continue;
            }
            for (int j = 0; j < hidden; j++) {
                mRow.set(j, lstmUnit(peepholes, xp, xpRow[b] * xs, gh, b * ghs, c, b * hidden, hidden, j).hi());
            }
            for (int r = 0; r < hOut; r++) {
                put(h, b * hOut + r, dot(hr, r, mRow).hi());
            }
        }
    }

    /**
     * LSTM unit j of one row: {@code c[cOff + j]} goes from c_{t-1} to {@code round(c_t)}; returns
     * the double-double {@code m = o * tanh(c_t)}, where
     * <pre>
     *   a_i += two_prod(c_{t-1}, p_i), a_f += two_prod(c_{t-1}, p_f)   (peepholes)
     *   i = sigmoid(clip(a_i)), f = sigmoid(clip(a_f)), g = tanh(clip(a_g))
     *   c_t = f * c_{t-1} + i * g
     *   a_o += c_t * p_o (the double-double c_t);  o = sigmoid(clip(a_o))
     * </pre>
     */
    private DoubleDouble lstmUnit(A p, A xp, int xpOff, A gh, int ghOff, A c, int cOff, int hidden, int j) {
        int n = 4 * hidden;
        double cPrev = at(c, cOff + j);
        DoubleDouble ai = pre(xp, xpOff, n, j).add(pre(gh, ghOff, n, j));
        DoubleDouble af = pre(xp, xpOff, n, hidden + j).add(pre(gh, ghOff, n, hidden + j));
        if (p != null) {
            ai = ai.add(DoubleDouble.twoProd(cPrev, at(p, j)));
            af = af.add(DoubleDouble.twoProd(cPrev, at(p, hidden + j)));
        }
        DoubleDouble i = ExactMath.sigmoid(ExactMath.clip(ai, clip));
        DoubleDouble f = ExactMath.sigmoid(ExactMath.clip(af, clip));
        DoubleDouble g = ExactMath.tanh(gate(xp, xpOff, n, gh, ghOff, n, 2 * hidden + j));
        DoubleDouble cNew = f.mul(DoubleDouble.of(cPrev)).add(i.mul(g));
        DoubleDouble ao = pre(xp, xpOff, n, 3 * hidden + j).add(pre(gh, ghOff, n, 3 * hidden + j));
        if (p != null) {
            ao = ao.add(cNew.mul(DoubleDouble.of(at(p, 2 * hidden + j))));
        }
        DoubleDouble o = ExactMath.sigmoid(ExactMath.clip(ao, clip));
        put(c, cOff + j, cNew.hi());
        return o.mul(ExactMath.tanh(cNew));
    }

    @Override
    final void gru(A xp, int xpOff, A gh, int ghOff, A h, int hOff, int hidden) {
        int n = 3 * hidden;
        for (int j = 0; j < hidden; j++) {
            DoubleDouble r = ExactMath.sigmoid(gate(xp, xpOff, n, gh, ghOff, n, j));
            DoubleDouble z = ExactMath.sigmoid(gate(xp, xpOff, n, gh, ghOff, n, hidden + j));
            // n = tanh(clip(gi_n + r * gh_n))
            DoubleDouble an = pre(xp, xpOff, n, 2 * hidden + j).add(r.mul(pre(gh, ghOff, n, 2 * hidden + j)));
            DoubleDouble nGate = ExactMath.tanh(ExactMath.clip(an, clip));
            put(h, hOff + j, update(z, nGate, at(h, hOff + j)));
        }
    }

    /** {@code round((1 - z) * n + z * h_{t-1})}, the GRU's new state. */
    private static double update(DoubleDouble z, DoubleDouble n, double hPrev) {
        return DoubleDouble.ONE.sub(z).mul(n).add(z.mul(DoubleDouble.of(hPrev))).hi();
    }

    /**
     * GRU without linear_before_reset, for the rows b with {@code xpRow[b] >= 0}: {@code r} and
     * the double-double {@code rh = r * h_{t-1}} of every unit first, then per unit
     * {@code hn = finish(add_term(b_hn); add_product_dd(rh_k, W_hn[j][k]) for k < H)},
     * {@code n = tanh(clip(gi_n + hn))}, z and h_t. {@code rh} and {@code gn} are not used: the
     * double-double rh does not fit them.
     */
    @Override
    final void gruCho(Matrix<A> hn, int batch, int[] xpRow, A xp, int xs, A gh, int ghs, A h, int hOut, A rh,
                      A gn, int gns, int hidden) {
        SplitRow rhHi = new SplitRow(hidden);                                        // [H] rh.hi
        double[] rhLo = new double[hidden];                                          // [H] rh.lo
        int nXp = 3 * hidden;
        int nGh = 2 * hidden;
        for (int b = 0; b < batch; b++) {
            if (xpRow[b] < 0) {
                continue;
            }
            int xpOff = xpRow[b] * xs;
            int ghOff = b * ghs;
            int hOff = b * hOut;
            for (int k = 0; k < hidden; k++) {
                // r = sigmoid(clip(a_r)); rh = r * h_{t-1}
                DoubleDouble r = ExactMath.sigmoid(gate(xp, xpOff, nXp, gh, ghOff, nGh, k));
                DoubleDouble product = r.mul(DoubleDouble.of(at(h, hOff + k)));
                rhHi.set(k, product.hi());
                rhLo[k] = product.lo();
            }
            for (int j = 0; j < hidden; j++) {
                DoubleDouble z = ExactMath.sigmoid(gate(xp, xpOff, nXp, gh, ghOff, nGh, hidden + j));
                // n = tanh(clip(gi_n + (W_hn rh + b_hn)))
                DoubleDouble an = pre(xp, xpOff, nXp, 2 * hidden + j)
                        .add(dot(hn, j, rhHi, rhLo));
                DoubleDouble nGate = ExactMath.tanh(ExactMath.clip(an, clip));
                put(h, hOff + j, update(z, nGate, at(h, hOff + j)));
            }
        }
    }

    /** Not used: {@link #gruCho} runs the whole GRU (Cho) step, rh as a double-double. */
    @Override
    final void gruReset(A xp, int xpOff, A gh, int ghOff, A h, int hOff, A rh, int rhOff, int hidden) {
        throw new UnsupportedOperationException("the exact kernel runs a GRU without linear_before_reset by gruCho");
    }

    /** Not used: {@link #gruCho} runs the whole GRU (Cho) step, rh as a double-double. */
    @Override
    final void gruUpdate(A xp, int xpOff, A gh, int ghOff, A gn, int gnOff, A h, int hOff, int hidden) {
        throw new UnsupportedOperationException("the exact kernel runs a GRU without linear_before_reset by gruCho");
    }

    @Override
    final void softmax(A v, int off, int n) {
        activate(DenseActivation.SOFTMAX, v, off, n);
    }

    @Override
    final void merge(Merge merge, A f, int fOff, A r, int rOff, A out, int outOff, int n) {
        for (int j = 0; j < n; j++) {
            double a = at(f, fOff + j);
            double b = at(r, rOff + j);
            switch (merge) {
                case SUM:
                    put(out, outOff + j, a + b);                    // h_fwd + h_rev
                    break;
                case MUL:
                    put(out, outOff + j, a * b);                    // h_fwd * h_rev
                    break;
                case AVE:
                    put(out, outOff + j, round(a + b) * 0.5);       // (h_fwd + h_rev) * 0.5
                    break;
                default:
                    throw new IllegalArgumentException("merge " + merge + " is not elementwise");
            }
        }
    }

    /** The stored values {@code v[off .. off+n)} through an activation, each as {@code dd(v)}. */
    @Override
    final void activate(DenseActivation activation, A v, int off, int n) {
        DoubleDouble[] row = new DoubleDouble[n];
        for (int i = 0; i < n; i++) {
            row[i] = DoubleDouble.of(at(v, off + i));
        }
        store(activation, row, v, off);
    }

    /**
     * A dense layer or head, docs/exact-kernel.md ("Heads and dense layers"): per row
     * {@code y_pre[o] = finish(add_term(b[o]); add_product(v[k], W[o][k]) for k)} [n], then the
     * activation on the double-doubles and one rounding. {@code padded} is not used.
     */
    @Override
    final void dense(A x, int rows, Matrix<A> m, DenseActivation activation, A y, A padded) {
        int n = m.n();
        int k = m.k();
        SplitRow v = new SplitRow(k);                                                // row r of x [K]
        DoubleDouble[] pre = new DoubleDouble[n];                                    // [O]
        for (int r = 0; r < rows; r++) {
            load(x, r * k, k, v);
            for (int o = 0; o < n; o++) {
                pre[o] = dot(m, o, v);
            }
            store(activation, pre, y, r * n);
        }
    }

    /** {@code y[off + i] = round(act(pre)[i])}: identity, softmax (over the row), tanh, sigmoid, relu. */
    private void store(DenseActivation activation, DoubleDouble[] pre, A y, int off) {
        int n = pre.length;
        if (activation == DenseActivation.SOFTMAX) {
            ExactMath.softmax(pre, n);
        }
        for (int i = 0; i < n; i++) {
            DoubleDouble d;
            switch (activation) {
                case TANH:
                    d = ExactMath.tanh(pre[i]);
                    break;
                case SIGMOID:
                    d = ExactMath.sigmoid(pre[i]);
                    break;
                case RELU:
                    d = ExactMath.relu(pre[i]);
                    break;
                default:
                    d = pre[i];                                     // IDENTITY, SOFTMAX (done above)
                    break;
            }
            put(y, off + i, d.hi());
        }
    }
}

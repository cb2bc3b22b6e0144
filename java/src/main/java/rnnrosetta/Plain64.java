package rnnrosetta;

import java.util.Arrays;

/**
 * The float64 reference: plain loops, weights row-major as given, every product a dot
 * product summed in blocks of k ({@link Matrix#DOT_BLOCK}): each block a chain from 0 in index
 * order, {@code s = (w_kb x_kb + w_kb+1 x_kb+1) + ...}, and the blocks added to the bias in
 * order, {@code ((b + s_0) + s_1) + ...} (the order of the C library's portable product, so the
 * two agree to the bit; the blocks keep the rounding error near BLAS's at large K), the gate
 * equations of docs/fixture-format.md one unit at a time. The static gate methods work on a
 * range {@code [from, to)} of units so that {@code Vector64} can finish a row's last units
 * (fewer than a vector) with them: they use {@link Math#fma} exactly where the vector gates
 * use a lanewise fma (peepholes, {@code c_t}, the GRU's {@code r * gh_n}), and
 * {@link Activations}' sigmoid and tanh, whose vector twins give the same bits, so a unit gets
 * the same bits in a lane and here. Every operation is exactly rounded by the JVM
 * specification (no tier-dependent library function), so the bits are the same on every call,
 * in every JIT tier and every thread, and a row's bits do not depend on the batch.
 *
 * <p>This file is also the template of {@code Plain32}, which the build writes into
 * java/build/gen by applying java/src/float32.sed (so does {@code Vector64} for
 * {@code Vector32}). Why a generated twin and not one generic class: Java generics cannot
 * range over primitive types, and boxing or a functional interface per element would cost
 * the plain path its readability and the vector path its speed. C meets the same problem
 * and compiles each {@code *_impl.h} once per precision (c/src/real.h). The substitution
 * table is short and explicit (types, literals, class names) because this file keeps every
 * precision-specific name in tokens the table maps, and leaves what is not a token
 * substitution (rounding the weights to float32) to {@link Compute64} and
 * {@link Compute32}. tests/test_java_api.py fails when the generated file is stale or
 * still holds a float64 token.
 */
class Plain64 extends Compute64 {
    Plain64(double clip) {
        super(clip);
    }

    @Override
    String name() {
        return "plain";
    }

    @Override
    double[] newArray(int n) {
        return new double[n];
    }

    @Override
    Matrix<double[]> matrix(double[] w, double[] b, int first, int n, int k) {
        return new Matrix<>(Arrays.copyOfRange(w, first * k, (first + n) * k),
                b == null ? null : Arrays.copyOfRange(b, first, first + n), n, k, n);
    }

    @Override
    void linear(double[] x, int xOff, int rows, Matrix<double[]> m, double[] y, int yOff, int yStride) {
        int kAll = m.k();
        for (int r = 0; r < rows; r++) {
            int xRow = xOff + r * kAll;
            for (int o = 0; o < m.n(); o++) {
                // y[r, o] = b[o] + sum_k W[o, k] x[r, k] in blocks of k (Matrix.DOT_BLOCK):
                //   total = b[o]; for each block [kb, kb + DOT_BLOCK):
                //     s = 0; s = s + W[o, k] x[r, k] for k ascending; total = total + s
                double total = m.bias() == null ? 0.0 : m.bias()[o];
                int wRow = o * kAll;
                for (int kb = 0; kb < kAll; kb += Matrix.DOT_BLOCK) {
                    int kEnd = Math.min(kb + Matrix.DOT_BLOCK, kAll);
                    double s = 0.0;
                    for (int k = kb; k < kEnd; k++) {
                        s += m.w()[wRow + k] * x[xRow + k];
                    }
                    total += s;
                }
                y[yOff + r * yStride + o] = total;
            }
        }
    }

    @Override
    void rnn(boolean relu, double[] xp, int xpOff, double[] gh, int ghOff, double[] h, int hOff, int hidden) {
        rnn(relu, clip, xp, xpOff, gh, ghOff, h, hOff, 0, hidden);
    }

    @Override
    void lstm(double[] p, double[] xp, int xpOff, double[] gh, int ghOff, double[] c, int cOff, double[] m, int mOff,
              int hidden) {
        lstm(p, clip, xp, xpOff, gh, ghOff, c, cOff, m, mOff, hidden, 0, hidden);
    }

    @Override
    void gru(double[] xp, int xpOff, double[] gh, int ghOff, double[] h, int hOff, int hidden) {
        gru(clip, xp, xpOff, gh, ghOff, h, hOff, hidden, 0, hidden);
    }

    @Override
    void gruReset(double[] xp, int xpOff, double[] gh, int ghOff, double[] h, int hOff, double[] rh, int rhOff,
                  int hidden) {
        gruReset(clip, xp, xpOff, gh, ghOff, h, hOff, rh, rhOff, 0, hidden);
    }

    @Override
    void gruUpdate(double[] xp, int xpOff, double[] gh, int ghOff, double[] gn, int gnOff, double[] h, int hOff,
                   int hidden) {
        gruUpdate(clip, xp, xpOff, gh, ghOff, gn, gnOff, h, hOff, hidden, 0, hidden);
    }

    @Override
    void softmax(double[] v, int off, int n) {
        Activations.softmax(v, off, n);
    }

    @Override
    void merge(Merge merge, double[] f, int fOff, double[] r, int rOff, double[] out, int outOff, int n) {
        for (int j = 0; j < n; j++) {
            double a = f[fOff + j];
            double b = r[rOff + j];
            switch (merge) {
                case SUM:
                    out[outOff + j] = a + b;                // h_fwd + h_rev
                    break;
                case MUL:
                    out[outOff + j] = a * b;                // h_fwd * h_rev
                    break;
                case AVE:
                    out[outOff + j] = (a + b) * 0.5;        // (h_fwd + h_rev) * 0.5
                    break;
                default:
                    throw new IllegalArgumentException("merge " + merge + " is not elementwise");
            }
        }
    }

    @Override
    void activate(DenseActivation activation, double[] v, int off, int n) {
        switch (activation) {
            case IDENTITY:
                return;
            case SOFTMAX:
                Activations.softmax(v, off, n);
                return;
            default:
                break;
        }
        for (int j = off; j < off + n; j++) {
            switch (activation) {
                case TANH:
                    v[j] = Activations.tanh(v[j]);
                    break;
                case SIGMOID:
                    v[j] = Activations.sigmoid(v[j]);
                    break;
                default:
                    v[j] = Activations.relu(v[j]);          // RELU
                    break;
            }
        }
    }

    /** Elman RNN, units [from, to): {@code h_t = phi(clamp(xp + gh))}. */
    static void rnn(boolean relu, double clip, double[] xp, int xpOff, double[] gh, int ghOff,
                    double[] h, int hOff, int from, int to) {
        for (int j = from; j < to; j++) {
            // a = W_ih x + b_ih + W_hh h + b_hh, clamped
            double a = Activations.clamp(xp[xpOff + j] + gh[ghOff + j], clip);
            // h_t = phi(a)
            h[hOff + j] = relu ? Activations.relu(a) : Activations.tanh(a);
        }
    }

    /** LSTM, units [from, to); see {@link Compute#lstm}. */
    static void lstm(double[] p, double clip, double[] xp, int xpOff, double[] gh, int ghOff,
                     double[] c, int cOff, double[] m, int mOff, int hidden, int from, int to) {
        for (int j = from; j < to; j++) {
            double cPrev = c[cOff + j];
            double ai = xp[xpOff + j] + gh[ghOff + j];
            double af = xp[xpOff + hidden + j] + gh[ghOff + hidden + j];
            double ag = xp[xpOff + 2 * hidden + j] + gh[ghOff + 2 * hidden + j];
            double ao = xp[xpOff + 3 * hidden + j] + gh[ghOff + 3 * hidden + j];
            if (p != null) {
                // i and f see c_{t-1}: a_i + p_i c_{t-1} in one fma (as the vector kernel)
                ai = Math.fma(p[j], cPrev, ai);
                af = Math.fma(p[hidden + j], cPrev, af);
            }
            // i = sigmoid(a_i + p_i c_{t-1}), f = sigmoid(a_f + p_f c_{t-1}), g = tanh(a_g)
            double i = Activations.sigmoid(Activations.clamp(ai, clip));
            double f = Activations.sigmoid(Activations.clamp(af, clip));
            double g = Activations.tanh(Activations.clamp(ag, clip));
            // c_t = f * c_{t-1} + i * g: fma(f, c_{t-1}, round(i * g))
            double cNew = Math.fma(f, cPrev, i * g);
            if (p != null) {
                // o sees the new c_t
                ao = Math.fma(p[2 * hidden + j], cNew, ao);
            }
            // o = sigmoid(a_o + p_o c_t)
            double o = Activations.sigmoid(Activations.clamp(ao, clip));
            c[cOff + j] = cNew;
            // m = o * tanh(c_t)
            m[mOff + j] = o * Activations.tanh(cNew);
        }
    }

    /** GRU with linear_before_reset, units [from, to). */
    static void gru(double clip, double[] xp, int xpOff, double[] gh, int ghOff, double[] h, int hOff,
                    int hidden, int from, int to) {
        int n0 = 2 * hidden; // first row of the n block
        for (int j = from; j < to; j++) {
            // r = sigmoid(a_r), z = sigmoid(a_z)
            double r = Activations.sigmoid(Activations.clamp(xp[xpOff + j] + gh[ghOff + j], clip));
            double z = Activations.sigmoid(
                    Activations.clamp(xp[xpOff + hidden + j] + gh[ghOff + hidden + j], clip));
            // n = tanh(W_in x + b_in + r * (W_hn h_{t-1} + b_hn)): fma(r, gh_n, xp_n)
            double n = Activations.tanh(
                    Activations.clamp(Math.fma(r, gh[ghOff + n0 + j], xp[xpOff + n0 + j]), clip));
            // h_t = (1 - z) * n + z * h_{t-1}
            h[hOff + j] = (1.0 - z) * n + z * h[hOff + j];
        }
    }

    /** GRU without linear_before_reset, first half, units [from, to): r and rh = r * h_{t-1}. */
    static void gruReset(double clip, double[] xp, int xpOff, double[] gh, int ghOff, double[] h, int hOff,
                         double[] rh, int rhOff, int from, int to) {
        for (int j = from; j < to; j++) {
            // r = sigmoid(a_r); rh = r * h_{t-1}
            double r = Activations.sigmoid(Activations.clamp(xp[xpOff + j] + gh[ghOff + j], clip));
            rh[rhOff + j] = r * h[hOff + j];
        }
    }

    /** GRU without linear_before_reset, second half, units [from, to): z, n, h_t. */
    static void gruUpdate(double clip, double[] xp, int xpOff, double[] gh, int ghOff, double[] gn, int gnOff,
                          double[] h, int hOff, int hidden, int from, int to) {
        int n0 = 2 * hidden; // first row of the n block
        for (int j = from; j < to; j++) {
            // z = sigmoid(a_z)
            double z = Activations.sigmoid(
                    Activations.clamp(xp[xpOff + hidden + j] + gh[ghOff + hidden + j], clip));
            // n = tanh(W_in x + b_in + W_hn (r * h_{t-1}) + b_hn)
            double n = Activations.tanh(Activations.clamp(xp[xpOff + n0 + j] + gn[gnOff + j], clip));
            // h_t = (1 - z) * n + z * h_{t-1}
            h[hOff + j] = (1.0 - z) * n + z * h[hOff + j];
        }
    }
}

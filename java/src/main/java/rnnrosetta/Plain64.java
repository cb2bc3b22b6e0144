package rnnrosetta;

import java.util.Arrays;

/**
 * The float64 reference: plain loops, weights row-major as given, every product a dot
 * product added in index order ({@link Linalg}), the gate equations of fixture-format.md
 * one unit at a time. The static gate methods work on a range {@code [from, to)} of units
 * so that {@code Vector64} can finish a row's last units (fewer than a vector) with them.
 */
class Plain64 extends Compute<double[]> {
    @Override
    String name() {
        return "plain";
    }

    @Override
    double[] newArray(int n) {
        return new double[n];
    }

    @Override
    double[] convert(double[] v) {
        return v == null ? null : v.clone();
    }

    @Override
    Matrix<double[]> matrix(double[] w, double[] b, int first, int n, int k) {
        return new Matrix<>(Arrays.copyOfRange(w, first * k, (first + n) * k),
                b == null ? null : Arrays.copyOfRange(b, first, first + n), n, k, n);
    }

    @Override
    void linear(double[] x, int xOff, int rows, Matrix<double[]> m, double[] y, int yOff, int yStride) {
        for (int r = 0; r < rows; r++) {
            // y_r = W x_r + b                                              [n]
            Linalg.matVec(m.w, 0, m.n, m.k, m.bias, x, xOff + r * m.k, y, yOff + r * yStride);
        }
    }

    @Override
    void rnn(boolean relu, double clip, double[] xp, int xpOff, double[] gh, int ghOff, double[] h, int hOff,
             int hidden) {
        rnn(relu, clip, xp, xpOff, gh, ghOff, h, hOff, 0, hidden);
    }

    @Override
    void lstm(double[] p, double clip, double[] xp, int xpOff, double[] gh, int ghOff, double[] c, int cOff,
              double[] m, int mOff, int hidden) {
        lstm(p, clip, xp, xpOff, gh, ghOff, c, cOff, m, mOff, hidden, 0, hidden);
    }

    @Override
    void gru(double clip, double[] xp, int xpOff, double[] gh, int ghOff, double[] h, int hOff, int hidden) {
        gru(clip, xp, xpOff, gh, ghOff, h, hOff, hidden, 0, hidden);
    }

    @Override
    void gruReset(double clip, double[] xp, int xpOff, double[] gh, int ghOff, double[] h, int hOff,
                  double[] rh, int rhOff, int hidden) {
        gruReset(clip, xp, xpOff, gh, ghOff, h, hOff, rh, rhOff, 0, hidden);
    }

    @Override
    void gruUpdate(double clip, double[] xp, int xpOff, double[] gh, int ghOff, double[] gn, int gnOff,
                   double[] h, int hOff, int hidden) {
        gruUpdate(clip, xp, xpOff, gh, ghOff, gn, gnOff, h, hOff, hidden, 0, hidden);
    }

    @Override
    void softmax(double[] v, int off, int n) {
        Activations.softmax(v, off, n);
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
                // i and f see c_{t-1}
                ai += p[j] * cPrev;
                af += p[hidden + j] * cPrev;
            }
            // i = sigmoid(a_i + p_i c_{t-1}), f = sigmoid(a_f + p_f c_{t-1}), g = tanh(a_g)
            double i = Activations.sigmoid(Activations.clamp(ai, clip));
            double f = Activations.sigmoid(Activations.clamp(af, clip));
            double g = Activations.tanh(Activations.clamp(ag, clip));
            // c_t = f * c_{t-1} + i * g
            double cNew = f * cPrev + i * g;
            if (p != null) {
                // o sees the new c_t
                ao += p[2 * hidden + j] * cNew;
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
            // n = tanh(W_in x + b_in + r * (W_hn h_{t-1} + b_hn))
            double n = Activations.tanh(
                    Activations.clamp(xp[xpOff + n0 + j] + r * gh[ghOff + n0 + j], clip));
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

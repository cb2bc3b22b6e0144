package rnnrosetta;

import java.util.Arrays;

/**
 * The float32 reference: {@link Plain64} computing in float. Weights are rounded to float
 * once, at construction; every sum, product and activation is a float operation (exp and
 * tanh of the float value, rounded back). The static gate methods work on a range
 * {@code [from, to)} of units so that {@code Vector32} can finish a row with them.
 */
class Plain32 extends Compute<float[]> {
    @Override
    String name() {
        return "plain";
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
    Matrix<float[]> matrix(double[] w, double[] b, int first, int n, int k) {
        return new Matrix<>(convert(Arrays.copyOfRange(w, first * k, (first + n) * k)),
                b == null ? null : convert(Arrays.copyOfRange(b, first, first + n)), n, k, n);
    }

    @Override
    void linear(float[] x, int xOff, int rows, Matrix<float[]> m, float[] y, int yOff, int yStride) {
        for (int r = 0; r < rows; r++) {
            int xRow = xOff + r * m.k;
            for (int o = 0; o < m.n; o++) {
                // y[r, o] = b[o] + sum_k W[o, k] x[r, k], added in index order
                float s = m.bias == null ? 0.0f : m.bias[o];
                int wRow = o * m.k;
                for (int k = 0; k < m.k; k++) {
                    s += m.w[wRow + k] * x[xRow + k];
                }
                y[yOff + r * yStride + o] = s;
            }
        }
    }

    @Override
    void rnn(boolean relu, double clip, float[] xp, int xpOff, float[] gh, int ghOff, float[] h, int hOff,
             int hidden) {
        rnn(relu, (float) clip, xp, xpOff, gh, ghOff, h, hOff, 0, hidden);
    }

    @Override
    void lstm(float[] p, double clip, float[] xp, int xpOff, float[] gh, int ghOff, float[] c, int cOff,
              float[] m, int mOff, int hidden) {
        lstm(p, (float) clip, xp, xpOff, gh, ghOff, c, cOff, m, mOff, hidden, 0, hidden);
    }

    @Override
    void gru(double clip, float[] xp, int xpOff, float[] gh, int ghOff, float[] h, int hOff, int hidden) {
        gru((float) clip, xp, xpOff, gh, ghOff, h, hOff, hidden, 0, hidden);
    }

    @Override
    void gruReset(double clip, float[] xp, int xpOff, float[] gh, int ghOff, float[] h, int hOff,
                  float[] rh, int rhOff, int hidden) {
        gruReset((float) clip, xp, xpOff, gh, ghOff, h, hOff, rh, rhOff, 0, hidden);
    }

    @Override
    void gruUpdate(double clip, float[] xp, int xpOff, float[] gh, int ghOff, float[] gn, int gnOff,
                   float[] h, int hOff, int hidden) {
        gruUpdate((float) clip, xp, xpOff, gh, ghOff, gn, gnOff, h, hOff, hidden, 0, hidden);
    }

    @Override
    void softmax(float[] v, int off, int n) {
        Activations.softmax(v, off, n);
    }

    /** Elman RNN, units [from, to): {@code h_t = phi(clamp(xp + gh))}. */
    static void rnn(boolean relu, float clip, float[] xp, int xpOff, float[] gh, int ghOff,
                    float[] h, int hOff, int from, int to) {
        for (int j = from; j < to; j++) {
            // a = W_ih x + b_ih + W_hh h + b_hh, clamped
            float a = Activations.clamp(xp[xpOff + j] + gh[ghOff + j], clip);
            // h_t = phi(a)
            h[hOff + j] = relu ? Activations.relu(a) : Activations.tanh(a);
        }
    }

    /** LSTM, units [from, to); see {@link Compute#lstm}. */
    static void lstm(float[] p, float clip, float[] xp, int xpOff, float[] gh, int ghOff,
                     float[] c, int cOff, float[] m, int mOff, int hidden, int from, int to) {
        for (int j = from; j < to; j++) {
            float cPrev = c[cOff + j];
            float ai = xp[xpOff + j] + gh[ghOff + j];
            float af = xp[xpOff + hidden + j] + gh[ghOff + hidden + j];
            float ag = xp[xpOff + 2 * hidden + j] + gh[ghOff + 2 * hidden + j];
            float ao = xp[xpOff + 3 * hidden + j] + gh[ghOff + 3 * hidden + j];
            if (p != null) {
                // i and f see c_{t-1}
                ai += p[j] * cPrev;
                af += p[hidden + j] * cPrev;
            }
            // i = sigmoid(a_i + p_i c_{t-1}), f = sigmoid(a_f + p_f c_{t-1}), g = tanh(a_g)
            float i = Activations.sigmoid(Activations.clamp(ai, clip));
            float f = Activations.sigmoid(Activations.clamp(af, clip));
            float g = Activations.tanh(Activations.clamp(ag, clip));
            // c_t = f * c_{t-1} + i * g
            float cNew = f * cPrev + i * g;
            if (p != null) {
                // o sees the new c_t
                ao += p[2 * hidden + j] * cNew;
            }
            // o = sigmoid(a_o + p_o c_t)
            float o = Activations.sigmoid(Activations.clamp(ao, clip));
            c[cOff + j] = cNew;
            // m = o * tanh(c_t)
            m[mOff + j] = o * Activations.tanh(cNew);
        }
    }

    /** GRU with linear_before_reset, units [from, to). */
    static void gru(float clip, float[] xp, int xpOff, float[] gh, int ghOff, float[] h, int hOff,
                    int hidden, int from, int to) {
        int n0 = 2 * hidden; // first row of the n block
        for (int j = from; j < to; j++) {
            // r = sigmoid(a_r), z = sigmoid(a_z)
            float r = Activations.sigmoid(Activations.clamp(xp[xpOff + j] + gh[ghOff + j], clip));
            float z = Activations.sigmoid(
                    Activations.clamp(xp[xpOff + hidden + j] + gh[ghOff + hidden + j], clip));
            // n = tanh(W_in x + b_in + r * (W_hn h_{t-1} + b_hn))
            float n = Activations.tanh(
                    Activations.clamp(xp[xpOff + n0 + j] + r * gh[ghOff + n0 + j], clip));
            // h_t = (1 - z) * n + z * h_{t-1}
            h[hOff + j] = (1.0f - z) * n + z * h[hOff + j];
        }
    }

    /** GRU without linear_before_reset, first half, units [from, to): r and rh = r * h_{t-1}. */
    static void gruReset(float clip, float[] xp, int xpOff, float[] gh, int ghOff, float[] h, int hOff,
                         float[] rh, int rhOff, int from, int to) {
        for (int j = from; j < to; j++) {
            // r = sigmoid(a_r); rh = r * h_{t-1}
            float r = Activations.sigmoid(Activations.clamp(xp[xpOff + j] + gh[ghOff + j], clip));
            rh[rhOff + j] = r * h[hOff + j];
        }
    }

    /** GRU without linear_before_reset, second half, units [from, to): z, n, h_t. */
    static void gruUpdate(float clip, float[] xp, int xpOff, float[] gh, int ghOff, float[] gn, int gnOff,
                          float[] h, int hOff, int hidden, int from, int to) {
        int n0 = 2 * hidden; // first row of the n block
        for (int j = from; j < to; j++) {
            // z = sigmoid(a_z)
            float z = Activations.sigmoid(
                    Activations.clamp(xp[xpOff + hidden + j] + gh[ghOff + hidden + j], clip));
            // n = tanh(W_in x + b_in + W_hn (r * h_{t-1}) + b_hn)
            float n = Activations.tanh(Activations.clamp(xp[xpOff + n0 + j] + gn[gnOff + j], clip));
            // h_t = (1 - z) * n + z * h_{t-1}
            h[hOff + j] = (1.0f - z) * n + z * h[hOff + j];
        }
    }
}

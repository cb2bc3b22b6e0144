package rnnrosetta;

/**
 * One time step of one batch row for each cell. The input projection
 * {@code xp = W_ih x_t + b_ih} [G*H] has been computed for the whole sequence beforehand;
 * each step adds {@code gh = W_hh h_{t-1} + b_hh} and applies the gate equations of
 * fixture-format.md. State vectors are updated in place. {@code clip} is NaN when there
 * is no clipping (then {@link Activations#clamp} is the identity).
 */
final class Cells {
    private Cells() {
    }

    /**
     * Elman RNN: {@code h_t = phi(clamp(xp + W_hh h_{t-1} + b_hh))}, phi = tanh or relu.
     *
     * @param h  h_{t-1} at {@code h[hOff .. hOff+H)}, overwritten with h_t
     * @param gh scratch [H]
     */
    static void rnn(LayerWeights w, int hidden, boolean relu, double clip,
                    double[] xp, int xpOff, double[] h, int hOff, double[] gh) {
        // gh = W_hh h_{t-1} + b_hh                                   [H]
        Linalg.matVec(w.weightHh, 0, hidden, hidden, w.biasHh, h, hOff, gh, 0);
        for (int j = 0; j < hidden; j++) {
            // a = W_ih x + b_ih + W_hh h + b_hh, clamped
            double a = Activations.clamp(xp[xpOff + j] + gh[j], clip);
            // h_t = phi(a)
            h[hOff + j] = relu ? Activations.relu(a) : Activations.tanh(a);
        }
    }

    /**
     * LSTM, gates i, f, g, o, optional peepholes and projection.
     *
     * @param h    h_{t-1} [H_out] at hOff, overwritten with h_t
     * @param c    c_{t-1} [H] at cOff, overwritten with c_t
     * @param gh   scratch [4H]
     * @param m    scratch [H] (o * tanh(c_t) before the projection)
     */
    static void lstm(LayerWeights w, int hidden, int proj, double clip, double[] xp, int xpOff,
                     double[] h, int hOff, double[] c, int cOff, double[] gh, double[] m) {
        int hOut = proj > 0 ? proj : hidden;
        double[] p = w.peepholes; // [3H] = p_i, p_f, p_o, or null
        // gh = W_hh h_{t-1} + b_hh                                   [4H]
        Linalg.matVec(w.weightHh, 0, 4 * hidden, hOut, w.biasHh, h, hOff, gh, 0);
        for (int j = 0; j < hidden; j++) {
            double cPrev = c[cOff + j];
            double ai = xp[xpOff + j] + gh[j];
            double af = xp[xpOff + hidden + j] + gh[hidden + j];
            double ag = xp[xpOff + 2 * hidden + j] + gh[2 * hidden + j];
            double ao = xp[xpOff + 3 * hidden + j] + gh[3 * hidden + j];
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
            m[j] = o * Activations.tanh(cNew);
        }
        if (proj > 0) {
            // h_t = W_hr m                                           [P]
            Linalg.matVec(w.weightHr, 0, proj, hidden, null, m, 0, h, hOff);
        } else {
            // h_t = m                                                [H]
            System.arraycopy(m, 0, h, hOff, hidden);
        }
    }

    /**
     * GRU, gates r, z, n.
     *
     * @param h    h_{t-1} [H] at hOff, overwritten with h_t
     * @param gh   scratch [3H]
     * @param rh   scratch [H] (r * h_{t-1}, linearBeforeReset = false only)
     */
    static void gru(LayerWeights w, int hidden, boolean linearBeforeReset, double clip,
                    double[] xp, int xpOff, double[] h, int hOff, double[] gh, double[] rh) {
        int n0 = 2 * hidden; // first row of the n block
        if (linearBeforeReset) {
            // gh = W_hh h_{t-1} + b_hh                               [3H]
            Linalg.matVec(w.weightHh, 0, 3 * hidden, hidden, w.biasHh, h, hOff, gh, 0);
            for (int j = 0; j < hidden; j++) {
                // r = sigmoid(a_r), z = sigmoid(a_z)
                double r = Activations.sigmoid(Activations.clamp(xp[xpOff + j] + gh[j], clip));
                double z = Activations.sigmoid(
                        Activations.clamp(xp[xpOff + hidden + j] + gh[hidden + j], clip));
                // n = tanh(W_in x + b_in + r * (W_hn h_{t-1} + b_hn))
                double n = Activations.tanh(
                        Activations.clamp(xp[xpOff + n0 + j] + r * gh[n0 + j], clip));
                // h_t = (1 - z) * n + z * h_{t-1}
                h[hOff + j] = (1.0 - z) * n + z * h[hOff + j];
            }
            return;
        }
        // gh[0 .. 2H) = W_hr,z h_{t-1} + b_hr,z                      [2H]
        Linalg.matVec(w.weightHh, 0, n0, hidden, w.biasHh, h, hOff, gh, 0);
        for (int j = 0; j < hidden; j++) {
            // r = sigmoid(a_r); rh = r * h_{t-1}
            double r = Activations.sigmoid(Activations.clamp(xp[xpOff + j] + gh[j], clip));
            rh[j] = r * h[hOff + j];
        }
        // gh[2H .. 3H) = W_hn (r * h_{t-1}) + b_hn                   [H]
        Linalg.matVec(w.weightHh, n0, hidden, hidden, w.biasHh, rh, 0, gh, n0);
        for (int j = 0; j < hidden; j++) {
            // z = sigmoid(a_z)
            double z = Activations.sigmoid(
                    Activations.clamp(xp[xpOff + hidden + j] + gh[hidden + j], clip));
            // n = tanh(W_in x + b_in + W_hn (r * h_{t-1}) + b_hn)
            double n = Activations.tanh(Activations.clamp(xp[xpOff + n0 + j] + gh[n0 + j], clip));
            // h_t = (1 - z) * n + z * h_{t-1}
            h[hOff + j] = (1.0 - z) * n + z * h[hOff + j];
        }
    }
}

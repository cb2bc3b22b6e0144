package rnnrosetta;

import java.util.ArrayList;
import java.util.List;

/**
 * The computation of a net, written once for both precisions: layers, directions,
 * variable lengths, states and the head, with the arithmetic left to a {@link Compute}
 * ({@code A} = double[] or float[]). The weights are stored once, at construction, in the
 * layout the {@link Compute} wants. Arguments are validated by the caller
 * ({@link Net}, {@link Net32}); immutable, each call allocates its own scratch.
 *
 * <p>One direction of one layer runs as: the input projection {@code xp = X W_ih^T + b_ih}
 * for all T*B rows as one matrix product, then per time step the recurrent product
 * {@code gh = H W_hh^T + b_hh} for the B rows at once (a matrix-vector product when B = 1)
 * and the gate equations row by row. A row stops at its own length: the reverse direction
 * reads row b from t = L_b-1 down to 0 and writes each h_t at the position it read.
 */
final class Engine<A> {
    /** The weights of one direction of one layer, in the {@link Compute}'s layout. */
    private static final class Layer<A> {
        /** W_ih, b_ih [G*H, I_l]. */
        final Matrix<A> ih;
        /** W_hh, b_hh [G*H, H_out]; for a GRU without linear_before_reset the r, z rows [2H, H] only. */
        final Matrix<A> hh;
        /** GRU without linear_before_reset: W_hn, b_hn [H, H]; else null. */
        final Matrix<A> hn;
        /** LSTM projection W_hr [P, H], no bias; else null. */
        final Matrix<A> hr;
        /** LSTM peepholes [3H] = p_i, p_f, p_o, or null. */
        final A peepholes;

        Layer(Config config, Compute<A> compute, LayerWeights w, int layer) {
            int g = config.gates();
            int h = config.hiddenSize();
            int hOut = config.outputSize();
            boolean cho = config.cell() == Cell.GRU && !config.linearBeforeReset();
            A weightHh = compute.convert(w.weightHh);
            A biasHh = compute.convert(w.biasHh);
            ih = compute.matrix(compute.convert(w.weightIh), compute.convert(w.biasIh), 0, g * h,
                    config.layerInputSize(layer));
            hh = compute.matrix(weightHh, biasHh, 0, cho ? 2 * h : g * h, hOut);
            hn = cho ? compute.matrix(weightHh, biasHh, 2 * h, h, hOut) : null;
            hr = config.projSize() > 0 ? compute.matrix(compute.convert(w.weightHr), null, 0, config.projSize(), h)
                    : null;
            peepholes = compute.convert(w.peepholes);
        }
    }

    private final Config config;
    private final Compute<A> compute;
    private final List<Layer<A>> layers; // index l*D + d
    private final Matrix<A> head;        // W_y, b_y [O, D*H_out], or null

    /** Copies the (validated) weights into the layout {@code compute} wants. */
    Engine(Config config, Compute<A> compute, LayerWeights[][] weights, double[] headWeight, double[] headBias) {
        this.config = config;
        this.compute = compute;
        this.layers = new ArrayList<>();
        for (int l = 0; l < config.numLayers(); l++) {
            for (int d = 0; d < config.numDirections(); d++) {
                layers.add(new Layer<>(config, compute, weights[l][d], l));
            }
        }
        this.head = config.hasHead() ? compute.matrix(compute.convert(headWeight), compute.convert(headBias), 0,
                config.headSize(), config.numDirections() * config.outputSize()) : null;
    }

    /** "plain" or "vector". */
    String kernelName() {
        return compute.name();
    }

    /**
     * The whole computation on validated arguments: x [T, B, I], h0 [L*D, B, H_out] or null,
     * c0 [L*D, B, H] or null, {@code lens} every length.
     */
    Result<A> run(int seqLen, int batch, A x, A h0, A c0, int[] lens) {
        int dirs = config.numDirections();
        int hOut = config.outputSize();
        int rows = seqLen * batch;
        int states = config.numLayers() * dirs;
        A hN = compute.newArray(states * batch * hOut);                                  // [L*D, B, H_out]
        A cN = config.cell() == Cell.LSTM
                ? compute.newArray(states * batch * config.hiddenSize()) : null;          // [L*D, B, H]
        A in = x;                                                                         // [T, B, I_l]
        for (int l = 0; l < config.numLayers(); l++) {
            A out = compute.newArray(rows * dirs * hOut);                                 // [T, B, D*H_out]
            for (int d = 0; d < dirs; d++) {
                boolean reverse = config.direction() == Direction.REVERSE || d == 1;
                direction(layers.get(l * dirs + d), reverse, seqLen, batch, lens, in, h0, c0,
                        l * dirs + d, out, d, hN, cN);
            }
            in = out;
        }
        A y = null;
        if (head != null) {
            // y = act(W_y output + b_y) on every row (padded ones too)                   [T*B, O]
            int o = config.headSize();
            y = linearExact(in, rows, head);
            if (config.head() == HeadActivation.SOFTMAX) {
                for (int r = 0; r < rows; r++) {
                    compute.softmax(y, r * o, o);
                }
            }
        }
        return new Result<>(in, hN, cN, y, seqLen, batch);
    }

    /**
     * One direction of one layer over the sequence.
     *
     * @param in  the layer input [T, B, I_l]
     * @param s   the state index l*D + d: h0/c0 are read from it, hN/cN written to it
     * @param out the layer output [T, B, D*H_out]; this direction writes columns d*H_out ..
     */
    private void direction(Layer<A> w, boolean reverse, int seqLen, int batch, int[] lens, A in, A h0, A c0,
                           int s, A out, int d, A hN, A cN) {
        int hidden = config.hiddenSize();
        int hOut = config.outputSize();
        int outStride = config.numDirections() * hOut;
        boolean relu = config.nonlinearity() == Nonlinearity.RELU;
        Cell cell = config.cell();

        // xp = X W_ih^T + b_ih for all time steps at once                           [T*B, G*H]
        int xs = w.ih.stride();
        A xp = compute.newArray(size(seqLen * batch, xs));
        compute.linear(in, 0, seqLen * batch, w.ih, xp, 0, xs);

        A h = compute.newArray(batch * hOut);                                        // [B, H_out]
        if (h0 != null) {
            System.arraycopy(h0, s * batch * hOut, h, 0, batch * hOut);
        }
        A c = null;                                                                  // [B, H]
        if (cell == Cell.LSTM) {
            c = compute.newArray(batch * hidden);
            if (c0 != null) {
                System.arraycopy(c0, s * batch * hidden, c, 0, batch * hidden);
            }
        }
        int ghs = w.hh.stride();
        A gh = compute.newArray(size(batch, ghs));                                   // [B, G*H]
        // LSTM with a projection: m = o * tanh(c_t) and W_hr m; GRU (Cho): r * h_{t-1} and W_hn (r * h_{t-1})
        A m = w.hr != null || w.hn != null ? compute.newArray(batch * hidden) : null; // [B, H]
        int ps = w.hr != null ? w.hr.stride() : w.hn != null ? w.hn.stride() : 0;
        A p = ps > 0 ? compute.newArray(size(batch, ps)) : null;                     // [B, P] or [B, H]

        int[] xpRow = new int[batch]; // the xp row of batch row b at this step, -1 when it has stopped
        for (int step = 0; step < seqLen; step++) {
            for (int b = 0; b < batch; b++) {
                int len = lens[b];
                int t = reverse ? len - 1 - step : step;
                xpRow[b] = step < len ? t * batch + b : -1;
            }
            // gh = h_{t-1} W_hh^T + b_hh for every row (rows that stopped are not used)  [B, G*H]
            compute.linear(h, 0, batch, w.hh, gh, 0, ghs);
            switch (cell) {
                case RNN:
                    for (int b = 0; b < batch; b++) {
                        if (xpRow[b] >= 0) {
                            compute.rnn(relu, xp, xpRow[b] * xs, gh, b * ghs, h, b * hOut, hidden);
                        }
                    }
                    break;
                case LSTM:
                    for (int b = 0; b < batch; b++) {
                        if (xpRow[b] >= 0) {
                            // m = o * tanh(c_t) goes straight to h without a projection
                            compute.lstm(w.peepholes, xp, xpRow[b] * xs, gh, b * ghs, c, b * hidden,
                                    m != null ? m : h, m != null ? b * hidden : b * hOut, hidden);
                        }
                    }
                    if (w.hr != null) {
                        // h_t = W_hr m                                                  [B, P]
                        compute.linear(m, 0, batch, w.hr, p, 0, ps);
                        for (int b = 0; b < batch; b++) {
                            if (xpRow[b] >= 0) {
                                System.arraycopy(p, b * ps, h, b * hOut, hOut);
                            }
                        }
                    }
                    break;
                case GRU:
                    if (w.hn == null) {
                        for (int b = 0; b < batch; b++) {
                            if (xpRow[b] >= 0) {
                                compute.gru(xp, xpRow[b] * xs, gh, b * ghs, h, b * hOut, hidden);
                            }
                        }
                        break;
                    }
                    // without linear_before_reset: r first, then W_hn (r * h_{t-1}) + b_hn
                    for (int b = 0; b < batch; b++) {
                        if (xpRow[b] >= 0) {
                            compute.gruReset(xp, xpRow[b] * xs, gh, b * ghs, h, b * hOut, m, b * hidden,
                                    hidden);
                        }
                    }
                    compute.linear(m, 0, batch, w.hn, p, 0, ps);                      // [B, H]
                    for (int b = 0; b < batch; b++) {
                        if (xpRow[b] >= 0) {
                            compute.gruUpdate(xp, xpRow[b] * xs, gh, b * ghs, p, b * ps, h, b * hOut,
                                    hidden);
                        }
                    }
                    break;
                default:
                    throw new IllegalStateException("unknown cell " + cell);
            }
            for (int b = 0; b < batch; b++) {
                if (xpRow[b] >= 0) {
                    System.arraycopy(h, b * hOut, out, xpRow[b] * outStride + d * hOut, hOut);
                }
            }
        }
        System.arraycopy(h, 0, hN, s * batch * hOut, batch * hOut);
        if (c != null) {
            System.arraycopy(c, 0, cN, s * batch * hidden, batch * hidden);
        }
    }

    /** y = x W^T + b as a dense [rows, n] array (no padding columns). */
    private A linearExact(A x, int rows, Matrix<A> m) {
        A y = compute.newArray(size(rows, m.n()));
        if (m.stride() == m.n()) {
            compute.linear(x, 0, rows, m, y, 0, m.n());
            return y;
        }
        A padded = compute.newArray(size(rows, m.stride()));
        compute.linear(x, 0, rows, m, padded, 0, m.stride());
        for (int r = 0; r < rows; r++) {
            System.arraycopy(padded, r * m.stride(), y, r * m.n(), m.n());
        }
        return y;
    }

    /** rows * cols, or an IllegalArgumentException when a scratch array would be too large. */
    private static int size(int rows, int cols) {
        return Checks.product("rows*columns of a scratch array", "rows=" + rows + ", columns=" + cols, rows, cols);
    }
}

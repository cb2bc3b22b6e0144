package rnnrosetta;

/**
 * One direction of one layer over the whole sequence: the input projection for all time
 * steps as one matrix product, then the recurrence, batch row by batch row, each row
 * stopping at its own length. The reverse direction reads row b from t = L_b-1 down to 0
 * and writes each h_t at the position it read.
 */
final class DirectionRun {
    private final Config config;
    private final LayerWeights w;
    private final int seqLen;
    private final int batch;
    private final int[] lens;
    private final boolean reverse;

    DirectionRun(Config config, LayerWeights w, int seqLen, int batch, int[] lens, boolean reverse) {
        this.config = config;
        this.w = w;
        this.seqLen = seqLen;
        this.batch = batch;
        this.lens = lens;
        this.reverse = reverse;
    }

    /**
     * @param in     the layer input [T, B, inSize]
     * @param h0     [L*D, B, H_out] or null; state {@code s} is read from it
     * @param c0     [L*D, B, H] or null (LSTM)
     * @param s      the state index l*D + d
     * @param out    the layer output [T, B, D*H_out]; this direction writes columns d*H_out ..
     * @param hN     [L*D, B, H_out]; state s is written
     * @param cN     [L*D, B, H] (LSTM) or null; state s is written
     */
    void run(double[] in, int inSize, double[] h0, double[] c0, int s, double[] out, int d,
             double[] hN, double[] cN) {
        int hidden = config.hiddenSize();
        int hOut = config.outputSize();
        int gh = config.gates() * hidden;
        int outStride = config.numDirections() * hOut;
        boolean lstm = config.cell() == Cell.LSTM;

        // xp = X W_ih^T + b_ih for all time steps at once              [T*B, G*H]
        double[] xp = new double[seqLen * batch * gh];
        Linalg.linear(in, seqLen * batch, inSize, w.weightIh, w.biasIh, gh, xp);

        double[] h = new double[batch * hOut];                          // [B, H_out]
        if (h0 != null) {
            System.arraycopy(h0, s * batch * hOut, h, 0, batch * hOut);
        }
        double[] c = lstm ? new double[batch * hidden] : null;          // [B, H]
        if (c0 != null) {
            System.arraycopy(c0, s * batch * hidden, c, 0, batch * hidden);
        }
        double[] ghScratch = new double[gh];                            // [G*H]
        double[] hScratch = new double[hidden];                         // [H]
        boolean relu = config.nonlinearity() == Nonlinearity.RELU;
        double clip = config.clip();                                    // NaN = none

        for (int step = 0; step < seqLen; step++) {
            for (int b = 0; b < batch; b++) {
                int len = lens[b];
                if (step >= len) {
                    continue;
                }
                int t = reverse ? len - 1 - step : step;
                int row = t * batch + b;
                switch (config.cell()) {
                    case RNN:
                        Cells.rnn(w, hidden, relu, clip, xp, row * gh, h, b * hOut, ghScratch);
                        break;
                    case LSTM:
                        Cells.lstm(w, hidden, config.projSize(), clip, xp, row * gh, h, b * hOut,
                                c, b * hidden, ghScratch, hScratch);
                        break;
                    case GRU:
                        Cells.gru(w, hidden, config.linearBeforeReset(), clip, xp, row * gh, h, b * hOut,
                                ghScratch, hScratch);
                        break;
                    default:
                        throw new IllegalStateException("unknown cell " + config.cell());
                }
                System.arraycopy(h, b * hOut, out, row * outStride + d * hOut, hOut);
            }
        }
        System.arraycopy(h, 0, hN, s * batch * hOut, batch * hOut);
        if (lstm) {
            System.arraycopy(c, 0, cN, s * batch * hidden, batch * hidden);
        }
    }
}

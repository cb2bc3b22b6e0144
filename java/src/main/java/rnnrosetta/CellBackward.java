package rnnrosetta;

import java.util.Arrays;

/**
 * Backpropagation through time for one direction of one layer in float64: the backward step of
 * each cell, one row (sequence) and one step at a time, reading the {@link ChainTape.DirectionTape}
 * its forward step wrote; the weight products over many rows at once ({@link Products}). Notation
 * and derivatives as in {@link Backward64}; "cs(z)" is {@code clip'(z) = [-c <= z <= c]}.
 */
final class CellBackward {
    private CellBackward() {
    }

    /**
     * Visits the steps the forward pass ran, in the opposite order. Per row b that ran at t:
     * {@code dh_t = dh[b] + dOut[t, b]}; the cell's backward step turns it (and dc[b]) into the
     * gradients of the gate pre-activations, {@code da[t, b]}, and dL/dc_{t-1}; then
     * {@code dh[b] = dL/dh_{t-1}} (the cell's own paths plus {@code W_hh^T da}, for the rows of the step
     * together). Rows that did not run at t pass dh, dc on unchanged. The products that do not feed the
     * recursion are done once at the end, over every row that ran:
     * <pre>
     *   a = W_ih x + b_ih + W_hh h_{t-1} + b_hh:   dW_ih += da x^T,  db_ih += da,  dx = W_ih^T da
     *                                              dW_hh += da h_{t-1}^T,  db_hh += da
     * </pre>
     * (GRU: W_hh's n rows read W_hn h_{t-1} + b_hn (lbr) or r h_{t-1} (Cho); see {@link #gru}.)
     *
     * @param dOut [T, B, H_out] this direction's output gradient
     * @param dh   [B, H_out] dL/dh_n in, dL/dh0 out
     * @param dc   [B, H] dL/dc_n in, dL/dc0 out (LSTM), else null
     * @param dx   [T, B, I_l] added to
     */
    static void direction(Products products, Config config, LayerWeights w, ChainTape.DirectionTape tape, double[] in,
                          boolean reverse, int steps, int batch, int[] lens, double[] dOut, double[] dh, double[] dc,
                          double[] dx, DirectionGrads g) {
        int hOut = config.outputSize();
        int hid = config.hiddenSize();
        int gh = config.gates() * hid;
        int inSize = config.inputSize();
        boolean gru = config.cell() == Cell.GRU;
        double[] da = new double[steps * batch * gh];               // [T, B, G*H] dL/d(W_ih x + b_ih)
        double[] daH = gru ? new double[steps * batch * gh] : da;   // [T, B, G*H] what W_hh's rows get
        double[] dht = new double[hOut];                            // dL/dh_t of one row
        double[] work = new double[hid];
        int[] stepRows = new int[batch];                            // da offsets of the rows of one step
        int[] stepH = new int[batch];                               // dh offsets of the same rows
        int[] daOffs = new int[steps * batch];                      // every row that ran: da, x, h_{t-1} offsets
        int[] xOffs = new int[steps * batch];
        int[] hOffs = new int[steps * batch];
        int[] nOffs = new int[steps * batch];                       // GRU Cho: r h_{t-1} offsets
        int ran = 0;
        for (int s = steps - 1; s >= 0; s--) {
            int t = reverse ? steps - 1 - s : s;                     // forward visited s = 0 .. T-1
            int count = 0;
            for (int b = 0; b < batch; b++) {
                if (t >= lens[b]) {
                    continue;                                        // padded step: dh, dc pass through
                }
                int row = t * batch + b;
                for (int j = 0; j < hOut; j++) {
                    dht[j] = dh[b * hOut + j] + dOut[row * hOut + j];    // carried on, and written to output[t]
                }
                Arrays.fill(dh, b * hOut, (b + 1) * hOut, 0.0);
                switch (config.cell()) {
                    case RNN:
                        rnn(config, tape, row, dht, da, row * gh);
                        break;
                    case LSTM:
                        lstm(config, w, tape, row, dht, dc, b * hid, da, row * gh, work, g);
                        break;
                    default:
                        gru(config, w, tape, row, dht, da, daH, row * gh, work, dh, b * hOut);
                        break;
                }
                stepRows[count] = row * gh;
                stepH[count++] = b * hOut;
                daOffs[ran] = row * gh;
                xOffs[ran] = row * inSize;
                hOffs[ran] = row * hOut;
                nOffs[ran++] = row * hid;
            }
            // dh_{t-1} += W_hh^T da (GRU: the r, z rows, and with lbr the n rows on da_hn)
            int readRows = gru && !config.linearBeforeReset() ? 2 * hid : gh;
            products.addTransposedRows(w.weightHh, 0, readRows, hOut, daH, stepRows, dh, stepH, count);
        }
        products.addOuterRows(g.weightIh, g.biasIh, 0, gh, inSize, da, daOffs, in, xOffs, ran);
        products.addTransposedRows(w.weightIh, 0, gh, inSize, da, daOffs, dx, xOffs, ran);
        if (gru && !config.linearBeforeReset()) {
            products.addOuterRows(g.weightHh, g.biasHh, 0, 2 * hid, hid, daH, daOffs, tape.hPrev, hOffs, ran);
            products.addOuterRows(g.weightHh, g.biasHh, 2 * hid, hid, hid, daH, daOffs, tape.hn, nOffs, ran);
        } else {
            products.addOuterRows(g.weightHh, g.biasHh, 0, gh, hOut, daH, daOffs, tape.hPrev, hOffs, ran);
        }
    }

    /** {@code clip'(z)}: 1 where z passed the clamp (NaN included, and always without a clip), else 0. */
    static double clipSlope(double z, double clip) {
        return z < -clip || z > clip ? 0.0 : 1.0;
    }

    /**
     * RNN, {@code h_t = phi(clip(a))}: {@code da = dh_t phi'(clip(a)) clip'(a)} with
     * {@code phi' = 1 - h_t^2} (tanh) or {@code [h_t > 0]} (relu; h_t = clip(a) there).
     */
    private static void rnn(Config config, ChainTape.DirectionTape tape, int row, double[] dht, double[] da,
                            int daOff) {
        int hid = config.hiddenSize();
        boolean relu = config.nonlinearity() == Nonlinearity.RELU;
        for (int j = 0; j < hid; j++) {
            double ht = tape.act[row * hid + j];
            double slope = relu ? (ht > 0 ? 1.0 : 0.0) : 1.0 - ht * ht;
            da[daOff + j] = dht[j] * slope * clipSlope(tape.pre[row * hid + j], config.clip());
        }
    }

    /**
     * LSTM, given dh_t [H_out] and dc[b] = dL/dc_t [H] (replaced by dL/dc_{t-1}); fills da = [dz_i, dz_f,
     * dz_g, dz_o] [4H]:
     * <pre>
     *   projection: dW_hr += dh_t m^T, dm = W_hr^T dh_t   (else dm = dh_t)
     *   dz_o = dm tanh(c_t) o (1 - o) cs(z_o);           dp_o += dz_o c_t
     *   dc   = dc_t + dm o (1 - tanh(c_t)^2) + dz_o p_o  (every path into c_t)
     *   dz_i = dc g i (1 - i) cs(z_i);  dz_f = dc c_{t-1} f (1 - f) cs(z_f);  dz_g = dc i (1 - g^2) cs(z_g)
     *   dp_i += dz_i c_{t-1};  dp_f += dz_f c_{t-1}
     *   dc_{t-1} = dc f + dz_i p_i + dz_f p_f
     * </pre>
     */
    private static void lstm(Config config, LayerWeights w, ChainTape.DirectionTape tape, int row, double[] dht,
                             double[] dc, int cOff, double[] da, int daOff, double[] dm, DirectionGrads g) {
        int hid = config.hiddenSize();
        int hOut = config.outputSize();
        double clip = config.clip();
        double[] p = w.peepholes;
        int hr = row * hid;
        int zr = row * 4 * hid;
        if (w.weightHr != null) {
            Arrays.fill(dm, 0.0);
            RowMath.addOuter(g.weightHr, null, 0, hOut, hid, dht, 0, tape.m, hr);      // dW_hr += dh_t m^T
            RowMath.addTransposed(w.weightHr, 0, hOut, hid, dht, 0, dm, 0);            // dm = W_hr^T dh_t
        } else {
            System.arraycopy(dht, 0, dm, 0, hid);                                     // dm = dh_t
        }
        for (int j = 0; j < hid; j++) {
            double i = tape.act[zr + j];
            double f = tape.act[zr + hid + j];
            double gg = tape.act[zr + 2 * hid + j];
            double o = tape.act[zr + 3 * hid + j];
            double tc = tape.tanhC[hr + j];
            double cp = tape.cPrev[hr + j];
            double dzo = dm[j] * tc * o * (1.0 - o) * clipSlope(tape.pre[zr + 3 * hid + j], clip);
            double dcj = dc[cOff + j] + dm[j] * o * (1.0 - tc * tc);
            if (p != null) {
                dcj += dzo * p[2 * hid + j];
                g.peepholes[2 * hid + j] += dzo * tape.cT[hr + j];
            }
            double dzi = dcj * gg * i * (1.0 - i) * clipSlope(tape.pre[zr + j], clip);
            double dzf = dcj * cp * f * (1.0 - f) * clipSlope(tape.pre[zr + hid + j], clip);
            double dzg = dcj * i * (1.0 - gg * gg) * clipSlope(tape.pre[zr + 2 * hid + j], clip);
            double dcPrev = dcj * f;
            if (p != null) {
                dcPrev += dzi * p[j] + dzf * p[hid + j];
                g.peepholes[j] += dzi * cp;
                g.peepholes[hid + j] += dzf * cp;
            }
            dc[cOff + j] = dcPrev;
            da[daOff + j] = dzi;
            da[daOff + hid + j] = dzf;
            da[daOff + 2 * hid + j] = dzg;
            da[daOff + 3 * hid + j] = dzo;
        }
    }

    /**
     * GRU, given dh_t: fills da = [da_r, da_z, da_n] (what W_ih x + b_ih gets), daH (what W_hh's rows
     * get: [da_r, da_z, da_hn] with lbr, [da_r, da_z, da_n] for Cho) and dh = dL/dh_{t-1} but for the
     * W_hh^T daH term ({@link #direction} adds it):
     * <pre>
     *   dn = dh_t (1 - z);  dz = dh_t (h_{t-1} - n);  da_n = dn (1 - n^2) cs(z_n);  dh_{t-1} = dh_t z + ...
     *   lbr: dr = da_n (W_hn h_{t-1} + b_hn);  da_hn = da_n r   (W_hn, b_hn read h_{t-1})
     *   Cho: d(r h) = W_hn^T da_n;  dr = d(r h) h_{t-1};  dh_{t-1} += d(r h) r   (W_hn, b_hn read r h_{t-1})
     *   da_r = dr r (1 - r) cs(z_r);  da_z = dz z (1 - z) cs(z_z)
     * </pre>
     */
    private static void gru(Config config, LayerWeights w, ChainTape.DirectionTape tape, int row, double[] dht,
                            double[] da, double[] daH, int daOff, double[] dRh, double[] dh, int hOff) {
        int hid = config.hiddenSize();
        double clip = config.clip();
        int off = row * 3 * hid;
        int hr = row * hid;
        boolean lbr = config.linearBeforeReset();
        for (int j = 0; j < hid; j++) {
            double z = tape.act[off + hid + j];
            double n = tape.act[off + 2 * hid + j];
            da[daOff + 2 * hid + j] = dht[j] * (1.0 - z) * (1.0 - n * n) * clipSlope(tape.pre[off + 2 * hid + j], clip);
        }
        if (!lbr) {
            Arrays.fill(dRh, 0.0);
            RowMath.addTransposed(w.weightHh, 2 * hid, hid, hid, da, daOff + 2 * hid, dRh, 0);  // d(r h) = W_hn^T da_n
        }
        for (int j = 0; j < hid; j++) {
            double r = tape.act[off + j];
            double z = tape.act[off + hid + j];
            double n = tape.act[off + 2 * hid + j];
            double hp = tape.hPrev[hr + j];
            double dan = da[daOff + 2 * hid + j];
            double dr = lbr ? dan * tape.hn[hr + j] : dRh[j] * hp;
            double dz = dht[j] * (hp - n);
            da[daOff + j] = dr * r * (1.0 - r) * clipSlope(tape.pre[off + j], clip);
            da[daOff + hid + j] = dz * z * (1.0 - z) * clipSlope(tape.pre[off + hid + j], clip);
            daH[daOff + j] = da[daOff + j];
            daH[daOff + hid + j] = da[daOff + hid + j];
            daH[daOff + 2 * hid + j] = lbr ? dan * r : dan;
            dh[hOff + j] = dht[j] * z + (lbr ? 0.0 : dRh[j] * r);
        }
    }
}

package rnnrosetta;

/**
 * The forward pass of a chain in float64, written for the backward pass: plain loops (the gate
 * equations one row at a time, the products over many rows with {@link Products}), keeping every value
 * {@link Backward64} reads (the "tape"). The equations are those of
 * {@link ChainSpec} and {@link Plain64}; the result may differ from {@link Chain#forward}'s in
 * the last bits (another summation order), which is why {@link Chain#forwardKeep} returns the
 * engine's result and keeps this tape beside it. Immutable after {@link #record}; the backward
 * pass only reads it, so one tape serves any number of backward calls.
 *
 * <p>Every per-step array is laid out [T, B, ...] (time-major, like x); a row (t, b) holds
 * values only where it ran ({@code t < lengths[b]}), zeros elsewhere.
 */
final class ChainTape {
    /** What one direction of one layer keeps. */
    static final class DirectionTape {
        final double[] hPrev;  // [T, B, H_out]  h_{t-1}: the state the step read
        final double[] cPrev;  // [T, B, H]      c_{t-1} (LSTM), else null
        final double[] pre;    // [T, B, G*H]    gate pre-activations before clip (LSTM: peephole terms in)
        final double[] act;    // [T, B, G*H]    rnn: h_t; lstm: i, f, g, o; gru: r, z, n
        final double[] cT;     // [T, B, H]      c_t (LSTM), else null
        final double[] tanhC;  // [T, B, H]      tanh(c_t) (LSTM), else null
        final double[] m;      // [T, B, H]      o * tanh(c_t) before the projection (LSTM), else null
        final double[] hn;     // [T, B, H]      GRU: W_hn h_{t-1} + b_hn (lbr) or r * h_{t-1} (Cho), else null
        final double[] out;    // [T, B, H_out]  this direction's output (0 where the row did not run)
        final double[] hN;     // [B, H_out]     the state after the last step (h_n)

        DirectionTape(Config config, int rows, double[] hN) {
            int h = config.hiddenSize();
            int gh = config.gates() * h;
            boolean lstm = config.cell() == Cell.LSTM;
            hPrev = new double[rows * config.outputSize()];
            cPrev = lstm ? new double[rows * h] : null;
            pre = new double[rows * gh];
            act = new double[rows * gh];
            cT = lstm ? new double[rows * h] : null;
            tanhC = lstm ? new double[rows * h] : null;
            m = lstm ? new double[rows * h] : null;
            hn = config.cell() == Cell.GRU ? new double[rows * h] : null;
            out = new double[rows * config.outputSize()];
            this.hN = hN;
        }
    }

    /** What one layer keeps: its input and its directions. */
    static final class LayerTape {
        final double[] in;              // [T, B, I_l] what the layer read
        final DirectionTape[] directions;

        LayerTape(double[] in, DirectionTape[] directions) {
            this.in = in;
            this.directions = directions;
        }
    }

    final int seqLen;
    final int batch;
    final int[] lens;           // [B]
    final int[] tokens;         // [T, B] with an embedding, else null
    final LayerTape[] layers;
    final double[][] denseIn;   // per dense layer k: v [N, W_k] (N = T*B for SEQUENCE, B for LAST)
    final double[][] densePre;  // s = v W_k^T + b_k [N, O_k]
    final double[][] denseOut;  // act_k(s) [N, O_k]

    private ChainTape(int seqLen, int batch, int[] lens, int[] tokens, LayerTape[] layers, double[][] denseIn,
                      double[][] densePre, double[][] denseOut) {
        this.seqLen = seqLen;
        this.batch = batch;
        this.lens = lens;
        this.tokens = tokens;
        this.layers = layers;
        this.denseIn = denseIn;
        this.densePre = densePre;
        this.denseOut = denseOut;
    }

    /**
     * The chain's forward pass on validated arguments, keeping the tape: x [T, B, I] or tokens [T, B]
     * (exactly one), h0 / c0 the flat slots or null (zeros), {@code lens} every length.
     */
    static ChainTape record(ChainSpec spec, Products products, int seqLen, int batch, double[] x, int[] tokens,
                            double[] h0, double[] c0, int[] lens) {
        int rows = seqLen * batch;
        double[] in = tokens != null ? gather(spec.embedding(), tokens) : x.clone();  // [T, B, I]
        LayerTape[] layers = new LayerTape[spec.layers().size()];
        int hAt = 0;
        int cAt = 0;
        double[] merged = in;
        for (int l = 0; l < layers.length; l++) {
            RecurrentLayer layer = spec.layers().get(l);
            Config config = layer.config();
            LayerWeights[] weights = layer.weights();
            DirectionTape[] dirs = new DirectionTape[config.numDirections()];
            for (int d = 0; d < dirs.length; d++) {
                boolean reverse = config.direction() == Direction.REVERSE || d == 1;
                dirs[d] = direction(products, config, weights[d], reverse, merged, seqLen, batch, lens, h0, hAt, c0,
                        cAt);
                hAt += batch * config.outputSize();
                cAt += config.cell() == Cell.LSTM ? batch * config.hiddenSize() : 0;
            }
            layers[l] = new LayerTape(merged, dirs);
            merged = dirs.length == 1 ? dirs[0].out
                    : merge(layer.merge(), dirs[0].out, dirs[1].out, rows, config.outputSize());
        }
        RecurrentLayer top = spec.layers().get(layers.length - 1);
        DirectionTape[] topDirs = layers[layers.length - 1].directions;
        boolean last = spec.readout() == Readout.LAST;
        double[] v = !last ? merged : topDirs.length == 1 ? topDirs[0].hN
                : merge(top.merge(), topDirs[0].hN, topDirs[1].hN, batch, top.config().outputSize());
        int n = last ? batch : rows;
        int k = spec.dense().size();
        double[][] denseIn = new double[k][];
        double[][] densePre = new double[k][];
        double[][] denseOut = new double[k][];
        for (int j = 0; j < k; j++) {
            DenseLayer dense = spec.dense().get(j);
            double[] s = new double[n * dense.outputs()];                                  // [N, O_k]
            for (int r = 0; r < n; r++) {
                // s = v W^T + b
                RowMath.affine(dense.weightArray(), dense.biasArray(), 0, dense.outputs(), dense.inputs(), v,
                        r * dense.inputs(), s, r * dense.outputs());
            }
            double[] y = s.clone();
            for (int r = 0; r < n; r++) {
                activate(dense.activation(), y, r * dense.outputs(), dense.outputs());     // y = act(s)
            }
            denseIn[j] = v;
            densePre[j] = s;
            denseOut[j] = y;
            v = y;
        }
        return new ChainTape(seqLen, batch, lens.clone(), tokens == null ? null : tokens.clone(), layers, denseIn,
                densePre, denseOut);
    }

    /** x [T*B, E_dim]: row r is E[tokens[r]]. */
    private static double[] gather(Embedding e, int[] tokens) {
        double[] x = new double[tokens.length * e.size()];
        for (int r = 0; r < tokens.length; r++) {
            System.arraycopy(e.table(), tokens[r] * e.size(), x, r * e.size(), e.size());
        }
        return x;
    }

    /** {@code rows} rows of two halves [rows, n] joined: CONCAT [rows, 2n], else elementwise [rows, n]. */
    static double[] merge(Merge merge, double[] f, double[] r, int rows, int n) {
        double[] out = new double[rows * (merge == Merge.CONCAT ? 2 * n : n)];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < n; j++) {
                double a = f[i * n + j];
                double b = r[i * n + j];
                switch (merge) {
                    case CONCAT:
                        out[i * 2 * n + j] = a;         // [h_fwd, h_rev]
                        out[i * 2 * n + n + j] = b;
                        break;
                    case SUM:
                        out[i * n + j] = a + b;         // h_fwd + h_rev
                        break;
                    case MUL:
                        out[i * n + j] = a * b;         // h_fwd * h_rev
                        break;
                    default:
                        out[i * n + j] = (a + b) * 0.5; // AVE
                        break;
                }
            }
        }
        return out;
    }

    /** {@code v[off .. off+n) = act(v[off .. off+n))}, with the forward pass's scalar functions. */
    private static void activate(DenseActivation activation, double[] v, int off, int n) {
        if (activation == DenseActivation.SOFTMAX) {
            Activations.softmax(v, off, n);
            return;
        }
        for (int j = off; j < off + n; j++) {
            switch (activation) {
                case TANH:
                    v[j] = Activations.tanh(v[j]);
                    break;
                case SIGMOID:
                    v[j] = Activations.sigmoid(v[j]);
                    break;
                case RELU:
                    v[j] = Activations.relu(v[j]);
                    break;
                default:
                    break;                              // IDENTITY
            }
        }
    }

    /**
     * One direction over time: row b runs t = 0 .. L_b-1 (forward) or L_b-1 .. 0 (reverse), writes its
     * state to out[t, b], keeps it unchanged at t &gt;= L_b. h0 / c0: this direction's slot starts at
     * hAt / cAt of the flat arrays (null: zeros).
     */
    private static DirectionTape direction(Products products, Config config, LayerWeights w, boolean reverse,
                                           double[] in, int seqLen, int batch, int[] lens, double[] h0, int hAt,
                                           double[] c0, int cAt) {
        int hOut = config.outputSize();
        int hid = config.hiddenSize();
        double[] h = new double[batch * hOut];                                             // [B, H_out], ends as h_n
        DirectionTape tape = new DirectionTape(config, seqLen * batch, h);
        double[] c = config.cell() == Cell.LSTM ? new double[batch * hid] : null;           // [B, H]
        if (h0 != null) {
            System.arraycopy(h0, hAt, h, 0, h.length);
        }
        if (c != null && c0 != null) {
            System.arraycopy(c0, cAt, c, 0, c.length);
        }
        int gh = config.gates() * hid;
        int inSize = config.inputSize();
        // the input projections of every row that runs, all at once: pre[t, b] = W_ih x_t + b_ih
        int[] xOffs = new int[seqLen * batch];
        int[] preOffs = new int[seqLen * batch];
        int ran = 0;
        for (int row = 0; row < seqLen * batch; row++) {
            if (row / batch < lens[row % batch]) {
                xOffs[ran] = row * inSize;
                preOffs[ran++] = row * gh;
            }
        }
        products.affineRows(w.weightIh, w.biasIh, 0, gh, inSize, in, xOffs, tape.pre, preOffs, ran);
        boolean cho = config.cell() == Cell.GRU && !config.linearBeforeReset();
        double[] ah = new double[batch * gh];          // [B', G*H] W_hh h_{t-1} + b_hh of the rows of one step
        int[] runs = new int[batch];
        int[] hOffs = new int[batch];
        int[] ahOffs = new int[batch];
        double[] scratch = new double[hid];
        for (int s = 0; s < seqLen; s++) {
            int t = reverse ? seqLen - 1 - s : s;
            int count = 0;
            for (int b = 0; b < batch; b++) {
                if (t < lens[b]) {                                                          // padded: h, c unchanged
                    runs[count] = b;
                    hOffs[count] = b * hOut;
                    ahOffs[count] = count * gh;
                    count++;
                }
            }
            // W_hh h_{t-1} + b_hh for the rows of the step together (Cho GRU: the r, z rows; n reads r h)
            products.affineRows(w.weightHh, w.biasHh, 0, cho ? 2 * hid : gh, hOut, h, hOffs, ah, ahOffs, count);
            for (int i = 0; i < count; i++) {
                int b = runs[i];
                int row = t * batch + b;
                System.arraycopy(h, b * hOut, tape.hPrev, row * hOut, hOut);
                switch (config.cell()) {
                    case RNN:
                        rnnStep(config, tape, row, ah, i * gh, h, b * hOut);
                        break;
                    case LSTM:
                        lstmStep(config, w, tape, row, ah, i * gh, h, b * hOut, c, b * hid);
                        break;
                    default:
                        gruStep(config, w, tape, row, ah, i * gh, h, b * hOut, scratch);
                        break;
                }
                System.arraycopy(h, b * hOut, tape.out, row * hOut, hOut);
            }
        }
        return tape;
    }

    /**
     * {@code a = W_ih x + b_ih + W_hh h + b_hh}, {@code h_t = phi(clip(a))}; pre[row] holds W_ih x + b_ih,
     * ah[ahOff..] W_hh h + b_hh; h[hOff..] becomes h_t.
     */
    private static void rnnStep(Config config, DirectionTape tape, int row, double[] ah, int ahOff, double[] h,
                                int hOff) {
        int hid = config.hiddenSize();
        double clip = config.clip();
        for (int j = 0; j < hid; j++) {
            double a = tape.pre[row * hid + j] + ah[ahOff + j];
            tape.pre[row * hid + j] = a;
            double s = Activations.clamp(a, clip);
            double ht = config.nonlinearity() == Nonlinearity.RELU ? Activations.relu(s) : Activations.tanh(s);
            tape.act[row * hid + j] = ht;
            h[hOff + j] = ht;
        }
    }

    /**
     * {@code a = W_ih x + b_ih + W_hh h + b_hh = [a_i, a_f, a_g, a_o]}; {@code z_i = a_i + p_i c},
     * {@code z_f = a_f + p_f c}; {@code i, f = sigmoid(clip(z))}, {@code g = tanh(clip(a_g))};
     * {@code c_t = f c + i g}; {@code z_o = a_o + p_o c_t}, {@code o = sigmoid(clip(z_o))};
     * {@code m = o tanh(c_t)}; {@code h_t = W_hr m} (projection) or {@code m}. pre[row] holds
     * W_ih x + b_ih, ah[ahOff..] W_hh h + b_hh; h[hOff..], c[cOff..] become h_t, c_t.
     */
    private static void lstmStep(Config config, LayerWeights w, DirectionTape tape, int row, double[] ah, int ahOff,
                                 double[] h, int hOff, double[] c, int cOff) {
        int hid = config.hiddenSize();
        int g4 = 4 * hid;
        int hOut = config.outputSize();
        double clip = config.clip();
        double[] p = w.peepholes;
        double[] z = tape.pre;                                                                     // W_ih x + b_ih
        int zOff = row * g4;
        int hr = row * hid;
        for (int j = 0; j < hid; j++) {
            double cp = c[cOff + j];
            tape.cPrev[hr + j] = cp;
            double zi = z[zOff + j] + ah[ahOff + j];                                       // + W_hh h + b_hh
            double zf = z[zOff + hid + j] + ah[ahOff + hid + j];
            double zg = z[zOff + 2 * hid + j] + ah[ahOff + 2 * hid + j];
            double zo = z[zOff + 3 * hid + j] + ah[ahOff + 3 * hid + j];
            if (p != null) {
                zi += p[j] * cp;
                zf += p[hid + j] * cp;
            }
            double i = Activations.sigmoid(Activations.clamp(zi, clip));
            double f = Activations.sigmoid(Activations.clamp(zf, clip));
            double g = Activations.tanh(Activations.clamp(zg, clip));
            double ct = f * cp + i * g;
            if (p != null) {
                zo += p[2 * hid + j] * ct;
            }
            double o = Activations.sigmoid(Activations.clamp(zo, clip));
            double tc = Activations.tanh(ct);
            z[zOff + j] = zi;
            z[zOff + hid + j] = zf;
            z[zOff + 2 * hid + j] = zg;
            z[zOff + 3 * hid + j] = zo;
            tape.act[zOff + j] = i;
            tape.act[zOff + hid + j] = f;
            tape.act[zOff + 2 * hid + j] = g;
            tape.act[zOff + 3 * hid + j] = o;
            tape.cT[hr + j] = ct;
            tape.tanhC[hr + j] = tc;
            tape.m[hr + j] = o * tc;
            c[cOff + j] = ct;
        }
        if (w.weightHr != null) {
            RowMath.affine(w.weightHr, null, 0, hOut, hid, tape.m, hr, h, hOff);                  // h_t = W_hr m
        } else {
            System.arraycopy(tape.m, hr, h, hOff, hid);                                           // h_t = m
        }
    }

    /**
     * {@code r = sigmoid(clip(W_ir x + b_ir + W_hr h + b_hr))}, z likewise;
     * lbr: {@code n = tanh(clip(W_in x + b_in + r (W_hn h + b_hn)))};
     * Cho: {@code n = tanh(clip(W_in x + b_in + W_hn (r h) + b_hn))}; {@code h_t = (1 - z) n + z h}.
     * pre[row] holds W_i* x + b_i*, ah[ahOff..] W_h{r,z} h + b_h{r,z} (and W_hn h + b_hn with lbr).
     */
    private static void gruStep(Config config, LayerWeights w, DirectionTape tape, int row, double[] ah, int ahOff,
                                double[] h, int hOff, double[] scratch) {
        int hid = config.hiddenSize();
        int g3 = 3 * hid;
        double clip = config.clip();
        double[] pre = tape.pre;                                                                 // W_i* x + b_i*
        int off = row * g3;
        int hr = row * hid;
        for (int j = 0; j < 2 * hid; j++) {
            pre[off + j] += ah[ahOff + j];                                                       // + W_h{r,z} h + b
            tape.act[off + j] = Activations.sigmoid(Activations.clamp(pre[off + j], clip));      // r, z
        }
        if (config.linearBeforeReset()) {
            System.arraycopy(ah, ahOff + 2 * hid, tape.hn, hr, hid);                             // W_hn h + b_hn
            for (int j = 0; j < hid; j++) {
                pre[off + 2 * hid + j] += tape.act[off + j] * tape.hn[hr + j];                   // + r (W_hn h + b_hn)
            }
        } else {
            for (int j = 0; j < hid; j++) {
                tape.hn[hr + j] = tape.act[off + j] * h[hOff + j];                               // r h
            }
            RowMath.affine(w.weightHh, w.biasHh, 2 * hid, hid, hid, tape.hn, hr, scratch, 0);    // W_hn (r h) + b_hn
            for (int j = 0; j < hid; j++) {
                pre[off + 2 * hid + j] += scratch[j];
            }
        }
        for (int j = 0; j < hid; j++) {
            double n = Activations.tanh(Activations.clamp(pre[off + 2 * hid + j], clip));
            double z = tape.act[off + hid + j];
            tape.act[off + 2 * hid + j] = n;
            h[hOff + j] = (1.0 - z) * n + z * h[hOff + j];                                       // h_t
        }
    }
}

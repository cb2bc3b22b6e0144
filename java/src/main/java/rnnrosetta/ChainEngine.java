package rnnrosetta;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;

/**
 * The computation of a chain, written once for both precisions ({@code A} = double[] or
 * float[]): one {@link Engine} per recurrent layer (the code of {@link Net} / {@link Net32}),
 * with the embedding, merges, readout and dense layers around them. Arguments are validated by
 * the caller ({@link Chain}, {@link Chain32}); immutable, each call allocates its own scratch.
 *
 * <pre>
 *   x_t   = E[token_t]                                                    [T, B, E_dim]
 *   o_l   = layer_l(o_{l-1}) with h0/c0 from its slots; h_n/c_n into them [T, B, D_l*H_out_l]
 *   o_l  := merge_l(o_l[..., :H_out], o_l[..., H_out:])  (SUM, MUL, AVE)  [T, B, H_out_l]
 *   v     = o_top (SEQUENCE) | merge_top(h_n fwd, h_n rev) (LAST)         [T*B | B, W]
 *   v     = act_k(v W_k^T + b_k) for each dense layer k                   [T*B | B, O_k]
 * </pre>
 */
final class ChainEngine<A> {
    private final ChainSpec spec;
    private final Compute<A> compute;         // the merges and the dense layers (no clip)
    private final List<Engine<A>> layers;
    private final A table;                    // E [V, E_dim], or null
    private final List<Matrix<A>> dense;      // W_k, b_k [O_k, W_k]

    /** Copies the (validated) weights in; {@code computeFor} gives the arithmetic for a clip bound. */
    ChainEngine(ChainSpec spec, DoubleFunction<Compute<A>> computeFor) {
        this.spec = spec;
        this.compute = computeFor.apply(Double.NaN);
        this.layers = new ArrayList<>();
        for (RecurrentLayer layer : spec.layers()) {
            Config config = layer.config();
            layers.add(new Engine<>(config, computeFor.apply(config.clip()), layer.netWeights(), null, null));
        }
        this.table = spec.embedding() == null ? null : compute.convert(spec.embedding().table());
        this.dense = new ArrayList<>();
        for (DenseLayer d : spec.dense()) {
            dense.add(compute.matrix(compute.convert(d.weightArray()), compute.convert(d.biasArray()), 0,
                    d.outputs(), d.inputs()));
        }
    }

    /** "plain", "vector" or "exact". */
    String kernelName() {
        return compute.name();
    }

    /**
     * The whole computation on validated arguments: x [T, B, I] or tokens [T, B] (exactly one),
     * h0 / c0 the flat slots or null, {@code lens} every length.
     */
    Result<A> run(int seqLen, int batch, A x, int[] tokens, A h0, A c0, int[] lens) {
        int rows = seqLen * batch;
        A in = tokens != null ? gather(tokens) : x;                                  // [T, B, I]
        A hN = compute.newArray(sum(spec.stateSizes()) * batch);                     // flat h slots
        int[] cSizes = spec.cellStateSizes();
        A cN = cSizes.length > 0 ? compute.newArray(sum(cSizes) * batch) : null;     // flat c slots
        int hAt = 0;
        int cAt = 0;
        Result<A> top = null;
        for (int l = 0; l < layers.size(); l++) {
            RecurrentLayer layer = spec.layers().get(l);
            Config config = layer.config();
            int hLen = config.numDirections() * batch * config.outputSize();          // [D, B, H_out]
            int cLen = config.cell() == Cell.LSTM ? config.numDirections() * batch * config.hiddenSize() : 0;
            A h0l = h0 == null ? null : slice(h0, hAt, hLen);
            A c0l = c0 == null || cLen == 0 ? null : slice(c0, cAt, cLen);
            top = layers.get(l).run(seqLen, batch, in, h0l, c0l, lens);
            System.arraycopy(top.hN(), 0, hN, hAt, hLen);
            if (cLen > 0) {
                System.arraycopy(top.cN(), 0, cN, cAt, cLen);
            }
            hAt += hLen;
            cAt += cLen;
            in = config.numDirections() == 2 && layer.merge() != Merge.CONCAT
                    ? merged(layer.merge(), top.output(), 2 * config.outputSize(), top.output(),
                            2 * config.outputSize(), config.outputSize(), rows, config.outputSize())
                    : top.output();
        }
        A y = null;
        if (spec.hasY()) {
            boolean last = spec.readout() == Readout.LAST;
            A v = last ? lastStates(top.hN(), batch) : in;                                // [B | T*B, W]
            y = v; // with LAST and no dense layers, y is the readout (a fresh array)
            for (int k = 0; k < dense.size(); k++) {
                y = denseLayer(y, last ? batch : rows, k);
            }
        }
        return new Result<>(in, hN, cN, y, seqLen, batch);
    }

    /**
     * The state and scratch of a streaming run of a chain of FORWARD layers at batch B, made once by
     * {@link #newStream} and advanced in place by {@link #step}: one {@link Engine.Stream} per layer
     * (its h [B, H_out_l], c [B, H_l] and scratch), the gathered embedding rows x [B, E_dim], each
     * dense layer's output [B, O_k] (and its padded rows), and y. With one direction there is no
     * merge, and LAST and SEQUENCE read the same top h_t at T = 1. Owned by one caller at a time.
     */
    static final class Stream<A> {
        final ChainEngine<A> engine;
        final int batch;
        final List<Engine.Stream<A>> layers = new ArrayList<>();
        /** E[tokens] [B, E_dim], or null without an embedding. */
        final A x;
        /** Dense layer k's output [B, O_k] and, when its kernel pads the rows, [B, stride_k] (else null). */
        final List<A> dense = new ArrayList<>();
        final List<A> densePadded = new ArrayList<>();
        /** The chain's y [B, O] (the last dense output, or a copy of the top h_t for LAST without dense layers). */
        final A y;

        private Stream(ChainEngine<A> engine, int batch) {
            this.engine = engine;
            this.batch = batch;
            Compute<A> compute = engine.compute;
            for (Engine<A> layer : engine.layers) {
                layers.add(layer.newStream(batch));
            }
            x = engine.table == null ? null : compute.newArray(batch * engine.spec.embedding().size());
            for (Matrix<A> m : engine.dense) {
                dense.add(compute.newArray(batch * m.n()));
                densePadded.add(m.stride() != m.n() ? compute.newArray(batch * m.stride()) : null);
            }
            ChainSpec spec = engine.spec;
            y = !spec.hasY() ? null : !dense.isEmpty() ? dense.get(dense.size() - 1)
                    : compute.newArray(batch * spec.outputWidth());
        }

        /** The top layer's h_t [B, W] after the last step (live). */
        A output() {
            List<A> top = layers.get(layers.size() - 1).h;
            return top.get(top.size() - 1);
        }

        /** Copies the state out into the flat slots: h [S_h * B]; c [S_c * B] (ignored when null or no LSTM). */
        void getState(A h, A c) {
            copySlots(h, c, true);
        }

        /** Sets the state from the flat slots h [S_h * B], c [S_c * B] (LSTM layers); null for zeros. */
        void setState(A h, A c) {
            copySlots(h, c, false);
        }

        private void copySlots(A h, A c, boolean out) {
            int hAt = 0;
            int cAt = 0;
            for (Engine.Stream<A> layer : layers) {
                for (int i = 0; i < layer.h.size(); i++) {
                    A hl = layer.h.get(i);                                             // [B, H_out_l]
                    A cl = layer.c.get(i);                                             // [B, H_l] or null
                    int hn = java.lang.reflect.Array.getLength(hl);
                    int cn = cl == null ? 0 : java.lang.reflect.Array.getLength(cl);
                    copy(hl, h, hAt, hn, out);
                    if (cl != null && (c != null || !out)) {
                        copy(cl, c, cAt, cn, out);
                    }
                    hAt += hn;
                    cAt += cn;
                }
            }
        }

        /** out: slots[at ..] = layer; else layer = slots[at ..] (zeros when slots is null). */
        private void copy(A layer, A slots, int at, int n, boolean out) {
            if (out) {
                System.arraycopy(layer, 0, slots, at, n);
            } else if (slots == null) {
                System.arraycopy(engine.compute.newArray(n), 0, layer, 0, n);
            } else {
                System.arraycopy(slots, at, layer, 0, n);
            }
        }
    }

    /** A new {@link Stream} at batch {@code batch} with a zero state; every layer FORWARD (checked by the caller). */
    Stream<A> newStream(int batch) {
        return new Stream<>(this, batch);
    }

    /**
     * step's checks of a chain (every layer FORWARD, batch, scratch sizes) and of a state h [S_h * B],
     * c [S_c * B] ({@code hLen}, {@code cLen}: -1 for null), on a valid input of batch rows.
     *
     * @throws UnsupportedOperationException when a layer is REVERSE or BIDIRECTIONAL
     * @throws IllegalArgumentException      on a bad batch or state length
     */
    void checkState(int batch, int hLen, int cLen) {
        Checks.positive("batch", batch);
        boolean tokens = table != null;
        int xLen = tokens ? -1 : Checks.product("B*I", "B=" + batch + ", I=" + spec.inputSize(), batch,
                spec.inputSize());
        ChainArguments.step(spec, batch, xLen, tokens ? new int[batch] : null, hLen, cLen);
    }

    /**
     * The checks of a step on a stream, allocating nothing unless they fail: {@code s} is this
     * engine's, and x [B, I] ({@code xLen}, -1 for null) or tokens [B] in 0..V-1, whichever the chain takes.
     *
     * @throws IllegalArgumentException with one line naming the argument
     */
    void checkStep(Stream<A> s, int xLen, int[] tokens) {
        if (s == null || s.engine != this) {
            throw new IllegalArgumentException("state must come from this chain's newStepState, got "
                    + (s == null ? "null" : "another chain's"));
        }
        int batch = s.batch;
        if (table == null) {
            if (tokens != null) {
                throw new IllegalArgumentException("tokens must be null: the chain has no embedding; pass x");
            }
            if (xLen != batch * spec.inputSize()) {
                throw new IllegalArgumentException("x has length " + xLen + ", expected B*I = "
                        + batch * spec.inputSize() + " (B=" + batch + ", I=" + spec.inputSize() + ")");
            }
            return;
        }
        if (xLen >= 0) {
            throw new IllegalArgumentException("x must be null: the chain has an embedding; pass tokens");
        }
        if (tokens == null || tokens.length != batch) {
            throw new IllegalArgumentException("tokens has length " + (tokens == null ? -1 : tokens.length)
                    + ", expected B = " + batch);
        }
        int vocab = spec.embedding().vocabSize();
        for (int b = 0; b < batch; b++) {
            if (tokens[b] < 0 || tokens[b] >= vocab) {
                throw new IllegalArgumentException("tokens[" + b + "] is " + tokens[b] + ", expected 0..V-1 (V="
                        + vocab + ")");
            }
        }
    }

    /**
     * One time step on x [B, I] or tokens [B] (validated by the caller), in place in {@code s}: the
     * arithmetic of {@link #run} with T = 1, so the same bits. Allocates nothing at batch 1 to 5.
     */
    void step(Stream<A> s, A x, int[] tokens) {
        A in = x;                                                                    // [B, I]
        if (tokens != null) {
            int width = spec.embedding().size();
            for (int b = 0; b < s.batch; b++) {
                System.arraycopy(table, tokens[b] * width, s.x, b * width, width);   // x_b = E[token_b]
            }
            in = s.x;
        }
        for (int l = 0; l < layers.size(); l++) {
            Engine.Stream<A> layer = s.layers.get(l);
            layers.get(l).step(layer, in);
            in = layer.h.get(layer.h.size() - 1);                                    // [B, H_out_l]
        }
        if (s.y == null) {
            return;
        }
        if (dense.isEmpty()) {
            System.arraycopy(in, 0, s.y, 0, java.lang.reflect.Array.getLength(s.y)); // y = the readout v
            return;
        }
        for (int k = 0; k < dense.size(); k++) {
            // v = act_k(v W_k^T + b_k)                                              [B, O_k]
            A out = s.dense.get(k);
            compute.dense(in, s.batch, dense.get(k), spec.dense().get(k).activation(), out, s.densePadded.get(k));
            in = out;
        }
    }

    /** x [T*B, E_dim]: row r is E[tokens[r]]. */
    private A gather(int[] tokens) {
        int width = spec.embedding().size();
        A x = compute.newArray(tokens.length * width);
        for (int r = 0; r < tokens.length; r++) {
            System.arraycopy(table, tokens[r] * width, x, r * width, width);
        }
        return x;
    }

    /** The top layer's h_n [D, B, H_out] as one vector per sequence [B, W], merged like its outputs. */
    private A lastStates(A hN, int batch) {
        RecurrentLayer layer = spec.layers().get(spec.layers().size() - 1);
        int hOut = layer.config().outputSize();
        if (layer.config().numDirections() == 1) {
            return copy(hN, batch * hOut);
        }
        if (layer.merge() != Merge.CONCAT) {
            // v[b] = merge(h_n[fwd, b], h_n[rev, b])
            return merged(layer.merge(), hN, hOut, hN, hOut, batch * hOut, batch, hOut);
        }
        A v = compute.newArray(batch * 2 * hOut);                                       // v[b] = [fwd_b, rev_b]
        for (int b = 0; b < batch; b++) {
            System.arraycopy(hN, b * hOut, v, b * 2 * hOut, hOut);
            System.arraycopy(hN, (batch + b) * hOut, v, b * 2 * hOut + hOut, hOut);
        }
        return v;
    }

    /**
     * {@code out[r] = merge(f[r*fStride ..], r[rOff + r*rStride ..])} for each of {@code rows} rows
     * of {@code n} values; f rows start at 0, r rows at {@code rOff}.
     */
    private A merged(Merge merge, A f, int fStride, A r, int rStride, int rOff, int rows, int n) {
        A out = compute.newArray(rows * n);
        for (int i = 0; i < rows; i++) {
            compute.merge(merge, f, i * fStride, r, rOff + i * rStride, out, i * n, n);
        }
        return out;
    }

    /** Dense layer k on {@code rows} rows: {@code act(v W^T + b)} [rows, O]. */
    private A denseLayer(A v, int rows, int k) {
        Matrix<A> m = dense.get(k);
        DenseActivation act = spec.dense().get(k).activation();
        A y = compute.newArray(rows * m.n());
        compute.dense(v, rows, m, act, y, null);
        return y;
    }

    private A slice(A a, int from, int n) {
        A s = compute.newArray(n);
        System.arraycopy(a, from, s, 0, n);
        return s;
    }

    private A copy(A a, int n) {
        return slice(a, 0, n);
    }

    private static int sum(int[] sizes) {
        int s = 0;
        for (int size : sizes) {
            s += size;
        }
        return s;
    }
}

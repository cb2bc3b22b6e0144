package rnnrosetta;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
    /** The head's activation (with a head). */
    private final DenseActivation headActivation;
    /** What {@link #step} reads on every call, fixed here: H, H_out, relu, and which gate code runs. */
    private final int hiddenSize;
    private final int outputSize;
    private final boolean relu;
    private final int stepCell;

    /** {@link #stepCell}: the cell, and for an LSTM whether it projects, for a GRU whether r comes first (Cho). */
    private static final int STEP_RNN = 0;
    private static final int STEP_LSTM = 1;
    private static final int STEP_LSTM_PROJECTED = 2;
    private static final int STEP_GRU = 3;
    private static final int STEP_GRU_CHO = 4;

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
        this.headActivation = config.head() == HeadActivation.SOFTMAX ? DenseActivation.SOFTMAX
                : DenseActivation.IDENTITY;
        this.hiddenSize = config.hiddenSize();
        this.outputSize = config.outputSize();
        this.relu = config.nonlinearity() == Nonlinearity.RELU;
        this.stepCell = switch (config.cell()) {
            case RNN -> STEP_RNN;
            case LSTM -> config.projSize() > 0 ? STEP_LSTM_PROJECTED : STEP_LSTM;
            case GRU -> config.linearBeforeReset() ? STEP_GRU : STEP_GRU_CHO;
        };
        warmUpOnce(compute);
    }

    // ------------------------------------------------------------------ warm-up

    /** The {@link Compute} classes this JVM has warmed (see {@link #warmUpOnce}). */
    private static final Set<Class<?>> WARMED = ConcurrentHashMap.newKeySet();
    /** {@code -Drnnrosetta.warmup=false} turns the warm-up off (to measure a cold JVM). */
    private static final boolean WARM_UP = !"false".equals(System.getProperty("rnnrosetta.warmup"));
    /** Rounds of the warm-up models: enough for the JIT's top tier on every hot method. */
    private static final int WARM_ROUNDS = Integer.getInteger("rnnrosetta.warmupRounds", 300);

    /**
     * Fast from the first call: the first engine of a kernel class in a JVM ("plain" or
     * "vector") first runs small models of every cell through this class's code (forward at
     * batch 1 and 11, the streaming step) until the JIT has compiled the hot loops, so that a
     * freshly built net is near its steady-state speed from its second call on instead of
     * running interpreted (the Vector API is 50-200x slower there). Once per class and JVM,
     * {@value #WARM_ROUNDS} rounds or more of small models (1-2 CPU-seconds). The bits do not depend on it: every
     * operation of the kernels is exactly rounded in every tier (see {@link Activations}).
     */
    private static <A> void warmUpOnce(Compute<A> compute) {
        String name = compute.name();
        if (!WARM_UP || !(name.equals("plain") || name.equals("vector")) || !WARMED.add(compute.getClass())) {
            return;
        }
        List<Engine<A>> engines = new ArrayList<>();
        Random random = new Random(13);
        // small models of every cell and option the gate code branches on: hidden sizes of two vectors and a tail
        // at every vector length up to 16 lanes, every matrix-vector path (4, 2 and 1 panels), 6-, 4- and 1-row tiles
        engines.add(warmEngine(compute, random, Cell.RNN, Nonlinearity.TANH, true, 3, 35, 0, false, 0));
        engines.add(warmEngine(compute, random, Cell.RNN, Nonlinearity.RELU, true, 35, 35, 0, false, 0));
        engines.add(warmEngine(compute, random, Cell.LSTM, Nonlinearity.TANH, true, 3, 33, 0, false, 0));
        engines.add(warmEngine(compute, random, Cell.LSTM, Nonlinearity.TANH, true, 4, 35, 5, true, 0));
        engines.add(warmEngine(compute, random, Cell.GRU, Nonlinearity.TANH, true, 17, 33, 0, false, 0));
        engines.add(warmEngine(compute, random, Cell.GRU, Nonlinearity.TANH, false, 3, 35, 0, false, 5));
        // whole groups only (no tail), the matrix-vector paths of wider layers
        engines.add(warmEngine(compute, random, Cell.RNN, Nonlinearity.TANH, true, 64, 64, 0, false, 0));
        engines.add(warmEngine(compute, random, Cell.LSTM, Nonlinearity.TANH, true, 64, 64, 0, false, 0));
        engines.add(warmEngine(compute, random, Cell.GRU, Nonlinearity.TANH, true, 128, 128, 0, false, 0));
        // WARM_ROUNDS rounds, then on while a round takes over twice the fastest one (the JIT's queue is not
        // drained yet, e.g. on a loaded machine), up to 4 * WARM_ROUNDS rounds
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 4 * WARM_ROUNDS; round++) {
            long start = System.nanoTime();
            warmRound(compute, engines, round);
            long took = System.nanoTime() - start;
            best = Math.min(best, took);
            if (round >= WARM_ROUNDS && took <= 2 * best) {
                return;
            }
        }
    }

    /**
     * One round of the warm-up: every engine's argument checks and forward at batch 1 (and 11, every 8th round)
     * and 8 streaming steps.
     */
    private static <A> void warmRound(Compute<A> compute, List<Engine<A>> engines, int round) {
        for (Engine<A> e : engines) {
            int in = e.config.inputSize();
            // the argument checks every Net / Net32 call runs first (they build their messages' dimensions)
            Arguments.forward(e.config, 8, 1, 8 * in, -1, -1, null);
            e.run(8, 1, compute.newArray(8 * in), null, null, new int[] {8});
            if (round % 8 == 0) {
                // 77 rows: two row blocks of the vector GEMM, its 6-, 4- and 1-row tiles; varied lengths
                e.run(7, 11, compute.newArray(77 * in), null, null, new int[] {7, 1, 2, 7, 7, 7, 7, 7, 7, 6, 7});
            }
            Stream<A> s = e.newStream(1);
            A x = compute.newArray(in);
            for (int t = 0; t < 8; t++) {
                e.step(s, x);
            }
        }
    }

    /** A one-layer forward engine with random weights in [-1, 1) (a head of {@code head} outputs when > 0). */
    private static <A> Engine<A> warmEngine(Compute<A> compute, Random random, Cell cell, Nonlinearity nonlinearity,
                                            boolean lbr, int input, int hidden, int proj, boolean peepholes,
                                            int head) {
        Config config = new Config(cell, nonlinearity, lbr, input, hidden, 1, Direction.FORWARD, proj, peepholes,
                Double.NaN, head > 0 ? HeadActivation.SOFTMAX : HeadActivation.NONE, head);
        int rows = config.gates() * hidden;
        int hOut = config.outputSize();
        LayerWeights w = new LayerWeights(randoms(random, rows * input), randoms(random, rows * hOut),
                randoms(random, rows), randoms(random, rows), proj > 0 ? randoms(random, proj * hidden) : null,
                peepholes ? randoms(random, 3 * hidden) : null);
        return new Engine<>(config, compute, new LayerWeights[][] {{w}}, head > 0 ? randoms(random, head * hOut)
                : null, head > 0 ? randoms(random, head) : null);
    }

    private static double[] randoms(Random random, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = 2.0 * random.nextDouble() - 1.0;
        }
        return v;
    }

    /** The configuration this engine computes. */
    Config config() {
        return config;
    }

    /** "plain", "vector" or "exact". */
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
            y = compute.newArray(size(rows, config.headSize()));
            compute.dense(in, rows, head, headActivation, y, null);
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
        A gh = compute.newArray(padded(batch, ghs));                                 // [B, G*H] + pad
        // LSTM with a projection: m = o * tanh(c_t) and W_hr m; GRU (Cho): r * h_{t-1} and W_hn (r * h_{t-1})
        A m = w.hr != null || w.hn != null ? compute.newArray(batch * hidden) : null; // [B, H]
        int ps = w.hr != null ? w.hr.stride() : w.hn != null ? w.hn.stride() : 0;
        A p = ps > 0 ? compute.newArray(padded(batch, ps)) : null;                   // [B, P] or [B, H], + pad

        int[] xpRow = new int[batch]; // the xp row of batch row b at this step, -1 when it has stopped
        for (int step = 0; step < seqLen; step++) {
            for (int b = 0; b < batch; b++) {
                int len = lens[b];
                int t = reverse ? len - 1 - step : step;
                xpRow[b] = step < len ? t * batch + b : -1;
            }
            cellStep(w, batch, xpRow, xp, xs, h, c, gh, m, p);
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

    /**
     * The state and scratch of a streaming run of a FORWARD model at batch B, made once by
     * {@link #newStream} and then advanced in place by {@link #step}: per layer l a {@link LayerStream}
     * (the state h_l [B, H_out], c_l [B, H] for an LSTM, and the scratch); the head's y [B, O] and its
     * padded rows. Owned by one caller at a time (never shared between threads); the engine itself
     * stays immutable.
     */
    static final class Stream<A> {
        final Engine<A> engine;
        final int batch;
        /** B*I: the length of a step's x. */
        final int xLength;
        /** Every layer's h_l [B, H_out] and c_l [B, H] (null unless LSTM), the arrays of {@link #layers}. */
        final List<A> h = new ArrayList<>();
        final List<A> c = new ArrayList<>();
        /** Per layer, what its step reads and writes, fetched once here instead of on every step. */
        final LayerStream<A>[] layers;
        /** Row b of xp is batch row b (every row runs). */
        final int[] rows;
        /** The head's output [B, O] and, when the kernel pads its rows, [B, stride]; else null. */
        final A y;
        final A yPadded;

        @SuppressWarnings("unchecked") // a generic array: only LayerStream<A> instances go in
        private Stream(Engine<A> engine, int batch) {
            this.engine = engine;
            this.batch = batch;
            this.xLength = size(batch, engine.config.inputSize());
            layers = (LayerStream<A>[]) new LayerStream<?>[engine.layers.size()];
            for (int l = 0; l < layers.length; l++) {
                layers[l] = new LayerStream<>(engine, engine.layers.get(l), batch);
                h.add(layers[l].h);
                c.add(layers[l].c);
            }
            rows = new int[batch];
            for (int b = 0; b < batch; b++) {
                rows[b] = b;
            }
            Compute<A> compute = engine.compute;
            Matrix<A> head = engine.head;
            y = head != null ? compute.newArray(size(batch, head.n())) : null;
            yPadded = head != null && head.stride() != head.n() ? compute.newArray(size(batch, head.stride())) : null;
        }

        /** Copies the state out: h [L, B, H_out]; c [L, B, H] (LSTM; else ignored, may be null). */
        void getState(A hAll, A cAll) {
            copyLayers(h, hAll, true);
            if (cAll != null && !c.isEmpty() && c.get(0) != null) {
                copyLayers(c, cAll, true);
            }
        }

        /** Sets the state: h [L, B, H_out] and c [L, B, H] (LSTM), null for zeros. */
        void setState(A hAll, A cAll) {
            copyLayers(h, hAll, false);
            if (!c.isEmpty() && c.get(0) != null) {
                copyLayers(c, cAll, false);
            }
        }

        private void copyLayers(List<A> layers, A all, boolean out) {
            int at = 0;
            for (A layer : layers) {
                int n = java.lang.reflect.Array.getLength(layer);
                if (out) {
                    System.arraycopy(layer, 0, all, at, n);
                } else if (all == null) {
                    System.arraycopy(engine.compute.newArray(n), 0, layer, 0, n);
                } else {
                    System.arraycopy(all, at, layer, 0, n);
                }
                at += n;
            }
        }
    }

    /**
     * One layer of a {@link Stream}: its weights, its state h [B, H_out] (and c [B, H] for an LSTM), the
     * scratch xp [B, G*H], gh [B, G*H] + pad, m [B, H] and p [B, P] + pad ({@link #TAIL_PAD}; m and p
     * only with a projection or a Cho GRU), and their strides, all fixed at {@link #newStream}.
     */
    private static final class LayerStream<A> {
        final Layer<A> w;
        final A h;
        final A c;
        final A xp;
        final A gh;
        final A m;
        final A p;
        /** Row strides of xp, gh and p (0 without p). */
        final int xs;
        final int ghs;
        final int ps;

        LayerStream(Engine<A> engine, Layer<A> w, int batch) {
            Config config = engine.config;
            Compute<A> compute = engine.compute;
            int hidden = config.hiddenSize();
            this.w = w;
            xs = w.ih.stride();
            ghs = w.hh.stride();
            ps = w.hr != null ? w.hr.stride() : w.hn != null ? w.hn.stride() : 0;
            h = compute.newArray(size(batch, config.outputSize()));
            c = config.cell() == Cell.LSTM ? compute.newArray(size(batch, hidden)) : null;
            xp = compute.newArray(size(batch, xs));
            gh = compute.newArray(padded(batch, ghs));
            m = ps > 0 ? compute.newArray(size(batch, hidden)) : null;
            p = ps > 0 ? compute.newArray(padded(batch, ps)) : null;
        }
    }

    /** A new {@link Stream} at batch {@code batch}, zero state; FORWARD models only (checked by the caller). */
    Stream<A> newStream(int batch) {
        return new Stream<>(this, batch);
    }

    /**
     * One time step of every layer on x [B, I] (validated by the caller), in place in
     * {@code s}: the same kernel calls on the same arrays as {@link #run} with T = 1 (so the same
     * bits), with every row running: per layer {@code xp = x W_ih^T + b_ih}, {@code gh = h_{t-1}
     * W_hh^T + b_hh}, then the gates row by row. The top layer's h_t is then {@code s.h.get(L-1)}
     * and the head's output {@code s.y}. Allocates nothing (every array lives in s; the kernels
     * allocate nothing at batch 1). The shapes, strides and the cell's branch were fixed at
     * {@link #newStream}, so a step reads no configuration.
     */
    void step(Stream<A> s, A x) {
        int batch = s.batch;
        A in = x;                                                                     // [B, I_l]
        for (LayerStream<A> ls : s.layers) {
            Layer<A> w = ls.w;
            // xp = x W_ih^T + b_ih                                                    [B, G*H]
            compute.linear(in, 0, batch, w.ih, ls.xp, 0, ls.xs);
            // gh = h_{t-1} W_hh^T + b_hh                                              [B, G*H]
            compute.linear(ls.h, 0, batch, w.hh, ls.gh, 0, ls.ghs);
            stepGates(ls, batch, s.rows);
            in = ls.h;
        }
        if (head != null) {
            // y = act(W_y h_t + b_y)                                                  [B, O]
            compute.dense(in, batch, head, headActivation, s.y, s.yPadded);
        }
    }

    /**
     * The gates of one layer's step on every row b (xp row b), after {@link #step}'s products: the
     * calls {@link #cellStep} makes with {@code xpRow[b] = b}. One small method per cell, so that the
     * JIT inlines the one a net runs into {@link #step}.
     */
    private void stepGates(LayerStream<A> ls, int batch, int[] rows) {
        switch (stepCell) {
            case STEP_LSTM -> stepLstm(ls, batch);
            case STEP_GRU -> stepGru(ls, batch);
            case STEP_RNN -> stepRnn(ls, batch);
            // m = o * tanh(c_t), then h_t = W_hr m                                      [B, P]
            case STEP_LSTM_PROJECTED -> compute.lstmProjected(ls.w.hr, ls.w.peepholes, batch, rows, ls.xp, ls.xs,
                    ls.gh, ls.ghs, ls.c, ls.m, ls.p, ls.ps, ls.h, outputSize, hiddenSize);
            // r first, then W_hn (r * h_{t-1}) + b_hn
            default -> compute.gruCho(ls.w.hn, batch, rows, ls.xp, ls.xs, ls.gh, ls.ghs, ls.h, outputSize, ls.m, ls.p,
                    ls.ps, hiddenSize);
        }
    }

    /** LSTM gates of rows 0 .. B-1: c [B, H] and h [B, H_out] from t-1 to t. */
    private void stepLstm(LayerStream<A> ls, int batch) {
        for (int b = 0; b < batch; b++) {
            compute.lstm(ls.w.peepholes, ls.xp, b * ls.xs, ls.gh, b * ls.ghs, ls.c, b * hiddenSize, ls.h,
                    b * outputSize, hiddenSize);
        }
    }

    /** GRU (linear_before_reset) gates of rows 0 .. B-1: h [B, H] from t-1 to t. */
    private void stepGru(LayerStream<A> ls, int batch) {
        for (int b = 0; b < batch; b++) {
            compute.gru(ls.xp, b * ls.xs, ls.gh, b * ls.ghs, ls.h, b * outputSize, hiddenSize);
        }
    }

    /** Elman RNN of rows 0 .. B-1: h [B, H] from t-1 to t. */
    private void stepRnn(LayerStream<A> ls, int batch) {
        for (int b = 0; b < batch; b++) {
            compute.rnn(relu, ls.xp, b * ls.xs, ls.gh, b * ls.ghs, ls.h, b * outputSize, hiddenSize);
        }
    }

    /**
     * One time step of one direction of one layer on the rows b with {@code xpRow[b] >= 0}:
     * {@code gh = h_{t-1} W_hh^T + b_hh}, then the gates; h [B, H_out] (and c [B, H]) go from
     * t-1 to t in place. xp holds {@code W_ih x_t + b_ih} at row {@code xpRow[b]} (stride xs);
     * gh [B, ghs], m [B, H] and p [B, ps] are scratch. Allocates nothing.
     */
    private void cellStep(Layer<A> w, int batch, int[] xpRow, A xp, int xs, A h, A c, A gh, A m, A p) {
        int hidden = config.hiddenSize();
        int hOut = config.outputSize();
        boolean relu = config.nonlinearity() == Nonlinearity.RELU;
        int ghs = w.hh.stride();
        int ps = w.hr != null ? w.hr.stride() : w.hn != null ? w.hn.stride() : 0;
        // gh = h_{t-1} W_hh^T + b_hh for every row (rows that stopped are not used)  [B, G*H]
        compute.linear(h, 0, batch, w.hh, gh, 0, ghs);
        switch (config.cell()) {
            case RNN:
                for (int b = 0; b < batch; b++) {
                    if (xpRow[b] >= 0) {
                        compute.rnn(relu, xp, xpRow[b] * xs, gh, b * ghs, h, b * hOut, hidden);
                    }
                }
                break;
            case LSTM:
                if (w.hr != null) {
                    // m = o * tanh(c_t), then h_t = W_hr m                              [B, P]
                    compute.lstmProjected(w.hr, w.peepholes, batch, xpRow, xp, xs, gh, ghs, c, m, p, ps, h, hOut,
                            hidden);
                    break;
                }
                for (int b = 0; b < batch; b++) {
                    if (xpRow[b] >= 0) {
                        // m = o * tanh(c_t) goes straight to h without a projection
                        compute.lstm(w.peepholes, xp, xpRow[b] * xs, gh, b * ghs, c, b * hidden, h, b * hOut,
                                hidden);
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
                compute.gruCho(w.hn, batch, xpRow, xp, xs, gh, ghs, h, hOut, m, p, ps, hidden);
                break;
            default:
                throw new IllegalStateException("unknown cell " + config.cell());
        }
    }

    /**
     * Elements after the gate scratch gh (and the Cho GRU's gn): the vector kernels run the last units of
     * a gate block (fewer than a vector, all of them when H is below a vector) as one whole vector when
     * the array holds one there, which the last block needs this pad for (64: 512-bit float lanes, four
     * times over). It only decides speed: without it those units get the same bits one at a time.
     */
    private static final int TAIL_PAD = 64;

    /** {@link #size} plus {@link #TAIL_PAD}. */
    private static int padded(int rows, int cols) {
        return Checks.product("rows*columns of a scratch array", "rows=" + rows + ", columns=" + cols, rows, cols)
                + TAIL_PAD;
    }

    /** rows * cols, or an IllegalArgumentException when a scratch array would be too large. */
    private static int size(int rows, int cols) {
        return Checks.product("rows*columns of a scratch array", "rows=" + rows + ", columns=" + cols, rows, cols);
    }
}

package rnnrosetta.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rnnrosetta.Chain;
import rnnrosetta.Chain32;
import rnnrosetta.ChainParams;
import rnnrosetta.ChainSpec;
import rnnrosetta.Gradients;
import rnnrosetta.Kernel;
import rnnrosetta.Result;
import rnnrosetta.Tape;

/**
 * One optimizer step of a character model on one window (docs/training.md, "One step"), in float64
 * ({@link Chain}) or float32 ({@link Chain32}):
 *
 * <pre>
 *   z, state_next = forward(tokens, h, c)                           z [T, B, V] (the logits chain's y)
 *   loss, dz      = SoftmaxCrossEntropy(z, targets)                 mean over the T*B rows, float64
 *   grads         = backward(d_y = dz)                              every weight array, chain order
 *   clip (clipNorm &gt; 0), then the optimizer's update of every weight array
 * </pre>
 *
 * The chain is immutable, so the trainer owns the weights (by dotted path, {@link ChainParams}) and
 * builds a new chain of the same structure and kernel after each update: {@link #chain()} /
 * {@link #chain32()} is always the model with the current weights. In float32 the weights are the
 * float-rounded ones and every update is float arithmetic (states and the loss are passed as double).
 * Not thread-safe.
 */
public final class Trainer {
    private final boolean float32;
    private final Kernel kernel;
    private final Optimizer optimizer;
    private final double clipNorm;
    private final Map<String, double[]> params;   // the live weight arrays, chain order
    private final List<double[]> paramList;       // the same arrays, in that order
    private final int classes;                    // V
    private ChainSpec spec;
    private Chain chain;
    private Chain32 chain32;
    private int steps;

    /**
     * A float64 trainer of {@code logitsChain} (a character model whose last dense activation is identity).
     *
     * @throws TrainError when the chain is not such a model
     * @throws IllegalArgumentException when an argument is null
     */
    public Trainer(Chain logitsChain, TrainConfig config) {
        this(notNull(logitsChain).spec(), ChainParams.kernelOf(logitsChain.kernelName()), config, false);
    }

    /** The float32 trainer of {@code logitsChain}: its weights rounded to float, float updates. */
    public Trainer(Chain32 logitsChain, TrainConfig config) {
        this(notNull(logitsChain).spec(), ChainParams.kernelOf(logitsChain.kernelName()), config, true);
    }

    private Trainer(ChainSpec spec, Kernel kernel, TrainConfig config, boolean float32) {
        if (config == null) {
            throw new IllegalArgumentException("the trainer needs a TrainConfig");
        }
        LogitsModel.checkLogits(spec);
        this.float32 = float32;
        this.kernel = kernel;
        this.optimizer = Optimizer.of(config, float32);
        this.clipNorm = config.clipNorm();
        this.classes = spec.embedding().vocabSize();
        this.params = ChainParams.of(spec);
        if (float32) {
            for (double[] p : params.values()) {
                for (int i = 0; i < p.length; i++) {
                    p[i] = (float) p[i];                                 // what Chain32 computes with
                }
            }
        }
        this.paramList = new ArrayList<>(params.values());
        this.spec = spec;
        rebuild();
    }

    private static <T> T notNull(T chain) {
        if (chain == null) {
            throw new IllegalArgumentException("the trainer needs a chain");
        }
        return chain;
    }

    /**
     * One step on one window; updates the weights (and {@link #chain()}) unless the loss is not finite.
     *
     * @param seqLen  T &gt;= 1
     * @param batch   B &gt;= 1
     * @param tokens  inputs [T, B], each in 0 .. V-1
     * @param targets [T, B], each in 0 .. V-1
     * @param h       the state the step starts from [S_h * B] (the flat slots), or null for zeros
     * @param c       [S_c * B], or null for zeros; null for a chain without LSTM layers
     * @param hNext   receives h_n [S_h * B] of the forward pass, or null
     * @param cNext   receives c_n [S_c * B], or null
     * @return the loss, computed before the update; not finite: no update was made
     * @throws IllegalArgumentException on a bad size, token or target
     */
    public double step(int seqLen, int batch, int[] tokens, int[] targets, double[] h, double[] c, double[] hNext,
                       double[] cNext) {
        if (targets == null || (long) seqLen * batch != targets.length) {
            throw new IllegalArgumentException("targets must hold T*B = " + ((long) seqLen * batch) + " values");
        }
        if ((long) seqLen * batch * classes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("T*B*V = " + ((long) seqLen * batch * classes)
                    + " logits do not fit one Java array");
        }
        int rows = seqLen * batch;
        double[] dz = new double[rows * classes];                                  // [T, B, V]
        double loss;
        Map<String, double[]> grads = new LinkedHashMap<>();
        if (float32) {
            Tape<float[]> tape = chain32.forwardTokensKeep(seqLen, batch, tokens, narrowed(h), narrowed(c), null);
            Result<float[]> r = tape.result();
            loss = SoftmaxCrossEntropy.lossAndGradient(r.y(), rows, classes, targets, dz);
            copyState(widened(r.hN()), hNext, "hNext");
            copyState(widened(r.cN()), cNext, "cNext");
            if (!Double.isFinite(loss)) {
                return loss;
            }
            Gradients<float[]> g = chain32.backward(tape, null, null, null, narrowed(dz));
            g.weights().forEach((path, grad) -> grads.put(path, widened(grad)));
        } else {
            Tape<double[]> tape = chain.forwardTokensKeep(seqLen, batch, tokens, h, c, null);
            Result<double[]> r = tape.result();
            loss = SoftmaxCrossEntropy.lossAndGradient(r.y(), rows, classes, targets, dz);
            copyState(r.hN(), hNext, "hNext");
            copyState(r.cN(), cNext, "cNext");
            if (!Double.isFinite(loss)) {
                return loss;
            }
            grads.putAll(chain.backward(tape, null, null, null, dz).weights());
        }
        List<double[]> gradList = new ArrayList<>();
        for (String path : params.keySet()) {
            gradList.add(grads.get(path));
        }
        if (clipNorm > 0) {
            GradientClipping.clip(gradList, clipNorm, float32);
        }
        optimizer.step(paramList, gradList);
        steps++;
        rebuild();
        return loss;
    }

    /** The steps that updated the weights. */
    public int steps() {
        return steps;
    }

    /** Whether the trainer computes in float32. */
    public boolean float32() {
        return float32;
    }

    /** The current logits chain's model (last dense activation identity). */
    public ChainSpec spec() {
        return spec;
    }

    /** The float64 chain with the current weights; null for a float32 trainer. */
    public Chain chain() {
        return chain;
    }

    /** The float32 chain with the current weights; null for a float64 trainer. */
    public Chain32 chain32() {
        return chain32;
    }

    /** Copies of the current weights by dotted path, in chain order (an unmodifiable map). */
    public Map<String, double[]> params() {
        Map<String, double[]> out = new LinkedHashMap<>();
        params.forEach((path, p) -> out.put(path, p.clone()));
        return Collections.unmodifiableMap(out);
    }

    /** P, the number of weights. */
    public long paramCount() {
        long n = 0;
        for (double[] p : paramList) {
            n += p.length;
        }
        return n;
    }

    private void rebuild() {
        spec = ChainParams.withWeights(spec, params);
        if (float32) {
            chain32 = new Chain32(spec, kernel);
        } else {
            chain = new Chain(spec, kernel);
        }
    }

    private static void copyState(double[] from, double[] to, String name) {
        if (to == null) {
            return;
        }
        int n = from == null ? 0 : from.length;
        if (to.length != n) {
            throw new IllegalArgumentException(name + " must hold " + n + " values, got " + to.length);
        }
        if (from != null) {
            System.arraycopy(from, 0, to, 0, n);
        }
    }

    private static float[] narrowed(double[] a) {
        if (a == null) {
            return null;
        }
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    private static double[] widened(float[] a) {
        if (a == null) {
            return null;
        }
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}

package rnnrosetta.generation;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import rnnrosetta.Chain;
import rnnrosetta.Chain32;
import rnnrosetta.ChainSpec;
import rnnrosetta.DenseActivation;
import rnnrosetta.Kernel;
import rnnrosetta.Result;
import rnnrosetta.fixture.ChainFixture;

/**
 * Text from a character model (docs/generation.md, "The procedure"), the same bytes as the numpy
 * and C backends for the same fixture, prime, length, temperature and seed:
 *
 * <pre>
 *   tokens = the prime's characters looked up in the vocabulary
 *   state  = zeros (every h and c slot), batch 1
 *   for each prime token p:  z, state = step(p, state)             z: logits [V]
 *   repeat length times:     k = sample(z, T, rng); emit vocabulary[k]; z, state = step(k, state)
 * </pre>
 *
 * {@code step} is {@link Chain#stepTokens} (or {@link Chain32#stepTokens}, its logits widened to
 * float64) on the fixture's chain with the last dense layer's activation set to identity, so that
 * its y is the logits z = W_k a + b_k that the softmax would have read. Immutable after
 * construction; each {@link #generate} call carries its own state.
 */
public final class TextGenerator {
    /** The refusal of a model without a vocabulary, worded as the C demo and the Python command word it. */
    public static final String NO_VOCABULARY = CharacterModel.NO_VOCABULARY;
    private final List<String> vocabulary;
    private final Map<Integer, Integer> tokenOf;      // code point -> token index
    private final Stepper stepper;

    /**
     * A generator for a version 2 fixture, computing in float64 or float32 with {@link Kernel#AUTO}.
     *
     * @throws GenerationError when the model cannot generate (one line, without the file)
     */
    public static TextGenerator of(ChainFixture fixture, boolean float32) {
        if (fixture.vocabulary() == null) {
            throw new GenerationError(NO_VOCABULARY);
        }
        return new TextGenerator(fixture.spec(), fixture.vocabulary(), float32, Kernel.AUTO);
    }

    /**
     * A generator for {@code spec} whose token k prints as {@code vocabulary.get(k)}.
     *
     * @param spec       a chain with an embedding of V rows, layers that all run forward, readout
     *                   sequence, a last dense layer of V outputs with activation softmax or identity
     * @param vocabulary V strings of one code point each, no two alike
     * @param float32    compute with {@link Chain32} (logits widened to float64) instead of {@link Chain}
     * @param kernel     the code path the chain computes with
     * @throws GenerationError when the model cannot generate
     */
    public TextGenerator(ChainSpec spec, List<String> vocabulary, boolean float32, Kernel kernel) {
        if (spec == null || kernel == null) {
            throw new IllegalArgumentException("TextGenerator needs a spec and a kernel");
        }
        if (vocabulary == null) {
            throw new GenerationError(NO_VOCABULARY);
        }
        this.tokenOf = lookup(vocabulary);                // checks every entry (null included) first
        this.vocabulary = List.copyOf(vocabulary);
        ChainSpec logits = logitsSpec(spec, this.vocabulary.size());
        this.stepper = float32 ? new Stepper32(new Chain32(logits, kernel)) : new Stepper64(new Chain(logits, kernel));
    }

    /** V strings, token k printing as entry k. */
    public List<String> vocabulary() {
        return vocabulary;
    }

    /**
     * The prime followed by {@code length} sampled characters (no line break).
     *
     * @param prime       non-empty; every character in the vocabulary
     * @param length      0 .. 1000000 characters to generate
     * @param temperature finite, &gt;= 0 (0: greedy)
     * @param rng         the generator; one draw per generated character when temperature &gt; 0
     * @throws IllegalArgumentException on an empty prime, a character not in the vocabulary (named,
     *                                  with its code point), a bad length or temperature
     */
    public String generate(String prime, int length, double temperature, SplitMix64 rng) {
        Sampler.checkTemperature(temperature);
        if (length < 0 || length > 1_000_000) {
            throw new IllegalArgumentException("--length must be an integer in 0 .. 1000000, got " + length);
        }
        if (rng == null) {
            throw new IllegalArgumentException("generate needs a generator");
        }
        int[] tokens = tokens(prime);
        Object[] state = stepper.zeros();                  // {h [S_h], c [S_c] or null}
        double[] z = null;                                 // logits [V]
        for (int token : tokens) {
            z = stepper.step(token, state);
        }
        StringBuilder out = new StringBuilder(prime);
        for (int n = 0; n < length; n++) {
            int k = Sampler.sampleToken(z, temperature, rng);
            out.append(vocabulary.get(k));
            if (n + 1 < length) {
                z = stepper.step(k, state);                    // not needed after the last character
            }
        }
        return out.toString();
    }

    /** {@link #generate(String, int, double, SplitMix64)} with a fresh {@code new SplitMix64(seed)}. */
    public String generate(String prime, int length, double temperature, long seed) {
        return generate(prime, length, temperature, new SplitMix64(seed));
    }

    /** The prime's tokens, one per code point. */
    private int[] tokens(String prime) {
        if (prime == null || prime.isEmpty()) {
            throw new IllegalArgumentException("--prime must not be empty");
        }
        int[] codePoints = prime.codePoints().toArray();
        int[] tokens = new int[codePoints.length];
        for (int position = 0; position < codePoints.length; position++) {
            Integer k = tokenOf.get(codePoints[position]);
            if (k == null) {
                throw new IllegalArgumentException("--prime: character " + position + " ("
                        + CharacterModel.codePoint(codePoints[position]) + ") is not in the vocabulary");
            }
            tokens[position] = k;
        }
        return tokens;
    }

    private static Map<Integer, Integer> lookup(List<String> vocabulary) {
        Map<Integer, Integer> tokenOf = new HashMap<>();
        for (int k = 0; k < vocabulary.size(); k++) {
            String s = vocabulary.get(k);
            if (s == null || s.codePointCount(0, s.length()) != 1) {
                throw new GenerationError("vocabulary[" + k + "] is not one character");
            }
            if (tokenOf.putIfAbsent(s.codePointAt(0), k) != null) {
                throw new GenerationError("vocabulary[" + k + "] is a duplicate");
            }
        }
        return tokenOf;
    }

    /**
     * The chain that gives logits: {@code spec} with the last dense layer's activation set to
     * identity, after checking that the model can generate ({@link CharacterModel#problem}).
     */
    static ChainSpec logitsSpec(ChainSpec spec, int vocabSize) {
        String problem = CharacterModel.problem(spec, vocabSize, CharacterModel.GENERATION);
        if (problem != null) {
            throw new GenerationError(problem);
        }
        return CharacterModel.withLastActivation(spec, DenseActivation.IDENTITY);
    }

    /** One streaming step in either precision: the state updated in place, the logits returned. */
    private interface Stepper {
        /** {h [S_h] zeros, c [S_c] zeros or null without LSTM layers}, in the stepper's precision. */
        Object[] zeros();

        /** Feeds {@code token}; state becomes the next state; returns the logits z [V] in float64. */
        double[] step(int token, Object[] state);
    }

    /** float64: {@link Chain#stepTokens}. */
    private static final class Stepper64 implements Stepper {
        private final Chain chain;

        Stepper64(Chain chain) {
            this.chain = chain;
        }

        @Override
        public Object[] zeros() {
            int sc = sum(chain.spec().cellStateSizes());
            return new Object[] {new double[sum(chain.spec().stateSizes())], sc == 0 ? null : new double[sc]};
        }

        @Override
        public double[] step(int token, Object[] state) {
            Result<double[]> r = chain.stepTokens(1, new int[] {token}, (double[]) state[0], (double[]) state[1]);
            state[0] = r.hN();
            state[1] = r.cN();
            return r.y();                                  // [1, V]
        }
    }

    /** float32: {@link Chain32#stepTokens}, the logits widened to float64 (exactly). */
    private static final class Stepper32 implements Stepper {
        private final Chain32 chain;

        Stepper32(Chain32 chain) {
            this.chain = chain;
        }

        @Override
        public Object[] zeros() {
            int sc = sum(chain.spec().cellStateSizes());
            return new Object[] {new float[sum(chain.spec().stateSizes())], sc == 0 ? null : new float[sc]};
        }

        @Override
        public double[] step(int token, Object[] state) {
            Result<float[]> r = chain.stepTokens(1, new int[] {token}, (float[]) state[0], (float[]) state[1]);
            state[0] = r.hN();
            state[1] = r.cN();
            float[] y = r.y();                             // [1, V]
            double[] z = new double[y.length];
            for (int i = 0; i < y.length; i++) {
                z[i] = y[i];
            }
            return z;
        }
    }

    private static int sum(int[] sizes) {
        int total = 0;
        for (int size : sizes) {
            total += size;
        }
        return total;
    }
}

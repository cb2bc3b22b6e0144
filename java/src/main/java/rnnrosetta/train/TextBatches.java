package rnnrosetta.train;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import rnnrosetta.generation.CharacterModel;

/**
 * A text as B parallel streams cut into windows of k steps (docs/training.md, "Data: streams and
 * windows"):
 *
 * <pre>
 *   N = len(tokens);  L = (N - 1) // B          stream length (refused when L &lt; 1)
 *   stream b reads tokens[b*L : b*L + L] and predicts tokens[b*L + 1 : b*L + L + 1]
 *   W = ceil(L / k)                             windows per pass over the streams
 *   window w: positions [w*k, min((w+1)*k, L)),  T_w = min(k, L - w*k)
 *   x[t][b] = tokens[b*L + w*k + t],  y[t][b] = tokens[b*L + w*k + t + 1]     ([T_w][B], time-major)
 *   step s trains on window s mod W; the state restarts from zeros at window 0
 * </pre>
 *
 * Immutable.
 */
public final class TextBatches {
    private final int[] tokens;
    private final int batch;
    private final int bptt;
    private final int streamLength;
    private final int windows;

    /** One window: {@code inputs} and {@code targets} are [seqLen, batch], time-major. */
    public record Window(int index, int seqLen, int batch, int[] inputs, int[] targets) {
    }

    /**
     * The streams and windows of {@code tokens}.
     *
     * @throws IllegalArgumentException when batch or bptt is &lt; 1, or L &lt; 1 ("the text is too
     *                                  short for B streams")
     */
    public TextBatches(int[] tokens, int batch, int bptt) {
        if (tokens == null) {
            throw new IllegalArgumentException("tokens must not be null");
        }
        if (batch < 1 || bptt < 1) {
            throw new IllegalArgumentException("--batch and --bptt must be >= 1, got " + batch + " and " + bptt);
        }
        this.tokens = tokens.clone();
        this.batch = batch;
        this.bptt = bptt;
        this.streamLength = Math.floorDiv(tokens.length - 1, batch);             // L = (N - 1) // B
        if (streamLength < 1) {
            throw new IllegalArgumentException("the text is too short for " + batch + " streams (" + tokens.length
                    + " characters; at least " + (batch + 1L) + " needed)");
        }
        this.windows = (int) ((streamLength + (long) bptt - 1) / bptt);          // W = ceil(L / k)
    }

    /** L, the length of each stream. */
    public int streamLength() {
        return streamLength;
    }

    /** W, the windows per pass. */
    public int windows() {
        return windows;
    }

    /** B. */
    public int batch() {
        return batch;
    }

    /** The window step {@code s} (0, 1, ...) trains on: w = s mod W. */
    public Window forStep(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        return window((int) (step % windows));
    }

    /** Whether step {@code s} starts from zeros (its window is window 0). */
    public boolean resetsState(long step) {
        return step % windows == 0;
    }

    /** Window w, 0 .. W-1. */
    public Window window(int w) {
        if (w < 0 || w >= windows) {
            throw new IllegalArgumentException("window must be in 0 .. " + (windows - 1) + ", got " + w);
        }
        int start = w * bptt;
        int steps = Math.min(bptt, streamLength - start);                         // T_w
        int[] x = new int[steps * batch];
        int[] y = new int[steps * batch];
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batch; b++) {
                int at = b * streamLength + start + t;
                x[t * batch + b] = tokens[at];                                    // tokens[b*L + w*k + t]
                y[t * batch + b] = tokens[at + 1];                                // ... + 1
            }
        }
        return new Window(w, steps, batch, x, y);
    }

    /**
     * The text's characters (code points) looked up in the vocabulary.
     *
     * @throws IllegalArgumentException naming the first character outside the vocabulary:
     *                                  "character k (line n, U+XXXX) is not in the vocabulary", k counted
     *                                  from 0 in code points, n from 1 (the newlines before it + 1)
     */
    public static int[] encode(String text, List<String> vocabulary) {
        if (text == null || vocabulary == null) {
            throw new IllegalArgumentException("encode needs a text and a vocabulary");
        }
        Map<Integer, Integer> tokenOf = new HashMap<>();
        for (int k = 0; k < vocabulary.size(); k++) {
            tokenOf.putIfAbsent(vocabulary.get(k).codePointAt(0), k);
        }
        int[] codePoints = text.codePoints().toArray();
        int[] out = new int[codePoints.length];
        int line = 1;                                                             // newlines before i, + 1
        for (int i = 0; i < codePoints.length; i++) {
            Integer k = tokenOf.get(codePoints[i]);
            if (k == null) {
                throw new IllegalArgumentException("character " + i + " (line " + line + ", "
                        + CharacterModel.codePoint(codePoints[i]) + ") is not in the vocabulary");
            }
            if (codePoints[i] == '\n') {
                line++;
            }
            out[i] = k;
        }
        return out;
    }
}

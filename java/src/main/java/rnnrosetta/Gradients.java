package rnnrosetta;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link Chain#backward} (and {@link Chain32#backward}) return: {@code dL/d} of everything the
 * forward pass read, each as a flat row-major array in the shape of what it is the gradient of,
 * freshly allocated and owned by the caller.
 *
 * <p>{@link #weights()} maps each weight's dotted JSON path in a version-2 fixture's {@code model}
 * object to its gradient, in chain order: {@code embedding.weight}; per layer l, forward then
 * reverse, {@code layers.l.forward.weight_ih}, {@code weight_hh}, {@code bias_ih}, {@code bias_hh},
 * {@code weight_hr}, {@code peephole_i}, {@code peephole_f}, {@code peephole_o} (those present);
 * {@code dense.k.weight}, {@code dense.k.bias}.
 *
 * @param <A> double[] (Chain) or float[] (Chain32)
 */
public final class Gradients<A> {
    private final Map<String, A> weights;
    private final A x;
    private final A h0;
    private final A c0;

    Gradients(Map<String, A> weights, A x, A h0, A c0) {
        this.weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        this.x = x;
        this.h0 = h0;
        this.c0 = c0;
    }

    /** Every weight's gradient by dotted JSON path, in chain order (an unmodifiable map). */
    public Map<String, A> weights() {
        return weights;
    }

    /** dL/dx [T, B, I]; null for a chain with an embedding (tokens have no gradient, E's rows get it). */
    public A x() {
        return x;
    }

    /** dL/dh0 [S_h * B], the flat slots as forward takes h0. */
    public A h0() {
        return h0;
    }

    /** dL/dc0 [S_c * B], the flat slots as forward takes c0; null for a chain without LSTM layers. */
    public A c0() {
        return c0;
    }
}

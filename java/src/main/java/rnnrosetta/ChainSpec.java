package rnnrosetta;

import java.util.ArrayList;
import java.util.List;

/**
 * A model as a chain (fixture format v2), without a precision: an optional embedding, one or
 * more recurrent layers, a readout, zero or more dense layers. {@link Chain} computes it in
 * float64, {@link Chain32} in float32. The canonical constructor validates that the sizes
 * connect; immutable.
 *
 * <pre>
 *   x_t      = E[token_t]                 (with an embedding; else x_t is the input)      [B, I]
 *   out_0    = merge_0(layer_0(x))                                                       [T, B, W_0]
 *   out_l    = merge_l(layer_l(out_{l-1}))                                               [T, B, W_l]
 *   v        = out_top (SEQUENCE) | merge_top(h_n of the top layer) (LAST)          [T, B, W] | [B, W]
 *   y        = act_k(W_k ... act_1(W_1 v + b_1) ... + b_k)                          [T, B, O] | [B, O]
 * </pre>
 *
 * <p>States: one slot per (layer, direction) in the order l0_fwd, l0_rev, l1_fwd, ...; slot k
 * is [B, H_out_k]. Cell-state slots: one per (LSTM layer, direction), same order, [B, H_k].
 * Flat, the slots are concatenated, each row-major: for equal sizes that is the v1 layout
 * [L*D, B, H_out].
 *
 * @param embedding the lookup table, or null (real inputs)
 * @param layers    the recurrent layers, at least one; layer l's input size is layer l-1's width
 * @param dense     the dense layers (may be empty); dense k's inputs are dense k-1's outputs
 * @param readout   SEQUENCE or LAST
 */
public record ChainSpec(Embedding embedding, List<RecurrentLayer> layers, List<DenseLayer> dense, Readout readout) {
    /**
     * Validates that the parts connect.
     *
     * @throws IllegalArgumentException when a size does not match what feeds it
     */
    public ChainSpec {
        Checks.notNull("layers", layers);
        Checks.notNull("dense", dense);
        Checks.notNull("readout", readout);
        for (int l = 0; l < layers.size(); l++) {
            Checks.notNull("layers[" + l + "]", layers.get(l));
        }
        for (int k = 0; k < dense.size(); k++) {
            Checks.notNull("dense[" + k + "]", dense.get(k));
        }
        layers = List.copyOf(layers);
        dense = List.copyOf(dense);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a chain needs at least one recurrent layer");
        }
        int width = embedding != null ? embedding.size() : layers.get(0).config().inputSize();
        for (int l = 0; l < layers.size(); l++) {
            int in = layers.get(l).config().inputSize();
            if (in != width) {
                throw new IllegalArgumentException("layers[" + l + "] reads " + in + " features, but "
                        + (l == 0 ? "the embedding gives " : "layers[" + (l - 1) + "] gives ") + width);
            }
            width = layers.get(l).width();
        }
        for (int k = 0; k < dense.size(); k++) {
            if (dense.get(k).inputs() != width) {
                throw new IllegalArgumentException("dense[" + k + "] reads " + dense.get(k).inputs()
                        + " values, but " + (k == 0 ? "the readout gives " : "dense[" + (k - 1) + "] gives ")
                        + width);
            }
            width = dense.get(k).outputs();
        }
    }

    /** I: what layer 0 reads per step (the embedding's width with an embedding). */
    public int inputSize() {
        return layers.get(0).config().inputSize();
    }

    /** Whether the inputs are tokens (the chain has an embedding). */
    public boolean takesTokens() {
        return embedding != null;
    }

    /** W: the top layer's merged output width. */
    public int outputWidth() {
        return layers.get(layers.size() - 1).width();
    }

    /** H_out of every h slot, in slot order. */
    public int[] stateSizes() {
        List<Integer> sizes = new ArrayList<>();
        for (RecurrentLayer layer : layers) {
            for (int d = 0; d < layer.config().numDirections(); d++) {
                sizes.add(layer.config().outputSize());
            }
        }
        return sizes.stream().mapToInt(Integer::intValue).toArray();
    }

    /** H of every c slot (LSTM layers only), in slot order; empty without LSTM layers. */
    public int[] cellStateSizes() {
        List<Integer> sizes = new ArrayList<>();
        for (RecurrentLayer layer : layers) {
            for (int d = 0; layer.config().cell() == Cell.LSTM && d < layer.config().numDirections(); d++) {
                sizes.add(layer.config().hiddenSize());
            }
        }
        return sizes.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Whether the chain produces y: with dense layers, or with the LAST readout. */
    public boolean hasY() {
        return !dense.isEmpty() || readout == Readout.LAST;
    }

    /** O: the last dense layer's outputs, else the readout's width with LAST; 0 without y. */
    public int ySize() {
        if (!dense.isEmpty()) {
            return dense.get(dense.size() - 1).outputs();
        }
        return readout == Readout.LAST ? outputWidth() : 0;
    }

    /** Whether every layer reads forward only (what {@link Chain#step} needs). */
    public boolean allForward() {
        return layers.stream().allMatch(layer -> layer.config().direction() == Direction.FORWARD);
    }
}

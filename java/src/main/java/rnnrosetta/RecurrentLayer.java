package rnnrosetta;

/**
 * One recurrent layer of a chain: a one-layer {@link Config} (its {@code inputSize} is what
 * the layer reads: the chain's input for layer 0, the previous layer's merged width after),
 * its weights per direction and how a bidirectional layer merges its directions.
 *
 * @param config  the layer: numLayers = 1, no head
 * @param merge   how the two directions join; CONCAT for a one-direction layer
 * @param weights D entries: FORWARD -&gt; [forward], REVERSE -&gt; [reverse],
 *                BIDIRECTIONAL -&gt; [forward, reverse]; copied (the array, not the immutable entries)
 */
public record RecurrentLayer(Config config, Merge merge, LayerWeights... weights) {
    /**
     * Validates the layer and its weights.
     *
     * @throws IllegalArgumentException on a bad option or length
     */
    public RecurrentLayer {
        Checks.notNull("config", config);
        Checks.notNull("merge", merge);
        if (config.numLayers() != 1) {
            throw new IllegalArgumentException("a chain layer has numLayers = 1, got " + config.numLayers());
        }
        if (config.hasHead()) {
            throw new IllegalArgumentException("a chain layer has no head (use a DenseLayer), got "
                    + config.head());
        }
        if (config.numDirections() == 1 && merge != Merge.CONCAT) {
            throw new IllegalArgumentException("merge " + merge + " needs a BIDIRECTIONAL layer, this one is "
                    + config.direction());
        }
        Arguments.net(config, new LayerWeights[][] {Checks.notNull("weights", weights)}, null, null, Kernel.AUTO);
        weights = weights.clone();
    }

    /** A copy of the per-direction weights. */
    @Override
    public LayerWeights[] weights() {
        return weights.clone();
    }

    /** The merged output width: 2*H_out for CONCAT of two directions, else H_out. */
    public int width() {
        return config.numDirections() == 2 && merge == Merge.CONCAT ? 2 * config.outputSize()
                : config.outputSize();
    }

    /** The weights as {@link Net} takes them, {@code [1][D]}. */
    LayerWeights[][] netWeights() {
        return new LayerWeights[][] {weights.clone()};
    }
}

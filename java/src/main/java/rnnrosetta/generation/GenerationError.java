package rnnrosetta.generation;

/**
 * A model that cannot generate text (docs/generation.md, "What a model needs"): no vocabulary,
 * a layer that does not run forward, a readout other than sequence, a last dense layer that
 * does not give V logits. The message is one line naming what is missing, without the file.
 */
public final class GenerationError extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** @param problem what the model lacks, one line */
    public GenerationError(String problem) {
        super(problem);
    }
}

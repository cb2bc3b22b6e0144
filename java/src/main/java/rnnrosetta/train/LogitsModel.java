package rnnrosetta.train;

import rnnrosetta.ChainSpec;
import rnnrosetta.DenseActivation;
import rnnrosetta.generation.CharacterModel;

/**
 * What a model needs to train (docs/training.md, "What a model needs": what generation needs, one
 * check in {@link CharacterModel#problem} with the word "training") and the chain training works on:
 * the model with its last dense layer's activation set to identity, so that its y is the logits
 * {@code z = W_k a + b_k}; the trained model gets the original activation back.
 */
public final class LogitsModel {
    private LogitsModel() {
    }

    /**
     * The logits chain of {@code spec}, after checking that the model can train.
     *
     * @param vocabSize V, the vocabulary's entries
     * @throws TrainError when the model cannot train (one line)
     */
    public static ChainSpec logitsSpec(ChainSpec spec, int vocabSize) {
        check(spec, vocabSize);
        return withLastActivation(spec, DenseActivation.IDENTITY);
    }

    /** {@code spec} with its last dense layer's activation set to {@code activation} (the rest shared). */
    public static ChainSpec withLastActivation(ChainSpec spec, DenseActivation activation) {
        if (spec.dense().isEmpty()) {
            throw new TrainError("the model has no dense layer to give the logits");
        }
        return CharacterModel.withLastActivation(spec, activation);
    }

    /**
     * Checks a logits chain as the {@link Trainer} takes it: {@link #check} with V the embedding's rows,
     * and the last dense layer's activation identity.
     */
    static void checkLogits(ChainSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
        check(spec, spec.embedding() == null ? 0 : spec.embedding().vocabSize());
        if (spec.dense().get(spec.dense().size() - 1).activation() != DenseActivation.IDENTITY) {
            throw new TrainError("the trainer takes the logits chain: its last dense layer's activation must be"
                    + " identity (LogitsModel.logitsSpec makes it)");
        }
    }

    /**
     * @throws TrainError unless spec has an embedding of V rows, only forward layers, readout sequence
     *                    and a last dense layer of V outputs with activation softmax or identity
     */
    public static void check(ChainSpec spec, int vocabSize) {
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
        String problem = CharacterModel.problem(spec, vocabSize, CharacterModel.TRAINING);
        if (problem != null) {
            throw new TrainError(problem);
        }
    }
}

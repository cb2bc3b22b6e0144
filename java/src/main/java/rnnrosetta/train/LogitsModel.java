package rnnrosetta.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import rnnrosetta.ChainSpec;
import rnnrosetta.DenseActivation;
import rnnrosetta.DenseLayer;
import rnnrosetta.Direction;
import rnnrosetta.Readout;

/**
 * What a model needs to train (docs/training.md, "What a model needs": what generation needs) and
 * the chain training works on: the model with its last dense layer's activation set to identity, so
 * that its y is the logits {@code z = W_k a + b_k}; the trained model gets the original activation back.
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
        List<DenseLayer> dense = new ArrayList<>(spec.dense());
        if (dense.isEmpty()) {
            throw new TrainError("the model has no dense layer to give the logits");
        }
        DenseLayer last = dense.get(dense.size() - 1);
        dense.set(dense.size() - 1, new DenseLayer(last.outputs(), last.inputs(), last.weight(), last.bias(),
                activation));
        return new ChainSpec(spec.embedding(), spec.layers(), dense, spec.readout());
    }

    /**
     * Checks a logits chain as the {@link Trainer} takes it: {@link #check} with V the embedding's rows,
     * and the last dense layer's activation identity.
     */
    static void checkLogits(ChainSpec spec) {
        if (spec.embedding() == null) {
            throw new TrainError("the model has no embedding (training feeds tokens)");
        }
        check(spec, spec.embedding().vocabSize());
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
        if (spec.embedding() == null) {
            throw new TrainError("the model has no embedding (training feeds tokens)");
        }
        if (spec.embedding().vocabSize() != vocabSize) {
            throw new TrainError("the vocabulary has " + vocabSize + " entries, the embedding "
                    + spec.embedding().vocabSize() + " rows");
        }
        for (int l = 0; l < spec.layers().size(); l++) {
            Direction d = spec.layers().get(l).config().direction();
            if (d != Direction.FORWARD) {
                throw new TrainError("layers[" + l + "] runs " + d.name().toLowerCase(Locale.ROOT)
                        + "; a character model's layers must all run forward");
            }
        }
        if (spec.readout() != Readout.SEQUENCE) {
            throw new TrainError("the readout is last; training needs readout sequence");
        }
        if (spec.dense().isEmpty()) {
            throw new TrainError("the model has no dense layer to give the logits");
        }
        DenseLayer last = spec.dense().get(spec.dense().size() - 1);
        if (last.outputs() != vocabSize) {
            throw new TrainError("the last dense layer has " + last.outputs() + " outputs, the vocabulary "
                    + vocabSize + " entries");
        }
        if (last.activation() != DenseActivation.SOFTMAX && last.activation() != DenseActivation.IDENTITY) {
            throw new TrainError("the last dense layer's activation is "
                    + last.activation().name().toLowerCase(Locale.ROOT) + "; training needs softmax or identity");
        }
    }
}

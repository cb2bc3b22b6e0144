package rnnrosetta.generation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import rnnrosetta.ChainSpec;
import rnnrosetta.DenseActivation;
import rnnrosetta.DenseLayer;
import rnnrosetta.Direction;
import rnnrosetta.Readout;

/**
 * What a character model needs to generate or train (docs/generation.md and docs/training.md, "What a
 * model needs"), worded as the C demo and the Python commands word it (one line, without the file),
 * checked in this order, the first failure winning:
 *
 * <pre>
 *   a vocabulary                       (the caller: a version-1 fixture or one without vocabulary)
 *   every layer runs forward           "layer l runs reverse; P streams one token at a time, ..."
 *   readout sequence                   "the readout is 'last'; P needs readout 'sequence' ..."
 *   a last dense layer of V outputs    "the model has no dense layer; ..." / "... has O outputs; P needs V ..."
 *   its activation softmax or identity "the last dense layer's activation is tanh; P needs softmax or identity"
 * </pre>
 *
 * P is the purpose: "generation" or "training". Also the one way to name a character in a refusal.
 */
public final class CharacterModel {
    /** The refusal of a model without a vocabulary (also a version-1 fixture). */
    public static final String NO_VOCABULARY = "the model has no vocabulary (a version-2 character model needs one: "
            + "docs/fixture-format.md#vocabulary)";
    /** The purpose word of {@code Demo --generate}. */
    public static final String GENERATION = "generation";
    /** The purpose word of {@code Demo --train}. */
    public static final String TRAINING = "training";

    private CharacterModel() {
    }

    /**
     * Why {@code spec} cannot serve {@code purpose} with a vocabulary of {@code vocabSize} entries, or
     * null when it can. A spec without an embedding of V rows (which the fixture reader never gives
     * with a vocabulary) is refused first.
     *
     * @param purpose {@link #GENERATION} or {@link #TRAINING}
     */
    public static String problem(ChainSpec spec, int vocabSize, String purpose) {
        if (spec == null || purpose == null) {
            throw new IllegalArgumentException("CharacterModel.problem needs a spec and a purpose");
        }
        if (spec.embedding() == null) {
            return "the model has no embedding; " + purpose + " feeds tokens";
        }
        if (spec.embedding().vocabSize() != vocabSize) {
            return "the vocabulary has " + vocabSize + " entries, the embedding " + spec.embedding().vocabSize()
                    + " rows";
        }
        for (int l = 0; l < spec.layers().size(); l++) {
            Direction d = spec.layers().get(l).config().direction();
            if (d != Direction.FORWARD) {
                return "layer " + l + " runs " + d.name().toLowerCase(Locale.ROOT) + "; " + purpose
                        + " streams one token at a time, so every layer must run forward";
            }
        }
        if (spec.readout() != Readout.SEQUENCE) {
            return "the readout is 'last'; " + purpose + " needs readout 'sequence' (logits at every step)";
        }
        if (spec.dense().isEmpty()) {
            return "the model has no dense layer; " + purpose + " needs a last dense layer of " + vocabSize
                    + " outputs (the vocabulary)";
        }
        DenseLayer last = spec.dense().get(spec.dense().size() - 1);
        if (last.outputs() != vocabSize) {
            return "the last dense layer has " + last.outputs() + " outputs; " + purpose + " needs " + vocabSize
                    + " (the vocabulary's size)";
        }
        if (last.activation() != DenseActivation.SOFTMAX && last.activation() != DenseActivation.IDENTITY) {
            return "the last dense layer's activation is " + last.activation().name().toLowerCase(Locale.ROOT)
                    + "; " + purpose + " needs softmax or identity";
        }
        return null;
    }

    /**
     * {@code spec} with its last dense layer's activation set to {@code activation}, the rest shared:
     * with identity, the chain's y is the logits {@code z = W_k a + b_k} the softmax would have read.
     *
     * @throws IllegalArgumentException when spec has no dense layer
     */
    public static ChainSpec withLastActivation(ChainSpec spec, DenseActivation activation) {
        List<DenseLayer> dense = new ArrayList<>(spec.dense());
        if (dense.isEmpty()) {
            throw new IllegalArgumentException("the model has no dense layer to give the logits");
        }
        DenseLayer last = dense.get(dense.size() - 1);
        dense.set(dense.size() - 1, new DenseLayer(last.outputs(), last.inputs(), last.weight(), last.bias(),
                activation));
        return new ChainSpec(spec.embedding(), spec.layers(), dense, spec.readout());
    }

    /** A code point as a refusal names it: U+ and at least 4 upper-case hex digits ("U+0061", "U+1F600"). */
    public static String codePoint(int cp) {
        return String.format(Locale.ROOT, "U+%04X", cp);
    }
}

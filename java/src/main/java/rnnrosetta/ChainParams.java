package rnnrosetta;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A chain's weights by dotted JSON path (a version-2 fixture's {@code model} object), in chain
 * order, the names and order of {@link Gradients#weights()}: {@code embedding.weight}; per layer l,
 * forward then reverse, {@code layers.l.forward.weight_ih}, {@code weight_hh}, {@code bias_ih},
 * {@code bias_hh}, {@code weight_hr}, {@code peephole_i}, {@code peephole_f}, {@code peephole_o}
 * (those present); {@code dense.k.weight}, {@code dense.k.bias}. Every array is flat row-major.
 *
 * <p>A {@link ChainSpec} is immutable, so "setting" weights makes a new spec with the same
 * structure ({@link #withWeights}); a trainer keeps the weights here and builds a new
 * {@link Chain} from the spec after each update.
 */
public final class ChainParams {
    private ChainParams() {
    }

    /** Copies of every weight array of {@code spec}, by dotted path in chain order. */
    public static Map<String, double[]> of(ChainSpec spec) {
        Checks.notNull("spec", spec);
        Map<String, double[]> out = new LinkedHashMap<>();
        if (spec.embedding() != null) {
            out.put("embedding.weight", spec.embedding().weight());
        }
        for (int l = 0; l < spec.layers().size(); l++) {
            RecurrentLayer layer = spec.layers().get(l);
            LayerWeights[] weights = layer.weights();
            int h = layer.config().hiddenSize();
            for (int d = 0; d < weights.length; d++) {
                boolean reverse = layer.config().direction() == Direction.REVERSE || d == 1;
                String prefix = "layers." + l + "." + (reverse ? "reverse" : "forward") + ".";
                LayerWeights w = weights[d];
                out.put(prefix + "weight_ih", w.weightIh());
                out.put(prefix + "weight_hh", w.weightHh());
                out.put(prefix + "bias_ih", w.biasIh());
                out.put(prefix + "bias_hh", w.biasHh());
                if (w.weightHr != null) {
                    out.put(prefix + "weight_hr", w.weightHr());
                }
                if (w.peepholes != null) {
                    out.put(prefix + "peephole_i", Arrays.copyOfRange(w.peepholes, 0, h));
                    out.put(prefix + "peephole_f", Arrays.copyOfRange(w.peepholes, h, 2 * h));
                    out.put(prefix + "peephole_o", Arrays.copyOfRange(w.peepholes, 2 * h, 3 * h));
                }
            }
        }
        for (int k = 0; k < spec.dense().size(); k++) {
            out.put("dense." + k + ".weight", spec.dense().get(k).weight());
            out.put("dense." + k + ".bias", spec.dense().get(k).bias());
        }
        return out;
    }

    /**
     * {@code spec} with every weight replaced by {@code weights}' array of the same path (copied in):
     * the same layers, options, activations and readout.
     *
     * @throws IllegalArgumentException when a path of {@link #of}(spec) is missing, an array has
     *                                  another length, or {@code weights} has a path spec lacks
     */
    public static ChainSpec withWeights(ChainSpec spec, Map<String, double[]> weights) {
        Checks.notNull("spec", spec);
        Checks.notNull("weights", weights);
        Map<String, double[]> current = of(spec);
        for (String path : weights.keySet()) {
            if (!current.containsKey(path)) {
                throw new IllegalArgumentException("the chain has no weight '" + path + "'");
            }
        }
        for (Map.Entry<String, double[]> e : current.entrySet()) {
            double[] given = weights.get(e.getKey());
            if (given == null) {
                throw new IllegalArgumentException("missing weight '" + e.getKey() + "'");
            }
            if (given.length != e.getValue().length) {
                throw new IllegalArgumentException("weight '" + e.getKey() + "' has " + given.length
                        + " values, expected " + e.getValue().length);
            }
        }
        Embedding e = spec.embedding();
        Embedding embedding = e == null ? null
                : new Embedding(e.vocabSize(), e.size(), weights.get("embedding.weight"));
        List<RecurrentLayer> layers = new ArrayList<>();
        for (int l = 0; l < spec.layers().size(); l++) {
            RecurrentLayer layer = spec.layers().get(l);
            LayerWeights[] old = layer.weights();
            LayerWeights[] fresh = new LayerWeights[old.length];
            for (int d = 0; d < old.length; d++) {
                boolean reverse = layer.config().direction() == Direction.REVERSE || d == 1;
                String prefix = "layers." + l + "." + (reverse ? "reverse" : "forward") + ".";
                double[] peepholes = null;
                if (old[d].peepholes != null) {
                    int h = layer.config().hiddenSize();
                    peepholes = new double[3 * h];                           // p_i, p_f, p_o
                    System.arraycopy(weights.get(prefix + "peephole_i"), 0, peepholes, 0, h);
                    System.arraycopy(weights.get(prefix + "peephole_f"), 0, peepholes, h, h);
                    System.arraycopy(weights.get(prefix + "peephole_o"), 0, peepholes, 2 * h, h);
                }
                fresh[d] = new LayerWeights(weights.get(prefix + "weight_ih"), weights.get(prefix + "weight_hh"),
                        weights.get(prefix + "bias_ih"), weights.get(prefix + "bias_hh"),
                        old[d].weightHr == null ? null : weights.get(prefix + "weight_hr"), peepholes);
            }
            layers.add(new RecurrentLayer(layer.config(), layer.merge(), fresh));
        }
        List<DenseLayer> dense = new ArrayList<>();
        for (int k = 0; k < spec.dense().size(); k++) {
            DenseLayer d = spec.dense().get(k);
            dense.add(new DenseLayer(d.outputs(), d.inputs(), weights.get("dense." + k + ".weight"),
                    weights.get("dense." + k + ".bias"), d.activation()));
        }
        return new ChainSpec(embedding, layers, dense, spec.readout());
    }

    /** The kernel a chain computes with, from its {@link Chain#kernelName()} ("plain" or "vector"). */
    public static Kernel kernelOf(String kernelName) {
        return "vector".equals(kernelName) ? Kernel.VECTOR : Kernel.PLAIN;
    }
}

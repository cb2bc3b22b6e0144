package rnnrosetta;

import java.util.Arrays;
import java.util.Map;

/**
 * The weight gradients of one direction of one layer, accumulated by {@link CellBackward}, in
 * the layout of {@link LayerWeights}: dW_ih [G*H, I_l], dW_hh [G*H, H_out], db_ih, db_hh [G*H],
 * dW_hr [P, H] (projection only), d(peepholes) [3*H] = (dp_i, dp_f, dp_o) (peepholes only).
 */
final class DirectionGrads {
    final double[] weightIh;
    final double[] weightHh;
    final double[] biasIh;
    final double[] biasHh;
    final double[] weightHr;
    final double[] peepholes;

    /** Zeros shaped like {@code w}'s arrays. */
    DirectionGrads(Config config, LayerWeights w) {
        weightIh = new double[w.weightIh.length];
        weightHh = new double[w.weightHh.length];
        biasIh = new double[w.biasIh.length];
        biasHh = new double[w.biasHh.length];
        weightHr = w.weightHr == null ? null : new double[w.weightHr.length];
        peepholes = w.peepholes == null ? null : new double[3 * config.hiddenSize()];
    }

    /**
     * Puts each present array under {@code prefix + name} in the fixture's order: weight_ih, weight_hh,
     * bias_ih, bias_hh, weight_hr, peephole_i, peephole_f, peephole_o.
     */
    void putInto(Map<String, double[]> into, String prefix) {
        into.put(prefix + "weight_ih", weightIh);
        into.put(prefix + "weight_hh", weightHh);
        into.put(prefix + "bias_ih", biasIh);
        into.put(prefix + "bias_hh", biasHh);
        if (weightHr != null) {
            into.put(prefix + "weight_hr", weightHr);
        }
        if (peepholes != null) {
            int h = peepholes.length / 3;
            into.put(prefix + "peephole_i", Arrays.copyOfRange(peepholes, 0, h));
            into.put(prefix + "peephole_f", Arrays.copyOfRange(peepholes, h, 2 * h));
            into.put(prefix + "peephole_o", Arrays.copyOfRange(peepholes, 2 * h, 3 * h));
        }
    }
}

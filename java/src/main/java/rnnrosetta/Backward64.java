package rnnrosetta;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Backpropagation through time in float64, the reference: the gradients of a scalar loss L
 * with respect to every weight, x, h0 and c0 of a chain, given dL/d of what its forward pass
 * returned (output, h_n, c_n, y) and the {@link ChainTape} of that forward pass. The same
 * equations as python/rnn_rosetta/backward (numpy): the cells one step and one row at a time
 * ({@link CellBackward}), the large weight products over many rows at once ({@link Products}).
 *
 * <p>Notation: {@code dv = dL/dv}; for {@code a = W v + b}, {@code dW += da v^T}, {@code db += da},
 * {@code dv += W^T da} ({@link RowMath}). Derivatives: {@code sigmoid' = s (1 - s)},
 * {@code tanh' = 1 - tanh^2}, {@code relu'(a) = [a > 0]} (0 at 0, as PyTorch), and
 * {@code clip'(a) = [-c <= a <= c]} (a clamped value does not move, as ONNX's clip; NaN passes).
 *
 * <p>The chain, from the end:
 * <pre>
 *   dense k, y = act(s), s = v W^T + b:  ds = act'(dy)   (softmax: ds = y (dy - sum_j dy_j y_j))
 *                                        dW += ds^T v, db += sum ds, dv = ds W
 *   readout SEQUENCE: dv joins d_output of the top layer; LAST: dv is d(merged h_n of the top layer)
 *   merge of halves f, r:  CONCAT (d[:H], d[H:]); SUM (d, d); AVE (d/2, d/2); MUL (d r, d f)
 *   layer l: each direction's BPTT; their dx add up into d(merged output of layer l-1)
 *   embedding x_t = E[token_t]:  dE[k] += dx_t for every (t, b) whose token is k
 * </pre>
 * One direction over time visits its steps in the opposite order of the forward pass, with
 * {@code dh} = dL/d(state after the step), starting at dL/dh_n: a row that ran at t adds
 * d_output[t] to dh and steps back through the cell; a row that did not run passes dh on (its
 * output there is the constant 0). After the last step, dh and dc are dL/dh0 and dL/dc0.
 */
final class Backward64 {
    private Backward64() {
    }

    /** What {@link #run} returns: every weight's gradient by dotted JSON path in chain order, x, h0, c0. */
    record Raw(Map<String, double[]> weights, double[] x, double[] h0, double[] c0) {
    }

    /**
     * The gradients, on checked arguments (each d-array null for zero, else of the forward's shape):
     * dOutput [T, B, W], dHn [S_h * B], dCn [S_c * B], dY [T, B, O] or [B, O]. Reads the tape, never
     * writes it.
     */
    static Raw run(ChainSpec spec, Products products, ChainTape tape, double[] dOutput, double[] dHn, double[] dCn,
                   double[] dY) {
        int steps = tape.seqLen;
        int batch = tape.batch;
        int rows = steps * batch;
        int width = spec.outputWidth();
        boolean last = spec.readout() == Readout.LAST;
        double[] dTop = dOutput == null ? new double[rows * width] : dOutput.clone();        // [T, B, W]
        double[] dLast = new double[batch * width];                                           // [B, W]
        List<DenseLayer> denseLayers = spec.dense();
        double[][] dDenseW = new double[denseLayers.size()][];
        double[][] dDenseB = new double[denseLayers.size()][];
        for (int k = 0; k < denseLayers.size(); k++) {
            dDenseW[k] = new double[denseLayers.get(k).outputs() * denseLayers.get(k).inputs()];
            dDenseB[k] = new double[denseLayers.get(k).outputs()];
        }
        if (dY != null) {
            int n = last ? batch : rows;
            double[] dv = dY;
            for (int k = denseLayers.size() - 1; k >= 0; k--) {
                dv = denseBackward(denseLayers.get(k), n, dv, tape.denseIn[k], tape.densePre[k], tape.denseOut[k],
                        dDenseW[k], dDenseB[k]);
            }
            double[] into = last ? dLast : dTop;
            for (int i = 0; i < into.length; i++) {
                into[i] += dv[i];
            }
        }

        List<RecurrentLayer> layers = spec.layers();
        int[] hStart = new int[layers.size() + 1];                 // first flat index of layer l's h slots
        int[] cStart = new int[layers.size() + 1];
        for (int l = 0; l < layers.size(); l++) {
            Config config = layers.get(l).config();
            hStart[l + 1] = hStart[l] + config.numDirections() * batch * config.outputSize();
            cStart[l + 1] = cStart[l] + (config.cell() == Cell.LSTM ? config.numDirections() * batch
                    * config.hiddenSize() : 0);
        }
        double[] dH0 = new double[hStart[layers.size()]];
        double[] dC0 = cStart[layers.size()] > 0 ? new double[cStart[layers.size()]] : null;
        List<Map<String, double[]>> layerGrads = new ArrayList<>(Collections.nCopies(layers.size(), Map.of()));
        double[] dLayerOut = dTop;                                 // d(merged output of the layer visited)
        for (int l = layers.size() - 1; l >= 0; l--) {
            RecurrentLayer layer = layers.get(l);
            Config config = layer.config();
            int hOut = config.outputSize();
            int hid = config.hiddenSize();
            ChainTape.LayerTape lt = tape.layers[l];
            int dirs = config.numDirections();
            double[][] dHalves = dirs == 1 ? new double[][] {dLayerOut}
                    : mergeBackward(layer.merge(), dLayerOut, lt.directions[0].out, lt.directions[1].out, rows, hOut);
            double[][] dFinals = null;
            if (l == layers.size() - 1 && last) {
                dFinals = dirs == 1 ? new double[][] {dLast}
                        : mergeBackward(layer.merge(), dLast, lt.directions[0].hN, lt.directions[1].hN, batch, hOut);
            }
            int inSize = config.inputSize();
            double[] dx = new double[rows * inSize];               // [T, B, I_l], the directions add up
            LayerWeights[] weights = layer.weights();
            Map<String, double[]> grads = new LinkedHashMap<>();
            for (int d = 0; d < dirs; d++) {
                boolean reverse = config.direction() == Direction.REVERSE || d == 1;
                double[] dh = new double[batch * hOut];             // dL/d(state after the step), from dL/dh_n
                int hAt = hStart[l] + d * batch * hOut;
                for (int i = 0; i < dh.length; i++) {
                    dh[i] = (dHn == null ? 0.0 : dHn[hAt + i]) + (dFinals == null ? 0.0 : dFinals[d][i]);
                }
                double[] dc = null;
                int cAt = cStart[l] + d * batch * hid;
                if (config.cell() == Cell.LSTM) {
                    dc = dCn == null ? new double[batch * hid] : Arrays.copyOfRange(dCn, cAt, cAt + batch * hid);
                }
                DirectionGrads g = new DirectionGrads(config, weights[d]);
                CellBackward.direction(products, config, weights[d], lt.directions[d], lt.in, reverse, steps, batch,
                        tape.lens, dHalves[d], dh, dc, dx, g);
                System.arraycopy(dh, 0, dH0, hAt, dh.length);
                if (dc != null) {
                    System.arraycopy(dc, 0, dC0, cAt, dc.length);
                }
                g.putInto(grads, "layers." + l + "." + (reverse ? "reverse" : "forward") + ".");
            }
            layerGrads.set(l, grads);
            dLayerOut = dx;
        }

        Map<String, double[]> all = new LinkedHashMap<>();
        double[] dX = dLayerOut;
        if (spec.embedding() != null) {
            Embedding e = spec.embedding();
            double[] dE = new double[e.vocabSize() * e.size()];                           // [V, E_dim]
            for (int r = 0; r < rows; r++) {
                int row = tape.tokens[r] * e.size();
                for (int j = 0; j < e.size(); j++) {
                    dE[row + j] += dLayerOut[r * e.size() + j];                           // dE[token] += dx
                }
            }
            all.put("embedding.weight", dE);
            dX = null;
        }
        for (Map<String, double[]> grads : layerGrads) {
            all.putAll(grads);
        }
        for (int k = 0; k < denseLayers.size(); k++) {
            all.put("dense." + k + ".weight", dDenseW[k]);
            all.put("dense." + k + ".bias", dDenseB[k]);
        }
        return new Raw(all, dX, dH0, dC0);
    }

    /** The gradients of a merge's two halves [rows, n] from the gradient d of its result. */
    private static double[][] mergeBackward(Merge merge, double[] d, double[] f, double[] r, int rows, int n) {
        double[] df = new double[rows * n];
        double[] dr = new double[rows * n];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < n; j++) {
                int at = i * n + j;
                switch (merge) {
                    case CONCAT:
                        df[at] = d[i * 2 * n + j];          // d[:H]
                        dr[at] = d[i * 2 * n + n + j];      // d[H:]
                        break;
                    case SUM:
                        df[at] = d[at];                     // (d, d)
                        dr[at] = d[at];
                        break;
                    case MUL:
                        df[at] = d[at] * r[at];             // (d r, d f)
                        dr[at] = d[at] * f[at];
                        break;
                    default:
                        df[at] = d[at] * 0.5;               // AVE: (d/2, d/2)
                        dr[at] = d[at] * 0.5;
                        break;
                }
            }
        }
        return new double[][] {df, dr};
    }

    /**
     * One dense layer {@code y = act(s)}, {@code s = v W^T + b}, on n rows, backward: adds dW, db and
     * returns dv [n, W].
     */
    private static double[] denseBackward(DenseLayer dense, int n, double[] dy, double[] v, double[] s, double[] y,
                                          double[] dW, double[] dB) {
        int out = dense.outputs();
        int in = dense.inputs();
        double[] ds = new double[n * out];                                                   // [n, O]
        for (int r = 0; r < n; r++) {
            int o0 = r * out;
            double dot = 0.0;
            if (dense.activation() == DenseActivation.SOFTMAX) {
                for (int j = 0; j < out; j++) {
                    dot += dy[o0 + j] * y[o0 + j];                                           // sum_j dy_j y_j
                }
            }
            for (int j = 0; j < out; j++) {
                int at = o0 + j;
                switch (dense.activation()) {
                    case SOFTMAX:
                        ds[at] = y[at] * (dy[at] - dot);                 // J^T dy, J = diag(y) - y y^T
                        break;
                    case TANH:
                        ds[at] = dy[at] * (1.0 - y[at] * y[at]);                             // dy (1 - y^2)
                        break;
                    case SIGMOID:
                        ds[at] = dy[at] * y[at] * (1.0 - y[at]);                             // dy y (1 - y)
                        break;
                    case RELU:
                        ds[at] = s[at] > 0 ? dy[at] : 0.0 * dy[at];                          // dy [s > 0]
                        break;
                    default:
                        ds[at] = dy[at];                                                     // IDENTITY
                        break;
                }
            }
        }
        double[] dv = new double[n * in];                                                    // [n, W]
        for (int r = 0; r < n; r++) {
            RowMath.addOuter(dW, dB, 0, out, in, ds, r * out, v, r * in);                   // dW += ds^T v, db += ds
            RowMath.addTransposed(dense.weightArray(), 0, out, in, ds, r * out, dv, r * in); // dv = ds W
        }
        return dv;
    }
}

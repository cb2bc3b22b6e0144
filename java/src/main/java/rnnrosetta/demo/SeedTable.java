package rnnrosetta.demo;

import static rnnrosetta.demo.DemoNumbers.argmax;
import static rnnrosetta.demo.DemoNumbers.argmaxAbs;
import static rnnrosetta.demo.DemoNumbers.narrow;
import static rnnrosetta.demo.DemoNumbers.norm;
import static rnnrosetta.demo.DemoNumbers.widened;

import java.util.Arrays;
import java.util.Locale;
import rnnrosetta.Cell;
import rnnrosetta.Chain;
import rnnrosetta.Chain32;
import rnnrosetta.ChainSpec;
import rnnrosetta.Direction;
import rnnrosetta.Kernel;
import rnnrosetta.Readout;
import rnnrosetta.RecurrentLayer;
import rnnrosetta.Result;
import rnnrosetta.fixture.ChainFixture;
import rnnrosetta.fixture.FixtureDocument;

/**
 * The seed programs' compact table (docs/demo-output.md, "The seed table"), byte for byte the C
 * and Python text: step mode on batch element 0 of the first case, L0 streaming steps from row 0
 * of every h0/c0 slot (zeros when null), one row per step:
 *
 * <pre>
 *   seed table: NAME (case CASE, batch element 0, L0 steps)
 *   step | input[ | |c|   ] | |h|   [ | class (p)]
 *   "%4zu | %5zu"[ " | %.4f" |c|] " | %.4f" |h|[ " | %2zu (%.2f)" class p]
 * </pre>
 *
 * input: the token (a chain with an embedding), else the first index of the largest |x[t, 0, i]|;
 * |h| = ||out_t[0, :]||; |c| = the norm of the top layer's cell state after the step (top layer
 * LSTM only); class, p: the first index of the largest y_t[0, :] and that value (per-step y only).
 * Refusals are worded as the C and Python demos word them, JSON path first: a version 1 fixture
 * ("version"), a layer that does not run forward ("model.layers[l].direction"), no case ("cases").
 * In float32 the state goes to float for each step and back to double (exactly) between steps.
 */
final class SeedTable {
    private SeedTable() {
    }

    /**
     * The table's text (every line ends in '\n').
     *
     * @throws IllegalArgumentException when the model does not stream (a layer not forward) or the
     *                                  fixture has no case, or for a version 1 fixture (one line,
     *                                  without the file)
     */
    static String render(FixtureDocument doc, boolean float32) {
        if (!(doc instanceof ChainFixture chain)) {
            // "version: ..." as the C and Python demos word it (the JSON path, then the problem)
            throw new IllegalArgumentException("version: the seed table needs a version-2 fixture (a chain)");
        }
        return chain(chain, float32);
    }

    /** One streaming step of batch 1: x [1, I] or token, h and c the flat state (c null without LSTM). */
    private interface Stepper {
        Result<double[]> step(int token, double[] x, double[] h, double[] c);
    }

    private static String chain(ChainFixture fx, boolean float32) {
        ChainSpec spec = fx.spec();
        for (int l = 0; l < spec.layers().size(); l++) {
            Direction d = spec.layers().get(l).config().direction();
            if (d != Direction.FORWARD) {
                throw new IllegalArgumentException("model.layers[" + l + "].direction: the seed table streams one "
                        + "step at a time; this layer runs " + d.name().toLowerCase(Locale.ROOT));
            }
        }
        if (fx.cases().isEmpty()) {
            throw new IllegalArgumentException("cases: the seed table runs the first case; the fixture has none");
        }
        ChainFixture.Case c = fx.cases().get(0);
        RecurrentLayer top = spec.layers().get(spec.layers().size() - 1);
        int topCells = top.config().cell() == Cell.LSTM ? top.config().hiddenSize() : 0;
        boolean perStepY = spec.readout() == Readout.SEQUENCE && spec.hasY();
        Stepper stepper = float32 ? chain32(fx.chain32(Kernel.AUTO)) : chain64(fx.chain(Kernel.AUTO));
        double[] h = ChainDemo.row0(c.h0(), spec.stateSizes(), c.batch());
        if (h == null) {
            h = new double[Arrays.stream(spec.stateSizes()).sum()];
        }
        double[] cs = ChainDemo.row0(c.c0(), spec.cellStateSizes(), c.batch());
        if (cs == null && spec.cellStateSizes().length > 0) {
            cs = new double[Arrays.stream(spec.cellStateSizes()).sum()];
        }
        int[] tokens = c.tokens() == null ? null : new int[c.seqLen()];
        for (int t = 0; tokens != null && t < c.seqLen(); t++) {
            tokens[t] = c.tokens()[t * c.batch()];
        }
        int steps = c.lengths() != null ? c.lengths()[0] : c.seqLen();                 // L0
        return table(fx.name(), c.name(), steps, spec.inputSize(), c.batch(), c.x(), tokens, h, cs, topCells,
                perStepY ? spec.ySize() : 0, stepper);
    }

    /**
     * The header lines and one row per step.
     *
     * @param x        [T, B, I] (null with tokens)
     * @param tokens   [T] element 0's tokens, or null
     * @param topCells H of the top layer when it is an LSTM (its c is the last H values of c), else 0
     * @param classes  O when the table prints the class per step, else 0
     */
    private static String table(String name, String caseName, int steps, int in, int batch, double[] x,
                                int[] tokens, double[] h, double[] c, int topCells, int classes, Stepper stepper) {
        StringBuilder out = new StringBuilder();
        out.append("seed table: ").append(name).append(" (case ").append(caseName).append(", batch element 0, ")
                .append(steps).append(" steps)\n");
        out.append("step | input").append(topCells > 0 ? " | |c|   " : "").append(" | |h|   ")
                .append(classes > 0 ? " | class (p)" : "").append('\n');
        for (int t = 0; t < steps; t++) {
            double[] xt = null;                                                          // [1, I]
            int input;
            if (tokens != null) {
                input = tokens[t];
            } else {
                xt = Arrays.copyOfRange(x, t * batch * in, t * batch * in + in);
                input = argmaxAbs(xt, 0, in);
            }
            Result<double[]> r = stepper.step(input, xt, h, c);
            h = r.hN();
            c = r.cN();
            out.append(CFormat.right(t, 4)).append(" | ").append(CFormat.right(input, 5));
            if (topCells > 0) {
                out.append(" | ").append(CFormat.fixed(norm(c, c.length - topCells, topCells), 4));
            }
            out.append(" | ").append(CFormat.fixed(norm(r.output(), 0, r.output().length), 4));
            if (classes > 0) {
                int cls = argmax(r.y(), 0, classes);
                out.append(" | ").append(CFormat.right(cls, 2)).append(" (")
                        .append(CFormat.fixed(r.y()[cls], 2)).append(')');
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static Stepper chain64(Chain chain) {
        return (token, x, h, c) -> x == null ? chain.stepTokens(1, new int[] {token}, h, c) : chain.step(1, x, h, c);
    }

    private static Stepper chain32(Chain32 chain) {
        return (token, x, h, c) -> widened(x == null ? chain.stepTokens(1, new int[] {token}, narrow(h), narrow(c))
                : chain.step(1, narrow(x), narrow(h), narrow(c)));
    }
}

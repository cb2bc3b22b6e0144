package rnnrosetta.demo;

import static rnnrosetta.demo.DemoNumbers.argmax;
import static rnnrosetta.demo.DemoNumbers.argmaxAbs;
import static rnnrosetta.demo.DemoNumbers.narrow;
import static rnnrosetta.demo.DemoNumbers.norm;
import static rnnrosetta.demo.DemoNumbers.widened;

import rnnrosetta.Chain;
import rnnrosetta.Chain32;
import rnnrosetta.ChainSpec;
import rnnrosetta.Kernel;
import rnnrosetta.Readout;
import rnnrosetta.Result;
import rnnrosetta.fixture.ChainFixture;

/**
 * The demo text of a version 2 fixture (docs/demo-output.md), byte for byte the C and Python
 * text: always one whole-sequence forward of batch element 0 over its first L0 steps, with row
 * 0 of every h0/c0 slot. In float32 the inputs are rounded to float for the chain (the table
 * shows x as given) and the results are widened to double (exactly) before the norms.
 */
final class ChainDemo {
    private ChainDemo() {
    }

    /** The text, computed in float64 ({@code float32} false) or float32. */
    static String render(ChainFixture fx, boolean float32) {
        ChainSpec spec = fx.spec();
        StringBuilder out = new StringBuilder();
        out.append("rnn-rosetta demo: ").append(fx.name()).append('\n');
        out.append("model: chain input=").append(spec.inputSize()).append(" layers=").append(spec.layers().size())
                .append(" readout=").append(spec.readout() == Readout.LAST ? "last" : "sequence");
        if (spec.embedding() != null) {
            out.append(" embedding=").append(spec.embedding().vocabSize()).append('x').append(spec.embedding().size());
        }
        if (spec.hasY()) {
            out.append(" y=").append(spec.ySize());
        }
        out.append('\n');
        if (fx.cases().isEmpty()) {
            out.append("case: none (the fixture has no cases)\n");
            return out.toString();
        }
        ChainFixture.Case c = fx.cases().get(0);
        int steps = c.lengths() != null ? c.lengths()[0] : c.seqLen();
        out.append("case: ").append(c.name()).append(" (batch element 0 of ").append(c.batch()).append(", ")
                .append(steps).append(" steps, forward mode)\n");
        boolean perStepY = spec.readout() == Readout.SEQUENCE && spec.hasY();
        out.append(CFormat.right("t", 4)).append(' ').append(CFormat.right("input", 6)).append(' ')
                .append(CFormat.right("x[input]", 12)).append(' ').append(CFormat.right("|h|", 12));
        if (perStepY) {
            out.append(' ').append(CFormat.right("class", 6)).append(' ').append(CFormat.right("y[class]", 12));
        }
        out.append('\n');

        int in = spec.inputSize();
        double[] x = new double[steps * in];        // layer 0's input for element 0 [L0, I]
        int[] tokens = null;                        // [L0, 1]
        if (c.tokens() != null) {
            tokens = new int[steps];
            double[] table = spec.embedding().weight();
            for (int t = 0; t < steps; t++) {
                tokens[t] = c.tokens()[t * c.batch()];
                System.arraycopy(table, tokens[t] * in, x, t * in, in);
            }
        } else {
            for (int t = 0; t < steps; t++) {
                System.arraycopy(c.x(), t * c.batch() * in, x, t * in, in);
            }
        }
        double[] h0 = row0(c.h0(), spec.stateSizes(), c.batch());
        double[] c0 = row0(c.c0(), spec.cellStateSizes(), c.batch());
        Result<double[]> r = float32 ? forward32(fx.chain32(Kernel.AUTO), steps, tokens, x, h0, c0)
                : forward64(fx.chain(Kernel.AUTO), steps, tokens, x, h0, c0);
        int width = spec.outputWidth();
        int o = spec.ySize();
        for (int t = 0; t < steps; t++) {
            int input = argmaxAbs(x, t * in, in);
            out.append(CFormat.right(t, 4)).append(' ').append(CFormat.right(input, 6)).append(' ')
                    .append(CFormat.right(CFormat.signedFixed(x[t * in + input], 6), 12)).append(' ')
                    .append(CFormat.right(CFormat.fixed(norm(r.output(), t * width, width), 6), 12));
            if (perStepY) {
                int cls = argmax(r.y(), t * o, o);
                out.append(' ').append(CFormat.right(cls, 6)).append(' ')
                        .append(CFormat.right(CFormat.fixed(r.y()[t * o + cls], 6), 12));
            }
            out.append('\n');
        }
        out.append("final: |h_n|=").append(CFormat.fixed(norm(r.hN(), 0, r.hN().length), 6));
        if (r.cN() != null) {
            out.append(" |c_n|=").append(CFormat.fixed(norm(r.cN(), 0, r.cN().length), 6));
        }
        out.append('\n');
        if (spec.readout() == Readout.LAST) {
            int cls = argmax(r.y(), 0, o);
            out.append("last: class=").append(cls).append(" y[class]=").append(CFormat.fixed(r.y()[cls], 6))
                    .append('\n');
        }
        return out.toString();
    }

    private static Result<double[]> forward64(Chain chain, int steps, int[] tokens, double[] x, double[] h0,
                                              double[] c0) {
        return tokens != null ? chain.forwardTokens(steps, 1, tokens, h0, c0, null)
                : chain.forward(steps, 1, x, h0, c0, null);
    }

    private static Result<double[]> forward32(Chain32 chain, int steps, int[] tokens, double[] x, double[] h0,
                                              double[] c0) {
        Result<float[]> r = tokens != null ? chain.forwardTokens(steps, 1, tokens, narrow(h0), narrow(c0), null)
                : chain.forward(steps, 1, narrow(x), narrow(h0), narrow(c0), null);
        return widened(r);
    }

    /** Row 0 of every slot ([B, H_k] each, one after another) as the slots of batch 1; null stays null. */
    static double[] row0(double[] flat, int[] sizes, int batch) {
        if (flat == null) {
            return null;
        }
        int total = 0;
        for (int size : sizes) {
            total += size;
        }
        double[] out = new double[total];
        int from = 0;
        int to = 0;
        for (int size : sizes) {
            System.arraycopy(flat, from, out, to, size);
            from += batch * size;
            to += size;
        }
        return out;
    }

}

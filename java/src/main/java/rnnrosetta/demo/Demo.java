package rnnrosetta.demo;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import rnnrosetta.Cell;
import rnnrosetta.Config;
import rnnrosetta.Direction;
import rnnrosetta.Net;
import rnnrosetta.Result;

/**
 * The standalone demo: {@code java -cp rnn-rosetta.jar:gson.jar rnnrosetta.demo.Demo FIXTURE.json}.
 * Runs the fixture's first case on batch element 0 and prints one row per time step, byte
 * for byte the text of the C demo (docs/demo-output.md). Forward models stream through
 * {@link Net#step}; reverse and bidirectional ones run one {@link Net#forward}.
 * Exit status 0 on success; on error one line {@code rr_demo: FILE: message} on stderr
 * and exit status 2.
 */
public final class Demo {
    private Demo() {
    }

    /** Entry point; exactly one argument, the fixture path. */
    public static void main(String[] args) {
        if (args.length != 1) {
            die("usage: rr_demo FIXTURE.json (java -cp rnn-rosetta.jar:gson.jar rnnrosetta.demo.Demo FIXTURE.json)");
            return;
        }
        String file = args[0];
        String text;
        try {
            text = render(FixtureReader.read(file));
        } catch (IllegalArgumentException e) {
            // FixtureReader's messages already start with the file name.
            String m = String.valueOf(e.getMessage());
            die("rr_demo: " + (m.startsWith(file + ": ") ? m : file + ": " + m));
            return;
        } catch (UnsupportedOperationException e) {
            die("rr_demo: " + file + ": " + e.getMessage());
            return;
        } catch (OutOfMemoryError e) {
            die("rr_demo: " + file + ": out of memory");
            return;
        }
        PrintStream out = System.out;
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
        out.flush();
        if (out.checkError()) {
            die("rr_demo: " + file + ": cannot write to standard output");
        }
    }

    private static void die(String line) {
        byte[] bytes = (Texts.oneLine(line) + "\n").getBytes(StandardCharsets.UTF_8);
        System.err.write(bytes, 0, bytes.length);
        System.err.flush();
        System.exit(2);
    }

    /**
     * The demo text for a fixture (every line ends in '\n').
     *
     * @throws IllegalArgumentException when the computation refuses the case (a reader bug)
     */
    public static String render(Fixture fx) {
        Config cfg = fx.config;
        StringBuilder out = new StringBuilder();
        out.append("rnn-rosetta demo: ").append(fx.name).append('\n');
        out.append("model: ").append(lower(cfg.cell().name()))
                .append(" layers=").append(cfg.numLayers())
                .append(" direction=").append(lower(cfg.direction().name()))
                .append(" input=").append(cfg.inputSize())
                .append(" hidden=").append(cfg.hiddenSize());
        if (cfg.projSize() > 0) {
            out.append(" proj=").append(cfg.projSize());
        }
        if (cfg.hasHead()) {
            out.append(" head=").append(lower(cfg.head().name())).append('/').append(cfg.headSize());
        }
        out.append('\n');
        if (fx.cases.isEmpty()) {
            out.append("case: none (the fixture has no cases)\n");
            return out.toString();
        }
        Fixture.Case c = fx.cases.get(0);
        int steps = c.lengths != null ? c.lengths[0] : c.seqLen;
        boolean stepMode = cfg.direction() == Direction.FORWARD;
        out.append("case: ").append(c.name).append(" (batch element 0 of ").append(c.batch)
                .append(", ").append(steps).append(" steps, ").append(stepMode ? "step" : "forward")
                .append(" mode)\n");
        new Table(cfg, out).header();
        if (stepMode) {
            streamSteps(fx.net, c, steps, new Table(cfg, out));
        } else {
            wholeSequence(fx.net, c, steps, new Table(cfg, out));
        }
        return out.toString();
    }

    /** Step mode: Net.step once per time step with batch 1, carrying h (and c). */
    private static void streamSteps(Net net, Fixture.Case c, int steps, Table table) {
        Config cfg = net.config();
        int layers = cfg.numLayers();
        int in = cfg.inputSize();
        int hidden = cfg.hiddenSize();
        boolean lstm = cfg.cell() == Cell.LSTM;
        double[] h = element0(c.h0, layers, c.batch, cfg.outputSize());           // [L, 1, H_out]
        double[] cs = lstm ? element0(c.c0, layers, c.batch, hidden) : null;      // [L, 1, H]
        for (int t = 0; t < steps; t++) {
            double[] xt = new double[in];                                          // [1, I]
            System.arraycopy(c.x, t * c.batch * in, xt, 0, in);
            Result r = net.step(1, xt, h, cs);
            h = r.hN;
            cs = r.cN;
            String cText = lstm ? CFormat.fixed(norm(cs, (layers - 1) * hidden, hidden), 6) : null;
            table.row(t, xt, 0, r.output, 0, cText, r.y, 0);
        }
        table.last(h, cs);
    }

    /** Forward mode: one whole-sequence forward on x[0:L0, 0:1, :]. */
    private static void wholeSequence(Net net, Fixture.Case c, int steps, Table table) {
        Config cfg = net.config();
        int in = cfg.inputSize();
        int states = cfg.numLayers() * cfg.numDirections();
        double[] x = new double[steps * in];                                       // [L0, 1, I]
        for (int t = 0; t < steps; t++) {
            System.arraycopy(c.x, t * c.batch * in, x, t * in, in);
        }
        double[] h0 = c.h0 == null ? null : element0(c.h0, states, c.batch, cfg.outputSize());
        double[] c0 = c.c0 == null ? null : element0(c.c0, states, c.batch, cfg.hiddenSize());
        Result r = net.forward(steps, 1, x, h0, c0, null);
        int width = cfg.numDirections() * cfg.outputSize();
        for (int t = 0; t < steps; t++) {
            table.row(t, x, t * in, r.output, t * width, cfg.cell() == Cell.LSTM ? "-" : null,
                    r.y, t * cfg.headSize());
        }
        table.last(r.hN, r.cN);
    }

    /** a[:, 0, :] of a [S, B, N] array, or zeros [S, 1, N] when a is null. */
    private static double[] element0(double[] a, int states, int batch, int n) {
        double[] out = new double[states * n];
        if (a != null) {
            for (int s = 0; s < states; s++) {
                System.arraycopy(a, s * batch * n, out, s * n, n);
            }
        }
        return out;
    }

    /** sqrt(s) where s sums v*v in index order over a[off .. off+n). */
    static double norm(double[] a, int off, int n) {
        double s = 0.0;
        for (int i = 0; i < n; i++) {
            s += a[off + i] * a[off + i];
        }
        return Math.sqrt(s);
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** The table: header, one row per step, the final line. */
    private static final class Table {
        private final Config cfg;
        private final StringBuilder out;

        Table(Config cfg, StringBuilder out) {
            this.cfg = cfg;
            this.out = out;
        }

        /** "%4s %6s %12s %12s" [+ " %12s"] [+ " %6s %12s"]. */
        void header() {
            out.append(CFormat.right("t", 4)).append(' ').append(CFormat.right("input", 6)).append(' ')
                    .append(CFormat.right("x[input]", 12)).append(' ').append(CFormat.right("|h|", 12));
            if (cfg.cell() == Cell.LSTM) {
                out.append(' ').append(CFormat.right("|c|", 12));
            }
            if (cfg.hasHead()) {
                out.append(' ').append(CFormat.right("class", 6)).append(' ').append(CFormat.right("y[class]", 12));
            }
            out.append('\n');
        }

        /** "%4zu %6zu %+12.6f %12.6f" [+ " %12s" cText] [+ " %6zu %12.6f"]. */
        void row(int t, double[] x, int xOff, double[] output, int outOff, String cText, double[] y, int yOff) {
            int in = cfg.inputSize();
            int input = argmaxAbs(x, xOff, in);
            int width = cfg.numDirections() * cfg.outputSize(); // D = 1 in step mode
            out.append(CFormat.right(t, 4)).append(' ').append(CFormat.right(input, 6)).append(' ')
                    .append(CFormat.right(CFormat.signedFixed(x[xOff + input], 6), 12)).append(' ')
                    .append(CFormat.right(CFormat.fixed(norm(output, outOff, width), 6), 12));
            if (cText != null) {
                out.append(' ').append(CFormat.right(cText, 12));
            }
            if (y != null) {
                int cls = argmax(y, yOff, cfg.headSize());
                out.append(' ').append(CFormat.right(cls, 6)).append(' ')
                        .append(CFormat.right(CFormat.fixed(y[yOff + cls], 6), 12));
            }
            out.append('\n');
        }

        /** "final: |h_n|=%.6f" [+ " |c_n|=%.6f"]. */
        void last(double[] hN, double[] cN) {
            out.append("final: |h_n|=").append(CFormat.fixed(norm(hN, 0, hN.length), 6));
            if (cN != null) {
                out.append(" |c_n|=").append(CFormat.fixed(norm(cN, 0, cN.length), 6));
            }
            out.append('\n');
        }

        /** The first index of the largest |v|. */
        private static int argmaxAbs(double[] v, int off, int n) {
            int best = 0;
            for (int i = 1; i < n; i++) {
                if (Math.abs(v[off + i]) > Math.abs(v[off + best])) {
                    best = i;
                }
            }
            return best;
        }

        /** The first index of the largest v. */
        private static int argmax(double[] v, int off, int n) {
            int best = 0;
            for (int i = 1; i < n; i++) {
                if (v[off + i] > v[off + best]) {
                    best = i;
                }
            }
            return best;
        }
    }
}

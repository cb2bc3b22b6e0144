package rnnrosetta.demo;

import static rnnrosetta.demo.DemoNumbers.argmax;
import static rnnrosetta.demo.DemoNumbers.argmaxAbs;
import static rnnrosetta.demo.DemoNumbers.narrow;
import static rnnrosetta.demo.DemoNumbers.norm;
import static rnnrosetta.demo.DemoNumbers.widened;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import rnnrosetta.Cell;
import rnnrosetta.Config;
import rnnrosetta.Direction;
import rnnrosetta.Kernel;
import rnnrosetta.Net;
import rnnrosetta.Net32;
import rnnrosetta.Result;
import rnnrosetta.fixture.ChainFixture;
import rnnrosetta.fixture.Fixture;
import rnnrosetta.fixture.FixtureDocument;
import rnnrosetta.fixture.FixtureError;
import rnnrosetta.fixture.FixtureReader;

/**
 * The standalone demo:
 * {@code java -cp rnn-rosetta.jar:gson.jar rnnrosetta.demo.Demo [--dtype float32|float64] FIXTURE.json}
 * (with {@code --add-modules=jdk.incubator.vector} before {@code -cp} the nets compute with
 * {@link Kernel#VECTOR}, and the JVM prints its incubator warning; the text is the same).
 * Reads the fixture with {@link FixtureReader}, runs its first case on batch element 0 and
 * prints one row per time step, byte for byte the text of the C demo (docs/demo-output.md).
 * A version 2 fixture (a chain) runs one whole-sequence forward ({@link ChainDemo}). For
 * version 1, forward models stream through {@link Net#step}; reverse and
 * bidirectional ones run one {@link Net#forward}. With {@code --dtype float32} the same
 * runs through {@link Net32}, as the C demo does: x, h0 and c0 are rounded to float for the
 * net (the table shows x as given), the state goes back to double between steps (exactly),
 * and the table reads the float results widened to double (norms summed in double).
 * {@code --seed-table} prints the seed programs' table instead ({@link SeedTable}), and
 * {@code --generate} text from a character model ({@link GenerateCommand}, docs/generation.md),
 * {@code --train} trains one ({@link TrainCommand}, docs/training.md).
 * Exit status 0 on success; on error one line {@code rr_demo: FILE: JSON.PATH: problem} on
 * stderr and exit status 2 (1 for a model or file that cannot generate).
 */
public final class Demo {
    private Demo() {
    }

    /**
     * Entry point: {@code [--dtype float32|float64] [--seed-table] FIXTURE.json}, or
     * {@code --generate --prime TEXT [--length N] [--temperature T] [--seed S] [--dtype D] FIXTURE.json}
     * ({@link DemoOptions}).
     */
    public static void main(String[] args) {
        DemoOptions options;
        try {
            options = DemoOptions.parse(args);
        } catch (DemoOptions.UsageError e) {
            die(e.getMessage().startsWith("usage: ") ? e.getMessage() : "rr_demo: " + e.getMessage(), 2);
            return;
        }
        String file = options.file();
        String text;
        switch (options.mode()) {
            case HELP -> text = DemoOptions.USAGE + "\n";
            case TRAIN -> {
                train(options);
                return;
            }
            case GENERATE -> {
                try {
                    text = GenerateCommand.run(options);
                } catch (GenerateCommand.Refusal e) {
                    die("rr_demo: " + e.getMessage(), e.status);
                    return;
                }
            }
            default -> {
                try {
                    FixtureDocument doc = FixtureReader.readAny(file);
                    text = options.mode() == DemoOptions.Mode.SEED_TABLE ? SeedTable.render(doc, options.float32())
                            : table(doc, options.float32());
                } catch (FixtureError e) {
                    die("rr_demo: " + e.getMessage(), 2); // FILE: JSON.PATH: problem
                    return;
                } catch (IllegalArgumentException | UnsupportedOperationException e) {
                    die("rr_demo: " + file + ": " + e.getMessage(), 2);
                    return;
                } catch (OutOfMemoryError e) {
                    die("rr_demo: " + file + ": out of memory", 2);
                    return;
                }
            }
        }
        // The bytes of the UTF-8 encoding, whatever the platform's default charset.
        PrintStream out = System.out;
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
        out.flush();
        if (out.checkError()) {
            die("rr_demo: " + file + ": cannot write to standard output", options.mode() == DemoOptions.Mode.GENERATE
                    ? GenerateCommand.CANNOT_GENERATE : 2);
        }
    }

    /** {@code --train}: prints as it trains ({@link TrainCommand}); a refusal ends the process. */
    private static void train(DemoOptions options) {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        try {
            TrainCommand.run(options, out);
        } catch (GenerateCommand.Refusal e) {
            out.flush();
            die("rr_demo: " + e.getMessage(), e.status);
        } catch (OutOfMemoryError e) {
            out.flush();
            die("rr_demo: " + options.file() + ": out of memory", GenerateCommand.CANNOT_GENERATE);
        } catch (RuntimeException e) {                 // never a stack trace: one line, exit 1
            out.flush();
            String message = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName()
                    : e.getMessage().strip().replaceAll("\\s*\\R\\s*", " ");
            die("rr_demo: " + options.file() + ": " + message, GenerateCommand.CANNOT_GENERATE);
        }
        if (out.checkError()) {
            die("rr_demo: " + options.file() + ": cannot write to standard output", GenerateCommand.CANNOT_GENERATE);
        }
    }

    /** The demo table of either version. */
    private static String table(FixtureDocument doc, boolean float32) {
        if (doc instanceof ChainFixture chain) {
            return ChainDemo.render(chain, float32);
        }
        return float32 ? render32((Fixture) doc) : render((Fixture) doc);
    }

    private static void die(String line, int status) {
        byte[] bytes = (line.replaceAll("\\p{Cntrl}", " ") + "\n").getBytes(StandardCharsets.UTF_8);
        System.err.write(bytes, 0, bytes.length);
        System.err.flush();
        System.exit(status);
    }

    /**
     * The demo text for a fixture, computed in float64 (every line ends in '\n').
     *
     * @throws IllegalArgumentException when the computation refuses the case (a reader bug)
     */
    public static String render(Fixture fx) {
        return render(fx, new Model64(fx.net(Kernel.AUTO)));
    }

    /**
     * The demo text for a fixture, computed in float32 with {@link Net32}.
     *
     * @throws IllegalArgumentException when the computation refuses the case (a reader bug)
     */
    public static String render32(Fixture fx) {
        return render(fx, fx.cases().isEmpty() ? null : new Model32(fx.net32(Kernel.AUTO)));
    }

    /**
     * The demo text for a version 2 fixture (a chain), computed in float64: one whole-sequence
     * forward of batch element 0 (docs/demo-output.md).
     *
     * @throws IllegalArgumentException when the computation refuses the case (a reader bug)
     */
    public static String render(ChainFixture fx) {
        return ChainDemo.render(fx, false);
    }

    /** {@link #render(ChainFixture)} computed in float32 with {@link rnnrosetta.Chain32}. */
    public static String render32(ChainFixture fx) {
        return ChainDemo.render(fx, true);
    }

    private static String render(Fixture fx, Model model) {
        Config cfg = fx.config();
        StringBuilder out = new StringBuilder();
        out.append("rnn-rosetta demo: ").append(fx.name()).append('\n');
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
        if (fx.cases().isEmpty()) {
            out.append("case: none (the fixture has no cases)\n");
            return out.toString();
        }
        Fixture.Case c = fx.cases().get(0);
        int steps = c.lengths() != null ? c.lengths()[0] : c.seqLen();
        boolean stepMode = cfg.direction() == Direction.FORWARD;
        out.append("case: ").append(c.name()).append(" (batch element 0 of ").append(c.batch())
                .append(", ").append(steps).append(" steps, ").append(stepMode ? "step" : "forward")
                .append(" mode)\n");
        new Table(cfg, out).header();
        if (stepMode) {
            streamSteps(cfg, model, c, steps, new Table(cfg, out));
        } else {
            wholeSequence(cfg, model, c, steps, new Table(cfg, out));
        }
        return out.toString();
    }

    /** Step mode: step once per time step with batch 1, carrying h (and c). */
    private static void streamSteps(Config cfg, Model net, Fixture.Case c, int steps, Table table) {
        int layers = cfg.numLayers();
        int in = cfg.inputSize();
        int hidden = cfg.hiddenSize();
        boolean lstm = cfg.cell() == Cell.LSTM;
        double[] h = element0(c.h0(), layers, c.batch(), cfg.outputSize());       // [L, 1, H_out]
        double[] cs = lstm ? element0(c.c0(), layers, c.batch(), hidden) : null;  // [L, 1, H]
        for (int t = 0; t < steps; t++) {
            double[] xt = new double[in];                                          // [1, I]
            System.arraycopy(c.x(), t * c.batch() * in, xt, 0, in);
            Result<double[]> r = net.step(xt, h, cs);
            h = r.hN();
            cs = r.cN();
            String cText = lstm ? CFormat.fixed(norm(cs, (layers - 1) * hidden, hidden), 6) : null;
            table.row(t, xt, 0, r.output(), 0, cText, r.y(), 0);
        }
        table.last(h, cs);
    }

    /** Forward mode: one whole-sequence forward on x[0:L0, 0:1, :]. */
    private static void wholeSequence(Config cfg, Model net, Fixture.Case c, int steps, Table table) {
        int in = cfg.inputSize();
        int states = cfg.numLayers() * cfg.numDirections();
        double[] x = new double[steps * in];                                       // [L0, 1, I]
        for (int t = 0; t < steps; t++) {
            System.arraycopy(c.x(), t * c.batch() * in, x, t * in, in);
        }
        double[] h0 = c.h0() == null ? null : element0(c.h0(), states, c.batch(), cfg.outputSize());
        double[] c0 = c.c0() == null ? null : element0(c.c0(), states, c.batch(), cfg.hiddenSize());
        Result<double[]> r = net.forward(steps, x, h0, c0);
        int width = cfg.numDirections() * cfg.outputSize();
        for (int t = 0; t < steps; t++) {
            table.row(t, x, t * in, r.output(), t * width, cfg.cell() == Cell.LSTM ? "-" : null,
                    r.y(), t * cfg.headSize());
        }
        table.last(r.hN(), r.cN());
    }

    /** The net in either precision, batch 1, its results as double[] (float32 ones widened exactly). */
    private interface Model {
        /** One step: x [1, I], h [L, 1, H_out], c [L, 1, H] or null. */
        Result<double[]> step(double[] x, double[] h, double[] c);

        /** The whole sequence: x [T, 1, I], h0 [L*D, 1, H_out] or null, c0 or null. */
        Result<double[]> forward(int steps, double[] x, double[] h0, double[] c0);
    }

    /** float64: {@link Net} as it is. */
    private static final class Model64 implements Model {
        private final Net net;

        Model64(Net net) {
            this.net = net;
        }

        @Override
        public Result<double[]> step(double[] x, double[] h, double[] c) {
            return net.step(1, x, h, c);
        }

        @Override
        public Result<double[]> forward(int steps, double[] x, double[] h0, double[] c0) {
            return net.forward(steps, 1, x, h0, c0, null);
        }
    }

    /** float32: {@link Net32} on float copies of the inputs; the results widened (exactly). */
    private static final class Model32 implements Model {
        private final Net32 net;

        Model32(Net32 net) {
            this.net = net;
        }

        @Override
        public Result<double[]> step(double[] x, double[] h, double[] c) {
            return widened(net.step(1, narrow(x), narrow(h), narrow(c)));
        }

        @Override
        public Result<double[]> forward(int steps, double[] x, double[] h0, double[] c0) {
            return widened(net.forward(steps, 1, narrow(x), narrow(h0), narrow(c0), null));
        }
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

    }
}

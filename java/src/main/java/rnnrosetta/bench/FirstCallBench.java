package rnnrosetta.bench;

import java.util.Arrays;
import java.util.Random;

import rnnrosetta.Cell;
import rnnrosetta.Config;
import rnnrosetta.Kernel;
import rnnrosetta.LayerWeights;
import rnnrosetta.Net;
import rnnrosetta.Net32;

/**
 * How long a freshly built net takes on its first calls, against its steady state: run it in a
 * fresh JVM (the point is the JIT's state), e.g.
 * {@code java --add-modules=jdk.incubator.vector -cp rnn-rosetta.jar rnnrosetta.bench.FirstCallBench
 * --cell lstm --input 256 --hidden 256 --batch 1 --seq 150 --dtype float32}.
 * Prints one JSON object: the build time of the net, the first call, the median of calls 2-8 and
 * the steady state (the median of 15 calls after at least {@code --warm-seconds} of calls).
 */
public final class FirstCallBench {
    private FirstCallBench() {
    }

    /** Runs the measurement the options describe and prints its JSON line. */
    public static void main(String[] args) {
        String cellName = "lstm";
        int input = 64;
        int hidden = 64;
        int batch = 1;
        int seq = 1;
        String dtype = "float32";
        String kernelName = "auto";
        double warmSeconds = 3.0;
        for (int a = 0; a < args.length; a += 2) {
            if (a + 1 >= args.length) {
                throw new IllegalArgumentException("option " + args[a] + " needs a value");
            }
            String v = args[a + 1];
            switch (args[a]) {
                case "--cell" -> cellName = v;
                case "--input" -> input = Integer.parseInt(v);
                case "--hidden" -> hidden = Integer.parseInt(v);
                case "--batch" -> batch = Integer.parseInt(v);
                case "--seq" -> seq = Integer.parseInt(v);
                case "--dtype" -> dtype = v;
                case "--kernel" -> kernelName = v;
                case "--warm-seconds" -> warmSeconds = Double.parseDouble(v);
                default -> throw new IllegalArgumentException("unknown option " + args[a]);
            }
        }
        Cell cell = BenchModels.cell(cellName);
        Kernel kernel = Kernel.valueOf(kernelName.toUpperCase(java.util.Locale.ROOT));
        Config config = BenchModels.config(cell, input, hidden);
        LayerWeights[][] weights = BenchModels.weights(config, 1);
        double[] x = BenchModels.uniform(new Random(2), seq * batch * input, 1.0);
        final int t = seq;
        final int b = batch;
        long built = System.nanoTime();
        Runnable call;
        String name;
        if (dtype.equals("float64")) {
            Net net = new Net(config, weights, null, null, kernel);
            name = net.kernelName();
            call = () -> net.forward(t, b, x, null, null, null);
        } else if (dtype.equals("float32")) {
            Net32 net = new Net32(config, weights, null, null, kernel);
            float[] xf = BenchModels.toFloat(x);
            name = net.kernelName();
            call = () -> net.forward(t, b, xf, null, null, null);
        } else {
            throw new IllegalArgumentException("dtype must be float32 or float64, got " + dtype);
        }
        long buildNs = System.nanoTime() - built;
        long first = time(call);
        long[] early = new long[7];
        for (int i = 0; i < early.length; i++) {
            early[i] = time(call);
        }
        long until = System.nanoTime() + (long) (warmSeconds * 1e9);
        int calls = 8;
        while (System.nanoTime() < until) {
            call.run();
            calls++;
        }
        long[] steady = new long[15];
        for (int i = 0; i < steady.length; i++) {
            steady[i] = time(call);
        }
        System.out.printf(java.util.Locale.ROOT, "{\"lang\":\"java\",\"cell\":\"%s\",\"input\":%d,\"hidden\":%d,"
                        + "\"batch\":%d,\"seq\":%d,\"dtype\":\"%s\",\"kernel\":\"%s\",\"build_ns\":%d,"
                        + "\"first_call_ns\":%d,\"calls_2_8_ns\":%d,\"steady_ns\":%d,\"warm_calls\":%d}%n",
                cellName, input, hidden, batch, seq, dtype, name, buildNs, first, median(early), median(steady),
                calls);
    }

    private static long time(Runnable call) {
        long start = System.nanoTime();
        call.run();
        return System.nanoTime() - start;
    }

    /** The median of {@code v} (the upper one for an even count). */
    static long median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}

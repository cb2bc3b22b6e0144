package rnnrosetta.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import rnnrosetta.Cell;
import rnnrosetta.Chain;
import rnnrosetta.Chain32;
import rnnrosetta.ChainSpec;
import rnnrosetta.Config;
import rnnrosetta.Kernel;
import rnnrosetta.LayerWeights;
import rnnrosetta.Net;
import rnnrosetta.Net32;

/**
 * The streaming step without Python: {@link Net#step(Net.StepState, double[])} and its float32
 * twin at batch 1, one sample at a time, for LSTM and GRU, input 1 and input = hidden, hidden
 * 4 to 128. One JSON object per line:
 * <pre>
 * {"lang":"java","cell":"lstm","input":1,"hidden":8,"dtype":"float32","kernel":"vector","steps":1000000,
 *  "ns_per_step":..,"first_call_ns":..,"calls_2_8_ns":..,"alloc_bytes_per_step":..}
 * </pre>
 * first_call_ns is the first step of a freshly built net (the JVM's first net of that kernel
 * pays the one-time warm-up in its constructor, not in this number), calls_2_8_ns the median of
 * steps 2 to 8. Then {@code --steps} warm-up steps and three timed windows of {@code --steps}
 * steps: ns_per_step is the mean wall time of the window with the least CPU time,
 * cpu_ns_per_step that window's thread CPU time per step (robust on a loaded machine), and
 * alloc_bytes_per_step the fewest bytes the calling thread allocated in a window
 * (com.sun.management.ThreadMXBean) divided by the step count. Options: {@code --steps N} (default 10^6),
 * {@code --cells lstm,gru}, {@code --hidden 4,8,...}, {@code --dtypes float32,float64},
 * {@code --kernel auto|plain|vector}, {@code --model net|chain|chain-tokens} (default net; a chain is
 * {@link BenchModels#chain}, stepped with {@link Chain#step(Chain.StepState, double[])} or
 * {@link Chain#stepTokens}; its lines carry {@code "model"}).
 */
public final class StepBench {
    private StepBench() {
    }

    /** Runs every case the options select and prints one JSON line per case. */
    public static void main(String[] args) {
        int steps = 1_000_000;
        String[] cells = {"lstm", "gru"};
        int[] hiddens = {4, 8, 16, 32, 64, 128};
        String[] dtypes = {"float32", "float64"};
        String kernelName = "auto";
        String model = "net";
        for (int a = 0; a < args.length; a += 2) {
            if (a + 1 >= args.length) {
                throw new IllegalArgumentException("option " + args[a] + " needs a value");
            }
            String v = args[a + 1];
            switch (args[a]) {
                case "--steps" -> steps = Integer.parseInt(v);
                case "--cells" -> cells = v.split(",");
                case "--hidden" -> hiddens = ints(v);
                case "--dtypes" -> dtypes = v.split(",");
                case "--kernel" -> kernelName = v;
                case "--model" -> model = v;
                default -> throw new IllegalArgumentException("unknown option " + args[a]
                        + " (--steps, --cells, --hidden, --dtypes, --kernel, --model)");
            }
        }
        Kernel kernel = Kernel.valueOf(kernelName.toUpperCase(Locale.ROOT));
        for (String dtype : dtypes) {
            for (String cell : cells) {
                for (int hidden : hiddens) {
                    for (int input : new int[] {1, hidden}) {
                        System.out.println(run(BenchModels.cell(cell), input, hidden, dtype, kernel, steps, model));
                    }
                }
            }
        }
    }

    private static int[] ints(String list) {
        String[] parts = list.split(",");
        int[] v = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            v[i] = Integer.parseInt(parts[i].trim());
        }
        return v;
    }

    /** One case: a fresh net, its first steps, then {@code steps} timed steps on a fixed input cycle. */
    static String run(Cell cell, int input, int hidden, String dtype, Kernel kernel, int steps, String model) {
        if (!dtype.equals("float64") && !dtype.equals("float32")) {
            throw new IllegalArgumentException("dtype must be float32 or float64, got " + dtype);
        }
        boolean f64 = dtype.equals("float64");
        double[] xs = BenchModels.uniform(new Random(8), 64 * input, 1.0); // 64 samples, cycled
        Stepper stepper;
        if (model.equals("net")) {
            Config config = BenchModels.config(cell, input, hidden);
            LayerWeights[][] weights = BenchModels.weights(config, 7);
            stepper = f64 ? new Stepper64(config, weights, kernel, xs, input)
                    : new Stepper32(config, weights, kernel, xs, input);
        } else if (model.equals("chain") || model.equals("chain-tokens")) {
            boolean tokens = model.equals("chain-tokens");
            ChainSpec spec = BenchModels.chain(cell, input, hidden, tokens, 7);
            stepper = f64 ? new ChainStepper64(spec, kernel, xs, input, tokens)
                    : new ChainStepper32(spec, kernel, xs, input, tokens);
        } else {
            throw new IllegalArgumentException("model must be net, chain or chain-tokens, got " + model);
        }
        long t0 = System.nanoTime();
        stepper.step(0);
        long first = System.nanoTime() - t0;
        long[] early = new long[7];
        for (int i = 0; i < early.length; i++) {
            long s = System.nanoTime();
            stepper.step(i + 1);
            early[i] = System.nanoTime() - s;
        }
        loop(stepper, steps); // warm-up: the same loop code as the timed run below
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        // three windows of `steps` steps: the time of the fastest one (by CPU time) and the fewest
        // bytes of any (a window may catch the JIT recompiling something, a one-time cost)
        long elapsed = Long.MAX_VALUE;
        long cpu = Long.MAX_VALUE;
        long bytes = Long.MAX_VALUE;
        for (int window = 0; window < 3; window++) {
            long cpu0 = threads.getCurrentThreadCpuTime();
            long bytes0 = threads.getThreadAllocatedBytes(id);
            long bytesRead = threads.getThreadAllocatedBytes(id) - bytes0; // what one reading allocates itself
            bytes0 = threads.getThreadAllocatedBytes(id);
            long start = System.nanoTime();
            loop(stepper, steps);
            long wall = System.nanoTime() - start;
            bytes = Math.min(bytes, threads.getThreadAllocatedBytes(id) - bytes0 - bytesRead);
            long used = threads.getCurrentThreadCpuTime() - cpu0;
            if (used < cpu) {
                cpu = used;
                elapsed = wall;
            }
        }
        return String.format(Locale.ROOT, "{\"lang\":\"java\",\"model\":\"%s\",\"cell\":\"%s\",\"input\":%d,"
                        + "\"hidden\":%d,\"dtype\":\"%s\",\"kernel\":\"%s\",\"steps\":%d,\"ns_per_step\":%.1f,"
                        + "\"cpu_ns_per_step\":%.1f,\"first_call_ns\":%d,\"calls_2_8_ns\":%d,"
                        + "\"alloc_bytes_per_step\":%.3f,\"checksum\":%.6g}",
                model, cell.name().toLowerCase(Locale.ROOT), input, hidden, dtype, stepper.kernelName(), steps,
                (double) elapsed / steps, (double) cpu / steps, first, FirstCallBench.median(early),
                (double) bytes / steps, stepper.checksum());
    }

    /** {@code steps} steps on the input cycle. */
    private static void loop(Stepper stepper, int steps) {
        for (int i = 0; i < steps; i++) {
            stepper.step(i);
        }
    }

    /** One precision's net and state, stepping through a cycle of 64 inputs. */
    private interface Stepper {
        void step(int i);

        String kernelName();

        /** The sum of the output, so the work cannot be skipped. */
        double checksum();
    }

    private static final class Stepper64 implements Stepper {
        private final Net net;
        private final Net.StepState state;
        private final List<double[]> xs = new ArrayList<>();

        Stepper64(Config config, LayerWeights[][] weights, Kernel kernel, double[] samples, int input) {
            net = new Net(config, weights, null, null, kernel);
            state = net.newStepState(1);
            for (int i = 0; i < 64; i++) {
                xs.add(java.util.Arrays.copyOfRange(samples, i * input, (i + 1) * input));
            }
        }

        @Override
        public void step(int i) {
            net.step(state, xs.get(i & 63));
        }

        @Override
        public String kernelName() {
            return net.kernelName();
        }

        @Override
        public double checksum() {
            double s = 0;
            for (double v : state.output()) {
                s += v;
            }
            return s;
        }
    }

    private static final class Stepper32 implements Stepper {
        private final Net32 net;
        private final Net32.StepState state;
        private final List<float[]> xs = new ArrayList<>();

        Stepper32(Config config, LayerWeights[][] weights, Kernel kernel, double[] samples, int input) {
            net = new Net32(config, weights, null, null, kernel);
            state = net.newStepState(1);
            for (int i = 0; i < 64; i++) {
                xs.add(BenchModels.toFloat(java.util.Arrays.copyOfRange(samples, i * input, (i + 1) * input)));
            }
        }

        @Override
        public void step(int i) {
            net.step(state, xs.get(i & 63));
        }

        @Override
        public String kernelName() {
            return net.kernelName();
        }

        @Override
        public double checksum() {
            double s = 0;
            for (float v : state.output()) {
                s += v;
            }
            return s;
        }
    }

    /** A float64 chain and its state; with tokens, sample i steps on token {@code i % VOCAB}. */
    private static final class ChainStepper64 implements Stepper {
        private final Chain chain;
        private final Chain.StepState state;
        private final List<double[]> xs = new ArrayList<>();
        private final int[][] tokens;

        ChainStepper64(ChainSpec spec, Kernel kernel, double[] samples, int input, boolean useTokens) {
            chain = new Chain(spec, kernel);
            state = chain.newStepState(1);
            for (int i = 0; i < 64; i++) {
                xs.add(java.util.Arrays.copyOfRange(samples, i * input, (i + 1) * input));
            }
            tokens = useTokens ? tokenCycle() : null;
        }

        @Override
        public void step(int i) {
            if (tokens != null) {
                chain.stepTokens(state, tokens[i & 63]);
            } else {
                chain.step(state, xs.get(i & 63));
            }
        }

        @Override
        public String kernelName() {
            return chain.kernelName();
        }

        @Override
        public double checksum() {
            double s = 0;
            for (double v : state.y()) {
                s += v;
            }
            return s;
        }
    }

    /** {@link ChainStepper64} in float32. */
    private static final class ChainStepper32 implements Stepper {
        private final Chain32 chain;
        private final Chain32.StepState state;
        private final List<float[]> xs = new ArrayList<>();
        private final int[][] tokens;

        ChainStepper32(ChainSpec spec, Kernel kernel, double[] samples, int input, boolean useTokens) {
            chain = new Chain32(spec, kernel);
            state = chain.newStepState(1);
            for (int i = 0; i < 64; i++) {
                xs.add(BenchModels.toFloat(java.util.Arrays.copyOfRange(samples, i * input, (i + 1) * input)));
            }
            tokens = useTokens ? tokenCycle() : null;
        }

        @Override
        public void step(int i) {
            if (tokens != null) {
                chain.stepTokens(state, tokens[i & 63]);
            } else {
                chain.step(state, xs.get(i & 63));
            }
        }

        @Override
        public String kernelName() {
            return chain.kernelName();
        }

        @Override
        public double checksum() {
            double s = 0;
            for (float v : state.y()) {
                s += v;
            }
            return s;
        }
    }

    /** 64 batch-1 token arrays: {@code {i % VOCAB}}. */
    private static int[][] tokenCycle() {
        int[][] t = new int[64][];
        for (int i = 0; i < 64; i++) {
            t[i] = new int[] {i % BenchModels.VOCAB};
        }
        return t;
    }
}

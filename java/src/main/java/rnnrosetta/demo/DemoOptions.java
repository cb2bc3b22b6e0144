package rnnrosetta.demo;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The demo's command line, parsed and checked before any file is read:
 *
 * <pre>
 *   Demo [--dtype float32|float64] [--seed-table] FIXTURE
 *   Demo --generate --prime TEXT [--length N] [--temperature T] [--seed S] [--dtype D] FIXTURE
 *   Demo --train --data TEXT [--steps N] [--optimizer adam|sgd] [--lr R] [--momentum M] [--clip-norm C]
 *        [--bptt K] [--batch B] [--out FILE] [--log-every N] [--dtype D] FIXTURE
 *   Demo --help
 * </pre>
 *
 * As the C demo reads them (getopt_long): options and the one FIXTURE in any order, a value as
 * the next argument or after '=', "--" ending the options; an option given twice is refused.
 * Numbers are read as all three programs read them (docs/generation.md, docs/training.md): integers ASCII digits only ({@code [0-9]+}, leading zeros allowed, no sign),
 * range-checked without overflow: length 0..10^6, seed 0..2^64-1, steps and log-every 1..10^7,
 * bptt and batch 1..10^6; reals without a sign, {@code ([0-9]+.?[0-9]*|.[0-9]+)(e[+-]?[0-9]+)?}, finite:
 * temperature, momentum and clip-norm &gt;= 0, lr &gt; 0.
 *
 * @param mode        what to print
 * @param float32     whether --dtype float32 was given
 * @param file        the fixture, as given
 * @param prime       --prime (GENERATE only)
 * @param length      --length, default 200
 * @param temperature --temperature, default 1.0
 * @param seed        --seed as the bits of an unsigned 64-bit integer, default 0
 * @param train       --train's settings (TRAIN only, else null)
 */
record DemoOptions(Mode mode, boolean float32, String file, String prime, int length, double temperature,
                   long seed, TrainOptions train) {
    /**
     * What {@code --train} was given, defaults filled in (docs/training.md, "Settings and defaults").
     *
     * @param data      --data, the UTF-8 text
     * @param steps     --steps, default 100
     * @param optimizer --optimizer, "adam" (default) or "sgd"
     * @param lr        --lr, default 2e-3
     * @param momentum  --momentum, default 0.9
     * @param clipNorm  --clip-norm, default 5 (0: off)
     * @param bptt      --bptt, default 50
     * @param batch     --batch, default 16
     * @param out       --out, or null
     * @param logEvery  --log-every, default 1
     */
    record TrainOptions(String data, int steps, String optimizer, double lr, double momentum, double clipNorm,
                        int bptt, int batch, String out, int logEvery) {
    }

    /** What the demo prints. */
    enum Mode {
        /** The demo table (docs/demo-output.md). */
        TABLE,
        /** The seed programs' table (docs/demo-output.md, "The seed table"). */
        SEED_TABLE,
        /** Generated text (docs/generation.md). */
        GENERATE,
        /** Training (docs/training.md). */
        TRAIN,
        /** The usage, on standard output. */
        HELP
    }

    static final String USAGE = "usage: rr_demo [--dtype float32|float64] [--seed-table] FIXTURE.json"
            + " | rr_demo --generate --prime TEXT [--length N] [--temperature T] [--seed S]"
            + " [--dtype float32|float64] FIXTURE.json"
            + " | rr_demo --train --data TEXT [--steps N] [--optimizer adam|sgd] [--lr R] [--momentum M]"
            + " [--clip-norm C] [--bptt K] [--batch B] [--out FILE] [--log-every N] [--dtype float32|float64]"
            + " FIXTURE.json"
            + " (java -cp rnn-rosetta.jar:gson.jar rnnrosetta.demo.Demo ...)";

    private static final int MAX_LENGTH = 1_000_000;
    private static final int MAX_STEPS = 10_000_000;
    private static final int MAX_WINDOW = 1_000_000;
    private static final BigInteger MAX_SEED = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final String REAL = "([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?";
    private static final List<String> VALUED = List.of("--dtype", "--prime", "--length", "--temperature", "--seed",
            "--data", "--steps", "--optimizer", "--lr", "--momentum", "--clip-norm", "--bptt", "--batch", "--out",
            "--log-every");
    private static final List<String> TRAIN_ONLY = VALUED.subList(5, VALUED.size());
    private static final List<String> FLAGS = List.of("--seed-table", "--generate", "--train", "--help");

    /** A command line the demo refuses: the message is one line without the "rr_demo: " prefix. */
    static final class UsageError extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UsageError(String problem) {
            super(problem);
        }
    }

    /**
     * The options of {@code args}.
     *
     * @throws UsageError on anything the demo does not accept (one line)
     */
    static DemoOptions parse(String[] args) {
        String dtype = "float64";
        String prime = null;
        String length = null;
        String temperature = null;
        String seed = null;
        boolean seedTable = false;
        boolean generate = false;
        boolean train = false;
        Map<String, String> trainValues = new HashMap<>();
        List<String> files = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--")) {
                files.addAll(List.of(args).subList(i + 1, args.length));
                break;
            }
            if (arg.equals("-h")) {
                arg = "--help";
            }
            if (!arg.startsWith("--")) {
                files.add(arg);
                continue;
            }
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            if (FLAGS.contains(name)) {
                if (eq >= 0) {
                    throw new UsageError("option '" + name + "' takes no value");
                }
                if (!seen.add(name)) {
                    throw new UsageError(name + " is given twice");
                }
                switch (name) {
                    case "--seed-table" -> seedTable = true;
                    case "--generate" -> generate = true;
                    case "--train" -> train = true;
                    default -> {
                        return new DemoOptions(Mode.HELP, false, null, null, 0, 0, 0, null);
                    }
                }
                continue;
            }
            if (!VALUED.contains(name)) {
                throw new UsageError("unknown option '" + name + "' (see --help)");
            }
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new UsageError("option '" + name + "' needs a value");
            }
            if (!seen.add(name)) {
                throw new UsageError(name + " is given twice");
            }
            switch (name) {
                case "--dtype" -> dtype = value;
                case "--prime" -> prime = value;
                case "--length" -> length = value;
                case "--temperature" -> temperature = value;
                case "--seed" -> seed = value;
                default -> trainValues.put(name, value);
            }
        }
        if (files.size() != 1) {
            throw new UsageError(USAGE);
        }
        if (!dtype.equals("float64") && !dtype.equals("float32")) {
            throw new UsageError("--dtype must be float32 or float64, got '" + dtype + "'");
        }
        boolean float32 = dtype.equals("float32");
        if ((seedTable ? 1 : 0) + (generate ? 1 : 0) + (train ? 1 : 0) > 1) {
            throw new UsageError(generate && seedTable && !train ? "--seed-table and --generate cannot be combined"
                    : "--seed-table, --generate and --train exclude each other");
        }
        for (String name : TRAIN_ONLY) {
            if (!train && trainValues.containsKey(name)) {
                throw new UsageError(name + " needs --train");
            }
        }
        if (train) {
            for (String[] given : new String[][] {{"--prime", prime}, {"--length", length},
                {"--temperature", temperature}, {"--seed", seed}}) {
                if (given[1] != null) {
                    throw new UsageError(given[0] + " needs --generate");
                }
            }
            return new DemoOptions(Mode.TRAIN, float32, files.get(0), null, 0, 0, 0, trainOptions(trainValues));
        }
        if (!generate) {
            for (String[] given : new String[][] {{"--prime", prime}, {"--length", length},
                {"--temperature", temperature}, {"--seed", seed}}) {
                if (given[1] != null) {
                    throw new UsageError(given[0] + " needs --generate");
                }
            }
            return new DemoOptions(seedTable ? Mode.SEED_TABLE : Mode.TABLE, float32, files.get(0), null, 0, 0, 0,
                    null);
        }
        if (prime == null) {
            throw new UsageError("--generate needs --prime TEXT");
        }
        if (prime.isEmpty()) {
            throw new UsageError("--prime must not be empty");
        }
        return new DemoOptions(Mode.GENERATE, float32, files.get(0), prime, length(length),
                temperature(temperature), seed(seed), null);
    }

    /** --train's values, checked, defaults filled in. */
    private static TrainOptions trainOptions(Map<String, String> v) {
        String data = v.get("--data");
        if (data == null) {
            throw new UsageError("--train needs --data TEXT");
        }
        for (String name : List.of("--data", "--out")) {
            if (v.containsKey(name) && v.get(name).isEmpty()) {
                throw new UsageError(name + " must not be empty");
            }
        }
        String optimizer = v.getOrDefault("--optimizer", "adam");
        if (!optimizer.equals("adam") && !optimizer.equals("sgd")) {
            throw new UsageError("--optimizer must be adam or sgd, got '" + optimizer + "'");
        }
        return new TrainOptions(data, count(v, "--steps", 100, MAX_STEPS), optimizer,
                real(v, "--lr", 2e-3, true), real(v, "--momentum", 0.9, false), real(v, "--clip-norm", 5.0, false),
                count(v, "--bptt", 50, MAX_WINDOW), count(v, "--batch", 16, MAX_WINDOW), v.get("--out"),
                count(v, "--log-every", 1, MAX_STEPS));
    }

    /** An integer option in 1 .. max, or its default. */
    private static int count(Map<String, String> v, String name, int fallback, int max) {
        String text = v.get(name);
        return text == null ? fallback : (int) integer(name, text, 1, BigInteger.valueOf(max));
    }

    /**
     * {@code text} as an integer in {@code min .. max}, as the bits of a long: ASCII digits only
     * ({@code [0-9]+}, any count of leading zeros, no sign, no spaces), compared without overflow.
     *
     * @throws UsageError naming the option, its range and the text given
     */
    static long integer(String name, String text, long min, BigInteger max) {
        if (text.matches("[0-9]+")) {
            String digits = text.replaceFirst("^0+(?=.)", "");                   // "000" -> "0"
            if (digits.length() <= 20) {                                          // 2^64 - 1 has 20 digits
                BigInteger value = new BigInteger(digits);
                if (value.compareTo(BigInteger.valueOf(min)) >= 0 && value.compareTo(max) <= 0) {
                    return value.longValue();                                     // the low 64 bits
                }
            }
        }
        throw new UsageError(name + " must be an integer in " + min + " .. " + max + ", got '" + text + "'");
    }

    /** A finite decimal option, &gt; 0 when {@code positive} else &gt;= 0, or its default. */
    private static double real(Map<String, String> v, String name, double fallback, boolean positive) {
        String text = v.get(name);
        return text == null ? fallback : real(name, text, positive);
    }

    /**
     * {@code text} as a finite real, &gt; 0 when {@code positive} else &gt;= 0: no sign, digits with an
     * optional '.' fraction and an optional exponent {@code e[+-]?[0-9]+}; no nan, inf or hex.
     *
     * @throws UsageError naming the option and the text given
     */
    static double real(String name, String text, boolean positive) {
        if (text.matches(REAL)) {
            double x = Double.parseDouble(text);
            if ((positive ? x > 0 : x >= 0) && Double.isFinite(x)) {
                return x;
            }
        }
        throw new UsageError(name + " must be a finite number " + (positive ? ">" : ">=") + " 0, got '" + text
                + "'");
    }

    private static int length(String text) {
        return text == null ? 200 : (int) integer("--length", text, 0, BigInteger.valueOf(MAX_LENGTH));
    }

    private static double temperature(String text) {
        return text == null ? 1.0 : real("--temperature", text, false);
    }

    private static long seed(String text) {
        return text == null ? 0 : integer("--seed", text, 0, MAX_SEED);
    }
}

package rnnrosetta.demo;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import rnnrosetta.Cell;
import rnnrosetta.Config;
import rnnrosetta.Direction;
import rnnrosetta.HeadActivation;
import rnnrosetta.LayerWeights;
import rnnrosetta.Net;
import rnnrosetta.Nonlinearity;

/**
 * Reads and validates a fixture file (fixture-format.md, version 1). Every type, shape and
 * value is checked before anything sized by the file is allocated; a breach of the contract
 * is an {@link IllegalArgumentException} whose one-line message names the file, the JSON
 * path and what is wrong, e.g.
 * {@code "f.json: model.layers[0].forward.weight_hh: expected shape [24, 6], got [24, 5]"}.
 *
 * <p>Defaults for absent (or null) optional fields: nonlinearity "tanh",
 * linear_before_reset true, proj_size 0, peepholes false, clip none, head none; h0, c0,
 * lengths none.
 */
public final class FixtureReader {
    /** The largest size (each dimension, each count) a fixture may declare. */
    public static final int MAX_SIZE = 1 << 20;

    /** The most layers a fixture may declare (the fixture schema's bound). */
    public static final int MAX_LAYERS = 64;

    private static final String FORMAT = "rnn-rosetta-fixture";

    private final String file;

    private FixtureReader(String file) {
        this.file = file;
    }

    /**
     * Reads and validates the fixture at {@code file}.
     *
     * @throws IllegalArgumentException when the file cannot be read or breaks the contract;
     *                                  the message starts with {@code file + ": "}
     */
    public static Fixture read(String file) {
        if (file == null) {
            throw new IllegalArgumentException("file must not be null");
        }
        FixtureReader reader = new FixtureReader(file);
        Path path;
        try {
            path = Path.of(file);
        } catch (InvalidPathException e) {
            throw reader.fail("", "cannot read: invalid path");
        }
        try (Reader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            return reader.parse(in);
        } catch (NoSuchFileException e) {
            throw reader.fail("", "cannot read: no such file");
        } catch (AccessDeniedException e) {
            throw reader.fail("", "cannot read: permission denied");
        } catch (CharacterCodingException e) {
            throw reader.fail("", "cannot read: the file is not valid UTF-8");
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw reader.fail("", "cannot read: " + Texts.oneLine(why));
        }
    }

    /**
     * Parses and validates fixture text; {@code file} only names it in messages.
     *
     * @throws IllegalArgumentException when the text breaks the contract or cannot be read
     */
    public static Fixture parse(String file, Reader text) {
        FixtureReader reader = new FixtureReader(file == null ? "<fixture>" : file);
        try {
            return reader.parse(text);
        } catch (IOException e) {
            throw reader.fail("", "cannot read: " + Texts.oneLine(String.valueOf(e.getMessage())));
        }
    }

    private Fixture parse(Reader in) throws IOException {
        JsonElement root;
        try {
            root = StrictJson.parse(in);
        } catch (StrictJson.SyntaxError e) {
            throw fail("", e.getMessage());
        }
        return fixture(root);
    }

    // ---------------------------------------------------------------- the document

    private Fixture fixture(JsonElement rootElement) {
        if (!rootElement.isJsonObject()) {
            throw fail("", "expected a JSON object at the top level, got " + kind(rootElement));
        }
        JsonObject root = rootElement.getAsJsonObject();
        String format = string(required(root, "", "format"), "format");
        if (!format.equals(FORMAT)) {
            throw fail("format", "expected " + Texts.quote(FORMAT) + ", got " + Texts.quote(format));
        }
        long version = integer(required(root, "", "version"), "version", 0, Integer.MAX_VALUE);
        if (version != 1) {
            throw fail("version", "expected 1 (the only version this reader knows), got " + version);
        }
        String name = string(required(root, "", "name"), "name");
        JsonElement descriptionElement = optional(root, "description");
        String description = descriptionElement == null ? null : string(descriptionElement, "description");
        Model model = model(object(required(root, "", "model"), "model"), "model");
        JsonArray caseArray = array(required(root, "", "cases"), "cases");
        List<Fixture.Case> cases = new ArrayList<>();
        for (int k = 0; k < caseArray.size(); k++) {
            String p = "cases[" + k + "]";
            cases.add(fixtureCase(object(caseArray.get(k), p), p, model.config));
        }
        double rtol = Double.NaN;
        double atol = Double.NaN;
        JsonElement toleranceElement = optional(root, "tolerance");
        if (toleranceElement != null) {
            JsonObject tolerance = object(toleranceElement, "tolerance");
            rtol = nonNegative(required(tolerance, "tolerance", "rtol"), "tolerance.rtol");
            atol = nonNegative(required(tolerance, "tolerance", "atol"), "tolerance.atol");
        }
        return new Fixture(name, description, model.config, model.net, cases, rtol, atol,
                model.weights, model.headWeight, model.headBias);
    }

    /** The model, its net and the weights it was built from. */
    private static final class Model {
        final Config config;
        final Net net;
        final LayerWeights[][] weights;
        final double[] headWeight;
        final double[] headBias;

        Model(Config config, Net net, LayerWeights[][] weights, double[] headWeight, double[] headBias) {
            this.config = config;
            this.net = net;
            this.weights = weights;
            this.headWeight = headWeight;
            this.headBias = headBias;
        }
    }

    private Model model(JsonObject m, String path) {
        String cellName = choice(required(m, path, "cell"), path + ".cell", "rnn", "lstm", "gru");
        Cell cell = Cell.valueOf(cellName.toUpperCase(Locale.ROOT));
        int inputSize = size(required(m, path, "input_size"), path + ".input_size", 1);
        int hiddenSize = size(required(m, path, "hidden_size"), path + ".hidden_size", 1);
        int numLayers = (int) integer(required(m, path, "num_layers"), path + ".num_layers", 1, MAX_LAYERS);
        String directionName = choice(required(m, path, "direction"), path + ".direction",
                "forward", "reverse", "bidirectional");
        Direction direction = Direction.valueOf(directionName.toUpperCase(Locale.ROOT));

        JsonElement e = optional(m, "nonlinearity");
        Nonlinearity nonlinearity = e == null ? Nonlinearity.TANH
                : Nonlinearity.valueOf(choice(e, path + ".nonlinearity", "tanh", "relu").toUpperCase(Locale.ROOT));
        e = optional(m, "linear_before_reset");
        boolean linearBeforeReset = e == null || bool(e, path + ".linear_before_reset");
        e = optional(m, "proj_size");
        int projSize = e == null ? 0 : size(e, path + ".proj_size", 0);
        if (projSize > 0 && cell != Cell.LSTM) {
            throw fail(path + ".proj_size", "must be 0 for a " + cellName + " model, got " + projSize);
        }
        if (projSize >= hiddenSize) {
            throw fail(path + ".proj_size", "expected 0 or 1.." + (hiddenSize - 1)
                    + " (below hidden_size " + hiddenSize + "), got " + projSize);
        }
        e = optional(m, "peepholes");
        boolean peepholes = e != null && bool(e, path + ".peepholes");
        if (peepholes && cell != Cell.LSTM) {
            throw fail(path + ".peepholes", "must be false for a " + cellName + " model, got true");
        }
        e = optional(m, "clip");
        double clip = Double.NaN;
        if (e != null) {
            clip = number(e, path + ".clip");
            if (!(clip > 0)) {
                throw fail(path + ".clip", "expected a number > 0 or null, got " + literal(e));
            }
        }

        JsonElement headElement = optional(m, "head");
        JsonObject head = headElement == null ? null : object(headElement, path + ".head");
        HeadActivation activation = HeadActivation.NONE;
        int headSize = 0;
        if (head != null) {
            String act = choice(required(head, path + ".head", "activation"), path + ".head.activation",
                    "softmax", "identity");
            activation = HeadActivation.valueOf(act.toUpperCase(Locale.ROOT));
            headSize = outerSize(required(head, path + ".head", "weight"), path + ".head.weight",
                    "[O, D*H_out] with O >= 1");
        }

        Config config;
        try {
            config = new Config(cell, nonlinearity, linearBeforeReset, inputSize, hiddenSize, numLayers,
                    direction, projSize, peepholes, clip, activation, headSize);
        } catch (IllegalArgumentException ex) {
            throw fail(path, ex.getMessage());
        }

        JsonArray layers = array(required(m, path, "layers"), path + ".layers");
        if (layers.size() != numLayers) {
            throw fail(path + ".layers", "expected " + numLayers + " entries (num_layers), got " + layers.size());
        }
        String[] names = direction == Direction.FORWARD ? new String[] {"forward"}
                : direction == Direction.REVERSE ? new String[] {"reverse"}
                : new String[] {"forward", "reverse"};
        LayerWeights[][] weights = new LayerWeights[numLayers][names.length];
        for (int l = 0; l < numLayers; l++) {
            String lp = path + ".layers[" + l + "]";
            JsonObject layer = object(layers.get(l), lp);
            for (String other : new String[] {"forward", "reverse"}) {
                if (!Arrays.asList(names).contains(other) && optional(layer, other) != null) {
                    throw fail(lp + "." + other, "not allowed for direction " + Texts.quote(directionName));
                }
            }
            for (int d = 0; d < names.length; d++) {
                String dp = lp + "." + names[d];
                weights[l][d] = directionWeights(object(required(layer, lp, names[d]), dp), dp, config, l);
            }
        }

        double[] headWeight = null;
        double[] headBias = null;
        if (head != null) {
            int dh = config.numDirections() * config.outputSize();
            headWeight = doubles(required(head, path + ".head", "weight"), path + ".head.weight", headSize, dh);
            headBias = doubles(required(head, path + ".head", "bias"), path + ".head.bias", headSize);
        }
        try {
            return new Model(config, new Net(config, weights, headWeight, headBias), weights, headWeight, headBias);
        } catch (IllegalArgumentException ex) {
            throw fail(path, ex.getMessage());
        }
    }

    private LayerWeights directionWeights(JsonObject o, String path, Config config, int layer) {
        int gh = config.gates() * config.hiddenSize();
        int h = config.hiddenSize();
        double[] weightIh = doubles(required(o, path, "weight_ih"), path + ".weight_ih", gh, config.layerInputSize(layer));
        double[] weightHh = doubles(required(o, path, "weight_hh"), path + ".weight_hh", gh, config.outputSize());
        double[] biasIh = doubles(required(o, path, "bias_ih"), path + ".bias_ih", gh);
        double[] biasHh = doubles(required(o, path, "bias_hh"), path + ".bias_hh", gh);
        double[] weightHr = null;
        if (config.projSize() > 0) {
            weightHr = doubles(required(o, path, "weight_hr"), path + ".weight_hr", config.projSize(), h);
        } else {
            absent(o, path, "weight_hr", "the model has no proj_size");
        }
        double[] peepholes = null;
        String[] peepNames = {"peephole_i", "peephole_f", "peephole_o"};
        if (config.peepholes()) {
            peepholes = new double[3 * h];
            for (int k = 0; k < 3; k++) {
                double[] p = doubles(required(o, path, peepNames[k]), path + "." + peepNames[k], h);
                System.arraycopy(p, 0, peepholes, k * h, h);
            }
        } else {
            for (String n : peepNames) {
                absent(o, path, n, "the model has no peepholes");
            }
        }
        return new LayerWeights(weightIh, weightHh, biasIh, biasHh, weightHr, peepholes);
    }

    private Fixture.Case fixtureCase(JsonObject c, String path, Config config) {
        String name = string(required(c, path, "name"), path + ".name");
        String ip = path + ".inputs";
        JsonObject inputs = object(required(c, path, "inputs"), ip);
        int in = config.inputSize();
        int hOut = config.outputSize();
        int h = config.hiddenSize();
        int states = config.numLayers() * config.numDirections();
        int dh = config.numDirections() * hOut;
        boolean lstm = config.cell() == Cell.LSTM;

        JsonElement xElement = required(inputs, ip, "x");
        String xShape = "[T, B, " + in + "] with 1 <= T, B <= " + MAX_SIZE;
        int seqLen = outerSize(xElement, ip + ".x", xShape);
        int batch = outerSize(xElement.getAsJsonArray().get(0), ip + ".x[0]", "[B, " + in + "] with 1 <= B <= " + MAX_SIZE);
        double[] x = doubles(xElement, ip + ".x", seqLen, batch, in);

        JsonElement e = optional(inputs, "h0");
        double[] h0 = e == null ? null : doubles(e, ip + ".h0", states, batch, hOut);
        e = optional(inputs, "c0");
        double[] c0 = null;
        if (e != null) {
            if (!lstm) {
                throw fail(ip + ".c0", "must be null for a " + cellName(config) + " model (only lstm has a cell state)");
            }
            c0 = doubles(e, ip + ".c0", states, batch, h);
        }
        e = optional(inputs, "lengths");
        int[] lengths = e == null ? null : ints(e, ip + ".lengths", batch, 1, seqLen);

        String ep = path + ".expected";
        JsonObject expected = object(required(c, path, "expected"), ep);
        double[] output = doubles(required(expected, ep, "output"), ep + ".output", seqLen, batch, dh);
        double[] hN = doubles(required(expected, ep, "h_n"), ep + ".h_n", states, batch, hOut);
        double[] cN = null;
        if (lstm) {
            cN = doubles(required(expected, ep, "c_n"), ep + ".c_n", states, batch, h);
        } else {
            absent(expected, ep, "c_n", "only lstm has a cell state");
        }
        double[] y = null;
        if (config.hasHead()) {
            y = doubles(required(expected, ep, "y"), ep + ".y", seqLen, batch, config.headSize());
        } else {
            absent(expected, ep, "y", "the model has no head");
        }
        return new Fixture.Case(name, seqLen, batch, x, h0, c0, lengths, output, hN, cN, y);
    }

    private static String cellName(Config config) {
        return config.cell().name().toLowerCase(Locale.ROOT);
    }

    // ---------------------------------------------------------------- typed access

    private IllegalArgumentException fail(String path, String message) {
        return new IllegalArgumentException(file + ": " + (path.isEmpty() ? "" : path + ": ") + message);
    }

    private JsonElement required(JsonObject o, String path, String key) {
        JsonElement e = o.get(key);
        if (e == null) {
            throw fail(path.isEmpty() ? key : path + "." + key, "missing");
        }
        return e;
    }

    /** The member, or null when it is absent or JSON null. */
    private static JsonElement optional(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? null : e;
    }

    private void absent(JsonObject o, String path, String key, String why) {
        if (optional(o, key) != null) {
            throw fail(path + "." + key, "must be absent or null: " + why);
        }
    }

    private JsonObject object(JsonElement e, String path) {
        if (!e.isJsonObject()) {
            throw fail(path, "expected an object, got " + kind(e));
        }
        return e.getAsJsonObject();
    }

    private JsonArray array(JsonElement e, String path) {
        if (!e.isJsonArray()) {
            throw fail(path, "expected an array, got " + kind(e));
        }
        return e.getAsJsonArray();
    }

    private String string(JsonElement e, String path) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw fail(path, "expected a string, got " + kind(e));
        }
        return e.getAsString();
    }

    private boolean bool(JsonElement e, String path) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw fail(path, "expected true or false, got " + kind(e));
        }
        return e.getAsBoolean();
    }

    private String choice(JsonElement e, String path, String... allowed) {
        String s = string(e, path);
        if (!Arrays.asList(allowed).contains(s)) {
            StringBuilder b = new StringBuilder("expected one of ");
            for (int i = 0; i < allowed.length; i++) {
                b.append(i == 0 ? "" : ", ").append(Texts.quote(allowed[i]));
            }
            throw fail(path, b.append(", got ").append(Texts.quote(s)).toString());
        }
        return s;
    }

    private static NumberLiteral numberLiteral(JsonElement e) {
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()
                && e.getAsJsonPrimitive().getAsNumber() instanceof NumberLiteral) {
            return (NumberLiteral) e.getAsJsonPrimitive().getAsNumber();
        }
        return null;
    }

    /**
     * An integer in min..max. As in JSON Schema, any number with an integral value counts
     * ({@code 6}, {@code 6.0}, {@code 6e0}); {@code 2.5} does not.
     */
    private long integer(JsonElement e, String path, long min, long max) {
        NumberLiteral n = numberLiteral(e);
        String range = min + ".." + max;
        if (n == null || n.text().length() > 40) {
            throw fail(path, "expected an integer in " + range + ", got " + kind(e));
        }
        BigDecimal v;
        try {
            v = new BigDecimal(n.text());
        } catch (NumberFormatException | ArithmeticException ex) {
            throw fail(path, "expected an integer in " + range + ", got " + kind(e));
        }
        if (v.signum() != 0 && v.stripTrailingZeros().scale() > 0) {
            throw fail(path, "expected an integer in " + range + ", got " + kind(e));
        }
        if (v.compareTo(BigDecimal.valueOf(min)) < 0 || v.compareTo(BigDecimal.valueOf(max)) > 0) {
            throw fail(path, "expected an integer in " + range + ", got " + literal(e));
        }
        return v.longValue();
    }

    /** A size in min..MAX_SIZE. */
    private int size(JsonElement e, String path, int min) {
        return (int) integer(e, path, min, MAX_SIZE);
    }

    /** A finite number. */
    private double number(JsonElement e, String path) {
        NumberLiteral n = numberLiteral(e);
        if (n == null) {
            throw fail(path, "expected a number, got " + kind(e));
        }
        double v;
        try {
            v = Double.parseDouble(n.text());
        } catch (NumberFormatException ex) {
            throw fail(path, "expected a number, got " + kind(e));
        }
        if (Double.isInfinite(v) || Double.isNaN(v)) {
            throw fail(path, "expected a finite float64, got " + literal(e));
        }
        return v;
    }

    private double nonNegative(JsonElement e, String path) {
        double v = number(e, path);
        if (v < 0) {
            throw fail(path, "expected a number >= 0, got " + literal(e));
        }
        return v;
    }

    /** The length of a non-empty array of at most MAX_SIZE entries (the outer dimension). */
    private int outerSize(JsonElement e, String path, String shapeText) {
        if (!e.isJsonArray() || e.getAsJsonArray().size() < 1 || e.getAsJsonArray().size() > MAX_SIZE) {
            throw fail(path, "expected shape " + shapeText + ", got " + got(e));
        }
        return e.getAsJsonArray().size();
    }

    /**
     * A dense float64 array of the given shape, flattened row-major. The whole structure is
     * checked first, so the allocation is never larger than what the file holds.
     */
    private double[] doubles(JsonElement e, String path, int... shape) {
        int[] actual = shapeOf(e);
        if (!e.isJsonArray() || !Arrays.equals(actual, shape)) {
            throw fail(path, "expected shape " + shapeText(shape, 0) + ", got " + got(e));
        }
        checkStructure(e, path, shape, 0);
        int count = 1;
        for (int s : shape) {
            count = Math.multiplyExact(count, s);
        }
        double[] out = new double[count];
        int[] pos = {0};
        fill(e, path, shape.length, out, pos);
        return out;
    }

    private void checkStructure(JsonElement e, String path, int[] shape, int level) {
        if (level == shape.length) {
            if (numberLiteral(e) == null) {
                throw fail(path, "expected a number, got " + kind(e));
            }
            return;
        }
        if (!e.isJsonArray() || e.getAsJsonArray().size() != shape[level]) {
            throw fail(path, "expected shape " + shapeText(shape, level) + ", got " + got(e));
        }
        JsonArray a = e.getAsJsonArray();
        for (int i = 0; i < a.size(); i++) {
            checkStructure(a.get(i), path + "[" + i + "]", shape, level + 1);
        }
    }

    private void fill(JsonElement e, String path, int levels, double[] out, int[] pos) {
        if (levels == 0) {
            out[pos[0]++] = number(e, path);
            return;
        }
        JsonArray a = e.getAsJsonArray();
        for (int i = 0; i < a.size(); i++) {
            fill(a.get(i), path + "[" + i + "]", levels - 1, out, pos);
        }
    }

    /** A one-dimensional array of {@code n} integers, each in min..max. */
    private int[] ints(JsonElement e, String path, int n, int min, int max) {
        if (!e.isJsonArray() || e.getAsJsonArray().size() != n) {
            throw fail(path, "expected shape [" + n + "], got " + got(e));
        }
        JsonArray a = e.getAsJsonArray();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (int) integer(a.get(i), path + "[" + i + "]", min, max);
        }
        return out;
    }

    // ---------------------------------------------------------------- describing values

    /** The sizes met following first elements: [] -&gt; [0], [[1, 2]] -&gt; [1, 2], 3 -&gt; []. */
    private static int[] shapeOf(JsonElement e) {
        List<Integer> dims = new ArrayList<>();
        JsonElement cur = e;
        while (cur.isJsonArray()) {
            JsonArray a = cur.getAsJsonArray();
            dims.add(a.size());
            if (a.size() == 0) {
                break;
            }
            cur = a.get(0);
        }
        int[] out = new int[dims.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = dims.get(i);
        }
        return out;
    }

    private static String shapeText(int[] shape, int from) {
        StringBuilder b = new StringBuilder("[");
        for (int i = from; i < shape.length; i++) {
            b.append(i == from ? "" : ", ").append(shape[i]);
        }
        return b.append(']').toString();
    }

    /** "[24, 5]" for an array, else what kind of value it is. */
    private static String got(JsonElement e) {
        return e.isJsonArray() ? shapeText(shapeOf(e), 0) : kind(e);
    }

    private static String literal(JsonElement e) {
        NumberLiteral n = numberLiteral(e);
        return n != null ? Texts.quote(n.text()).replace("\"", "") : kind(e);
    }

    private static String kind(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "null";
        }
        if (e.isJsonObject()) {
            return "an object";
        }
        if (e.isJsonArray()) {
            return "an array";
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return p.getAsBoolean() ? "true" : "false";
        }
        if (p.isString()) {
            return "the string " + Texts.quote(p.getAsString());
        }
        return "the number " + literal(e);
    }
}

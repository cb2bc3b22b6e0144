package rnnrosetta.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import rnnrosetta.Chain;
import rnnrosetta.Chain32;
import rnnrosetta.ChainSpec;
import rnnrosetta.DenseActivation;
import rnnrosetta.Kernel;
import rnnrosetta.fixture.ChainFixture;
import rnnrosetta.fixture.FixtureDocument;
import rnnrosetta.fixture.FixtureError;
import rnnrosetta.fixture.FixtureReader;
import rnnrosetta.fixture.FixtureWriter;
import rnnrosetta.generation.TextGenerator;
import rnnrosetta.train.LogitsModel;
import rnnrosetta.train.TextBatches;
import rnnrosetta.train.TrainConfig;
import rnnrosetta.train.TrainError;
import rnnrosetta.train.Trainer;

/**
 * {@code Demo --train} (docs/training.md): trains a character model on a text and prints one line
 * {@code step %d loss %.17g} per reported step (every --log-every-th and the last), then
 * {@code wrote FILE} with --out. The procedure:
 *
 * <pre>
 *   tokens = the text's characters in the vocabulary;  streams and windows: {@link TextBatches}
 *   for s = 0 .. steps-1:
 *       window w = s mod W;  state = zeros when w = 0
 *       loss = {@link Trainer#step} on window w from state;  state = its h_n, c_n
 * </pre>
 *
 * Refusals, one line worded as the C demo and {@code rnn-rosetta train} word them: exit 2 for a text
 * character outside the vocabulary (bad arguments are refused by {@link DemoOptions}, also 2); exit 1
 * for a file that cannot be read, a text that is not UTF-8, a model that cannot train, a text too short
 * for B streams, a loss that is not finite ({@code step S: the loss is nan}), or anything else the
 * trainer refuses ({@code FIXTURE: message}: never a stack trace).
 */
final class TrainCommand {
    private TrainCommand() {
    }

    /**
     * Trains and prints to {@code out} as it goes.
     *
     * @throws GenerateCommand.Refusal on a refusal (the lines printed before it stay printed)
     */
    static void run(DemoOptions options, PrintStream out) {
        DemoOptions.TrainOptions t = options.train();
        String file = options.file();
        ChainFixture fixture = chainFixture(file);
        ChainSpec logits;
        try {
            logits = LogitsModel.logitsSpec(fixture.spec(), fixture.vocabulary().size());
        } catch (TrainError e) {
            throw new GenerateCommand.Refusal(file + ": " + e.getMessage(), GenerateCommand.CANNOT_GENERATE);
        }
        byte[] bytes = readData(t.data());
        TextBatches batches;
        try {
            int[] tokens = TextBatches.encode(decode(t.data(), bytes), fixture.vocabulary());
            batches = new TextBatches(tokens, t.batch(), t.bptt());
        } catch (IllegalArgumentException e) {
            boolean outside = e.getMessage().startsWith("character ");
            throw new GenerateCommand.Refusal(t.data() + ": " + e.getMessage(),
                    outside ? GenerateCommand.BAD_ARGUMENT : GenerateCommand.CANNOT_GENERATE);
        }
        Trainer trainer;
        try {
            TrainConfig config = new TrainConfig(t.optimizer(), t.lr(), t.momentum(), t.clipNorm());
            trainer = options.float32() ? new Trainer(new Chain32(logits, Kernel.AUTO), config)
                    : new Trainer(new Chain(logits, Kernel.AUTO), config);
            train(trainer, batches, t, out);
        } catch (GenerateCommand.Refusal e) {
            throw e;
        } catch (RuntimeException e) {                  // e.g. "T*B*V logits do not fit one Java array"
            throw new GenerateCommand.Refusal(file + ": " + oneLine(e), GenerateCommand.CANNOT_GENERATE);
        }
        if (t.out() != null) {
            write(fixture, trainer.spec(), t, bytes, options.float32());
            out.print("wrote " + t.out() + "\n");
            out.flush();
        }
    }

    /** The training loop: prints the reported steps' lines. */
    private static void train(Trainer trainer, TextBatches batches, DemoOptions.TrainOptions t, PrintStream out) {
        int batch = t.batch();
        int hSize = sum(trainer.spec().stateSizes()) * batch;                     // [S_h * B]
        int cSize = sum(trainer.spec().cellStateSizes()) * batch;                 // [S_c * B]
        double[] h = new double[hSize];
        double[] c = cSize == 0 ? null : new double[cSize];
        double[] hNext = new double[hSize];
        double[] cNext = cSize == 0 ? null : new double[cSize];
        for (int s = 0; s < t.steps(); s++) {
            if (batches.resetsState(s)) {                                         // window 0: zeros
                Arrays.fill(h, 0.0);
                if (c != null) {
                    Arrays.fill(c, 0.0);
                }
            }
            TextBatches.Window w = batches.forStep(s);
            double loss = trainer.step(w.seqLen(), batch, w.inputs(), w.targets(), h, c, hNext, cNext);
            if (!Double.isFinite(loss)) {
                throw new GenerateCommand.Refusal("step " + (s + 1) + ": the loss is " + CFormat.general(loss, 17),
                        GenerateCommand.CANNOT_GENERATE);
            }
            if ((s + 1) % t.logEvery() == 0 || s + 1 == t.steps()) {
                out.print("step " + (s + 1) + " loss " + CFormat.general(loss, 17) + "\n");
                out.flush();
            }
            double[] swap = h;                                                    // state = state_next
            h = hNext;
            hNext = swap;
            if (c != null) {
                swap = c;
                c = cNext;
                cNext = swap;
            }
        }
    }

    private static ChainFixture chainFixture(String file) {
        FixtureDocument doc;
        try {
            doc = FixtureReader.readAny(file);
        } catch (FixtureError e) {
            throw new GenerateCommand.Refusal(e.getMessage(), GenerateCommand.CANNOT_GENERATE);
        }
        if (!(doc instanceof ChainFixture chain) || chain.vocabulary() == null) {
            throw new GenerateCommand.Refusal(file + ": " + TextGenerator.NO_VOCABULARY,
                    GenerateCommand.CANNOT_GENERATE);
        }
        return chain;
    }

    /** The text's bytes; refused as {@code DATA: cannot read: REASON}. */
    private static byte[] readData(String data) {
        try {
            return Files.readAllBytes(Path.of(data));
        } catch (NoSuchFileException e) {
            throw new GenerateCommand.Refusal(data + ": cannot read: no such file", GenerateCommand.CANNOT_GENERATE);
        } catch (AccessDeniedException e) {
            throw new GenerateCommand.Refusal(data + ": cannot read: permission denied",
                    GenerateCommand.CANNOT_GENERATE);
        } catch (IOException | RuntimeException e) {
            throw new GenerateCommand.Refusal(data + ": cannot read: " + oneLine(e), GenerateCommand.CANNOT_GENERATE);
        }
    }

    /** The bytes as UTF-8, strictly; refused as {@code DATA: not UTF-8 (byte B)}, B the first bad byte's offset. */
    private static String decode(String data, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer text = CharBuffer.allocate(bytes.length);                      // UTF-16 units <= UTF-8 bytes
        CoderResult result = decoder.decode(in, text, true);
        if (!result.isError()) {
            result = decoder.flush(text);
        }
        if (result.isError()) {
            throw new GenerateCommand.Refusal(data + ": not UTF-8 (byte " + in.position() + ")",
                    GenerateCommand.CANNOT_GENERATE);
        }
        return text.flip().toString();
    }

    /** A throwable's message as one line (its class name when it has none). */
    private static String oneLine(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** --out: the trained model, last activation restored, no cases, the fixture's vocabulary and tolerance. */
    private static void write(ChainFixture fixture, ChainSpec trained, DemoOptions.TrainOptions t, byte[] data,
                              boolean float32) {
        DenseActivation original = fixture.spec().dense().get(fixture.spec().dense().size() - 1).activation();
        ChainSpec model = LogitsModel.withLastActivation(trained, original);
        String name = (fixture.name() + "_trained").replaceAll("[^A-Za-z0-9_.-]", "_");
        name = name.substring(0, Math.min(name.length(), 100));
        String dataName = Path.of(t.data()).getFileName().toString();
        String description = fixture.name() + " trained for " + t.steps() + " steps (" + t.optimizer() + ") on "
                + dataName;
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("generator", "rnnrosetta.demo.Demo --train");
        provenance.put("trained_from", fixture.name());
        provenance.put("dtype", float32 ? "float32" : "float64");
        provenance.put("steps", t.steps());
        provenance.put("optimizer", t.optimizer());
        provenance.put("lr", t.lr());
        provenance.put("momentum", t.momentum());
        provenance.put("clip_norm", t.clipNorm());
        provenance.put("bptt", t.bptt());
        provenance.put("batch", t.batch());
        provenance.put("data", dataName);
        provenance.put("data_sha256", sha256(data));
        try {
            String text = FixtureWriter.document(name, description.substring(0, Math.min(description.length(), 1000)),
                    model, fixture.vocabulary(), fixture.tolerance(), provenance);
            FixtureReader.parseAny(t.out(), text.getBytes(StandardCharsets.UTF_8));  // the reader accepts it
            FixtureWriter.write(Path.of(t.out()), text);
        } catch (IOException | RuntimeException e) {
            throw new GenerateCommand.Refusal(t.out() + ": cannot write the model: " + e.getMessage(),
                    GenerateCommand.CANNOT_GENERATE);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            return "unavailable";
        }
    }

    private static int sum(int[] sizes) {
        int s = 0;
        for (int v : sizes) {
            s += v;
        }
        return s;
    }
}

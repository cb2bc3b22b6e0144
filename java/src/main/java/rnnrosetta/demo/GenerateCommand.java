package rnnrosetta.demo;

import rnnrosetta.fixture.ChainFixture;
import rnnrosetta.fixture.FixtureDocument;
import rnnrosetta.fixture.FixtureError;
import rnnrosetta.fixture.FixtureReader;
import rnnrosetta.generation.GenerationError;
import rnnrosetta.generation.SplitMix64;
import rnnrosetta.generation.TextGenerator;

/**
 * {@code Demo --generate}: text from a character model (docs/generation.md). Standard output gets
 * exactly the prime, the generated characters and one '\n', in UTF-8. A fixture that cannot be
 * read, or a model that cannot generate, is refused with one line and exit status 1; a prime the
 * vocabulary cannot spell with exit status 2 (a bad argument, as the parser's refusals).
 */
final class GenerateCommand {
    /** Exit status for a model or file that cannot generate. */
    static final int CANNOT_GENERATE = 1;
    /** Exit status for a bad argument. */
    static final int BAD_ARGUMENT = 2;

    private GenerateCommand() {
    }

    /** A refusal: the one line for standard error (without the "rr_demo: " prefix) and the exit status. */
    static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        Refusal(String line, int status) {
            super(line, null, false, false);
            this.status = status;
        }
    }

    /**
     * The text to print (prime, generated characters, '\n').
     *
     * @throws Refusal when the file, the model or the prime cannot generate
     */
    static String run(DemoOptions options) {
        String file = options.file();
        String where = file + ": ";
        TextGenerator generator;
        try {
            FixtureDocument doc = FixtureReader.readAny(file);
            if (!(doc instanceof ChainFixture chain)) {
                throw new GenerationError(TextGenerator.NO_VOCABULARY);
            }
            generator = TextGenerator.of(chain, options.float32());
        } catch (FixtureError e) {
            throw new Refusal(e.getMessage(), CANNOT_GENERATE);          // FILE: JSON.PATH: problem
        } catch (IllegalArgumentException e) {                         // GenerationError: what the model lacks
            throw new Refusal(where + e.getMessage(), CANNOT_GENERATE);
        } catch (OutOfMemoryError e) {
            throw new Refusal(where + "out of memory", CANNOT_GENERATE);
        }
        try {
            return generator.generate(options.prime(), options.length(), options.temperature(),
                    new SplitMix64(options.seed())) + "\n";
        } catch (GenerationError e) {                                    // non-finite logits
            throw new Refusal(where + e.getMessage(), CANNOT_GENERATE);
        } catch (IllegalArgumentException e) {
            throw new Refusal(where + e.getMessage(), BAD_ARGUMENT);
        } catch (OutOfMemoryError e) {
            throw new Refusal(where + "out of memory", CANNOT_GENERATE);
        }
    }
}

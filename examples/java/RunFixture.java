import rnnrosetta.Chain;
import rnnrosetta.Kernel;
import rnnrosetta.Net;
import rnnrosetta.Result;
import rnnrosetta.fixture.ChainFixture;
import rnnrosetta.fixture.Fixture;
import rnnrosetta.fixture.FixtureDocument;
import rnnrosetta.fixture.FixtureError;
import rnnrosetta.fixture.FixtureReader;
import rnnrosetta.fixture.Tolerance;

/**
 * Runs every case of a fixture (version 1: a Net; version 2: a Chain) forward and checks every
 * output against the fixture's expected values; one line per case; exit 0 when all pass.
 */
public final class RunFixture {
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: java -cp rnn-rosetta.jar:gson.jar:. RunFixture FIXTURE.json");
            System.exit(2);
        }
        FixtureDocument document;
        try {
            document = FixtureReader.readAny(args[0]);
        } catch (FixtureError e) {
            System.err.println(e.getMessage()); // FILE: JSON.PATH: problem
            System.exit(2);
            return;
        }
        boolean ok = true;
        // AUTO: the Vector API kernel when the JVM has jdk.incubator.vector, else plain loops
        if (document instanceof ChainFixture fixture) {
            Chain chain = fixture.chain(Kernel.AUTO);
            for (ChainFixture.Case c : fixture.cases()) {
                Result<double[]> got = c.tokens() != null
                        ? chain.forwardTokens(c.seqLen(), c.batch(), c.tokens(), c.h0(), c.c0(), c.lengths())
                        : chain.forward(c.seqLen(), c.batch(), c.x(), c.h0(), c.c0(), c.lengths());
                ok &= report(fixture.name(), c.name(), chain.kernelName(), fixture.tolerance(), got,
                        c.output(), c.hN(), c.cN(), c.y());
            }
        } else {
            Fixture fixture = (Fixture) document;
            Net net = fixture.net(Kernel.AUTO);
            for (Fixture.Case c : fixture.cases()) {
                Result<double[]> got = net.forward(c.seqLen(), c.batch(), c.x(), c.h0(), c.c0(), c.lengths());
                ok &= report(fixture.name(), c.name(), net.kernelName(), fixture.tolerance(), got,
                        c.output(), c.hN(), c.cN(), c.y());
            }
        }
        System.exit(ok ? 0 : 1);
    }

    /** Every expected array (null: not given) against the result: |got - expected| &lt;= atol + rtol * |expected|. */
    private static boolean report(String fixture, String name, String kernel, Tolerance tolerance,
                                  Result<double[]> got, double[] output, double[] hN, double[] cN, double[] y) {
        double maxError = 0;
        boolean ok = true;
        double[][][] pairs = {{got.output(), output}, {got.hN(), hN}, {got.cN(), cN}, {got.y(), y}};
        for (double[][] pair : pairs) {
            if (pair[1] == null) {
                continue;
            }
            for (int i = 0; i < pair[1].length; i++) {
                maxError = Math.max(maxError, Math.abs(pair[0][i] - pair[1][i]));
                ok &= tolerance.allows(pair[0][i], pair[1][i]);
            }
        }
        System.out.printf("%s, case %s: kernel %s, max error %.3g (%s): %s%n", fixture, name, kernel, maxError,
                tolerance, ok ? "ok" : "MISMATCH");
        return ok;
    }
}

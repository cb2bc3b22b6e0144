import rnnrosetta.Kernel;
import rnnrosetta.Net;
import rnnrosetta.Result;
import rnnrosetta.fixture.Fixture;
import rnnrosetta.fixture.FixtureError;
import rnnrosetta.fixture.FixtureReader;
import rnnrosetta.fixture.Tolerance;

/** Runs case 0 of a fixture forward and checks every output against the fixture's expected values. */
public final class RunFixture {
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: java -cp rnn-rosetta.jar:gson.jar:. RunFixture FIXTURE.json");
            System.exit(2);
        }
        Fixture fixture;
        try {
            fixture = FixtureReader.read(args[0]);
        } catch (FixtureError e) {
            System.err.println(e.getMessage()); // FILE: JSON.PATH: problem
            System.exit(2);
            return;
        }
        if (fixture.cases().isEmpty()) {
            System.err.println(args[0] + ": the fixture has no cases");
            System.exit(2);
        }
        // AUTO: the Vector API kernel when the JVM has jdk.incubator.vector, else plain loops
        Net net = fixture.net(Kernel.AUTO);
        Fixture.Case c = fixture.cases().get(0);
        Result<double[]> got = net.forward(c.seqLen(), c.batch(), c.x(), c.h0(), c.c0(), c.lengths());

        // every output against expected, by the fixture's rule |got - expected| <= atol + rtol * |expected|
        Tolerance tolerance = fixture.tolerance();
        double maxError = 0;
        boolean ok = true;
        double[][][] pairs = {{got.output(), c.output()}, {got.hN(), c.hN()}, {got.cN(), c.cN()}, {got.y(), c.y()}};
        for (double[][] pair : pairs) {
            if (pair[1] == null) {
                continue; // c_n: LSTM only; y: with a head only
            }
            for (int i = 0; i < pair[1].length; i++) {
                maxError = Math.max(maxError, Math.abs(pair[0][i] - pair[1][i]));
                ok &= tolerance.allows(pair[0][i], pair[1][i]);
            }
        }
        System.out.printf("%s, case %s: kernel %s, max error %.3g (%s): %s%n", fixture.name(), c.name(),
                net.kernelName(), maxError, tolerance, ok ? "ok" : "MISMATCH");
        System.exit(ok ? 0 : 1);
    }
}

package rnnrosetta.demo;

import rnnrosetta.Result;

/**
 * The numbers the demo tables print, computed the same way for version-1 fixtures ({@link Demo}) and
 * chains ({@link ChainDemo}), and the float32 round trip of their inputs and results. The C demo and
 * {@code rnn_rosetta/demo.py} compute them in the same order (docs/demo-output.md).
 */
final class DemoNumbers {
    private DemoNumbers() {
    }

    /** sqrt(s) where s sums v*v in index order over a[off .. off+n). */
    static double norm(double[] a, int off, int n) {
        double s = 0.0;
        for (int i = 0; i < n; i++) {
            s += a[off + i] * a[off + i];
        }
        return Math.sqrt(s);
    }

    /** The first index of the largest |v| in v[off .. off+n). */
    static int argmaxAbs(double[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (Math.abs(v[off + i]) > Math.abs(v[off + best])) {
                best = i;
            }
        }
        return best;
    }

    /** The first index of the largest v in v[off .. off+n). */
    static int argmax(double[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[off + i] > v[off + best]) {
                best = i;
            }
        }
        return best;
    }

    /** a rounded to float (for the float32 nets); null stays null. */
    static float[] narrow(double[] a) {
        if (a == null) {
            return null;
        }
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    /** A float32 net's result widened to double (exactly), for the same table code. */
    static Result<double[]> widened(Result<float[]> r) {
        return new Result<>(widen(r.output()), widen(r.hN()), widen(r.cN()), widen(r.y()), r.seqLen(), r.batch());
    }

    /** a widened to double (exact); null stays null. */
    static double[] widen(float[] a) {
        if (a == null) {
            return null;
        }
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}

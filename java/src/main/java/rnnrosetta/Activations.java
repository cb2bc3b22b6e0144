package rnnrosetta;

/**
 * The scalar functions, written exactly as the C and numpy backends write them so that
 * results agree to the bit wherever the libraries' exp/tanh agree. The float overloads
 * compute in float (exp and tanh of the float value, rounded back to float).
 */
final class Activations {
    private Activations() {
    }

    /** Overflow-free logistic: {@code x >= 0 ? 1/(1+e^-x) : e^x/(1+e^x)}; NaN gives NaN. */
    static double sigmoid(double x) {
        if (x >= 0) {
            return 1.0 / (1.0 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1.0 + e);
    }

    /** Hyperbolic tangent. */
    static double tanh(double x) {
        return Math.tanh(x);
    }

    /** {@code x < 0 ? 0 : x}; NaN propagates. */
    static double relu(double x) {
        return x < 0 ? 0.0 : x;
    }

    /**
     * Clamps {@code x} to {@code [-c, c]}. With {@code c} = NaN (no clip) both comparisons
     * are false and {@code x} comes back unchanged.
     */
    static double clamp(double x, double c) {
        return x < -c ? -c : (x > c ? c : x);
    }

    /**
     * In-place softmax of {@code v[off .. off+n)}: m = max in index order,
     * e_i = exp(v_i - m), s = sum of e_i in index order, y_i = e_i / s.
     */
    static void softmax(double[] v, int off, int n) {
        double m = v[off];
        for (int i = 1; i < n; i++) {
            if (v[off + i] > m) {
                m = v[off + i];
            }
        }
        double s = 0.0;
        for (int i = 0; i < n; i++) {
            v[off + i] = Math.exp(v[off + i] - m);
            s += v[off + i];
        }
        for (int i = 0; i < n; i++) {
            v[off + i] = v[off + i] / s;
        }
    }

    /** {@link #sigmoid(double)} in float. */
    static float sigmoid(float x) {
        if (x >= 0) {
            return 1.0f / (1.0f + (float) Math.exp(-x));
        }
        float e = (float) Math.exp(x);
        return e / (1.0f + e);
    }

    /** Hyperbolic tangent in float. */
    static float tanh(float x) {
        return (float) Math.tanh(x);
    }

    /** {@link #relu(double)} in float. */
    static float relu(float x) {
        return x < 0 ? 0.0f : x;
    }

    /** {@link #clamp(double, double)} in float; {@code c} = NaN is no clip. */
    static float clamp(float x, float c) {
        return x < -c ? -c : (x > c ? c : x);
    }

    /** {@link #softmax(double[], int, int)} in float. */
    static void softmax(float[] v, int off, int n) {
        float m = v[off];
        for (int i = 1; i < n; i++) {
            if (v[off + i] > m) {
                m = v[off + i];
            }
        }
        float s = 0.0f;
        for (int i = 0; i < n; i++) {
            v[off + i] = (float) Math.exp(v[off + i] - m);
            s += v[off + i];
        }
        for (int i = 0; i < n; i++) {
            v[off + i] = v[off + i] / s;
        }
    }
}

package rnnrosetta.train;

/**
 * The arithmetic of the optimizers in float64 or float32. In float32 every elementwise result is
 * rounded to float: for one +, -, *, / or sqrt of float operands, the double result rounded to
 * float is the correctly rounded float result (double's 53 bits exceed 2 * 24 + 2), so this is
 * float32 arithmetic, step by step.
 */
enum Precision {
    /** Every value a double. */
    FLOAT64,
    /** Every elementwise result rounded to float. */
    FLOAT32;

    /** {@code x}, rounded to float in FLOAT32. */
    double round(double x) {
        return this == FLOAT32 ? (double) (float) x : x;
    }
}

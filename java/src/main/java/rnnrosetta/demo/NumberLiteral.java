package rnnrosetta.demo;

/**
 * A JSON number kept as its literal text, so that the fixture reader can check integers
 * exactly and parse reals once, correctly rounded ({@link Double#parseDouble}).
 */
final class NumberLiteral extends Number {
    private static final long serialVersionUID = 1L;

    private final String text;

    NumberLiteral(String text) {
        this.text = text;
    }

    /** The literal as it appears in the file. */
    String text() {
        return text;
    }

    @Override
    public double doubleValue() {
        return Double.parseDouble(text);
    }

    @Override
    public float floatValue() {
        return (float) doubleValue();
    }

    @Override
    public long longValue() {
        return (long) doubleValue();
    }

    @Override
    public int intValue() {
        return (int) doubleValue();
    }

    @Override
    public String toString() {
        return text;
    }
}

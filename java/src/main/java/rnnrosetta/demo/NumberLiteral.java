package rnnrosetta.demo;

/**
 * A JSON number kept as its literal text, so that the fixture reader can tell integers
 * from reals and parse reals exactly once, correctly rounded ({@link Double#parseDouble}).
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

    /** Whether the literal is a plain integer: an optional minus and digits only. */
    boolean isIntegerLiteral() {
        int start = text.startsWith("-") ? 1 : 0;
        if (start == text.length()) {
            return false;
        }
        for (int i = start; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return true;
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

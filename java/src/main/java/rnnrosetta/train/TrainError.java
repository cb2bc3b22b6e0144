package rnnrosetta.train;

/** A model that cannot train, or a step whose loss is not finite: one line, without the file. */
public final class TrainError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The refusal, one line. */
    public TrainError(String message) {
        super(message);
    }
}

package rnnrosetta.train;

import java.util.Locale;

/**
 * The settings of one optimizer step (docs/training.md, "Settings and defaults"): the optimizer,
 * its learning rate, SGD's momentum, and the gradient clipping bound. Adam's constants are fixed
 * by the spec: betas 0.9 and 0.999, eps 1e-8; there is no weight decay.
 *
 * @param optimizer "adam" or "sgd"
 * @param lr        the learning rate, finite and &gt; 0
 * @param momentum  SGD's momentum mu, finite and &gt;= 0 (0: plain SGD); unused by Adam
 * @param clipNorm  the bound c of the gradients' global 2-norm, finite and &gt;= 0 (0: no clipping)
 */
public record TrainConfig(String optimizer, double lr, double momentum, double clipNorm) {
    /** Adam's beta1. */
    public static final double BETA1 = 0.9;
    /** Adam's beta2. */
    public static final double BETA2 = 0.999;
    /** Adam's eps. */
    public static final double EPS = 1e-8;
    /** The spec's defaults: --lr 2e-3, --momentum 0.9, --clip-norm 5. */
    public static final double DEFAULT_LR = 2e-3;
    /** The default --momentum. */
    public static final double DEFAULT_MOMENTUM = 0.9;
    /** The default --clip-norm. */
    public static final double DEFAULT_CLIP_NORM = 5.0;

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException on an unknown optimizer or a value out of range (one line)
     */
    public TrainConfig {
        if (optimizer == null || !(optimizer.equals("adam") || optimizer.equals("sgd"))) {
            throw new IllegalArgumentException("--optimizer must be adam or sgd, got '" + optimizer + "'");
        }
        if (!(lr > 0 && lr < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("--lr must be a finite number > 0, got " + text(lr));
        }
        if (!(momentum >= 0 && momentum < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("--momentum must be a finite number >= 0, got " + text(momentum));
        }
        if (!(clipNorm >= 0 && clipNorm < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("--clip-norm must be a finite number >= 0, got " + text(clipNorm));
        }
    }

    /** The defaults: adam, lr 2e-3, momentum 0.9, clip 5. */
    public static TrainConfig defaults() {
        return new TrainConfig("adam", DEFAULT_LR, DEFAULT_MOMENTUM, DEFAULT_CLIP_NORM);
    }

    /** Whether the optimizer is Adam. */
    public boolean adam() {
        return optimizer.equals("adam");
    }

    private static String text(double v) {
        return String.format(Locale.ROOT, "%s", v);
    }
}

package rnnrosetta;

/** The optional output head {@code y_t = act(W_y output_t + b_y)}. */
public enum HeadActivation {
    /** No head: {@link Result#y} is null. */
    NONE,
    /** {@code y_t = W_y output_t + b_y}. */
    IDENTITY,
    /** {@code y_t = softmax(W_y output_t + b_y)}, max-subtracted. */
    SOFTMAX
}

/* forward.c - rr_net_forward and rr_net_step (float64), their _f32 twins
 * and the steps with a caller's workspace (rr_net_step_ws*): the checks of
 * every argument at the boundary, then the shared computation, in
 * sequence_impl.h for a forward and step_impl.h (step.c) for a step. The
 * checks only look at pointers and counts, so both precisions share them
 * (arrays as const void *). */
#include "internal.h"

/* RR_E_STATE unless every layer's weights (and the head, if any) are set. */
static rr_status check_ready(const rr_net *net, rr_error *err)
{
    const size_t slot_count = net->cfg.num_layers * net->directions;
    for (size_t slot = 0; slot < slot_count; slot++) {
        if (!net->slots[slot].is_set) {
            const int reverse = net->cfg.direction == RR_REVERSE ||
                                slot % net->directions == 1;
            return rr_fail(err, RR_E_STATE,
                           "the %s weights of layer %zu are not set; "
                           "call rr_net_set_weights",
                           reverse ? "reverse" : "forward",
                           slot / net->directions);
        }
    }
    if (net->cfg.head != RR_HEAD_NONE && !net->head_is_set) {
        return rr_fail(err, RR_E_STATE,
                       "the head is not set; call rr_net_set_head");
    }
    return RR_OK;
}

/* Each lengths[b] in 1..T. */
static rr_status check_lengths(const int64_t *lengths, size_t batch,
                               size_t seq_len, rr_error *err)
{
    for (size_t b = 0; b < batch; b++) {
        if (lengths[b] < 1 || (uint64_t)lengths[b] > (uint64_t)seq_len) {
            return rr_fail(err, RR_E_LENGTHS,
                           "lengths[%zu] is %lld, expected 1..T (T=%zu)", b,
                           (long long)lengths[b], seq_len);
        }
    }
    return RR_OK;
}

/* RR_E_CONFIG unless the net computes in the precision of the entry point
 * `called`; the message names the one to call instead. */
static rr_status check_dtype(const rr_net *net, rr_dtype dtype,
                             const char *called, const char *other,
                             rr_error *err)
{
    if (net->cfg.dtype == dtype) {
        return RR_OK;
    }
    const int is_float32 = net->cfg.dtype == RR_FLOAT32;
    return rr_fail(err, RR_E_CONFIG,
                   "the net is %s (cfg->dtype %s); call %s, not %s",
                   is_float32 ? "float32" : "float64",
                   is_float32 ? "RR_FLOAT32" : "RR_FLOAT64", other, called);
}

/* Every check of rr_net_forward after the net's precision. */
static rr_status check_forward(const rr_net *net, size_t seq_len, size_t batch,
                               const void *x, size_t x_len,
                               const void *h0, size_t h0_len,
                               const void *c0, size_t c0_len,
                               const int64_t *lengths, size_t lengths_len,
                               const void *output, size_t output_len,
                               const void *h_n, size_t h_n_len,
                               const void *c_n, size_t c_n_len,
                               const void *y, size_t y_len,
                               rr_error *err)
{
    rr_status status = check_ready(net, err);
    if (status != RR_OK) {
        return status;
    }
    if (seq_len == 0) {
        return rr_fail(err, RR_E_SIZE, "seq_len is 0, expected >= 1");
    }
    if (batch == 0) {
        return rr_fail(err, RR_E_SIZE, "batch is 0, expected >= 1");
    }

    const rr_config *cfg = &net->cfg;
    const size_t T = seq_len, B = batch, L = cfg->num_layers;
    const size_t D = net->directions, H = cfg->hidden_size;
    const size_t H_out = net->out_size, O = cfg->head_size;
    const int is_lstm = cfg->cell == RR_CELL_LSTM;
    const int has_head = cfg->head != RR_HEAD_NONE;
    const char *const state_names[] = { "L", "D", "B", "H_out" };
    const char *const cell_names[] = { "L", "D", "B", "H" };

    status = rr_check_array(err, "x", x, x_len, RR_NEED_REQUIRED,
                            (const char *const[]){ "T", "B", "I" },
                            (const size_t[]){ T, B, cfg->input_size }, 3, "");
    if (status == RR_OK) {
        status = rr_check_array(err, "h0", h0, h0_len, RR_NEED_OPTIONAL,
                                state_names,
                                (const size_t[]){ L, D, B, H_out }, 4, "");
    }
    if (status == RR_OK) {
        status = rr_check_array(err, "c0", c0, c0_len,
                                is_lstm ? RR_NEED_OPTIONAL : RR_NEED_ABSENT,
                                cell_names, (const size_t[]){ L, D, B, H }, 4,
                                "c0 applies to lstm only");
    }
    if (status == RR_OK) {
        status = rr_check_array(err, "lengths", lengths, lengths_len,
                                RR_NEED_OPTIONAL, (const char *const[]){ "B" },
                                (const size_t[]){ B }, 1, "");
    }
    if (status == RR_OK) {
        status = rr_check_array(err, "output", output, output_len,
                                RR_NEED_REQUIRED,
                                (const char *const[]){ "T", "B", "D", "H_out" },
                                (const size_t[]){ T, B, D, H_out }, 4, "");
    }
    if (status == RR_OK) {
        status = rr_check_array(err, "h_n", h_n, h_n_len, RR_NEED_REQUIRED,
                                state_names,
                                (const size_t[]){ L, D, B, H_out }, 4, "");
    }
    if (status == RR_OK) {
        status = rr_check_array(err, "c_n", c_n, c_n_len,
                                is_lstm ? RR_NEED_REQUIRED : RR_NEED_ABSENT,
                                cell_names, (const size_t[]){ L, D, B, H }, 4,
                                "c_n applies to lstm only");
    }
    if (status == RR_OK) {
        status = rr_check_array(err, "y", y, y_len,
                                has_head ? RR_NEED_REQUIRED : RR_NEED_ABSENT,
                                (const char *const[]){ "T", "B", "O" },
                                (const size_t[]){ T, B, O }, 3,
                                "the model has no head");
    }
    if (status == RR_OK && lengths != NULL) {
        status = check_lengths(lengths, B, T, err);
    }
    return status;
}

rr_status rr_net_forward(const rr_net *net, size_t seq_len, size_t batch,
                         const double *x, size_t x_len,
                         const double *h0, size_t h0_len,
                         const double *c0, size_t c0_len,
                         const int64_t *lengths, size_t lengths_len,
                         double *output, size_t output_len,
                         double *h_n, size_t h_n_len,
                         double *c_n, size_t c_n_len,
                         double *y, size_t y_len,
                         rr_error *err)
{
    if (net == NULL) {
        return rr_fail(err, RR_E_NULL, "net is NULL");
    }
    rr_status status = check_dtype(net, RR_FLOAT64, "rr_net_forward",
                                   "rr_net_forward_f32", err);
    if (status == RR_OK) {
        status = check_forward(net, seq_len, batch, x, x_len, h0, h0_len, c0,
                               c0_len, lengths, lengths_len, output,
                               output_len, h_n, h_n_len, c_n, c_n_len, y,
                               y_len, err);
    }
    if (status != RR_OK) {
        return status;
    }
    return rr_run_sequence_f64(net, seq_len, batch, x, h0, c0, lengths,
                               output, h_n, c_n, y, err);
}

rr_status rr_net_forward_f32(const rr_net *net, size_t seq_len, size_t batch,
                             const float *x, size_t x_len,
                             const float *h0, size_t h0_len,
                             const float *c0, size_t c0_len,
                             const int64_t *lengths, size_t lengths_len,
                             float *output, size_t output_len,
                             float *h_n, size_t h_n_len,
                             float *c_n, size_t c_n_len,
                             float *y, size_t y_len,
                             rr_error *err)
{
    if (net == NULL) {
        return rr_fail(err, RR_E_NULL, "net is NULL");
    }
    rr_status status = check_dtype(net, RR_FLOAT32, "rr_net_forward_f32",
                                   "rr_net_forward", err);
    if (status == RR_OK) {
        status = check_forward(net, seq_len, batch, x, x_len, h0, h0_len, c0,
                               c0_len, lengths, lengths_len, output,
                               output_len, h_n, h_n_len, c_n, c_n_len, y,
                               y_len, err);
    }
    if (status != RR_OK) {
        return status;
    }
    return rr_run_sequence_f32(net, seq_len, batch, x, h0, c0, lengths,
                               output, h_n, c_n, y, err);
}

/* Every check of rr_net_step after the net's precision; the message for a
 * model that cannot stream names `called` and `forward_name`. */
static rr_status check_step(const rr_net *net, const char *called,
                            const char *forward_name, size_t batch,
                            const void *x_t, size_t x_len,
                            const void *h, size_t h_len,
                            const void *c, size_t c_len,
                            const void *out_t, size_t out_len,
                            const void *h_next, size_t h_next_len,
                            const void *c_next, size_t c_next_len,
                            const void *y_t, size_t y_len,
                            rr_error *err)
{
    const rr_config *cfg = &net->cfg;
    if (cfg->direction != RR_FORWARD) {
        return rr_fail(err, RR_E_UNSUPPORTED,
                       "%s needs a forward-direction model, this one is %s; "
                       "use %s", called,
                       cfg->direction == RR_REVERSE ? "reverse"
                                                    : "bidirectional",
                       forward_name);
    }
    rr_status status = check_ready(net, err);
    if (status != RR_OK) {
        return status;
    }
    if (batch == 0) {
        return rr_fail(err, RR_E_SIZE, "batch is 0, expected >= 1");
    }

    const size_t B = batch, L = cfg->num_layers, H = cfg->hidden_size;
    const size_t H_out = net->out_size, O = cfg->head_size;
    const int is_lstm = cfg->cell == RR_CELL_LSTM;
    const int has_head = cfg->head != RR_HEAD_NONE;
    const char *const state_names[] = { "L", "B", "H_out" };
    const char *const cell_names[] = { "L", "B", "H" };

    /* messages name x_t as "x" (and out_t, y_t as "out", "y"), after
     * their length arguments x_len, out_len, y_len */
    status = rr_check_array(err, "x", x_t, x_len, RR_NEED_REQUIRED,
                            (const char *const[]){ "B", "I" },
                            (const size_t[]){ B, cfg->input_size }, 2, "");
    if (status == RR_OK) {
        status = rr_check_array(err, "h", h, h_len, RR_NEED_OPTIONAL,
                                state_names, (const size_t[]){ L, B, H_out },
                                3, "");
    }
    if (status == RR_OK) {
        status = rr_check_array(err, "c", c, c_len,
                                is_lstm ? RR_NEED_OPTIONAL : RR_NEED_ABSENT,
                                cell_names, (const size_t[]){ L, B, H }, 3,
                                "c applies to lstm only");
    }
    if (status == RR_OK) {
        status = rr_check_array(err, "out", out_t, out_len, RR_NEED_REQUIRED,
                                (const char *const[]){ "B", "H_out" },
                                (const size_t[]){ B, H_out }, 2, "");
    }
    if (status == RR_OK) {
        status = rr_check_array(err, "h_next", h_next, h_next_len,
                                RR_NEED_REQUIRED, state_names,
                                (const size_t[]){ L, B, H_out }, 3, "");
    }
    if (status == RR_OK) {
        status = rr_check_array(err, "c_next", c_next, c_next_len,
                                is_lstm ? RR_NEED_REQUIRED : RR_NEED_ABSENT,
                                cell_names, (const size_t[]){ L, B, H }, 3,
                                "c_next applies to lstm only");
    }
    if (status == RR_OK) {
        status = rr_check_array(err, "y", y_t, y_len,
                                has_head ? RR_NEED_REQUIRED : RR_NEED_ABSENT,
                                (const char *const[]){ "B", "O" },
                                (const size_t[]){ B, O }, 2,
                                "the model has no head");
    }
    return status;
}


/* Whether every argument of a step is right, tested in a few compares on
 * the counts fixed at create (rr_step_prepare): when it says no, the full
 * checks above find what is wrong and say it. B <= step_max_batch keeps
 * every product below from overflowing. */
static int step_args_fit(const rr_net *net, size_t batch,
                         const void *x_t, size_t x_len,
                         const void *h, size_t h_len,
                         const void *c, size_t c_len,
                         const void *out_t, size_t out_len,
                         const void *h_next, size_t h_next_len,
                         const void *c_next, size_t c_next_len,
                         const void *y_t, size_t y_len)
{
    const size_t B = batch;
    if (B - 1 >= net->step_max_batch || net->cfg.direction != RR_FORWARD) {
        return 0; /* B = 0 wraps around */
    }
    const size_t h_count = B * net->step_h_row, c_count = B * net->step_c_row;
    const size_t y_count = B * net->step_y_row;
    const int is_lstm = net->step_c_row > 0, has_head = net->step_y_row > 0;
    int fit = x_t != NULL && x_len == B * net->step_x_row &&
              (h != NULL ? h_len == h_count : h_len == 0) &&
              out_t != NULL && out_len == B * net->step_out_row &&
              h_next != NULL && h_next_len == h_count;
    fit = fit && (is_lstm ? (c != NULL ? c_len == c_count : c_len == 0) &&
                                c_next != NULL && c_next_len == c_count
                          : c == NULL && c_len == 0 && c_next == NULL &&
                                c_next_len == 0);
    fit = fit && (has_head ? y_t != NULL && y_len == y_count
                           : y_t == NULL && y_len == 0);
    for (size_t l = 0; fit && l < net->cfg.num_layers; l++) {
        fit = net->slots[l].is_set;
    }
    return fit && (!has_head || net->head_is_set);
}

/* Where a step's scratch comes from: a caller's workspace or the thread's. */
typedef struct step_scratch_source {
    const char *called;       /* the entry point, for messages             */
    const char *other;        /* the same one of the other precision       */
    const char *forward_name; /* the forward of this precision             */
    rr_dtype dtype;
    int uses_ws;              /* 1: rr_net_step_ws*, scratch from ws       */
    rr_step_workspace *ws;
} step_scratch_source;

/* One step: the checks (fast when every argument is right), the scratch,
 * then the net's step function (or the sequence with T = 1 on a path that
 * has no step function). One step is the whole sequence with T = 1; h_next
 * may alias h and c_next alias c. */
static rr_status run_step(const rr_net *net, const step_scratch_source *src,
                          size_t batch,
                          const void *x_t, size_t x_len,
                          const void *h, size_t h_len,
                          const void *c, size_t c_len,
                          void *out_t, size_t out_len,
                          void *h_next, size_t h_next_len,
                          void *c_next, size_t c_next_len,
                          void *y_t, size_t y_len,
                          rr_error *err)
{
    if (net == NULL) {
        return rr_fail(err, RR_E_NULL, "net is NULL");
    }
    if (src->uses_ws && src->ws == NULL) {
        return rr_fail(err, RR_E_NULL, "ws is NULL");
    }
    if (net->cfg.dtype != src->dtype ||
        !step_args_fit(net, batch, x_t, x_len, h, h_len, c, c_len, out_t,
                       out_len, h_next, h_next_len, c_next, c_next_len, y_t,
                       y_len)) {
        rr_status status = check_dtype(net, src->dtype, src->called,
                                       src->other, err);
        if (status == RR_OK) {
            status = check_step(net, src->called, src->forward_name, batch,
                                x_t, x_len, h, h_len, c, c_len, out_t,
                                out_len, h_next, h_next_len, c_next,
                                c_next_len, y_t, y_len, err);
        }
        if (status != RR_OK) {
            return status;
        }
        if (batch > net->step_max_batch) {
            return rr_fail(err, RR_E_SIZE,
                           "batch is %zu, the step's scratch fits %zu rows",
                           batch, net->step_max_batch);
        }
    }
    const int is_float32 = src->dtype == RR_FLOAT32;
    if (net->step_fn == NULL) {
        return is_float32
                   ? rr_run_sequence_f32(net, 1, batch, x_t, h, c, NULL,
                                         out_t, h_next, c_next, y_t, err)
                   : rr_run_sequence_f64(net, 1, batch, x_t, h, c, NULL,
                                         out_t, h_next, c_next, y_t, err);
    }
    const size_t bytes = rr_step_scratch_bytes(net, batch);
    void *scratch = NULL;
    if (src->uses_ws) {
        size_t held = 0;
        scratch = rr_step_workspace_scratch(src->ws, bytes, &held);
        if (scratch == NULL) {
            return rr_fail(err, RR_E_SIZE,
                           "ws holds %zu bytes, this step needs %zu; create "
                           "it for this net and a batch >= %zu",
                           held, bytes, batch);
        }
    } else {
        scratch = rr_step_thread_scratch(bytes);
        if (scratch == NULL) {
            return rr_fail(err, RR_E_NOMEM,
                           "cannot allocate %zu bytes of step scratch for "
                           "this thread", bytes);
        }
    }
    net->step_fn(net, batch, x_t, h, c, out_t, h_next, c_next, y_t, scratch);
    return RR_OK;
}

static const step_scratch_source step_f64 = {
    "rr_net_step", "rr_net_step_f32", "rr_net_forward", RR_FLOAT64, 0, NULL
};
static const step_scratch_source step_f32 = {
    "rr_net_step_f32", "rr_net_step", "rr_net_forward_f32", RR_FLOAT32, 0,
    NULL
};

rr_status rr_net_step(const rr_net *net, size_t batch,
                      const double *x_t, size_t x_len,
                      const double *h, size_t h_len,
                      const double *c, size_t c_len,
                      double *out_t, size_t out_len,
                      double *h_next, size_t h_next_len,
                      double *c_next, size_t c_next_len,
                      double *y_t, size_t y_len,
                      rr_error *err)
{
    return run_step(net, &step_f64, batch, x_t, x_len, h, h_len, c, c_len,
                    out_t, out_len, h_next, h_next_len, c_next, c_next_len,
                    y_t, y_len, err);
}

rr_status rr_net_step_f32(const rr_net *net, size_t batch,
                          const float *x_t, size_t x_len,
                          const float *h, size_t h_len,
                          const float *c, size_t c_len,
                          float *out_t, size_t out_len,
                          float *h_next, size_t h_next_len,
                          float *c_next, size_t c_next_len,
                          float *y_t, size_t y_len,
                          rr_error *err)
{
    return run_step(net, &step_f32, batch, x_t, x_len, h, h_len, c, c_len,
                    out_t, out_len, h_next, h_next_len, c_next, c_next_len,
                    y_t, y_len, err);
}

rr_status rr_net_step_ws(const rr_net *net, rr_step_workspace *ws,
                         size_t batch,
                         const double *x_t, size_t x_len,
                         const double *h, size_t h_len,
                         const double *c, size_t c_len,
                         double *out_t, size_t out_len,
                         double *h_next, size_t h_next_len,
                         double *c_next, size_t c_next_len,
                         double *y_t, size_t y_len,
                         rr_error *err)
{
    const step_scratch_source src = { "rr_net_step_ws", "rr_net_step_ws_f32",
                                      "rr_net_forward", RR_FLOAT64, 1, ws };
    return run_step(net, &src, batch, x_t, x_len, h, h_len, c, c_len, out_t,
                    out_len, h_next, h_next_len, c_next, c_next_len, y_t,
                    y_len, err);
}

rr_status rr_net_step_ws_f32(const rr_net *net, rr_step_workspace *ws,
                             size_t batch,
                             const float *x_t, size_t x_len,
                             const float *h, size_t h_len,
                             const float *c, size_t c_len,
                             float *out_t, size_t out_len,
                             float *h_next, size_t h_next_len,
                             float *c_next, size_t c_next_len,
                             float *y_t, size_t y_len,
                             rr_error *err)
{
    const step_scratch_source src = { "rr_net_step_ws_f32", "rr_net_step_ws",
                                      "rr_net_forward_f32", RR_FLOAT32, 1,
                                      ws };
    return run_step(net, &src, batch, x_t, x_len, h, h_len, c, c_len, out_t,
                    out_len, h_next, h_next_len, c_next, c_next_len, y_t,
                    y_len, err);
}

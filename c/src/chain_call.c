/* chain_call.c - the checks of every argument of rr_chain_forward and
 * rr_chain_step, before any arithmetic runs: the chain is ready, the
 * precision matches, every pointer and element count agrees with the
 * shapes of rnn_rosetta.h, tokens are in 0..V-1 and lengths in 1..T. */
#include "chain_internal.h"

#include <stddef.h>

/* RR_E_STATE unless every weight the chain needs is set. */
static rr_status check_ready(const rr_chain *ch, rr_error *err)
{
    for (size_t l = 0; l < ch->cfg.num_layers; l++) {
        const rr_direction dir = ch->layers[l].direction;
        const int need[2] = { dir != RR_REVERSE, dir != RR_FORWARD };
        for (size_t d = 0; d < 2; d++) {
            if (need[d] && !ch->is_set[2 * l + d]) {
                return rr_fail(err, RR_E_STATE, "the weights of layers[%zu] "
                               "%s are not set (rr_chain_set_weights)", l,
                               d == 0 ? "forward" : "reverse");
            }
        }
    }
    if (ch->cfg.vocab_size > 0 && ch->embedding == NULL) {
        return rr_fail(err, RR_E_STATE, "the embedding is not set "
                       "(rr_chain_set_embedding)");
    }
    for (size_t k = 0; k < ch->cfg.num_dense; k++) {
        if (ch->dense_weight[k] == NULL) {
            return rr_fail(err, RR_E_STATE, "dense layer %zu is not set "
                           "(rr_chain_set_dense)", k);
        }
    }
    return RR_OK;
}

/* tokens [rows] each in 0..V-1 (RR_E_TOKENS naming the first that is not) */
static rr_status check_tokens(const rr_chain *ch, const int64_t *tokens,
                              size_t rows, size_t batch, rr_error *err)
{
    const size_t vocab = ch->cfg.vocab_size;
    for (size_t r = 0; r < rows; r++) {
        if (tokens[r] < 0 || (uint64_t)tokens[r] >= (uint64_t)vocab) {
            return rr_fail(err, RR_E_TOKENS, "tokens[%zu][%zu] is %lld, "
                           "expected 0..%zu (V-1)", r / batch, r % batch,
                           (long long)tokens[r], vocab - 1);
        }
    }
    return RR_OK;
}

static rr_status check_lengths(const int64_t *lengths, size_t batch,
                               size_t steps, rr_error *err)
{
    for (size_t b = 0; lengths != NULL && b < batch; b++) {
        if (lengths[b] < 1 || (uint64_t)lengths[b] > (uint64_t)steps) {
            return rr_fail(err, RR_E_LENGTHS, "lengths[%zu] is %lld, expected "
                           "1..%zu (T)", b, (long long)lengths[b], steps);
        }
    }
    return RR_OK;
}

rr_status rr_chain_check_call(const rr_chain *ch, rr_dtype dtype,
                              int step, size_t steps, size_t batch,
                              const void *x, size_t x_len,
                              const int64_t *tokens, size_t tokens_len,
                              const void *h0, size_t h0_len,
                              const void *c0, size_t c0_len,
                              const int64_t *lengths, size_t lengths_len,
                              const void *output, size_t output_len,
                              const void *h_n, size_t h_n_len,
                              const void *c_n, size_t c_n_len,
                              const void *y, size_t y_len, rr_error *err)
{
    if (ch == NULL) {
        return rr_fail(err, RR_E_NULL, "chain is NULL");
    }
    if (ch->cfg.dtype != dtype) {
        return rr_fail(err, RR_E_CONFIG, "the chain computes in %s; call the "
                       "%s entry point", ch->cfg.dtype == RR_FLOAT32
                       ? "float32" : "float64", ch->cfg.dtype == RR_FLOAT32
                       ? "_f32" : "float64 (no _f32)");
    }
    if (step && !ch->sizes.all_forward) {
        return rr_fail(err, RR_E_UNSUPPORTED, "step needs every layer to be "
                       "forward; use rr_chain_forward");
    }
    rr_status status = check_ready(ch, err);
    if (status != RR_OK) {
        return status;
    }
    if (steps == 0 || batch == 0) {
        return rr_fail(err, RR_E_SIZE, "%s is 0, expected >= 1",
                       steps == 0 ? "seq_len" : "batch");
    }
    const rr_chain_sizes *sz = &ch->sizes;
    const int embedded = ch->cfg.vocab_size > 0;
    const size_t t = step ? 1 : steps;
    const size_t n = ch->cfg.readout == RR_READOUT_LAST || step ? batch
                                                                : t * batch;
    const char *const tbi[] = { "T", "B", "I" };
    const char *const bs[] = { "B", "S" };
    const struct {
        const char *name; const void *ptr; size_t len; rr_need need;
        const char *const *names; size_t f[3]; size_t rank; const char *why;
    } arrays[] = {
        { "x", x, x_len, embedded ? RR_NEED_ABSENT : RR_NEED_REQUIRED, tbi,
          { t, batch, sz->input_size }, 3, "the chain takes tokens" },
        { "tokens", tokens, tokens_len,
          embedded ? RR_NEED_REQUIRED : RR_NEED_ABSENT, tbi, { t, batch, 1 },
          2, "the chain has no embedding" },
        { "h0", h0, h0_len, RR_NEED_OPTIONAL, bs, { batch, sz->state_size },
          2, "" },
        { "c0", c0, c0_len, sz->cell_state_size ? RR_NEED_OPTIONAL
                                                : RR_NEED_ABSENT,
          bs, { batch, sz->cell_state_size }, 2, "the chain has no lstm" },
        { "lengths", lengths, lengths_len,
          step ? RR_NEED_ABSENT : RR_NEED_OPTIONAL, bs, { batch, 1 }, 1,
          "a step has no lengths" },
        { "output", output, output_len, RR_NEED_REQUIRED, (const char *const[])
          { "T", "B", "W" }, { t, batch, sz->output_width }, 3, "" },
        { "h_n", h_n, h_n_len, RR_NEED_REQUIRED, bs,
          { batch, sz->state_size }, 2, "" },
        { "c_n", c_n, c_n_len, sz->cell_state_size ? RR_NEED_REQUIRED
                                                   : RR_NEED_ABSENT,
          bs, { batch, sz->cell_state_size }, 2, "the chain has no lstm" },
        { "y", y, y_len, sz->y_size ? RR_NEED_REQUIRED : RR_NEED_ABSENT,
          (const char *const[]){ "N", "O" }, { n, sz->y_size }, 2,
          "the chain produces no y (readout sequence, no dense layers)" },
    };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        status = rr_check_array(err, arrays[i].name, arrays[i].ptr,
                                arrays[i].len, arrays[i].need,
                                arrays[i].names, arrays[i].f, arrays[i].rank,
                                arrays[i].why);
        if (status != RR_OK) {
            return status;
        }
    }
    if (tokens != NULL) {
        status = check_tokens(ch, tokens, t * batch, batch, err);
    }
    if (status == RR_OK) {
        status = check_lengths(lengths, batch, steps, err);
    }
    return status;
}

/* chain.c - a chain (fixture format v2): creating it from an
 * rr_chain_config (one one-layer rr_net per recurrent layer), copying its
 * embedding and dense layers in, checking the arguments of a call, and the
 * public forward and step (the arithmetic is chain_impl.h's, once per
 * precision). */
#include "chain_internal.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RR_REAL_BITS 64
#include "chain_impl.h"
#undef RR_REAL_BITS

#define RR_REAL_BITS 32
#include "chain_impl.h"
#undef RR_REAL_BITS

size_t rr_chain_directions(const rr_chain *chain, size_t layer)
{
    return chain->layers[layer].direction == RR_BIDIRECTIONAL ? 2 : 1;
}

rr_status rr_chain_layer_fail(rr_error *err, rr_status status, size_t layer,
                              const rr_error *inner)
{
    char copy[sizeof inner->message];
    memcpy(copy, inner->message, sizeof copy);
    copy[sizeof copy - 1] = '\0';
    return rr_fail(err, status, "layers[%zu]: %.200s", layer, copy);
}

static const char *merge_name(rr_merge merge)
{
    switch (merge) {
    case RR_MERGE_CONCAT: return "RR_MERGE_CONCAT";
    case RR_MERGE_SUM: return "RR_MERGE_SUM";
    case RR_MERGE_MUL: return "RR_MERGE_MUL";
    case RR_MERGE_AVE: return "RR_MERGE_AVE";
    }
    return "?";
}

/* The rr_config of layer l's own net. */
static rr_config layer_net_config(const rr_chain_config *cfg,
                                  const rr_layer_config *layer,
                                  size_t input_size)
{
    rr_config net = { 0 };
    net.cell = layer->cell;
    net.nonlinearity = layer->nonlinearity;
    net.linear_before_reset = layer->linear_before_reset;
    net.input_size = input_size;
    net.hidden_size = layer->hidden_size;
    net.num_layers = 1;
    net.direction = layer->direction;
    net.proj_size = layer->proj_size;
    net.peepholes = layer->peepholes;
    net.has_clip = layer->has_clip;
    net.clip = layer->clip;
    net.head = RR_HEAD_NONE;
    net.head_size = 0;
    net.dtype = cfg->dtype;
    net.kernel = cfg->kernel;
    net.num_threads = cfg->num_threads;
    return net;
}

/* The chain-level options: sizes, pointers, enums, merges, dense layers. */
static rr_status check_chain_config(const rr_chain_config *cfg, rr_error *err)
{
    if (cfg->input_size == 0) {
        return rr_fail(err, RR_E_SIZE, "cfg->input_size is 0, expected >= 1");
    }
    if (cfg->num_layers == 0) {
        return rr_fail(err, RR_E_SIZE, "cfg->num_layers is 0, expected >= 1");
    }
    if (cfg->layers == NULL) {
        return rr_fail(err, RR_E_NULL, "cfg->layers is NULL");
    }
    if (cfg->num_dense > 0 && cfg->dense == NULL) {
        return rr_fail(err, RR_E_NULL, "cfg->dense is NULL with num_dense %zu",
                       cfg->num_dense);
    }
    if (cfg->readout != RR_READOUT_SEQUENCE && cfg->readout != RR_READOUT_LAST) {
        return rr_fail(err, RR_E_CONFIG, "cfg->readout is %d, expected "
                       "RR_READOUT_SEQUENCE (0) or RR_READOUT_LAST (1)",
                       (int)cfg->readout);
    }
    const size_t limit = (size_t)-1 / 64;
    if (cfg->num_layers > limit || cfg->num_dense > limit) {
        return rr_fail(err, RR_E_SIZE, "cfg->num_layers (%zu) or num_dense "
                       "(%zu) is too large", cfg->num_layers, cfg->num_dense);
    }
    for (size_t l = 0; l < cfg->num_layers; l++) {
        const rr_layer_config *layer = &cfg->layers[l];
        if ((unsigned)layer->merge > (unsigned)RR_MERGE_AVE) {
            return rr_fail(err, RR_E_CONFIG, "cfg->layers[%zu].merge is %d, "
                           "expected RR_MERGE_CONCAT (0), SUM (1), MUL (2) or "
                           "AVE (3)", l, (int)layer->merge);
        }
        if (layer->merge != RR_MERGE_CONCAT &&
            layer->direction != RR_BIDIRECTIONAL) {
            return rr_fail(err, RR_E_CONFIG, "cfg->layers[%zu].merge is %s, "
                           "but only a bidirectional layer merges; expected "
                           "RR_MERGE_CONCAT", l, merge_name(layer->merge));
        }
    }
    for (size_t k = 0; k < cfg->num_dense; k++) {
        if (cfg->dense[k].size == 0) {
            return rr_fail(err, RR_E_SIZE, "cfg->dense[%zu].size is 0, "
                           "expected >= 1", k);
        }
        if ((unsigned)cfg->dense[k].activation > (unsigned)RR_ACT_RELU) {
            return rr_fail(err, RR_E_CONFIG, "cfg->dense[%zu].activation is "
                           "%d, expected RR_ACT_IDENTITY (0) .. RR_ACT_RELU "
                           "(4)", k, (int)cfg->dense[k].activation);
        }
    }
    return RR_OK;
}

/* The tables of a fresh chain (copies of the configs, per-layer sizes). */
static int allocate_tables(rr_chain *ch, const rr_chain_config *cfg)
{
    const size_t layers = cfg->num_layers;
    ch->layers = calloc(layers, sizeof *ch->layers);
    ch->nets = calloc(layers, sizeof *ch->nets);
    ch->in_sizes = calloc(layers, sizeof(size_t));
    ch->widths = calloc(layers, sizeof(size_t));
    ch->out_sizes = calloc(layers, sizeof(size_t));
    ch->slot_offsets = calloc(layers, sizeof(size_t));
    ch->cell_offsets = calloc(layers, sizeof(size_t));
    ch->is_set = calloc(layers, 2);
    int ok = ch->layers && ch->nets && ch->in_sizes && ch->widths &&
             ch->out_sizes && ch->slot_offsets && ch->cell_offsets &&
             ch->is_set;
    if (ok && cfg->num_dense > 0) {
        ch->dense = calloc(cfg->num_dense, sizeof *ch->dense);
        ch->dense_weight = calloc(cfg->num_dense, sizeof(void *));
        ch->dense_bias = calloc(cfg->num_dense, sizeof(void *));
        ok = ch->dense && ch->dense_weight && ch->dense_bias;
    }
    if (ok) {
        memcpy(ch->layers, cfg->layers, layers * sizeof *ch->layers);
        if (cfg->num_dense > 0) {
            memcpy(ch->dense, cfg->dense, cfg->num_dense * sizeof *ch->dense);
        }
        ch->cfg = *cfg;
        ch->cfg.layers = ch->layers;
        ch->cfg.dense = ch->dense;
    }
    return ok;
}

/* a + b into *sum, 0 on overflow */
static int add_ok(size_t a, size_t b, size_t *sum)
{
    *sum = a + b;
    return *sum >= a;
}

/* One net per layer; the sizes of every layer and of the whole chain. */
static rr_status build_layers(rr_chain *ch, rr_error *err)
{
    size_t input = ch->cfg.input_size;
    rr_chain_sizes *sz = &ch->sizes;
    sz->all_forward = 1;
    for (size_t l = 0; l < ch->cfg.num_layers; l++) {
        const rr_layer_config *layer = &ch->layers[l];
        const rr_config net_cfg = layer_net_config(&ch->cfg, layer, input);
        rr_error inner = { { 0 } };
        const rr_status status = rr_net_create(&net_cfg, &ch->nets[l], &inner);
        if (status != RR_OK) {
            return rr_chain_layer_fail(err, status, l, &inner);
        }
        const size_t d = layer->direction == RR_BIDIRECTIONAL ? 2 : 1;
        const size_t out = layer->proj_size > 0 ? layer->proj_size
                                                : layer->hidden_size;
        ch->in_sizes[l] = input;
        ch->out_sizes[l] = out;
        /* d * out fits: rr_net_create checked G*H*H_out with H_out <= H */
        ch->widths[l] = layer->merge == RR_MERGE_CONCAT ? d * out : out;
        ch->slot_offsets[l] = sz->state_size;
        ch->cell_offsets[l] = sz->cell_state_size;
        sz->num_slots += d;
        int ok = add_ok(sz->state_size, d * out, &sz->state_size);
        if (layer->cell == RR_CELL_LSTM) {
            sz->num_cell_slots += d;
            ok = ok && add_ok(sz->cell_state_size, d * layer->hidden_size,
                              &sz->cell_state_size);
        }
        if (!ok) {
            return rr_fail(err, RR_E_SIZE, "layers[%zu]: the state sizes "
                           "overflow size_t", l);
        }
        if (layer->direction != RR_FORWARD) {
            sz->all_forward = 0;
        }
        input = ch->widths[l];
    }
    sz->input_size = ch->cfg.input_size;
    sz->vocab_size = ch->cfg.vocab_size;
    sz->output_width = input;
    return RR_OK;
}

/* Dense weight counts O_k * W_{k-1} and the embedding's V * I fit. */
static rr_status check_counts(rr_chain *ch, rr_error *err)
{
    size_t width = ch->sizes.output_width;
    size_t count = 0;
    for (size_t k = 0; k < ch->cfg.num_dense; k++) {
        if (!rr_count_product((const size_t[]){ ch->dense[k].size, width }, 2,
                              &count)) {
            return rr_fail(err, RR_E_SIZE, "dense[%zu]'s weight has %zu*%zu "
                           "elements, which overflows size_t", k,
                           ch->dense[k].size, width);
        }
        width = ch->dense[k].size;
        if (width > ch->max_dense) {
            ch->max_dense = width;
        }
    }
    const int last = ch->cfg.readout == RR_READOUT_LAST;
    ch->sizes.y_size = ch->cfg.num_dense > 0 ? width
                                             : (last ? width : 0);
    if (ch->cfg.vocab_size > 0 &&
        !rr_count_product((const size_t[]){ ch->cfg.vocab_size,
                                            ch->cfg.input_size }, 2, &count)) {
        return rr_fail(err, RR_E_SIZE, "the embedding has V*I = %zu*%zu "
                       "elements, which overflows size_t", ch->cfg.vocab_size,
                       ch->cfg.input_size);
    }
    return RR_OK;
}

rr_status rr_chain_create(const rr_chain_config *cfg, rr_chain **out,
                          rr_error *err)
{
    if (out == NULL) {
        return rr_fail(err, RR_E_NULL, "out is NULL");
    }
    *out = NULL;
    if (cfg == NULL) {
        return rr_fail(err, RR_E_NULL, "cfg is NULL");
    }
    rr_status status = check_chain_config(cfg, err);
    if (status != RR_OK) {
        return status;
    }
    rr_chain *ch = calloc(1, sizeof *ch);
    if (ch == NULL || !allocate_tables(ch, cfg)) {
        if (ch != NULL) {
            ch->cfg.num_layers = cfg->num_layers;
            ch->cfg.num_dense = cfg->num_dense;
        }
        rr_chain_free(ch);
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the chain of %zu "
                       "layers", cfg->num_layers);
    }
    ch->elem_size = cfg->dtype == RR_FLOAT32 ? sizeof(float) : sizeof(double);
    status = build_layers(ch, err);
    if (status == RR_OK) {
        status = check_counts(ch, err);
    }
    if (status == RR_OK) {
        status = rr_chain_params_make(ch, err);
    }
    if (status != RR_OK) {
        rr_chain_free(ch);
        return status;
    }
    /* 1, 2, ...: one per chain made in the process, from any thread */
    static atomic_ullong next_serial = 1;
    ch->serial = atomic_fetch_add(&next_serial, 1);
    *out = ch;
    return RR_OK;
}

void rr_chain_free(rr_chain *chain)
{
    if (chain == NULL) {
        return;
    }
    for (size_t l = 0; chain->nets != NULL && l < chain->cfg.num_layers; l++) {
        rr_net_free(chain->nets[l]);
    }
    for (size_t k = 0; chain->dense_weight != NULL && k < chain->cfg.num_dense;
         k++) {
        free(chain->dense_weight[k]);
        free(chain->dense_bias[k]);
    }
    free(chain->layers);
    free(chain->dense);
    free(chain->nets);
    free(chain->in_sizes);
    free(chain->widths);
    free(chain->out_sizes);
    free(chain->slot_offsets);
    free(chain->cell_offsets);
    free(chain->is_set);
    free(chain->embedding);
    free(chain->dense_weight);
    free(chain->dense_bias);
    rr_chain_params_free(chain->params);
    free(chain);
}

rr_status rr_chain_get_sizes(const rr_chain *chain, rr_chain_sizes *out,
                             rr_error *err)
{
    if (chain == NULL || out == NULL) {
        return rr_fail(err, RR_E_NULL, "%s is NULL",
                       chain == NULL ? "chain" : "out");
    }
    *out = chain->sizes;
    return RR_OK;
}

const char *rr_chain_kernel_name(const rr_chain *chain)
{
    return chain == NULL ? "none" : rr_net_kernel_name(chain->nets[0]);
}

/* A heap copy of src [count] as the chain's REAL (rounded for float32). */
static void *copy_reals(const rr_chain *ch, const double *src, size_t count)
{
    void *dst = rr_alloc(count, ch->elem_size, 0);
    for (size_t i = 0; dst != NULL && i < count; i++) {
        if (ch->elem_size == sizeof(double)) {
            ((double *)dst)[i] = src[i];
        } else {
            ((float *)dst)[i] = (float)src[i];
        }
    }
    return dst;
}

rr_status rr_chain_set_embedding(rr_chain *chain, const double *weight,
                                 size_t weight_len, rr_error *err)
{
    if (chain == NULL) {
        return rr_fail(err, RR_E_NULL, "chain is NULL");
    }
    if (chain->cfg.vocab_size == 0) {
        return rr_fail(err, RR_E_CONFIG, "the chain has no embedding "
                       "(cfg->vocab_size is 0)");
    }
    rr_status status = rr_check_array(
        err, "weight", weight, weight_len, RR_NEED_REQUIRED,
        (const char *const[]){ "V", "I" },
        (const size_t[]){ chain->cfg.vocab_size, chain->cfg.input_size }, 2,
        "");
    if (status != RR_OK) {
        return status;
    }
    void *copy = copy_reals(chain, weight, weight_len);
    if (copy == NULL) {
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the embedding");
    }
    free(chain->embedding);
    chain->embedding = copy;
    return RR_OK;
}

rr_status rr_chain_set_weights(rr_chain *chain, size_t layer,
                               rr_direction which, const rr_weights *weights,
                               rr_error *err)
{
    if (chain == NULL) {
        return rr_fail(err, RR_E_NULL, "chain is NULL");
    }
    if (layer >= chain->cfg.num_layers) {
        return rr_fail(err, RR_E_SIZE, "layer is %zu, expected 0..%zu", layer,
                       chain->cfg.num_layers - 1);
    }
    rr_error inner = { { 0 } };
    const rr_status status =
        rr_net_set_weights(chain->nets[layer], 0, which, weights, &inner);
    if (status != RR_OK) {
        return rr_chain_layer_fail(err, status, layer, &inner);
    }
    chain->is_set[2 * layer + (which == RR_REVERSE ? 1 : 0)] = 1;
    return RR_OK;
}

rr_status rr_chain_set_dense(rr_chain *chain, size_t k, const double *weight,
                             size_t weight_len, const double *bias,
                             size_t bias_len, rr_error *err)
{
    if (chain == NULL) {
        return rr_fail(err, RR_E_NULL, "chain is NULL");
    }
    if (k >= chain->cfg.num_dense) {
        return rr_fail(err, RR_E_SIZE, "k is %zu, but the chain has %zu dense "
                       "layers", k, chain->cfg.num_dense);
    }
    const size_t size = chain->dense[k].size;
    const size_t width =
        k == 0 ? chain->sizes.output_width : chain->dense[k - 1].size;
    rr_status status = rr_check_array(
        err, "weight", weight, weight_len, RR_NEED_REQUIRED,
        (const char *const[]){ "O_k", "W_k-1" },
        (const size_t[]){ size, width }, 2, "");
    if (status == RR_OK) {
        status = rr_check_array(err, "bias", bias, bias_len, RR_NEED_REQUIRED,
                                (const char *const[]){ "O_k" },
                                (const size_t[]){ size }, 1, "");
    }
    if (status != RR_OK) {
        return status;
    }
    void *w = copy_reals(chain, weight, weight_len);
    void *b = copy_reals(chain, bias, bias_len);
    if (w == NULL || b == NULL) {
        free(w);
        free(b);
        return rr_fail(err, RR_E_NOMEM, "cannot allocate dense layer %zu", k);
    }
    free(chain->dense_weight[k]);
    free(chain->dense_bias[k]);
    chain->dense_weight[k] = w;
    chain->dense_bias[k] = b;
    return RR_OK;
}

/* The public entry points: check, then run in the chain's precision. */

rr_status rr_chain_forward(const rr_chain *chain, size_t seq_len,
                           size_t batch,
                           const double *x, size_t x_len,
                           const int64_t *tokens, size_t tokens_len,
                           const double *h0, size_t h0_len,
                           const double *c0, size_t c0_len,
                           const int64_t *lengths, size_t lengths_len,
                           double *output, size_t output_len,
                           double *h_n, size_t h_n_len,
                           double *c_n, size_t c_n_len,
                           double *y, size_t y_len,
                           rr_error *err)
{
    const rr_status status = rr_chain_check_call(
        chain, RR_FLOAT64, 0, seq_len, batch, x, x_len, tokens, tokens_len,
        h0, h0_len, c0, c0_len, lengths, lengths_len, output, output_len, h_n,
        h_n_len, c_n, c_n_len, y, y_len, err);
    if (status != RR_OK) {
        return status;
    }
    return chain_forward_f64(chain, seq_len, batch, x, tokens, h0, c0, lengths,
                             output, h_n, c_n, y, err);
}

rr_status rr_chain_forward_f32(const rr_chain *chain, size_t seq_len,
                               size_t batch,
                               const float *x, size_t x_len,
                               const int64_t *tokens, size_t tokens_len,
                               const float *h0, size_t h0_len,
                               const float *c0, size_t c0_len,
                               const int64_t *lengths, size_t lengths_len,
                               float *output, size_t output_len,
                               float *h_n, size_t h_n_len,
                               float *c_n, size_t c_n_len,
                               float *y, size_t y_len,
                               rr_error *err)
{
    const rr_status status = rr_chain_check_call(
        chain, RR_FLOAT32, 0, seq_len, batch, x, x_len, tokens, tokens_len,
        h0, h0_len, c0, c0_len, lengths, lengths_len, output, output_len, h_n,
        h_n_len, c_n, c_n_len, y, y_len, err);
    if (status != RR_OK) {
        return status;
    }
    return chain_forward_f32(chain, seq_len, batch, x, tokens, h0, c0, lengths,
                             output, h_n, c_n, y, err);
}

rr_status rr_chain_step(const rr_chain *chain, size_t batch,
                        const double *x_t, size_t x_len,
                        const int64_t *tokens_t, size_t tokens_len,
                        const double *h, size_t h_len,
                        const double *c, size_t c_len,
                        double *out_t, size_t out_len,
                        double *h_next, size_t h_next_len,
                        double *c_next, size_t c_next_len,
                        double *y_t, size_t y_len,
                        rr_error *err)
{
    const rr_status status = rr_chain_check_call(
        chain, RR_FLOAT64, 1, 1, batch, x_t, x_len, tokens_t, tokens_len, h,
        h_len, c, c_len, NULL, 0, out_t, out_len, h_next, h_next_len, c_next,
        c_next_len, y_t, y_len, err);
    if (status != RR_OK) {
        return status;
    }
    return chain_step_f64(chain, batch, x_t, tokens_t, h, c, out_t, h_next,
                          c_next, y_t, err);
}

rr_status rr_chain_step_f32(const rr_chain *chain, size_t batch,
                            const float *x_t, size_t x_len,
                            const int64_t *tokens_t, size_t tokens_len,
                            const float *h, size_t h_len,
                            const float *c, size_t c_len,
                            float *out_t, size_t out_len,
                            float *h_next, size_t h_next_len,
                            float *c_next, size_t c_next_len,
                            float *y_t, size_t y_len,
                            rr_error *err)
{
    const rr_status status = rr_chain_check_call(
        chain, RR_FLOAT32, 1, 1, batch, x_t, x_len, tokens_t, tokens_len, h,
        h_len, c, c_len, NULL, 0, out_t, out_len, h_next, h_next_len, c_next,
        c_next_len, y_t, y_len, err);
    if (status != RR_OK) {
        return status;
    }
    return chain_step_f32(chain, batch, x_t, tokens_t, h, c, out_t, h_next,
                          c_next, y_t, err);
}

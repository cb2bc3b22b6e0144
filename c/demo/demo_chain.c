/*
 * demo_chain.c - rr_demo on a version-2 fixture (a chain): one
 * rr_chain_forward of case 0, batch element 0, over its first L0 steps,
 * with row 0 of every h0/c0 slot (zeros when null), printed in the format
 * of docs/demo-output.md ("Version 2"). Everything is computed before
 * anything is printed.
 */
#include "demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Batch element 0 of case 0 and the chain's outputs, all double. */
typedef struct chain_run {
    size_t steps;    /* L0                                                  */
    double *x;       /* [L0, I]: x[t, 0, :] or E[tokens[t, 0]]              */
    int64_t *tokens; /* [L0] with an embedding                              */
    double *h;       /* [S_h]: row 0 of every h0 slot, then h_n             */
    double *c;       /* [S_c]: the same for c                               */
    double *output;  /* [L0, W]                                             */
    double *y;       /* [L0, O] or [O]                                      */
} chain_run;

static void free_run(chain_run *r)
{
    free(r->x);
    free(r->tokens);
    free(r->h);
    free(r->c);
    free(r->output);
    free(r->y);
}

static const char *const readout_names[] = { "sequence", "last" };

/* calloc of n >= 0 items of `size` (at least one, so NULL means failure) */
static void *zeros(size_t n, size_t size)
{
    return calloc(n > 0 ? n : 1, size);
}

/* dst [S_total] = row 0 of every slot of src ([B, H_k] one after another) */
static void first_rows(const double *src, size_t batch, const size_t *sizes,
                       size_t count, double *dst)
{
    size_t from = 0;
    for (size_t k = 0; k < count; k++) {
        memcpy(dst, src + from, sizes[k] * sizeof *dst);
        dst += sizes[k];
        from += batch * sizes[k];
    }
}

/* The chain's slot sizes: H_out_k of every h slot, H_k of every c slot. */
static void slot_sizes(const rr_chain_config *cfg, size_t *h_sizes,
                       size_t *h_count, size_t *c_sizes, size_t *c_count)
{
    *h_count = 0;
    *c_count = 0;
    for (size_t l = 0; l < cfg->num_layers; l++) {
        const rr_layer_config *layer = &cfg->layers[l];
        const size_t d = layer->direction == RR_BIDIRECTIONAL ? 2 : 1;
        for (size_t k = 0; k < d; k++) {
            h_sizes[(*h_count)++] = layer->proj_size > 0 ? layer->proj_size
                                                         : layer->hidden_size;
            if (layer->cell == RR_CELL_LSTM) {
                c_sizes[(*c_count)++] = layer->hidden_size;
            }
        }
    }
}

rr_status demo_build_chain(const rr_fixture *fx, rr_dtype dtype, int logits,
                           rr_chain **chain, rr_error *err)
{
    rr_chain_config cfg = fx->chain;
    cfg.dtype = dtype;
    rr_dense_config *dense = NULL; /* [num_dense]: the logits' copy */
    if (logits && cfg.num_dense > 0) {
        dense = malloc(cfg.num_dense * sizeof *dense);
        if (dense == NULL) {
            snprintf(err->message, sizeof err->message,
                     "cannot allocate the dense layers' configuration");
            return RR_E_NOMEM;
        }
        memcpy(dense, cfg.dense, cfg.num_dense * sizeof *dense);
        dense[cfg.num_dense - 1].activation = RR_ACT_IDENTITY;
        cfg.dense = dense;
    }
    rr_status status = rr_chain_create(&cfg, chain, err);
    free(dense); /* rr_chain_create copied it */
    if (status == RR_OK && fx->embedding != NULL) {
        status = rr_chain_set_embedding(*chain, fx->embedding,
                                        fx->embedding_len, err);
    }
    for (size_t i = 0; i < fx->weights_count && status == RR_OK; i++) {
        const rr_fixture_weights *w = &fx->weights[i];
        const rr_weights view = rr_fixture_weights_view(w);
        status = rr_chain_set_weights(*chain, w->layer, w->direction, &view,
                                      err);
    }
    for (size_t k = 0; k < fx->chain.num_dense && status == RR_OK; k++) {
        const rr_fixture_dense *d = &fx->dense[k];
        status = rr_chain_set_dense(*chain, k, d->weight, d->weight_len,
                                    d->bias, d->bias_len, err);
    }
    return status;
}

void demo_chain_first_states(const rr_fixture *fx, const rr_fixture_case *c,
                             double *h, double *cell)
{
    size_t h_sizes[128]; /* two slots per layer, at most 64 layers */
    size_t c_sizes[128];
    size_t h_count = 0;
    size_t c_count = 0;
    slot_sizes(&fx->chain, h_sizes, &h_count, c_sizes, &c_count);
    if (c->h0 != NULL) {
        first_rows(c->h0, c->batch, h_sizes, h_count, h);
    }
    if (c->c0 != NULL) {
        first_rows(c->c0, c->batch, c_sizes, c_count, cell);
    }
}

/* n floats from v (NULL when v is NULL); *ok = 0 on no memory */
static float *floats(const double *v, size_t n, int *ok)
{
    if (v == NULL) {
        return NULL;
    }
    float *f = zeros(n, sizeof *f);
    if (f == NULL) {
        *ok = 0;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        f[i] = (float)v[i];
    }
    return f;
}

static void widen(double *v, const float *f, size_t n)
{
    for (size_t i = 0; v != NULL && f != NULL && i < n; i++) {
        v[i] = f[i];
    }
}

/* rr_chain_forward (batch 1) on r's buffers, in the chain's precision:
 * r->h and r->c hold h0, c0 on the way in and h_n, c_n on the way out. */
static rr_status forward(const rr_chain *chain, rr_dtype dtype,
                         const rr_chain_sizes *sz, size_t y_len, chain_run *r,
                         rr_error *err)
{
    const size_t t = r->steps;
    const size_t x_len = r->tokens != NULL ? 0 : t * sz->input_size;
    const size_t tok_len = r->tokens != NULL ? t : 0;
    const double *x = r->tokens != NULL ? NULL : r->x;
    const size_t h_len = sz->state_size;
    const size_t c_len = sz->cell_state_size;
    const size_t out_len = t * sz->output_width;
    double *h0 = zeros(h_len, sizeof *h0);
    double *c0 = zeros(c_len, sizeof *c0);
    int ok = h0 != NULL && c0 != NULL;
    if (ok) {
        memcpy(h0, r->h, h_len * sizeof *h0);
        memcpy(c0, r->c, c_len * sizeof *c0);
    }
    rr_status status = RR_E_NOMEM;
    if (ok && dtype == RR_FLOAT64) {
        status = rr_chain_forward(chain, t, 1, x, x_len, r->tokens, tok_len,
                                  h0, h_len, c_len ? c0 : NULL, c_len, NULL,
                                  0, r->output, out_len, r->h, h_len,
                                  c_len ? r->c : NULL, c_len, r->y, y_len,
                                  err);
    } else if (ok) {
        float *xf = floats(x, x_len, &ok);
        float *h0f = floats(h0, h_len, &ok);
        float *c0f = c_len ? floats(c0, c_len, &ok) : NULL;
        float *outf = floats(r->output, out_len, &ok);
        float *hf = floats(r->h, h_len, &ok);
        float *cf = c_len ? floats(r->c, c_len, &ok) : NULL;
        float *yf = floats(r->y, y_len, &ok);
        if (ok) {
            status = rr_chain_forward_f32(chain, t, 1, xf, x_len, r->tokens,
                                          tok_len, h0f, h_len, c0f, c_len,
                                          NULL, 0, outf, out_len, hf, h_len,
                                          cf, c_len, yf, y_len, err);
        }
        if (ok && status == RR_OK) {
            widen(r->output, outf, out_len);
            widen(r->h, hf, h_len);
            widen(r->c, cf, c_len);
            widen(r->y, yf, y_len);
        }
        free(xf);
        free(h0f);
        free(c0f);
        free(outf);
        free(hf);
        free(cf);
        free(yf);
    }
    if (status == RR_E_NOMEM && !ok) {
        snprintf(err->message, sizeof err->message,
                 "cannot allocate the demo's buffers");
    }
    free(h0);
    free(c0);
    return status;
}

/* Gather batch element 0 of case 0 into r and run it. */
static rr_status run_chain(const rr_fixture *fx, const rr_chain *chain,
                           rr_dtype dtype, chain_run *r, rr_error *err)
{
    rr_chain_sizes sz;
    rr_status status = rr_chain_get_sizes(chain, &sz, err);
    if (status != RR_OK) {
        return status;
    }
    const rr_fixture_case *c = &fx->cases[0];
    const size_t steps = c->lengths != NULL ? (size_t)c->lengths[0]
                                            : c->seq_len;
    const size_t input = sz.input_size;
    const int last = fx->chain.readout == RR_READOUT_LAST;
    const size_t y_len = sz.y_size * (last ? 1 : steps);
    r->steps = steps;
    r->x = zeros(steps * input, sizeof *r->x);
    r->tokens = c->tokens != NULL ? zeros(steps, sizeof *r->tokens) : NULL;
    r->h = zeros(sz.state_size, sizeof *r->h);
    r->c = zeros(sz.cell_state_size, sizeof *r->c);
    r->output = zeros(steps * sz.output_width, sizeof *r->output);
    r->y = sz.y_size ? zeros(y_len, sizeof *r->y) : NULL;
    if (!r->x || (c->tokens && !r->tokens) || !r->h || !r->c || !r->output ||
        (sz.y_size && !r->y)) {
        snprintf(err->message, sizeof err->message,
                 "cannot allocate the demo's buffers");
        return RR_E_NOMEM;
    }
    for (size_t t = 0; t < steps; t++) {
        const double *row = c->x != NULL ? c->x + t * c->batch * input : NULL;
        if (c->tokens != NULL) {
            r->tokens[t] = c->tokens[t * c->batch];
            row = fx->embedding + (size_t)r->tokens[t] * input;
        }
        memcpy(r->x + t * input, row, input * sizeof *r->x);
    }
    demo_chain_first_states(fx, c, r->h, r->c);
    return forward(chain, dtype, &sz, r->y != NULL ? y_len : 0, r, err);
}

static void print_chain(const rr_fixture *fx, const rr_chain_sizes *sz,
                        const chain_run *r)
{
    const rr_chain_config *cfg = &fx->chain;
    const int last = cfg->readout == RR_READOUT_LAST;
    const int rows_y = !last && r->y != NULL;
    char text[64];
    printf("rnn-rosetta demo: %s\n", fx->name);
    printf("model: chain input=%zu layers=%zu readout=%s", cfg->input_size,
           cfg->num_layers, readout_names[last]);
    if (cfg->vocab_size > 0) {
        printf(" embedding=%zux%zu", cfg->vocab_size, cfg->input_size);
    }
    if (sz->y_size > 0) {
        printf(" y=%zu", sz->y_size);
    }
    printf("\n");
    if (fx->case_count == 0) {
        printf("case: none (the fixture has no cases)\n");
        return;
    }
    printf("case: %s (batch element 0 of %zu, %zu steps, forward mode)\n",
           fx->cases[0].name, fx->cases[0].batch, r->steps);
    printf("%4s %6s %12s %12s", "t", "input", "x[input]", "|h|");
    if (rows_y) {
        printf(" %6s %12s", "class", "y[class]");
    }
    printf("\n");
    for (size_t t = 0; t < r->steps; t++) {
        const double *x_t = r->x + t * sz->input_size;
        const size_t input = demo_first_argmax(x_t, sz->input_size, 1);
        printf("%4zu %6zu", t, input);
        demo_format_value(text, sizeof text, x_t[input], 1);
        printf(" %12s", text);
        demo_format_value(text, sizeof text,
                          demo_norm(r->output + t * sz->output_width,
                                    sz->output_width), 0);
        printf(" %12s", text);
        if (rows_y) {
            const double *y_t = r->y + t * sz->y_size;
            const size_t k = demo_first_argmax(y_t, sz->y_size, 0);
            demo_format_value(text, sizeof text, y_t[k], 0);
            printf(" %6zu %12s", k, text);
        }
        printf("\n");
    }
    demo_format_value(text, sizeof text, demo_norm(r->h, sz->state_size), 0);
    printf("final: |h_n|=%s", text);
    if (sz->num_cell_slots > 0) {
        demo_format_value(text, sizeof text,
                          demo_norm(r->c, sz->cell_state_size), 0);
        printf(" |c_n|=%s", text);
    }
    printf("\n");
    if (last && r->y != NULL) {
        const size_t k = demo_first_argmax(r->y, sz->y_size, 0);
        demo_format_value(text, sizeof text, r->y[k], 0);
        printf("last: class=%zu y[class]=%s\n", k, text);
    }
}

int demo_chain(const rr_fixture *fx, rr_dtype dtype, rr_error *err)
{
    rr_chain *chain = NULL;
    chain_run r;
    memset(&r, 0, sizeof r);
    rr_chain_sizes sz;
    rr_status status = demo_build_chain(fx, dtype, 0, &chain, err);
    if (status == RR_OK) {
        status = rr_chain_get_sizes(chain, &sz, err);
    }
    if (status == RR_OK && fx->case_count > 0) {
        status = run_chain(fx, chain, dtype, &r, err);
    }
    if (status == RR_OK) {
        print_chain(fx, &sz, &r);
    }
    free_run(&r);
    rr_chain_free(chain);
    return status == RR_OK;
}

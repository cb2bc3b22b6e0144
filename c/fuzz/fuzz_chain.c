/*
 * fuzz_chain.c - the half of the fuzz harness for version-2 fixtures
 * (chains): an accepted fixture must build into an rr_chain (create, set
 * embedding, weights and dense layers) and run its case 0 through
 * rr_chain_forward (and rr_chain_step for all-forward chains) with the
 * reader's arrays as they are: every count the reader gave must be the one
 * the library asks for, so a refusal aborts. The expected arrays that are
 * present must have the sizes the chain implies.
 */
#include "fuzz_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FCHECK(cond)                                                         \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "fuzz_chain: %s:%d: check failed: %s\n",         \
                    __FILE__, __LINE__, #cond);                              \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define FCHECK_OK(status, err)                                               \
    do {                                                                     \
        const rr_status fcheck_status_ = (status);                           \
        if (fcheck_status_ != RR_OK) {                                       \
            fprintf(stderr, "fuzz_chain: %s:%d: the library refused what "  \
                    "the reader accepted: %s: %s\n", __FILE__, __LINE__,     \
                    rr_status_name(fcheck_status_), (err)->message);         \
            abort();                                                         \
        }                                                                    \
    } while (0)

static rr_chain *build(const rr_fixture *fx, rr_chain_config cfg)
{
    rr_error err = { { 0 } };
    rr_chain *chain = NULL;
    FCHECK_OK(rr_chain_create(&cfg, &chain, &err), &err);
    if (cfg.vocab_size > 0) {
        FCHECK_OK(rr_chain_set_embedding(chain, fx->embedding,
                                         fx->embedding_len, &err), &err);
    }
    for (size_t i = 0; i < fx->weights_count; i++) {
        const rr_weights w = rr_fixture_weights_view(&fx->weights[i]);
        FCHECK_OK(rr_chain_set_weights(chain, fx->weights[i].layer,
                                       fx->weights[i].direction, &w, &err),
                  &err);
    }
    for (size_t k = 0; k < cfg.num_dense; k++) {
        const rr_fixture_dense *d = &fx->dense[k];
        FCHECK_OK(rr_chain_set_dense(chain, k, d->weight, d->weight_len,
                                     d->bias, d->bias_len, &err), &err);
    }
    return chain;
}

/* The expected arrays that are present have the chain's sizes. */
static void check_expected(const rr_fixture *fx, const rr_chain_sizes *sz,
                           const rr_fixture_case *c)
{
    const size_t T = c->seq_len, B = c->batch;
    const size_t n = fx->chain.readout == RR_READOUT_LAST ? B : T * B;
    FCHECK((c->x == NULL) == (sz->vocab_size > 0));
    FCHECK((c->tokens == NULL) == (sz->vocab_size == 0));
    FCHECK(c->output == NULL || c->output_len == T * B * sz->output_width);
    FCHECK(c->h_n == NULL || c->h_n_len == B * sz->state_size);
    FCHECK(c->c_n == NULL || c->c_n_len == B * sz->cell_state_size);
    FCHECK(c->y == NULL || c->y_len == n * sz->y_size);
    FCHECK(sz->y_size == 0 || c->y != NULL);
    FCHECK(c->output || c->h_n || c->c_n || c->y);
}

/* count doubles or floats (at least one element), zeroed */
static void *buffer(size_t count, size_t elem)
{
    void *p = calloc(count > 0 ? count : 1, elem);
    FCHECK(p != NULL);
    return p;
}

static float *narrow(const double *v, size_t n)
{
    if (v == NULL) {
        return NULL;
    }
    float *f = buffer(n, sizeof *f);
    for (size_t i = 0; i < n; i++) {
        f[i] = (float)v[i];
    }
    return f;
}

static void run_case(const rr_chain *chain, const rr_chain_sizes *sz,
                     const rr_fixture_case *c, int last, int f32,
                     int step_too)
{
    const size_t T = c->seq_len, B = c->batch;
    const size_t y_len = sz->y_size == 0 ? 0 : (last ? B : T * B) * sz->y_size;
    const size_t out_len = T * B * sz->output_width;
    const size_t h_len = B * sz->state_size, c_len = B * sz->cell_state_size;
    const size_t elem = f32 ? sizeof(float) : sizeof(double);
    void *out = buffer(out_len, elem), *h_n = buffer(h_len, elem);
    void *c_n = c_len ? buffer(c_len, elem) : NULL;
    void *y = y_len ? buffer(y_len, elem) : NULL;
    rr_error err = { { 0 } };
    if (!f32) {
        FCHECK_OK(rr_chain_forward(chain, T, B, c->x, c->x_len, c->tokens,
                                   c->tokens_len, c->h0, c->h0_len, c->c0,
                                   c->c0_len, c->lengths, c->lengths_len, out,
                                   out_len, h_n, h_len, c_n, c_len, y, y_len,
                                   &err), &err);
        if (step_too && sz->all_forward) {
            /* step 0 from h0, c0: in place on h_n, c_n */
            const size_t x_len = c->x != NULL ? B * sz->input_size : 0;
            FCHECK_OK(rr_chain_step(chain, B, c->x, x_len, c->tokens,
                                    c->tokens ? B : 0, c->h0, c->h0_len,
                                    c->c0, c->c0_len, out, B *
                                    sz->output_width, h_n, h_len, c_n, c_len,
                                    y, y_len ? B * sz->y_size : 0, &err),
                      &err);
        }
    } else {
        float *x = narrow(c->x, c->x_len), *h0 = narrow(c->h0, c->h0_len);
        float *c0 = narrow(c->c0, c->c0_len);
        FCHECK_OK(rr_chain_forward_f32(chain, T, B, x, c->x_len, c->tokens,
                                       c->tokens_len, h0, c->h0_len, c0,
                                       c->c0_len, c->lengths, c->lengths_len,
                                       out, out_len, h_n, h_len, c_n, c_len,
                                       y, y_len, &err), &err);
        free(x);
        free(h0);
        free(c0);
    }
    free(out);
    free(h_n);
    free(c_n);
    free(y);
}

void fuzz_run_chain(const rr_fixture *fx, unsigned variant)
{
    FCHECK(fx->version == 2 && fx->chain.num_layers >= 1);
    rr_chain_config cfg = fx->chain;
    if (variant == 1) {
        cfg.kernel = RR_KERNEL_PORTABLE;
    } else if (variant == 2) {
        cfg.dtype = RR_FLOAT32;
    } else if (variant == 3) {
        cfg.num_threads = 2;
    }
    rr_chain *chain = build(fx, cfg);
    rr_chain_sizes sz;
    rr_error err = { { 0 } };
    FCHECK_OK(rr_chain_get_sizes(chain, &sz, &err), &err);
    FCHECK(fx->weights_count == sz.num_slots);
    for (size_t k = 0; k < fx->case_count; k++) {
        check_expected(fx, &sz, &fx->cases[k]);
    }
    if (fx->case_count > 0) {
        run_case(chain, &sz, &fx->cases[0],
                 fx->chain.readout == RR_READOUT_LAST, variant == 2,
                 variant == 0);
    }
    rr_chain_free(chain);
}

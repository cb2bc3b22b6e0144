/*
 * chain_stepper.c - rr_chain_step (float64) or rr_chain_step_f32 (float32)
 * with batch 1 on buffers allocated once. The state is updated in place
 * (rr_chain_step allows h_next == h). In float32 the double state is
 * narrowed before each step and widened after it: it came from floats, so
 * that loses nothing except for an initial state the caller set in double.
 */
#include "chain_stepper.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* calloc of n items (at least one, so NULL means no memory) */
static void *zeros(size_t n, size_t size)
{
    return calloc(n > 0 ? n : 1, size);
}

static void narrow(float *f, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        f[i] = (float)v[i];
    }
}

static void widen(double *v, const float *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        v[i] = f[i];
    }
}

rr_status chain_stepper_init(chain_stepper *st, const rr_chain *chain,
                             rr_dtype dtype, rr_error *err)
{
    memset(st, 0, sizeof *st);
    rr_status status = rr_chain_get_sizes(chain, &st->sizes, err);
    if (status != RR_OK) {
        return status;
    }
    const rr_chain_sizes *sz = &st->sizes;
    st->chain = chain;
    st->dtype = dtype;
    st->h = zeros(sz->state_size, sizeof *st->h);
    st->c = zeros(sz->cell_state_size, sizeof *st->c);
    st->out = zeros(sz->output_width, sizeof *st->out);
    st->y = sz->y_size > 0 ? zeros(sz->y_size, sizeof *st->y) : NULL;
    int ok = st->h && st->c && st->out && (sz->y_size == 0 || st->y);
    if (ok && dtype == RR_FLOAT32) {
        st->xf = zeros(sz->input_size, sizeof *st->xf);
        st->hf = zeros(sz->state_size, sizeof *st->hf);
        st->cf = zeros(sz->cell_state_size, sizeof *st->cf);
        st->outf = zeros(sz->output_width, sizeof *st->outf);
        st->yf = sz->y_size > 0 ? zeros(sz->y_size, sizeof *st->yf) : NULL;
        ok = st->xf && st->hf && st->cf && st->outf &&
             (sz->y_size == 0 || st->yf);
    }
    if (!ok) {
        chain_stepper_free(st);
        snprintf(err->message, sizeof err->message,
                 "cannot allocate the step buffers");
        return RR_E_NOMEM;
    }
    return RR_OK;
}

rr_status chain_stepper_step(chain_stepper *st, const double *x_t,
                             const int64_t *token, rr_error *err)
{
    const rr_chain_sizes *sz = &st->sizes;
    const size_t x_len = x_t != NULL ? sz->input_size : 0;
    const size_t tokens_len = token != NULL ? 1 : 0;
    const size_t h_len = sz->state_size;
    const size_t c_len = sz->cell_state_size;
    const size_t w = sz->output_width;
    const size_t y_len = st->y != NULL ? sz->y_size : 0;
    if (st->dtype == RR_FLOAT64) {
        return rr_chain_step(st->chain, 1, x_t, x_len, token, tokens_len,
                             st->h, h_len, c_len ? st->c : NULL, c_len,
                             st->out, w, st->h, h_len, c_len ? st->c : NULL,
                             c_len, st->y, y_len, err);
    }
    if (x_t != NULL) {
        narrow(st->xf, x_t, x_len);
    }
    narrow(st->hf, st->h, h_len);
    narrow(st->cf, st->c, c_len);
    const rr_status status = rr_chain_step_f32(
        st->chain, 1, x_t != NULL ? st->xf : NULL, x_len, token, tokens_len,
        st->hf, h_len, c_len ? st->cf : NULL, c_len, st->outf, w, st->hf,
        h_len, c_len ? st->cf : NULL, c_len, st->yf, y_len, err);
    if (status == RR_OK) {
        widen(st->h, st->hf, h_len);
        widen(st->c, st->cf, c_len);
        widen(st->out, st->outf, w);
        if (st->y != NULL) {
            widen(st->y, st->yf, y_len);
        }
    }
    return status;
}

void chain_stepper_free(chain_stepper *st)
{
    if (st == NULL) {
        return;
    }
    free(st->h);
    free(st->c);
    free(st->out);
    free(st->y);
    free(st->xf);
    free(st->hf);
    free(st->cf);
    free(st->outf);
    free(st->yf);
    memset(st, 0, sizeof *st);
}

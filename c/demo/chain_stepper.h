/*
 * chain_stepper.h - a chain streamed one step at a time with batch 1
 * (rr_chain_step), its buffers allocated once: the seed table and text
 * generation step it. A float32 chain computes on float twins of the
 * buffers; every value is widened to double after the step (exact), so a
 * caller reads doubles whatever the chain's precision.
 */
#ifndef RR_CHAIN_STEPPER_H
#define RR_CHAIN_STEPPER_H

#include "rnn_rosetta.h"

#include <stddef.h>
#include <stdint.h>

typedef struct chain_stepper {
    const rr_chain *chain;  /* not owned                                   */
    rr_dtype dtype;
    rr_chain_sizes sizes;   /* the chain's I, W, S_h, S_c, O               */
    double *h;              /* [S_h]: the state, zeros at first            */
    double *c;              /* [S_c]: the cell state, zeros at first       */
    double *out;            /* [W]: the step's output                      */
    double *y;              /* [O] or NULL: the step's y                   */
    float *xf, *hf, *cf, *outf, *yf; /* float32 twins, NULL for float64    */
} chain_stepper;

/* Allocate st's buffers for `chain` (computing in `dtype`), states zero;
 * on failure st is empty (safe to free). */
rr_status chain_stepper_init(chain_stepper *st, const rr_chain *chain,
                             rr_dtype dtype, rr_error *err);

/* One step from st->h, st->c (which it updates): x_t [I] for a chain
 * without an embedding (token NULL), else the token (x_t NULL). */
rr_status chain_stepper_step(chain_stepper *st, const double *x_t,
                             const int64_t *token, rr_error *err);

/* Free the buffers (not the chain); NULL and empty are allowed. */
void chain_stepper_free(chain_stepper *st);

#endif /* RR_CHAIN_STEPPER_H */

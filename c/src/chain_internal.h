/*
 * chain_internal.h - the rr_chain struct and what chain.c shares with the
 * type-generic chain_impl.h (forward and step, once per precision). Not
 * part of the API.
 */
#ifndef RR_CHAIN_INTERNAL_H
#define RR_CHAIN_INTERNAL_H

#include "internal.h"

struct rr_chain {
    rr_chain_config cfg;     /* cfg.layers and cfg.dense point to the copies */
    rr_layer_config *layers; /* [num_layers]                                 */
    rr_dense_config *dense;  /* [num_dense] or NULL                          */
    rr_net **nets;           /* [num_layers]: one one-layer net per layer    */
    size_t *in_sizes;        /* [num_layers]: I_l                            */
    size_t *widths;          /* [num_layers]: W_l                            */
    size_t *out_sizes;       /* [num_layers]: H_out_l                        */
    size_t *slot_offsets;    /* [num_layers]: first h number of layer l / B  */
    size_t *cell_offsets;    /* [num_layers]: first c number of layer l / B  */
    unsigned char *is_set;   /* [num_layers * 2]: weights of (l, fwd/rev)    */
    size_t elem_size;        /* sizeof(REAL)                                 */
    void *embedding;         /* REAL [V, I] or NULL                          */
    void **dense_weight;     /* [num_dense] REAL [O_k, W_{k-1}]              */
    void **dense_bias;       /* [num_dense] REAL [O_k]                       */
    size_t max_dense;        /* max O_k (0 without dense layers)             */
    rr_chain_sizes sizes;
    struct rr_param_table *params; /* the weight arrays (backward_params.c) */
    unsigned long long serial;     /* unique in the process (rr_chain_create):
                                    * a tape names its chain by it, so a new
                                    * chain at a freed one's address is not
                                    * taken for it                            */
};

/* Check every argument of a forward (step = 0, seq_len = T) or of a step
 * (step = 1, seq_len = 1, lengths NULL) against the chain's sizes;
 * including the token values and the lengths. */
rr_status rr_chain_check_call(const rr_chain *chain, rr_dtype dtype,
                              int step, size_t seq_len, size_t batch,
                              const void *x, size_t x_len,
                              const int64_t *tokens, size_t tokens_len,
                              const void *h0, size_t h0_len,
                              const void *c0, size_t c0_len,
                              const int64_t *lengths, size_t lengths_len,
                              const void *output, size_t output_len,
                              const void *h_n, size_t h_n_len,
                              const void *c_n, size_t c_n_len,
                              const void *y, size_t y_len, rr_error *err);

/* D_l */
size_t rr_chain_directions(const rr_chain *chain, size_t layer);

/* "layers[l]: " + the inner message, with the inner status. */
rr_status rr_chain_layer_fail(rr_error *err, rr_status status, size_t layer,
                              const rr_error *inner);

/* backward_params.c: the table of the chain's weight arrays, built by
 * rr_chain_create, freed by rr_chain_free (NULL allowed). */
rr_status rr_chain_params_make(rr_chain *chain, rr_error *err);
void rr_chain_params_free(struct rr_param_table *table);

#endif /* RR_CHAIN_INTERNAL_H */

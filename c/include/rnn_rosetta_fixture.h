/*
 * rnn_rosetta_fixture.h - the C11 API of librnn_rosetta_fixture: read a
 * fixture file (docs/fixture-format.md, versions 1 and 2) into plain arrays, so a
 * C program can build a net from it and check its outputs against the
 * oracle's. It refuses what the Python loader refuses (unknown keys, wrong
 * shapes, duplicate case names, ...), with one line naming the JSON path:
 *   model.layers[0].forward.weight_hh: expected shape [24, 6], got [24, 5]
 *
 * A version-2 file ("a model is a chain") fills the chain fields below
 * (rr_fixture.chain is ready for rr_chain_create) and leaves config zero;
 * its optional "vocabulary" (one character per embedding row, for text
 * generation: docs/generation.md) fills vocabulary and vocabulary_size, and
 * a case's optional "backward" (the oracle's gradients) its backward.
 *
 * The reader needs only the types of rnn_rosetta.h (rr_config, rr_weights,
 * rr_chain_config, rr_error), not librnn_rosetta itself; it links cJSON. Arrays are dense,
 * row-major float64, each with its element count; shapes use the letters of
 * rnn_rosetta.h (T, B, I, H, H_out, L, D, G, O).
 */
#ifndef RNN_ROSETTA_FIXTURE_H
#define RNN_ROSETTA_FIXTURE_H

#include "rnn_rosetta.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rr_fixture_status {
    RR_FIXTURE_OK = 0,
    RR_FIXTURE_E_NULL = 1,  /* a required pointer is NULL                     */
    RR_FIXTURE_E_NOMEM = 2, /* an allocation failed                           */
    RR_FIXTURE_E_IO = 3,    /* the file cannot be read                        */
    RR_FIXTURE_E_PARSE = 4  /* not strict JSON, or a breach of the format     */
} rr_fixture_status;

/* The largest value accepted for any one size: input_size, hidden_size,
 * proj_size, the head's size O, T and B (num_layers stops at 64). */
#define RR_FIXTURE_MAX_SIZE ((size_t)1 << 20)

/* One direction of one layer (shapes as in rr_weights); an array that does
 * not apply is NULL with length 0. */
typedef struct rr_fixture_weights {
    size_t layer;             /* 0 .. L-1                                     */
    rr_direction direction;   /* RR_FORWARD or RR_REVERSE                     */
    double *weight_ih; size_t weight_ih_len; /* [G*H, I_l]                    */
    double *weight_hh; size_t weight_hh_len; /* [G*H, H_out]                  */
    double *bias_ih;   size_t bias_ih_len;   /* [G*H]                         */
    double *bias_hh;   size_t bias_hh_len;   /* [G*H]                         */
    double *weight_hr; size_t weight_hr_len; /* [P, H]: proj only             */
    double *peepholes; size_t peepholes_len; /* [3*H] = p_i, p_f, p_o         */
} rr_fixture_weights;

/* Version 2: a case's optional "backward" (docs/fixture-format.md,
 * "Gradients"). The cotangents d_* (each NULL, 0 when null or absent,
 * meaning zeros; at least one is given) define
 *   L = sum(d_output * output) + sum(d_h_n * h_n) + sum(d_c_n * c_n)
 *       + sum(d_y * y)
 * over the case's forward pass, and grad_* are the oracle's dL/d(weights,
 * x, h0, c0), laid out as rr_chain_backward writes them: grad_weights is
 * the flat [P] buffer of every weight array in chain order (embedding;
 * per layer, forward then reverse: weight_ih, weight_hh, bias_ih, bias_hh,
 * weight_hr, peephole_i, peephole_f, peephole_o, those present; then
 * dense.k.weight, dense.k.bias), each row-major; states are flat slots. */
typedef struct rr_fixture_backward {
    double *d_output; size_t d_output_len;   /* [T, B, W] or NULL             */
    double *d_h_n; size_t d_h_n_len;         /* S_h numbers or NULL           */
    double *d_c_n; size_t d_c_n_len;         /* S_c numbers or NULL (lstm)    */
    double *d_y; size_t d_y_len;             /* as y ([T, B, O] or [B, O])    */
    double *grad_weights; size_t grad_weights_len; /* expected [P]            */
    double *grad_x; size_t grad_x_len;       /* expected [T, B, I]; NULL with
                                                tokens                        */
    double *grad_h0; size_t grad_h0_len;     /* expected S_h numbers          */
    double *grad_c0; size_t grad_c0_len;     /* expected S_c numbers; NULL
                                                without an lstm layer         */
} rr_fixture_backward;

/* One case: inputs and the oracle's outputs. Optional inputs that are null
 * or absent are NULL, 0 (zeros for h0/c0, T for every length).
 * Version 2: states are flat (the slots one after the other, each [B, H_k],
 * as rr_chain_forward takes them); x is NULL when the chain has an embedding
 * and tokens hold the inputs; each expected array may be NULL (absent);
 * output is [T, B, W], y is [T, B, O] (readout sequence) or [B, O] (last). */
typedef struct rr_fixture_case {
    char *name;
    size_t seq_len;                          /* T                             */
    size_t batch;                            /* B                             */
    double *x;  size_t x_len;                /* [T, B, I]                     */
    int64_t *tokens; size_t tokens_len;      /* v2 embedding: [T, B], 0..V-1  */
    double *h0; size_t h0_len;               /* [L*D, B, H_out] or NULL       */
    double *c0; size_t c0_len;               /* [L*D, B, H] or NULL (lstm)    */
    int64_t *lengths; size_t lengths_len;    /* [B], each 1..T, or NULL       */
    double *output; size_t output_len;       /* expected [T, B, D*H_out]      */
    double *h_n; size_t h_n_len;             /* expected [L*D, B, H_out]      */
    double *c_n; size_t c_n_len;             /* expected [L*D, B, H]; lstm    */
    double *y; size_t y_len;                 /* expected [T, B, O]; head      */
    rr_fixture_backward *backward;           /* v2: NULL when the case has
                                                none (absent or null)         */
} rr_fixture_case;

/* A value matches when |got - expected| <= atol + rtol * |expected|. */
typedef struct rr_fixture_tolerance {
    double rtol;
    double atol;
} rr_fixture_tolerance;

/* Version 2: one dense layer's arrays. */
typedef struct rr_fixture_dense {
    double *weight; size_t weight_len;       /* [O_k, W_{k-1}]                */
    double *bias;   size_t bias_len;         /* [O_k]                         */
} rr_fixture_dense;

/* Everything rr_fixture_read allocates belongs to the fixture until
 * rr_fixture_free. config.dtype, .kernel and .num_threads are 0 (float64,
 * auto, one thread): they are the caller's choice, not the fixture's. */
typedef struct rr_fixture {
    char *name;
    int version;                   /* 1 or 2                                  */
    rr_config config;              /* v1: "model" without its arrays          */
    rr_fixture_weights *weights;   /* [L*D]: l0_fwd, l0_rev, l1_fwd, ...
                                      (v2: one per layer and direction)       */
    size_t weights_count;          /* L*D (v2: the number of h slots)         */
    double *head_weight; size_t head_weight_len; /* [O, D*H_out] or NULL      */
    double *head_bias;   size_t head_bias_len;   /* [O] or NULL               */
    rr_fixture_case *cases;        /* [case_count]; may be empty              */
    size_t case_count;
    rr_fixture_tolerance tolerance;
    /* version 2 only (zeros and NULL for version 1) */
    rr_chain_config chain;         /* .layers, .dense point to the two below  */
    rr_layer_config *chain_layers; /* [chain.num_layers]                      */
    rr_dense_config *chain_dense;  /* [chain.num_dense] or NULL               */
    double *embedding; size_t embedding_len;  /* [V, I] or NULL               */
    rr_fixture_dense *dense;       /* [chain.num_dense] or NULL               */
    /* "vocabulary": token k is the character vocabulary[k], one Unicode
     * code point as a NUL-terminated UTF-8 string; NULL and 0 when absent */
    size_t vocabulary_size;        /* V (the embedding's rows) or 0           */
    char **vocabulary;             /* [vocabulary_size] or NULL               */
} rr_fixture;

/* Read and check the file at `path` into *out. On failure *out is left
 * empty (safe to rr_fixture_free) and err->message (when err is not NULL)
 * names the JSON path and what is wrong. */
rr_fixture_status rr_fixture_read(const char *path, rr_fixture *out,
                                  rr_error *err);

/* rr_fixture_read on a file's bytes text [size] (no NUL terminator needed;
 * a NUL byte inside is refused); never RR_FIXTURE_E_IO. */
rr_fixture_status rr_fixture_parse(const char *text, size_t size,
                                   rr_fixture *out, rr_error *err);

/* Free what rr_fixture_read allocated and empty *fx; NULL is allowed. */
void rr_fixture_free(rr_fixture *fx);

/* The library's view of one direction's arrays (no copy), for
 * rr_net_set_weights. */
rr_weights rr_fixture_weights_view(const rr_fixture_weights *weights);

/* "RR_FIXTURE_E_PARSE" etc.; "RR_FIXTURE_E_UNKNOWN" for values not listed. */
const char *rr_fixture_status_name(rr_fixture_status status);

#ifdef __cplusplus
}
#endif

#endif /* RNN_ROSETTA_FIXTURE_H */

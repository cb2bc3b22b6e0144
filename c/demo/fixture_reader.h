/*
 * fixture_reader.h - reads a fixture file (fixture-format v1, JSON) for the
 * standalone demo: the model's config and weights, and the first case's
 * inputs. Not part of the library; it uses cJSON.
 */
#ifndef RR_FIXTURE_READER_H
#define RR_FIXTURE_READER_H

#include "rnn_rosetta.h"

#include <stddef.h>
#include <stdint.h>

/* The largest value the reader accepts for any one size: input_size,
 * hidden_size, num_layers, proj_size, the head's size, T and B. */
#define FIXTURE_MAX_SIZE ((size_t)1 << 20)

/* The arrays of one direction of one layer (shapes as in rr_weights); an
 * array that does not apply is NULL with length 0. */
typedef struct fixture_weights {
    double *weight_ih; size_t weight_ih_len; /* [G*H, I_l]                  */
    double *weight_hh; size_t weight_hh_len; /* [G*H, H_out]                */
    double *bias_ih;   size_t bias_ih_len;   /* [G*H]                       */
    double *bias_hh;   size_t bias_hh_len;   /* [G*H]                       */
    double *weight_hr; size_t weight_hr_len; /* [P, H]: proj only           */
    double *peepholes; size_t peepholes_len; /* [3*H] = p_i, p_f, p_o       */
} fixture_weights;

/* Everything fixture_read allocates belongs to the fixture until
 * fixture_free. Optional inputs that are null or absent are NULL, 0. */
typedef struct fixture {
    char *name;                 /* "name"                                   */
    rr_config config;           /* "model" without its arrays               */
    fixture_weights *weights;   /* [L*D]: l0_fwd, l0_rev, l1_fwd, ...       */
    size_t weights_count;       /* L*D                                      */
    double *head_weight; size_t head_weight_len; /* [O, D*H_out] or NULL    */
    double *head_bias;   size_t head_bias_len;   /* [O] or NULL             */

    size_t case_count;          /* entries in "cases"; may be 0             */
    /* The first case's inputs; all NULL/0 when case_count is 0. */
    char *case_name;
    size_t seq_len;                          /* T                           */
    size_t batch;                            /* B                           */
    double *x;  size_t x_len;                /* [T, B, I]                   */
    double *h0; size_t h0_len;               /* [L*D, B, H_out] or NULL     */
    double *c0; size_t c0_len;               /* [L*D, B, H] or NULL (lstm)  */
    int64_t *lengths; size_t lengths_len;    /* [B], each 1..T, or NULL     */
} fixture;

/* Read and check the file at `path` into *out. On failure *out is left
 * empty (safe to fixture_free) and err->message names the JSON path and
 * what is wrong. Returns RR_OK, RR_E_IO (cannot read the file), RR_E_PARSE
 * (bad JSON or a breach of the format), RR_E_NOMEM or RR_E_NULL. */
rr_status fixture_read(const char *path, fixture *out, rr_error *err);

/* fixture_read on the file's bytes text [size] (no NUL terminator needed;
 * a NUL byte inside is refused); returns what fixture_read does, but never
 * RR_E_IO. This is what the fuzzer (c/fuzz/) drives. */
rr_status fixture_parse(const char *text, size_t size, fixture *out,
                        rr_error *err);

/* Free what fixture_read allocated and empty *fx; NULL is allowed. */
void fixture_free(fixture *fx);

/* The library's view of one direction's arrays (no copy). */
rr_weights fixture_weights_view(const fixture_weights *weights);

#endif /* RR_FIXTURE_READER_H */

/*
 * rnn_rosetta_fixture_writer.h - write a version-2 chain fixture
 * (docs/fixture-format.md, "Version 2") from a chain's configuration and
 * its weights as one flat array [P] (the order of rr_chain_param_info:
 * embedding.weight; per layer, forward then reverse: weight_ih,
 * weight_hh, bias_ih, bias_hh, weight_hr, peephole_i, peephole_f,
 * peephole_o, those present; dense.k.weight, dense.k.bias), with no cases.
 * Part of librnn_rosetta_fixture (cJSON); every number is written with
 * "%.17g" (".0" added to integral values, so -0.0 stays -0.0), so that
 * the readers get the same doubles back, bit for bit.
 */
#ifndef RNN_ROSETTA_FIXTURE_WRITER_H
#define RNN_ROSETTA_FIXTURE_WRITER_H

#include "rnn_rosetta.h"
#include "rnn_rosetta_fixture.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rr_fixture_chain_doc {
    const char *name;                 /* required, non-empty               */
    const char *description;          /* NULL: no description              */
    const rr_chain_config *chain;     /* the model, activations as written */
    const double *params;             /* [P], finite                       */
    size_t params_len;
    const char *const *vocabulary;    /* [V] UTF-8 or NULL ("null")        */
    size_t vocabulary_size;
    rr_fixture_tolerance tolerance;
    const char *const *provenance;    /* [2 * count]: key, string value    */
    size_t provenance_count;          /* 0: no provenance object           */
} rr_fixture_chain_doc;

/* P for a chain configuration (0 when a size overflows). */
size_t rr_fixture_chain_param_count(const rr_chain_config *chain);

/* Write doc to path (replaced). RR_FIXTURE_E_PARSE when the doc breaks
 * the format (params_len not P, a non-finite number, a vocabulary of
 * other than V entries), RR_FIXTURE_E_IO when the file cannot be
 * written, with one line in err. */
rr_fixture_status rr_fixture_write_chain(const char *path,
                                         const rr_fixture_chain_doc *doc,
                                         rr_error *err);

#ifdef __cplusplus
}
#endif

#endif /* RNN_ROSETTA_FIXTURE_WRITER_H */

/*
 * demo.h - what the parts of rr_demo share: demo_main.c (the command
 * line), demo.c (version-1 fixtures), demo_chain.c (version-2 fixtures),
 * demo_seed_table.c (--seed-table), demo_generate.c (--generate) and
 * demo_train.c (--train).
 */
#ifndef RR_DEMO_H
#define RR_DEMO_H

#include "rnn_rosetta.h"
#include "rnn_rosetta_fixture.h"

#include <stddef.h>
#include <stdint.h>

/* |v| = sqrt(s), s = sum of v_i * v_i in index order */
double demo_norm(const double *v, size_t n);

/* The first index of the largest v_i (of |v_i| when `absolute`). */
size_t demo_first_argmax(const double *v, size_t n, int absolute);

/* A value as printf's "%.6f" (with "%+.6f" when `sign`), except that
 * non-finite values read nan, inf, -inf as the demo format says. */
void demo_format_value(char *text, size_t size, double value, int sign);

/* Run and print a version-1 fixture (demo.c) or a version-2 fixture
 * (demo_chain.c) as docs/demo-output.md says; 1 on success, else 0 with
 * the reason in err and nothing printed. */
int demo_v1(const rr_fixture *fx, rr_dtype dtype, rr_error *err);
int demo_chain(const rr_fixture *fx, rr_dtype dtype, rr_error *err);

/* The seed programs' table (docs/demo-output.md, "The seed table") of a
 * fixture whose layers all run forward (demo_seed_table.c); 1 on success,
 * else 0 with the reason in err and nothing printed. */
int demo_seed_table(const rr_fixture *fx, rr_dtype dtype, rr_error *err);

/* rr_demo's exit status (docs/generation.md, "What is printed"). */
typedef enum demo_exit {
    DEMO_EXIT_OK = 0,
    DEMO_EXIT_MODEL = 1,     /* a file or model that cannot generate      */
    DEMO_EXIT_ARGUMENTS = 2  /* a bad argument (and the demo's refusals)  */
} demo_exit;

/* Text from a character model (docs/generation.md; demo_generate.c)
 * with --generate's options (prime [UTF-8], length, temperature finite
 * >= 0, seed, dtype). DEMO_EXIT_OK when the text is written to stdout;
 * else the reason in err (the text after "rr_demo: FIXTURE: ", as
 * docs/generation.md words it), nothing printed, and DEMO_EXIT_ARGUMENTS
 * for a prime character the vocabulary lacks, DEMO_EXIT_MODEL for the
 * rest. */
struct demo_options;
demo_exit demo_generate(const rr_fixture *fx, const struct demo_options *o,
                        rr_error *err);

/* Train a character model on a text (docs/training.md; demo_train.c) with
 * --train's options, printing "step S loss L" lines as it goes and
 * "wrote FILE" after --out's fixture. DEMO_EXIT_ARGUMENTS for a text
 * character the vocabulary lacks; DEMO_EXIT_MODEL for a file or model that
 * cannot train, a text that cannot be read or is not UTF-8 (exit status
 * 1, as Python and Java), a text too short for the streams and a loss that
 * is not finite. The reason in err, and *subject what it is about: left
 * as it is for the fixture, o->data for the text, NULL for a step's loss
 * (printed "rr_demo: SUBJECT: reason", or "rr_demo: reason"). */
demo_exit demo_train(const rr_fixture *fx, const struct demo_options *o,
                     const char **subject, rr_error *err);

/* A chain from a v2 fixture, computing in `dtype`, every array copied in
 * (demo_chain.c); with `logits` the last dense layer's activation is
 * identity (what text generation samples from). */
rr_status demo_build_chain(const rr_fixture *fx, rr_dtype dtype, int logits,
                           rr_chain **chain, rr_error *err);

/* h [S_h], c [S_c] = row 0 of every h0/c0 slot of case c (left as they
 * are where the case has no h0/c0), for a v2 fixture (demo_chain.c). */
void demo_chain_first_states(const rr_fixture *fx, const rr_fixture_case *c,
                             double *h, double *cell);

#endif /* RR_DEMO_H */

/*
 * demo.h - what the two halves of rr_demo share: demo.c (version-1
 * fixtures, the command line) and demo_chain.c (version-2 fixtures).
 */
#ifndef RR_DEMO_H
#define RR_DEMO_H

#include "rnn_rosetta.h"
#include "rnn_rosetta_fixture.h"

#include <stddef.h>

/* |v| = sqrt(s), s = sum of v_i * v_i in index order */
double demo_norm(const double *v, size_t n);

/* The first index of the largest v_i (of |v_i| when `absolute`). */
size_t demo_first_argmax(const double *v, size_t n, int absolute);

/* A value as printf's "%.6f" (with "%+.6f" when `sign`), except that
 * non-finite values read nan, inf, -inf as the demo format says. */
void demo_format_value(char *text, size_t size, double value, int sign);

/* Run and print a version-2 fixture (docs/demo-output.md); 1 on success,
 * else 0 with the reason in err and nothing printed. */
int demo_chain(const rr_fixture *fx, rr_dtype dtype, rr_error *err);

#endif /* RR_DEMO_H */

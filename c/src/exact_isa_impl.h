/*
 * exact_isa_impl.h - one ISA variant of the exact kernel (exact.h): its
 * elementary functions (exact_math_impl.h), and per storage precision its
 * dot products (exact_dot_impl.h), cells (exact_cells_impl.h), steps and
 * layers (exact_impl.h) and calls (exact_driver_impl.h), all static; and
 * the table of its entry points.
 *
 * The includer defines RR_EXACT_ISA_TABLE (the table's name),
 * RR_EXACT_ISA_STRING (its name as a string) and RR_EXACT_FMA (1 where the
 * target has FMA: exact_avx2.c, exact_avx512.c, which include immintrin.h
 * and set the compiler's target for what follows); the source is the same
 * in every variant, so are the operations and their order, but for
 * two_prod's error term by FMA where it is the same double (exact.h).
 */
#include "exact.h"

#include <stdlib.h>
#include <string.h>

/* units per vectorized block of a dot product (exact_dot_impl.h) */
#define RR_EXACT_BLOCK 8
/* dd vectors [H] of scratch a cell step uses (exact_cells_impl.h) */
#define RR_EXACT_CELL_TMP 5

/* multiply-adds a call needs before num_threads = 2 starts its second
 * thread (exact_impl.h): about 0.1 ms of work, the start's cost many times */
#define RR_EXACT_THREAD_MIN_WORK ((size_t)1 << 18)
/* rows of activations a dot product takes at once (exact_dot_impl.h) */
#define RR_EXACT_ROWS 4
/* how many k ahead a dot product's block prefetches its weights */
#define RR_EXACT_AHEAD 12

/* GCC and Clang vector types for the dot products' blocks: [8] doubles,
 * [8] floats; RR_V8D_SPLAT(x) = (x, ..., x) for a plain lvalue x */
#if defined(__GNUC__)
#define RR_EXACT_VECTORS 1
typedef double rr_v8d __attribute__((vector_size(64)));
typedef float rr_v8f __attribute__((vector_size(32)));
#define RR_V8D_SPLAT(x) ((rr_v8d){ (x), (x), (x), (x), (x), (x), (x), (x) })
#if RR_EXACT_FMA
/* *out = a * b - p with one rounding (fused multiply-subtract), per
 * element (by pointers: 64-byte vectors by value change the AVX2 ABI) */
static inline __attribute__((always_inline)) void
rr_v8d_fms(const rr_v8d *a, const rr_v8d *b, const rr_v8d *p, rr_v8d *out)
{
#if defined(__AVX512F__)
    *out = (rr_v8d)_mm512_fmsub_pd((__m512d)*a, (__m512d)*b, (__m512d)*p);
#else
    __m256d a2[2], b2[2], p2[2]; /* [2] of [4]: the halves */
    memcpy(a2, a, sizeof a2);
    memcpy(b2, b, sizeof b2);
    memcpy(p2, p, sizeof p2);
    a2[0] = _mm256_fmsub_pd(a2[0], b2[0], p2[0]);
    a2[1] = _mm256_fmsub_pd(a2[1], b2[1], p2[1]);
    memcpy(out, a2, sizeof a2);
#endif
}
#endif
#else
#define RR_EXACT_VECTORS 0
#endif

#include "exact_math_impl.h"

#define RR_REAL_BITS 64
#include "exact_dot_impl.h"
#include "exact_cells_impl.h"
#include "exact_impl.h"
#include "exact_driver_impl.h"
#undef RR_REAL_BITS

#define RR_REAL_BITS 32
#include "exact_dot_impl.h"
#include "exact_cells_impl.h"
#include "exact_impl.h"
#include "exact_driver_impl.h"
#undef RR_REAL_BITS

const rr_exact_isa RR_EXACT_ISA_TABLE = {
    RR_EXACT_ISA_STRING,
    RR_EXACT_FMA && RR_EXACT_VECTORS ? "fma" : "dekker",
    exact_run_sequence_f64,
    exact_run_sequence_f32,
    exact_dense_f64,
    exact_dense_f32,
};

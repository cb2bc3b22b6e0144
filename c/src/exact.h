/*
 * exact.h - the exact kernel (RR_KERNEL_EXACT, docs/exact-kernel.md): the
 * double-double vectors the kernel is built from (the primitives are in
 * exact_dd.h, the elementary functions in exact_math_impl.h) and its ISA
 * variants. Not part of the API.
 */
#ifndef RR_EXACT_H
#define RR_EXACT_H

#include "exact_dd.h"
#include "internal.h"

#include <string.h>

/* A dd vector [n]: element i is (hi[i], lo[i]). */
typedef struct rr_dd_vec {
    double *hi;
    double *lo;
} rr_dd_vec;

/* The activations of a dot product (exact_dot_impl.h): v [K], lo [K] its
 * low parts for add_product_dd (NULL for add_product), and split(v[k])
 * into split_hi, split_lo [K], made once for all the outputs; tame and
 * narrow say what all of v [K] are (rr_exact_acts_split sets them). */
typedef struct rr_exact_acts {
    const double *v;
    const double *lo;
    double *split_hi;
    double *split_lo;
    int tame;   /* every v[k] rr_exact_tame                          */
    int narrow; /* every v[k] a finite float32 value (exact as float) */
} rr_exact_acts;

/* Whether x is "tame": 0, or 2^-480 <= |x| < 2^500. For tame a and b,
 * two_prod(a, b)'s error term is the same double by Dekker's formula and
 * by fma(a, b, -a*b) (docs/exact-kernel.md, "two_prod by FMA"): a*b is 0
 * or in [2^-960, 2^1000), so nothing overflows (split included) and
 * every partial product and the error a*b - p are multiples of
 * 2^(ea + eb - 104) >= 2^-1066, hence exact in both; an error of zero is
 * +0 in both (an exact zero sum is +0 when rounding to nearest, and
 * Dekker's first term ah*bh - p is never -0). NaN and inf are not tame. */
static inline int rr_exact_tame(double x)
{
    const double m = x < 0 ? -x : x;
    return (x == 0.0) | ((m >= 0x1p-480) & (m < 0x1p500));
}

/* Whether x is a finite float32 value: then the product of two such
 * values is exact in binary64 (24 + 24 bits, exponents far from the
 * limits), so two_prod's error term is +0 (by Dekker's formula too). */
static inline int rr_exact_narrow(double x)
{
    const double m = x < 0 ? -x : x;
    return m < 0x1p128 && (double)(float)x == x;
}

/* Fill a->split_hi, split_lo [k] from a->v, and a->tame, a->narrow. */
static inline void rr_exact_acts_split(rr_exact_acts *a, size_t k)
{
    int tame = 1, narrow = 1;
    for (size_t i = 0; i < k; i++) {
        const rr_dd halves = rr_split(a->v[i]);
        a->split_hi[i] = halves.hi;
        a->split_lo[i] = halves.lo;
        tame &= rr_exact_tame(a->v[i]);
        narrow &= rr_exact_narrow(a->v[i]);
    }
    a->tame = tame;
    a->narrow = narrow;
}

/* Whether every weight of a packed matrix is rr_exact_tame: the flag
 * rr_exact_split wrote in front of the halves `split` (internal.h). */
static inline int rr_exact_split_tame(const double *split)
{
    int tame;
    memcpy(&tame, (const char *)split - RR_ALIGN, sizeof tame);
    return tame;
}

/* The test hooks' tallies (exact.c): dot products (one gate block of a
 * packed matrix for up to RR_EXACT_ROWS rows) whose two_prod errors came
 * from FMA, or were known to be +0 (float32 values); relaxed atomics. */
void rr_exact_count_fast_dot(int fma);

/* --- the ISA variants ---------------------------------------------------
 * The kernel (exact_isa_impl.h: the elementary functions, the dot
 * products, the cells and the driver) is compiled three times: for
 * baseline x86-64 (exact.c), AVX2 + FMA (exact_avx2.c) and AVX-512 + FMA
 * (exact_avx512.c), always with -ffp-contract=off, so that the compiler
 * only widens the vectors across units and batch rows: every output gets
 * the same binary64 operations in the same order, hence the same bits, in
 * each variant. The one difference: where all the weights and activations
 * of a dot product are tame (rr_exact_tame), the FMA variants compute
 * two_prod's error term by one fused multiply-subtract, which gives the
 * same double as Dekker's formula. exact.c picks the widest the CPU runs
 * (rr_exact_isa_in_use) for rr_exact_run_sequence_f64/_f32 and
 * rr_exact_dense_f64/_f32 (internal_real.h). */

typedef rr_status (*rr_exact_run_f64_fn)(const rr_net *net, size_t seq_len,
                                         size_t batch, const double *x,
                                         const double *h0, const double *c0,
                                         const int64_t *lengths,
                                         double *output, double *h_n,
                                         double *c_n, double *y,
                                         rr_error *err);
typedef rr_status (*rr_exact_run_f32_fn)(const rr_net *net, size_t seq_len,
                                         size_t batch, const float *x,
                                         const float *h0, const float *c0,
                                         const int64_t *lengths, float *output,
                                         float *h_n, float *c_n, float *y,
                                         rr_error *err);
typedef rr_status (*rr_exact_dense_f64_fn)(size_t rows, size_t in_width,
                                           const double *src,
                                           size_t out_width, const double *w,
                                           const double *b, rr_activation act,
                                           double *dst, rr_error *err);
typedef rr_status (*rr_exact_dense_f32_fn)(size_t rows, size_t in_width,
                                           const float *src, size_t out_width,
                                           const float *w, const float *b,
                                           rr_activation act, float *dst,
                                           rr_error *err);

/* One compiled variant of the kernel: its name ("base", "avx2", "avx512"),
 * how its dot products compute two_prod's error ("fma" or "dekker") and
 * its entry points. */
typedef struct rr_exact_isa {
    const char *name;
    const char *two_prod;
    rr_exact_run_f64_fn run_f64;
    rr_exact_run_f32_fn run_f32;
    rr_exact_dense_f64_fn dense_f64;
    rr_exact_dense_f32_fn dense_f32;
} rr_exact_isa;

extern const rr_exact_isa rr_exact_isa_base;
#if RR_HAVE_AVX2_KERNELS
extern const rr_exact_isa rr_exact_isa_avx2;
extern const rr_exact_isa rr_exact_isa_avx512;
#endif

/* The variant this CPU runs: avx512 where rr_cpu_has_avx512() (which
 * includes FMA), else avx2 where rr_cpu_has_avx2_fma(), else base; chosen
 * once. */
const rr_exact_isa *rr_exact_isa_in_use(void);

/* Its name, for the tests and the benchmarks (not in the public header). */
const char *rr_exact_isa_name(void);

/* For the tests (not in the public header): "fma" or "dekker", how the
 * variant in use computes two_prod's error in its dot products; and the
 * tallies since the library loaded of dot products that took the FMA
 * path (fma 1) or the float32 path whose errors are +0 (fma 0). */
const char *rr_exact_two_prod_name(void);
size_t rr_exact_fast_dots(int fma);

/* For the tests and the benchmarks only (not in the public header): run
 * the variant `name` ("base", "avx2", "avx512"; NULL: the widest) from now
 * on, in every net of the process; 1, or 0 (nothing changed) where the
 * name is unknown or the CPU cannot run it. Not to be called while an exact
 * forward runs (a call in flight keeps the variant it started with). */
int rr_exact_isa_select(const char *name);

#endif /* RR_EXACT_H */

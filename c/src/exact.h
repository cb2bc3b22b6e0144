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

/* A dd vector [n]: element i is (hi[i], lo[i]). */
typedef struct rr_dd_vec {
    double *hi;
    double *lo;
} rr_dd_vec;

/* The activations of a dot product (exact_dot_impl.h): v [K], lo [K] its
 * low parts for add_product_dd (NULL for add_product), and split(v[k])
 * into split_hi, split_lo [K], made once for all the outputs. */
typedef struct rr_exact_acts {
    const double *v;
    const double *lo;
    double *split_hi;
    double *split_lo;
} rr_exact_acts;

/* Fill a's split_hi, split_lo [k] from a.v. */
static inline void rr_exact_acts_split(rr_exact_acts a, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        const rr_dd halves = rr_split(a.v[i]);
        a.split_hi[i] = halves.hi;
        a.split_lo[i] = halves.lo;
    }
}

/* --- the ISA variants ---------------------------------------------------
 * The kernel (exact_isa_impl.h: the elementary functions, the dot
 * products, the cells and the driver) is compiled three times: for
 * baseline x86-64 (exact.c), AVX2 (exact_avx2.c) and AVX-512 (exact_avx512.c),
 * never with FMA and always with -ffp-contract=off, so that the compiler
 * only widens the vectors across units and batch rows: every output gets
 * the same binary64 operations in the same order, hence the same bits, in
 * each variant. exact.c picks the widest the CPU runs (rr_exact_isa_in_use)
 * for rr_exact_run_sequence_f64/_f32 and rr_exact_dense_f64/_f32
 * (internal_real.h). */

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

/* One compiled variant of the kernel: its name ("base", "avx2", "avx512")
 * and entry points. */
typedef struct rr_exact_isa {
    const char *name;
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

/* The variant this CPU runs: avx512 where rr_cpu_has_avx512(), else avx2
 * where rr_cpu_has_avx2_fma() (the AVX2 variant uses no FMA, but the AVX2
 * kernels' check is the one the library has), else base; chosen once. */
const rr_exact_isa *rr_exact_isa_in_use(void);

/* Its name, for the tests and the benchmarks (not in the public header). */
const char *rr_exact_isa_name(void);

/* For the tests and the benchmarks only (not in the public header): run
 * the variant `name` ("base", "avx2", "avx512"; NULL: the widest) from now
 * on, in every net of the process; 1, or 0 (nothing changed) where the
 * name is unknown or the CPU cannot run it. Not to be called while an exact
 * forward runs (a call in flight keeps the variant it started with). */
int rr_exact_isa_select(const char *name);

#endif /* RR_EXACT_H */

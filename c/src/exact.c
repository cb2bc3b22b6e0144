/* exact.c - the exact kernel (docs/exact-kernel.md) in float64 and float32
 * storage: its baseline x86-64 variant (exact_isa_impl.h), the choice of
 * the variant a call runs (exact.h: base, avx2, avx512; the same bits in
 * each), the entry points internal_real.h declares, and the weights' split
 * halves and whether they are all tame, made once when a net packs them
 * (rr_exact_split), and the test hooks (exact.h). All arithmetic
 * is binary64 and double-double (exact_dd.h, exact_math_impl.h). */
#define RR_EXACT_ISA_TABLE rr_exact_isa_base
#define RR_EXACT_ISA_STRING "base"
#define RR_EXACT_FMA 0
#include "exact_isa_impl.h"

#include <stdatomic.h>
#include <string.h>

/* the widest variant this CPU runs (exact.h) */
static const rr_exact_isa *widest_isa(void)
{
#if RR_HAVE_AVX2_KERNELS
    if (rr_cpu_has_avx512()) {
        return &rr_exact_isa_avx512;
    }
    if (rr_cpu_has_avx2_fma()) {
        return &rr_exact_isa_avx2;
    }
#endif
    return &rr_exact_isa_base;
}

/* the variant in use; NULL until the first call chooses the widest */
static _Atomic(const rr_exact_isa *) isa_in_use = NULL;

const rr_exact_isa *rr_exact_isa_in_use(void)
{
    const rr_exact_isa *isa =
        atomic_load_explicit(&isa_in_use, memory_order_relaxed);
    if (isa == NULL) { /* a race only computes the same value twice */
        isa = widest_isa();
        atomic_store_explicit(&isa_in_use, isa, memory_order_relaxed);
    }
    return isa;
}

const char *rr_exact_isa_name(void)
{
    return rr_exact_isa_in_use()->name;
}

const char *rr_exact_two_prod_name(void)
{
    return rr_exact_isa_in_use()->two_prod;
}

/* the test hooks' tallies: [0] float32 dots with +0 errors, [1] FMA dots */
static _Atomic size_t fast_dots[2];

void rr_exact_count_fast_dot(int fma)
{
    atomic_fetch_add_explicit(&fast_dots[fma != 0], 1, memory_order_relaxed);
}

size_t rr_exact_fast_dots(int fma)
{
    return atomic_load_explicit(&fast_dots[fma != 0], memory_order_relaxed);
}

int rr_exact_isa_select(const char *name)
{
    const rr_exact_isa *widest = widest_isa();
    const rr_exact_isa *pick = NULL;
    if (name == NULL || strcmp(name, widest->name) == 0) {
        pick = widest;
    } else if (strcmp(name, "base") == 0) {
        pick = &rr_exact_isa_base;
#if RR_HAVE_AVX2_KERNELS
    } else if (strcmp(name, "avx2") == 0 && widest != &rr_exact_isa_base) {
        pick = &rr_exact_isa_avx2; /* the CPU runs avx2 or avx512 */
#endif
    }
    if (pick == NULL) {
        return 0;
    }
    atomic_store_explicit(&isa_in_use, pick, memory_order_relaxed);
    return 1;
}

rr_status rr_exact_run_sequence_f64(const rr_net *net, size_t seq_len,
                                    size_t batch, const double *x,
                                    const double *h0, const double *c0,
                                    const int64_t *lengths, double *output,
                                    double *h_n, double *c_n, double *y,
                                    rr_error *err)
{
    return rr_exact_isa_in_use()->run_f64(net, seq_len, batch, x, h0, c0,
                                          lengths, output, h_n, c_n, y, err);
}

rr_status rr_exact_run_sequence_f32(const rr_net *net, size_t seq_len,
                                    size_t batch, const float *x,
                                    const float *h0, const float *c0,
                                    const int64_t *lengths, float *output,
                                    float *h_n, float *c_n, float *y,
                                    rr_error *err)
{
    return rr_exact_isa_in_use()->run_f32(net, seq_len, batch, x, h0, c0,
                                          lengths, output, h_n, c_n, y, err);
}

rr_status rr_exact_dense_f64(size_t rows, size_t in_width, const double *src,
                             size_t out_width, const double *w,
                             const double *b, rr_activation act, double *dst,
                             rr_error *err)
{
    return rr_exact_isa_in_use()->dense_f64(rows, in_width, src, out_width, w,
                                            b, act, dst, err);
}

rr_status rr_exact_dense_f32(size_t rows, size_t in_width, const float *src,
                             size_t out_width, const float *w, const float *b,
                             rr_activation act, float *dst, rr_error *err)
{
    return rr_exact_isa_in_use()->dense_f32(rows, in_width, src, out_width, w,
                                            b, act, dst, err);
}

/* The block rr_pack allocates for an exact matrix (internal.h): the
 * `count` REALs, padding to RR_ALIGN, one RR_ALIGN slot whose first int
 * says whether every weight is tame (rr_exact_split_tame), then the
 * halves [2][count] at the offset returned here. */
size_t rr_exact_split_offset(size_t count, size_t elem_size)
{
    const size_t bytes = count * elem_size;
    return (bytes + RR_ALIGN - 1) / RR_ALIGN * RR_ALIGN + RR_ALIGN;
}

void rr_exact_split(const void *data, size_t elem_size, size_t count,
                    double *split)
{
    int tame = 1;
    for (size_t i = 0; i < count; i++) {
        const double w = elem_size == sizeof(float)
                             ? (double)((const float *)data)[i]
                             : ((const double *)data)[i];
        const rr_dd halves = rr_split(w);
        split[i] = halves.hi;
        split[count + i] = halves.lo;
        tame &= rr_exact_tame(w);
    }
    memcpy((char *)split - RR_ALIGN, &tame, sizeof tame);
}

/* exact_avx2.c - the exact kernel's AVX2 variant (exact.h): the source of
 * every variant (exact_isa_impl.h) compiled for AVX2 and FMA (with the
 * library's -ffp-contract=off: FMA only where the source asks for it, in
 * two_prod's error term, RR_EXACT_FMA), so the compiler widens the loops
 * across units to four doubles and changes no operation. Built where the
 * AVX2 kernels are (RR_HAVE_AVX2_KERNELS); exact.c runs it where the CPU
 * has AVX2 and FMA (rr_cpu_has_avx2_fma). */
#include "internal.h"

#if RR_HAVE_AVX2_KERNELS

#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#define RR_EXACT_ISA_TABLE rr_exact_isa_avx2
#define RR_EXACT_ISA_STRING "avx2"
#define RR_EXACT_FMA 1
#include "exact_isa_impl.h"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else /* ISO C forbids an empty translation unit */
typedef int rr_exact_avx2_unused;
#endif

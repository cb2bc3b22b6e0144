/* exact_avx512.c - the exact kernel's AVX-512 variant (exact.h): the source
 * of every variant (exact_isa_impl.h) compiled for AVX-512 (F, DQ, VL, BW)
 * and FMA with 512-bit vectors preferred (and the library's
 * -ffp-contract=off: FMA only where the source asks for it, in two_prod's
 * error term, RR_EXACT_FMA), so the compiler widens the loops across units
 * to eight doubles and changes no operation. Built where the AVX2 kernels
 * are (RR_HAVE_AVX2_KERNELS); exact.c runs it where the CPU can
 * (rr_cpu_has_avx512, which includes FMA). */
#include "internal.h"

#if RR_HAVE_AVX2_KERNELS

#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(                                              \
    __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))), \
    apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma")
#pragma GCC target("prefer-vector-width=512")
#endif

#define RR_EXACT_ISA_TABLE rr_exact_isa_avx512
#define RR_EXACT_ISA_STRING "avx512"
#define RR_EXACT_FMA 1
#include "exact_isa_impl.h"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else /* ISO C forbids an empty translation unit */
typedef int rr_exact_avx512_unused;
#endif

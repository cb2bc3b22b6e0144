/* avx2.c - the AVX2 + FMA kernels, in float64 and float32 (avx2_impl.h,
 * read once per precision), and the CPU check that selects them.
 *
 * Only the functions marked RR_AVX2 use AVX2 and FMA instructions (GCC's
 * and Clang's target attribute): the library is built without -mavx2, runs
 * on any x86-64 CPU, and picks these at net creation when the CPU has them.
 */
#include "internal.h"

#if RR_HAVE_AVX2_KERNELS

#include <immintrin.h>
#include <math.h>
#include <string.h>

#define RR_AVX2 __attribute__((target("avx2,fma")))
#define RR_AVX2_INLINE \
    static inline __attribute__((always_inline, target("avx2,fma")))

#define RR_REAL_BITS 64
#include "avx2_impl.h"
#undef RR_REAL_BITS

#define RR_REAL_BITS 32
#include "avx2_impl.h"
#undef RR_REAL_BITS

int rr_cpu_has_avx2_fma(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#else /* no AVX2 kernels in this build */

int rr_cpu_has_avx2_fma(void)
{
    return 0;
}

#endif

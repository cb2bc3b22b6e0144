/* avx512.c - the AVX-512 kernels, in float64 and float32 (avx512_impl.h,
 * read once per precision), and the CPU check that selects them.
 *
 * Only the functions marked RR_AVX512 use AVX-512 instructions (GCC's and
 * Clang's target attribute): the library is built without -mavx512f, runs
 * on any x86-64 CPU, and picks these at net creation when the CPU and the
 * operating system support them (rr_cpu_has_avx512). They are built where
 * the AVX2 kernels are (RR_HAVE_AVX2_KERNELS, internal.h).
 */
#include "internal.h"

#if RR_HAVE_AVX2_KERNELS

#include <cpuid.h>
#include <immintrin.h>
#include <stdint.h>

#include "avx512_target.h"

#define RR_REAL_BITS 64
#include "avx512_impl.h"
#undef RR_REAL_BITS

#define RR_REAL_BITS 32
#include "avx512_impl.h"
#undef RR_REAL_BITS

/* Whether the operating system saves the AVX-512 state on a context
 * switch: CPUID.1:ECX.OSXSAVE, then XCR0 (xgetbv 0) with the SSE, AVX,
 * opmask and both zmm bits set (0xE6). */
static int os_saves_avx512_state(void)
{
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE)) {
        return 0;
    }
    uint32_t xcr0_low = 0, xcr0_high = 0;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    (void)xcr0_high;
    return (xcr0_low & 0xE6u) == 0xE6u;
}

int rr_cpu_has_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("fma") && os_saves_avx512_state();
}

#else /* no AVX-512 kernels in this build */

int rr_cpu_has_avx512(void)
{
    return 0;
}

#endif

/* avx512.c - the AVX-512 kernels and the CPU check that selects them.
 * (Placeholder until the kernels land: no CPU runs them.) */
#include "internal.h"

int rr_cpu_has_avx512(void)
{
    return 0;
}

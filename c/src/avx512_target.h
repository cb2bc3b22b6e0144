/* avx512_target.h - the function attributes of the AVX-512 code: only the
 * functions so marked use AVX-512 instructions (the library is built
 * without -mavx512f and picks them at run time, rr_cpu_has_avx512).
 * Read by avx512.c (the kernels) and step.c (the fused one-row step). */
#ifndef RR_AVX512_TARGET_H
#define RR_AVX512_TARGET_H

#define RR_AVX512 \
    __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))
#define RR_AVX512_INLINE                         \
    static inline __attribute__((always_inline, \
                                 target("avx512f,avx512bw,avx512dq,avx512vl,fma")))

#endif /* RR_AVX512_TARGET_H */

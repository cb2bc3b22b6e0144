/*
 * avx2_real.h - the 256-bit vector of REAL (see real.h) and the AVX2 + FMA
 * intrinsics the kernels use, named once for both precisions:
 *   VEC         __m256d (4 doubles) or __m256 (8 floats); VLEN lanes
 *   V_LOAD, V_STORE (unaligned), V_SET1, V_ZERO, V_BROADCAST(pointer)
 *   V_FMA(a, b, c) = a * b + c, V_ADD, V_SUB, V_MUL, V_DIV
 *   V_MIN(a, b), V_MAX(a, b): b when either is NaN (the x86 rule)
 *   V_CMP(a, b, predicate) a lane mask; V_BLEND(a, b, mask) = mask ? b : a
 *   V_LANES(n) the integer mask of lanes 0..n-1 (0 <= n <= VLEN);
 *   V_LOAD_PART(p, lanes) those lanes of p, 0 elsewhere (the others are not
 *   read); V_STORE_PART(p, lanes, v) writes only those lanes
 * No include guard: read once per precision, after real.h.
 */
#undef VEC
#undef VLEN
#undef V_LOAD
#undef V_STORE
#undef V_SET1
#undef V_ZERO
#undef V_BROADCAST
#undef V_FMA
#undef V_ADD
#undef V_SUB
#undef V_MUL
#undef V_DIV
#undef V_MIN
#undef V_MAX
#undef V_CMP
#undef V_BLEND
#undef V_LANES
#undef V_LOAD_PART
#undef V_STORE_PART

#if RR_REAL_BITS == 64
#define VEC __m256d
#define VLEN 4
#define V_LOAD _mm256_loadu_pd
#define V_STORE _mm256_storeu_pd
#define V_SET1 _mm256_set1_pd
#define V_ZERO _mm256_setzero_pd
#define V_BROADCAST _mm256_broadcast_sd
#define V_FMA _mm256_fmadd_pd
#define V_ADD _mm256_add_pd
#define V_SUB _mm256_sub_pd
#define V_MUL _mm256_mul_pd
#define V_DIV _mm256_div_pd
#define V_MIN _mm256_min_pd
#define V_MAX _mm256_max_pd
#define V_CMP _mm256_cmp_pd
#define V_BLEND _mm256_blendv_pd
#define V_LANES(n)                                               \
    _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)(n)),       \
                       _mm256_setr_epi64x(0, 1, 2, 3))
#define V_LOAD_PART _mm256_maskload_pd
#define V_STORE_PART _mm256_maskstore_pd
#else
#define VEC __m256
#define VLEN 8
#define V_LOAD _mm256_loadu_ps
#define V_STORE _mm256_storeu_ps
#define V_SET1 _mm256_set1_ps
#define V_ZERO _mm256_setzero_ps
#define V_BROADCAST _mm256_broadcast_ss
#define V_FMA _mm256_fmadd_ps
#define V_ADD _mm256_add_ps
#define V_SUB _mm256_sub_ps
#define V_MUL _mm256_mul_ps
#define V_DIV _mm256_div_ps
#define V_MIN _mm256_min_ps
#define V_MAX _mm256_max_ps
#define V_CMP _mm256_cmp_ps
#define V_BLEND _mm256_blendv_ps
#define V_LANES(n)                                               \
    _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n)),              \
                       _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define V_LOAD_PART _mm256_maskload_ps
#define V_STORE_PART _mm256_maskstore_ps
#endif

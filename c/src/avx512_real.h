/*
 * avx512_real.h - the 512-bit vector of REAL (see real.h) and the AVX-512
 * F/DQ intrinsics the kernels use, named once for both precisions:
 *   VEC         __m512d (8 doubles) or __m512 (16 floats); VLEN lanes
 *   MASK        __mmask8 or __mmask16: one bit per lane
 *   V_MASK(n)   the first n lanes (n <= VLEN)
 *   V_LOADM(mask, p)      lanes of the mask from p, zero elsewhere; lanes
 *                         outside the mask are not read (no fault past an
 *                         array's end)
 *   V_STOREM(p, mask, v)  lanes of the mask to p, nothing else written
 *   V_LOAD, V_STORE (unaligned, all lanes), V_SET1, V_ZERO
 *   V_FMA(a, b, c) = a * b + c, V_FNMA(a, b, c) = c - a * b (one rounding)
 *   V_ADD, V_SUB, V_MUL, V_DIV
 *   V_MIN(a, b), V_MAX(a, b): b when either is NaN (the x86 rule)
 *   V_CMP(a, b, predicate) a MASK; V_BLEND(a, b, mask) = mask ? b : a
 *   V_AND, V_ANDNOT(a, b) = ~a & b, V_OR: bitwise
 *   V_ROUND(x)  to the nearest integer, ties to even; V_FLOOR(x) down
 * No include guard: read once per precision, after real.h.
 */
#undef VEC
#undef VLEN
#undef MASK
#undef V_MASK
#undef V_LOADM
#undef V_STOREM
#undef V_LOAD
#undef V_STORE
#undef V_SET1
#undef V_ZERO
#undef V_FMA
#undef V_FNMA
#undef V_ADD
#undef V_SUB
#undef V_MUL
#undef V_DIV
#undef V_MIN
#undef V_MAX
#undef V_CMP
#undef V_BLEND
#undef V_AND
#undef V_ANDNOT
#undef V_OR
#undef V_ROUND
#undef V_FLOOR

#define V_ROUND_MODE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define V_FLOOR_MODE (_MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)

#if RR_REAL_BITS == 64
#define VEC __m512d
#define VLEN 8
#define MASK __mmask8
#define V_MASK(n) ((__mmask8)((n) >= 8 ? 0xFFu : (1u << (n)) - 1u))
#define V_LOADM(mask, p) _mm512_maskz_loadu_pd(mask, p)
#define V_STOREM(p, mask, v) _mm512_mask_storeu_pd(p, mask, v)
#define V_LOAD _mm512_loadu_pd
#define V_STORE _mm512_storeu_pd
#define V_SET1 _mm512_set1_pd
#define V_ZERO _mm512_setzero_pd
#define V_FMA _mm512_fmadd_pd
#define V_FNMA _mm512_fnmadd_pd
#define V_ADD _mm512_add_pd
#define V_SUB _mm512_sub_pd
#define V_MUL _mm512_mul_pd
#define V_DIV _mm512_div_pd
#define V_MIN _mm512_min_pd
#define V_MAX _mm512_max_pd
#define V_CMP _mm512_cmp_pd_mask
#define V_BLEND(a, b, mask) _mm512_mask_blend_pd(mask, a, b)
#define V_AND _mm512_and_pd
#define V_ANDNOT _mm512_andnot_pd
#define V_OR _mm512_or_pd
#define V_ROUND(x) _mm512_roundscale_pd(x, V_ROUND_MODE)
#define V_FLOOR(x) _mm512_roundscale_pd(x, V_FLOOR_MODE)
#else
#define VEC __m512
#define VLEN 16
#define MASK __mmask16
#define V_MASK(n) ((__mmask16)((n) >= 16 ? 0xFFFFu : (1u << (n)) - 1u))
#define V_LOADM(mask, p) _mm512_maskz_loadu_ps(mask, p)
#define V_STOREM(p, mask, v) _mm512_mask_storeu_ps(p, mask, v)
#define V_LOAD _mm512_loadu_ps
#define V_STORE _mm512_storeu_ps
#define V_SET1 _mm512_set1_ps
#define V_ZERO _mm512_setzero_ps
#define V_FMA _mm512_fmadd_ps
#define V_FNMA _mm512_fnmadd_ps
#define V_ADD _mm512_add_ps
#define V_SUB _mm512_sub_ps
#define V_MUL _mm512_mul_ps
#define V_DIV _mm512_div_ps
#define V_MIN _mm512_min_ps
#define V_MAX _mm512_max_ps
#define V_CMP _mm512_cmp_ps_mask
#define V_BLEND(a, b, mask) _mm512_mask_blend_ps(mask, a, b)
#define V_AND _mm512_and_ps
#define V_ANDNOT _mm512_andnot_ps
#define V_OR _mm512_or_ps
#define V_ROUND(x) _mm512_roundscale_ps(x, V_ROUND_MODE)
#define V_FLOOR(x) _mm512_roundscale_ps(x, V_FLOOR_MODE)
#endif

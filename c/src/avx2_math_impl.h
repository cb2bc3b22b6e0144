/*
 * avx2_math_impl.h - exp, sigmoid, tanh, clamp and relu on a vector of REAL
 * (see real.h and avx2_real.h), for the vectorised gates.
 *
 * Each follows the scalar formula of activation_impl.h / libm to within a
 * few ulps and gives the same special values: NaN in, NaN out; sigmoid(+-inf)
 * = 1, 0; tanh(+-inf) = +-1; exp overflows to inf and underflows to 0 (or a
 * subnormal). No -ffast-math: every step is IEEE arithmetic.
 */
#include "real.h"
#include "avx2_real.h"

#if RR_REAL_BITS == 64

/* exp(x) for |x| up to ~745 (beyond: inf, 0; NaN stays NaN).
 *   n = round(x / ln 2), r = x - n ln 2 (two-part ln 2, |r| <= ln2/2),
 *   exp(r) by its Taylor series to r^13 (truncation < 1e-17 relative),
 *   exp(x) = exp(r) * 2^n1 * 2^n2, n1 = round(n/2), n2 = n - n1: both
 *   factors are normal doubles, so no intermediate overflows early and
 *   results in the subnormal range round once. */
RR_AVX2_INLINE __m256d rr_v_exp_f64(__m256d x)
{
    /* min/max with the constant first return x itself when it is NaN */
    x = _mm256_min_pd(_mm256_set1_pd(710.0), x);
    x = _mm256_max_pd(_mm256_set1_pd(-746.0), x);
    const __m256d n = _mm256_round_pd(
        _mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634)),
        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(6.93147180369123816490e-01),
                                 x);
    r = _mm256_fnmadd_pd(n, _mm256_set1_pd(1.90821492927058770002e-10), r);

    static const double taylor[] = { /* 1/13!, 1/12!, ..., 1/2!, 1, 1 */
        1.6059043836821613e-10, 2.08767569878681e-09, 2.505210838544172e-08,
        2.755731922398589e-07,  2.7557319223985893e-06, 2.48015873015873e-05,
        1.984126984126984e-04,  1.3888888888888889e-03, 8.333333333333333e-03,
        4.1666666666666664e-02, 1.6666666666666666e-01, 0.5, 1.0, 1.0,
    };
    __m256d p = _mm256_set1_pd(taylor[0]);
    RR_UNROLL(16)
    for (size_t i = 1; i < sizeof taylor / sizeof taylor[0]; i++) {
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(taylor[i]));
    }

    /* 2^k for integer-valued k in [-1022, 1023]: the bits (k + 1023) << 52;
     * adding 1.5 * 2^52 puts k in the low bits of the mantissa */
    const __m256d magic = _mm256_set1_pd(6755399441055744.0);
    const __m256d n1 = _mm256_round_pd(
        _mm256_mul_pd(n, _mm256_set1_pd(0.5)),
        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256d n2 = _mm256_sub_pd(n, n1);
    const __m256i bias = _mm256_set1_epi64x(1023);
    const __m256i k1 = _mm256_sub_epi64(
        _mm256_castpd_si256(_mm256_add_pd(n1, magic)),
        _mm256_castpd_si256(magic));
    const __m256i k2 = _mm256_sub_epi64(
        _mm256_castpd_si256(_mm256_add_pd(n2, magic)),
        _mm256_castpd_si256(magic));
    const __m256d scale1 =
        _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(k1, bias), 52));
    const __m256d scale2 =
        _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(k2, bias), 52));
    return _mm256_mul_pd(_mm256_mul_pd(p, scale1), scale2);
}

/* tanh(x) = sign(x) * (1 - 2 / (exp(2|x|) + 1)) for |x| >= 0.625, else
 * sign(x) * (|x| + |x| z P(z) / Q(z)), z = x^2 (Cephes' rational
 * approximation, relative error 2.5e-16); one division serves both.
 * (Measured: at most 2 ulps from glibc's tanh; (1 - e) / (1 + e) with
 * e = exp(-2|x|) was 3.) */
RR_AVX2_INLINE __m256d rr_v_tanh_f64(__m256d x)
{
    const __m256d sign_bit = _mm256_set1_pd(-0.0);
    const __m256d ax = _mm256_andnot_pd(sign_bit, x); /* |x| */
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d z = _mm256_mul_pd(x, x);
    __m256d p = _mm256_set1_pd(-9.64399179425052238628e-01);
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-9.92877231001918586564e+01));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-1.61468768441708447952e+03));
    __m256d q = _mm256_add_pd(z, _mm256_set1_pd(1.12811678491632931402e+02));
    q = _mm256_fmadd_pd(q, z, _mm256_set1_pd(2.23548839060100448583e+03));
    q = _mm256_fmadd_pd(q, z, _mm256_set1_pd(4.84406305325125486048e+03));
    const __m256d e = rr_v_exp_f64(_mm256_add_pd(ax, ax)); /* exp(2|x|) */

    /* small: |x| < 0.625 (false for NaN, which the large branch keeps) */
    const __m256d small =
        _mm256_cmp_pd(ax, _mm256_set1_pd(0.625), _CMP_LT_OQ);
    const __m256d num =
        _mm256_blendv_pd(_mm256_set1_pd(2.0), _mm256_mul_pd(p, z), small);
    const __m256d den = _mm256_blendv_pd(_mm256_add_pd(e, one), q, small);
    const __m256d ratio = _mm256_div_pd(num, den);
    /* tanh is odd: the magnitude, then the sign of x (tanh(-0) = -0);
     * exp(2|x|) = inf gives ratio 0 and tanh = 1 */
    const __m256d magnitude = _mm256_blendv_pd(
        _mm256_sub_pd(one, ratio), _mm256_fmadd_pd(ax, ratio, ax), small);
    return _mm256_or_pd(magnitude, _mm256_and_pd(sign_bit, x));
}

#else /* float */

/* expf(x): as rr_v_exp_f64 with float constants, Taylor series to r^7
 * (truncation < 6e-9 relative), 2^n1 * 2^n2 from 32-bit integer lanes. */
RR_AVX2_INLINE __m256 rr_v_exp_f32(__m256 x)
{
    x = _mm256_min_ps(_mm256_set1_ps(89.0f), x);
    x = _mm256_max_ps(_mm256_set1_ps(-104.0f), x);
    const __m256 n = _mm256_round_ps(
        _mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);

    static const float taylor[] = { /* 1/7!, ..., 1/2!, 1, 1 */
        1.98412698e-4f, 1.38888889e-3f, 8.33333333e-3f, 4.16666667e-2f,
        1.66666667e-1f, 0.5f, 1.0f, 1.0f,
    };
    __m256 p = _mm256_set1_ps(taylor[0]);
    RR_UNROLL(8)
    for (size_t i = 1; i < sizeof taylor / sizeof taylor[0]; i++) {
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(taylor[i]));
    }

    /* n is in [-150, 129]: NaN lanes convert to INT_MIN, whose (garbage)
     * scale meets p = NaN */
    const __m256i k = _mm256_cvtps_epi32(n);
    const __m256i k1 = _mm256_srai_epi32(k, 1);
    const __m256i k2 = _mm256_sub_epi32(k, k1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 scale1 =
        _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, bias), 23));
    const __m256 scale2 =
        _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, scale1), scale2);
}

/* tanhf(x): sign(x) * (1 - 2 / (expf(2|x|) + 1)) for |x| >= 0.625, else
 * sign(x) * (|x| + |x| z P(z)), z = x^2 (Cephes' polynomial). */
RR_AVX2_INLINE __m256 rr_v_tanh_f32(__m256 x)
{
    const __m256 sign_bit = _mm256_set1_ps(-0.0f);
    const __m256 ax = _mm256_andnot_ps(sign_bit, x);
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 z = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
    const __m256 small_value = _mm256_fmadd_ps(_mm256_mul_ps(p, z), ax, ax);

    const __m256 e = rr_v_exp_f32(_mm256_add_ps(ax, ax)); /* exp(2|x|) */
    const __m256 ratio =
        _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one));
    const __m256 small =
        _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ);
    /* tanh is odd: the magnitude, then the sign of x (tanh(-0) = -0) */
    const __m256 magnitude =
        _mm256_blendv_ps(_mm256_sub_ps(one, ratio), small_value, small);
    return _mm256_or_ps(magnitude, _mm256_and_ps(sign_bit, x));
}

#endif

/* The generic names: exp, tanh of VEC */
#undef V_EXP
#undef V_TANH
#define V_EXP SFX(rr_v_exp)
#define V_TANH SFX(rr_v_tanh)

/* sigmoid(x) = num / (1 + e), e = exp(-|x|), num = 1 for x >= 0, else e:
 * the scalar formula of rr_sigmoid without its branch (x >= 0 is false for
 * NaN, and e / (1 + e) is then NaN). */
RR_AVX2_INLINE VEC SFX(rr_v_sigmoid)(VEC x)
{
    const VEC one = V_SET1(REAL_C(1.0));
    const VEC e = V_EXP(V_MIN(V_SUB(V_ZERO(), x), x)); /* exp(-|x|) */
    const VEC num = V_BLEND(e, one, V_CMP(x, V_ZERO(), _CMP_GE_OQ));
    return V_DIV(num, V_ADD(one, e));
}

/* clamp(x) to [-limit, limit]; NaN propagates (min/max return their second
 * operand when one is NaN) */
RR_AVX2_INLINE VEC SFX(rr_v_clamp)(VEC x, VEC limit)
{
    const VEC low = V_SUB(V_ZERO(), limit);
    return V_MIN(limit, V_MAX(low, x));
}

/* relu(x) = x < 0 ? 0 : x: max(0, x) returns x for NaN and for -0.0 */
RR_AVX2_INLINE VEC SFX(rr_v_relu)(VEC x)
{
    return V_MAX(V_ZERO(), x);
}

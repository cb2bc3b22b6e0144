/*
 * avx2_math_impl.h - exp, sigmoid, tanh, clamp and relu on a vector of REAL
 * (see real.h and avx2_real.h), for the vectorised gates. The gates run
 * their last count % VLEN units through these same functions (masked
 * lanes), so a unit's bits do not depend on its position.
 *
 * float64: sigmoid and tanh are within 0.53 ulp of the exact result
 * (measured against mpmath: tests/test_c_determinism.py and docs/
 * determinism.md), from exp(x) carried as an unevaluated sum hi + lo with a
 * relative error near 2^-59; the last step of each is a double-double
 * correction, so that one rounding dominates. float32: exp, tanh as before
 * (a few ulps), the sigmoid formula of rr_sigmoid.
 * Special values: NaN in, NaN out; sigmoid(+-inf) = 1, 0; tanh(+-inf) =
 * +-1; tanh(-0) = -0. No -ffast-math: every step is IEEE arithmetic.
 */
#include "real.h"
#include "avx2_real.h"

#if RR_REAL_BITS == 64

#include "exp2_table.h"


/* exp(x) = *hi + *lo for x in [-746, 709.7] (x is clamped to that range;
 * NaN stays NaN in *hi; the callers only need x <= 40):
 *   k = round(x * 64 / ln 2), j = k mod 64, n = (k - j) / 64,
 *   r = x - k ln2/64 (ln2/64 in two parts: the first has 32 significant
 *       bits, so k * part 1 and the subtraction are exact), |r| <= 0.0055,
 *   exp(r) - 1 = p = r + r^2 (1/2 + r/6 + r^2/24 + r^3/120 + r^4/720)
 *       (truncation < 3e-20 relative),
 *   exp(x) = 2^n * 2^(j/64) * (1 + p) = 2^n * (T_hi + (T_hi p + T_lo)),
 *   the last sum split exactly into hi + lo (Fast2Sum), then both scaled
 *   by 2^n1 * 2^n2 (n1 = floor(n/2), n2 = n - n1, both normal powers, so
 *   a subnormal result rounds once). */
RR_AVX2_INLINE __m256d rr_v_exp_dd_f64(__m256d x, __m256d *lo)
{
    /* min/max with the constant first return x itself when it is NaN */
    x = _mm256_min_pd(_mm256_set1_pd(709.7), x);
    x = _mm256_max_pd(_mm256_set1_pd(-746.0), x);
    const __m256d k = _mm256_round_pd(
        _mm256_mul_pd(x, _mm256_set1_pd(92.332482616893658)),
        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(k, _mm256_set1_pd(0.010830424696905538), x);
    r = _mm256_fnmadd_pd(k, _mm256_set1_pd(-6.563929801064195e-13), r);
    const __m256d r2 = _mm256_mul_pd(r, r);
    __m256d q = _mm256_set1_pd(1.0 / 720.0);
    q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(1.0 / 120.0));
    q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(1.0 / 24.0));
    q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(1.0 / 6.0));
    q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(0.5));
    const __m256d p = _mm256_fmadd_pd(r2, q, r); /* exp(r) - 1 */

    /* n = floor(k / 64), j = k - 64 n in 0..63 (exact); the index is
     * masked to 0..63 so that a NaN lane reads the table, not past it.
     * Adding 1.5 * 2^52 puts an integer-valued double in the low bits. */
    const __m256d magic = _mm256_set1_pd(6755399441055744.0);
    const __m256d n = _mm256_round_pd(
        _mm256_mul_pd(k, _mm256_set1_pd(1.0 / 64.0)),
        _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __m256d j = _mm256_fnmadd_pd(n, _mm256_set1_pd(64.0), k);
    const __m256i index = _mm256_slli_epi64(
        _mm256_and_si256(_mm256_castpd_si256(_mm256_add_pd(j, magic)),
                         _mm256_set1_epi64x(63)),
        1); /* 2j: rows of two doubles */
    const __m256d t_hi =
        _mm256_i64gather_pd(&rr_exp2_table_f64[0][0], index, 8);
    const __m256d t_lo =
        _mm256_i64gather_pd(&rr_exp2_table_f64[0][1], index, 8);
    const __m256d tail = _mm256_fmadd_pd(t_hi, p, t_lo);
    const __m256d sum = _mm256_add_pd(t_hi, tail);
    const __m256d sum_lo = _mm256_add_pd(_mm256_sub_pd(t_hi, sum), tail);

    /* 2^m for integer-valued m in [-1022, 1023]: the bits (m + 1023) << 52 */
    const __m256d n1 = _mm256_round_pd(
        _mm256_mul_pd(n, _mm256_set1_pd(0.5)),
        _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
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
    *lo = _mm256_mul_pd(_mm256_mul_pd(sum_lo, scale1), scale2);
    return _mm256_mul_pd(_mm256_mul_pd(sum, scale1), scale2);
}

/* sigmoid(x) = num / (1 + e), e = exp(-|x|) = e_hi + e_lo, num = 1 for
 * x >= 0, else e (x >= 0 is false for NaN, whose e is NaN):
 *   d = 1 + e as d_hi + d_lo (Fast2Sum: 1 >= e_hi), v = 1 / d_hi,
 *   q = num_hi v (an approximate quotient), the remainder
 *   rem = num_hi - q d_hi (exact, FMA) + num_lo - q d_lo,
 *   sigmoid = q + rem v: the correction makes the one rounding of the last
 *   FMA dominate the error. */
RR_AVX2_INLINE __m256d rr_v_sigmoid_f64(__m256d x)
{
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d zero = _mm256_setzero_pd();
    /* min(-x, x) = -|x|, NaN kept (the second operand) */
    __m256d e_lo;
    const __m256d e_hi =
        rr_v_exp_dd_f64(_mm256_min_pd(_mm256_sub_pd(zero, x), x), &e_lo);
    const __m256d d_hi = _mm256_add_pd(one, e_hi);
    const __m256d d_lo =
        _mm256_add_pd(_mm256_add_pd(_mm256_sub_pd(one, d_hi), e_hi), e_lo);
    const __m256d positive = _mm256_cmp_pd(x, zero, _CMP_GE_OQ);
    const __m256d num_hi = _mm256_blendv_pd(e_hi, one, positive);
    const __m256d num_lo = _mm256_blendv_pd(e_lo, zero, positive);
    const __m256d v = _mm256_div_pd(one, d_hi);
    const __m256d q = _mm256_mul_pd(num_hi, v);
    __m256d rem = _mm256_fnmadd_pd(q, d_hi, num_hi);
    rem = _mm256_fnmadd_pd(q, d_lo, _mm256_add_pd(rem, num_lo));
    return _mm256_fmadd_pd(rem, v, q);
}

/* tanh(x) = sign(x) * t(|x|), a = |x|:
 *   a < 0.25: t = a + a z P(z) / Q(z), z = a^2 (Cephes' rational
 *       approximation, 2.5e-16 relative; here a z P / Q < 0.021 a, so its
 *       error adds < 0.05 ulp to the rounding of the last FMA);
 *   a >= 0.25: t = 1 - 2 / D, D = exp(2 min(a, 20)) + 1 as d_hi + d_lo
 *       (tanh(20) rounds to 1), v = 1 / d_hi, q = 2 v, the remainder
 *       2 / D - q = (2 - q d_hi - q d_lo) v = w, and 1 - q = s + s_err
 *       (Fast2Sum), t = s + (s_err - w).
 * One division serves both branches (P / Q or 1 / d_hi). */
RR_AVX2_INLINE __m256d rr_v_tanh_f64(__m256d x)
{
    const __m256d sign_bit = _mm256_set1_pd(-0.0);
    const __m256d ax = _mm256_andnot_pd(sign_bit, x); /* |x| */
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d two = _mm256_set1_pd(2.0);
    const __m256d z = _mm256_mul_pd(x, x);
    __m256d p = _mm256_set1_pd(-9.64399179425052238628e-01);
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-9.92877231001918586564e+01));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-1.61468768441708447952e+03));
    __m256d q = _mm256_add_pd(z, _mm256_set1_pd(1.12811678491632931402e+02));
    q = _mm256_fmadd_pd(q, z, _mm256_set1_pd(2.23548839060100448583e+03));
    q = _mm256_fmadd_pd(q, z, _mm256_set1_pd(4.84406305325125486048e+03));

    /* min(20, a) keeps NaN (the second operand) */
    const __m256d a = _mm256_min_pd(_mm256_set1_pd(20.0), ax);
    __m256d e_lo;
    const __m256d e_hi = rr_v_exp_dd_f64(_mm256_add_pd(a, a), &e_lo);
    const __m256d d_hi = _mm256_add_pd(e_hi, one);
    const __m256d d_lo =
        _mm256_add_pd(_mm256_add_pd(_mm256_sub_pd(e_hi, d_hi), one), e_lo);

    /* small: a < 0.25 (false for NaN, which the large branch keeps) */
    const __m256d small = _mm256_cmp_pd(ax, _mm256_set1_pd(0.25), _CMP_LT_OQ);
    const __m256d ratio = _mm256_div_pd(_mm256_blendv_pd(one, p, small),
                                        _mm256_blendv_pd(d_hi, q, small));
    const __m256d small_t = _mm256_fmadd_pd(ax, _mm256_mul_pd(z, ratio), ax);

    const __m256d quotient = _mm256_mul_pd(two, ratio); /* 2 / d_hi */
    __m256d rem = _mm256_fnmadd_pd(quotient, d_hi, two);
    rem = _mm256_fnmadd_pd(quotient, d_lo, rem);
    const __m256d w = _mm256_mul_pd(rem, ratio);
    const __m256d s = _mm256_sub_pd(one, quotient);
    const __m256d s_err =
        _mm256_sub_pd(_mm256_sub_pd(one, s), quotient);
    const __m256d large_t = _mm256_add_pd(s, _mm256_sub_pd(s_err, w));

    const __m256d magnitude = _mm256_blendv_pd(large_t, small_t, small);
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

/* sigmoid(x) = num / (1 + e), e = exp(-|x|), num = 1 for x >= 0, else e:
 * the scalar formula of rr_sigmoid without its branch (x >= 0 is false for
 * NaN, and e / (1 + e) is then NaN). */
RR_AVX2_INLINE __m256 rr_v_sigmoid_f32(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 zero = _mm256_setzero_ps();
    const __m256 e = rr_v_exp_f32(_mm256_min_ps(_mm256_sub_ps(zero, x), x));
    const __m256 positive = _mm256_cmp_ps(x, zero, _CMP_GE_OQ);
    const __m256 num = _mm256_blendv_ps(e, one, positive);
    return _mm256_div_ps(num, _mm256_add_ps(one, e));
}

#endif

/* The generic names: tanh, sigmoid of VEC (both precisions) */
#undef V_TANH
#undef V_SIGMOID
#define V_TANH SFX(rr_v_tanh)
#define V_SIGMOID SFX(rr_v_sigmoid)

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

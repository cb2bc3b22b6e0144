/*
 * avx512_math_impl.h - sigmoid, tanh, clamp and relu on a 512-bit vector
 * of REAL (see real.h and avx512_real.h), for the AVX-512 gates.
 *
 * The algorithm of the AVX2 kernels (avx2_math_impl.h), step for step and
 * constant for constant, on twice the lanes, so that both give the same
 * bits: float64 sigmoid and tanh from exp(x) carried as hi + lo with a
 * double-double correction last (within about half an ulp); float32 exp,
 * tanh (a few ulps) and the sigmoid formula of rr_sigmoid. Special values:
 * NaN in, NaN out; sigmoid(+-inf) = 1, 0; tanh(+-inf) = +-1; tanh(-0) =
 * -0. Every lane is computed alone, so a unit's result does not depend on
 * its lane or on the other lanes. No -ffast-math.
 */
#include "real.h"
#include "avx512_real.h"

#if RR_REAL_BITS == 64

#include "exp2_table.h"

/* exp(x) = hi + *lo for x in [-746, 709.7] (clamped to that range; NaN
 * stays NaN in hi), the algorithm of rr_v_exp_dd_f64 (avx2_math_impl.h):
 *   k = round(x * 64 / ln 2), j = k mod 64, n = (k - j) / 64,
 *   r = x - k ln2/64 (ln2/64 in two parts, the first of 32 significant
 *       bits, so k * part 1 and the subtraction are exact), |r| <= 0.0055,
 *   exp(r) - 1 = p = r + r^2 (1/2 + r/6 + r^2/24 + r^3/120 + r^4/720),
 *   exp(x) = 2^n * 2^(j/64) * (1 + p) = 2^n * (T_hi + (T_hi p + T_lo)),
 *   the last sum split exactly into hi + lo (Fast2Sum), then both scaled
 *   by 2^n in one rounding (vscalefpd). The AVX2 twin scales by 2^n1
 *   then 2^n2 (n1 = floor(n/2), n2 = n - n1): its first product is exact
 *   (|n1| <= 539 keeps it normal), so a subnormal result rounds once
 *   there too, and the bits are the same. */
RR_AVX512_INLINE __m512d rr_v512_exp_dd_f64(__m512d x, __m512d *lo)
{
    /* min/max with the constant first return x itself when it is NaN */
    x = _mm512_min_pd(_mm512_set1_pd(709.7), x);
    x = _mm512_max_pd(_mm512_set1_pd(-746.0), x);
    const __m512d k =
        V_ROUND(_mm512_mul_pd(x, _mm512_set1_pd(92.332482616893658)));
    __m512d r = _mm512_fnmadd_pd(k, _mm512_set1_pd(0.010830424696905538), x);
    r = _mm512_fnmadd_pd(k, _mm512_set1_pd(-6.563929801064195e-13), r);
    const __m512d r2 = _mm512_mul_pd(r, r);
    __m512d q = _mm512_set1_pd(1.0 / 720.0);
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 120.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 24.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 6.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(0.5));
    const __m512d p = _mm512_fmadd_pd(r2, q, r); /* exp(r) - 1 */

    /* n = floor(k / 64), j = k - 64 n in 0..63 (exact); the index is
     * masked to 0..63 so that a NaN lane reads the table, not past it.
     * Adding 1.5 * 2^52 puts an integer-valued double in the low bits. */
    const __m512d magic = _mm512_set1_pd(6755399441055744.0);
    const __m512d n = V_FLOOR(_mm512_mul_pd(k, _mm512_set1_pd(1.0 / 64.0)));
    const __m512d j = _mm512_fnmadd_pd(n, _mm512_set1_pd(64.0), k);
    const __m512i index = _mm512_slli_epi64(
        _mm512_and_si512(_mm512_castpd_si512(_mm512_add_pd(j, magic)),
                         _mm512_set1_epi64(63)),
        1); /* 2j: rows of two doubles */
    const __m512d t_hi =
        _mm512_i64gather_pd(index, &rr_exp2_table_f64[0][0], 8);
    const __m512d t_lo =
        _mm512_i64gather_pd(index, &rr_exp2_table_f64[0][1], 8);
    const __m512d tail = _mm512_fmadd_pd(t_hi, p, t_lo);
    const __m512d sum = _mm512_add_pd(t_hi, tail);
    const __m512d sum_lo = _mm512_add_pd(_mm512_sub_pd(t_hi, sum), tail);

    /* times 2^n, n an integer in [-1077, 1023] (NaN: NaN) */
    *lo = _mm512_scalef_pd(sum_lo, n);
    return _mm512_scalef_pd(sum, n);
}

/* sigmoid(x) = num / (1 + e), e = exp(-|x|) = e_hi + e_lo, num = 1 for
 * x >= 0, else e (x >= 0 is false for NaN, whose e is NaN):
 *   d = 1 + e as d_hi + d_lo (Fast2Sum: 1 >= e_hi), v = 1 / d_hi,
 *   q = num_hi v, the remainder rem = num_hi - q d_hi (exact, FMA)
 *   + num_lo - q d_lo, sigmoid = q + rem v (one FMA: its rounding
 *   dominates the error). */
RR_AVX512_INLINE __m512d rr_v512_sigmoid_f64(__m512d x)
{
    const __m512d one = _mm512_set1_pd(1.0);
    const __m512d zero = _mm512_setzero_pd();
    /* min(-x, x) = -|x|, NaN kept (the second operand) */
    __m512d e_lo;
    const __m512d e_hi =
        rr_v512_exp_dd_f64(_mm512_min_pd(_mm512_sub_pd(zero, x), x), &e_lo);
    const __m512d d_hi = _mm512_add_pd(one, e_hi);
    const __m512d d_lo =
        _mm512_add_pd(_mm512_add_pd(_mm512_sub_pd(one, d_hi), e_hi), e_lo);
    const __mmask8 positive = _mm512_cmp_pd_mask(x, zero, _CMP_GE_OQ);
    const __m512d num_hi = V_BLEND(e_hi, one, positive);
    const __m512d num_lo = V_BLEND(e_lo, zero, positive);
    const __m512d v = _mm512_div_pd(one, d_hi);
    const __m512d q = _mm512_mul_pd(num_hi, v);
    __m512d rem = _mm512_fnmadd_pd(q, d_hi, num_hi);
    rem = _mm512_fnmadd_pd(q, d_lo, _mm512_add_pd(rem, num_lo));
    return _mm512_fmadd_pd(rem, v, q);
}

/* tanh(x) = sign(x) * t(|x|), a = |x|:
 *   a < 0.25: t = a + a z P(z) / Q(z), z = a^2 (Cephes' rational
 *       approximation);
 *   a >= 0.25: t = 1 - 2 / D, D = exp(2 min(a, 20)) + 1 as d_hi + d_lo,
 *       v = 1 / d_hi, q = 2 v, w = (2 - q d_hi - q d_lo) v (the remainder
 *       of 2 / D - q), 1 - q = s + s_err (Fast2Sum), t = s + (s_err - w).
 * One division serves both branches (P / Q or 1 / d_hi). */
RR_AVX512_INLINE __m512d rr_v512_tanh_f64(__m512d x)
{
    const __m512d sign_bit = _mm512_set1_pd(-0.0);
    const __m512d ax = _mm512_andnot_pd(sign_bit, x); /* |x| */
    const __m512d one = _mm512_set1_pd(1.0);
    const __m512d two = _mm512_set1_pd(2.0);
    const __m512d z = _mm512_mul_pd(x, x);
    __m512d p = _mm512_set1_pd(-9.64399179425052238628e-01);
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(-9.92877231001918586564e+01));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(-1.61468768441708447952e+03));
    __m512d q = _mm512_add_pd(z, _mm512_set1_pd(1.12811678491632931402e+02));
    q = _mm512_fmadd_pd(q, z, _mm512_set1_pd(2.23548839060100448583e+03));
    q = _mm512_fmadd_pd(q, z, _mm512_set1_pd(4.84406305325125486048e+03));

    /* min(20, a) keeps NaN (the second operand) */
    const __m512d a = _mm512_min_pd(_mm512_set1_pd(20.0), ax);
    __m512d e_lo;
    const __m512d e_hi = rr_v512_exp_dd_f64(_mm512_add_pd(a, a), &e_lo);
    const __m512d d_hi = _mm512_add_pd(e_hi, one);
    const __m512d d_lo =
        _mm512_add_pd(_mm512_add_pd(_mm512_sub_pd(e_hi, d_hi), one), e_lo);

    /* small: a < 0.25 (false for NaN, which the large branch keeps) */
    const __mmask8 small =
        _mm512_cmp_pd_mask(ax, _mm512_set1_pd(0.25), _CMP_LT_OQ);
    const __m512d ratio =
        _mm512_div_pd(V_BLEND(one, p, small), V_BLEND(d_hi, q, small));
    const __m512d small_t = _mm512_fmadd_pd(ax, _mm512_mul_pd(z, ratio), ax);

    const __m512d quotient = _mm512_mul_pd(two, ratio); /* 2 / d_hi */
    __m512d rem = _mm512_fnmadd_pd(quotient, d_hi, two);
    rem = _mm512_fnmadd_pd(quotient, d_lo, rem);
    const __m512d w = _mm512_mul_pd(rem, ratio);
    const __m512d s = _mm512_sub_pd(one, quotient);
    const __m512d s_err = _mm512_sub_pd(_mm512_sub_pd(one, s), quotient);
    const __m512d large_t = _mm512_add_pd(s, _mm512_sub_pd(s_err, w));

    const __m512d magnitude = V_BLEND(large_t, small_t, small);
    return _mm512_or_pd(magnitude, _mm512_and_pd(sign_bit, x));
}

#else /* float */

/* Java's float32 sigmoid and tanh (Activations.sigmoid/tanh(float),
 * Lanes32) are the functions below, operation for operation: the same bits
 * (tests/test_float32_functions.py). A change here is a change there. */

/* expf(x) = p(r) 2^n for x already in [-104, 89] (NaN: NaN), given
 * n = round(x / ln 2) (the callers form n beside x, which shortens the
 * path to it: SFX(rr_v512_tanh_f32)):
 *   r = x - n ln 2 (two-part ln 2), exp(r) = p(r) by its Taylor series to
 *   r^7 (Horner, highest power first), exp(x) = p(r) * 2^n in one
 *   rounding (vscalefps). The AVX2 twin scales by 2^n1 then 2^n2 (n1 =
 *   n >> 1, n2 = n - n1): its first product is exact (|n1| <= 75 keeps it
 *   normal), so its one rounding is this one, and the bits the same. */
RR_AVX512_INLINE __m512 rr_v512_exp_reduced_f32(__m512 x, __m512 n)
{
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);

    static const float taylor[] = { /* 1/7!, ..., 1/2!, 1, 1 */
        1.98412698e-4f, 1.38888889e-3f, 8.33333333e-3f, 4.16666667e-2f,
        1.66666667e-1f, 0.5f, 1.0f, 1.0f,
    };
    __m512 p = _mm512_set1_ps(taylor[0]);
    RR_UNROLL(8)
    for (size_t i = 1; i < sizeof taylor / sizeof taylor[0]; i++) {
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(taylor[i]));
    }

    /* p * 2^n, n an integer in [-150, 129] (NaN lanes: p and n are NaN,
     * and so is the result) */
    return _mm512_scalef_ps(p, n);
}

/* 1 / ln 2 (float), the factor of n = round(x / ln 2) in every expf */
#define RR_V512_LOG2E_F32 1.44269504f

/* expf(x) for |x| up to ~104 (beyond: inf, 0; NaN stays NaN): x clamped
 * to [-104, 89] (min/max with the constant first keep NaN), then
 * rr_v512_exp_reduced_f32. */
RR_AVX512_INLINE __m512 rr_v512_exp_f32(__m512 x)
{
    x = _mm512_min_ps(_mm512_set1_ps(89.0f), x);
    x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);
    const __m512 n =
        V_ROUND(_mm512_mul_ps(x, _mm512_set1_ps(RR_V512_LOG2E_F32)));
    return rr_v512_exp_reduced_f32(x, n);
}

/* The argument of the sigmoid's expf: max(-104, -|x|), the clamp of
 * rr_v512_exp_f32 (its min with 89 leaves -|x| <= 0 as it is). -|x| is
 * min(x | sign, x): x | sign = -|x| <= x, and min returns its second
 * operand, x itself, when x is NaN or the two compare equal (x = +0
 * gives +0), as min(0 - x, x) did, in fewer cycles. */
RR_AVX512_INLINE __m512 rr_v512_sigmoid_arg_f32(__m512 x)
{
    const __m512 minus_abs =
        _mm512_min_ps(_mm512_or_ps(x, _mm512_set1_ps(-0.0f)), x);
    return _mm512_max_ps(_mm512_set1_ps(-104.0f), minus_abs);
}

/* Cephes' tanhf polynomial for |x| < 0.625: |x| + |x| z P(z), z = x^2 */
RR_AVX512_INLINE __m512 rr_v512_tanh_small_f32(__m512 x, __m512 ax)
{
    const __m512 z = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954e-2f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531e-2f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036e-1f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422e-1f));
    return _mm512_fmadd_ps(_mm512_mul_ps(p, z), ax, ax);
}

/* tanhf(x): sign(x) * (1 - 2 / (expf(2|x|) + 1)) for |x| >= 0.625, else
 * sign(x) * (|x| + |x| z P(z)), z = x^2 (Cephes' polynomial).
 * expf(2|x|) on 2a, a = min(44.5, |x|): 2a = min(89, 2|x|) (doubling is
 * exact), the clamp of rr_v512_exp_f32, and n = round(a * (2 / ln 2)) =
 * round(2a / ln 2) (the same product, rounded once), so n need not wait
 * for 2a: the bits of expf(2|x|), sooner. */
RR_AVX512_INLINE __m512 rr_v512_tanh_f32(__m512 x)
{
    const __m512 sign_bit = _mm512_set1_ps(-0.0f);
    const __m512 ax = _mm512_andnot_ps(sign_bit, x);
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 small_value = rr_v512_tanh_small_f32(x, ax);

    const __m512 a = _mm512_min_ps(_mm512_set1_ps(44.5f), ax);
    const __m512 n = V_ROUND(
        _mm512_mul_ps(a, _mm512_set1_ps(2.0f * RR_V512_LOG2E_F32)));
    const __m512 e = rr_v512_exp_reduced_f32(_mm512_add_ps(a, a), n);
    const __m512 ratio =
        _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one));
    const __mmask16 small =
        _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
    /* tanh is odd: the magnitude (1 - ratio, or the small value), then
     * the sign of x (tanh(-0) = -0) */
    const __m512 magnitude =
        _mm512_mask_sub_ps(small_value, (__mmask16)~small, one, ratio);
    return _mm512_or_ps(magnitude, _mm512_and_ps(sign_bit, x));
}

/* sigmoid(x) = num / (1 + e), e = expf(-|x|), num = 1 for x >= 0, else e:
 * the scalar formula of rr_sigmoid without its branch (x >= 0 is false for
 * NaN, and e / (1 + e) is then NaN). */
RR_AVX512_INLINE __m512 rr_v512_sigmoid_f32(__m512 x)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 zero = _mm512_setzero_ps();
    const __m512 arg = rr_v512_sigmoid_arg_f32(x);
    const __m512 e = rr_v512_exp_reduced_f32(
        arg, V_ROUND(_mm512_mul_ps(arg, _mm512_set1_ps(RR_V512_LOG2E_F32))));
    const __mmask16 positive = _mm512_cmp_ps_mask(x, zero, _CMP_GE_OQ);
    return _mm512_div_ps(V_BLEND(e, one, positive), _mm512_add_ps(one, e));
}

/* tanh on the lanes of `tanh_lanes`, sigmoid on the others, with one
 * expf and one division for both: per lane the operations of
 * rr_v512_tanh_f32 or rr_v512_sigmoid_f32 above, so the same bits
 * (1 + e and e + 1 are the same sum):
 *   tanh lanes:    e = expf(2|x|), q = 2 / (1 + e), then as tanh above;
 *   sigmoid lanes: e = expf(-|x|), q = num / (1 + e), num = 1 or e. */
RR_AVX512_INLINE __m512 rr_v512_tanh_sigmoid_f32(__m512 x,
                                                 __mmask16 tanh_lanes)
{
    const __m512 sign_bit = _mm512_set1_ps(-0.0f);
    const __m512 ax = _mm512_andnot_ps(sign_bit, x);
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 zero = _mm512_setzero_ps();
    const __m512 small_value = rr_v512_tanh_small_f32(x, ax);

    /* expf's argument and n: 2a and round(a * 2 / ln 2) on tanh lanes
     * (a = min(44.5, |x|)), max(-104, -|x|) and round(it / ln 2) else */
    const __m512 a = _mm512_min_ps(_mm512_set1_ps(44.5f), ax);
    const __m512 s_arg = rr_v512_sigmoid_arg_f32(x);
    const __m512 n = V_ROUND(_mm512_mul_ps(
        V_BLEND(s_arg, a, tanh_lanes),
        V_BLEND(_mm512_set1_ps(RR_V512_LOG2E_F32),
                _mm512_set1_ps(2.0f * RR_V512_LOG2E_F32), tanh_lanes)));
    const __m512 e = rr_v512_exp_reduced_f32(
        V_BLEND(s_arg, _mm512_add_ps(a, a), tanh_lanes), n);
    const __mmask16 positive = _mm512_cmp_ps_mask(x, zero, _CMP_GE_OQ);
    const __m512 num =
        V_BLEND(V_BLEND(e, one, positive), _mm512_set1_ps(2.0f), tanh_lanes);
    const __m512 q = _mm512_div_ps(num, _mm512_add_ps(one, e));
    const __mmask16 small =
        _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
    /* sigmoid lanes: q; tanh lanes: the magnitude of rr_v512_tanh_f32
     * with the sign of x */
    const __m512 magnitude =
        _mm512_mask_sub_ps(small_value, (__mmask16)~small, one, q);
    return _mm512_mask_or_ps(q, tanh_lanes, magnitude,
                             _mm512_and_ps(sign_bit, x));
}

#undef RR_V512_LOG2E_F32

#endif

#if RR_REAL_BITS == 64
/* tanh on the lanes of `tanh_lanes`, sigmoid on the others: both
 * functions above, blended (their double-double steps differ too much to
 * share one exp). */
RR_AVX512_INLINE __m512d rr_v512_tanh_sigmoid_f64(__m512d x,
                                                  __mmask8 tanh_lanes)
{
    return V_BLEND(rr_v512_sigmoid_f64(x), rr_v512_tanh_f64(x), tanh_lanes);
}
#endif

/* The generic names: tanh, sigmoid of VEC (both precisions) */
#undef V_TANH
#undef V_SIGMOID
#undef V_TANH_SIGMOID
#define V_TANH SFX(rr_v512_tanh)
#define V_SIGMOID SFX(rr_v512_sigmoid)
#define V_TANH_SIGMOID SFX(rr_v512_tanh_sigmoid)

/* clamp(x) to [-limit, limit]; NaN propagates (min/max return their second
 * operand when one is NaN) */
RR_AVX512_INLINE VEC SFX(rr_v512_clamp)(VEC x, VEC limit)
{
    const VEC low = V_SUB(V_ZERO(), limit);
    return V_MIN(limit, V_MAX(low, x));
}

/* relu(x) = x < 0 ? 0 : x: max(0, x) returns x for NaN and for -0.0 */
RR_AVX512_INLINE VEC SFX(rr_v512_relu)(VEC x)
{
    return V_MAX(V_ZERO(), x);
}

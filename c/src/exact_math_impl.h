/* exact_math_impl.h - the exact kernel's elementary functions in
 * double-double (exp, expm1, tanh, sigmoid), line by line as
 * docs/exact-kernel.md ("Elementary functions") writes them: only binary64
 * + - * /, rint, floor, pow2 and isnan; no platform exp or tanh. Static:
 * read once by each ISA variant of the kernel (exact_isa_impl.h), whose
 * instruction set the compiler vectorizes these blocks for.
 *
 * Each function runs over a vector of n values, RR_MATH_BLOCK at a time:
 * every line of the algorithm is a loop over the block (a fixed count, so
 * GCC vectorizes it, and the values' dependency chains overlap), the
 * special cases chosen per value around it. A block is 32 values: four
 * 8-double vectors (AVX-512), whose dependency chains (Horner, the ten
 * squarings) overlap; each value's operations are the same in any block.
 *
 * Two of the allowed operations are written out so that they vectorize,
 * with the same results:
 *   rint(t) for |t| < 2^51 = copysign((t + 1.5*2^52) - 1.5*2^52, t): the
 *     sum lands where the spacing of doubles is 1, so it rounds t to an
 *     integer, ties to even (the default rounding mode); copysign keeps
 *     the sign of a zero result, as rint does. reduce() only sees
 *     |t| < 1100 (its arguments are clamped first).
 *   pow2(k) for -1022 <= k <= 1023 is built from its bits, (k + 1023) << 52.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#define RR_MATH_BLOCK 32
#define B RR_MATH_BLOCK

/* ln 2 in three parts, and 1 / ln 2 */
#define LN2_1 0x1.62e42fefa39efp-1
#define LN2_2 0x1.abc9e3b39803fp-56
#define LN2_3 0x1.7b57a079a1934p-111
#define INV_LN2 0x1.71547652b82fep+0
#define RINT_MAGIC 0x1.8p52

/* C[k] = 1/k! as (hi, lo), k = 2 .. 9 (index k - 2) */
static const double TAYLOR_HI[8] = {
    0x1.0000000000000p-1,  0x1.5555555555555p-3,  0x1.5555555555555p-5,
    0x1.1111111111111p-7,  0x1.6c16c16c16c17p-10, 0x1.a01a01a01a01ap-13,
    0x1.a01a01a01a01ap-16, 0x1.71de3a556c734p-19,
};
static const double TAYLOR_LO[8] = {
    0x0.0p+0,              0x1.5555555555555p-57, 0x1.5555555555555p-59,
    0x1.1111111111111p-63, -0x1.f49f49f49f49fp-65, 0x1.a01a01a01a01ap-73,
    0x1.a01a01a01a01ap-76, -0x1.c154f8ddc6c00p-73,
};

/* A block of dd values: element i is (hi[i], lo[i]). */
typedef struct dd_block {
    double hi[B];
    double lo[B];
} dd_block;

static inline rr_dd get(const dd_block *v, size_t i)
{
    return rr_dd_make(v->hi[i], v->lo[i]);
}

static inline void put(dd_block *v, size_t i, rr_dd d)
{
    v->hi[i] = d.hi;
    v->lo[i] = d.lo;
}

/* dd_mul, dd_div, two_prod with the error term by FMA (fma 1: only in the
 * FMA variants, and only where the caller knows the operands are tame,
 * exact.h) or by Dekker's formula (fma 0); the same results either way.
 * fma is a constant after inlining. */
static inline __attribute__((always_inline)) rr_dd mul_by(int fma, rr_dd a,
                                                          rr_dd b)
{
#if RR_EXACT_FMA
    if (fma) {
        return rr_dd_mul_fma(a, b);
    }
#endif
    (void)fma;
    return rr_dd_mul(a, b);
}

static inline __attribute__((always_inline)) rr_dd div_by(int fma, rr_dd a,
                                                          rr_dd b)
{
#if RR_EXACT_FMA
    if (fma) {
        return rr_dd_div_fma(a, b);
    }
#endif
    (void)fma;
    return rr_dd_div(a, b);
}

static inline __attribute__((always_inline)) rr_dd two_prod_by(int fma,
                                                               double a,
                                                               double b)
{
#if RR_EXACT_FMA
    if (fma) {
        return rr_two_prod_fma(a, b);
    }
#endif
    (void)fma;
    return rr_two_prod(a, b);
}

/* Whether |x| is 0 or at least 2^-470 (and not NaN): a value whose dd
 * products below stay tame (exact.h) */
static inline int not_tiny(double x)
{
    return (x == 0.0) | (x >= 0x1p-470) | (x <= -0x1p-470);
}

/* reduce's polynomial and squarings (below) from s [B], into q. The
 * products' operands are tame when every s.hi is 0 or |s.hi| >= 2^-470
 * (fma may be 1 then): t in [C[9], 1], u near 1, and |q| grows from
 * about |s| (each squaring step multiplies |q| < 0.41 by |2 + q| > 1.5).
 */
static inline __attribute__((always_inline)) void
reduce_poly(int fma, const dd_block *restrict s, dd_block *restrict q)
{
    dd_block t;
    for (size_t i = 0; i < B; i++) {
        t.hi[i] = TAYLOR_HI[7]; /* C[9] */
        t.lo[i] = TAYLOR_LO[7];
    }
    for (int k = 8; k >= 2; k--) {
        const rr_dd ck = rr_dd_make(TAYLOR_HI[k - 2], TAYLOR_LO[k - 2]);
        for (size_t i = 0; i < B; i++) {
            put(&t, i, rr_dd_add(ck, mul_by(fma, get(s, i), get(&t, i))));
        }
    }
    for (size_t i = 0; i < B; i++) {
        const rr_dd u =
            rr_dd_add(rr_dd_of(1.0), mul_by(fma, get(s, i), get(&t, i)));
        put(q, i, mul_by(fma, get(s, i), u));
    }
    for (int rep = 0; rep < 10; rep++) { /* (1 + q)^2 - 1 */
        for (size_t i = 0; i < B; i++) {
            const rr_dd qi = get(q, i);
            put(q, i, rr_dd_add(rr_dd_make(2 * qi.hi, 2 * qi.lo),
                                mul_by(fma, qi, qi)));
        }
    }
}

/*
 * reduce over a block (|x.hi| < 710 for every element):
 *   n = rint(x.hi / ln 2); r = x - n ln 2 (three parts); s = r * 2^-10
 *   q = s + s^2/2! + ... + s^9/9! (Horner), then ten times q <- 2q + q^2
 * so that e^x = 2^n (1 + q). two_prod(n, LN2_k) is always tame (n an
 * integer, |n| < 1100): by FMA in the FMA variants.
 */
static void reduce_block(const dd_block *restrict x, double *restrict n_out,
                         dd_block *restrict q)
{
    dd_block s;
    int tame = 1;
    for (size_t i = 0; i < B; i++) {
        const double scaled = x->hi[i] * INV_LN2;
        const double n =
            copysign((scaled + RINT_MAGIC) - RINT_MAGIC, scaled); /* rint */
        rr_dd r = rr_dd_sub(get(x, i), two_prod_by(RR_EXACT_FMA, n, LN2_1));
        r = rr_dd_sub(r, two_prod_by(RR_EXACT_FMA, n, LN2_2));
        r = rr_dd_sub(r, rr_dd_of(n * LN2_3)); /* |r| <= 0.3466 */
        n_out[i] = n;
        s.hi[i] = r.hi * 0x1p-10;
        s.lo[i] = r.lo * 0x1p-10;
        tame &= not_tiny(s.hi[i]);
    }
    if (RR_EXACT_FMA && tame) {
        reduce_poly(1, &s, q);
    } else {
        reduce_poly(0, &s, q);
    }
}

/* pow2(k) = 2^k, -1022 <= k <= 1023, from its bits */
static inline double pow2(double k)
{
    const uint64_t bits = (uint64_t)((int64_t)k + 1023) << 52;
    double p;
    memcpy(&p, &bits, sizeof p);
    return p;
}

/* scale(d, n) = d * 2^n in two exact steps: n1 = floor(n/2), n2 = n - n1 */
static inline rr_dd scale(rr_dd d, double n)
{
    const double n1 = floor(n * 0.5);
    const double n2 = n - n1;
    const double p1 = pow2(n1);
    const double p2 = pow2(n2);
    return rr_dd_make((d.hi * p1) * p2, (d.lo * p1) * p2);
}

/* e^x = scale(1 + q, n) for the elements of a block (|x.hi| < 710) */
static void exp_block(const dd_block *x, dd_block *y)
{
    double n[B];
    dd_block q;
    reduce_block(x, n, &q);
    for (size_t i = 0; i < B; i++) {
        put(y, i, scale(rr_dd_add(rr_dd_of(1.0), get(&q, i)), n[i]));
    }
}

/* e^x - 1 = q when n == 0, else scale(1 + q, n) - 1 (|x.hi| < 80) */
static void expm1_block(const dd_block *x, dd_block *y)
{
    double n[B];
    dd_block q;
    reduce_block(x, n, &q);
    for (size_t i = 0; i < B; i++) { /* both sides, then a select */
        const rr_dd qi = get(&q, i);
        const rr_dd e = scale(rr_dd_add(rr_dd_of(1.0), qi), n[i]);
        const rr_dd em1 = rr_dd_sub(e, rr_dd_of(1.0));
        put(y, i, n[i] == 0 ? qi : em1);
    }
}

/* The block of x from `first`: count elements, the rest zero. */
static void load_block(rr_dd_vec x, size_t first, size_t count, dd_block *v)
{
    for (size_t i = 0; i < B; i++) {
        v->hi[i] = i < count ? x.hi[first + i] : 0.0;
        v->lo[i] = i < count ? x.lo[first + i] : 0.0;
    }
}

/* y[first + i] = v[i] for i < count */
static void store_block(const dd_block *v, size_t count, rr_dd_vec y,
                        size_t first)
{
    for (size_t i = 0; i < count; i++) {
        y.hi[first + i] = v->hi[i];
        y.lo[first + i] = v->lo[i];
    }
}

/* exp_dd: NaN -> (x.hi, x.hi); x.hi >= 710 -> (+inf, 0); x.hi <= -746 ->
 * (0, 0); else e^x. The special elements run reduce on 0 (discarded). */
static void exp_vec(size_t n, rr_dd_vec x, rr_dd_vec y)
{
    for (size_t first = 0; first < n; first += B) {
        const size_t count = n - first < B ? n - first : B;
        dd_block v, e;
        load_block(x, first, count, &v);
        dd_block arg = v;
        for (size_t i = 0; i < B; i++) {
            const double h = v.hi[i];
            if (isnan(h) || h >= 710 || h <= -746) {
                arg.hi[i] = 0.0;
                arg.lo[i] = 0.0;
            }
        }
        exp_block(&arg, &e);
        for (size_t i = 0; i < B; i++) { /* the special values last: selects */
            const double h = v.hi[i];
            rr_dd r = get(&e, i);
            r = h <= -746 ? rr_dd_make(0.0, 0.0) : r;
            r = h >= 710 ? rr_dd_make(INFINITY, 0.0) : r;
            put(&e, i, isnan(h) ? rr_dd_make(h, h) : r);
        }
        store_block(&e, count, y, first);
    }
}

/* y[i] = exp_dd(x[i]) for i < n (y may be x) */
static void rr_exp_dd_n(size_t n, rr_dd_vec x, rr_dd_vec y)
{
    exp_vec(n, x, y);
}

/* tanh's last step over a block: m = expm1(2|x|) in, tanh(x) out */
static inline __attribute__((always_inline)) void
tanh_finish(int fma, const dd_block *restrict v, dd_block *restrict m)
{
    for (size_t i = 0; i < B; i++) { /* every case, then selects */
        const rr_dd xi = get(v, i);
        const rr_dd mi = get(m, i);
        const rr_dd q = div_by(fma, mi, rr_dd_add(mi, rr_dd_of(2.0)));
        const int neg = xi.hi < 0;
        const rr_dd a = neg ? rr_dd_neg(xi) : xi;
        const rr_dd t = a.hi >= 40 ? rr_dd_of(1.0) : q;
        const rr_dd r = neg ? rr_dd_neg(t) : t;
        put(m, i, (isnan(xi.hi) | (xi.hi == 0)) ? xi : r);
    }
}

/* tanh_dd: NaN or 0 -> x; a = |x|; a.hi >= 40 -> 1; else
 * m = expm1(2a), t = m / (m + 2); the sign of x put back */
static void rr_tanh_dd_n(size_t n, rr_dd_vec x, rr_dd_vec y)
{
    for (size_t first = 0; first < n; first += B) {
        const size_t count = n - first < B ? n - first : B;
        dd_block v, arg, m;
        load_block(x, first, count, &v);
        for (size_t i = 0; i < B; i++) {
            const rr_dd xi = get(&v, i);
            const rr_dd a = xi.hi < 0 ? rr_dd_neg(xi) : xi;
            const int direct = isnan(xi.hi) || xi.hi == 0 || a.hi >= 40;
            arg.hi[i] = direct ? 0.0 : 2 * a.hi;
            arg.lo[i] = direct ? 0.0 : 2 * a.lo;
        }
        expm1_block(&arg, &m);
        /* m in [0, e^80): m / (m + 2) divides tame operands when m is 0
         * or at least 2^-470 (the quotient is then at least 2^-472) */
        int tame = 1;
        for (size_t i = 0; i < B; i++) {
            tame &= not_tiny(m.hi[i]);
        }
        if (RR_EXACT_FMA && tame) {
            tanh_finish(1, &v, &m);
        } else {
            tanh_finish(0, &v, &m);
        }
        store_block(&m, count, y, first);
    }
}

/* sigmoid's last step over a block: e = exp(-|x|) in, sigmoid(x) out */
static inline __attribute__((always_inline)) void
sigmoid_finish(int fma, const dd_block *restrict v, dd_block *restrict e)
{
    for (size_t i = 0; i < B; i++) {
        /* x.hi >= 0: 1 / (1 + e), else e / (1 + e); NaN: x */
        const rr_dd xi = get(v, i);
        const rr_dd ei = get(e, i);
        const rr_dd den = rr_dd_add(rr_dd_of(1.0), ei);
        const rr_dd num = xi.hi >= 0 ? rr_dd_of(1.0) : ei;
        const rr_dd r = div_by(fma, num, den);
        put(e, i, isnan(xi.hi) ? xi : r);
    }
}

/* sigmoid_dd: NaN -> x; x.hi >= 0: 1 / (1 + e^-x); else e^x / (1 + e^x) */
static void rr_sigmoid_dd_n(size_t n, rr_dd_vec x, rr_dd_vec y)
{
    for (size_t first = 0; first < n; first += B) {
        const size_t count = n - first < B ? n - first : B;
        dd_block v, arg, e;
        load_block(x, first, count, &v);
        for (size_t i = 0; i < B; i++) {
            const rr_dd xi = get(&v, i);
            put(&arg, i, xi.hi >= 0 ? rr_dd_neg(xi) : xi);
        }
        const rr_dd_vec arg_vec = { arg.hi, arg.lo };
        const rr_dd_vec e_vec = { e.hi, e.lo };
        exp_vec(B, arg_vec, e_vec); /* the whole block (zeros past count) */
        /* e = e^-|x| in [0, 1] (NaN for NaN x): num / (1 + e) divides
         * tame operands when every e is 0 or at least 2^-470 */
        int tame = 1;
        for (size_t i = 0; i < B; i++) {
            tame &= not_tiny(e.hi[i]);
        }
        if (RR_EXACT_FMA && tame) {
            sigmoid_finish(1, &v, &e);
        } else {
            sigmoid_finish(0, &v, &e);
        }
        store_block(&e, count, y, first);
    }
}

#undef B

/*
 * exact_dd.h - the double-double primitives of the exact kernel, word for
 * word as docs/exact-kernel.md ("Primitives") writes them: every line is one
 * binary64 operation in the order written. The library is built with
 * -ffp-contract=off, so that no a * b + c here becomes a fused multiply-add.
 *
 * A dd is a pair (hi, lo) whose value is hi + lo; normalized when it came
 * out of fast_two_sum or two_sum (then its rounding to double is hi).
 *
 * The _fma forms compute two_prod's error term by one fused multiply-add,
 * e = fma(a, b, -p): the same double as Dekker's formula where a and b
 * are tame (exact.h, rr_exact_tame), so only the FMA variants of the
 * kernel call them, and only where their operands are known to be tame
 * (exact_isa_impl.h, RR_EXACT_FMA).
 */
#ifndef RR_EXACT_DD_H
#define RR_EXACT_DD_H

#include <math.h>

typedef struct rr_dd {
    double hi;
    double lo;
} rr_dd;

/* 134217729 = 2^27 + 1, Veltkamp's splitting constant */
#define RR_DD_SPLITTER 0x1.0000002p+27

static inline rr_dd rr_dd_make(double hi, double lo)
{
    rr_dd d;
    d.hi = hi;
    d.lo = lo;
    return d;
}

/* dd(x) = (x, 0.0) */
static inline rr_dd rr_dd_of(double x)
{
    return rr_dd_make(x, 0.0);
}

/* s + e == a + b exactly */
static inline rr_dd rr_two_sum(double a, double b)
{
    const double s = a + b;
    const double v = s - a;
    const double e = (a - (s - v)) + (b - v);
    return rr_dd_make(s, e);
}

/* s + e == a + b exactly, for |a| >= |b| or a == 0 */
static inline rr_dd rr_fast_two_sum(double a, double b)
{
    const double s = a + b;
    const double e = b - (s - a);
    return rr_dd_make(s, e);
}

/* a == hi + lo, 26 significant bits each */
static inline rr_dd rr_split(double a)
{
    const double t = RR_DD_SPLITTER * a;
    const double hi = t - (t - a);
    const double lo = a - hi;
    return rr_dd_make(hi, lo);
}

/* The error term of a * b (Dekker), from p = a * b and the halves of a
 * and b: e = (((ah*bh - p) + ah*bl) + al*bh) + al*bl. */
static inline double rr_two_prod_error(double p, double ah, double al,
                                       double bh, double bl)
{
    return (((ah * bh - p) + ah * bl) + al * bh) + al * bl;
}

/* p + e == a * b exactly; the order of a and b is part of the spec */
static inline rr_dd rr_two_prod(double a, double b)
{
    const double p = a * b;
    const rr_dd as = rr_split(a);
    const rr_dd bs = rr_split(b);
    return rr_dd_make(p, rr_two_prod_error(p, as.hi, as.lo, bs.hi, bs.lo));
}

/* rr_two_prod for tame a, b: e = fma(a, b, -p), one rounding */
static inline rr_dd rr_two_prod_fma(double a, double b)
{
    const double p = a * b;
    return rr_dd_make(p, fma(a, b, -p));
}

static inline rr_dd rr_dd_add(rr_dd a, rr_dd b)
{
    rr_dd s = rr_two_sum(a.hi, b.hi);
    const rr_dd t = rr_two_sum(a.lo, b.lo);
    s.lo = s.lo + t.hi;
    s = rr_fast_two_sum(s.hi, s.lo);
    s.lo = s.lo + t.lo;
    return rr_fast_two_sum(s.hi, s.lo);
}

static inline rr_dd rr_dd_neg(rr_dd a)
{
    return rr_dd_make(-a.hi, -a.lo);
}

static inline rr_dd rr_dd_sub(rr_dd a, rr_dd b)
{
    return rr_dd_add(a, rr_dd_neg(b));
}

/* dd_mul's rest, from p = two_prod(a.hi, b.hi) */
static inline rr_dd rr_dd_mul_from(rr_dd p, rr_dd a, rr_dd b)
{
    p.lo = p.lo + (a.hi * b.lo + a.lo * b.hi);
    return rr_fast_two_sum(p.hi, p.lo);
}

static inline rr_dd rr_dd_mul(rr_dd a, rr_dd b)
{
    return rr_dd_mul_from(rr_two_prod(a.hi, b.hi), a, b);
}

/* rr_dd_mul for tame a.hi, b.hi */
static inline rr_dd rr_dd_mul_fma(rr_dd a, rr_dd b)
{
    return rr_dd_mul_from(rr_two_prod_fma(a.hi, b.hi), a, b);
}

/* dd_div's rest, from q1 = a.hi / b.hi and p = two_prod(q1, b.hi) */
static inline rr_dd rr_dd_div_from(double q1, rr_dd p, rr_dd a, rr_dd b)
{
    const double r = (((a.hi - p.hi) - p.lo) + a.lo) - q1 * b.lo;
    const double q2 = r / b.hi;
    return rr_fast_two_sum(q1, q2);
}

static inline rr_dd rr_dd_div(rr_dd a, rr_dd b)
{
    const double q1 = a.hi / b.hi;
    return rr_dd_div_from(q1, rr_two_prod(q1, b.hi), a, b);
}

/* rr_dd_div for tame a.hi / b.hi and b.hi */
static inline rr_dd rr_dd_div_fma(rr_dd a, rr_dd b)
{
    const double q1 = a.hi / b.hi;
    return rr_dd_div_from(q1, rr_two_prod_fma(q1, b.hi), a, b);
}

/* relu_dd(x) = x.hi < 0 ? (0, 0) : x (NaN stays NaN) */
static inline rr_dd rr_dd_relu(rr_dd x)
{
    return x.hi < 0 ? rr_dd_make(0.0, 0.0) : x;
}

/* clip_dd(x, L) = x.hi > L ? dd(L) : (x.hi < -L ? dd(-L) : x) */
static inline rr_dd rr_dd_clip(rr_dd x, double limit)
{
    return x.hi > limit ? rr_dd_of(limit)
                        : (x.hi < -limit ? rr_dd_of(-limit) : x);
}

#endif /* RR_EXACT_DD_H */

/*
 * exact.h - the exact kernel (RR_KERNEL_EXACT, docs/exact-kernel.md): the
 * double-double type and functions (exact_dd.h, exact_math.c) that
 * exact.c builds the kernel from. Not part of the API.
 */
#ifndef RR_EXACT_H
#define RR_EXACT_H

#include "exact_dd.h"
#include "internal.h"

/* A dd vector [n]: element i is (hi[i], lo[i]). */
typedef struct rr_dd_vec {
    double *hi;
    double *lo;
} rr_dd_vec;

/* The activations of a dot product (exact_dot_impl.h): v [K], lo [K] its
 * low parts for add_product_dd (NULL for add_product), and split(v[k])
 * into split_hi, split_lo [K], made once for all the outputs. */
typedef struct rr_exact_acts {
    const double *v;
    const double *lo;
    double *split_hi;
    double *split_lo;
} rr_exact_acts;

/* Fill a's split_hi, split_lo [k] from a.v. */
static inline void rr_exact_acts_split(rr_exact_acts a, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        const rr_dd halves = rr_split(a.v[i]);
        a.split_hi[i] = halves.hi;
        a.split_lo[i] = halves.lo;
    }
}

/* --- exact_math.c: normalized dd in, normalized dd out ------------------ */

/* y[i] = f(x[i]) for i < n (y may be x), f = exp_dd, tanh_dd, sigmoid_dd */
void rr_exp_dd_n(size_t n, rr_dd_vec x, rr_dd_vec y);
void rr_tanh_dd_n(size_t n, rr_dd_vec x, rr_dd_vec y);
void rr_sigmoid_dd_n(size_t n, rr_dd_vec x, rr_dd_vec y);

/* ... of one value (the same bits as the vector functions) */
rr_dd rr_exp_dd(rr_dd x);
rr_dd rr_tanh_dd(rr_dd x);
rr_dd rr_sigmoid_dd(rr_dd x);

/* exact.c, per precision: rr_exact_run_sequence_f64/_f32 and
 * rr_exact_dense_f64/_f32 are declared in internal_real.h, where the
 * sequence driver and the chains find them. */

#endif /* RR_EXACT_H */

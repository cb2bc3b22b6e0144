/*
 * exact_dot_impl.h - the exact kernel's dot products (docs/exact-kernel.md,
 * "Dot products"), for one storage precision (REAL, SFX: see real.h): the
 * weights are REAL, the activations doubles (a float32 net's values,
 * exactly), every operation binary64.
 *
 * n outputs j are computed at once, each with its own accumulator (s, c):
 *     start:           (s, c) = (0, 0); add_term(b[j])
 *     add_product:     (p, e) = two_prod(v[k], W[j][k]);
 *                      (s, q) = two_sum(s, p); c = c + (q + e)
 *     add_product_dd:  as add_product on v[k].hi, then c = c + ((q + e) +
 *                      v[k].lo * W[j][k])
 *     finish:          (hi, lo) = two_sum(s, c)
 * k runs in index order for every output; the outputs are independent, so
 * the loops run across j (blocks of RR_EXACT_BLOCK = 8 units, the
 * accumulators in registers; then the tail), never across k. A full block
 * of a net's matrix is written with GCC vector types (rr_v8d, 8 doubles),
 * which the ISA variant (exact.h) maps to 2, 4 or 8 doubles per instruction,
 * and takes up to RR_EXACT_ROWS rows of activations at once, so that each
 * weight and its halves are read once for all of them; the rest runs the
 * scalar block (exact_products_block). Both do the same operations.
 *
 * A panel holds W as w[k*ldw + j] = W[j][k] (a gate block of rr_packed with
 * nr = U, or a head; a dense layer's row with ldw = 1), and, for a net's
 * matrices, the Veltkamp halves of each weight made at pack time (wh, wl
 * at the same index: the bits of split(W[j][k]) without its four
 * operations) and whether all its weights are tame (rr_exact_split_tame).
 * The activations come with their halves too (rr_exact_acts, split once
 * for all the outputs): two_prod(v, w)'s error term is then
 * rr_two_prod_error(p, split(v), split(w)), the same operations.
 *
 * Two faster ways to the same error term e, for a full vector block (the
 * mode of exact_products_block_v, chosen per gate block and rows):
 *   RR_DOT_FMA    e = fma(v, w, -p), in the FMA variants (RR_EXACT_FMA)
 *                 where every weight of the matrix and every activation is
 *                 tame (exact.h: then it is Dekker's double, zero sign too);
 *   RR_DOT_EXACT  float32 nets whose activations are all finite float32
 *                 values (narrow) and weights all finite (tame): v * w is
 *                 exact, e = +0, and c + (q + (+0)) == c + q bit for bit
 *                 (c starts as 0.0 + t.lo and is only ever c + x, so it is
 *                 never -0: adding -0 or +0 to it gives the same double),
 *                 so the products are c = c + q. Any variant.
 */
#include "real.h"

/* W [n][K] as panels; wh, wl NULL: split each weight where it is used;
 * tame: every weight of the matrix is rr_exact_tame (0 without halves) */
typedef struct SFX(exact_panel) {
    const REAL *w;
    const double *wh;
    const double *wl;
    size_t ldw;
    int tame;
} SFX(exact_panel);

#ifndef RR_DOT_MODES
#define RR_DOT_MODES
/* how a vector block computes two_prod's error term (above) */
enum { RR_DOT_DEKKER = 0, RR_DOT_FMA = 1, RR_DOT_EXACT = 2 };
#endif

/* The panel from unit `first` on (same k rows). */
static inline SFX(exact_panel) SFX(exact_panel_from)(SFX(exact_panel) p,
                                                     size_t first)
{
    p.w += first;
    if (p.wh != NULL) {
        p.wh += first;
        p.wl += first;
    }
    return p;
}

#if RR_EXACT_VECTORS
/* 8 consecutive REALs as doubles (exact: a float is a double) */
static inline __attribute__((always_inline)) void
SFX(exact_load8)(const REAL *p, rr_v8d *out)
{
#if RR_REAL_BITS == 64
    memcpy(out, p, sizeof *out);
#else
    rr_v8f f;
    memcpy(&f, p, sizeof f);
    *out = __builtin_convertvector(f, rr_v8d);
#endif
}
#endif

/* (s, c)[j] = add_term(bias[j]) from (0, 0); bias NULL adds +0.0 */
static void SFX(exact_start)(size_t n, const REAL *bias, double *s, double *c)
{
    for (size_t j = 0; j < n; j++) {
        const double b = bias != NULL ? (double)bias[j] : 0.0;
        const rr_dd t = rr_two_sum(0.0, b);
        s[j] = t.hi;
        c[j] = 0.0 + t.lo;
    }
}

/* add_product(v[k], W[j][k]) (with_lo 0) or add_product_dd((v[k], vl[k]),
 * W[j][k]) (with_lo 1) for k = 0 .. K-1 and the `count` (<= RR_EXACT_BLOCK)
 * outputs of panel p; count and the flags are constants after inlining. */
static inline void SFX(exact_products_block)(size_t count, int presplit,
                                             int with_lo, size_t kk,
                                             SFX(exact_panel) p,
                                             rr_exact_acts v,
                                             double *restrict s,
                                             double *restrict c)
{
    double acc_s[RR_EXACT_BLOCK] = { 0 };
    double acc_c[RR_EXACT_BLOCK] = { 0 };
    for (size_t j = 0; j < count; j++) {
        acc_s[j] = s[j];
        acc_c[j] = c[j];
    }
    for (size_t k = 0; k < kk; k++) {
        const double a = v.v[k];
        const double a_lo = with_lo ? v.lo[k] : 0.0;
        const rr_dd as = rr_dd_make(v.split_hi[k], v.split_lo[k]);
        const REAL *restrict row = p.w + k * p.ldw;
        const double *restrict row_h = presplit ? p.wh + k * p.ldw : NULL;
        const double *restrict row_l = presplit ? p.wl + k * p.ldw : NULL;
        RR_UNROLL(RR_EXACT_BLOCK)
        for (size_t j = 0; j < count; j++) {
            const double b = (double)row[j];
            const double prod = a * b;
            const rr_dd bs = presplit ? rr_dd_make(row_h[j], row_l[j])
                                      : rr_split(b);
            const double e =
                rr_two_prod_error(prod, as.hi, as.lo, bs.hi, bs.lo);
            const rr_dd t = rr_two_sum(acc_s[j], prod);
            acc_s[j] = t.hi;
            acc_c[j] = with_lo ? acc_c[j] + ((t.lo + e) + a_lo * b)
                               : acc_c[j] + (t.lo + e);
        }
    }
    for (size_t j = 0; j < count; j++) {
        s[j] = acc_s[j];
        c[j] = acc_c[j];
    }
}

/* The products of every k into the n accumulators of panel p (one row of
 * activations), RR_EXACT_BLOCK units at a time with scalar code. */
static void SFX(exact_products)(size_t n, size_t kk, SFX(exact_panel) p,
                                rr_exact_acts v, double *s, double *c)
{
    const int presplit = p.wh != NULL, with_lo = v.lo != NULL;
    size_t j = 0;
    for (; j + RR_EXACT_BLOCK <= n; j += RR_EXACT_BLOCK) {
        const SFX(exact_panel) q = SFX(exact_panel_from)(p, j);
        /* one specialized loop per case: the flags are constants in it */
        if (presplit && !with_lo) {
            SFX(exact_products_block)(RR_EXACT_BLOCK, 1, 0, kk, q, v, s + j,
                                      c + j);
        } else if (presplit) {
            SFX(exact_products_block)(RR_EXACT_BLOCK, 1, 1, kk, q, v, s + j,
                                      c + j);
        } else if (!with_lo) {
            SFX(exact_products_block)(RR_EXACT_BLOCK, 0, 0, kk, q, v, s + j,
                                      c + j);
        } else {
            SFX(exact_products_block)(RR_EXACT_BLOCK, 0, 1, kk, q, v, s + j,
                                      c + j);
        }
    }
    if (j < n) {
        SFX(exact_products_block)(n - j, presplit, with_lo, kk,
                                  SFX(exact_panel_from)(p, j), v, s + j,
                                  c + j);
    }
}

#if RR_EXACT_VECTORS
/* exact_products_block for `cols` (1 or 2) full blocks of RR_EXACT_BLOCK
 * (8) units with presplit weights, for `rows` (<= RR_EXACT_ROWS, rows *
 * cols too) rows of activations v[r] into accumulators s, c + r*ld (block
 * cc at + cc*8): each weight and its halves are read once per k for all
 * the rows, and the rows * cols accumulators' chains of additions overlap.
 * GCC vector types (rr_v8d) hold the 8 units; every line is the scalar
 * code's operation on each unit, so the bits are those of
 * exact_products_block; the ISA variant decides how wide the machine
 * vectors are. mode (RR_DOT_*: how e is computed, the same double each
 * way), cols, rows and with_lo are constants after inlining. */
static inline __attribute__((always_inline)) void
SFX(exact_products_block_v)(int mode, int with_lo, size_t cols, size_t rows,
                            size_t kk, SFX(exact_panel) p,
                            const rr_exact_acts *v, double *s, double *c,
                            size_t ld)
{
    /* [cols * rows] of [8]: accumulator i = cc * rows + r */
    rr_v8d acc_s[RR_EXACT_ROWS], acc_c[RR_EXACT_ROWS];
    RR_UNROLL(RR_EXACT_ROWS)
    for (size_t i = 0; i < cols * rows; i++) {
        const size_t at = (i % rows) * ld + (i / rows) * RR_EXACT_BLOCK;
        memcpy(&acc_s[i], s + at, sizeof(rr_v8d));
        memcpy(&acc_c[i], c + at, sizeof(rr_v8d));
    }
    for (size_t k = 0; k < kk; k++) {
        RR_UNROLL(2)
        for (size_t cc = 0; cc < cols; cc++) {
            /* W[j][k] for the block's 8 units j, and split(W[j][k]) */
            const size_t at = k * p.ldw + cc * RR_EXACT_BLOCK;
            rr_v8d b, bh, bl;
            /* the rows RR_EXACT_AHEAD k ahead are a stride of ldw away:
             * too far for the hardware prefetcher at batch 1 (a hint;
             * past the end of the panel too, where it cannot fault) */
            __builtin_prefetch(p.w + at + RR_EXACT_AHEAD * p.ldw);
            SFX(exact_load8)(p.w + at, &b);
            if (mode == RR_DOT_DEKKER) {
                __builtin_prefetch(p.wh + at + RR_EXACT_AHEAD * p.ldw);
                __builtin_prefetch(p.wl + at + RR_EXACT_AHEAD * p.ldw);
                memcpy(&bh, p.wh + at, sizeof bh);
                memcpy(&bl, p.wl + at, sizeof bl);
            }
            RR_UNROLL(RR_EXACT_ROWS)
            for (size_t r = 0; r < rows; r++) {
                rr_v8d *as = &acc_s[cc * rows + r], *ac = &acc_c[cc * rows + r];
                const rr_v8d a = RR_V8D_SPLAT(v[r].v[k]);
                /* (p, e) = two_prod(a, b) */
                const rr_v8d prod = a * b;
                rr_v8d e = prod; /* every mode sets it; RR_DOT_EXACT: unused */
                if (mode == RR_DOT_DEKKER) {
                    const rr_v8d ah = RR_V8D_SPLAT(v[r].split_hi[k]);
                    const rr_v8d al = RR_V8D_SPLAT(v[r].split_lo[k]);
                    e = (((ah * bh - prod) + ah * bl) + al * bh) + al * bl;
                }
#if RR_EXACT_FMA
                if (mode == RR_DOT_FMA) {
                    /* e = a*b - prod, rounded once */
                    rr_v8d_fms(&a, &b, &prod, &e);
                }
#endif
                /* (s, q) = two_sum(s, p) */
                const rr_v8d sum = *as + prod;
                const rr_v8d back = sum - *as;
                const rr_v8d q = (*as - (sum - back)) + (prod - back);
                *as = sum;
                if (mode == RR_DOT_EXACT) { /* c = c + (q + (+0)) == c + q */
                    *ac = *ac + q;
                } else if (with_lo) { /* c = c + ((q + e) + v.lo * w) */
                    const rr_v8d a_lo = RR_V8D_SPLAT(v[r].lo[k]);
                    *ac = *ac + ((q + e) + a_lo * b);
                } else { /* c = c + (q + e) */
                    *ac = *ac + (q + e);
                }
            }
        }
    }
    RR_UNROLL(RR_EXACT_ROWS)
    for (size_t i = 0; i < cols * rows; i++) {
        const size_t at = (i % rows) * ld + (i / rows) * RR_EXACT_BLOCK;
        memcpy(s + at, &acc_s[i], sizeof(rr_v8d));
        memcpy(c + at, &acc_c[i], sizeof(rr_v8d));
    }
}

/* The full blocks of panel p (8 units each) for `rows` rows of v, in one
 * mode (a constant after inlining): one specialized loop per case; one row
 * takes two blocks at once. */
static inline __attribute__((always_inline)) void
SFX(exact_products_blocks_v)(int mode, size_t blocks, size_t kk,
                             SFX(exact_panel) p, size_t rows,
                             const rr_exact_acts *v, double *s, double *c,
                             size_t ld)
{
    const int with_lo = v[0].lo != NULL;
    size_t j = 0;
    if (rows == 1 || with_lo) { /* rows of their own, two blocks at once */
        for (; j + 2 * RR_EXACT_BLOCK <= blocks * RR_EXACT_BLOCK;
             j += 2 * RR_EXACT_BLOCK) {
            const SFX(exact_panel) q = SFX(exact_panel_from)(p, j);
            for (size_t r = 0; r < rows; r++) {
                if (with_lo) {
                    SFX(exact_products_block_v)(mode, 1, 2, 1, kk, q, v + r,
                                                s + r * ld + j,
                                                c + r * ld + j, ld);
                } else {
                    SFX(exact_products_block_v)(mode, 0, 2, 1, kk, q, v + r,
                                                s + r * ld + j,
                                                c + r * ld + j, ld);
                }
            }
        }
    }
    for (; j < blocks * RR_EXACT_BLOCK; j += RR_EXACT_BLOCK) {
        const SFX(exact_panel) q = SFX(exact_panel_from)(p, j);
        if (with_lo) {
            for (size_t r = 0; r < rows; r++) {
                SFX(exact_products_block_v)(mode, 1, 1, 1, kk, q, v + r,
                                            s + r * ld + j, c + r * ld + j,
                                            ld);
            }
        } else if (rows == 4) {
            SFX(exact_products_block_v)(mode, 0, 1, 4, kk, q, v, s + j,
                                        c + j, ld);
        } else if (rows == 3) {
            SFX(exact_products_block_v)(mode, 0, 1, 3, kk, q, v, s + j,
                                        c + j, ld);
        } else if (rows == 2) {
            SFX(exact_products_block_v)(mode, 0, 1, 2, kk, q, v, s + j,
                                        c + j, ld);
        } else {
            SFX(exact_products_block_v)(mode, 0, 1, 1, kk, q, v, s + j,
                                        c + j, ld);
        }
    }
}

/* The mode (RR_DOT_*) of the full blocks of panel p times `rows` rows v */
static int SFX(exact_dot_mode)(SFX(exact_panel) p, size_t rows,
                               const rr_exact_acts *v)
{
    int tame = p.tame, narrow = p.tame && v[0].lo == NULL;
    for (size_t r = 0; r < rows; r++) {
        tame &= v[r].tame;
        narrow &= v[r].narrow;
    }
    if (RR_REAL_BITS == 32 && narrow) {
        return RR_DOT_EXACT;
    }
    return RR_EXACT_FMA && tame ? RR_DOT_FMA : RR_DOT_DEKKER;
}
#endif

/* The products of every k into the n accumulators of panel p, for `rows`
 * (<= RR_EXACT_ROWS) rows of activations v[r] into s, c + r*ld. */
static void SFX(exact_products_rows)(size_t n, size_t kk, SFX(exact_panel) p,
                                     size_t rows, const rr_exact_acts *v,
                                     double *s, double *c, size_t ld)
{
    size_t j = 0;
#if RR_EXACT_VECTORS
    if (p.wh != NULL && RR_EXACT_BLOCK == 8) {
        const size_t blocks = n / RR_EXACT_BLOCK;
        const int mode = SFX(exact_dot_mode)(p, rows, v);
        if (mode == RR_DOT_EXACT) {
            SFX(exact_products_blocks_v)(RR_DOT_EXACT, blocks, kk, p, rows, v,
                                         s, c, ld);
        } else if (mode == RR_DOT_FMA) {
            SFX(exact_products_blocks_v)(RR_DOT_FMA, blocks, kk, p, rows, v,
                                         s, c, ld);
        } else {
            SFX(exact_products_blocks_v)(RR_DOT_DEKKER, blocks, kk, p, rows,
                                         v, s, c, ld);
        }
        if (blocks > 0 && mode != RR_DOT_DEKKER) {
            rr_exact_count_fast_dot(mode == RR_DOT_FMA);
        }
        j = blocks * RR_EXACT_BLOCK;
    }
#endif
    for (size_t r = 0; r < rows; r++) {
        SFX(exact_products)(n - j, kk, SFX(exact_panel_from)(p, j), v[r],
                            s + r * ld + j, c + r * ld + j);
    }
}

/* (hi, lo)[j] = finish() = two_sum(s[j], c[j]) */
static void SFX(exact_finish)(size_t n, const double *s, const double *c,
                              rr_dd_vec out)
{
    for (size_t j = 0; j < n; j++) {
        const rr_dd t = rr_two_sum(s[j], c[j]);
        out.hi[j] = t.hi;
        out.lo[j] = t.lo;
    }
}

/* v [n] as doubles: v itself in float64, else converted into buf [n] */
static const double *SFX(exact_as_double)(const REAL *v, size_t n, double *buf)
{
#if RR_REAL_BITS == 64
    (void)n;
    (void)buf;
    return v;
#else
    for (size_t i = 0; i < n; i++) {
        buf[i] = (double)v[i];
    }
    return buf;
#endif
}

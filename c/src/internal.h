/*
 * internal.h - what the library's source files share; not part of the API.
 *
 * Shapes use the names of rnn_rosetta.h: T, B, I, H, P = H_out, L, D, G, O.
 *
 * Precision: most of the computation is written once, in a type-generic
 * "*_impl.h" file that uses REAL for the scalar type and SFX(name) for
 * names, and is included twice by its .c file (see real.h): once for
 * double (names end in _f64) and once for float (_f32). The declarations
 * of those functions are in internal_real.h, included twice below.
 */
#ifndef RR_INTERNAL_H
#define RR_INTERNAL_H

#include "rnn_rosetta.h"

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define RR_PRINTF_LIKE(format_index, first_arg) \
    __attribute__((format(printf, format_index, first_arg)))
#else
#define RR_PRINTF_LIKE(format_index, first_arg)
#endif

/* RR_UNROLL(n) before a loop of at most n iterations, known at compile
 * time (after inlining), unrolls it completely, so that arrays of vector
 * accumulators indexed by its counter live in registers, whatever the -O
 * level. */
#define RR_PRAGMA(text) _Pragma(#text)
#if defined(__clang__)
#define RR_UNROLL(n) RR_PRAGMA(unroll n)
#elif defined(__GNUC__)
#define RR_UNROLL(n) RR_PRAGMA(GCC unroll n)
#else
#define RR_UNROLL(n)
#endif

/*
 * The order of every dot product of the default kernels (portable, AVX2,
 * AVX-512 and the fused AVX-512 step; not the exact kernel), for each
 * output element c = start + sum_k a[k] * w[k] (start: the bias, or 0, or
 * what the product adds to):
 *     total = start
 *     for kb = 0, RR_DOT_BLOCK, 2 * RR_DOT_BLOCK, ... < K:
 *         s = 0
 *         for k = kb .. min(kb + RR_DOT_BLOCK, K) - 1:  s = fma(a[k], w[k], s)
 *         total = total + s
 * (the portable kernel: s = s + a[k] * w[k], two roundings). The blocks
 * are fixed by k alone, so an element's bits do not depend on the batch,
 * the tiles, the K-slices (multiples of RR_DOT_BLOCK) or the thread; the
 * rounding error grows with RR_DOT_BLOCK + K / RR_DOT_BLOCK instead of K.
 * 32 is that bound's best for K = 1024 and near it for K = 256 .. 4096;
 * 16, 32 and 64 measured alike on the accuracy grid (1.1 to 1.8 eps at
 * H = 128 .. 1024), 64 about 2% faster in the GEMM (one total update per
 * block). The Java kernels use the same 32 (Matrix.DOT_BLOCK).
 */
#define RR_DOT_BLOCK 32

/* RR_HAVE_AVX2_KERNELS: the compiler can build the AVX2 + FMA kernels
 * (x86 with GCC or Clang); whether the CPU runs them is checked at run
 * time (rr_cpu_has_avx2_fma). -DRR_HAVE_AVX2_KERNELS=0 builds the portable
 * library only, as on other CPUs. */
#ifndef RR_HAVE_AVX2_KERNELS
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define RR_HAVE_AVX2_KERNELS 1
#else
#define RR_HAVE_AVX2_KERNELS 0
#endif
#endif

/* The code path a net was created with (RR_KERNEL_AUTO resolved). */
typedef enum rr_path {
    RR_PATH_PORTABLE = 0,
    RR_PATH_AVX2 = 1,
    RR_PATH_EXACT = 2,  /* exact*.c: double-double, docs/exact-kernel.md     */
    RR_PATH_AVX512 = 3  /* avx512*.c                                         */
} rr_path;

/*
 * A weight matrix W [G*U, K] (G gate blocks of U rows each, row-major, as
 * PyTorch stores it) with an optional bias [G*U], stored for the kernels.
 *
 * The U outputs of every gate are cut into blocks of `nr` units; group u
 * holds units u*nr .. u*nr+nr-1 of every gate, as G panels [K][nr]:
 *     data[((u*G + g)*K + k)*nr + j] = W[g*U + u*nr + j][k]
 *     bias[(u*G + g)*nr + j]         = b[g*U + u*nr + j]
 * with zeros past U. The product of a row vector with group u gives all G
 * gates of its nr units, which is what a cell needs to update those units
 * (gates fused right after the product); each panel is contiguous, so
 * that a kernel streams it and a K-slice of it stays in the L1 cache.
 *
 * The portable kernel uses nr = U, a single group: panel g is then plain
 * W_g^T [K, U], whose rows are contiguous for the i-k-j product loop. The
 * AVX2 kernels use nr = one 64-byte line (8 doubles, 16 floats), the
 * AVX-512 kernels two lines (16 doubles, 32 floats).
 */
typedef struct rr_packed {
    void *data;    /* REAL [groups][G][K][nr]                               */
    void *bias;    /* REAL [groups][G][nr]; NULL = no bias                  */
    size_t k;      /* K: the length of the dot products                     */
    size_t gates;  /* G: gate blocks                                        */
    size_t units;  /* U: outputs per gate                                   */
    size_t nr;     /* units per group                                       */
    size_t groups; /* ceil(U / nr)                                          */
} rr_packed;

/* One direction of one layer, in the layout of the net's kernel. */
typedef struct rr_slot {
    int is_set;
    rr_packed w_ih; /* W_ih [G*H, I_l] with b_ih                            */
    rr_packed w_hh; /* W_hh [G*H, H_out] with b_hh; a GRU without
                     * linear_before_reset keeps only the r, z rows here    */
    rr_packed w_hn; /* gru without linear_before_reset: W_hn [H, H] + b_hn  */
    rr_packed w_hr; /* lstm projection: W_hr [P, H], no bias                */
    void *peepholes; /* REAL [3*H] = p_i, p_f, p_o; NULL without peepholes  */
} rr_slot;

struct rr_net {
    rr_config cfg;
    rr_path path;         /* the kernel every product and gate runs on      */
    size_t elem_size;     /* sizeof(REAL): 8 (float64) or 4 (float32)        */
    size_t gates;         /* G: 1 rnn, 4 lstm, 3 gru                        */
    size_t directions;    /* D: 2 bidirectional, else 1                     */
    size_t out_size;      /* H_out: proj_size if set, else hidden_size      */
    rr_slot *slots;       /* [L*D], slot l*D + d (d = 0 fwd, 1 rev)          */
    int head_is_set;
    rr_packed head;       /* W_y [O, D*H_out] with b_y                      */

    /* --- the streaming step (step.c), fixed once by rr_step_prepare at
     * create, so that a step checks and sizes nothing but the batch ---- */
    /* the step of this path and precision on checked arguments (arrays as
     * void *: REAL of the net), scratch from rr_step_scratch_bytes; NULL:
     * this path has none yet, the step runs the sequence with T = 1 */
    void (*step_fn)(const struct rr_net *net, size_t batch, const void *x,
                    const void *h, const void *c, void *out, void *h_next,
                    void *c_next, void *y, void *scratch);
    size_t step_max_batch;  /* largest B whose arrays and scratch fit      */
    size_t step_x_row;      /* I: elements of x_t per batch row            */
    size_t step_h_row;      /* L*H_out: of h, h_next per row               */
    size_t step_c_row;      /* L*H of c, c_next (lstm), else 0             */
    size_t step_out_row;    /* H_out: of out_t                             */
    size_t step_y_row;      /* O of y_t with a head, else 0                */
    size_t step_scratch_row[5]; /* REALs per row of the scratch regions:
                                 * h_prev [L*H_out], proj [groups*G*nr],
                                 * tile [G*nr], m [H], z [H] (0: unused)   */
};

/* --- status.c ----------------------------------------------------------- */

/* Fill err->message (when err is not NULL) and return `status`. */
rr_status rr_fail(rr_error *err, rr_status status, const char *format, ...)
    RR_PRINTF_LIKE(3, 4);

/* --- size.c ------------------------------------------------------------- */

/* *product = factors[0] * ... * factors[count-1]. Returns 1 when the product
 * fits and that many doubles fit in size_t bytes, 0 otherwise. */
int rr_count_product(const size_t *factors, size_t count, size_t *product);

/* Write "T*B*I" into `names` and "T=2, B=3, I=4" into `values`. */
void rr_describe_product(const char *const *factor_names, const size_t *factors,
                         size_t count, char *names, size_t names_size,
                         char *values, size_t values_size);

/* `count` elements of `elem_size` bytes (zeroed when `zeroed`), aligned to
 * RR_ALIGN bytes; free with free(). NULL on failure or when the byte count
 * overflows. count must be >= 1. */
#define RR_ALIGN 64
void *rr_alloc(size_t count, size_t elem_size, int zeroed);

/* --- check.c ------------------------------------------------------------ */

/* Whether an argument array must be given, may be NULL, or must be absent. */
typedef enum rr_need {
    RR_NEED_REQUIRED,
    RR_NEED_OPTIONAL,  /* NULL (with len 0) means zeros or "all T"          */
    RR_NEED_ABSENT     /* does not apply to this model: NULL with len 0     */
} rr_need;

/* Check one array argument `name` (len named name_len) against the shape
 * whose element count is the product of `factors`, e.g. names {"T", "B",
 * "I"}. `absent_reason` says why an RR_NEED_ABSENT array does not apply. */
rr_status rr_check_array(rr_error *err, const char *name, const void *ptr,
                         size_t len, rr_need need,
                         const char *const *factor_names,
                         const size_t *factors, size_t factor_count,
                         const char *absent_reason);

/* --- pack.c ------------------------------------------------------------- */

/* nr for a matrix of U units on `path` at element size elem_size. */
size_t rr_pack_width(rr_path path, size_t elem_size, size_t units);

/* Fill *dst (allocated here) from W [G*U, K] and bias [G*U] (NULL = none),
 * rounded to float when elem_size is 4. Returns 0 when out of memory
 * (*dst then holds nothing). */
int rr_pack(rr_packed *dst, rr_path path, size_t elem_size,
            const double *weight, const double *bias,
            size_t gates, size_t units, size_t k);

/* Free what rr_pack allocated and empty *m; an empty one is fine. */
void rr_packed_free(rr_packed *m);

/* The exact path (exact.c) keeps, after the `count` REALs of a packed
 * matrix's data and a one-slot flag (whether every weight is tame, see
 * rr_exact_split_tame), at byte rr_exact_split_offset(count, elem_size)
 * of the same block, double [2][count]: the Veltkamp halves hi, then lo,
 * of each weight (docs/exact-kernel.md split), made once by
 * rr_exact_split. */
size_t rr_exact_split_offset(size_t count, size_t elem_size);
void rr_exact_split(const void *data, size_t elem_size, size_t count,
                    double *split);

/* --- team.c: the optional second thread --------------------------------- */

/* The threads of one call: thread 0 is the caller. Each runs the same
 * driver (SPMD) on its share of the work, and meets the others at
 * rr_team_sync. A team of one needs no thread and no synchronisation. */
typedef struct rr_team rr_team;

/* Run fn(arg, team, tid) for tid = 0 .. threads-1 at once (tid 0 on the
 * calling thread) and wait for all of them. When a thread cannot be
 * started, fn runs on the calling thread alone (a team of one). */
typedef void (*rr_team_fn)(void *arg, rr_team *team, size_t tid);
void rr_team_run(size_t threads, rr_team_fn fn, void *arg);

/* The number of threads of the team (1 for a NULL team). */
size_t rr_team_size(const rr_team *team);

/* Wait until every thread of the team has called this (a barrier); all
 * writes before it are visible to every thread after it. */
void rr_team_sync(rr_team *team);

/* This thread's share [*begin, *end) of `count` items, in equal parts. */
void rr_team_share(size_t count, size_t threads, size_t tid, size_t *begin,
                   size_t *end);

/* --- step.c: the streaming step (see the end of struct rr_net) ---------- */

/* Fill the step fields of a new net (its cfg, path, elem_size, out_size
 * set): per-row counts, the largest batch, the step function. */
void rr_step_prepare(rr_net *net);

/* Bytes of step scratch for `batch` rows (batch <= net->step_max_batch). */
size_t rr_step_scratch_bytes(const rr_net *net, size_t batch);

/* ws's buffer when it holds `bytes`, else NULL; *held = what it holds. */
void *rr_step_workspace_scratch(rr_step_workspace *ws, size_t bytes,
                                size_t *held);

/* The calling thread's own step scratch, grown to at least `bytes`
 * (C11 tss_t, freed when the thread ends); NULL when out of memory. */
void *rr_step_thread_scratch(size_t bytes);

/* --- activation.c and the type-generic functions ------------------------ */

#define RR_REAL_BITS 64
#include "internal_real.h"
#undef RR_REAL_BITS
#define RR_REAL_BITS 32
#include "internal_real.h"
#undef RR_REAL_BITS

#endif /* RR_INTERNAL_H */

/*
 * internal.h - what the library's source files share; not part of the API.
 *
 * Shapes use the names of rnn_rosetta.h: T, B, I, H, P = H_out, L, D, G, O.
 */
#ifndef RR_INTERNAL_H
#define RR_INTERNAL_H

#include "rnn_rosetta.h"

#include <stddef.h>

#if defined(__GNUC__)
#define RR_PRINTF_LIKE(format_index, first_arg) \
    __attribute__((format(printf, format_index, first_arg)))
#else
#define RR_PRINTF_LIKE(format_index, first_arg)
#endif

/* One direction of one layer, stored in the layout the kernels read:
 * matrices are kept transposed so that the GEMM's inner loop is contiguous. */
typedef struct rr_slot {
    int is_set;
    double *weight_ih_t; /* [I_l, G*H]   = W_ih^T                          */
    double *weight_hh_t; /* [H_out, G*H] = W_hh^T                          */
    double *bias_ih;     /* [G*H]                                          */
    double *bias_hh;     /* [G*H]                                          */
    double *weight_hr_t; /* [H, P] = W_hr^T; NULL without a projection      */
    double *peepholes;   /* [3*H] = p_i, p_f, p_o; NULL without peepholes   */
} rr_slot;

struct rr_net {
    rr_config cfg;
    size_t gates;         /* G: 1 rnn, 4 lstm, 3 gru                        */
    size_t directions;    /* D: 2 bidirectional, else 1                     */
    size_t out_size;      /* H_out: proj_size if set, else hidden_size      */
    rr_slot *slots;       /* [L*D], slot l*D + d (d = 0 fwd, 1 rev)          */
    int head_is_set;
    double *head_weight_t; /* [D*H_out, O] = W_y^T; NULL without a head     */
    double *head_bias;     /* [O]                                            */
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

/* malloc of `count` doubles (calloc when `zeroed`); NULL on failure or when
 * count * sizeof(double) overflows. count must be >= 1. */
double *rr_alloc_doubles(size_t count, int zeroed);

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

/* --- linalg.c ----------------------------------------------------------- */

/* c[i][j] = bias[j] + sum_k a[i][k] * bt[k][j]  (bias NULL = 0),
 * a [m, k] with row stride lda, bt [k, n] row stride ldb, c [m, n] row
 * stride ldc. Each c[i][j] starts at bias[j] and adds the products in
 * k = 0, 1, ... order. c must not overlap a, bt or bias. */
void rr_gemm_bias(size_t m, size_t n, size_t k,
                  const double *restrict a, size_t lda,
                  const double *restrict bt, size_t ldb,
                  const double *restrict bias,
                  double *restrict c, size_t ldc);

/* dst [cols, rows] = src [rows, cols]^T */
void rr_transpose(size_t rows, size_t cols, const double *src, double *dst);

/* --- activation.c ------------------------------------------------------- */

double rr_sigmoid(double x);
double rr_relu(double x);
double rr_clamp(double x, double limit);
/* In place over v [n]: v_i = exp(v_i - max v) / sum_j exp(v_j - max v). */
void rr_softmax(double *v, size_t n);

/* --- cells.c ------------------------------------------------------------ */

/* One time step of one batch row. gi = W_ih x_t + b_ih, gh = W_hh h + b_hh
 * (for a GRU with linear_before_reset false, only gh's r and z parts are
 * read: the n part needs r first). States are updated in place. */

/* h [H] */
void rr_rnn_cell(const rr_net *net, const double *gi, const double *gh,
                 double *h);
/* c [H] in/out, h [H_out] out, scratch [H] */
void rr_lstm_cell(const rr_net *net, const rr_slot *slot, const double *gi,
                  const double *gh, double *c, double *h, double *scratch);
/* h [H] in/out, scratch [3*H] */
void rr_gru_cell(const rr_net *net, const rr_slot *slot, const double *gi,
                 const double *gh, double *h, double *scratch);

/* --- sequence.c --------------------------------------------------------- */

/* The whole computation of rr_net_forward, on arguments already checked.
 * Reads every input before it writes any output, so an output may alias
 * an input (rr_net_step relies on that). h0, c0, lengths may be NULL. */
rr_status rr_run_sequence(const rr_net *net, size_t seq_len, size_t batch,
                          const double *x, const double *h0, const double *c0,
                          const int64_t *lengths,
                          double *output, double *h_n, double *c_n, double *y,
                          rr_error *err);

#endif /* RR_INTERNAL_H */

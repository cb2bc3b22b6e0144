/*
 * backward_internal.h - the tape of rr_chain_forward_keep and the table
 * of a chain's weight arrays (what rr_chain_param_info reports), shared by
 * backward.c, backward_params.c and the type-generic backward_impl.h. Not
 * part of the API.
 */
#ifndef RR_BACKWARD_INTERNAL_H
#define RR_BACKWARD_INTERNAL_H

#include "chain_internal.h"

/* One weight array of the flat [P] gradient. */
typedef struct rr_param {
    char path[64];   /* "layers.0.forward.weight_ih"                         */
    size_t offset;   /* first number in [P]                                  */
    size_t count;    /* numbers                                              */
} rr_param;

/* Every array of a chain, in chain order (built by rr_chain_create). */
struct rr_param_table {
    rr_param *params;   /* [num]                                             */
    size_t num;
    size_t total;       /* P                                                 */
    size_t embedding;   /* index of embedding.weight (with an embedding)     */
    size_t *direction;  /* [2 * L]: index of (l, fwd/rev)'s weight_ih, or
                         * SIZE_MAX when that direction does not exist; its
                         * arrays follow in order: weight_ih, weight_hh,
                         * bias_ih, bias_hh, [weight_hr], [peephole_i, _f,
                         * _o] (the peepholes contiguous: p_i, p_f, p_o)    */
    size_t dense;       /* index of dense.0.weight (with dense layers)       */
};

/*
 * One direction of one layer as the tape keeps it; every array REAL of
 * the tape's precision, rows r = t*B + b, written only for the rows that
 * ran (t < lengths[b]).
 */
typedef struct rr_dir_tape {
    /* the weights, unpacked from the layer's net (row-major, as set) */
    void *w_ih;   /* [G*H, I_l]   */
    void *w_hh;   /* [G*H, H_out] */
    void *b_ih;   /* [G*H]        */
    void *b_hh;   /* [G*H]        */
    void *w_hr;   /* [P, H] lstm projection, else NULL */
    void *peep;   /* [3H] p_i, p_f, p_o, else NULL     */
    /* per step */
    void *h_prev; /* [T*B, H_out] h_{t-1}                                   */
    void *c_prev; /* [T*B, H]     c_{t-1} (lstm)                            */
    void *pre;    /* [T*B, G*H]   gate pre-activations before the clip
                   * (lstm: peephole terms included; gru: z_r, z_z, z_n)    */
    void *act;    /* [T*B, G*H]   gate values: rnn h_t; lstm i, f, g, o;
                   * gru r, z, n                                            */
    void *c_t;    /* [T*B, H]     lstm c_t                                  */
    void *tanh_c; /* [T*B, H]     lstm tanh(c_t)                            */
    void *hn;     /* [T*B, H]     gru: W_hn h + b_hn (linear before reset),
                   * else r * h_{t-1}                                       */
    void *out;    /* [T*B, H_out] h_t, 0 where the row did not run          */
    void *h_n;    /* [B, H_out]   final state                               */
} rr_dir_tape;

struct rr_chain_tape {
    const rr_chain *chain; /* the chain it was made by (not read by
                            * rr_chain_tape_free)                           */
    unsigned long long chain_serial; /* that chain's serial: the check (a
                            * chain made later at the same address has
                            * another)                                     */
    size_t num_layers;     /* L, num_dense: the chain's, for freeing        */
    size_t num_dense;
    rr_dtype dtype;
    size_t steps;          /* T */
    size_t batch;          /* B */
    int64_t *tokens;       /* [T*B] with an embedding, else NULL            */
    int64_t *lengths;      /* [B] (all T when the forward had none)         */
    void **inputs;         /* [L+1]: layer l's input [T*B, I_l]; [L]: the top
                            * layer's merged output [T*B, W]; REAL          */
    rr_dir_tape *dirs;     /* [2 * L]: (l, fwd) at 2l, (l, rev) at 2l + 1   */
    size_t dense_rows;     /* N: T*B (readout sequence) or B (last)         */
    void **dense_in;       /* [num_dense]: v_k [N, W_{k-1}]                 */
    void **dense_pre;      /* [num_dense]: s_k = v_k W_k^T + b_k [N, O_k]   */
    void **dense_out;      /* [num_dense]: act(s_k) [N, O_k]                */
    void **dense_w;        /* [num_dense]: a copy of W_k [O_k, W_{k-1}]     */
};

/* backward.c: the tape's arrays freed, then the tape. */
void rr_dir_tape_free(rr_dir_tape *dir);

/* backward_impl.h, once per precision: fill a tape (allocated, zeroed, its
 * chain/dtype/steps/batch/tokens/lengths set) from checked arguments, and
 * run the backward of a checked call. */
rr_status rr_tape_fill_f64(rr_chain_tape *tape, const double *x,
                           const double *h0, const double *c0,
                           rr_error *err);
rr_status rr_tape_fill_f32(rr_chain_tape *tape, const float *x,
                           const float *h0, const float *c0, rr_error *err);
rr_status rr_tape_backward_f64(const rr_chain_tape *tape,
                               const double *d_output, const double *d_h_n,
                               const double *d_c_n, const double *d_y,
                               double *d_weights, double *d_x, double *d_h0,
                               double *d_c0, rr_error *err);
rr_status rr_tape_backward_f32(const rr_chain_tape *tape,
                               const float *d_output, const float *d_h_n,
                               const float *d_c_n, const float *d_y,
                               float *d_weights, float *d_x, float *d_h0,
                               float *d_c0, rr_error *err);

#endif /* RR_BACKWARD_INTERNAL_H */

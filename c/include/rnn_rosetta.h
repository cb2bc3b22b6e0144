/*
 * rnn_rosetta.h - the C11 API of rnn-rosetta.
 *
 * Recurrent networks (Elman RNN, LSTM, GRU; stacked, reverse, bidirectional,
 * variable-length, optional output head) in float64 or float32 (rr_dtype),
 * with the canonical (PyTorch) weight layout and the equations of
 * docs/fixture-format.md. Reading fixture files is a separate library:
 * rnn_rosetta_fixture.h.
 *
 * Contract:
 *   - every function that can fail returns an rr_status; RR_OK is 0;
 *   - on failure, if `err` is not NULL, err->message holds one readable line;
 *   - no global mutable state: a const rr_net may be used from many threads
 *     at once (rr_net_forward and rr_net_step allocate their own scratch);
 *   - rr_net_create/rr_net_free own the net; weights are copied in;
 *     the caller owns every input and output buffer;
 *   - every pointer and every element count is checked at the boundary;
 *     the library never exits, aborts or prints.
 *
 * Arrays are dense, row-major, float64 (float for the _f32 entry points of
 * a float32 net; weights are always handed over as double); each pointer
 * is passed with its element count (`*_len`), which must equal the count
 * the shape implies.
 * Shapes below use T = seq_len, B = batch, I = input_size, H = hidden_size,
 * P = H_out = proj_size if set else H, L = num_layers, D = 2 for
 * bidirectional else 1, G = 1 (rnn), 4 (lstm), 3 (gru), O = head_size.
 *
 * This header is also read by Python's cffi (ABI mode): keep declarations
 * free of macros, and keep preprocessor lines on lines of their own.
 */
#ifndef RNN_ROSETTA_H
#define RNN_ROSETTA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rr_status {
    RR_OK = 0,
    RR_E_NULL = 1,        /* a required pointer is NULL                       */
    RR_E_SIZE = 2,        /* a size is zero, too large, or overflows size_t   */
    RR_E_SHAPE = 3,       /* an element count disagrees with the shape        */
    RR_E_CONFIG = 4,      /* an unknown enum value or a bad option mix        */
    RR_E_LENGTHS = 5,     /* a sequence length outside 1..T                   */
    RR_E_UNSUPPORTED = 6, /* e.g. step() on a reverse/bidirectional model     */
    RR_E_NOMEM = 7,       /* an allocation failed                             */
    RR_E_STATE = 8        /* the net is not ready (weights or head missing)   */
} rr_status;

typedef enum rr_cell {
    RR_CELL_RNN = 0,
    RR_CELL_LSTM = 1,
    RR_CELL_GRU = 2
} rr_cell;

typedef enum rr_nonlinearity {
    RR_TANH = 0,
    RR_RELU = 1
} rr_nonlinearity;

typedef enum rr_direction {
    RR_FORWARD = 0,
    RR_REVERSE = 1,
    RR_BIDIRECTIONAL = 2
} rr_direction;

/* The precision a net computes in. Weights are handed over as double either
 * way and rounded once when the net is float32. */
typedef enum rr_dtype {
    RR_FLOAT64 = 0,
    RR_FLOAT32 = 1
} rr_dtype;

/* Which code path runs the products and gates. AUTO picks the fastest one
 * the CPU supports (checked at run time); PORTABLE is plain C11, kept as the
 * readable reference and cross-checked against the fast paths. */
typedef enum rr_kernel {
    RR_KERNEL_AUTO = 0,
    RR_KERNEL_PORTABLE = 1,
    RR_KERNEL_AVX2 = 2    /* x86-64 AVX2 + FMA; RR_E_UNSUPPORTED elsewhere */
} rr_kernel;

typedef enum rr_head_activation {
    RR_HEAD_NONE = 0,     /* no head: y is not produced                      */
    RR_HEAD_IDENTITY = 1,
    RR_HEAD_SOFTMAX = 2
} rr_head_activation;

/* What the model is; mirrors the fixture's "model" (docs/fixture-format.md)
 * minus the arrays. */
typedef struct rr_config {
    rr_cell cell;
    rr_nonlinearity nonlinearity;  /* rnn only                                */
    int linear_before_reset;       /* gru only: 1 = PyTorch / ONNX lbr=1      */
    size_t input_size;             /* I >= 1                                  */
    size_t hidden_size;            /* H >= 1                                  */
    size_t num_layers;             /* L >= 1                                  */
    rr_direction direction;
    size_t proj_size;              /* lstm only; 0 = no projection, else < H  */
    int peepholes;                 /* lstm only                               */
    int has_clip;                  /* clamp gate pre-activations to +-clip    */
    double clip;                   /* > 0 and finite when has_clip            */
    rr_head_activation head;
    size_t head_size;              /* O >= 1 with a head, 0 without           */
    rr_dtype dtype;                /* RR_FLOAT64 (default, 0) or RR_FLOAT32   */
    rr_kernel kernel;              /* RR_KERNEL_AUTO (default, 0), ...        */
    size_t num_threads;            /* 0 or 1: the calling thread only; 2: a
                                      second thread shares the work           */
} rr_config;

/* One direction of one layer. A pointer that does not apply is NULL, len 0. */
typedef struct rr_weights {
    const double *weight_ih; size_t weight_ih_len; /* [G*H, I_l]            */
    const double *weight_hh; size_t weight_hh_len; /* [G*H, H_out]          */
    const double *bias_ih;   size_t bias_ih_len;   /* [G*H]                 */
    const double *bias_hh;   size_t bias_hh_len;   /* [G*H]                 */
    const double *weight_hr; size_t weight_hr_len; /* [P, H], proj only     */
    const double *peepholes; size_t peepholes_len; /* [3*H] = p_i,p_f,p_o   */
} rr_weights;

/* One line of text for a failure; filled only when a call fails. */
typedef struct rr_error {
    char message[256];
} rr_error;

typedef struct rr_net rr_net;

/* "RR_E_SHAPE" etc.; never NULL, "RR_E_UNKNOWN" for values not listed. */
const char *rr_status_name(rr_status status);
/* A fixed sentence describing the status; never NULL. */
const char *rr_status_message(rr_status status);
const char *rr_version(void);

/* Validate cfg and allocate a net with no weights yet. */
rr_status rr_net_create(const rr_config *cfg, rr_net **out, rr_error *err);
/* NULL is allowed. */
void rr_net_free(rr_net *net);

/* Copy one direction of one layer in. `which` is RR_FORWARD or RR_REVERSE
 * and must be one the config's direction has. */
rr_status rr_net_set_weights(rr_net *net, size_t layer, rr_direction which,
                             const rr_weights *weights, rr_error *err);

/* Copy the head in: weight [O, D*H_out], bias [O]. */
rr_status rr_net_set_head(rr_net *net, const double *weight, size_t weight_len,
                          const double *bias, size_t bias_len, rr_error *err);

/* The whole sequence.
 *   x       [T, B, I]            required
 *   h0      [L*D, B, H_out]      NULL = zeros
 *   c0      [L*D, B, H]          lstm only, NULL = zeros
 *   lengths [B], each 1..T       NULL = all T
 *   output  [T, B, D*H_out]      required; zero where t >= lengths[b]
 *   h_n     [L*D, B, H_out]      required
 *   c_n     [L*D, B, H]          required for lstm, NULL otherwise
 *   y       [T, B, O]            required with a head, NULL otherwise
 * States are ordered l0_fwd, l0_rev, l1_fwd, ... Inputs and outputs must not
 * overlap. Scratch is heap-allocated per call (nothing sized by T on the
 * stack). */
rr_status rr_net_forward(const rr_net *net, size_t seq_len, size_t batch,
                         const double *x, size_t x_len,
                         const double *h0, size_t h0_len,
                         const double *c0, size_t c0_len,
                         const int64_t *lengths, size_t lengths_len,
                         double *output, size_t output_len,
                         double *h_n, size_t h_n_len,
                         double *c_n, size_t c_n_len,
                         double *y, size_t y_len,
                         rr_error *err);

/* rr_net_forward for a float32 net: the same arguments with float arrays.
 * rr_net_forward on a float32 net, or this on a float64 net, is RR_E_CONFIG. */
rr_status rr_net_forward_f32(const rr_net *net, size_t seq_len, size_t batch,
                             const float *x, size_t x_len,
                             const float *h0, size_t h0_len,
                             const float *c0, size_t c0_len,
                             const int64_t *lengths, size_t lengths_len,
                             float *output, size_t output_len,
                             float *h_n, size_t h_n_len,
                             float *c_n, size_t c_n_len,
                             float *y, size_t y_len,
                             rr_error *err);

/* The code path a net runs: "portable" or "avx2-fma". Never NULL. */
const char *rr_net_kernel_name(const rr_net *net);

/* 1 when this CPU runs the AVX2 + FMA kernels, else 0. */
int rr_cpu_has_avx2_fma(void);

/* One time step of a forward-direction model (streaming).
 *   x_t [B, I]; h [L, B, H_out] and c [L, B, H] (NULL = zeros);
 *   out_t [B, H_out]; h_next, c_next as h, c; y_t [B, O] with a head.
 * h_next may be the same buffer as h and c_next as c (in-place update).
 * Equals rr_net_forward with T = 1. RR_E_UNSUPPORTED for reverse or
 * bidirectional models. */
rr_status rr_net_step(const rr_net *net, size_t batch,
                      const double *x_t, size_t x_len,
                      const double *h, size_t h_len,
                      const double *c, size_t c_len,
                      double *out_t, size_t out_len,
                      double *h_next, size_t h_next_len,
                      double *c_next, size_t c_next_len,
                      double *y_t, size_t y_len,
                      rr_error *err);

/* rr_net_step for a float32 net. */
rr_status rr_net_step_f32(const rr_net *net, size_t batch,
                          const float *x_t, size_t x_len,
                          const float *h, size_t h_len,
                          const float *c, size_t c_len,
                          float *out_t, size_t out_len,
                          float *h_next, size_t h_next_len,
                          float *c_next, size_t c_next_len,
                          float *y_t, size_t y_len,
                          rr_error *err);

#ifdef __cplusplus
}
#endif

#endif /* RNN_ROSETTA_H */

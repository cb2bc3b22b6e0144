/*
 * rnn_rosetta.h - the C11 API of rnn-rosetta.
 *
 * Recurrent networks (Elman RNN, LSTM, GRU; stacked, reverse, bidirectional,
 * variable-length, optional output head) in float64 or float32 (rr_dtype),
 * with the canonical (PyTorch) weight layout and the equations of
 * docs/fixture-format.md; and chains of such layers (rr_chain: fixture
 * format v2, an embedding, layers of different cells and sizes, merges,
 * a readout and dense layers), built on one rr_net per layer. Reading fixture files is a separate library:
 * rnn_rosetta_fixture.h.
 *
 * Contract:
 *   - every function that can fail returns an rr_status; RR_OK is 0;
 *   - on failure, if `err` is not NULL, err->message holds one readable line;
 *   - no global mutable state: a const rr_net may be used from many threads
 *     at once (rr_net_forward allocates its own scratch; rr_net_step uses
 *     the calling thread's own workspace, see rr_step_workspace);
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
    RR_E_STATE = 8,       /* the net is not ready (weights or head missing)   */
    RR_E_TOKENS = 9       /* a token outside 0..V-1 (a chain's embedding)     */
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
    RR_KERNEL_AVX2 = 2,   /* x86-64 AVX2 + FMA; RR_E_UNSUPPORTED elsewhere */
    RR_KERNEL_EXACT = 3,  /* the exact kernel (docs/exact-kernel.md): the same
                           * bits as numpy's and Java's exact kernels        */
    RR_KERNEL_AVX512 = 4  /* x86-64 AVX-512 F/BW/DQ/VL; RR_E_UNSUPPORTED
                           * elsewhere                                       */
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

/* The code path a net runs: "portable", "avx2-fma", "avx512" or "exact".
 * Never NULL. */
const char *rr_net_kernel_name(const rr_net *net);

/* 1 when this CPU runs the AVX2 + FMA kernels, else 0. */
int rr_cpu_has_avx2_fma(void);

/* 1 when this CPU (and this build) runs the AVX-512 kernels, else 0. */
int rr_cpu_has_avx512(void);

/* One time step of a forward-direction model (streaming).
 *   x_t [B, I]; h [L, B, H_out] and c [L, B, H] (NULL = zeros);
 *   out_t [B, H_out]; h_next, c_next as h, c; y_t [B, O] with a head.
 * h_next may be the same buffer as h and c_next as c (in-place update).
 * Equals rr_net_forward with T = 1, bit for bit. RR_E_UNSUPPORTED for
 * reverse or bidirectional models. Its scratch is the calling thread's own
 * (see rr_step_workspace): after a thread's first step (or a bigger net or
 * batch) a step allocates nothing, and its checks are a few compares
 * against sizes fixed at rr_net_create. */
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

/* The scratch of a step in a buffer the caller owns: rr_net_step takes it
 * from the calling thread's own workspace (made on its first step, grown
 * when a bigger net or batch comes, freed when the thread ends), so it
 * allocates only then; rr_net_step_ws never allocates. A workspace serves
 * one thread at a time, and any net whose step fits it. */
typedef struct rr_step_workspace rr_step_workspace;

/* A workspace for steps of `net` with batch <= max_batch (>= 1). */
rr_status rr_step_workspace_create(const rr_net *net, size_t max_batch,
                                   rr_step_workspace **out, rr_error *err);

/* Free it; NULL is fine. */
void rr_step_workspace_free(rr_step_workspace *ws);

/* rr_net_step with its scratch in ws: the same checks and the same bits;
 * RR_E_SIZE when this net's step at this batch does not fit ws. */
rr_status rr_net_step_ws(const rr_net *net, rr_step_workspace *ws,
                         size_t batch,
                         const double *x_t, size_t x_len,
                         const double *h, size_t h_len,
                         const double *c, size_t c_len,
                         double *out_t, size_t out_len,
                         double *h_next, size_t h_next_len,
                         double *c_next, size_t c_next_len,
                         double *y_t, size_t y_len,
                         rr_error *err);

/* rr_net_step_ws for a float32 net. */
rr_status rr_net_step_ws_f32(const rr_net *net, rr_step_workspace *ws,
                             size_t batch,
                             const float *x_t, size_t x_len,
                             const float *h, size_t h_len,
                             const float *c, size_t c_len,
                             float *out_t, size_t out_len,
                             float *h_next, size_t h_next_len,
                             float *c_next, size_t c_next_len,
                             float *y_t, size_t y_len,
                             rr_error *err);

/* Every argument of rr_net_step but x_t, in one caller-owned struct, so
 * that a caller that pays per argument (Python's cffi: about 50 ns each)
 * passes 2 instead of 17 (rr_net_step_bound). Arrays in the net's
 * precision (double, or float for a float32 net), each with its element
 * count: x_t [B, I] has x_len elements; the state in, h [L, B, H_out] and
 * c [L, B, H] (NULL and 0: zeros; c is lstm only); the outputs out_t
 * [B, H_out], h_next as h, c_next as c (lstm, else NULL and 0) and y_t
 * [B, O] (with a head, else NULL and 0). h_next may be h and c_next c (an
 * in-place update). A stream keeps one per pair (state in, outputs) it
 * uses, filled once. */
typedef struct rr_step_bound {
    const rr_net *net;
    size_t batch; /* B */
    size_t x_len; /* B * I */
    const void *h;
    size_t h_len;
    const void *c;
    size_t c_len;
    void *out_t;
    size_t out_len;
    void *h_next;
    size_t h_next_len;
    void *c_next;
    size_t c_next_len;
    void *y_t;
    size_t y_len;
    rr_error *err; /* where a failure's message goes; NULL: nowhere */
} rr_step_bound;

/* rr_net_step on b's arguments and x_t: the same checks, status codes,
 * scratch and bits; RR_E_NULL (no message) when b is NULL. */
rr_status rr_net_step_bound(const rr_step_bound *b, const double *x_t);

/* rr_net_step_bound for a float32 net (rr_net_step_f32). */
rr_status rr_net_step_bound_f32(const rr_step_bound *b, const float *x_t);

/* ------------------------------------------------------------------------
 * Chains (fixture format v2): embedding? -> recurrent layers -> readout ->
 * dense layers. Each recurrent layer is an rr_net of one layer of its own
 * (num_layers = 1, no head), layer l reading layer l-1's merged output.
 *
 * Shapes: V = vocab_size, I = input_size (the embedding's width with an
 * embedding), per layer l: H_l, H_out_l, D_l, I_l (I_0 = I; I_l = W_{l-1});
 * W_l = D_l*H_out_l for concat (or one direction), H_out_l for sum, mul,
 * ave; W = W of the top layer; O_k = size of dense layer k, O = the last
 * one's (W without dense layers, readout last); N = T*B (readout sequence)
 * or B (readout last).
 *
 * States, flat: one slot per (layer, direction) in the order l0_fwd,
 * l0_rev, l1_fwd, ...; slot k is [B, H_out_k], row-major, the slots one
 * after the other: S_h = B * sum_k H_out_k numbers. Cell states: one slot
 * per (lstm layer, direction), same order, [B, H_k]: S_c = B * sum_k H_k.
 * For equal slot sizes this is the v1 layout [L*D, B, H].
 * ---------------------------------------------------------------------- */

/* How a bidirectional layer merges its two halves h_f, h_r [H_out]:
 * concat [h_f, h_r]; sum h_f + h_r; mul h_f * h_r; ave (h_f + h_r) * 0.5.
 * Padded steps (t >= lengths[b]) are 0 in each half before merging. */
typedef enum rr_merge {
    RR_MERGE_CONCAT = 0,
    RR_MERGE_SUM = 1,
    RR_MERGE_MUL = 2,
    RR_MERGE_AVE = 3
} rr_merge;

/* A dense layer's activation over its O outputs. */
typedef enum rr_activation {
    RR_ACT_IDENTITY = 0,
    RR_ACT_SOFTMAX = 1,   /* exp(v - max v) / sum exp(v - max v)             */
    RR_ACT_TANH = 2,
    RR_ACT_SIGMOID = 3,
    RR_ACT_RELU = 4       /* v < 0 ? 0 : v (NaN stays NaN)                   */
} rr_activation;

/* sequence: the top layer's output at every step; last: one vector per
 * sequence, the top layer's final states h_n merged like its outputs. */
typedef enum rr_readout {
    RR_READOUT_SEQUENCE = 0,
    RR_READOUT_LAST = 1
} rr_readout;

/* One recurrent layer (the fields mean what rr_config's do). */
typedef struct rr_layer_config {
    rr_cell cell;
    rr_nonlinearity nonlinearity;  /* rnn only                                */
    int linear_before_reset;       /* gru only                                */
    size_t hidden_size;            /* H_l >= 1                                */
    rr_direction direction;
    size_t proj_size;              /* lstm only; 0 or < H_l                   */
    int peepholes;                 /* lstm only                               */
    int has_clip;
    double clip;
    rr_merge merge;                /* RR_MERGE_CONCAT unless bidirectional    */
} rr_layer_config;

/* One dense layer: y = activation(weight v + bias), weight [O_k, W_{k-1}]
 * (W_{-1} = W). */
typedef struct rr_dense_config {
    size_t size;                   /* O_k >= 1                                */
    rr_activation activation;
} rr_dense_config;

typedef struct rr_chain_config {
    size_t input_size;             /* I >= 1: what layer 0 reads per step     */
    size_t vocab_size;             /* V: 0 = no embedding (inputs are x)      */
    size_t num_layers;             /* >= 1                                    */
    const rr_layer_config *layers; /* [num_layers]; copied by create          */
    size_t num_dense;              /* >= 0                                    */
    const rr_dense_config *dense;  /* [num_dense] (NULL when 0); copied       */
    rr_readout readout;
    rr_dtype dtype;
    rr_kernel kernel;
    size_t num_threads;            /* as rr_config's, for every layer         */
} rr_chain_config;

/* The sizes a caller needs for its buffers (per batch element). */
typedef struct rr_chain_sizes {
    size_t input_size;             /* I                                       */
    size_t vocab_size;             /* V, 0 without an embedding               */
    size_t output_width;           /* W                                       */
    size_t num_slots;              /* h slots: sum over layers of D_l         */
    size_t num_cell_slots;         /* c slots: the same over lstm layers      */
    size_t state_size;             /* sum_k H_out_k: h0/h_n hold B * this     */
    size_t cell_state_size;        /* sum_k H_k over c slots (0: no c)        */
    size_t y_size;                 /* O; 0 when the chain produces no y       */
    int all_forward;               /* 1 when rr_chain_step applies            */
} rr_chain_sizes;

typedef struct rr_chain rr_chain;

/* Validate cfg (every layer's options as rr_net_create does, merges, dense
 * sizes) and allocate a chain with no weights yet. */
rr_status rr_chain_create(const rr_chain_config *cfg, rr_chain **out,
                          rr_error *err);
/* NULL is allowed. */
void rr_chain_free(rr_chain *chain);

rr_status rr_chain_get_sizes(const rr_chain *chain, rr_chain_sizes *out,
                             rr_error *err);

/* The embedding weight [V, I]; only for a chain with vocab_size > 0. */
rr_status rr_chain_set_embedding(rr_chain *chain, const double *weight,
                                 size_t weight_len, rr_error *err);

/* One direction of recurrent layer `layer` (weight_ih [G*H_l, I_l]). */
rr_status rr_chain_set_weights(rr_chain *chain, size_t layer,
                               rr_direction which, const rr_weights *weights,
                               rr_error *err);

/* Dense layer k: weight [O_k, W_{k-1}], bias [O_k]. */
rr_status rr_chain_set_dense(rr_chain *chain, size_t k, const double *weight,
                             size_t weight_len, const double *bias,
                             size_t bias_len, rr_error *err);

/* The whole sequence.
 *   x       [T, B, I]           exactly when the chain has no embedding
 *   tokens  [T, B], 0..V-1      exactly when it has one (else NULL, 0)
 *   h0      S_h numbers         NULL = zeros
 *   c0      S_c numbers         NULL = zeros (NULL, 0 when S_c is 0)
 *   lengths [B], each 1..T      NULL = all T
 *   output  [T, B, W]           required; zero where t >= lengths[b]
 *   h_n     S_h numbers         required
 *   c_n     S_c numbers         required when S_c > 0, else NULL
 *   y       [N, O]              required when the chain has a y, else NULL
 * Inputs and outputs must not overlap. */
rr_status rr_chain_forward(const rr_chain *chain, size_t seq_len,
                           size_t batch,
                           const double *x, size_t x_len,
                           const int64_t *tokens, size_t tokens_len,
                           const double *h0, size_t h0_len,
                           const double *c0, size_t c0_len,
                           const int64_t *lengths, size_t lengths_len,
                           double *output, size_t output_len,
                           double *h_n, size_t h_n_len,
                           double *c_n, size_t c_n_len,
                           double *y, size_t y_len,
                           rr_error *err);

/* rr_chain_forward for a float32 chain. */
rr_status rr_chain_forward_f32(const rr_chain *chain, size_t seq_len,
                               size_t batch,
                               const float *x, size_t x_len,
                               const int64_t *tokens, size_t tokens_len,
                               const float *h0, size_t h0_len,
                               const float *c0, size_t c0_len,
                               const int64_t *lengths, size_t lengths_len,
                               float *output, size_t output_len,
                               float *h_n, size_t h_n_len,
                               float *c_n, size_t c_n_len,
                               float *y, size_t y_len,
                               rr_error *err);

/* One time step of a chain whose layers are all forward (streaming):
 * x_t [B, I] or tokens_t [B]; h, c as h0, c0 (NULL = zeros); out_t [B, W];
 * h_next, c_next as h_n, c_n (may be the same buffers as h, c); y_t [B, O]
 * when the chain has a y. Equals rr_chain_forward with T = 1.
 * RR_E_UNSUPPORTED when a layer is reverse or bidirectional. */
rr_status rr_chain_step(const rr_chain *chain, size_t batch,
                        const double *x_t, size_t x_len,
                        const int64_t *tokens_t, size_t tokens_len,
                        const double *h, size_t h_len,
                        const double *c, size_t c_len,
                        double *out_t, size_t out_len,
                        double *h_next, size_t h_next_len,
                        double *c_next, size_t c_next_len,
                        double *y_t, size_t y_len,
                        rr_error *err);

/* rr_chain_step for a float32 chain. */
rr_status rr_chain_step_f32(const rr_chain *chain, size_t batch,
                            const float *x_t, size_t x_len,
                            const int64_t *tokens_t, size_t tokens_len,
                            const float *h, size_t h_len,
                            const float *c, size_t c_len,
                            float *out_t, size_t out_len,
                            float *h_next, size_t h_next_len,
                            float *c_next, size_t c_next_len,
                            float *y_t, size_t y_len,
                            rr_error *err);

/* The code path the chain's layers run: "portable" or "avx2-fma". */
const char *rr_chain_kernel_name(const rr_chain *chain);

/* ----------------------------------------------------------------------
 * Backpropagation through time
 *
 * rr_chain_forward_keep runs rr_chain_forward (the same results, bit for
 * bit) and keeps a tape: the inputs, every layer's input and, per step,
 * the states, gate pre-activations and gate values of a reference re-run
 * of the recurrent layers, and the dense layers' values. rr_chain_backward
 * then turns dL/d(output, h_n, c_n, y) into dL/d(weights, x, h0, c0); it
 * may be called any number of times on one tape. The tape copies the
 * weights it needs: changing the chain's weights later does not change
 * what a backward over an older tape computes.
 *
 * The gradient of all weights is one flat buffer of P numbers, the arrays
 * one after the other in chain order: embedding.weight; per layer, forward
 * then reverse: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr,
 * peephole_i, peephole_f, peephole_o (those present); dense.k.weight,
 * dense.k.bias. Each array is row-major in the fixture's shape.
 * ---------------------------------------------------------------------- */

typedef struct rr_chain_tape rr_chain_tape;

/* The number of weight arrays (0 for NULL). */
size_t rr_chain_num_params(const rr_chain *chain);
/* P: the numbers in all of them (0 for NULL). */
size_t rr_chain_param_count(const rr_chain *chain);
/* Array k < rr_chain_num_params: its dotted JSON path
 * ("layers.0.forward.weight_ih", owned by the chain), its offset in the
 * flat [P] gradient and its element count. Any output pointer may be
 * NULL. RR_E_SIZE when k is out of range. */
rr_status rr_chain_param_info(const rr_chain *chain, size_t k,
                              const char **path, size_t *offset,
                              size_t *count, rr_error *err);

/* rr_chain_forward (same arguments, same results) plus *tape (NULL on
 * error), freed by rr_chain_tape_free (before or after the chain; a
 * backward needs the chain alive). */
rr_status rr_chain_forward_keep(const rr_chain *chain, size_t seq_len,
                                size_t batch,
                                const double *x, size_t x_len,
                                const int64_t *tokens, size_t tokens_len,
                                const double *h0, size_t h0_len,
                                const double *c0, size_t c0_len,
                                const int64_t *lengths, size_t lengths_len,
                                double *output, size_t output_len,
                                double *h_n, size_t h_n_len,
                                double *c_n, size_t c_n_len,
                                double *y, size_t y_len,
                                rr_chain_tape **tape, rr_error *err);

/* rr_chain_forward_keep for a float32 chain. */
rr_status rr_chain_forward_keep_f32(const rr_chain *chain, size_t seq_len,
                                    size_t batch,
                                    const float *x, size_t x_len,
                                    const int64_t *tokens, size_t tokens_len,
                                    const float *h0, size_t h0_len,
                                    const float *c0, size_t c0_len,
                                    const int64_t *lengths,
                                    size_t lengths_len,
                                    float *output, size_t output_len,
                                    float *h_n, size_t h_n_len,
                                    float *c_n, size_t c_n_len,
                                    float *y, size_t y_len,
                                    rr_chain_tape **tape, rr_error *err);

/* The gradients through the forward that made `tape` (T, B its sizes):
 *   d_output  [T, B, W]          NULL = zeros
 *   d_h_n     S_h numbers        NULL = zeros
 *   d_c_n     S_c numbers        NULL = zeros (NULL, 0 when S_c is 0)
 *   d_y       [N, O]             NULL = zeros; NULL, 0 without a y
 *   d_weights [P]                required; overwritten
 *   d_x       [T, B, I]          NULL = not wanted; NULL, 0 with tokens
 *   d_h0      S_h numbers        NULL = not wanted
 *   d_c0      S_c numbers        NULL = not wanted (NULL, 0 when S_c is 0)
 * RR_E_CONFIG for a tape of another chain or of the other precision. */
rr_status rr_chain_backward(const rr_chain *chain, const rr_chain_tape *tape,
                            const double *d_output, size_t d_output_len,
                            const double *d_h_n, size_t d_h_n_len,
                            const double *d_c_n, size_t d_c_n_len,
                            const double *d_y, size_t d_y_len,
                            double *d_weights, size_t d_weights_len,
                            double *d_x, size_t d_x_len,
                            double *d_h0, size_t d_h0_len,
                            double *d_c0, size_t d_c0_len,
                            rr_error *err);

/* rr_chain_backward for a float32 chain's tape. */
rr_status rr_chain_backward_f32(const rr_chain *chain,
                                const rr_chain_tape *tape,
                                const float *d_output, size_t d_output_len,
                                const float *d_h_n, size_t d_h_n_len,
                                const float *d_c_n, size_t d_c_n_len,
                                const float *d_y, size_t d_y_len,
                                float *d_weights, size_t d_weights_len,
                                float *d_x, size_t d_x_len,
                                float *d_h0, size_t d_h0_len,
                                float *d_c0, size_t d_c0_len,
                                rr_error *err);

/* NULL is allowed. */
void rr_chain_tape_free(rr_chain_tape *tape);

#ifdef __cplusplus
}
#endif

#endif /* RNN_ROSETTA_H */

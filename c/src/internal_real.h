/*
 * internal_real.h - declarations of the type-generic functions, read once
 * per precision by internal.h (see real.h for REAL and SFX).
 */
#include "real.h"

/* --- activation_impl.h: the scalar formulas ----------------------------- */

/* sigmoid(x) = 1 / (1 + exp(-x)), exp never overflowing (see
 * activation_impl.h). */
REAL SFX(rr_sigmoid)(REAL x);
/* relu(x) = max(0, x); NaN propagates. */
REAL SFX(rr_relu)(REAL x);
/* x clamped to [-limit, limit]; NaN propagates. */
REAL SFX(rr_clamp)(REAL x, REAL limit);
/* In place over v [n]: v_i = exp(v_i - max v) / sum_j exp(v_j - max v). */
void SFX(rr_softmax)(REAL *v, size_t n);

/* --- cells_impl.h (portable) and avx2_impl.h: the gates --------------- */

/*
 * The gate math of one time step, for `count` consecutive units j of one
 * batch row. Gate g of unit j reads its input projection at
 * gi[g*gi_stride + j] (W_ih x_t + b_ih) and its recurrent product at
 * gh[g*gh_stride + j] (W_hh h_{t-1} + b_hh); every pointer is already
 * offset to the first unit. Gates are stacked lstm i, f, g, o and gru r,
 * z, n. With cfg->has_clip every gate's full pre-activation is clamped to
 * [-clip, clip] before its nonlinearity.
 */

/* h_next [count] = phi(gi + gh) */
void SFX(rr_rnn_gates)(const rr_config *cfg, size_t count, const REAL *gi,
                       const REAL *gh, REAL *h_next);

/* c [count] in/out; m [count] = o * tanh(c_t) (h_t without projection).
 * peep: p_i at peep[j], p_f at peep[peep_stride + j], p_o at
 * peep[2*peep_stride + j]; NULL without peepholes. */
void SFX(rr_lstm_gates)(const rr_config *cfg, size_t count,
                        const REAL *gi, size_t gi_stride,
                        const REAL *gh, size_t gh_stride,
                        const REAL *peep, size_t peep_stride,
                        REAL *c, REAL *m);

/* GRU with linear_before_reset: h_next [count] from h_prev [count]. */
void SFX(rr_gru_gates)(const rr_config *cfg, size_t count,
                       const REAL *gi, size_t gi_stride,
                       const REAL *gh, size_t gh_stride,
                       const REAL *h_prev, REAL *h_next);

/* GRU without linear_before_reset, first half: from the r and z gates,
 * z [count] and rh [count] = r * h_prev (what W_hn multiplies). */
void SFX(rr_gru_rz_gates)(const rr_config *cfg, size_t count,
                          const REAL *gi, size_t gi_stride,
                          const REAL *gh, size_t gh_stride,
                          const REAL *h_prev, REAL *z, REAL *rh);

/* ... second half: gi_n [count] = W_in x + b_in, hn [count] = W_hn (r*h)
 * + b_hn; h_next = (1 - z) * tanh(gi_n + hn) + z * h_prev. */
void SFX(rr_gru_n_gates)(const rr_config *cfg, size_t count,
                         const REAL *gi_n, const REAL *hn,
                         const REAL *h_prev, const REAL *z, REAL *h_next);

/* --- portable_impl.h and avx2_impl.h: the products ---------------------- */

/*
 * One group u of a packed matrix w (see rr_packed) times m rows of a:
 *     c[i*ldc + g*c_gate_stride + j] = bias[g*U + u*nr + j]
 *                          + sum_k a[i*lda + k] * W[g*U + u*nr + j][k]
 * for rows i < m, gates g < G, units j < min(nr, U - u*nr). c must not
 * overlap a or w.
 */
void SFX(rr_portable_product)(const rr_packed *w, size_t u, size_t m,
                              const REAL *a, size_t lda, REAL *c,
                              size_t c_gate_stride, size_t ldc);
#if RR_HAVE_AVX2_KERNELS
void SFX(rr_avx2_product)(const rr_packed *w, size_t u, size_t m,
                          const REAL *a, size_t lda, REAL *c,
                          size_t c_gate_stride, size_t ldc);

/* The gates above, vectorised; same arguments, same NaN and inf results,
 * values within a few ulps. */
void SFX(rr_avx2_rnn_gates)(const rr_config *cfg, size_t count,
                            const REAL *gi, const REAL *gh, REAL *h_next);
void SFX(rr_avx2_lstm_gates)(const rr_config *cfg, size_t count,
                             const REAL *gi, size_t gi_stride,
                             const REAL *gh, size_t gh_stride,
                             const REAL *peep, size_t peep_stride,
                             REAL *c, REAL *m);
void SFX(rr_avx2_gru_gates)(const rr_config *cfg, size_t count,
                            const REAL *gi, size_t gi_stride,
                            const REAL *gh, size_t gh_stride,
                            const REAL *h_prev, REAL *h_next);
void SFX(rr_avx2_gru_rz_gates)(const rr_config *cfg, size_t count,
                               const REAL *gi, size_t gi_stride,
                               const REAL *gh, size_t gh_stride,
                               const REAL *h_prev, REAL *z, REAL *rh);
void SFX(rr_avx2_gru_n_gates)(const rr_config *cfg, size_t count,
                              const REAL *gi_n, const REAL *hn,
                              const REAL *h_prev, const REAL *z,
                              REAL *h_next);
#endif

/* --- avx512_impl.h: the AVX-512 product and gates ----------------------
 * The arguments and results of rr_portable_product and of the gates
 * above; built where the AVX2 kernels are, run where rr_cpu_has_avx512. */
#if RR_HAVE_AVX2_KERNELS
void SFX(rr_avx512_product)(const rr_packed *w, size_t u, size_t m,
                            const REAL *a, size_t lda, REAL *c,
                            size_t c_gate_stride, size_t ldc);
void SFX(rr_avx512_rnn_gates)(const rr_config *cfg, size_t count,
                              const REAL *gi, const REAL *gh, REAL *h_next);
void SFX(rr_avx512_lstm_gates)(const rr_config *cfg, size_t count,
                               const REAL *gi, size_t gi_stride,
                               const REAL *gh, size_t gh_stride,
                               const REAL *peep, size_t peep_stride,
                               REAL *c, REAL *m);
void SFX(rr_avx512_gru_gates)(const rr_config *cfg, size_t count,
                              const REAL *gi, size_t gi_stride,
                              const REAL *gh, size_t gh_stride,
                              const REAL *h_prev, REAL *h_next);
void SFX(rr_avx512_gru_rz_gates)(const rr_config *cfg, size_t count,
                                 const REAL *gi, size_t gi_stride,
                                 const REAL *gh, size_t gh_stride,
                                 const REAL *h_prev, REAL *z, REAL *rh);
void SFX(rr_avx512_gru_n_gates)(const rr_config *cfg, size_t count,
                                const REAL *gi_n, const REAL *hn,
                                const REAL *h_prev, const REAL *z,
                                REAL *h_next);
#endif

/* --- sequence_impl.h ---------------------------------------------------- */

/* The whole computation of rr_net_forward, on arguments already checked.
 * Reads every input before it writes any output, so an output may alias
 * an input (rr_net_step relies on that). h0, c0, lengths may be NULL. */
rr_status SFX(rr_run_sequence)(const rr_net *net, size_t seq_len,
                               size_t batch, const REAL *x, const REAL *h0,
                               const REAL *c0, const int64_t *lengths,
                               REAL *output, REAL *h_n, REAL *c_n, REAL *y,
                               rr_error *err);

/* --- exact_impl.h: the exact kernel (docs/exact-kernel.md) -------------- */

/* rr_run_sequence on the exact path (net->path == RR_PATH_EXACT): the same
 * arguments and aliasing rules; double-double inside every step, each
 * stored value rounded once (to REAL). */
rr_status SFX(rr_exact_run_sequence)(const rr_net *net, size_t seq_len,
                                     size_t batch, const REAL *x,
                                     const REAL *h0, const REAL *c0,
                                     const int64_t *lengths, REAL *output,
                                     REAL *h_n, REAL *c_n, REAL *y,
                                     rr_error *err);

/* A chain's dense layer on the exact path: dst [rows, O] = act(src [rows,
 * K] W^T + b), W [O, K] row-major, b [O] (NULL: none); per output
 * add_term(b[o]), the products in index order, finish, the activation
 * (softmax over each row), round. RR_E_NOMEM when its scratch cannot be
 * allocated (dst then undefined). */
rr_status SFX(rr_exact_dense)(size_t rows, size_t in_width, const REAL *src,
                              size_t out_width, const REAL *w, const REAL *b,
                              rr_activation act, REAL *dst, rr_error *err);

/*
 * step_avx512_impl.h - the AVX-512 path's layer of a one-row step (batch
 * 1) with the products and the gates fused, for one precision (REAL,
 * SFX: see real.h; VEC, MASK, V_*: avx512_real.h). Read by step.c after
 * step_impl.h, which calls SFX(step512_layer) in place of SFX(step_layer)
 * when SFX(step512_fits) says the net is one it covers.
 *
 * Per group u of nr = 2 * VLEN units (the packing of pack.c), for every
 * gate g of the group at once, in registers:
 *   gi[g] = b_ih[g] + sum_k in[k] * W_ih[g][k]       (k = 0, 1, .., I-1)
 *   gh[g] = b_hh[g] + sum_k h_{t-1}[k] * W_hh[g][k]  (k = 0, 1, .., H-1)
 * each element in the blocked order of RR_DOT_BLOCK (internal.h), with
 * the code of rr_avx512_product's one-row kernel (SFX(dot512_row),
 * avx512_cells_impl.h), so the same bits; then the cell
 * of its units on the vectors still in registers, with the helpers of
 * avx512_cells_impl.h that the forward's gates run too (masked lanes past
 * the layer's H are computed and never stored, as there). No scratch
 * round trip: gi and gh are never stored. A layer of one group reads
 * all of h_{t-1} into registers before it writes any h_t, so a step in
 * place (h_next = h) needs no copy of h then (reads_h_first, step_impl.h).
 * A layer of at most VLEN / 2 units (float32 H <= 8, float64 H <= 4)
 * runs its cells two gates to a vector (SFX(lstm512_half_cell),
 * SFX(gru512_half_cell)): the same bits in fewer sigmoid and tanh calls.
 * The top layer stores its h_t to out_t too (writes_out, step_impl.h).
 *
 * It covers every net of the AVX-512 path but an LSTM with a projection
 * and a GRU without linear_before_reset (their second product reads the
 * whole first one: step_layer runs those).
 */
#include "real.h"
#include "avx512_real.h"
#include "avx512_math_impl.h"
#include "avx512_cells_impl.h"

/* Whether SFX(step512_layer) covers the net's layers. */
static int SFX(step512_fits)(const rr_net *net)
{
    const rr_config *cfg = &net->cfg;
    return cfg->proj_size == 0 &&
           (cfg->cell != RR_CELL_GRU || cfg->linear_before_reset);
}

/*
 * The first min(n, VLEN) units of v to p, and of p into a vector (zeros
 * past them): a whole or half vector by a plain store or load, which the
 * next load of those units (the next step's h_{t-1}, c) can take from
 * the store buffer; other counts masked. Nothing past p[n - 1] is read
 * or written.
 */
RR_AVX512_INLINE void SFX(store512_units)(REAL *p, size_t n, VEC v)
{
    if (n >= VLEN) {
        V_STORE(p, v);
    } else if (n == VLEN / 2) {
#if RR_REAL_BITS == 64
        _mm256_storeu_pd(p, _mm512_castpd512_pd256(v));
#else
        _mm256_storeu_ps(p, _mm512_castps512_ps256(v));
#endif
    } else {
        V_STOREM(p, V_MASK(n), v);
    }
}

RR_AVX512_INLINE VEC SFX(load512_units)(const REAL *p, size_t n)
{
    if (n >= VLEN) {
        return V_LOAD(p);
    }
    if (n == VLEN / 2) {
#if RR_REAL_BITS == 64
        return _mm512_zextpd256_pd512(_mm256_loadu_pd(p));
#else
        return _mm512_zextps256_ps512(_mm256_loadu_ps(p));
#endif
    }
    return V_LOADM(V_MASK(n), p);
}

/* h_t of units j, j + 1, .. (min(n, VLEN) of them) to h_next, and to
 * out (out_t) when out is not NULL */
RR_AVX512_INLINE void SFX(store512_h)(REAL *h_next, REAL *out, size_t j,
                                      size_t n, VEC h_t)
{
    SFX(store512_units)(h_next + j, n, h_t);
    if (out != NULL) {
        SFX(store512_units)(out + j, n, h_t);
    }
}

/*
 * Both products of group u, in registers:
 *   gi[2g + half] = b_ih + sum_k in[k] W_ih[g][k]      (k < I_l)
 *   gh[2g + half] = b_hh + sum_k h_prev[k] W_hh[g][k]  (k < H_out)
 * each element in the blocked order of RR_DOT_BLOCK (internal.h) by
 * SFX(dot512_row), the code of rr_avx512_product's one-row kernel: the
 * same bits. (Running the two in one loop over their common k measured no
 * faster: the FMAs' throughput bounds it.) gates and halves are constants
 * after inlining.
 */
RR_AVX512_INLINE void SFX(step512_dots)(const size_t gates,
                                        const size_t halves,
                                        const rr_slot *slot, size_t u,
                                        const REAL *in, const REAL *h_prev,
                                        VEC *gi, VEC *gh)
{
    const size_t nr = 2 * VLEN;
    const size_t ways = RR512_BLOCKS_AT_ONCE(gates);
    const rr_packed *w_ih = &slot->w_ih, *w_hh = &slot->w_hh;
    SFX(dot512_row)(gates, halves, ways, w_ih->k, in,
                    (const REAL *)w_ih->data + u * gates * w_ih->k * nr,
                    w_ih->bias != NULL
                        ? (const REAL *)w_ih->bias + u * gates * nr
                        : NULL,
                    gi);
    SFX(dot512_row)(gates, halves, ways, w_hh->k, h_prev,
                    (const REAL *)w_hh->data + u * gates * w_hh->k * nr,
                    w_hh->bias != NULL
                        ? (const REAL *)w_hh->bias + u * gates * nr
                        : NULL,
                    gh);
}

/*
 * One layer of one row: in [I_l] -> h_next [H] (and c [H] in place: it
 * holds c_{t-1} and gets c_t), h_prev [H] its h_{t-1}. The arguments of
 * SFX(step_layer) after `cell` (the net's cell, a constant after
 * inlining: see SFX(step512_row_lstm)); batch is 1, kern is not used, s only
 * for s->out.
 */
RR_AVX512_INLINE void SFX(step512_layer)(
    const rr_cell cell, const SFX(kernel_table) *kern, const rr_net *net,
    const rr_slot *slot, size_t batch, const REAL *in, size_t in_width,
    const REAL *h_prev, REAL *h_next, REAL *c, const SFX(step_scratch) *s)
{
    (void)kern, (void)batch, (void)in_width;
    REAL *out = s->out; /* [H]: out_t when this is the top layer, or NULL */
    const rr_config *cfg = &net->cfg;
    const size_t hidden = cfg->hidden_size; /* H */
    const size_t nr = 2 * VLEN;
    const int has_clip = cfg->has_clip;
    const VEC limit = V_SET1((REAL)cfg->clip);
    const int relu = cfg->nonlinearity == RR_RELU;
    const REAL *peep_all = slot->peepholes; /* [3H] or NULL */
    /* a layer of at most VLEN / 2 units runs its gates two to a vector
     * (SFX(lstm512_half_cell), SFX(gru512_half_cell)): lstm without
     * peepholes (p_o c_t makes o wait for c_t) and gru */
    const int half_cells = hidden <= VLEN / 2 && cell != RR_CELL_RNN &&
                           (cell != RR_CELL_LSTM || peep_all == NULL);

    for (size_t u = 0; u < slot->w_hh.groups; u++) {
        const size_t first = u * nr;
        const size_t count = hidden - first < nr ? hidden - first : nr;
        VEC gi[8], gh[8]; /* [2G]: gate g, half: units VLEN*half.. */
        const int both = count > VLEN; /* the second vector holds units */
#define RR_STEP512_DOTS(gates)                                              \
    if (both) {                                                             \
        SFX(step512_dots)(gates, 2, slot, u, in, h_prev, gi, gh);           \
    } else {                                                                \
        SFX(step512_dots)(gates, 1, slot, u, in, h_prev, gi, gh);           \
    }
        switch (cell) {
        case RR_CELL_RNN:
            RR_STEP512_DOTS(1)
            break;
        case RR_CELL_LSTM:
            RR_STEP512_DOTS(4)
            break;
        case RR_CELL_GRU:
            RR_STEP512_DOTS(3)
            break;
        }
#undef RR_STEP512_DOTS
        if (half_cells) { /* count <= VLEN / 2: two gates a vector */
            if (cell == RR_CELL_LSTM) {
                VEC c_t;
                const VEC m_t = SFX(lstm512_half_cell)(
                    has_clip, limit, gi, gh,
                    SFX(load512_units)(c + first, count), &c_t);
                SFX(store512_units)(c + first, count, c_t);
                SFX(store512_h)(h_next, out, first, count, m_t);
            } else {
                SFX(store512_h)(h_next, out, first, count,
                                SFX(gru512_half_cell)(
                                    has_clip, limit, gi, gh,
                                    SFX(load512_units)(h_prev + first,
                                                       count)));
            }
            continue;
        }
        for (size_t half = 0; half < 2 && half * VLEN < count; half++) {
            const size_t j = first + half * VLEN; /* the vector's 1st unit */
            const size_t n = count - half * VLEN;  /* units in the vector */
            const MASK mk = V_MASK(n);
            switch (cell) {
            case RR_CELL_RNN:
                SFX(store512_h)(h_next, out, j, n,
                         SFX(rnn512_cell)(has_clip, limit, relu, gi[half],
                                          gh[half]));
                break;
            case RR_CELL_LSTM: {
                SFX(peep512) p = { peep_all != NULL, V_ZERO(), V_ZERO(),
                                   V_ZERO() };
                if (peep_all != NULL) {
                    p.p_i = V_LOADM(mk, peep_all + j);
                    p.p_f = V_LOADM(mk, peep_all + hidden + j);
                    p.p_o = V_LOADM(mk, peep_all + 2 * hidden + j);
                }
                VEC c_t;
                const VEC m_t = SFX(lstm512_cell)(
                    has_clip, limit, gi[half], gh[half], gi[2 + half],
                    gh[2 + half], gi[4 + half], gh[4 + half], gi[6 + half],
                    gh[6 + half], &p, SFX(load512_units)(c + j, n), &c_t);
                SFX(store512_units)(c + j, n, c_t);
                SFX(store512_h)(h_next, out, j, n, m_t); /* o tanh(c_t) */
                break;
            }
            case RR_CELL_GRU:
                SFX(store512_h)(h_next, out, j, n,
                         SFX(gru512_cell)(has_clip, limit, gi[half], gh[half],
                                          gi[2 + half], gh[2 + half],
                                          gi[4 + half], gh[4 + half],
                                          SFX(load512_units)(h_prev + j, n)));
                break;
            }
        }
    }
}


/*
 * The fused one-row step of one cell: SFX(step_with) with the layer
 * SFX(step512_layer) of that cell, inlined once per cell into
 * SFX(step_avx512), so that the cell is a constant there (no switch per
 * group; measured: fewer instructions a step, and no extra call).
 * A layer of one group reads all of its h_{t-1} first (reads_h_first).
 */
#define RR_STEP512_ROW(name, cell_kind)                                     \
    RR_AVX512_INLINE void SFX(name##_layer)(                                \
        const SFX(kernel_table) *kern, const rr_net *net,                  \
        const rr_slot *slot, size_t batch, const REAL *in,                 \
        size_t in_width, const REAL *h_prev, REAL *h_next, REAL *c,        \
        const SFX(step_scratch) *s)                                        \
    {                                                                      \
        SFX(step512_layer)(cell_kind, kern, net, slot, batch, in,          \
                           in_width, h_prev, h_next, c, s);                \
    }                                                                      \
    RR_AVX512_INLINE void SFX(name)(const rr_net *net, const void *x,      \
                                    const void *h, const void *c,          \
                                    void *out, void *h_next, void *c_next, \
                                    void *y, void *scratch)                \
    {                                                                      \
        const int one_group = net->cfg.hidden_size <= 2 * VLEN;            \
        SFX(step_with)(&SFX(avx512_kernels), SFX(name##_layer), one_group, \
                       1, net, 1, x, h, c, out, h_next, c_next, y,         \
                       scratch);                                           \
    }
RR_STEP512_ROW(step512_row_rnn, RR_CELL_RNN)
RR_STEP512_ROW(step512_row_lstm, RR_CELL_LSTM)
RR_STEP512_ROW(step512_row_gru, RR_CELL_GRU)
#undef RR_STEP512_ROW

/* The step of the AVX-512 path: one row fused (SFX(step512_row_*)) where
 * it fits, else the products and gates call by call. */
RR_AVX512 static void SFX(step_avx512)(const rr_net *net, size_t batch,
                                       const void *x, const void *h,
                                       const void *c, void *out,
                                       void *h_next, void *c_next, void *y,
                                       void *scratch)
{
    if (batch == 1 && SFX(step512_fits)(net)) {
        switch (net->cfg.cell) {
        case RR_CELL_RNN:
            SFX(step512_row_rnn)(net, x, h, c, out, h_next, c_next, y,
                                 scratch);
            return;
        case RR_CELL_LSTM:
            SFX(step512_row_lstm)(net, x, h, c, out, h_next, c_next, y,
                                  scratch);
            return;
        case RR_CELL_GRU:
            SFX(step512_row_gru)(net, x, h, c, out, h_next, c_next, y,
                                 scratch);
            return;
        }
    }
    SFX(step_with)(&SFX(avx512_kernels), SFX(step_layer), 0, 0, net, batch,
                   x, h, c, out, h_next, c_next, y, scratch);
}

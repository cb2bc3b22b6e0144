/* train_params.c - a chain's weights as one flat array [P] in the order of
 * rr_chain_param_info (rnn_rosetta_train.h): rr_chain_get_params reads
 * them back from the layers' packed layout (internal.h, rr_packed),
 * rr_chain_set_params hands each array to the public setters. */
#include "rnn_rosetta_train.h"
#include "train_impl.h"

#include <stdint.h>

/* element i of a REAL array of elem_size bytes, as double */
static double load(const void *data, size_t elem_size, size_t i)
{
    return elem_size == sizeof(float) ? (double)((const float *)data)[i]
                                      : ((const double *)data)[i];
}

/* W [G*U, K] row-major (rows from `first_row` on) and its bias [G*U]
 * (when bias and m->bias are not NULL) from the packed layout:
 *   W[g*U + u*nr + j][k] = data[((u*G + g)*K + k)*nr + j]
 *   b[g*U + u*nr + j]    = bias[(u*G + g)*nr + j] */
static void unpack(const rr_packed *m, size_t elem_size, double *w,
                   double *bias)
{
    for (size_t u = 0; u < m->groups; u++) {
        const size_t first = u * m->nr;
        const size_t width = m->units - first < m->nr ? m->units - first
                                                      : m->nr;
        for (size_t g = 0; g < m->gates; g++) {
            for (size_t j = 0; j < width; j++) {
                const size_t row = g * m->units + first + j;
                for (size_t k = 0; k < m->k; k++) {
                    w[row * m->k + k] = load(
                        m->data, elem_size,
                        ((u * m->gates + g) * m->k + k) * m->nr + j);
                }
                if (bias != NULL && m->bias != NULL) {
                    bias[row] = load(m->bias, elem_size,
                                     (u * m->gates + g) * m->nr + j);
                }
            }
        }
    }
}

/* The arrays of one direction (slot `slot` of layer l's net) into
 * params, from the table entry `first` (its weight_ih) on. */
static void get_direction(const rr_chain *ch, size_t l, size_t slot,
                          size_t first, double *params)
{
    const struct rr_param_table *t = ch->params;
    const rr_layer_config *layer = &ch->layers[l];
    const rr_slot *s = &ch->nets[l]->slots[slot];
    const size_t es = ch->elem_size;
    const size_t H = layer->hidden_size, out = ch->out_sizes[l];
    double *w_ih = params + t->params[first].offset;
    double *w_hh = params + t->params[first + 1].offset;
    double *b_ih = params + t->params[first + 2].offset;
    double *b_hh = params + t->params[first + 3].offset;
    size_t next = first + 4;
    unpack(&s->w_ih, es, w_ih, b_ih);
    unpack(&s->w_hh, es, w_hh, b_hh);
    if (layer->cell == RR_CELL_GRU && !layer->linear_before_reset) {
        /* W_hn, b_hn: the rows after r and z */
        unpack(&s->w_hn, es, w_hh + 2 * H * out, b_hh + 2 * H);
    }
    if (layer->cell == RR_CELL_LSTM && layer->proj_size > 0) {
        unpack(&s->w_hr, es, params + t->params[next].offset, NULL);
        next++;
    }
    if (layer->cell == RR_CELL_LSTM && layer->peepholes) {
        /* p_i, p_f, p_o: three arrays of H, contiguous in [P] */
        double *p = params + t->params[next].offset;
        for (size_t i = 0; i < 3 * H; i++) {
            p[i] = load(s->peepholes, es, i);
        }
    }
}

/* RR_OK when every array of the chain is set, else RR_E_STATE naming one. */
static rr_status check_set(const rr_chain *ch, rr_error *err)
{
    if (ch->cfg.vocab_size > 0 && ch->embedding == NULL) {
        return rr_fail(err, RR_E_STATE, "the embedding is not set");
    }
    for (size_t l = 0; l < ch->cfg.num_layers; l++) {
        const rr_direction dir = ch->layers[l].direction;
        if ((dir != RR_REVERSE && !ch->is_set[2 * l]) ||
            (dir != RR_FORWARD && !ch->is_set[2 * l + 1])) {
            return rr_fail(err, RR_E_STATE, "layer %zu's weights are not set",
                           l);
        }
    }
    for (size_t k = 0; k < ch->cfg.num_dense; k++) {
        if (ch->dense_weight[k] == NULL || ch->dense_bias[k] == NULL) {
            return rr_fail(err, RR_E_STATE, "dense layer %zu is not set", k);
        }
    }
    return RR_OK;
}

/* the chain's P, or an error when params / len do not fit it */
static rr_status check_flat(const rr_chain *chain, const double *params,
                            size_t len, rr_error *err)
{
    if (chain == NULL || params == NULL) {
        return rr_fail(err, RR_E_NULL, "%s is NULL",
                       chain == NULL ? "chain" : "params");
    }
    if (len != chain->params->total) {
        return rr_fail(err, RR_E_SHAPE, "params has %zu numbers, the chain's "
                       "weights P = %zu", len, chain->params->total);
    }
    return RR_OK;
}

rr_status rr_chain_get_params(const rr_chain *chain, double *params,
                              size_t len, rr_error *err)
{
    rr_status status = check_flat(chain, params, len, err);
    if (status == RR_OK) {
        status = check_set(chain, err);
    }
    if (status != RR_OK) {
        return status;
    }
    const struct rr_param_table *t = chain->params;
    const size_t es = chain->elem_size;
    if (chain->cfg.vocab_size > 0) {
        const rr_param *e = &t->params[t->embedding];
        for (size_t i = 0; i < e->count; i++) {
            params[e->offset + i] = load(chain->embedding, es, i);
        }
    }
    for (size_t l = 0; l < chain->cfg.num_layers; l++) {
        const size_t D = rr_chain_directions(chain, l);
        for (size_t d = 0; d < D; d++) {
            const int reverse = d == 1 ||
                                chain->layers[l].direction == RR_REVERSE;
            get_direction(chain, l, d, t->direction[2 * l + (size_t)reverse],
                          params);
        }
    }
    for (size_t k = 0; k < chain->cfg.num_dense; k++) {
        const rr_param *w = &t->params[t->dense + 2 * k];
        const rr_param *b = &t->params[t->dense + 2 * k + 1];
        for (size_t i = 0; i < w->count; i++) {
            params[w->offset + i] = load(chain->dense_weight[k], es, i);
        }
        for (size_t i = 0; i < b->count; i++) {
            params[b->offset + i] = load(chain->dense_bias[k], es, i);
        }
    }
    return RR_OK;
}

/* One direction's rr_weights view of params, from table entry `first`. */
static rr_weights direction_view(const rr_chain *ch, size_t l, size_t first,
                                 const double *params)
{
    const rr_param *p = &ch->params->params[first];
    const rr_layer_config *layer = &ch->layers[l];
    rr_weights w = { params + p[0].offset, p[0].count,
                     params + p[1].offset, p[1].count,
                     params + p[2].offset, p[2].count,
                     params + p[3].offset, p[3].count,
                     NULL, 0, NULL, 0 };
    size_t next = 4;
    if (layer->cell == RR_CELL_LSTM && layer->proj_size > 0) {
        w.weight_hr = params + p[next].offset;
        w.weight_hr_len = p[next].count;
        next++;
    }
    if (layer->cell == RR_CELL_LSTM && layer->peepholes) {
        w.peepholes = params + p[next].offset;
        w.peepholes_len = 3 * p[next].count;
    }
    return w;
}

rr_status rr_chain_set_params(rr_chain *chain, const double *params,
                              size_t len, rr_error *err)
{
    rr_status status = check_flat(chain, params, len, err);
    if (status != RR_OK) {
        return status;
    }
    const struct rr_param_table *t = chain->params;
    if (chain->cfg.vocab_size > 0) {
        const rr_param *e = &t->params[t->embedding];
        status = rr_chain_set_embedding(chain, params + e->offset, e->count,
                                        err);
    }
    for (size_t l = 0; l < chain->cfg.num_layers && status == RR_OK; l++) {
        for (size_t reverse = 0; reverse < 2 && status == RR_OK; reverse++) {
            const size_t first = t->direction[2 * l + reverse];
            if (first == SIZE_MAX) {
                continue;
            }
            const rr_weights view = direction_view(chain, l, first, params);
            status = rr_chain_set_weights(chain, l,
                                          reverse ? RR_REVERSE : RR_FORWARD,
                                          &view, err);
        }
    }
    for (size_t k = 0; k < chain->cfg.num_dense && status == RR_OK; k++) {
        const rr_param *w = &t->params[t->dense + 2 * k];
        const rr_param *b = &t->params[t->dense + 2 * k + 1];
        status = rr_chain_set_dense(chain, k, params + w->offset, w->count,
                                    params + b->offset, b->count, err);
    }
    return status;
}

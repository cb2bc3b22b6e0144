/* backward_params.c - the table of a chain's weight arrays: their dotted
 * JSON paths, offsets and counts in the flat [P] gradient, in chain order
 * (embedding, layers bottom up with forward before reverse, dense layers),
 * and rr_chain_num_params / rr_chain_param_count / rr_chain_param_info. */
#include "backward_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Append one array named prefix + index + "." + name (index omitted when
 * prefix is ""); 0 when P overflows. */
static int push(struct rr_param_table *t, size_t count, const char *prefix,
                size_t index, const char *name)
{
    rr_param *p = &t->params[t->num];
    if (prefix[0] == '\0') {
        snprintf(p->path, sizeof p->path, "%s", name);
    } else {
        snprintf(p->path, sizeof p->path, "%s%zu.%s", prefix, index, name);
    }
    p->offset = t->total;
    p->count = count;
    t->num++;
    t->total += count;
    return t->total >= count;
}

/* The arrays of one direction: G*H*I_l, G*H*H_out, G*H, G*H, [P*H], [3 H]
 * (counts fit: rr_net_create checked the net's sizes). */
static int push_direction(struct rr_param_table *t, const rr_chain *ch,
                          size_t l, const char *dir)
{
    const rr_layer_config *layer = &ch->layers[l];
    const size_t hidden = layer->hidden_size;
    const size_t gates = layer->cell == RR_CELL_LSTM ? 4
                         : layer->cell == RR_CELL_GRU ? 3 : 1;
    const size_t rows = gates * hidden;
    char names[4][32]; /* "forward.weight_ih", ... */
    const char *const base[] = { "weight_ih", "weight_hh", "bias_ih",
                                 "bias_hh" };
    const size_t counts[] = { rows * ch->in_sizes[l], rows * ch->out_sizes[l],
                              rows, rows };
    int ok = 1;
    for (size_t i = 0; ok && i < 4; i++) {
        snprintf(names[i], sizeof names[i], "%s.%s", dir, base[i]);
        ok = push(t, counts[i], "layers.", l, names[i]);
    }
    char name[32];
    if (ok && layer->cell == RR_CELL_LSTM && layer->proj_size > 0) {
        snprintf(name, sizeof name, "%s.weight_hr", dir);
        ok = push(t, layer->proj_size * hidden, "layers.", l, name);
    }
    const char *const peepholes[] = { "peephole_i", "peephole_f",
                                      "peephole_o" };
    for (size_t i = 0; ok && layer->cell == RR_CELL_LSTM &&
                       layer->peepholes && i < 3; i++) {
        snprintf(name, sizeof name, "%s.%s", dir, peepholes[i]);
        ok = push(t, hidden, "layers.", l, name);
    }
    return ok;
}

rr_status rr_chain_params_make(rr_chain *ch, rr_error *err)
{
    const size_t layers = ch->cfg.num_layers;
    /* at most 1 + 2 * L * 8 + 2 * num_dense arrays */
    const size_t most = 1 + 16 * layers + 2 * ch->cfg.num_dense;
    struct rr_param_table *t = calloc(1, sizeof *t);
    if (t != NULL) {
        t->params = calloc(most, sizeof *t->params);
        t->direction = calloc(2 * layers, sizeof(size_t));
    }
    if (t == NULL || t->params == NULL || t->direction == NULL) {
        rr_chain_params_free(t);
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the table of the "
                       "chain's weight arrays");
    }
    int ok = 1;
    if (ch->cfg.vocab_size > 0) {
        t->embedding = t->num;
        ok = push(t, ch->cfg.vocab_size * ch->cfg.input_size, "", 0,
                  "embedding.weight");
    }
    for (size_t l = 0; ok && l < layers; l++) {
        const rr_direction dir = ch->layers[l].direction;
        t->direction[2 * l] = SIZE_MAX;
        t->direction[2 * l + 1] = SIZE_MAX;
        if (dir != RR_REVERSE) {
            t->direction[2 * l] = t->num;
            ok = push_direction(t, ch, l, "forward");
        }
        if (ok && dir != RR_FORWARD) {
            t->direction[2 * l + 1] = t->num;
            ok = push_direction(t, ch, l, "reverse");
        }
    }
    size_t width = ch->sizes.output_width;
    t->dense = t->num;
    for (size_t k = 0; ok && k < ch->cfg.num_dense; k++) {
        const size_t size = ch->dense[k].size;
        ok = push(t, size * width, "dense.", k, "weight") &&
             push(t, size, "dense.", k, "bias");
        width = size;
    }
    if (!ok || !rr_count_product((const size_t[]){ t->total }, 1,
                                 &(size_t){ 0 })) {
        rr_chain_params_free(t);
        return rr_fail(err, RR_E_SIZE, "the chain's weights have more than "
                       "SIZE_MAX numbers in all");
    }
    ch->params = t;
    return RR_OK;
}

void rr_chain_params_free(struct rr_param_table *table)
{
    if (table == NULL) {
        return;
    }
    free(table->params);
    free(table->direction);
    free(table);
}

size_t rr_chain_num_params(const rr_chain *chain)
{
    return chain == NULL ? 0 : chain->params->num;
}

size_t rr_chain_param_count(const rr_chain *chain)
{
    return chain == NULL ? 0 : chain->params->total;
}

rr_status rr_chain_param_info(const rr_chain *chain, size_t k,
                              const char **path, size_t *offset,
                              size_t *count, rr_error *err)
{
    if (chain == NULL) {
        return rr_fail(err, RR_E_NULL, "chain is NULL");
    }
    const struct rr_param_table *t = chain->params;
    if (k >= t->num) {
        return rr_fail(err, RR_E_SIZE, "k is %zu, but the chain has %zu "
                       "weight arrays", k, t->num);
    }
    if (path != NULL) {
        *path = t->params[k].path;
    }
    if (offset != NULL) {
        *offset = t->params[k].offset;
    }
    if (count != NULL) {
        *count = t->params[k].count;
    }
    return RR_OK;
}

/*
 * character_model.c - the check of a character model (character_model.h).
 */
#include "character_model.h"

#include <stdio.h>

static const char *direction_name(rr_direction d)
{
    switch (d) {
    case RR_FORWARD:
        return "forward";
    case RR_REVERSE:
        return "reverse";
    case RR_BIDIRECTIONAL:
        return "bidirectional";
    }
    return "unknown";
}

static const char *activation_name(rr_activation a)
{
    switch (a) {
    case RR_ACT_IDENTITY:
        return "identity";
    case RR_ACT_SOFTMAX:
        return "softmax";
    case RR_ACT_TANH:
        return "tanh";
    case RR_ACT_SIGMOID:
        return "sigmoid";
    case RR_ACT_RELU:
        return "relu";
    }
    return "unknown";
}

int character_model_check(const rr_fixture *fx, const char *purpose,
                          rr_error *err)
{
    const rr_chain_config *cfg = &fx->chain;
    const size_t v = fx->vocabulary_size;
    if (fx->version != 2 || fx->vocabulary == NULL) {
        snprintf(err->message, sizeof err->message, "the model has no "
                 "vocabulary (a version-2 character model needs one: "
                 "docs/fixture-format.md#vocabulary)");
        return 0;
    }
    for (size_t l = 0; l < cfg->num_layers; l++) {
        if (cfg->layers[l].direction != RR_FORWARD) {
            snprintf(err->message, sizeof err->message, "layer %zu runs %s; "
                     "%s streams one token at a time, so every layer must "
                     "run forward", l,
                     direction_name(cfg->layers[l].direction), purpose);
            return 0;
        }
    }
    if (cfg->readout != RR_READOUT_SEQUENCE) {
        snprintf(err->message, sizeof err->message, "the readout is 'last'; "
                 "%s needs readout 'sequence' (logits at every step)",
                 purpose);
        return 0;
    }
    if (cfg->num_dense == 0) {
        snprintf(err->message, sizeof err->message, "the model has no dense "
                 "layer; %s needs a last dense layer of %zu outputs (the "
                 "vocabulary)", purpose, v);
        return 0;
    }
    const rr_dense_config *last = &cfg->dense[cfg->num_dense - 1];
    if (last->size != v) {
        snprintf(err->message, sizeof err->message, "the last dense layer "
                 "has %zu outputs; %s needs %zu (the vocabulary's size)",
                 last->size, purpose, v);
        return 0;
    }
    if (last->activation != RR_ACT_SOFTMAX &&
        last->activation != RR_ACT_IDENTITY) {
        snprintf(err->message, sizeof err->message, "the last dense layer's "
                 "activation is %s; %s needs softmax or identity",
                 activation_name(last->activation), purpose);
        return 0;
    }
    return 1;
}

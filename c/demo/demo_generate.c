/*
 * demo_generate.c - rr_demo --generate: text from a character model,
 * exactly as docs/generation.md says, so that the C demo prints the bytes
 * numpy and Java print:
 *
 *   tokens = the prime's characters looked up in the vocabulary
 *   state  = zeros; for each prime token p: z, state = step(p, state)
 *   repeat length times: k = sample(z, temperature, rng); emit
 *       vocabulary[k]; z, state = step(k, state)  (skipped after the last)
 *
 * step is rr_chain_step with batch 1 on the chain whose last dense layer's
 * activation is identity (z are the logits). The text is built whole
 * before anything is printed: the prime, the characters, one '\n'.
 */
#include "chain_stepper.h"
#include "demo.h"
#include "sampling.h"
#include "utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One vocabulary entry, sorted by code point for the prime's look-ups. */
typedef struct vocabulary_entry {
    uint32_t code_point;
    size_t token;
} vocabulary_entry;

static const char *const direction_names[] = { "forward", "reverse",
                                               "bidirectional" };
static const char *const activation_names[] = { "identity", "softmax",
                                                "tanh", "sigmoid", "relu" };

/* "What a model needs" (docs/generation.md); 1, or 0 with the reason. */
static int check_model(const rr_fixture *fx, rr_error *err)
{
    const rr_chain_config *cfg = &fx->chain;
    if (fx->vocabulary == NULL) {
        snprintf(err->message, sizeof err->message, "the model has no "
                 "vocabulary (a version-2 character model needs one: "
                 "docs/fixture-format.md#vocabulary)");
        return 0;
    }
    for (size_t l = 0; l < cfg->num_layers; l++) {
        if (cfg->layers[l].direction != RR_FORWARD) {
            snprintf(err->message, sizeof err->message, "layer %zu runs %s; "
                     "generation streams one token at a time, so every layer "
                     "must run forward", l,
                     direction_names[cfg->layers[l].direction]);
            return 0;
        }
    }
    if (cfg->readout != RR_READOUT_SEQUENCE) {
        snprintf(err->message, sizeof err->message, "the readout is 'last'; "
                 "generation needs readout 'sequence' (logits at every "
                 "step)");
        return 0;
    }
    if (cfg->num_dense == 0) {
        snprintf(err->message, sizeof err->message, "the model has no dense "
                 "layer; generation needs a last dense layer of %zu outputs "
                 "(the vocabulary)", fx->vocabulary_size);
        return 0;
    }
    const rr_dense_config *last = &cfg->dense[cfg->num_dense - 1];
    if (last->size != fx->vocabulary_size) {
        snprintf(err->message, sizeof err->message, "the last dense layer "
                 "has %zu outputs; generation needs %zu (the vocabulary's "
                 "size)", last->size, fx->vocabulary_size);
        return 0;
    }
    if (last->activation != RR_ACT_SOFTMAX &&
        last->activation != RR_ACT_IDENTITY) {
        snprintf(err->message, sizeof err->message, "the last dense layer's "
                 "activation is %s; generation needs softmax or identity",
                 activation_names[last->activation]);
        return 0;
    }
    return 1;
}

static int compare_entries(const void *a, const void *b)
{
    const vocabulary_entry *x = a;
    const vocabulary_entry *y = b;
    return x->code_point < y->code_point ? -1
                                         : x->code_point > y->code_point;
}

/* 1 when a character can be shown between quotes in a one-line message:
 * not a control, a separator other than the space, a format character,
 * a private-use or a noncharacter (roughly Python's str.isprintable). */
static int printable(uint32_t cp)
{
    return (cp >= 0x20u && cp < 0x7Fu) ||
           (cp > 0xA0u && cp != 0xADu && cp != 0x1680u &&
            !(cp >= 0x2000u && cp <= 0x200Fu) &&
            !(cp >= 0x2028u && cp <= 0x202Fu) &&
            !(cp >= 0x205Fu && cp <= 0x206Fu) && cp != 0x3000u &&
            !(cp >= 0xE000u && cp <= 0xF8FFu) && cp != 0xFEFFu &&
            !(cp >= 0xFFF0u && cp <= 0xFFFFu) && cp < 0xF0000u);
}

/* tokens [*count] = the prime's characters as tokens (allocated here).
 * DEMO_EXIT_OK; DEMO_EXIT_ARGUMENTS naming a character the vocabulary
 * lacks, with its position and code point; DEMO_EXIT_MODEL on no
 * memory. */
static demo_exit prime_tokens(const rr_fixture *fx, const char *prime,
                        int64_t **tokens, size_t *count, rr_error *err)
{
    const size_t v = fx->vocabulary_size;
    const size_t size = strlen(prime);
    vocabulary_entry *index = malloc(v * sizeof *index);
    *tokens = malloc((size > 0 ? size : 1) * sizeof **tokens);
    *count = 0;
    if (index == NULL || *tokens == NULL) {
        free(index);
        snprintf(err->message, sizeof err->message,
                 "cannot allocate the prime's tokens");
        return DEMO_EXIT_MODEL;
    }
    for (size_t k = 0; k < v; k++) {
        const char *entry = fx->vocabulary[k];
        utf8_next(entry, strlen(entry), &index[k].code_point);
        index[k].token = k;
    }
    qsort(index, v, sizeof *index, compare_entries);
    demo_exit result = DEMO_EXIT_OK;
    for (size_t at = 0; at < size && result == DEMO_EXIT_OK;) {
        vocabulary_entry key = { 0, 0 };
        const size_t used = utf8_next(prime + at, size - at, &key.code_point);
        const vocabulary_entry *found =
            used == 0 ? NULL
                      : bsearch(&key, index, v, sizeof *index,
                                compare_entries);
        if (found == NULL) {
            const int shown = used > 0 && printable(key.code_point);
            snprintf(err->message, sizeof err->message, "--prime: "
                     "character %zu, %s%.*s%s(U+%04X), is not in the "
                     "vocabulary", *count, shown ? "'" : "",
                     shown ? (int)used : 0, prime + at, shown ? "' " : "",
                     (unsigned)key.code_point);
            result = DEMO_EXIT_ARGUMENTS;
        } else {
            (*tokens)[(*count)++] = (int64_t)found->token;
            at += used;
        }
    }
    free(index);
    return result;
}

/* The procedure on a ready stepper; text gets the generated characters
 * after the prime (room for 4 bytes each). 1, or 0 with the reason. */
static int generate(const rr_fixture *fx, chain_stepper *st,
                    const int64_t *tokens, size_t count, size_t length,
                    double temperature, uint64_t seed, char *text,
                    size_t *used, rr_error *err)
{
    rr_status status = RR_OK;
    for (size_t i = 0; i < count && status == RR_OK; i++) {
        status = chain_stepper_step(st, NULL, &tokens[i], err);
    }
    splitmix64 rng = splitmix64_seeded(seed);
    for (size_t n = 0; n < length && status == RR_OK; n++) {
        size_t k = 0;
        if (!sample_token(st->y, fx->vocabulary_size, temperature, &rng,
                          &k)) {
            size_t bad = 0;
            while (bad + 1 < fx->vocabulary_size && isfinite(st->y[bad])) {
                bad++;
            }
            snprintf(err->message, sizeof err->message, "logits[%zu] is "
                     "%s: the model gives no distribution to sample from",
                     bad, isnan(st->y[bad]) ? "nan"
                          : st->y[bad] > 0 ? "inf" : "-inf");
            return 0;
        }
        const size_t bytes = strlen(fx->vocabulary[k]);
        memcpy(text + *used, fx->vocabulary[k], bytes);
        *used += bytes;
        if (n + 1 < length) {
            const int64_t token = (int64_t)k;
            status = chain_stepper_step(st, NULL, &token, err);
        }
    }
    return status == RR_OK;
}

demo_exit demo_generate(const rr_fixture *fx, rr_dtype dtype,
                        const char *prime, size_t length, double temperature,
                        uint64_t seed, rr_error *err)
{
    if (!check_model(fx, err)) {
        return DEMO_EXIT_MODEL;
    }
    int64_t *tokens = NULL;
    size_t count = 0;
    const demo_exit prime_result =
        prime_tokens(fx, prime, &tokens, &count, err);
    int ok = prime_result == DEMO_EXIT_OK;
    rr_chain *chain = NULL;
    chain_stepper st;
    memset(&st, 0, sizeof st);
    ok = ok && demo_build_chain(fx, dtype, 1, &chain, err) == RR_OK;
    ok = ok && chain_stepper_init(&st, chain, dtype, err) == RR_OK;
    const size_t prime_bytes = strlen(prime);
    char *text = ok ? malloc(prime_bytes + 4 * length + 1) : NULL;
    if (ok && text == NULL) {
        snprintf(err->message, sizeof err->message,
                 "cannot allocate the text (%zu characters)", length);
        ok = 0;
    }
    size_t used = prime_bytes;
    if (ok) {
        memcpy(text, prime, prime_bytes);
        ok = generate(fx, &st, tokens, count, length, temperature, seed, text,
                      &used, err);
    }
    if (ok) {
        text[used++] = '\n';
        ok = fwrite(text, 1, used, stdout) == used;
        if (!ok) {
            snprintf(err->message, sizeof err->message,
                     "cannot write the text");
        }
    }
    free(text);
    chain_stepper_free(&st);
    rr_chain_free(chain);
    free(tokens);
    return ok ? DEMO_EXIT_OK
              : prime_result != DEMO_EXIT_OK ? prime_result : DEMO_EXIT_MODEL;
}

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
#include "character_model.h"
#include "demo.h"
#include "demo_options.h"
#include "sampling.h"
#include "vocabulary_index.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tokens [*count] = the prime's characters as tokens (allocated here).
 * DEMO_EXIT_OK; DEMO_EXIT_ARGUMENTS naming the first character the
 * vocabulary lacks, with its position and code point; DEMO_EXIT_MODEL on
 * no memory. */
static demo_exit prime_tokens(const rr_fixture *fx, const char *prime,
                              int64_t **tokens, size_t *count, rr_error *err)
{
    const size_t size = strlen(prime);
    vocabulary_index index = { NULL, 0 };
    *tokens = malloc((size > 0 ? size : 1) * sizeof **tokens);
    *count = 0;
    if (*tokens == NULL || !vocabulary_index_init(&index, fx)) {
        snprintf(err->message, sizeof err->message,
                 "cannot allocate the prime's tokens");
        return DEMO_EXIT_MODEL;
    }
    vocabulary_stop stop;
    const vocabulary_encoding result =
        vocabulary_index_encode(&index, prime, size, *tokens, count, &stop);
    vocabulary_index_free(&index);
    if (result != VOCABULARY_ENCODED) { /* the options made it UTF-8 */
        snprintf(err->message, sizeof err->message, "--prime: character %zu "
                 "(U+%04X) is not in the vocabulary", stop.character,
                 (unsigned)stop.code_point);
        return DEMO_EXIT_ARGUMENTS;
    }
    return DEMO_EXIT_OK;
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

demo_exit demo_generate(const rr_fixture *fx, const demo_options *o,
                        rr_error *err)
{
    const rr_dtype dtype = o->dtype;
    const char *prime = o->prime;
    const size_t length = o->length;
    if (!character_model_check(fx, "generation", err)) {
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
        ok = generate(fx, &st, tokens, count, length, o->temperature,
                      o->seed, text, &used, err);
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

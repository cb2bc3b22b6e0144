/*
 * demo_train.c - rr_demo --train: train a character model on a text, as
 * docs/training.md says, and print one line per reported step:
 *
 *   tokens = the text's characters looked up in the vocabulary
 *   L = (N - 1) / B per stream; W = ceil(L / k) windows of k = --bptt steps
 *   step s trains on window w = s mod W: x[t][b] = tokens[b*L + w*k + t],
 *   y[t][b] = tokens[b*L + w*k + t + 1], from the previous step's final
 *   state (zeros at every window 0)
 *   "step %d loss %.17g" (step counted from 1), then "wrote FILE" (--out)
 *
 * The model is trained on its logits (the last dense layer's activation
 * identity); the written fixture has the original activation back.
 */
#include "character_model.h"
#include "demo.h"
#include "demo_options.h"
#include "rnn_rosetta_fixture_writer.h"
#include "rnn_rosetta_train.h"
#include "vocabulary_index.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file at path into *text [*size] (allocated here); 0 when it
 * cannot be read, with the system's reason in err. */
static int read_file(const char *path, char **text, size_t *size,
                     rr_error *err)
{
    errno = 0;
    FILE *f = fopen(path, "rb");
    int reason = f == NULL ? errno : 0;
    size_t cap = 4096, used = 0;
    char *buf = f != NULL ? malloc(cap) : NULL;
    while (buf != NULL) {
        errno = 0;
        used += fread(buf + used, 1, cap - used, f);
        reason = ferror(f) ? errno : 0;
        if (used < cap) {
            break;
        }
        char *grown = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (grown == NULL) {
            free(buf);
            buf = NULL;
        }
        buf = grown;
        cap *= 2;
    }
    const int ok = buf != NULL && !ferror(f);
    if (f != NULL) {
        fclose(f);
    }
    if (!ok) {
        free(buf);
        snprintf(err->message, sizeof err->message, "cannot read: %s",
                 strerror(reason != 0 ? reason : ENOMEM));
        return 0;
    }
    *text = buf;
    *size = used;
    return 1;
}

/* tokens [*count] = the text's characters as tokens (allocated here).
 * DEMO_EXIT_OK; DEMO_EXIT_ARGUMENTS naming the first character the
 * vocabulary lacks (its position, line and code point); DEMO_EXIT_MODEL
 * for bytes that are not UTF-8 (as Python and Java) or no memory. The
 * messages are about the text (without its path). */
static demo_exit text_tokens(const rr_fixture *fx, const char *text,
                             size_t size, int64_t **tokens, size_t *count,
                             rr_error *err)
{
    vocabulary_index index = { NULL, 0 };
    *tokens = malloc((size > 0 ? size : 1) * sizeof **tokens);
    *count = 0;
    if (*tokens == NULL || !vocabulary_index_init(&index, fx)) {
        snprintf(err->message, sizeof err->message,
                 "cannot allocate the text's tokens");
        return DEMO_EXIT_MODEL;
    }
    vocabulary_stop stop;
    const vocabulary_encoding result =
        vocabulary_index_encode(&index, text, size, *tokens, count, &stop);
    vocabulary_index_free(&index);
    switch (result) {
    case VOCABULARY_ENCODED:
        return DEMO_EXIT_OK;
    case VOCABULARY_NOT_UTF8:
        snprintf(err->message, sizeof err->message, "not UTF-8 (byte %zu)",
                 stop.byte);
        return DEMO_EXIT_MODEL;
    case VOCABULARY_OUTSIDE:
        break;
    }
    snprintf(err->message, sizeof err->message, "character %zu (line %zu, "
             "U+%04X) is not in the vocabulary", stop.character, stop.line,
             (unsigned)stop.code_point);
    return DEMO_EXIT_ARGUMENTS;
}

/* The windows of the streams (docs/training.md, "Data"). */
typedef struct streams {
    const int64_t *tokens;
    size_t length;   /* L: steps per stream                                 */
    size_t batch;    /* B                                                   */
    size_t bptt;     /* k                                                   */
    size_t windows;  /* W = ceil(L / k)                                     */
} streams;

/* x, y [T_w][B] of window w; returns T_w = min(k, L - w*k) */
static size_t window(const streams *s, size_t w, int64_t *x, int64_t *y)
{
    const size_t start = w * s->bptt;
    const size_t steps = s->length - start < s->bptt ? s->length - start
                                                     : s->bptt;
    for (size_t t = 0; t < steps; t++) {
        for (size_t b = 0; b < s->batch; b++) {
            const size_t at = b * s->length + start + t;
            x[t * s->batch + b] = s->tokens[at];     /* tokens[bL + wk + t] */
            y[t * s->batch + b] = s->tokens[at + 1]; /* the next one */
        }
    }
    return steps;
}

/* The trained model as a fixture at o->out. */
static int write_fixture(const rr_fixture *fx, const demo_options *o,
                         const rr_trainer *tr, size_t count, rr_error *err)
{
    double *params = malloc((count > 0 ? count : 1) * sizeof *params);
    if (params == NULL || rr_trainer_params(tr, params, count, err) != RR_OK) {
        free(params);
        snprintf(err->message, sizeof err->message, "cannot collect the "
                 "trained weights");
        return 0;
    }
    char steps[32];
    snprintf(steps, sizeof steps, "%zu", o->steps);
    const char *const provenance[] = {
        "generator", "rr_demo --train (docs/training.md)",
        "data", o->data,
        "optimizer", o->sgd ? "sgd" : "adam",
        "steps", steps,
        "dtype", o->dtype == RR_FLOAT32 ? "float32" : "float64",
    };
    const rr_fixture_chain_doc doc = {
        fx->name, "a character model trained by rr_demo --train",
        &fx->chain, params, count, (const char *const *)fx->vocabulary,
        fx->vocabulary_size, fx->tolerance, provenance,
        sizeof provenance / sizeof provenance[0] / 2,
    };
    const int ok = rr_fixture_write_chain(o->out, &doc, err) == RR_FIXTURE_OK;
    free(params);
    return ok;
}

/* The steps: one line per reported step; DEMO_EXIT_OK or the reason. */
static demo_exit train_steps(const demo_options *o, rr_trainer *tr,
                             const rr_chain_sizes *sz, const streams *s,
                             const char **subject, rr_error *err)
{
    const size_t hs = sz->state_size * s->batch;
    const size_t cs = sz->cell_state_size * s->batch;
    /* the longest window: min(k, L) steps */
    const size_t rows = (s->bptt < s->length ? s->bptt : s->length) * s->batch;
    int64_t *x = malloc(rows * sizeof *x);
    int64_t *y = malloc(rows * sizeof *y);
    double *h = calloc(hs + 1, sizeof *h);
    double *c = calloc(cs + 1, sizeof *c);
    demo_exit result = DEMO_EXIT_OK;
    if (x == NULL || y == NULL || h == NULL || c == NULL) {
        snprintf(err->message, sizeof err->message, "cannot allocate the "
                 "training buffers");
        result = DEMO_EXIT_MODEL;
    }
    for (size_t step = 0; step < o->steps && result == DEMO_EXIT_OK; step++) {
        const size_t w = step % s->windows;
        if (w == 0) { /* zeros at every window 0 */
            memset(h, 0, (hs + 1) * sizeof *h);
            memset(c, 0, (cs + 1) * sizeof *c);
        }
        const size_t steps = window(s, w, x, y);
        double loss = 0.0;
        rr_error inner = { { 0 } };
        const rr_status status = rr_trainer_step(
            tr, steps, s->batch, x, steps * s->batch, y, steps * s->batch, h,
            hs, cs ? c : NULL, cs, h, hs, cs ? c : NULL, cs, &loss, &inner);
        if (status != RR_OK) { /* "step S: the loss is nan", no file */
            snprintf(err->message, sizeof err->message, "step %zu: %s",
                     step + 1, inner.message);
            *subject = NULL;
            result = DEMO_EXIT_MODEL;
        } else if ((step + 1) % o->log_every == 0 || step + 1 == o->steps) {
            printf("step %zu loss %.17g\n", step + 1, loss);
        }
    }
    free(x);
    free(y);
    free(h);
    free(c);
    return result;
}

demo_exit demo_train(const rr_fixture *fx, const demo_options *o,
                     const char **subject, rr_error *err)
{
    if (!character_model_check(fx, "training", err)) {
        return DEMO_EXIT_MODEL;
    }
    char *text = NULL;
    size_t size = 0;
    if (!read_file(o->data, &text, &size, err)) {
        *subject = o->data;
        return DEMO_EXIT_MODEL;
    }
    int64_t *tokens = NULL;
    size_t count = 0;
    demo_exit result = text_tokens(fx, text, size, &tokens, &count, err);
    free(text);
    const size_t length = count > 0 ? (count - 1) / o->batch : 0;
    if (result == DEMO_EXIT_OK && length < 1) {
        snprintf(err->message, sizeof err->message, "the text is too short "
                 "for %zu streams (%zu characters; at least %zu needed)",
                 o->batch, count, o->batch + 1);
        result = DEMO_EXIT_MODEL;
    }
    if (result != DEMO_EXIT_OK) {
        *subject = o->data;
    }
    const streams s = { tokens, length, o->batch, o->bptt,
                        (length + o->bptt - 1) / (o->bptt ? o->bptt : 1) };
    rr_chain *chain = NULL;
    rr_trainer *trainer = NULL;
    rr_chain_sizes sz;
    rr_train_config cfg = rr_train_config_default();
    cfg.optimizer = o->sgd ? RR_OPTIMIZER_SGD : RR_OPTIMIZER_ADAM;
    cfg.lr = o->lr;
    cfg.momentum = o->momentum;
    cfg.clip_norm = o->clip_norm;
    if (result == DEMO_EXIT_OK &&
        (demo_build_chain(fx, o->dtype, 1, &chain, err) != RR_OK ||
         rr_chain_get_sizes(chain, &sz, err) != RR_OK ||
         rr_trainer_create(chain, &cfg, &trainer, err) != RR_OK)) {
        result = DEMO_EXIT_MODEL;
    }
    if (result == DEMO_EXIT_OK) {
        result = train_steps(o, trainer, &sz, &s, subject, err);
    }
    if (result == DEMO_EXIT_OK && o->out != NULL) {
        if (write_fixture(fx, o, trainer, rr_chain_param_count(chain), err)) {
            printf("wrote %s\n", o->out);
        } else {
            result = DEMO_EXIT_MODEL;
        }
    }
    rr_trainer_free(trainer);
    rr_chain_free(chain);
    free(tokens);
    return result;
}

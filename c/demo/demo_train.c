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
#include "demo.h"
#include "demo_options.h"
#include "rnn_rosetta_fixture_writer.h"
#include "rnn_rosetta_train.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One vocabulary entry, sorted by code point for the text's look-ups. */
typedef struct vocabulary_entry {
    uint32_t code_point;
    size_t token;
} vocabulary_entry;

static int compare_entries(const void *a, const void *b)
{
    const vocabulary_entry *x = a;
    const vocabulary_entry *y = b;
    return x->code_point < y->code_point ? -1
                                         : x->code_point > y->code_point;
}

/* "What a model needs" (docs/training.md); 1, or 0 with the reason. */
static int check_model(const rr_fixture *fx, rr_error *err)
{
    const rr_chain_config *cfg = &fx->chain;
    const char *problem = NULL;
    if (fx->vocabulary == NULL) {
        problem = "the model has no vocabulary (a version-2 character model "
                  "needs one: docs/fixture-format.md#vocabulary)";
    } else if (cfg->readout != RR_READOUT_SEQUENCE) {
        problem = "the readout is 'last'; training needs readout 'sequence'";
    } else if (cfg->num_dense == 0 ||
               cfg->dense[cfg->num_dense - 1].size != fx->vocabulary_size) {
        problem = "training needs a last dense layer of V outputs (the "
                  "vocabulary's size)";
    } else if (cfg->dense[cfg->num_dense - 1].activation != RR_ACT_SOFTMAX &&
               cfg->dense[cfg->num_dense - 1].activation != RR_ACT_IDENTITY) {
        problem = "the last dense layer's activation must be softmax or "
                  "identity";
    }
    for (size_t l = 0; problem == NULL && l < cfg->num_layers; l++) {
        if (cfg->layers[l].direction != RR_FORWARD) {
            problem = "every layer must run forward (the state is carried "
                      "from window to window)";
        }
    }
    if (problem != NULL) {
        snprintf(err->message, sizeof err->message, "%s", problem);
        return 0;
    }
    return 1;
}

/* The whole file at path into *text [*size] (allocated here); 0 when it
 * cannot be read. */
static int read_file(const char *path, char **text, size_t *size)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 4096, used = 0;
    char *buf = f != NULL ? malloc(cap) : NULL;
    while (buf != NULL) {
        used += fread(buf + used, 1, cap - used, f);
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
        return 0;
    }
    *text = buf;
    *size = used;
    return 1;
}

/* tokens [*count] = the text's characters as tokens (allocated here).
 * DEMO_EXIT_OK; DEMO_EXIT_ARGUMENTS naming a character the vocabulary
 * lacks; DEMO_EXIT_MODEL for bytes that are not UTF-8 or no memory. */
static demo_exit text_tokens(const rr_fixture *fx, const char *text,
                             size_t size, int64_t **tokens, size_t *count,
                             rr_error *err)
{
    const size_t v = fx->vocabulary_size;
    vocabulary_entry *index = malloc(v * sizeof *index);
    *tokens = malloc((size > 0 ? size : 1) * sizeof **tokens);
    *count = 0;
    if (index == NULL || *tokens == NULL) {
        free(index);
        snprintf(err->message, sizeof err->message,
                 "cannot allocate the text's tokens");
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
        const size_t used = utf8_next(text + at, size - at, &key.code_point);
        const vocabulary_entry *found =
            used == 0 ? NULL
                      : bsearch(&key, index, v, sizeof *index,
                                compare_entries);
        if (used == 0) {
            snprintf(err->message, sizeof err->message, "--data: byte %zu "
                     "(character %zu) is not valid UTF-8", at, *count);
            result = DEMO_EXIT_MODEL; /* a file that is not text, as Python and Java */
        } else if (found == NULL) {
            snprintf(err->message, sizeof err->message, "--data: character "
                     "%zu (U+%04X) is not in the vocabulary", *count,
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
                             rr_error *err)
{
    const size_t hs = sz->state_size * s->batch;
    const size_t cs = sz->cell_state_size * s->batch;
    const size_t rows = s->bptt * s->batch;
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
        if (status != RR_OK) {
            snprintf(err->message, sizeof err->message, "step %zu: %s",
                     step + 1, inner.message);
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
                     rr_error *err)
{
    if (!check_model(fx, err)) {
        return DEMO_EXIT_MODEL;
    }
    char *text = NULL;
    size_t size = 0;
    if (!read_file(o->data, &text, &size)) {
        snprintf(err->message, sizeof err->message, "--data %.200s: cannot "
                 "read the file", o->data);
        return DEMO_EXIT_MODEL;
    }
    int64_t *tokens = NULL;
    size_t count = 0;
    demo_exit result = text_tokens(fx, text, size, &tokens, &count, err);
    free(text);
    const size_t length = count > 0 ? (count - 1) / o->batch : 0;
    if (result == DEMO_EXIT_OK && length < 1) {
        snprintf(err->message, sizeof err->message, "the text is too short "
                 "for %zu streams (%zu characters)", o->batch, count);
        result = DEMO_EXIT_MODEL;
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
        result = train_steps(o, trainer, &sz, &s, err);
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

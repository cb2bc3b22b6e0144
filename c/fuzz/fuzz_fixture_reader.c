/*
 * fuzz_fixture_reader.c - libFuzzer harness for the fixture reader library
 * (c/fixture, rnn_rosetta_fixture.h).
 *
 * Each input is the bytes of a fixture file. rr_fixture_parse must either
 * refuse it (a status other than RR_FIXTURE_OK, one line of message, *out
 * empty) or accept it with every array of every case exactly the size its
 * shape says. An accepted fixture's case 0 is then run through the library
 * the way the demo runs it (create, set_weights, set_head, forward; step
 * for forward models): the reader has checked everything, so the library
 * must accept it too. Anything else aborts, and ASan/UBSan catch what the
 * checks do not.
 *
 * Which library configuration runs depends on the input's size (size % 4):
 * 0 float64 AUTO kernel plus rr_net_step, 1 float64 PORTABLE kernel,
 * 2 float32, 3 float64 with num_threads = 2, so that every path is reached
 * without running all four on every input.
 *
 * Version-2 fixtures (chains) are run by fuzz_chain.c the same way.
 *
 * Build: make fuzz-build; run: c/build-fuzz/fuzz_fixture_reader CORPUS...
 */
#include "fuzz_chain.h"
#include "rnn_rosetta.h"
#include "rnn_rosetta_fixture.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The float32 entry points may be missing from a library that predates
 * them; weak references keep the harness linkable (NULL when absent). */
#pragma weak rr_net_forward_f32
#pragma weak rr_net_step_f32

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "fuzz_fixture_reader: %s:%d: check failed: %s\n", \
                    __FILE__, __LINE__, #cond);                              \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define CHECK_OK(status, err)                                                \
    do {                                                                     \
        const rr_status check_status_ = (status);                            \
        if (check_status_ != RR_OK) {                                        \
            fprintf(stderr, "fuzz_fixture_reader: %s:%d: the library "      \
                    "refused what the reader accepted: %s: %s\n", __FILE__,  \
                    __LINE__, rr_status_name(check_status_), (err)->message); \
            abort();                                                         \
        }                                                                    \
    } while (0)

static size_t gate_count(rr_cell cell)
{
    return cell == RR_CELL_LSTM ? 4 : (cell == RR_CELL_GRU ? 3 : 1);
}

/* The refusal contract: a known status, one non-empty line, *fx empty. */
static void check_refusal(rr_fixture_status status, const rr_error *err,
                          const rr_fixture *fx)
{
    CHECK(status == RR_FIXTURE_E_PARSE || status == RR_FIXTURE_E_NOMEM);
    const char *nul = memchr(err->message, '\0', sizeof err->message);
    CHECK(nul != NULL);
    const size_t length = (size_t)(nul - err->message);
    CHECK(length > 0);
    CHECK(memchr(err->message, '\n', length) == NULL);
    static const rr_fixture empty;
    CHECK(memcmp(fx, &empty, sizeof *fx) == 0);
}

/* Every count of case c agrees with the shapes the config implies. */
static void check_case(const rr_fixture *fx, const rr_fixture_case *c)
{
    const rr_config *cfg = &fx->config;
    const size_t D = cfg->direction == RR_BIDIRECTIONAL ? 2 : 1;
    const size_t H = cfg->hidden_size;
    const size_t H_out = cfg->proj_size > 0 ? cfg->proj_size : H;
    const size_t states = cfg->num_layers * D;
    const size_t T = c->seq_len, B = c->batch;
    CHECK(T >= 1 && B >= 1 && c->name != NULL);
    CHECK(c->x != NULL && c->x_len == T * B * cfg->input_size);
    CHECK(c->h0 == NULL || c->h0_len == states * B * H_out);
    CHECK(c->c0 == NULL ||
          (cfg->cell == RR_CELL_LSTM && c->c0_len == states * B * H));
    CHECK(c->lengths == NULL || c->lengths_len == B);
    for (size_t b = 0; c->lengths != NULL && b < B; b++) {
        CHECK(c->lengths[b] >= 1 && (uint64_t)c->lengths[b] <= T);
    }
    CHECK(c->output != NULL && c->output_len == T * B * D * H_out);
    CHECK(c->h_n != NULL && c->h_n_len == states * B * H_out);
    CHECK((c->c_n != NULL) == (cfg->cell == RR_CELL_LSTM));
    CHECK(c->c_n_len == (cfg->cell == RR_CELL_LSTM ? states * B * H : 0));
    CHECK((c->y != NULL) == (cfg->head != RR_HEAD_NONE));
    CHECK(c->y_len == T * B * cfg->head_size);
}

/* Every count agrees with the shapes the config implies. */
static void check_accepted(const rr_fixture *fx)
{
    const rr_config *cfg = &fx->config;
    const size_t max = RR_FIXTURE_MAX_SIZE;
    CHECK(cfg->input_size >= 1 && cfg->input_size <= max);
    CHECK(cfg->hidden_size >= 1 && cfg->hidden_size <= max);
    CHECK(cfg->num_layers >= 1 && cfg->num_layers <= 64);
    CHECK(cfg->proj_size < cfg->hidden_size);
    CHECK(fx->name != NULL);
    CHECK(fx->tolerance.rtol >= 0 && fx->tolerance.rtol <= 1);
    CHECK(fx->tolerance.atol >= 0 && fx->tolerance.atol <= 1);
    const size_t D = cfg->direction == RR_BIDIRECTIONAL ? 2 : 1;
    const size_t G = gate_count(cfg->cell);
    const size_t H = cfg->hidden_size;
    const size_t H_out = cfg->proj_size > 0 ? cfg->proj_size : H;
    CHECK(fx->weights_count == cfg->num_layers * D);
    for (size_t slot = 0; slot < fx->weights_count; slot++) {
        const rr_fixture_weights *w = &fx->weights[slot];
        const size_t I_l = slot < D ? cfg->input_size : D * H_out;
        CHECK(w->layer == slot / D);
        CHECK(w->direction == (cfg->direction == RR_REVERSE || slot % D == 1
                                   ? RR_REVERSE : RR_FORWARD));
        CHECK(w->weight_ih != NULL && w->weight_ih_len == G * H * I_l);
        CHECK(w->weight_hh != NULL && w->weight_hh_len == G * H * H_out);
        CHECK(w->bias_ih != NULL && w->bias_ih_len == G * H);
        CHECK(w->bias_hh != NULL && w->bias_hh_len == G * H);
        CHECK((w->weight_hr != NULL) == (cfg->proj_size > 0));
        CHECK(w->weight_hr_len == cfg->proj_size * H);
        CHECK((w->peepholes != NULL) == (cfg->peepholes != 0));
        CHECK(w->peepholes_len == (cfg->peepholes ? 3 * H : 0));
    }
    if (cfg->head == RR_HEAD_NONE) {
        CHECK(cfg->head_size == 0 && fx->head_weight == NULL &&
              fx->head_bias == NULL);
    } else {
        CHECK(cfg->head_size >= 1);
        CHECK(fx->head_weight_len == cfg->head_size * D * H_out);
        CHECK(fx->head_bias_len == cfg->head_size);
    }
    CHECK((fx->cases == NULL) == (fx->case_count == 0));
    for (size_t k = 0; k < fx->case_count; k++) {
        check_case(fx, &fx->cases[k]);
    }
}

static rr_net *build_net(const rr_fixture *fx, const rr_config *cfg)
{
    rr_error err = { { 0 } };
    rr_net *net = NULL;
    CHECK_OK(rr_net_create(cfg, &net, &err), &err);
    for (size_t slot = 0; slot < fx->weights_count; slot++) {
        const rr_fixture_weights *fw = &fx->weights[slot];
        const rr_weights w = rr_fixture_weights_view(fw);
        CHECK_OK(rr_net_set_weights(net, fw->layer, fw->direction, &w, &err),
                 &err);
    }
    if (cfg->head != RR_HEAD_NONE) {
        CHECK_OK(rr_net_set_head(net, fx->head_weight, fx->head_weight_len,
                                 fx->head_bias, fx->head_bias_len, &err),
                 &err);
    }
    return net;
}

/* Output counts of a forward call: output, h_n, c_n (0 unless lstm), y. */
typedef struct counts {
    size_t output, h_n, c_n, y;
} counts;

static counts forward_counts(const rr_fixture *fx, size_t steps,
                             size_t slots)
{
    const rr_config *cfg = &fx->config;
    const size_t B = fx->cases[0].batch;
    const size_t D = cfg->direction == RR_BIDIRECTIONAL ? 2 : 1;
    const size_t H_out = cfg->proj_size > 0 ? cfg->proj_size
                                            : cfg->hidden_size;
    const counts c = {
        steps * B * D * H_out, /* step: forward models, D = 1 */
        slots * B * H_out,
        cfg->cell == RR_CELL_LSTM ? slots * B * cfg->hidden_size : 0,
        steps * B * cfg->head_size,
    };
    return c;
}

/* Case 0 through rr_net_forward (and rr_net_step when step_too). */
static void run_float64(const rr_fixture *fx, const rr_net *net, int step_too)
{
    const rr_config *cfg = &fx->config;
    const rr_fixture_case *fc = &fx->cases[0];
    const size_t D = cfg->direction == RR_BIDIRECTIONAL ? 2 : 1;
    const counts n = forward_counts(fx, fc->seq_len, cfg->num_layers * D);
    double *output = calloc(n.output, sizeof(double));
    double *h_n = calloc(n.h_n, sizeof(double));
    double *c_n = n.c_n ? calloc(n.c_n, sizeof(double)) : NULL;
    double *y = n.y ? calloc(n.y, sizeof(double)) : NULL;
    CHECK(output && h_n && (!n.c_n || c_n) && (!n.y || y));
    rr_error err = { { 0 } };
    CHECK_OK(rr_net_forward(net, fc->seq_len, fc->batch, fc->x, fc->x_len,
                            fc->h0, fc->h0_len, fc->c0, fc->c0_len,
                            fc->lengths, fc->lengths_len, output, n.output,
                            h_n, n.h_n, c_n, n.c_n, y, n.y, &err), &err);

    if (step_too && cfg->direction == RR_FORWARD) {
        /* stream x through rr_net_step, h and c updated in place */
        const counts s = forward_counts(fx, 1, cfg->num_layers);
        const size_t x_count = fc->batch * cfg->input_size;
        double *h = calloc(s.h_n, sizeof(double));
        double *c = s.c_n ? calloc(s.c_n, sizeof(double)) : NULL;
        CHECK(h && (!s.c_n || c));
        if (fc->h0 != NULL) {
            memcpy(h, fc->h0, s.h_n * sizeof(double));
        }
        if (fc->c0 != NULL) {
            memcpy(c, fc->c0, s.c_n * sizeof(double));
        }
        for (size_t t = 0; t < fc->seq_len; t++) {
            CHECK_OK(rr_net_step(net, fc->batch, fc->x + t * x_count, x_count,
                                 h, s.h_n, c, s.c_n, output, s.output, h,
                                 s.h_n, c, s.c_n, y, s.y, &err), &err);
        }
        free(h);
        free(c);
    }
    free(output);
    free(h_n);
    free(c_n);
    free(y);
}

static float *to_float(const double *src, size_t count)
{
    if (src == NULL) {
        return NULL;
    }
    float *dst = malloc(count * sizeof(float));
    CHECK(dst != NULL);
    for (size_t i = 0; i < count; i++) {
        dst[i] = (float)src[i]; /* finite doubles; may round to +-inf */
    }
    return dst;
}

static void run_float32(const rr_fixture *fx, const rr_net *net)
{
    const rr_config *cfg = &fx->config;
    const rr_fixture_case *fc = &fx->cases[0];
    const size_t D = cfg->direction == RR_BIDIRECTIONAL ? 2 : 1;
    const counts n = forward_counts(fx, fc->seq_len, cfg->num_layers * D);
    float *x = to_float(fc->x, fc->x_len);
    float *h0 = to_float(fc->h0, fc->h0_len);
    float *c0 = to_float(fc->c0, fc->c0_len);
    float *output = calloc(n.output, sizeof(float));
    float *h_n = calloc(n.h_n, sizeof(float));
    float *c_n = n.c_n ? calloc(n.c_n, sizeof(float)) : NULL;
    float *y = n.y ? calloc(n.y, sizeof(float)) : NULL;
    CHECK(output && h_n && (!n.c_n || c_n) && (!n.y || y));
    rr_error err = { { 0 } };
    CHECK_OK(rr_net_forward_f32(net, fc->seq_len, fc->batch, x, fc->x_len,
                                h0, fc->h0_len, c0, fc->c0_len, fc->lengths,
                                fc->lengths_len, output, n.output, h_n, n.h_n,
                                c_n, n.c_n, y, n.y, &err), &err);
    if (cfg->direction == RR_FORWARD && rr_net_step_f32 != NULL) {
        const counts s = forward_counts(fx, 1, cfg->num_layers);
        CHECK_OK(rr_net_step_f32(net, fc->batch, x,
                                 fc->batch * cfg->input_size, h0,
                                 h0 ? s.h_n : 0, c0, c0 ? s.c_n : 0, output,
                                 s.output, h_n, s.h_n, c_n, s.c_n, y, s.y,
                                 &err), &err);
    }
    free(x);
    free(h0);
    free(c0);
    free(output);
    free(h_n);
    free(c_n);
    free(y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rr_fixture fx;
    rr_error err = { { 0 } };
    const rr_fixture_status status =
        rr_fixture_parse((const char *)data, size, &fx, &err);
    if (status != RR_FIXTURE_OK) {
        check_refusal(status, &err, &fx);
        return 0;
    }
    if (fx.version == 2) { /* a chain: fuzz_chain.c */
        fuzz_run_chain(&fx, (unsigned)(size % 4));
        rr_fixture_free(&fx);
        return 0;
    }
    check_accepted(&fx);

    rr_config cfg = fx.config;
    const unsigned variant = (unsigned)(size % 4);
    int use_f32 = 0;
    if (variant == 1) {
        cfg.kernel = RR_KERNEL_PORTABLE;
    } else if (variant == 2 && rr_net_forward_f32 != NULL) {
        cfg.dtype = RR_FLOAT32;
        use_f32 = 1;
    } else if (variant == 3) {
        cfg.num_threads = 2;
    }
    rr_net *net = build_net(&fx, &cfg);
    if (fx.case_count > 0) {
        if (use_f32) {
            run_float32(&fx, net);
        } else {
            run_float64(&fx, net, variant == 0);
        }
    }
    rr_net_free(net);
    rr_fixture_free(&fx);
    return 0;
}

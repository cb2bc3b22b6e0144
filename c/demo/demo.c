/*
 * demo.c - rr_demo FIXTURE.json: read a fixture with the reader library
 * (rnn_rosetta_fixture.h), run its first case, batch element 0, through the
 * public API and print one row per time step, in the format of
 * docs/demo-output.md (the same text as the Java and Python demos).
 *
 * Forward-direction models stream through rr_net_step (step mode); reverse
 * and bidirectional ones run one rr_net_forward (forward mode). Version-2
 * fixtures (chains) are demo_chain.c's: always forward mode. Everything
 * is computed before anything is printed, so a failure prints only
 * "rr_demo: FILE: message" on stderr (exit 2). The command line is
 * demo_main.c's.
 */
#include "demo.h"
#include "rnn_rosetta.h"
#include "rnn_rosetta_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One printed row: the numbers of time step t. */
typedef struct demo_row {
    size_t input;       /* first index of the largest |x[t, 0, i]|          */
    double x_value;     /* x[t, 0, input]                                   */
    double h_norm;      /* |output[t, 0, :]|                                */
    double c_norm;      /* |c| of the top layer after the step (step mode)  */
    size_t class_index; /* first index of the largest y[t, 0, :]            */
    double y_value;     /* y[t, 0, class_index]                             */
} demo_row;

/* What the demo prints after the two model lines. */
typedef struct demo_result {
    int step_mode;     /* 1: rr_net_step per step; 0: one rr_net_forward   */
    size_t steps;      /* L0 = lengths[0], else T                           */
    demo_row *rows;    /* [L0]                                              */
    double h_n_norm;   /* |h_n[:, 0, :]| over all states                    */
    double c_n_norm;   /* |c_n[:, 0, :]| (lstm)                             */
} demo_result;

/* Every buffer the demo computes with, each batch element 0 only. */
typedef struct demo_buffers {
    double *x;      /* [L0, 1, I]                                           */
    double *h;      /* [L*D, 1, H_out]: h0, then h_n                        */
    double *c;      /* [L*D, 1, H]: c0, then c_n (lstm)                     */
    double *output; /* [L0, 1, D*H_out]                                     */
    double *y;      /* [L0, 1, O] (head)                                    */
} demo_buffers;

static const char *cell_text(rr_cell cell)
{
    switch (cell) {
    case RR_CELL_RNN: return "rnn";
    case RR_CELL_LSTM: return "lstm";
    case RR_CELL_GRU: return "gru";
    }
    return "?";
}

static const char *direction_text(rr_direction direction)
{
    switch (direction) {
    case RR_FORWARD: return "forward";
    case RR_REVERSE: return "reverse";
    case RR_BIDIRECTIONAL: return "bidirectional";
    }
    return "?";
}

static const char *head_text(rr_head_activation head)
{
    return head == RR_HEAD_SOFTMAX ? "softmax" : "identity";
}

double demo_norm(const double *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += v[i] * v[i];
    }
    return sqrt(s);
}

size_t demo_first_argmax(const double *v, size_t n, int absolute)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++) {
        const double candidate = absolute ? fabs(v[i]) : v[i];
        const double current = absolute ? fabs(v[best]) : v[best];
        if (candidate > current) {
            best = i;
        }
    }
    return best;
}

void demo_format_value(char *text, size_t size, double value, int sign)
{
    if (isnan(value)) {
        snprintf(text, size, "nan");
    } else if (isinf(value)) {
        snprintf(text, size, value > 0 ? "inf" : "-inf");
    } else {
        snprintf(text, size, sign ? "%+.6f" : "%.6f", value);
    }
}

/* Create the net, computing in `dtype`, and copy every layer's weights and
 * the head in. */
static rr_status build_net(const rr_fixture *fx, rr_dtype dtype, rr_net **net,
                           rr_error *err)
{
    rr_config config = fx->config;
    config.dtype = dtype;
    config.kernel = RR_KERNEL_AUTO;
    config.num_threads = 1;
    rr_status status = rr_net_create(&config, net, err);
    for (size_t slot = 0; slot < fx->weights_count && status == RR_OK;
         slot++) {
        const rr_fixture_weights *w = &fx->weights[slot];
        const rr_weights weights = rr_fixture_weights_view(w);
        status = rr_net_set_weights(*net, w->layer, w->direction, &weights,
                                    err);
    }
    if (status == RR_OK && fx->config.head != RR_HEAD_NONE) {
        status = rr_net_set_head(*net, fx->head_weight, fx->head_weight_len,
                                 fx->head_bias, fx->head_bias_len, err);
    }
    return status;
}

/* count >= 1 zeroed doubles */
static double *alloc_doubles(size_t count)
{
    return calloc(count, sizeof(double));
}

static void free_buffers(demo_buffers *b)
{
    free(b->x);
    free(b->h);
    free(b->c);
    free(b->output);
    free(b->y);
}

/* Take batch element 0 of case 0: x[0:L0, 0:1, :], h0[:, 0:1, :],
 * c0[:, 0:1, :] (zeros when the case has none), and room for the outputs. */
static rr_status gather_inputs(const rr_fixture *fx, size_t steps,
                               demo_buffers *b, rr_error *err)
{
    const rr_config *cfg = &fx->config;
    const rr_fixture_case *c = &fx->cases[0];
    const size_t input = cfg->input_size;
    const size_t hidden = cfg->hidden_size;
    const size_t out_size = cfg->proj_size > 0 ? cfg->proj_size : hidden;
    const size_t directions = cfg->direction == RR_BIDIRECTIONAL ? 2 : 1;
    const size_t states = cfg->num_layers * directions;
    const int is_lstm = cfg->cell == RR_CELL_LSTM;

    b->x = alloc_doubles(steps * input);
    b->h = alloc_doubles(states * out_size);
    b->c = is_lstm ? alloc_doubles(states * hidden) : NULL;
    b->output = alloc_doubles(steps * directions * out_size);
    b->y = cfg->head != RR_HEAD_NONE ? alloc_doubles(steps * cfg->head_size)
                                     : NULL;
    if (!b->x || !b->h || (is_lstm && !b->c) || !b->output ||
        (cfg->head != RR_HEAD_NONE && !b->y)) {
        snprintf(err->message, sizeof err->message,
                 "cannot allocate the demo's buffers");
        return RR_E_NOMEM;
    }
    for (size_t t = 0; t < steps; t++) {
        memcpy(b->x + t * input, c->x + t * c->batch * input,
               input * sizeof(double));
    }
    for (size_t s = 0; s < states; s++) {
        if (c->h0 != NULL) {
            memcpy(b->h + s * out_size, c->h0 + s * c->batch * out_size,
                   out_size * sizeof(double));
        }
        if (c->c0 != NULL) {
            memcpy(b->c + s * hidden, c->c0 + s * c->batch * hidden,
                   hidden * sizeof(double));
        }
    }
    return RR_OK;
}

/* Fill the row of step t from x_t [I], out_t [width] and y_t [O]. */
static void fill_row(demo_row *row, const rr_config *cfg, const double *x_t,
                     const double *out_t, size_t width, const double *y_t)
{
    row->input = demo_first_argmax(x_t, cfg->input_size, 1);
    row->x_value = x_t[row->input];
    row->h_norm = demo_norm(out_t, width);
    if (y_t != NULL) {
        row->class_index = demo_first_argmax(y_t, cfg->head_size, 0);
        row->y_value = y_t[row->class_index];
    }
}

/* A float copy of v [n] (NULL when v is NULL or n is 0); *ok = 0 when the
 * allocation fails. */
static float *to_floats(const double *v, size_t n, int *ok)
{
    if (v == NULL || n == 0) {
        return NULL;
    }
    float *f = malloc(n * sizeof *f);
    if (f == NULL) {
        *ok = 0;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        f[i] = (float)v[i];
    }
    return f;
}

/* v [n] = f [n] widened to double; nothing when v is NULL */
static void from_floats(double *v, const float *f, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        v[i] = f[i];
    }
}

/* rr_net_step on double buffers: h and c are updated in place. A float32
 * net computes on float copies; its state goes back to double between
 * steps, which is exact (float -> double -> float loses nothing). */
static rr_status step(const rr_net *net, rr_dtype dtype, const double *x_t,
                      size_t x_len, double *h, size_t h_len, double *c,
                      size_t c_len, double *out_t, size_t out_len,
                      double *y_t, size_t y_len, rr_error *err)
{
    if (dtype == RR_FLOAT64) {
        return rr_net_step(net, 1, x_t, x_len, h, h_len, c, c_len, out_t,
                           out_len, h, h_len, c, c_len, y_t, y_len, err);
    }
    int ok = 1;
    float *xf = to_floats(x_t, x_len, &ok);
    float *hf = to_floats(h, h_len, &ok);
    float *cf = to_floats(c, c_len, &ok);
    float *outf = to_floats(out_t, out_len, &ok);
    float *yf = to_floats(y_t, y_len, &ok);
    rr_status status = RR_E_NOMEM;
    if (ok) {
        status = rr_net_step_f32(net, 1, xf, x_len, hf, h_len, cf, c_len,
                                 outf, out_len, hf, h_len, cf, c_len, yf,
                                 y_len, err);
    } else {
        snprintf(err->message, sizeof err->message,
                 "cannot allocate the float32 buffers");
    }
    if (status == RR_OK) {
        from_floats(h, hf, h_len);
        from_floats(c, cf, c_len);
        from_floats(out_t, outf, out_len);
        from_floats(y_t, yf, y_len);
    }
    free(xf);
    free(hf);
    free(cf);
    free(outf);
    free(yf);
    return status;
}

/* rr_net_forward (batch 1, no lengths) on double buffers; a float32 net
 * computes on float copies, as in step(). */
static rr_status forward(const rr_net *net, rr_dtype dtype, size_t steps,
                         const double *x, size_t x_len,
                         const double *h0, size_t h_len,
                         const double *c0, size_t c_len,
                         double *output, size_t output_len,
                         double *h_n, double *c_n,
                         double *y, size_t y_len, rr_error *err)
{
    if (dtype == RR_FLOAT64) {
        return rr_net_forward(net, steps, 1, x, x_len, h0, h_len, c0, c_len,
                              NULL, 0, output, output_len, h_n, h_len, c_n,
                              c_len, y, y_len, err);
    }
    int ok = 1;
    float *xf = to_floats(x, x_len, &ok);
    float *h0f = to_floats(h0, h_len, &ok);
    float *c0f = to_floats(c0, c_len, &ok);
    float *outputf = to_floats(output, output_len, &ok);
    float *h_nf = to_floats(h_n, h_len, &ok);
    float *c_nf = to_floats(c_n, c_len, &ok);
    float *yf = to_floats(y, y_len, &ok);
    rr_status status = RR_E_NOMEM;
    if (ok) {
        status = rr_net_forward_f32(net, steps, 1, xf, x_len, h0f, h_len, c0f,
                                    c_len, NULL, 0, outputf, output_len, h_nf,
                                    h_len, c_nf, c_len, yf, y_len, err);
    } else {
        snprintf(err->message, sizeof err->message,
                 "cannot allocate the float32 buffers");
    }
    if (status == RR_OK) {
        from_floats(output, outputf, output_len);
        from_floats(h_n, h_nf, h_len);
        from_floats(c_n, c_nf, c_len);
        from_floats(y, yf, y_len);
    }
    free(xf);
    free(h0f);
    free(c0f);
    free(outputf);
    free(h_nf);
    free(c_nf);
    free(yf);
    return status;
}

/* Run case 0 and fill `result` (rows allocated here). */
static rr_status run_case(const rr_fixture *fx, const rr_net *net,
                          rr_dtype dtype, demo_result *result, rr_error *err)
{
    const rr_config *cfg = &fx->config;
    const size_t hidden = cfg->hidden_size;
    const size_t out_size = cfg->proj_size > 0 ? cfg->proj_size : hidden;
    const size_t directions = cfg->direction == RR_BIDIRECTIONAL ? 2 : 1;
    const size_t states = cfg->num_layers * directions;      /* L*D */
    const size_t width = directions * out_size;              /* D*H_out */
    const int is_lstm = cfg->cell == RR_CELL_LSTM;
    const size_t c_len = is_lstm ? states * hidden : 0;
    const size_t y_width = cfg->head_size;                   /* O */
    const rr_fixture_case *c = &fx->cases[0];
    const size_t steps =
        c->lengths != NULL ? (size_t)c->lengths[0] : c->seq_len;

    result->step_mode = cfg->direction == RR_FORWARD;
    result->steps = steps;
    result->rows = calloc(steps, sizeof *result->rows);
    if (result->rows == NULL) {
        snprintf(err->message, sizeof err->message,
                 "cannot allocate %zu rows", steps);
        return RR_E_NOMEM;
    }
    demo_buffers b = { 0 };
    rr_status status = gather_inputs(fx, steps, &b, err);

    if (status == RR_OK && result->step_mode) {
        /* step mode: h and c are updated in place, one step at a time */
        for (size_t t = 0; t < steps && status == RR_OK; t++) {
            const double *x_t = b.x + t * cfg->input_size;
            double *out_t = b.output + t * width;
            double *y_t = b.y != NULL ? b.y + t * y_width : NULL;
            status = step(net, dtype, x_t, cfg->input_size, b.h,
                          states * out_size, b.c, c_len, out_t, out_size,
                          y_t, y_t ? y_width : 0, err);
            if (status == RR_OK) {
                fill_row(&result->rows[t], cfg, x_t, out_t, width, y_t);
                /* |c| of the top layer */
                result->rows[t].c_norm =
                    is_lstm ? demo_norm(b.c + (states - 1) * hidden, hidden)
                            : 0.0;
            }
        }
    } else if (status == RR_OK) {
        /* forward mode: the sequence x[0:L0, 0:1, :] at once; h and c
         * serve as h0/c0 and as h_n/c_n, so keep copies of the inputs */
        double *h0 = alloc_doubles(states * out_size);
        double *c0 = is_lstm ? alloc_doubles(c_len) : NULL;
        if (h0 == NULL || (is_lstm && c0 == NULL)) {
            snprintf(err->message, sizeof err->message,
                     "cannot allocate the initial states");
            status = RR_E_NOMEM;
        } else {
            memcpy(h0, b.h, states * out_size * sizeof(double));
            if (is_lstm) {
                memcpy(c0, b.c, c_len * sizeof(double));
            }
            status = forward(net, dtype, steps, b.x, steps * cfg->input_size,
                             h0, states * out_size, c0, c_len,
                             b.output, steps * width, b.h, b.c,
                             b.y, b.y ? steps * y_width : 0, err);
        }
        free(h0);
        free(c0);
        for (size_t t = 0; t < steps && status == RR_OK; t++) {
            fill_row(&result->rows[t], cfg, b.x + t * cfg->input_size,
                     b.output + t * width, width,
                     b.y != NULL ? b.y + t * y_width : NULL);
        }
    }
    if (status == RR_OK) {
        result->h_n_norm = demo_norm(b.h, states * out_size);
        result->c_n_norm = is_lstm ? demo_norm(b.c, c_len) : 0.0;
    }
    free_buffers(&b);
    return status;
}

static void print_model(const rr_fixture *fx)
{
    const rr_config *cfg = &fx->config;
    printf("rnn-rosetta demo: %s\n", fx->name);
    printf("model: %s layers=%zu direction=%s input=%zu hidden=%zu",
           cell_text(cfg->cell), cfg->num_layers,
           direction_text(cfg->direction), cfg->input_size, cfg->hidden_size);
    if (cfg->proj_size > 0) {
        printf(" proj=%zu", cfg->proj_size);
    }
    if (cfg->head != RR_HEAD_NONE) {
        printf(" head=%s/%zu", head_text(cfg->head), cfg->head_size);
    }
    printf("\n");
}

static void print_table(const rr_fixture *fx, const demo_result *result)
{
    const rr_config *cfg = &fx->config;
    const int is_lstm = cfg->cell == RR_CELL_LSTM;
    const int has_head = cfg->head != RR_HEAD_NONE;
    char text[64];

    printf("case: %s (batch element 0 of %zu, %zu steps, %s mode)\n",
           fx->cases[0].name, fx->cases[0].batch, result->steps,
           result->step_mode ? "step" : "forward");
    printf("%4s %6s %12s %12s", "t", "input", "x[input]", "|h|");
    if (is_lstm) {
        printf(" %12s", "|c|");
    }
    if (has_head) {
        printf(" %6s %12s", "class", "y[class]");
    }
    printf("\n");

    for (size_t t = 0; t < result->steps; t++) {
        const demo_row *row = &result->rows[t];
        printf("%4zu %6zu", t, row->input);
        demo_format_value(text, sizeof text, row->x_value, 1);
        printf(" %12s", text);
        demo_format_value(text, sizeof text, row->h_norm, 0);
        printf(" %12s", text);
        if (is_lstm) {
            if (result->step_mode) {
                demo_format_value(text, sizeof text, row->c_norm, 0);
            } else {
                snprintf(text, sizeof text, "-");
            }
            printf(" %12s", text);
        }
        if (has_head) {
            demo_format_value(text, sizeof text, row->y_value, 0);
            printf(" %6zu %12s", row->class_index, text);
        }
        printf("\n");
    }

    demo_format_value(text, sizeof text, result->h_n_norm, 0);
    printf("final: |h_n|=%s", text);
    if (is_lstm) {
        demo_format_value(text, sizeof text, result->c_n_norm, 0);
        printf(" |c_n|=%s", text);
    }
    printf("\n");
}

int demo_v1(const rr_fixture *fx, rr_dtype dtype, rr_error *err)
{
    rr_net *net = NULL;
    demo_result result = { 0 };
    rr_status status = build_net(fx, dtype, &net, err);
    if (status == RR_OK && fx->case_count > 0) {
        status = run_case(fx, net, dtype, &result, err);
    }
    if (status == RR_OK) {
        print_model(fx);
        if (fx->case_count == 0) {
            printf("case: none (the fixture has no cases)\n");
        } else {
            print_table(fx, &result);
        }
    }
    free(result.rows);
    rr_net_free(net);
    return status == RR_OK;
}

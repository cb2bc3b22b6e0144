/*
 * demo_seed_table.c - rr_demo --seed-table: the compact table the seed
 * articles' C and Java programs print (docs/demo-output.md, "The seed
 * table"). Step mode on batch element 0 of the first case: L0 steps from
 * row 0 of every h0/c0 slot (zeros when null), one rr_chain_step each; a
 * version-2 fixture whose layers all run forward, else refused as the
 * Python demo refuses it. Everything is computed before anything is
 * printed.
 *
 *   seed table: NAME (case CASE, batch element 0, L0 steps)
 *   step | input | |c|    | |h|    | class (p)
 *      0 |     0 | 0.0123 | 0.0456 |  3 (0.11)
 */
#include "chain_stepper.h"
#include "demo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One row's numbers. */
typedef struct seed_row {
    size_t input;  /* the token, or the first index of the largest |x_t|  */
    double c_norm; /* |c| of the top layer's (last) c slot, top lstm only  */
    double h_norm; /* |out_t|                                              */
    size_t label;  /* the first index of the largest y_t                   */
    double p;      /* y_t[label]                                           */
} seed_row;

/* What is printed. */
typedef struct seed_table {
    size_t steps;    /* L0                                                 */
    int has_c;       /* the top layer is an lstm                           */
    int has_class;   /* a sequence readout with y                          */
    seed_row *rows;  /* [L0]                                               */
} seed_table;

static const char *const direction_names[] = { "forward", "reverse",
                                               "bidirectional" };

/* L0: lengths[0] when the case has lengths, else T. */
static size_t first_length(const rr_fixture_case *c)
{
    return c->lengths != NULL ? (size_t)c->lengths[0] : c->seq_len;
}

/* x_t of batch element 0: x[t, 0, :] of a case [T, B, I] */
static const double *x_row(const rr_fixture_case *c, size_t t, size_t input)
{
    return c->x + t * c->batch * input;
}

static void fill_y(seed_row *row, const double *y, size_t size)
{
    row->label = demo_first_argmax(y, size, 0);
    row->p = y[row->label];
}

/* The rows, through a chain_stepper. */
static rr_status chain_rows(const rr_fixture *fx, rr_dtype dtype,
                            seed_table *table, rr_error *err)
{
    const rr_chain_config *cfg = &fx->chain;
    const rr_layer_config *top = &cfg->layers[cfg->num_layers - 1];
    const rr_fixture_case *c = &fx->cases[0];
    rr_chain *chain = NULL;
    chain_stepper st;
    memset(&st, 0, sizeof st);
    rr_status status = demo_build_chain(fx, dtype, 0, &chain, err);
    if (status == RR_OK) {
        status = chain_stepper_init(&st, chain, dtype, err);
    }
    if (status == RR_OK) {
        demo_chain_first_states(fx, c, st.h, st.c);
    }
    const rr_chain_sizes *sz = &st.sizes;
    table->has_c = top->cell == RR_CELL_LSTM;
    table->has_class = cfg->readout == RR_READOUT_SEQUENCE && st.y != NULL;
    for (size_t t = 0; t < table->steps && status == RR_OK; t++) {
        seed_row *row = &table->rows[t];
        const int64_t *token = c->tokens != NULL ? &c->tokens[t * c->batch]
                                                 : NULL;
        const double *x_t = token == NULL ? x_row(c, t, sz->input_size)
                                          : NULL;
        status = chain_stepper_step(&st, x_t, token, err);
        if (status != RR_OK) {
            break;
        }
        row->input = token != NULL
                         ? (size_t)*token
                         : demo_first_argmax(x_t, sz->input_size, 1);
        row->h_norm = demo_norm(st.out, sz->output_width);
        if (table->has_c) {
            row->c_norm = demo_norm(st.c + sz->cell_state_size -
                                        top->hidden_size,
                                    top->hidden_size);
        }
        if (table->has_class) {
            fill_y(row, st.y, sz->y_size);
        }
    }
    chain_stepper_free(&st);
    rr_chain_free(chain);
    return status;
}

/* "%.*f" as C's printf, except that non-finite values read nan, inf, -inf
 * (glibc would print -nan), as the demo format says. */
static void format_fixed(char *text, size_t size, double value, int decimals)
{
    if (isnan(value)) {
        snprintf(text, size, "nan");
    } else if (isinf(value)) {
        snprintf(text, size, value > 0 ? "inf" : "-inf");
    } else {
        snprintf(text, size, "%.*f", decimals, value);
    }
}

static void print_table(const rr_fixture *fx, const seed_table *table)
{
    char text[400];
    printf("seed table: %s (case %s, batch element 0, %zu steps)\n",
           fx->name, fx->cases[0].name, table->steps);
    printf("step | input%s | |h|   %s\n", table->has_c ? " | |c|   " : "",
           table->has_class ? " | class (p)" : "");
    for (size_t t = 0; t < table->steps; t++) {
        const seed_row *row = &table->rows[t];
        printf("%4zu | %5zu", t, row->input);
        if (table->has_c) {
            format_fixed(text, sizeof text, row->c_norm, 4);
            printf(" | %s", text);
        }
        format_fixed(text, sizeof text, row->h_norm, 4);
        printf(" | %s", text);
        if (table->has_class) {
            format_fixed(text, sizeof text, row->p, 2);
            printf(" | %2zu (%s)", row->label, text);
        }
        printf("\n");
    }
}

/* Why the seed table cannot run the fixture (the JSON path first, as the
 * Python and Java demos say it); 1 when it can. */
static int check_fixture(const rr_fixture *fx, rr_error *err)
{
    if (fx->version != 2) {
        snprintf(err->message, sizeof err->message, "version: the seed table "
                 "needs a version-2 fixture (a chain)");
        return 0;
    }
    for (size_t l = 0; l < fx->chain.num_layers; l++) {
        const rr_direction direction = fx->chain.layers[l].direction;
        if (direction != RR_FORWARD) {
            snprintf(err->message, sizeof err->message, "model.layers[%zu]."
                     "direction: the seed table streams one step at a time; "
                     "this layer runs %s", l, direction_names[direction]);
            return 0;
        }
    }
    if (fx->case_count == 0) {
        snprintf(err->message, sizeof err->message, "cases: the seed table "
                 "runs the first case; the fixture has none");
        return 0;
    }
    return 1;
}

int demo_seed_table(const rr_fixture *fx, rr_dtype dtype, rr_error *err)
{
    if (!check_fixture(fx, err)) {
        return 0;
    }
    seed_table table;
    memset(&table, 0, sizeof table);
    table.steps = first_length(&fx->cases[0]);
    table.rows = calloc(table.steps, sizeof *table.rows);
    if (table.rows == NULL) {
        snprintf(err->message, sizeof err->message,
                 "cannot allocate %zu rows", table.steps);
        return 0;
    }
    const rr_status status = chain_rows(fx, dtype, &table, err);
    if (status == RR_OK) {
        print_table(fx, &table);
    }
    free(table.rows);
    return status == RR_OK;
}

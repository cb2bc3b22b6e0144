/* sequence.c - the whole forward computation: layers, directions,
 * variable lengths and the head, on arguments the caller has checked. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Heap scratch of one call; nothing here is sized on the stack. */
typedef struct scratch {
    double *proj;         /* [T*B, G*H] input projection of one direction   */
    double *layer_out[2]; /* [T*B, D*H_out] each: outputs of layers l, l-1;
                           * zero at padded positions t >= L_b              */
    double *state_h;      /* [L*D, B, H_out] running (then final) h         */
    double *state_c;      /* [L*D, B, H] running (then final) c; lstm only  */
    double *gh;           /* [B, G*H] recurrent product of one step         */
    double *cell;         /* [H] lstm, [3H] gru: per-row cell scratch       */
} scratch;

static void free_scratch(scratch *s)
{
    free(s->proj);
    free(s->layer_out[0]);
    free(s->layer_out[1]);
    free(s->state_h);
    free(s->state_c);
    free(s->gh);
    free(s->cell);
}

/* Allocate `*buffer` with the product of `factors` doubles. */
static rr_status alloc_buffer(double **buffer, const char *what,
                              const size_t *factors, size_t factor_count,
                              int zeroed, rr_error *err)
{
    size_t count = 0;
    if (!rr_count_product(factors, factor_count, &count)) {
        return rr_fail(err, RR_E_SIZE,
                       "the scratch for %s overflows size_t", what);
    }
    *buffer = rr_alloc_doubles(count, zeroed);
    if (*buffer == NULL) {
        return rr_fail(err, RR_E_NOMEM,
                       "cannot allocate %zu doubles of scratch for %s",
                       count, what);
    }
    return RR_OK;
}

static rr_status alloc_scratch(const rr_net *net, size_t seq_len,
                               size_t batch, scratch *s, rr_error *err)
{
    const rr_config *cfg = &net->cfg;
    const size_t gate_width = net->gates * cfg->hidden_size; /* G*H */
    const size_t width = net->directions * net->out_size;    /* D*H_out */
    const size_t slots = cfg->num_layers * net->directions;  /* L*D */
    const size_t cell_size = cfg->cell == RR_CELL_GRU ? 3 : 1;

    rr_status status = alloc_buffer(&s->proj, "the input projection",
                                    (const size_t[]){ seq_len, batch,
                                                      gate_width },
                                    3, 0, err);
    if (status == RR_OK) {
        status = alloc_buffer(&s->layer_out[0], "the layer output",
                              (const size_t[]){ seq_len, batch, width }, 3, 1,
                              err);
    }
    if (status == RR_OK && cfg->num_layers > 1) {
        status = alloc_buffer(&s->layer_out[1], "the layer output",
                              (const size_t[]){ seq_len, batch, width }, 3, 1,
                              err);
    }
    if (status == RR_OK) {
        status = alloc_buffer(&s->state_h, "the hidden states",
                              (const size_t[]){ slots, batch, net->out_size },
                              3, 1, err);
    }
    if (status == RR_OK && cfg->cell == RR_CELL_LSTM) {
        status = alloc_buffer(&s->state_c, "the cell states",
                              (const size_t[]){ slots, batch,
                                                cfg->hidden_size },
                              3, 1, err);
    }
    if (status == RR_OK) {
        status = alloc_buffer(&s->gh, "the recurrent product",
                              (const size_t[]){ batch, gate_width }, 2, 0,
                              err);
    }
    if (status == RR_OK) {
        status = alloc_buffer(&s->cell, "the cell",
                              (const size_t[]){ cell_size, cfg->hidden_size },
                              2, 0, err);
    }
    return status;
}

/* One direction of one layer over the whole sequence.
 *   in  [T, B, I_l]; out [T, B, D*H_out], this direction writing columns
 *   out_offset .. out_offset+H_out-1; h [B, H_out] and c [B, H] hold the
 *   initial state and are left holding the final one. */
static void run_direction(const rr_net *net, const rr_slot *slot, int reverse,
                          size_t seq_len, size_t batch,
                          const double *in, size_t in_width,
                          const int64_t *lengths, size_t max_len,
                          double *out, size_t out_offset,
                          double *h, double *c, scratch *s)
{
    const rr_config *cfg = &net->cfg;
    const size_t hidden = cfg->hidden_size;
    const size_t out_size = net->out_size;                   /* H_out */
    const size_t gate_width = net->gates * hidden;           /* G*H */
    const size_t width = net->directions * out_size;         /* D*H_out */
    /* A GRU without linear_before_reset computes W_hn (r * h) in the cell,
     * after r: here only the r and z columns of W_hh h. */
    const size_t recurrent_width =
        (cfg->cell == RR_CELL_GRU && !cfg->linear_before_reset)
            ? 2 * hidden : gate_width;

    /* proj [T*B, G*H] = in [T*B, I_l] * W_ih^T + b_ih, all steps at once */
    rr_gemm_bias(seq_len * batch, gate_width, in_width, in, in_width,
                 slot->weight_ih_t, gate_width, slot->bias_ih,
                 s->proj, gate_width);

    for (size_t step = 0; step < max_len; step++) {
        /* gh [B, G*H] = h_{t-1} [B, H_out] * W_hh^T + b_hh */
        rr_gemm_bias(batch, recurrent_width, out_size, h, out_size,
                     slot->weight_hh_t, gate_width, slot->bias_hh,
                     s->gh, gate_width);
        for (size_t b = 0; b < batch; b++) {
            const size_t len = lengths != NULL ? (size_t)lengths[b] : seq_len;
            if (step >= len) {
                continue; /* sequence b has ended: its state stays as is */
            }
            /* forward reads t = step; reverse reads t = len-1 .. 0 */
            const size_t t = reverse ? len - 1 - step : step;
            const double *gi = s->proj + (t * batch + b) * gate_width; /* [G*H] */
            const double *gh = s->gh + b * gate_width;                 /* [G*H] */
            double *h_row = h + b * out_size;                          /* [H_out] */
            switch (cfg->cell) {
            case RR_CELL_RNN:
                rr_rnn_cell(net, gi, gh, h_row);
                break;
            case RR_CELL_LSTM:
                rr_lstm_cell(net, slot, gi, gh, c + b * hidden, h_row,
                             s->cell);
                break;
            case RR_CELL_GRU:
                rr_gru_cell(net, slot, gi, gh, h_row, s->cell);
                break;
            }
            /* the state is written at the position of the input it read */
            memcpy(out + (t * batch + b) * width + out_offset, h_row,
                   out_size * sizeof(double));
        }
    }
}

rr_status rr_run_sequence(const rr_net *net, size_t seq_len, size_t batch,
                          const double *x, const double *h0, const double *c0,
                          const int64_t *lengths,
                          double *output, double *h_n, double *c_n, double *y,
                          rr_error *err)
{
    const rr_config *cfg = &net->cfg;
    const size_t layers = cfg->num_layers;
    const size_t directions = net->directions;
    const size_t out_size = net->out_size;
    const size_t width = directions * out_size;          /* D*H_out */
    const size_t rows = seq_len * batch;                 /* T*B */
    const size_t h_count = layers * directions * batch * out_size;
    const size_t c_count = cfg->cell == RR_CELL_LSTM
                               ? layers * directions * batch * cfg->hidden_size
                               : 0;

    scratch s = { 0 };
    rr_status status = alloc_scratch(net, seq_len, batch, &s, err);
    if (status != RR_OK) {
        free_scratch(&s);
        return status;
    }

    /* States start from h0/c0 (copied: an output may alias them) or 0. */
    if (h0 != NULL) {
        memcpy(s.state_h, h0, h_count * sizeof(double));
    }
    if (c0 != NULL) {
        memcpy(s.state_c, c0, c_count * sizeof(double));
    }
    size_t max_len = seq_len;
    if (lengths != NULL) {
        max_len = 0;
        for (size_t b = 0; b < batch; b++) {
            if ((size_t)lengths[b] > max_len) {
                max_len = (size_t)lengths[b];
            }
        }
    }

    for (size_t layer = 0; layer < layers; layer++) {
        /* layer 0 reads x [T, B, I]; layer l > 0 reads layer l-1's output */
        const double *in = layer == 0 ? x : s.layer_out[(layer - 1) % 2];
        const size_t in_width = layer == 0 ? cfg->input_size : width;
        double *out = s.layer_out[layer % 2];
        for (size_t d = 0; d < directions; d++) {
            const size_t slot = layer * directions + d;
            const int reverse = d == 1 || cfg->direction == RR_REVERSE;
            double *c = s.state_c != NULL
                            ? s.state_c + slot * batch * cfg->hidden_size
                            : NULL;
            run_direction(net, &net->slots[slot], reverse, seq_len, batch,
                          in, in_width, lengths, max_len, out, d * out_size,
                          s.state_h + slot * batch * out_size, c, &s);
        }
    }

    const double *top = s.layer_out[(layers - 1) % 2]; /* [T, B, D*H_out] */
    memcpy(output, top, rows * width * sizeof(double));
    memcpy(h_n, s.state_h, h_count * sizeof(double));
    if (c_n != NULL) {
        memcpy(c_n, s.state_c, c_count * sizeof(double));
    }
    if (cfg->head != RR_HEAD_NONE) {
        const size_t classes = cfg->head_size; /* O */
        /* y [T*B, O] = output [T*B, D*H_out] * W_y^T + b_y, padding included */
        rr_gemm_bias(rows, classes, width, top, width, net->head_weight_t,
                     classes, net->head_bias, y, classes);
        if (cfg->head == RR_HEAD_SOFTMAX) {
            for (size_t r = 0; r < rows; r++) {
                rr_softmax(y + r * classes, classes);
            }
        }
    }
    free_scratch(&s);
    return RR_OK;
}

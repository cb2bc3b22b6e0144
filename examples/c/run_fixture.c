/* run_fixture.c - run case 0 of a fixture through the C library, check it within the tolerance:
 *   cc run_fixture.c $(pkg-config --cflags --libs rnn-rosetta) -o run_fixture
 *   ./run_fixture shared_fixtures/lstm_small.json
 * A version-2 fixture (a chain: shared_fixtures/seq_classifier.json) runs through rr_chain_*;
 * its expected arrays that are absent (NULL) are not compared. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <rnn_rosetta.h>
#include <rnn_rosetta_fixture.h>

/* len[4] = the sizes a chain's outputs have */
static void want_len(size_t *len, size_t output, size_t h_n, size_t c_n, size_t y)
{
    len[0] = output;
    len[1] = h_n;
    len[2] = c_n;
    len[3] = y;
}

int main(int argc, char **argv)
{
    rr_fixture fx;
    rr_error err = { "" };
    if (argc != 2 || rr_fixture_read(argv[1], &fx, &err) != RR_FIXTURE_OK || fx.case_count == 0) {
        fprintf(stderr, "run_fixture: %s\n", argc != 2 ? "usage: run_fixture FIXTURE.json"
                                             : err.message[0] ? err.message : "no case to run");
        return 1;
    }
    const rr_fixture_case *c = &fx.cases[0];
    /* output, h_n, c_n, y: each the size of its expected array; NULL where the model has none */
    const double *want[4] = { c->output, c->h_n, c->c_n, c->y };
    size_t len[4] = { c->output_len, c->h_n_len, c->c_n_len, c->y_len };
    double *got[4];
    rr_net *net = NULL;
    rr_chain *chain = NULL;
    const int v2 = fx.version == 2;
    rr_status status = v2 ? rr_chain_create(&fx.chain, &chain, &err) : rr_net_create(&fx.config, &net, &err);
    rr_chain_sizes sz = { 0 };
    if (status == RR_OK && v2) {
        /* the chain's own sizes for the buffers: an expected array may be absent */
        const int last = fx.chain.readout == RR_READOUT_LAST;
        status = rr_chain_get_sizes(chain, &sz, &err);
        want_len(len, c->seq_len * c->batch * sz.output_width, c->batch * sz.state_size,
                 c->batch * sz.cell_state_size, (last ? 1 : c->seq_len) * c->batch * sz.y_size);
    }
    for (int k = 0; k < 4; k++) {
        got[k] = len[k] > 0 ? calloc(len[k], sizeof(double)) : NULL;
        status = status == RR_OK && len[k] > 0 && got[k] == NULL ? RR_E_NOMEM : status;
    }
    if (status == RR_OK && v2 && fx.embedding != NULL)
        status = rr_chain_set_embedding(chain, fx.embedding, fx.embedding_len, &err);
    for (size_t i = 0; i < fx.weights_count && status == RR_OK; i++) {
        const rr_weights w = rr_fixture_weights_view(&fx.weights[i]);
        status = v2 ? rr_chain_set_weights(chain, fx.weights[i].layer, fx.weights[i].direction, &w, &err)
                    : rr_net_set_weights(net, fx.weights[i].layer, fx.weights[i].direction, &w, &err);
    }
    for (size_t k = 0; v2 && k < fx.chain.num_dense && status == RR_OK; k++)
        status = rr_chain_set_dense(chain, k, fx.dense[k].weight, fx.dense[k].weight_len, fx.dense[k].bias,
                                    fx.dense[k].bias_len, &err);
    if (status == RR_OK && v2)
        status = rr_chain_forward(chain, c->seq_len, c->batch, c->x, c->x_len, c->tokens, c->tokens_len, c->h0,
                                  c->h0_len, c->c0, c->c0_len, c->lengths, c->lengths_len, got[0], len[0],
                                  got[1], len[1], got[2], len[2], got[3], len[3], &err);
    else if (status == RR_OK && fx.config.head != RR_HEAD_NONE)
        status = rr_net_set_head(net, fx.head_weight, fx.head_weight_len, fx.head_bias,
                                 fx.head_bias_len, &err);
    if (status == RR_OK && !v2)
        status = rr_net_forward(net, c->seq_len, c->batch, c->x, c->x_len, c->h0, c->h0_len, c->c0,
                                c->c0_len, c->lengths, c->lengths_len, got[0], len[0], got[1],
                                len[1], got[2], len[2], got[3], len[3], &err);
    double worst = 0.0; /* the largest |got - expected| */
    size_t bad = 0;     /* values outside atol + rtol * |expected| (NaN is never close) */
    for (int k = 0; k < 4 && status == RR_OK; k++) {
        for (size_t i = 0; want[k] != NULL && i < len[k]; i++) {
            const double error = fabs(got[k][i] - want[k][i]);
            worst = error > worst || isnan(error) ? error : worst;
            bad += !(error <= fx.tolerance.atol + fx.tolerance.rtol * fabs(want[k][i]));
        }
    }
    if (status == RR_OK)
        printf("%s, case %s: max error %.3g, %zu values outside the tolerance\n", fx.name,
               c->name, worst, bad);
    else
        fprintf(stderr, "run_fixture: %s: %s\n", rr_status_name(status), err.message);
    for (int k = 0; k < 4; k++)
        free(got[k]);
    rr_net_free(net);
    rr_chain_free(chain);
    rr_fixture_free(&fx);
    return status == RR_OK && bad == 0 ? 0 : 1;
}

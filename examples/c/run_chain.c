/* run_chain.c - run case 0 of a version-2 fixture (a chain) through rr_chain_*, within the tolerance:
 *   cc run_chain.c $(pkg-config --cflags --libs rnn-rosetta) -o run_chain
 *   ./run_chain shared_fixtures/seq_classifier.json
 * Expected arrays the fixture leaves out (NULL) are not compared. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <rnn_rosetta.h>
#include <rnn_rosetta_fixture.h>

int main(int argc, char **argv)
{
    rr_fixture fx;
    rr_error err = { "" };
    if (argc != 2 || rr_fixture_read(argv[1], &fx, &err) != RR_FIXTURE_OK || fx.case_count == 0 ||
        fx.version != 2) {
        fprintf(stderr, "run_chain: %s\n", argc != 2 ? "usage: run_chain FIXTURE.json"
                                           : err.message[0] ? err.message : "not a v2 fixture with a case");
        rr_fixture_free(&fx);
        return 1;
    }
    const rr_fixture_case *c = &fx.cases[0];
    rr_chain *chain = NULL;
    rr_chain_sizes sz = { 0 };
    rr_status status = rr_chain_create(&fx.chain, &chain, &err);
    if (status == RR_OK)
        status = rr_chain_get_sizes(chain, &sz, &err);
    if (status == RR_OK && fx.embedding != NULL)
        status = rr_chain_set_embedding(chain, fx.embedding, fx.embedding_len, &err);
    for (size_t i = 0; i < fx.weights_count && status == RR_OK; i++) {
        const rr_weights w = rr_fixture_weights_view(&fx.weights[i]);
        status = rr_chain_set_weights(chain, fx.weights[i].layer, fx.weights[i].direction, &w, &err);
    }
    for (size_t k = 0; k < fx.chain.num_dense && status == RR_OK; k++)
        status = rr_chain_set_dense(chain, k, fx.dense[k].weight, fx.dense[k].weight_len, fx.dense[k].bias,
                                    fx.dense[k].bias_len, &err);
    /* output, h_n, c_n, y: sized by the chain (readout last: y is [B, O]) */
    const size_t rows = fx.chain.readout == RR_READOUT_LAST ? c->batch : c->seq_len * c->batch;
    const size_t len[4] = { c->seq_len * c->batch * sz.output_width, c->batch * sz.state_size,
                            c->batch * sz.cell_state_size, rows * sz.y_size };
    const double *want[4] = { c->output, c->h_n, c->c_n, c->y };
    double *got[4];
    for (int k = 0; k < 4; k++)
        got[k] = len[k] > 0 ? calloc(len[k], sizeof(double)) : NULL;
    if (status == RR_OK)
        status = rr_chain_forward(chain, c->seq_len, c->batch, c->x, c->x_len, c->tokens, c->tokens_len, c->h0,
                                  c->h0_len, c->c0, c->c0_len, c->lengths, c->lengths_len, got[0], len[0],
                                  got[1], len[1], got[2], len[2], got[3], len[3], &err);
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
        printf("%s, case %s: max error %.3g, %zu values outside the tolerance\n", fx.name, c->name, worst, bad);
    else
        fprintf(stderr, "run_chain: %s: %s\n", rr_status_name(status), err.message);
    for (int k = 0; k < 4; k++)
        free(got[k]);
    rr_chain_free(chain);
    rr_fixture_free(&fx);
    return status == RR_OK && bad == 0 ? 0 : 1;
}

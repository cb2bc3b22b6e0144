/* run_fixture.c - run case 0 of a fixture through the C library, check it within the tolerance:
 *   cc run_fixture.c $(pkg-config --cflags --libs rnn-rosetta) -o run_fixture
 *   ./run_fixture shared_fixtures/lstm_small.json */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <rnn_rosetta.h>
#include <rnn_rosetta_fixture.h>

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
    const size_t len[4] = { c->output_len, c->h_n_len, c->c_n_len, c->y_len };
    double *got[4];
    rr_net *net = NULL;
    rr_status status = rr_net_create(&fx.config, &net, &err);
    for (int k = 0; k < 4; k++) {
        got[k] = len[k] > 0 ? calloc(len[k], sizeof(double)) : NULL;
        status = status == RR_OK && len[k] > 0 && got[k] == NULL ? RR_E_NOMEM : status;
    }
    for (size_t i = 0; i < fx.weights_count && status == RR_OK; i++) {
        const rr_weights w = rr_fixture_weights_view(&fx.weights[i]);
        status = rr_net_set_weights(net, fx.weights[i].layer, fx.weights[i].direction, &w, &err);
    }
    if (status == RR_OK && fx.config.head != RR_HEAD_NONE)
        status = rr_net_set_head(net, fx.head_weight, fx.head_weight_len, fx.head_bias,
                                 fx.head_bias_len, &err);
    if (status == RR_OK)
        status = rr_net_forward(net, c->seq_len, c->batch, c->x, c->x_len, c->h0, c->h0_len, c->c0,
                                c->c0_len, c->lengths, c->lengths_len, got[0], len[0], got[1],
                                len[1], got[2], len[2], got[3], len[3], &err);
    double worst = 0.0; /* the largest |got - expected| */
    size_t bad = 0;     /* values outside atol + rtol * |expected| (NaN is never close) */
    for (int k = 0; k < 4 && status == RR_OK; k++) {
        for (size_t i = 0; i < len[k]; i++) {
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
    rr_fixture_free(&fx);
    return status == RR_OK && bad == 0 ? 0 : 1;
}

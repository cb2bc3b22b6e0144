/* step_bound.c - rr_net_step_bound and its _f32 twin: rr_net_step with
 * every argument but x_t read from one caller-owned rr_step_bound, so
 * that a caller that pays per argument (Python's cffi: about 50 ns each)
 * passes 2 instead of 17. The same checks, status codes and bits as
 * rr_net_step, and the same scratch (the calling thread's own: nothing is
 * allocated after a thread's first step). */
#include "rnn_rosetta.h"

#include <stddef.h>

rr_status rr_net_step_bound(const rr_step_bound *b, const double *x_t)
{
    if (b == NULL) {
        return RR_E_NULL;
    }
    return rr_net_step(b->net, b->batch, x_t, b->x_len, b->h, b->h_len,
                       b->c, b->c_len, b->out_t, b->out_len, b->h_next,
                       b->h_next_len, b->c_next, b->c_next_len, b->y_t,
                       b->y_len, b->err);
}

rr_status rr_net_step_bound_f32(const rr_step_bound *b, const float *x_t)
{
    if (b == NULL) {
        return RR_E_NULL;
    }
    return rr_net_step_f32(b->net, b->batch, x_t, b->x_len, b->h, b->h_len,
                           b->c, b->c_len, b->out_t, b->out_len, b->h_next,
                           b->h_next_len, b->c_next, b->c_next_len, b->y_t,
                           b->y_len, b->err);
}

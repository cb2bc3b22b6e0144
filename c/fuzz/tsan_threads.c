/*
 * tsan_threads.c - ThreadSanitizer driver for the library's second thread
 * (rr_config.num_threads = 2): every cell x direction x precision, with
 * variable lengths, a head, forward and step, on nets big enough for the
 * second thread to join in (see RR_THREAD_MIN_WORK in c/src). Each result
 * must equal the one-thread result to the bit (the threads split the work,
 * not the sums).
 *
 * The library leaves the second thread out unless built with
 * RR_SECOND_THREAD=1 (see c/src/sequence.c); make tsan-build sets it, and
 * this driver fails when no second thread ran.
 *
 * Build and run: make tsan-build && c/build-tsan/tsan_threads
 * Exit 0 when clean; TSan exits 66 on a race; 1 on an API failure or a
 * mismatch.
 *
 * The library starts its thread with C11 thrd_create and synchronises with
 * mtx_ and cnd_; LLVM 14's TSan intercepts none of these (a thread made by
 * glibc's thrd_create crashes in __tsan_func_entry), so this file maps them
 * onto pthreads, which TSan does see. The definitions here take precedence
 * over glibc's for the statically linked library.
 */
#include "rnn_rosetta.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

/* ---- C11 threads on pthreads ------------------------------------------- */

typedef struct trampoline {
    thrd_start_t fn;
    void *arg;
} trampoline;

static size_t threads_started;

static void *start(void *data)
{
    trampoline t = *(trampoline *)data;
    free(data);
    return (void *)(intptr_t)t.fn(t.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
    trampoline *t = malloc(sizeof *t);
    if (t == NULL) {
        return thrd_nomem;
    }
    t->fn = fn;
    t->arg = arg;
    if (pthread_create((pthread_t *)thr, NULL, start, t) != 0) {
        free(t);
        return thrd_error;
    }
    __atomic_add_fetch(&threads_started, 1, __ATOMIC_RELAXED);
    return thrd_success;
}

int thrd_join(thrd_t thr, int *res)
{
    void *value = NULL;
    if (pthread_join((pthread_t)thr, &value) != 0) {
        return thrd_error;
    }
    if (res != NULL) {
        *res = (int)(intptr_t)value;
    }
    return thrd_success;
}

int mtx_init(mtx_t *m, int type)
{
    (void)type;
    return pthread_mutex_init((pthread_mutex_t *)m, NULL) ? thrd_error
                                                          : thrd_success;
}

void mtx_destroy(mtx_t *m)
{
    pthread_mutex_destroy((pthread_mutex_t *)m);
}

int mtx_lock(mtx_t *m)
{
    return pthread_mutex_lock((pthread_mutex_t *)m) ? thrd_error
                                                    : thrd_success;
}

int mtx_unlock(mtx_t *m)
{
    return pthread_mutex_unlock((pthread_mutex_t *)m) ? thrd_error
                                                      : thrd_success;
}

int cnd_init(cnd_t *c)
{
    return pthread_cond_init((pthread_cond_t *)c, NULL) ? thrd_error
                                                        : thrd_success;
}

void cnd_destroy(cnd_t *c)
{
    pthread_cond_destroy((pthread_cond_t *)c);
}

int cnd_wait(cnd_t *c, mtx_t *m)
{
    return pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m)
               ? thrd_error : thrd_success;
}

int cnd_signal(cnd_t *c)
{
    return pthread_cond_signal((pthread_cond_t *)c) ? thrd_error
                                                    : thrd_success;
}

int cnd_broadcast(cnd_t *c)
{
    return pthread_cond_broadcast((pthread_cond_t *)c) ? thrd_error
                                                       : thrd_success;
}

/* ---- the driver ---------------------------------------------------------- */

enum { I = 32, H = 256, P = 128, L = 2, T = 5, B = 16, O = 5 };

static unsigned long long rng_state = 0x9E3779B97F4A7C15ull;

static double uniform(void) /* in [-0.1, 0.1) */
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return ((double)(rng_state >> 11) / 9007199254740992.0 - 0.5) * 0.2;
}

static double *randoms(size_t n)
{
    double *v = malloc(n * sizeof *v);
    for (size_t i = 0; v != NULL && i < n; i++) {
        v[i] = uniform();
    }
    return v;
}

#define CHECK(call)                                                          \
    do {                                                                     \
        const rr_status status_ = (call);                                    \
        if (status_ != RR_OK) {                                              \
            fprintf(stderr, "tsan_threads: %s:%d: %s: %s\n", __FILE__,      \
                    __LINE__, rr_status_name(status_), err.message);         \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

typedef struct model {
    rr_config cfg;
    double *weights[L * 2][6];
    size_t lengths[L * 2][6];
    double *head_weight, *head_bias;
} model;

static size_t gates(rr_cell cell)
{
    return cell == RR_CELL_LSTM ? 4 : (cell == RR_CELL_GRU ? 3 : 1);
}

static void make_model(model *m, rr_cell cell, rr_direction direction)
{
    memset(m, 0, sizeof *m);
    const size_t proj = cell == RR_CELL_LSTM ? P : 0;
    const rr_config cfg = {
        .cell = cell, .nonlinearity = RR_TANH, .linear_before_reset = 0,
        .input_size = I, .hidden_size = H, .num_layers = L,
        .direction = direction, .proj_size = proj,
        .peepholes = cell == RR_CELL_LSTM, .has_clip = cell == RR_CELL_GRU,
        .clip = 0.5, .head = RR_HEAD_SOFTMAX, .head_size = O,
    };
    m->cfg = cfg;
    const size_t D = direction == RR_BIDIRECTIONAL ? 2 : 1;
    const size_t G = gates(cell), H_out = proj ? proj : H;
    for (size_t s = 0; s < L * D; s++) {
        const size_t I_l = s < D ? I : D * H_out;
        const size_t counts[6] = { G * H * I_l, G * H * H_out, G * H, G * H,
                                   proj * H, cell == RR_CELL_LSTM ? 3 * H : 0 };
        for (size_t k = 0; k < 6; k++) {
            m->lengths[s][k] = counts[k];
            m->weights[s][k] = counts[k] ? randoms(counts[k]) : NULL;
        }
    }
    m->head_weight = randoms(O * D * H_out);
    m->head_bias = randoms(O);
}

static void free_model(model *m)
{
    for (size_t s = 0; s < L * 2; s++) {
        for (size_t k = 0; k < 6; k++) {
            free(m->weights[s][k]);
        }
    }
    free(m->head_weight);
    free(m->head_bias);
}

static rr_net *build(const model *m, rr_dtype dtype, size_t threads)
{
    rr_error err = { { 0 } };
    rr_config cfg = m->cfg;
    cfg.dtype = dtype;
    cfg.num_threads = threads;
    rr_net *net = NULL;
    CHECK(rr_net_create(&cfg, &net, &err));
    const size_t D = cfg.direction == RR_BIDIRECTIONAL ? 2 : 1;
    for (size_t s = 0; s < L * D; s++) {
        const rr_weights w = {
            m->weights[s][0], m->lengths[s][0], m->weights[s][1],
            m->lengths[s][1], m->weights[s][2], m->lengths[s][2],
            m->weights[s][3], m->lengths[s][3], m->weights[s][4],
            m->lengths[s][4], m->weights[s][5], m->lengths[s][5],
        };
        const int reverse = cfg.direction == RR_REVERSE || s % D == 1;
        CHECK(rr_net_set_weights(net, s / D, reverse ? RR_REVERSE : RR_FORWARD,
                                 &w, &err));
    }
    const size_t H_out = cfg.proj_size ? cfg.proj_size : H;
    CHECK(rr_net_set_head(net, m->head_weight, O * D * H_out, m->head_bias, O,
                          &err));
    return net;
}

/* All outputs of one forward (and, for forward models, one step) in one
 * buffer of doubles, for comparison. */
static double *run(const model *m, const rr_net *net, rr_dtype dtype,
                   const double *x, size_t *count)
{
    rr_error err = { { 0 } };
    const rr_config *cfg = &m->cfg;
    const size_t D = cfg->direction == RR_BIDIRECTIONAL ? 2 : 1;
    const size_t H_out = cfg->proj_size ? cfg->proj_size : H;
    const int lstm = cfg->cell == RR_CELL_LSTM;
    const size_t n_out = T * B * D * H_out, n_h = L * D * B * H_out;
    const size_t n_c = lstm ? L * D * B * H : 0, n_y = T * B * O;
    const size_t n_step = cfg->direction == RR_FORWARD
                              ? B * H_out + L * B * H_out +
                                    (lstm ? L * B * H : 0) + B * O
                              : 0;
    *count = n_out + n_h + n_c + n_y + n_step;
    double *all = calloc(*count, sizeof *all);
    const int64_t lengths[B] = { 5, 1, 3, 5, 2, 5, 4, 5, 5, 1, 2, 3, 4, 5, 5, 5 };
    if (dtype == RR_FLOAT64) {
        double *out = all, *h_n = out + n_out, *c_n = lstm ? h_n + n_h : NULL;
        double *y = h_n + n_h + n_c;
        CHECK(rr_net_forward(net, T, B, x, T * B * I, NULL, 0, NULL, 0, lengths,
                             B, out, n_out, h_n, n_h, c_n, n_c, y, n_y, &err));
        if (n_step) {
            double *s_out = y + n_y, *s_h = s_out + B * H_out;
            double *s_c = lstm ? s_h + L * B * H_out : NULL;
            double *s_y = s_h + L * B * H_out + (lstm ? L * B * H : 0);
            CHECK(rr_net_step(net, B, x, B * I, NULL, 0, NULL, 0, s_out,
                              B * H_out, s_h, L * B * H_out, s_c,
                              lstm ? L * B * H : 0, s_y, B * O, &err));
        }
        return all;
    }
    float *f = calloc(*count, sizeof *f);
    float *xf = malloc(T * B * I * sizeof *xf);
    for (size_t i = 0; i < T * B * I; i++) {
        xf[i] = (float)x[i];
    }
    float *out = f, *h_n = out + n_out, *c_n = lstm ? h_n + n_h : NULL;
    float *y = h_n + n_h + n_c;
    CHECK(rr_net_forward_f32(net, T, B, xf, T * B * I, NULL, 0, NULL, 0,
                             lengths, B, out, n_out, h_n, n_h, c_n, n_c, y, n_y,
                             &err));
    if (n_step) {
        float *s_out = y + n_y, *s_h = s_out + B * H_out;
        float *s_c = lstm ? s_h + L * B * H_out : NULL;
        float *s_y = s_h + L * B * H_out + (lstm ? L * B * H : 0);
        CHECK(rr_net_step_f32(net, B, xf, B * I, NULL, 0, NULL, 0, s_out,
                              B * H_out, s_h, L * B * H_out, s_c,
                              lstm ? L * B * H : 0, s_y, B * O, &err));
    }
    for (size_t i = 0; i < *count; i++) {
        all[i] = f[i];
    }
    free(f);
    free(xf);
    return all;
}

int main(void)
{
    static const char *const cell_names[] = { "rnn", "lstm", "gru" };
    static const char *const direction_names[] = { "forward", "reverse",
                                                   "bidirectional" };
    int failures = 0;
    double *x = randoms(T * B * I);
    for (int cell = 0; cell < 3; cell++) {
        for (int direction = 0; direction < 3; direction++) {
            model m;
            make_model(&m, (rr_cell)cell, (rr_direction)direction);
            for (int dtype = 0; dtype < 2; dtype++) {
                rr_net *one = build(&m, (rr_dtype)dtype, 1);
                rr_net *two = build(&m, (rr_dtype)dtype, 2);
                size_t count = 0;
                double *a = run(&m, one, (rr_dtype)dtype, x, &count);
                double *b = run(&m, two, (rr_dtype)dtype, x, &count);
                const int same = memcmp(a, b, count * sizeof *a) == 0;
                printf("%-4s %-13s %s %s: %s\n", cell_names[cell],
                       direction_names[direction],
                       dtype ? "float32" : "float64",
                       rr_net_kernel_name(two),
                       same ? "2 threads == 1 thread" : "MISMATCH");
                failures += !same;
                free(a);
                free(b);
                rr_net_free(one);
                rr_net_free(two);
            }
            free_model(&m);
        }
    }
    free(x);
    printf("tsan_threads: %zu second threads started, %d mismatches\n",
           threads_started, failures);
    if (threads_started == 0 && rr_cpu_has_avx2_fma()) {
        fprintf(stderr, "tsan_threads: no second thread ran: build with "
                        "-DRR_SECOND_THREAD=1 (make tsan-build), and the "
                        "nets must reach RR_THREAD_MIN_WORK\n");
        return 1;
    }
    return failures ? 1 : 0;
}

/*
 * step_bench.c - the streaming step's speed, without Python: rr_net_step
 * (float64) and rr_net_step_f32 on one core, batch 1, for LSTM and GRU,
 * input 1 and input = hidden, hidden 4 .. 128. Prints one JSON object a
 * line:
 *   {"lang":"c","cell":"lstm","input":1,"hidden":8,"dtype":"float32",
 *    "kernel":"avx2-fma","steps":1000000,"ns_per_step":...,
 *    "cpu_ns_per_step":...,"gflops":...}
 * ns_per_step is wall-clock time; cpu_ns_per_step this thread's CPU time,
 * the same on an idle core and lower on a core other jobs share.
 * gflops counts the products' multiply-adds as 2 flops each:
 *   flops per step = 2 * G * H * (I + H),  G = 4 (lstm), 3 (gru)
 * (the gates' exp and tanh are not counted).
 *
 * Usage: step_bench [--steps N] [--cpu K] [--cell lstm|gru]
 *                   [--hidden H] [--dtype float32|float64]
 *                   [--kernel auto|portable|avx2|exact|avx512]
 * --steps: timed steps per shape (default 10^6; 1000 warm-up steps come
 * first); --cpu: the core to pin to (default: the first one this process
 * may run on); --cell, --hidden, --dtype: run only those shapes.
 * Not part of the library: built by `make bench-step-c`.
 */
#define _GNU_SOURCE
#include "rnn_rosetta.h"

#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WARMUP_STEPS 1000
#define INPUT_RING 64 /* distinct x_t the steps cycle through */

typedef struct options {
    long long steps;
    int cpu;          /* -1: the first allowed core                       */
    const char *cell; /* NULL: both                                       */
    size_t hidden;    /* 0: every size                                    */
    const char *dtype;
    rr_kernel kernel; /* RR_KERNEL_AUTO unless --kernel                  */
} options;

/* splitmix64: reproducible weights and inputs in [-scale, scale) */
static double next_uniform(uint64_t *state, double scale)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return ((double)(z >> 11) / 9007199254740992.0 * 2.0 - 1.0) * scale;
}

static double *random_array(size_t count, double scale, uint64_t *state)
{
    double *a = malloc(count * sizeof *a);
    for (size_t i = 0; a != NULL && i < count; i++) {
        a[i] = next_uniform(state, scale);
    }
    return a;
}

/* wall-clock time, and this thread's CPU time (which leaves out the time
 * other jobs of a busy machine take the core from it) */
static double now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef struct step_time {
    double wall_ns; /* per step; < 0 on failure                          */
    double cpu_ns;
} step_time;

/* A one-layer net with PyTorch's init range U(-1/sqrt(H), 1/sqrt(H)). */
static rr_net *make_net(rr_cell cell, size_t input, size_t hidden,
                        rr_dtype dtype, rr_kernel kernel)
{
    const size_t gates = cell == RR_CELL_LSTM ? 4 : 3;
    rr_config cfg = { 0 };
    cfg.cell = cell;
    cfg.linear_before_reset = 1;
    cfg.input_size = input;
    cfg.hidden_size = hidden;
    cfg.num_layers = 1;
    cfg.dtype = dtype;
    cfg.kernel = kernel;
    rr_net *net = NULL;
    rr_error err;
    if (rr_net_create(&cfg, &net, &err) != RR_OK) {
        fprintf(stderr, "step_bench: %s\n", err.message);
        return NULL;
    }
    uint64_t state = 42;
    const double scale = 1.0 / sqrt((double)hidden);
    double *w_ih = random_array(gates * hidden * input, scale, &state);
    double *w_hh = random_array(gates * hidden * hidden, scale, &state);
    double *b_ih = random_array(gates * hidden, scale, &state);
    double *b_hh = random_array(gates * hidden, scale, &state);
    const rr_weights w = { w_ih, gates * hidden * input,
                           w_hh, gates * hidden * hidden,
                           b_ih, gates * hidden, b_hh, gates * hidden,
                           NULL, 0, NULL, 0 };
    const int ok = w_ih != NULL && w_hh != NULL && b_ih != NULL &&
                   b_hh != NULL &&
                   rr_net_set_weights(net, 0, RR_FORWARD, &w, &err) == RR_OK;
    free(w_ih);
    free(w_hh);
    free(b_ih);
    free(b_hh);
    if (!ok) {
        fprintf(stderr, "step_bench: cannot set the weights\n");
        rr_net_free(net);
        return NULL;
    }
    return net;
}

/* ns per step of `steps` steps, state updated in place (h_next = h). */
static step_time time_steps_f64(const rr_net *net, size_t input, size_t hidden,
                             int is_lstm, long long steps, const double *xs)
{
    double h[128] = { 0 }, c[128] = { 0 }, out[128];
    rr_error err;
    double start = 0.0, cpu_start = 0.0;
    for (long long s = -WARMUP_STEPS; s < steps; s++) {
        if (s == 0) {
            start = now_ns(CLOCK_MONOTONIC);
            cpu_start = now_ns(CLOCK_THREAD_CPUTIME_ID);
        }
        const double *x = xs + (size_t)(s & (INPUT_RING - 1)) * input;
        if (rr_net_step(net, 1, x, input, h, hidden, is_lstm ? c : NULL,
                        is_lstm ? hidden : 0, out, hidden, h, hidden,
                        is_lstm ? c : NULL, is_lstm ? hidden : 0, NULL, 0,
                        &err) != RR_OK) {
            fprintf(stderr, "step_bench: %s\n", err.message);
            return (step_time){ -1.0, -1.0 };
        }
    }
    const double cpu = now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
    return (step_time){ (now_ns(CLOCK_MONOTONIC) - start) / (double)steps,
                        cpu / (double)steps };
}

static step_time time_steps_f32(const rr_net *net, size_t input, size_t hidden,
                             int is_lstm, long long steps, const float *xs)
{
    float h[128] = { 0 }, c[128] = { 0 }, out[128];
    rr_error err;
    double start = 0.0, cpu_start = 0.0;
    for (long long s = -WARMUP_STEPS; s < steps; s++) {
        if (s == 0) {
            start = now_ns(CLOCK_MONOTONIC);
            cpu_start = now_ns(CLOCK_THREAD_CPUTIME_ID);
        }
        const float *x = xs + (size_t)(s & (INPUT_RING - 1)) * input;
        if (rr_net_step_f32(net, 1, x, input, h, hidden, is_lstm ? c : NULL,
                            is_lstm ? hidden : 0, out, hidden, h, hidden,
                            is_lstm ? c : NULL, is_lstm ? hidden : 0, NULL,
                            0, &err) != RR_OK) {
            fprintf(stderr, "step_bench: %s\n", err.message);
            return (step_time){ -1.0, -1.0 };
        }
    }
    const double cpu = now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
    return (step_time){ (now_ns(CLOCK_MONOTONIC) - start) / (double)steps,
                        cpu / (double)steps };
}

/* Time one shape and print its line; 0 on success. */
static int run_shape(rr_cell cell, size_t input, size_t hidden,
                     rr_dtype dtype, rr_kernel kernel, long long steps)
{
    const int is_lstm = cell == RR_CELL_LSTM;
    const int is_f32 = dtype == RR_FLOAT32;
    rr_net *net = make_net(cell, input, hidden, dtype, kernel);
    uint64_t state = 7;
    double *xs = random_array(INPUT_RING * input, 1.0, &state);
    float *xs32 = malloc(INPUT_RING * input * sizeof *xs32);
    if (net == NULL || xs == NULL || xs32 == NULL) {
        rr_net_free(net);
        free(xs);
        free(xs32);
        return 1;
    }
    for (size_t i = 0; i < INPUT_RING * input; i++) {
        xs32[i] = (float)xs[i];
    }
    const step_time time =
        is_f32 ? time_steps_f32(net, input, hidden, is_lstm, steps, xs32)
               : time_steps_f64(net, input, hidden, is_lstm, steps, xs);
    const double ns = time.wall_ns;
    const double flops = 2.0 * (is_lstm ? 4.0 : 3.0) * (double)hidden *
                         (double)(input + hidden);
    if (ns > 0.0) {
        printf("{\"lang\":\"c\",\"cell\":\"%s\",\"input\":%zu,\"hidden\":%zu,"
               "\"dtype\":\"%s\",\"kernel\":\"%s\",\"steps\":%lld,"
               "\"ns_per_step\":%.2f,\"cpu_ns_per_step\":%.2f,"
               "\"gflops\":%.3f}\n",
               is_lstm ? "lstm" : "gru", input, hidden,
               is_f32 ? "float32" : "float64", rr_net_kernel_name(net), steps,
               ns, time.cpu_ns, flops / ns);
        fflush(stdout);
    }
    rr_net_free(net);
    free(xs);
    free(xs32);
    return ns > 0.0 ? 0 : 1;
}

/* Pin this process to core `cpu` (-1: the first one it may run on). */
static int pin_to_one_core(int cpu)
{
    cpu_set_t set;
    if (cpu < 0) {
        if (sched_getaffinity(0, sizeof set, &set) != 0) {
            return -1;
        }
        for (int i = 0; i < CPU_SETSIZE && cpu < 0; i++) {
            cpu = CPU_ISSET(i, &set) ? i : -1;
        }
    }
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? cpu : -1;
}

static int parse_options(int argc, char **argv, options *opt)
{
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (value == NULL) {
            fprintf(stderr, "step_bench: %s needs a value\n", argv[i]);
            return 0;
        }
        if (strcmp(argv[i], "--steps") == 0) {
            opt->steps = atoll(value);
        } else if (strcmp(argv[i], "--cpu") == 0) {
            opt->cpu = atoi(value);
        } else if (strcmp(argv[i], "--cell") == 0) {
            opt->cell = value;
        } else if (strcmp(argv[i], "--hidden") == 0) {
            opt->hidden = (size_t)atoll(value);
        } else if (strcmp(argv[i], "--dtype") == 0) {
            opt->dtype = value;
        } else if (strcmp(argv[i], "--kernel") == 0) {
            static const char *const names[] = { "auto", "portable", "avx2",
                                                 "exact", "avx512" };
            int found = 0;
            for (int k = 0; k < 5; k++) {
                if (strcmp(value, names[k]) == 0) {
                    opt->kernel = (rr_kernel)k;
                    found = 1;
                }
            }
            if (!found) {
                fprintf(stderr, "step_bench: --kernel is %s, expected auto, "
                        "portable, avx2, exact or avx512\n", value);
                return 0;
            }
        } else {
            fprintf(stderr, "step_bench: unknown option %s\n", argv[i]);
            return 0;
        }
        i++;
    }
    if (opt->steps < 1) {
        fprintf(stderr, "step_bench: --steps must be >= 1\n");
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    options opt = { 1000000, -1, NULL, 0, NULL, RR_KERNEL_AUTO };
    if (!parse_options(argc, argv, &opt)) {
        return 2;
    }
    if (pin_to_one_core(opt.cpu) < 0) {
        fprintf(stderr, "step_bench: cannot pin to one core\n");
        return 1;
    }
    static const size_t hiddens[] = { 4, 8, 16, 32, 64, 128 };
    static const char *const cells[] = { "lstm", "gru" };
    static const char *const dtypes[] = { "float32", "float64" };
    int failures = 0;
    for (size_t ci = 0; ci < 2; ci++) {
        if (opt.cell != NULL && strcmp(opt.cell, cells[ci]) != 0) {
            continue;
        }
        for (size_t hi = 0; hi < sizeof hiddens / sizeof hiddens[0]; hi++) {
            const size_t hidden = hiddens[hi];
            if (opt.hidden != 0 && opt.hidden != hidden) {
                continue;
            }
            for (size_t in = 0; in < 2; in++) {
                const size_t input = in == 0 ? 1 : hidden;
                for (size_t di = 0; di < 2; di++) {
                    if (opt.dtype != NULL &&
                        strcmp(opt.dtype, dtypes[di]) != 0) {
                        continue;
                    }
                    failures += run_shape(
                        ci == 0 ? RR_CELL_LSTM : RR_CELL_GRU, input, hidden,
                        di == 0 ? RR_FLOAT32 : RR_FLOAT64, opt.kernel,
                        opt.steps);
                }
            }
        }
    }
    return failures == 0 ? 0 : 1;
}

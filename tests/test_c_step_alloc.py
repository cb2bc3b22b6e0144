"""The C streaming step allocates nothing per call, and gives the bits of a forward with T = 1.

A small C program (built here with gcc into a temporary folder, against ``c/build/librnn_rosetta.so``)
interposes malloc, calloc, realloc, aligned_alloc, posix_memalign and free, counting the calls each thread
makes while its flag is on, and runs ``rr_net_step`` / ``rr_net_step_f32`` 10^5 times after one warm-up call,
for LSTM and GRU, also from two threads on one net. Its ``bits`` mode compares the step with
``rr_net_forward`` at T = 1 (a different driver, the sequence's) byte for byte on every kernel this CPU runs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from rnn_rosetta import paths
from tests.conftest import require_backend, skip_or_fail

STEPS = 100_000

PROGRAM = r"""
#define _GNU_SOURCE
#include "rnn_rosetta.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- counting allocator: glibc's own functions underneath ------------- */
/* Built with -DCOUNT_ALLOCATIONS only: the plain build leaves malloc to the C library (or to a sanitizer's
 * runtime, which the sanitizer runs preload). */
#ifdef COUNT_ALLOCATIONS
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
void __libc_free(void *);

static _Thread_local int counting;        /* this thread counts */
static _Thread_local long allocations;    /* what it counted */

void *malloc(size_t n) { allocations += counting; return __libc_malloc(n); }
void *calloc(size_t n, size_t m) { allocations += counting; return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { allocations += counting; return __libc_realloc(p, n); }
void *aligned_alloc(size_t a, size_t n) { allocations += counting; return __libc_memalign(a, n); }
int posix_memalign(void **p, size_t a, size_t n)
{
    allocations += counting;
    *p = __libc_memalign(a, n);
    return *p != NULL ? 0 : 12;
}
void free(void *p) { allocations += counting && p != NULL; __libc_free(p); }
#else
#define __libc_malloc malloc
#define __libc_free free
static _Thread_local int counting;
static _Thread_local long allocations;
#endif

/* --- nets -------------------------------------------------------------- */
typedef struct spec {
    rr_cell cell; size_t input, hidden, layers, proj; int peep, lbr, clip;
    rr_head_activation head; size_t classes; rr_nonlinearity nonlin;
} spec;

static uint64_t seed = 1;
static double uniform(void) /* splitmix64 in [-1, 1) */
{
    uint64_t z = (seed += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (double)((z ^ (z >> 31)) >> 11) / 4503599627370496.0 - 1.0;
}
/* every array of the program's own, freed together at the end (release_all) */
#define MAX_ARRAYS 4096
static double *owned[MAX_ARRAYS];
static size_t owned_count;
static void release_all(void)
{
    while (owned_count > 0) __libc_free(owned[--owned_count]);
}
static double *randoms(size_t n)
{
    if (owned_count == MAX_ARRAYS) {
        printf("more than %d arrays at once\n", MAX_ARRAYS);
        exit(3);
    }
    double *a = __libc_malloc((n ? n : 1) * sizeof *a);
    for (size_t i = 0; i < n; i++) a[i] = uniform() * 0.6;
    return owned[owned_count++] = a;
}
static size_t out_size(const spec *s) { return s->proj ? s->proj : s->hidden; }

static rr_net *make_net(const spec *s, rr_dtype dtype, rr_kernel kernel, int *unsupported)
{
    const size_t G = s->cell == RR_CELL_LSTM ? 4 : s->cell == RR_CELL_GRU ? 3 : 1;
    const size_t H = s->hidden, P = out_size(s);
    rr_config cfg = { 0 };
    cfg.cell = s->cell; cfg.nonlinearity = s->nonlin; cfg.linear_before_reset = s->lbr;
    cfg.input_size = s->input; cfg.hidden_size = H; cfg.num_layers = s->layers;
    cfg.proj_size = s->proj; cfg.peepholes = s->peep; cfg.has_clip = s->clip; cfg.clip = 0.7;
    cfg.head = s->head; cfg.head_size = s->classes; cfg.dtype = dtype; cfg.kernel = kernel;
    rr_net *net = NULL;
    rr_error err;
    rr_status st = rr_net_create(&cfg, &net, &err);
    *unsupported = st == RR_E_UNSUPPORTED;
    if (st != RR_OK) {
        if (!*unsupported) printf("create: %s\n", err.message);
        return NULL;
    }
    for (size_t l = 0; l < s->layers; l++) {
        const size_t I = l == 0 ? s->input : P;
        double *w_ih = randoms(G * H * I), *w_hh = randoms(G * H * P);
        double *b_ih = randoms(G * H), *b_hh = randoms(G * H);
        double *w_hr = randoms(P * H), *peep = randoms(3 * H);
        rr_weights w = { w_ih, G * H * I, w_hh, G * H * P, b_ih, G * H, b_hh, G * H,
                         s->proj ? w_hr : NULL, s->proj ? P * H : 0,
                         s->peep ? peep : NULL, s->peep ? 3 * H : 0 };
        if (rr_net_set_weights(net, l, RR_FORWARD, &w, &err) != RR_OK) printf("weights: %s\n", err.message);
    }
    if (s->head != RR_HEAD_NONE) {
        double *w = randoms(s->classes * P), *b = randoms(s->classes);
        if (rr_net_set_head(net, w, s->classes * P, b, s->classes, &err) != RR_OK) printf("head: %s\n", err.message);
    }
    return net;
}

/* The arrays of one step (double; the float32 twins share the memory). */
typedef struct arrays {
    size_t B, nx, nh, nc, nout, ny; double *x, *h, *c, *out, *hn, *cn, *y;
} arrays;

static arrays make_arrays(const spec *s, size_t B)
{
    arrays a = { B, B * s->input, s->layers * B * out_size(s),
                 s->cell == RR_CELL_LSTM ? s->layers * B * s->hidden : 0, B * out_size(s),
                 s->head != RR_HEAD_NONE ? B * s->classes : 0, 0, 0, 0, 0, 0, 0, 0 };
    a.x = randoms(a.nx); a.h = randoms(a.nh); a.c = randoms(a.nc);
    a.out = randoms(a.nout); a.hn = randoms(a.nh); a.cn = randoms(a.nc); a.y = randoms(a.ny);
    return a;
}
static void narrow(double *a, size_t n) /* the first n floats from n doubles, in place */
{
    float *f = (float *)a;
    for (size_t i = 0; i < n; i++) f[i] = (float)a[i];
}
#define OPT(p, n) ((n) ? (p) : NULL), (n)

/* One step, in place (h_next = h, c_next = c) when `in_place`, on ws when given. */
static rr_status step(const rr_net *net, rr_dtype dt, rr_step_workspace *ws, arrays *a, int in_place)
{
    rr_error err;
    double *hn = in_place ? a->h : a->hn, *cn = in_place ? a->c : a->cn;
    rr_status st;
    if (dt == RR_FLOAT32 && ws != NULL)
        st = rr_net_step_ws_f32(net, ws, a->B, (float *)a->x, a->nx, (float *)a->h, a->nh, (float *)OPT(a->c, a->nc),
                                (float *)a->out, a->nout, (float *)hn, a->nh, (float *)OPT(cn, a->nc),
                                (float *)OPT(a->y, a->ny), &err);
    else if (dt == RR_FLOAT32)
        st = rr_net_step_f32(net, a->B, (float *)a->x, a->nx, (float *)a->h, a->nh, (float *)OPT(a->c, a->nc),
                             (float *)a->out, a->nout, (float *)hn, a->nh, (float *)OPT(cn, a->nc),
                             (float *)OPT(a->y, a->ny), &err);
    else if (ws != NULL)
        st = rr_net_step_ws(net, ws, a->B, a->x, a->nx, a->h, a->nh, OPT(a->c, a->nc), a->out, a->nout,
                            hn, a->nh, OPT(cn, a->nc), OPT(a->y, a->ny), &err);
    else
        st = rr_net_step(net, a->B, a->x, a->nx, a->h, a->nh, OPT(a->c, a->nc), a->out, a->nout,
                         hn, a->nh, OPT(cn, a->nc), OPT(a->y, a->ny), &err);
    if (st != RR_OK) printf("step: %s\n", err.message);
    return st;
}

static rr_status forward1(const rr_net *net, rr_dtype dt, arrays *a)
{
    rr_error err;
    rr_status st = dt == RR_FLOAT32
        ? rr_net_forward_f32(net, 1, a->B, (float *)a->x, a->nx, (float *)a->h, a->nh, (float *)OPT(a->c, a->nc),
                             NULL, 0, (float *)a->out, a->nout, (float *)a->hn, a->nh, (float *)OPT(a->cn, a->nc),
                             (float *)OPT(a->y, a->ny), &err)
        : rr_net_forward(net, 1, a->B, a->x, a->nx, a->h, a->nh, OPT(a->c, a->nc), NULL, 0, a->out, a->nout,
                         a->hn, a->nh, OPT(a->cn, a->nc), OPT(a->y, a->ny), &err);
    if (st != RR_OK) printf("forward: %s\n", err.message);
    return st;
}

static const char *const CELL_NAMES[] = { "rnn", "lstm", "gru" };
static const spec LSTM = { RR_CELL_LSTM, 3, 8, 2, 0, 0, 0, 0, RR_HEAD_SOFTMAX, 4, RR_TANH };
static const spec GRU = { RR_CELL_GRU, 3, 8, 1, 0, 0, 0, 0, RR_HEAD_NONE, 0, RR_TANH };

/* allocations of `steps` steps after one warm-up step; -1 when a step fails */
static arrays step_arrays(const spec *s, rr_dtype dt)
{
    arrays a = make_arrays(s, 1);
    if (dt == RR_FLOAT32) {
        narrow(a.x, a.nx); narrow(a.h, a.nh); narrow(a.c, a.nc);
    }
    return a;
}

static long count_steps(const rr_net *net, rr_dtype dt, rr_step_workspace *ws, arrays a, long steps)
{
    if (step(net, dt, ws, &a, 1) != RR_OK) return -1;
    allocations = 0;
    counting = 1;
    for (long i = 0; i < steps; i++) {
        if (step(net, dt, ws, &a, 1) != RR_OK) { counting = 0; return -1; }
    }
    counting = 0;
    return allocations;
}

/* one thread's steps, on arrays made before the threads start */
typedef struct job { const rr_net *net; rr_dtype dt; arrays a; long steps; long counted; } job;
static void *run_job(void *arg)
{
    job *j = arg;
    j->counted = count_steps(j->net, j->dt, NULL, j->a, j->steps);
    return NULL;
}

/* alloc mode: "<cell> <dtype> allocations <n> ws_allocations <n>" per net */
static int alloc_mode(long steps, int threads)
{
    const spec *specs[] = { &LSTM, &GRU };
    const char *names[] = { "lstm", "gru" };
    for (int si = 0; si < 2; si++) {
        for (int di = 0; di < 2; di++) {
            const rr_dtype dt = di ? RR_FLOAT32 : RR_FLOAT64;
            int unsupported = 0;
            rr_net *net = make_net(specs[si], dt, RR_KERNEL_AUTO, &unsupported);
            if (net == NULL) return 1;
            printf("%s %s %s", names[si], di ? "float32" : "float64", rr_net_kernel_name(net));
            if (threads) {
                job jobs[2] = { { net, dt, step_arrays(specs[si], dt), steps, -1 },
                                { net, dt, step_arrays(specs[si], dt), steps, -1 } };
                pthread_t t[2];
                for (int k = 0; k < 2; k++) pthread_create(&t[k], NULL, run_job, &jobs[k]);
                for (int k = 0; k < 2; k++) pthread_join(t[k], NULL);
                printf(" thread0 %ld thread1 %ld\n", jobs[0].counted, jobs[1].counted);
            } else {
                rr_step_workspace *ws = NULL;
                rr_error err;
                if (rr_step_workspace_create(net, 1, &ws, &err) != RR_OK) printf(" ws: %s", err.message);
                const long plain = count_steps(net, dt, NULL, step_arrays(specs[si], dt), steps);
                const long with_ws = count_steps(net, dt, ws, step_arrays(specs[si], dt), steps);
                printf(" allocations %ld ws_allocations %ld\n", plain, with_ws);
                rr_step_workspace_free(ws);
            }
            rr_net_free(net);
            release_all();
        }
    }
    return 0;
}

/* control mode: the counter sees the allocations of a forward */
static int control_mode(void)
{
    int unsupported = 0;
    rr_net *net = make_net(&LSTM, RR_FLOAT64, RR_KERNEL_AUTO, &unsupported);
    arrays a = make_arrays(&LSTM, 1);
    allocations = 0;
    counting = 1;
    forward1(net, RR_FLOAT64, &a);
    counting = 0;
    printf("forward allocations %ld\n", allocations);
    rr_net_free(net);
    return 0;
}

static int same(const char *what, const void *p, const void *q, size_t bytes)
{
    if (memcmp(p, q, bytes) == 0) return 1;
    printf(" %s differs", what);
    return 0;
}

/* bits mode: per spec, kernel, dtype and batch, "ok" or what differs */
static int bits_mode(void)
{
    static const spec specs[] = {
        { RR_CELL_LSTM, 3, 8, 2, 0, 0, 0, 0, RR_HEAD_SOFTMAX, 4, RR_TANH },
        { RR_CELL_LSTM, 1, 37, 1, 0, 1, 0, 1, RR_HEAD_NONE, 0, RR_TANH },
        { RR_CELL_LSTM, 5, 20, 2, 7, 1, 0, 0, RR_HEAD_IDENTITY, 3, RR_TANH },
        { RR_CELL_GRU, 4, 19, 2, 0, 0, 1, 1, RR_HEAD_NONE, 0, RR_TANH },
        { RR_CELL_GRU, 4, 33, 1, 0, 0, 0, 0, RR_HEAD_SOFTMAX, 5, RR_TANH },
        { RR_CELL_RNN, 2, 18, 3, 0, 0, 0, 0, RR_HEAD_NONE, 0, RR_RELU },
        { RR_CELL_RNN, 6, 64, 1, 0, 0, 0, 1, RR_HEAD_IDENTITY, 2, RR_TANH },
        /* AVX-512's fused one-row layer: groups of one masked vector, of
         * exactly one vector, of one full and one masked, several layers */
        { RR_CELL_LSTM, 8, 8, 1, 0, 1, 0, 0, RR_HEAD_NONE, 0, RR_TANH },
        { RR_CELL_GRU, 1, 48, 1, 0, 0, 1, 0, RR_HEAD_NONE, 0, RR_TANH },
        { RR_CELL_LSTM, 24, 24, 3, 0, 0, 0, 1, RR_HEAD_SOFTMAX, 3, RR_TANH },
        { RR_CELL_RNN, 1, 5, 1, 0, 0, 0, 0, RR_HEAD_NONE, 0, RR_TANH },
    };
    static const char *kernels[] = { "auto", "portable", "avx2", "exact", "avx512" };
    static const size_t batches[] = { 1, 3 };
    int bad = 0;
    for (size_t si = 0; si < sizeof specs / sizeof specs[0]; si++)
    for (int k = 0; k < 5; k++)
    for (int di = 0; di < 2; di++)
    for (int bi = 0; bi < 2; bi++) {
        const rr_dtype dt = di ? RR_FLOAT32 : RR_FLOAT64;
        const size_t elem = di ? sizeof(float) : sizeof(double);
        int unsupported = 0;
        rr_net *net = make_net(&specs[si], dt, (rr_kernel)k, &unsupported);
        if (net == NULL) { bad += !unsupported; continue; }
        arrays want = make_arrays(&specs[si], batches[bi]);
        if (di) { narrow(want.x, want.nx); narrow(want.h, want.nh); narrow(want.c, want.nc); }
        arrays got = want, in_place = want, ws_got = want;
        got.out = randoms(want.nout); got.hn = randoms(want.nh); got.cn = randoms(want.nc); got.y = randoms(want.ny);
        in_place.h = randoms(want.nh); in_place.c = randoms(want.nc);
        memcpy(in_place.h, want.h, want.nh * elem); memcpy(in_place.c, want.c, want.nc * elem);
        in_place.out = randoms(want.nout); in_place.y = randoms(want.ny);
        ws_got.out = randoms(want.nout); ws_got.hn = randoms(want.nh); ws_got.cn = randoms(want.nc);
        ws_got.y = randoms(want.ny);
        rr_step_workspace *ws = NULL;
        rr_error err;
        int ok = forward1(net, dt, &want) == RR_OK && step(net, dt, NULL, &got, 0) == RR_OK &&
                 step(net, dt, NULL, &in_place, 1) == RR_OK &&
                 rr_step_workspace_create(net, batches[bi], &ws, &err) == RR_OK &&
                 step(net, dt, ws, &ws_got, 0) == RR_OK;
        printf("%s %s %s B=%zu:", CELL_NAMES[specs[si].cell], kernels[k], di ? "float32" : "float64",
               batches[bi]);
        const arrays *runs[] = { &got, &in_place, &ws_got };
        const char *run_names[] = { "step", "in-place step", "ws step" };
        for (int r = 0; ok && r < 3; r++) {
            const arrays *g = runs[r];
            const double *hn = r == 1 ? g->h : g->hn, *cn = r == 1 ? g->c : g->cn;
            char what[64];
            snprintf(what, sizeof what, "%s out", run_names[r]);
            ok &= same(what, want.out, g->out, want.nout * elem);
            snprintf(what, sizeof what, "%s h", run_names[r]);
            ok &= same(what, want.hn, hn, want.nh * elem);
            snprintf(what, sizeof what, "%s c", run_names[r]);
            ok &= same(what, want.cn, cn, want.nc * elem);
            snprintf(what, sizeof what, "%s y", run_names[r]);
            ok &= same(what, want.y, g->y, want.ny * elem);
        }
        printf(ok ? " ok\n" : "\n");
        bad += !ok;
        rr_step_workspace_free(ws);
        rr_net_free(net);
        release_all();
    }
    return bad != 0;
}

/* errors mode: a workspace too small, and none */
static int errors_mode(void)
{
    int unsupported = 0;
    rr_net *net = make_net(&LSTM, RR_FLOAT64, RR_KERNEL_AUTO, &unsupported);
    rr_step_workspace *ws = NULL;
    rr_error err;
    rr_status st = rr_step_workspace_create(net, 0, &ws, &err);
    printf("%s: %s\n", rr_status_name(st), err.message);
    rr_step_workspace_create(net, 1, &ws, &err);
    arrays a = make_arrays(&LSTM, 2);
    st = rr_net_step_ws(net, ws, 2, a.x, a.nx, a.h, a.nh, a.c, a.nc, a.out, a.nout, a.hn, a.nh, a.cn, a.nc, a.y,
                        a.ny, &err);
    printf("%s: %s\n", rr_status_name(st), err.message);
    st = rr_net_step_ws(net, NULL, 2, a.x, a.nx, a.h, a.nh, a.c, a.nc, a.out, a.nout, a.hn, a.nh, a.cn, a.nc, a.y,
                        a.ny, &err);
    printf("%s: %s\n", rr_status_name(st), err.message);
    st = rr_net_step_ws_f32(net, ws, 1, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, &err);
    printf("%s: %s\n", rr_status_name(st), err.message);
    rr_step_workspace_free(ws);
    rr_net_free(net);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    const long steps = argc > 2 ? atol(argv[2]) : 100000;
    int code = 2;
    if (strcmp(mode, "alloc") == 0) code = alloc_mode(steps, 0);
    if (strcmp(mode, "threads") == 0) code = alloc_mode(steps, 1);
    if (strcmp(mode, "control") == 0) code = control_mode();
    if (strcmp(mode, "bits") == 0) code = bits_mode();
    if (strcmp(mode, "errors") == 0) code = errors_mode();
    release_all();
    return code;
}
"""


def build(folder: Path, name: str, *defines: str) -> Path:
    """The test program, built against the library `make c` built (``RR_C_LIBRARY`` picks another)."""
    require_backend("c")
    if shutil.which("gcc") is None:
        skip_or_fail("gcc is not installed")
    source = folder / "step_alloc.c"
    source.write_text(PROGRAM, "utf-8")
    library = paths.c_library().resolve()
    binary = folder / name
    command = [
        "gcc", "-O1", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pthread", *defines,
        f"-I{paths.c_header().parent}", "-o", str(binary), str(source),
        f"-L{library.parent}", "-lrnn_rosetta", f"-Wl,-rpath,{library.parent}",
        # a sanitized library's runtime symbols come from the runtime the sanitizer runs preload
        "-Wl,--unresolved-symbols=ignore-in-shared-libs",
    ]  # fmt: skip
    built = subprocess.run(command, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    return binary


@pytest.fixture(scope="module")
def counting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The program with the counting allocator (not for a sanitizer run: it would hide the sanitizer's)."""
    return build(tmp_path_factory.mktemp("step_alloc"), "step_alloc_counting", "-DCOUNT_ALLOCATIONS")


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The program with the C library's allocator: the bits and refusals, also under the sanitizers."""
    return build(tmp_path_factory.mktemp("step_plain"), "step_plain")


def run(program: Path, *args: str) -> list[str]:
    done = subprocess.run([str(program), *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines()


def test_the_counter_sees_what_a_forward_allocates(counting: Path) -> None:
    """The control: rr_net_forward allocates its scratch, and the interposed malloc counts it."""
    (line,) = run(counting, "control")
    assert int(line.split()[-1]) >= 5, line


def test_steps_allocate_nothing(counting: Path) -> None:
    """10^5 steps of rr_net_step and of rr_net_step_ws (each after one warm-up), LSTM and GRU, both precisions."""
    lines = run(counting, "alloc", str(STEPS))
    assert len(lines) == 4, lines
    for line in lines:
        words = line.split()
        assert words[-4:] == ["allocations", "0", "ws_allocations", "0"], line


def test_two_threads_on_one_net_allocate_nothing(counting: Path) -> None:
    """Each thread gets its own workspace at its first step; after that, none of 10^5 steps allocates."""
    lines = run(counting, "threads", str(STEPS))
    assert len(lines) == 4, lines
    for line in lines:
        assert line.split()[-4:] == ["thread0", "0", "thread1", "0"], line


def test_step_gives_the_bits_of_a_forward_of_one_step(program: Path) -> None:
    """Out, h, c and y of a step (fresh outputs, in place, on a workspace) equal rr_net_forward's at T = 1."""
    lines = run(program, "bits")
    assert all(line.endswith(" ok") for line in lines), "\n".join(line for line in lines if not line.endswith("ok"))
    kernels = {line.split()[1] for line in lines}
    assert {"auto", "portable", "exact"} <= kernels, kernels


def test_workspace_refusals(program: Path) -> None:
    lines = run(program, "errors")
    assert lines[0] == "RR_E_SIZE: max_batch is 0, expected 1..%s" % lines[0].split("..")[-1], lines
    assert lines[1].startswith("RR_E_SIZE: ws holds ") and "a batch >= 2" in lines[1], lines
    assert lines[2] == "RR_E_NULL: ws is NULL", lines
    assert lines[3].startswith("RR_E_CONFIG: the net is float64"), lines
    assert "call rr_net_step_ws, not rr_net_step_ws_f32" in lines[3], lines


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_python_step_outputs_stay_apart_and_follow_the_forward(dtype: str) -> None:
    """``net.step``'s fast path hands out arrays from a cycle of output sets, never writing one while it is
    held: every y_t and state kept over more steps than the cycle holds still has its own step's values
    (those of ``forward``, within the dtype's rounding), whether the state passed back is the one returned,
    a copy, or None at the start."""
    import numpy as np

    import rnn_rosetta as rr
    from rnn_rosetta.backends.base import State
    from tests.test_robustness import _model

    require_backend("c")
    model = _model("lstm", hidden=5, inputs=3, head="softmax")
    net = rr.get_backend("c").load(model, dtype=dtype)
    steps = 3 * net._fast_step_pool_steps(batch=2) + 5  # type: ignore[attr-defined]
    x = np.random.default_rng(3).standard_normal((steps, 2, 3)).astype(dtype)
    whole = net.forward(x)
    ys, states, state = [], [], None
    for t in range(steps):
        if t % 7 == 3:  # a state that is not the last one returned: its pointers are taken afresh
            state = State(state.h.copy(), state.c.copy())
        y_t, state = net.step(x[t], state)
        ys.append(y_t)
        states.append(state)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-13}
    np.testing.assert_allclose(np.stack(ys), whole.y, **tol)
    np.testing.assert_allclose(states[-1].h, whole.h_n, **tol)
    np.testing.assert_allclose(states[-1].c, whole.c_n, **tol)
    assert len({id(s.h) for s in states}) == steps

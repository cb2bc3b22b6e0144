/* step.c - the streaming step's plan (fixed at create), its scratch (a
 * caller's rr_step_workspace, or the calling thread's own), and the step
 * functions of each path, in float64 and float32 (step_impl.h; the
 * AVX-512 path's fused one-row layer: step_avx512_impl.h). The entry
 * points and their checks are in forward.c. */
#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

/* The step body is inlined into each path's step function, so that the
 * products and gates it calls are fixed there, not looked up per call. */
#if defined(__GNUC__)
#define RR_STEP_INLINE inline __attribute__((always_inline))
#else
#define RR_STEP_INLINE inline
#endif

/* Scratch regions start on 64-byte lines: counts rounded up to 16 REALs
 * (a multiple of 64 bytes for float and double alike). */
#define RR_STEP_ROUND 16
static size_t rr_step_round(size_t count)
{
    return (count + RR_STEP_ROUND - 1) & ~(size_t)(RR_STEP_ROUND - 1);
}

#if RR_HAVE_AVX2_KERNELS
#include <immintrin.h>

#include "avx512_target.h"
#endif

#define RR_REAL_BITS 64
#include "step_impl.h"
#if RR_HAVE_AVX2_KERNELS
#include "step_avx512_impl.h"
#endif
#undef RR_REAL_BITS

#define RR_REAL_BITS 32
#include "step_impl.h"
#if RR_HAVE_AVX2_KERNELS
#include "step_avx512_impl.h"
#endif
#undef RR_REAL_BITS

/* --- the plan ------------------------------------------------------------ */

/* The step function of a path and precision; NULL where the path has none
 * and a step runs the sequence with T = 1 (the exact path, whose driver is
 * its own). A path plugs in here: its products and gates in a
 * kernel_table (kernel_table_impl.h), or a step function of its own with
 * the same arguments, e.g. one that fuses its products and gates. */
static void (*step_function(rr_path path, int is_float32))(
    const rr_net *, size_t, const void *, const void *, const void *, void *,
    void *, void *, void *, void *)
{
    switch (path) {
    case RR_PATH_PORTABLE:
        return is_float32 ? step_portable_f32 : step_portable_f64;
    case RR_PATH_AVX2:
#if RR_HAVE_AVX2_KERNELS
        return is_float32 ? step_avx2_f32 : step_avx2_f64;
#else
        return NULL;
#endif
    case RR_PATH_AVX512:
#if RR_HAVE_AVX2_KERNELS
        return is_float32 ? step_avx512_f32 : step_avx512_f64;
#else
        return NULL;
#endif
    case RR_PATH_EXACT: /* its own driver (exact_impl.h): the sequence */
        break;
    }
    return NULL;
}

/* a * b, or SIZE_MAX when it overflows */
static size_t product_or_max(size_t a, size_t b)
{
    return b != 0 && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

void rr_step_prepare(rr_net *net)
{
    const rr_config *cfg = &net->cfg;
    const size_t L = cfg->num_layers, H = cfg->hidden_size;
    const size_t H_out = net->out_size, G = net->gates;
    const int is_lstm = cfg->cell == RR_CELL_LSTM;
    const int gru_cho = cfg->cell == RR_CELL_GRU && !cfg->linear_before_reset;
    /* the groups every matrix of the layers is packed in (pack.c) */
    const size_t nr = rr_pack_width(net->path, net->elem_size, H);
    const size_t groups = (H + nr - 1) / nr;

    net->step_x_row = cfg->input_size;
    net->step_h_row = product_or_max(L, H_out);
    net->step_c_row = is_lstm ? product_or_max(L, H) : 0;
    net->step_out_row = H_out;
    net->step_y_row = cfg->head != RR_HEAD_NONE ? cfg->head_size : 0;
    net->step_scratch_row[0] = net->step_h_row;                  /* h_prev */
    net->step_scratch_row[1] =                                   /* proj */
        product_or_max(product_or_max(groups, G), nr);
    net->step_scratch_row[2] = product_or_max(G, nr);            /* tile */
    net->step_scratch_row[3] = cfg->proj_size > 0 || gru_cho ? H : 0; /* m */
    net->step_scratch_row[4] = gru_cho ? H : 0;                  /* z */

    /* the largest row of any array or of the scratch: a batch up to
     * step_max_batch keeps every count (and the scratch's, rounded up)
     * under SIZE_MAX / sizeof(double), as rr_check_array wants */
    size_t widest = net->step_x_row;
    const size_t rows[] = { net->step_h_row, net->step_c_row,
                            net->step_out_row, net->step_y_row };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        widest = rows[i] > widest ? rows[i] : widest;
    }
    size_t scratch_row = 0;
    for (size_t i = 0; i < 5; i++) {
        const size_t part = net->step_scratch_row[i];
        scratch_row = part > SIZE_MAX - scratch_row ? SIZE_MAX
                                                    : scratch_row + part;
    }
    widest = scratch_row > widest ? scratch_row : widest;
    const size_t limit = SIZE_MAX / sizeof(double) - 5 * RR_STEP_ROUND;
    net->step_max_batch = widest == 0 ? 0 : limit / widest;
    net->step_fn = step_function(net->path, cfg->dtype == RR_FLOAT32);
}

size_t rr_step_scratch_bytes(const rr_net *net, size_t batch)
{
    size_t count = 0;
    RR_UNROLL(5) /* a step asks this every call: no loop */
    for (size_t i = 0; i < 5; i++) {
        count += rr_step_round(batch * net->step_scratch_row[i]);
    }
    return count * net->elem_size;
}

/* --- a caller's workspace -------------------------------------------------- */

struct rr_step_workspace {
    size_t bytes; /* what data holds                                     */
    void *data;   /* RR_ALIGN-aligned                                     */
};

rr_status rr_step_workspace_create(const rr_net *net, size_t max_batch,
                                   rr_step_workspace **out, rr_error *err)
{
    if (out == NULL) {
        return rr_fail(err, RR_E_NULL, "out is NULL");
    }
    *out = NULL;
    if (net == NULL) {
        return rr_fail(err, RR_E_NULL, "net is NULL");
    }
    if (max_batch == 0 || max_batch > net->step_max_batch) {
        return rr_fail(err, RR_E_SIZE, "max_batch is %zu, expected 1..%zu",
                       max_batch, net->step_max_batch);
    }
    const size_t bytes = rr_step_scratch_bytes(net, max_batch);
    rr_step_workspace *ws = calloc(1, sizeof *ws);
    void *data = ws != NULL ? rr_alloc(bytes, 1, 0) : NULL;
    if (data == NULL) {
        free(ws);
        return rr_fail(err, RR_E_NOMEM,
                       "cannot allocate a step workspace of %zu bytes", bytes);
    }
    ws->bytes = bytes;
    ws->data = data;
    *out = ws;
    return RR_OK;
}

void rr_step_workspace_free(rr_step_workspace *ws)
{
    if (ws != NULL) {
        free(ws->data);
        free(ws);
    }
}

void *rr_step_workspace_scratch(rr_step_workspace *ws, size_t bytes,
                                size_t *held)
{
    *held = ws->bytes;
    return bytes <= ws->bytes ? ws->data : NULL;
}

/* --- the calling thread's own workspace ---------------------------------- */

/* One thread's scratch block: the header, then the data at RR_ALIGN. */
typedef struct thread_scratch {
    size_t bytes;
} thread_scratch;

/* The key of every thread's block, made once by the first step of any
 * thread. scratch_key is written before scratch_key_state is released and
 * read after it is acquired (0: not yet, 1: made, 2: tss_create failed),
 * which also lets a step skip call_once once the key is made. */
static tss_t scratch_key;
static once_flag scratch_once = ONCE_FLAG_INIT;
static atomic_int scratch_key_state;

static void make_scratch_key(void)
{
    tss_t key;
    const int made = tss_create(&key, free) == thrd_success;
    if (made) {
        scratch_key = key;
    }
    atomic_store_explicit(&scratch_key_state, made ? 1 : 2,
                          memory_order_release);
}

/* The thread that ends the process (or unloads the library) never runs a
 * tss destructor: free its block here, so that a program that stepped on
 * its main thread ends with nothing allocated (valgrind, LeakSanitizer). */
#if defined(__GNUC__)
__attribute__((destructor))
#endif
static void free_exiting_thread_scratch(void)
{
    if (atomic_load_explicit(&scratch_key_state, memory_order_acquire) == 1) {
        free(tss_get(scratch_key));
        tss_set(scratch_key, NULL);
    }
}

void *rr_step_thread_scratch(size_t bytes)
{
    if (atomic_load_explicit(&scratch_key_state, memory_order_acquire) == 0) {
        call_once(&scratch_once, make_scratch_key);
    }
    if (atomic_load_explicit(&scratch_key_state, memory_order_acquire) != 1) {
        return NULL;
    }
    thread_scratch *block = tss_get(scratch_key);
    if (block == NULL || block->bytes < bytes) {
        /* grow (never shrink): a thread that steps a bigger net or batch */
        if (bytes > SIZE_MAX - RR_ALIGN) {
            return NULL;
        }
        thread_scratch *bigger = rr_alloc(RR_ALIGN + bytes, 1, 0);
        if (bigger == NULL || tss_set(scratch_key, bigger) != thrd_success) {
            free(bigger);
            return NULL;
        }
        free(block);
        bigger->bytes = bytes;
        block = bigger;
    }
    return (char *)block + RR_ALIGN;
}

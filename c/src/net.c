/* net.c - creating and freeing a net (choosing its kernel and precision),
 * and copying its weights in, packed for that kernel (pack.c) and rounded
 * once to float for a float32 net. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *cell_name(rr_cell cell)
{
    switch (cell) {
    case RR_CELL_RNN: return "rnn";
    case RR_CELL_LSTM: return "lstm";
    case RR_CELL_GRU: return "gru";
    }
    return "?";
}

static size_t gate_count(rr_cell cell)
{
    switch (cell) {
    case RR_CELL_RNN: return 1;
    case RR_CELL_LSTM: return 4;
    case RR_CELL_GRU: return 3;
    }
    return 0;
}

/* The enum values and flags, and which options go with which cell. */
static rr_status check_options(const rr_config *cfg, rr_error *err)
{
    if (gate_count(cfg->cell) == 0) {
        return rr_fail(err, RR_E_CONFIG,
                       "cfg->cell is %d, expected RR_CELL_RNN (0), "
                       "RR_CELL_LSTM (1) or RR_CELL_GRU (2)", (int)cfg->cell);
    }
    if (cfg->nonlinearity != RR_TANH && cfg->nonlinearity != RR_RELU) {
        return rr_fail(err, RR_E_CONFIG,
                       "cfg->nonlinearity is %d, expected RR_TANH (0) or "
                       "RR_RELU (1)", (int)cfg->nonlinearity);
    }
    if (cfg->nonlinearity == RR_RELU && cfg->cell != RR_CELL_RNN) {
        return rr_fail(err, RR_E_CONFIG,
                       "cfg->nonlinearity RR_RELU applies to rnn only, "
                       "the cell is %s", cell_name(cfg->cell));
    }
    if (cfg->direction != RR_FORWARD && cfg->direction != RR_REVERSE &&
        cfg->direction != RR_BIDIRECTIONAL) {
        return rr_fail(err, RR_E_CONFIG,
                       "cfg->direction is %d, expected RR_FORWARD (0), "
                       "RR_REVERSE (1) or RR_BIDIRECTIONAL (2)",
                       (int)cfg->direction);
    }
    if (cfg->head != RR_HEAD_NONE && cfg->head != RR_HEAD_IDENTITY &&
        cfg->head != RR_HEAD_SOFTMAX) {
        return rr_fail(err, RR_E_CONFIG,
                       "cfg->head is %d, expected RR_HEAD_NONE (0), "
                       "RR_HEAD_IDENTITY (1) or RR_HEAD_SOFTMAX (2)",
                       (int)cfg->head);
    }
    const struct { const char *name; int value; } flags[] = {
        { "linear_before_reset", cfg->linear_before_reset },
        { "peepholes", cfg->peepholes },
        { "has_clip", cfg->has_clip },
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (flags[i].value != 0 && flags[i].value != 1) {
            return rr_fail(err, RR_E_CONFIG, "cfg->%s is %d, expected 0 or 1",
                           flags[i].name, flags[i].value);
        }
    }
    if (cfg->peepholes && cfg->cell != RR_CELL_LSTM) {
        return rr_fail(err, RR_E_CONFIG,
                       "cfg->peepholes applies to lstm only, the cell is %s",
                       cell_name(cfg->cell));
    }
    if (cfg->has_clip && !(isfinite(cfg->clip) && cfg->clip > 0.0)) {
        return rr_fail(err, RR_E_CONFIG,
                       "cfg->clip is %g, expected a finite value > 0",
                       cfg->clip);
    }
    if (cfg->proj_size != 0 && cfg->cell != RR_CELL_LSTM) {
        return rr_fail(err, RR_E_CONFIG,
                       "cfg->proj_size is %zu, but projection applies to "
                       "lstm only (the cell is %s); expected 0",
                       cfg->proj_size, cell_name(cfg->cell));
    }
    if (cfg->proj_size >= cfg->hidden_size && cfg->proj_size != 0) {
        return rr_fail(err, RR_E_CONFIG,
                       "cfg->proj_size is %zu, expected 0 or less than "
                       "hidden_size (%zu)", cfg->proj_size, cfg->hidden_size);
    }
    if (cfg->dtype != RR_FLOAT64 && cfg->dtype != RR_FLOAT32) {
        return rr_fail(err, RR_E_CONFIG,
                       "cfg->dtype is %d, expected RR_FLOAT64 (0) or "
                       "RR_FLOAT32 (1)", (int)cfg->dtype);
    }
    if (cfg->kernel != RR_KERNEL_AUTO && cfg->kernel != RR_KERNEL_PORTABLE &&
        cfg->kernel != RR_KERNEL_AVX2 && cfg->kernel != RR_KERNEL_EXACT &&
        cfg->kernel != RR_KERNEL_AVX512) {
        return rr_fail(err, RR_E_CONFIG,
                       "cfg->kernel is %d, expected RR_KERNEL_AUTO (0), "
                       "RR_KERNEL_PORTABLE (1), RR_KERNEL_AVX2 (2), "
                       "RR_KERNEL_EXACT (3) or RR_KERNEL_AVX512 (4)",
                       (int)cfg->kernel);
    }
    if (cfg->num_threads > 2) {
        return rr_fail(err, RR_E_CONFIG,
                       "cfg->num_threads is %zu, expected 0, 1 or 2",
                       cfg->num_threads);
    }
    if (cfg->head == RR_HEAD_NONE && cfg->head_size != 0) {
        return rr_fail(err, RR_E_CONFIG,
                       "cfg->head_size is %zu without a head (RR_HEAD_NONE), "
                       "expected 0", cfg->head_size);
    }
    return RR_OK;
}

/* Element count of one array, named for the message when it overflows. */
static rr_status check_count(rr_error *err, const char *what,
                             const char *const *factor_names,
                             const size_t *factors, size_t factor_count)
{
    size_t count = 0;
    if (rr_count_product(factors, factor_count, &count)) {
        return RR_OK;
    }
    char names[64];
    char values[192];
    rr_describe_product(factor_names, factors, factor_count,
                        names, sizeof names, values, sizeof values);
    return rr_fail(err, RR_E_SIZE,
                   "%s has %s elements, which overflows size_t (%s)",
                   what, names, values);
}

/* Sizes >= 1 where required, and every weight array's count fits. */
static rr_status check_sizes(const rr_config *cfg, rr_error *err)
{
    const struct { const char *name; size_t value; } sizes[] = {
        { "input_size", cfg->input_size },
        { "hidden_size", cfg->hidden_size },
        { "num_layers", cfg->num_layers },
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (sizes[i].value == 0) {
            return rr_fail(err, RR_E_SIZE, "cfg->%s is 0, expected >= 1",
                           sizes[i].name);
        }
    }
    if (cfg->head != RR_HEAD_NONE && cfg->head_size == 0) {
        return rr_fail(err, RR_E_SIZE,
                       "cfg->head_size is 0 with a head, expected >= 1");
    }

    const size_t gates = gate_count(cfg->cell);
    const size_t directions = cfg->direction == RR_BIDIRECTIONAL ? 2 : 1;
    const size_t out_size =
        cfg->proj_size > 0 ? cfg->proj_size : cfg->hidden_size;
    const size_t hidden = cfg->hidden_size;
    rr_status status = check_count(err, "the layer-direction list",
                                   (const char *const[]){ "L", "D" },
                                   (const size_t[]){ cfg->num_layers,
                                                     directions },
                                   2);
    if (status == RR_OK) {
        status = check_count(err, "weight_ih of layer 0",
                             (const char *const[]){ "G", "H", "I" },
                             (const size_t[]){ gates, hidden, cfg->input_size },
                             3);
    }
    if (status == RR_OK && cfg->num_layers > 1) {
        status = check_count(err, "weight_ih of layers > 0",
                             (const char *const[]){ "G", "H", "D", "H_out" },
                             (const size_t[]){ gates, hidden, directions,
                                               out_size },
                             4);
    }
    if (status == RR_OK) {
        status = check_count(err, "weight_hh",
                             (const char *const[]){ "G", "H", "H_out" },
                             (const size_t[]){ gates, hidden, out_size }, 3);
    }
    if (status == RR_OK) {
        /* 3*H: the peepholes, and a GRU's per-row scratch */
        status = check_count(err, "the peepholes",
                             (const char *const[]){ "3", "H" },
                             (const size_t[]){ 3, hidden }, 2);
    }
    if (status == RR_OK && cfg->head != RR_HEAD_NONE) {
        status = check_count(err, "the head weight",
                             (const char *const[]){ "O", "D", "H_out" },
                             (const size_t[]){ cfg->head_size, directions,
                                               out_size },
                             3);
    }
    return status;
}

/* The path a net runs for cfg->kernel (already checked to be supported);
 * AUTO: the AVX-512 kernels where the CPU (and OS) has them, else the
 * AVX2 + FMA kernels where it has those, else portable. */
static rr_path choose_path(rr_kernel kernel, int has_avx2, int has_avx512)
{
    switch (kernel) {
    case RR_KERNEL_PORTABLE: return RR_PATH_PORTABLE;
    case RR_KERNEL_EXACT: return RR_PATH_EXACT;
    case RR_KERNEL_AVX512: return RR_PATH_AVX512;
    case RR_KERNEL_AVX2: break;
    case RR_KERNEL_AUTO:
        if (has_avx512) {
            return RR_PATH_AVX512;
        }
        break;
    }
    return has_avx2 ? RR_PATH_AVX2 : RR_PATH_PORTABLE;
}

rr_status rr_net_create(const rr_config *cfg, rr_net **out, rr_error *err)
{
    if (out == NULL) {
        return rr_fail(err, RR_E_NULL, "out is NULL");
    }
    *out = NULL;
    if (cfg == NULL) {
        return rr_fail(err, RR_E_NULL, "cfg is NULL");
    }
    rr_status status = check_options(cfg, err);
    if (status == RR_OK) {
        status = check_sizes(cfg, err);
    }
    if (status != RR_OK) {
        return status;
    }

    /* AUTO: the AVX2 + FMA kernels where the CPU has them */
    const int has_avx2 = rr_cpu_has_avx2_fma();
    if (cfg->kernel == RR_KERNEL_AVX2 && !has_avx2) {
        return rr_fail(err, RR_E_UNSUPPORTED,
                       "cfg->kernel is RR_KERNEL_AVX2, but this %s; use "
                       "RR_KERNEL_AUTO or RR_KERNEL_PORTABLE",
                       RR_HAVE_AVX2_KERNELS
                           ? "CPU lacks AVX2 or FMA"
                           : "library was built without the AVX2 kernels");
    }
    const int has_avx512 = rr_cpu_has_avx512();
    if (cfg->kernel == RR_KERNEL_AVX512 && !has_avx512) {
        return rr_fail(err, RR_E_UNSUPPORTED,
                       "cfg->kernel is RR_KERNEL_AVX512, but this CPU or "
                       "build lacks the AVX-512 kernels; use RR_KERNEL_AUTO "
                       "or RR_KERNEL_PORTABLE");
    }
    const rr_path path = choose_path(cfg->kernel, has_avx2, has_avx512);

    rr_net *net = calloc(1, sizeof *net);
    if (net == NULL) {
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the net");
    }
    net->cfg = *cfg;
    net->path = path;
    net->elem_size = cfg->dtype == RR_FLOAT32 ? sizeof(float) : sizeof(double);
    net->gates = gate_count(cfg->cell);
    net->directions = cfg->direction == RR_BIDIRECTIONAL ? 2 : 1;
    net->out_size = cfg->proj_size > 0 ? cfg->proj_size : cfg->hidden_size;
    net->slots = calloc(cfg->num_layers * net->directions, sizeof(rr_slot));
    if (net->slots == NULL) {
        free(net);
        return rr_fail(err, RR_E_NOMEM,
                       "cannot allocate the weight table for %zu layers",
                       cfg->num_layers);
    }
    rr_step_prepare(net); /* the step's sizes, proven once (step.c) */
    *out = net;
    return RR_OK;
}

static void free_slot(rr_slot *slot)
{
    rr_packed_free(&slot->w_ih);
    rr_packed_free(&slot->w_hh);
    rr_packed_free(&slot->w_hn);
    rr_packed_free(&slot->w_hr);
    free(slot->peepholes);
    memset(slot, 0, sizeof *slot);
}

void rr_net_free(rr_net *net)
{
    if (net == NULL) {
        return;
    }
    const size_t slot_count = net->cfg.num_layers * net->directions;
    for (size_t i = 0; i < slot_count; i++) {
        free_slot(&net->slots[i]);
    }
    free(net->slots);
    rr_packed_free(&net->head);
    free(net);
}

const char *rr_net_kernel_name(const rr_net *net)
{
    if (net == NULL) {
        return "none";
    }
    switch (net->path) {
    case RR_PATH_AVX2: return "avx2-fma";
    case RR_PATH_EXACT: return "exact";
    case RR_PATH_AVX512: return "avx512";
    case RR_PATH_PORTABLE: break;
    }
    return "portable";
}

/* A heap copy of src [count], as the net's REAL (rounded for float32). */
static void *copy_reals(const rr_net *net, const double *src, size_t count)
{
    void *dst = rr_alloc(count, net->elem_size, 0);
    if (dst == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        if (net->elem_size == sizeof(double)) {
            ((double *)dst)[i] = src[i];
        } else {
            ((float *)dst)[i] = (float)src[i];
        }
    }
    return dst;
}

/* rr_pack with the net's kernel and precision */
static int pack(const rr_net *net, rr_packed *dst, const double *weight,
                const double *bias, size_t gates, size_t units, size_t k)
{
    return rr_pack(dst, net->path, net->elem_size, weight, bias, gates, units,
                   k);
}

/* Check every array of `w` against the shapes of layer `layer`. */
static rr_status check_weights(const rr_net *net, size_t layer,
                               const rr_weights *w, rr_error *err)
{
    const rr_config *cfg = &net->cfg;
    const size_t gates = net->gates;
    const size_t hidden = cfg->hidden_size;
    const size_t layer_input =
        layer == 0 ? cfg->input_size : net->directions * net->out_size;
    const rr_need proj_need =
        cfg->proj_size > 0 ? RR_NEED_REQUIRED : RR_NEED_ABSENT;
    const rr_need peep_need = cfg->peepholes ? RR_NEED_REQUIRED : RR_NEED_ABSENT;

    rr_status status = rr_check_array(
        err, "weights->weight_ih", w->weight_ih, w->weight_ih_len,
        RR_NEED_REQUIRED, (const char *const[]){ "G", "H", "I_l" },
        (const size_t[]){ gates, hidden, layer_input }, 3, "");
    if (status == RR_OK) {
        status = rr_check_array(
            err, "weights->weight_hh", w->weight_hh, w->weight_hh_len,
            RR_NEED_REQUIRED, (const char *const[]){ "G", "H", "H_out" },
            (const size_t[]){ gates, hidden, net->out_size }, 3, "");
    }
    if (status == RR_OK) {
        status = rr_check_array(
            err, "weights->bias_ih", w->bias_ih, w->bias_ih_len,
            RR_NEED_REQUIRED, (const char *const[]){ "G", "H" },
            (const size_t[]){ gates, hidden }, 2, "");
    }
    if (status == RR_OK) {
        status = rr_check_array(
            err, "weights->bias_hh", w->bias_hh, w->bias_hh_len,
            RR_NEED_REQUIRED, (const char *const[]){ "G", "H" },
            (const size_t[]){ gates, hidden }, 2, "");
    }
    if (status == RR_OK) {
        status = rr_check_array(
            err, "weights->weight_hr", w->weight_hr, w->weight_hr_len,
            proj_need, (const char *const[]){ "P", "H" },
            (const size_t[]){ cfg->proj_size, hidden }, 2,
            "the model has no projection (proj_size 0)");
    }
    if (status == RR_OK) {
        status = rr_check_array(
            err, "weights->peepholes", w->peepholes, w->peepholes_len,
            peep_need, (const char *const[]){ "3", "H" },
            (const size_t[]){ 3, hidden }, 2,
            "the model has no peepholes");
    }
    return status;
}

rr_status rr_net_set_weights(rr_net *net, size_t layer, rr_direction which,
                             const rr_weights *weights, rr_error *err)
{
    if (net == NULL) {
        return rr_fail(err, RR_E_NULL, "net is NULL");
    }
    if (weights == NULL) {
        return rr_fail(err, RR_E_NULL, "weights is NULL");
    }
    const rr_config *cfg = &net->cfg;
    if (layer >= cfg->num_layers) {
        return rr_fail(err, RR_E_SIZE, "layer is %zu, expected 0..%zu (L=%zu)",
                       layer, cfg->num_layers - 1, cfg->num_layers);
    }
    if (which != RR_FORWARD && which != RR_REVERSE) {
        return rr_fail(err, RR_E_CONFIG,
                       "which is %d, expected RR_FORWARD (0) or RR_REVERSE (1)",
                       (int)which);
    }
    if ((which == RR_FORWARD && cfg->direction == RR_REVERSE) ||
        (which == RR_REVERSE && cfg->direction == RR_FORWARD)) {
        return rr_fail(err, RR_E_CONFIG,
                       "which is %s, but the model's direction has a %s "
                       "slot only",
                       which == RR_FORWARD ? "RR_FORWARD" : "RR_REVERSE",
                       cfg->direction == RR_FORWARD ? "forward" : "reverse");
    }
    rr_status status = check_weights(net, layer, weights, err);
    if (status != RR_OK) {
        return status;
    }

    const size_t gates = net->gates;
    const size_t hidden = cfg->hidden_size;
    const size_t out_size = net->out_size;
    const size_t layer_input =
        layer == 0 ? cfg->input_size : net->directions * out_size;
    rr_slot fresh = { 0 };
    int complete = pack(net, &fresh.w_ih, weights->weight_ih, weights->bias_ih,
                        gates, hidden, layer_input);
    if (complete && cfg->cell == RR_CELL_GRU && !cfg->linear_before_reset) {
        /* W_hh = [W_hr; W_hz; W_hn]: r and z come first, then W_hn
         * multiplies r * h_{t-1} (H_out = H for a GRU) */
        complete = pack(net, &fresh.w_hh, weights->weight_hh, weights->bias_hh,
                        2, hidden, out_size) &&
                   pack(net, &fresh.w_hn,
                        weights->weight_hh + 2 * hidden * out_size,
                        weights->bias_hh + 2 * hidden, 1, hidden, out_size);
    } else if (complete) {
        complete = pack(net, &fresh.w_hh, weights->weight_hh, weights->bias_hh,
                        gates, hidden, out_size);
    }
    if (complete && cfg->proj_size > 0) {
        complete = pack(net, &fresh.w_hr, weights->weight_hr, NULL, 1,
                        cfg->proj_size, hidden);
    }
    if (complete && cfg->peepholes) {
        fresh.peepholes = copy_reals(net, weights->peepholes, 3 * hidden);
        complete = fresh.peepholes != NULL;
    }
    if (!complete) {
        free_slot(&fresh);
        return rr_fail(err, RR_E_NOMEM,
                       "cannot allocate the weights of layer %zu", layer);
    }
    fresh.is_set = 1;

    /* d = 1 is the reverse half of a bidirectional layer */
    const size_t d =
        (which == RR_REVERSE && cfg->direction == RR_BIDIRECTIONAL) ? 1 : 0;
    rr_slot *slot = &net->slots[layer * net->directions + d];
    free_slot(slot);
    *slot = fresh;
    return RR_OK;
}

rr_status rr_net_set_head(rr_net *net, const double *weight, size_t weight_len,
                          const double *bias, size_t bias_len, rr_error *err)
{
    if (net == NULL) {
        return rr_fail(err, RR_E_NULL, "net is NULL");
    }
    const rr_config *cfg = &net->cfg;
    if (cfg->head == RR_HEAD_NONE) {
        return rr_fail(err, RR_E_CONFIG,
                       "the model has no head (cfg->head is RR_HEAD_NONE)");
    }
    const size_t width = net->directions * net->out_size; /* D*H_out */
    rr_status status = rr_check_array(
        err, "weight", weight, weight_len, RR_NEED_REQUIRED,
        (const char *const[]){ "O", "D", "H_out" },
        (const size_t[]){ cfg->head_size, net->directions, net->out_size }, 3,
        "");
    if (status == RR_OK) {
        status = rr_check_array(err, "bias", bias, bias_len, RR_NEED_REQUIRED,
                                (const char *const[]){ "O" },
                                (const size_t[]){ cfg->head_size }, 1, "");
    }
    if (status != RR_OK) {
        return status;
    }

    rr_packed head;
    if (!pack(net, &head, weight, bias, 1, cfg->head_size, width)) {
        return rr_fail(err, RR_E_NOMEM, "cannot allocate the head");
    }
    rr_packed_free(&net->head);
    net->head = head;
    net->head_is_set = 1;
    return RR_OK;
}

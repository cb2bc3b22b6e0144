/* pack.c - weight matrices into the layout of a net's kernel (rr_packed,
 * described in internal.h), rounded to float for a float32 net. */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t rr_pack_width(rr_path path, size_t elem_size, size_t units)
{
    /* AVX2: one 64-byte line of a gate per row k (two 256-bit vectors);
     * AVX-512: two lines (two 512-bit vectors);
     * portable: all units in one group, i.e. plain W^T */
    if (path == RR_PATH_AVX512) {
        return 2 * RR_ALIGN / elem_size;
    }
    return path == RR_PATH_AVX2 ? RR_ALIGN / elem_size : units;
}

/* dst[index] = value, as double or float */
static void store(void *dst, size_t elem_size, size_t index, double value)
{
    if (elem_size == sizeof(double)) {
        ((double *)dst)[index] = value;
    } else {
        ((float *)dst)[index] = (float)value;
    }
}

int rr_pack(rr_packed *dst, rr_path path, size_t elem_size,
            const double *weight, const double *bias,
            size_t gates, size_t units, size_t k)
{
    memset(dst, 0, sizeof *dst);
    const size_t nr = rr_pack_width(path, elem_size, units);
    const size_t groups = (units + nr - 1) / nr;
    size_t data_count = 0;
    size_t bias_count = 0;
    if (!rr_count_product((const size_t[]){ groups, k, gates, nr }, 4,
                          &data_count) ||
        !rr_count_product((const size_t[]){ groups, gates, nr }, 3,
                          &bias_count)) {
        return 0;
    }
    /* the exact path: a flag slot, then the split halves, at byte split_at
     * (internal.h): data, one RR_ALIGN of rounding and one of flag, halves */
    const int exact = path == RR_PATH_EXACT;
    if (exact &&
        data_count > (SIZE_MAX - 2 * RR_ALIGN) / (3 * sizeof(double))) {
        return 0;
    }
    const size_t split_at =
        exact ? rr_exact_split_offset(data_count, elem_size) : 0;
    void *data = exact ? rr_alloc(split_at + 2 * data_count * sizeof(double),
                                  1, 1)
                       : rr_alloc(data_count, elem_size, 1); /* zero padding */
    void *packed_bias = bias != NULL ? rr_alloc(bias_count, elem_size, 1)
                                     : NULL;
    if (data == NULL || (bias != NULL && packed_bias == NULL)) {
        free(data);
        free(packed_bias);
        return 0;
    }

    for (size_t u = 0; u < groups; u++) {
        const size_t first = u * nr;
        const size_t width = units - first < nr ? units - first : nr;
        for (size_t g = 0; g < gates; g++) {
            for (size_t j = 0; j < width; j++) {
                const size_t row = g * units + first + j; /* row of W */
                /* data[u][g][kk][j] = W[row][kk] */
                for (size_t kk = 0; kk < k; kk++) {
                    store(data, elem_size, ((u * gates + g) * k + kk) * nr + j,
                          weight[row * k + kk]);
                }
                if (bias != NULL) {
                    store(packed_bias, elem_size, (u * gates + g) * nr + j,
                          bias[row]);
                }
            }
        }
    }
    if (exact) {
        rr_exact_split(data, elem_size, data_count,
                       (double *)((char *)data + split_at));
    }
    dst->data = data;
    dst->bias = packed_bias;
    dst->k = k;
    dst->gates = gates;
    dst->units = units;
    dst->nr = nr;
    dst->groups = groups;
    return 1;
}

void rr_packed_free(rr_packed *m)
{
    free(m->data);
    free(m->bias);
    memset(m, 0, sizeof *m);
}

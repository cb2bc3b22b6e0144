/* size.c - overflow-checked element counts and aligned allocation. */
#include "internal.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rr_count_product(const size_t *factors, size_t count, size_t *product)
{
    const size_t max_doubles = SIZE_MAX / sizeof(double);
    size_t result = 1;
    for (size_t i = 0; i < count; i++) {
        if (factors[i] != 0 && result > max_doubles / factors[i]) {
            return 0;
        }
        result *= factors[i];
    }
    *product = result;
    return 1;
}

void rr_describe_product(const char *const *factor_names, const size_t *factors,
                         size_t count, char *names, size_t names_size,
                         char *values, size_t values_size)
{
    size_t names_used = 0;
    size_t values_used = 0;
    names[0] = '\0';
    values[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        if (names_used < names_size) {
            int n = snprintf(names + names_used, names_size - names_used,
                             "%s%s", i > 0 ? "*" : "", factor_names[i]);
            names_used += n > 0 ? (size_t)n : 0;
        }
        /* a literal factor such as "3" in 3*H needs no "3=3" */
        const int is_literal = isdigit((unsigned char)factor_names[i][0]);
        if (values_used < values_size && !is_literal) {
            int n = snprintf(values + values_used, values_size - values_used,
                             "%s%s=%zu", values_used > 0 ? ", " : "",
                             factor_names[i], factors[i]);
            values_used += n > 0 ? (size_t)n : 0;
        }
    }
}

void *rr_alloc(size_t count, size_t elem_size, int zeroed)
{
    if (count == 0 || elem_size == 0 || count > SIZE_MAX / elem_size) {
        return NULL;
    }
    size_t bytes = count * elem_size;
    if (bytes > PTRDIFF_MAX - RR_ALIGN) { /* no object can be that large */
        return NULL;
    }
    /* aligned_alloc wants a multiple of the alignment */
    bytes = (bytes + RR_ALIGN - 1) / RR_ALIGN * RR_ALIGN;
    void *block = aligned_alloc(RR_ALIGN, bytes);
    if (block != NULL && zeroed) {
        memset(block, 0, bytes);
    }
    return block;
}

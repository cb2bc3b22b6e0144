/* check.c - checks of one array argument against the shape it must have. */
#include "internal.h"

rr_status rr_check_array(rr_error *err, const char *name, const void *ptr,
                         size_t len, rr_need need,
                         const char *const *factor_names,
                         const size_t *factors, size_t factor_count,
                         const char *absent_reason)
{
    if (need == RR_NEED_ABSENT) {
        if (ptr != NULL || len != 0) {
            return rr_fail(err, RR_E_CONFIG,
                           "%s must be NULL with %s_len 0: %s",
                           name, name, absent_reason);
        }
        return RR_OK;
    }
    if (ptr == NULL && need == RR_NEED_REQUIRED) {
        return rr_fail(err, RR_E_NULL, "%s is NULL", name);
    }

    size_t expected = 0;
    const int counted = rr_count_product(factors, factor_count, &expected);
    if (!counted || (ptr != NULL && len != expected)) {
        /* the factor names and values go into the message only on failure:
         * formatting them costs more than a small net's whole forward */
        char names[64];
        char values[192];
        rr_describe_product(factor_names, factors, factor_count,
                            names, sizeof names, values, sizeof values);
        if (!counted) {
            return rr_fail(err, RR_E_SIZE,
                           "%s has %s elements, which overflows size_t (%s)",
                           name, names, values);
        }
        return rr_fail(err, RR_E_SHAPE, "%s_len is %zu, expected %zu = %s (%s)",
                       name, len, expected, names, values);
    }
    if (ptr == NULL && len != 0) {
        return rr_fail(err, RR_E_SHAPE,
                       "%s is NULL but %s_len is %zu; pass 0 with NULL",
                       name, name, len);
    }
    return RR_OK;
}

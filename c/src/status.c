/* status.c - status names and sentences, the version, and error messages. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

const char *rr_status_name(rr_status status)
{
    switch (status) {
    case RR_OK: return "RR_OK";
    case RR_E_NULL: return "RR_E_NULL";
    case RR_E_SIZE: return "RR_E_SIZE";
    case RR_E_SHAPE: return "RR_E_SHAPE";
    case RR_E_CONFIG: return "RR_E_CONFIG";
    case RR_E_LENGTHS: return "RR_E_LENGTHS";
    case RR_E_UNSUPPORTED: return "RR_E_UNSUPPORTED";
    case RR_E_NOMEM: return "RR_E_NOMEM";
    case RR_E_STATE: return "RR_E_STATE";
    case RR_E_TOKENS: return "RR_E_TOKENS";
    }
    return "RR_E_UNKNOWN";
}

const char *rr_status_message(rr_status status)
{
    switch (status) {
    case RR_OK: return "success";
    case RR_E_NULL: return "a required pointer is NULL";
    case RR_E_SIZE: return "a size is zero, too large, or overflows size_t";
    case RR_E_SHAPE: return "an element count disagrees with the shape";
    case RR_E_CONFIG: return "an unknown enum value or a bad option mix";
    case RR_E_LENGTHS: return "a sequence length is outside 1..T";
    case RR_E_UNSUPPORTED:
        return "the operation is not supported for this model";
    case RR_E_NOMEM: return "an allocation failed";
    case RR_E_STATE: return "the net is not ready (weights or head missing)";
    case RR_E_TOKENS: return "a token is outside 0..V-1";
    }
    return "unknown status";
}

const char *rr_version(void)
{
    return "0.1.0";
}

rr_status rr_fail(rr_error *err, rr_status status, const char *format, ...)
{
    if (err != NULL) {
        va_list args;
        va_start(args, format);
        vsnprintf(err->message, sizeof err->message, format, args);
        va_end(args);
    }
    return status;
}

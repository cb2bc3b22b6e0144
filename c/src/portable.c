/* portable.c - the plain C11 products, in float64 and float32
 * (portable_impl.h, read once per precision). */
#include "internal.h"

#define RR_REAL_BITS 64
#include "portable_impl.h"
#undef RR_REAL_BITS

#define RR_REAL_BITS 32
#include "portable_impl.h"
#undef RR_REAL_BITS

/* activation.c - the scalar nonlinearities and softmax, in float64 and
 * float32 (activation_impl.h, read once per precision). */
#include "internal.h"

#include <math.h>

#define RR_REAL_BITS 64
#include "activation_impl.h"
#undef RR_REAL_BITS

#define RR_REAL_BITS 32
#include "activation_impl.h"
#undef RR_REAL_BITS

/* cells.c - the portable gate math of one time step, in float64 and
 * float32 (cells_impl.h, read once per precision). */
#include "internal.h"

#include <math.h>

#define RR_REAL_BITS 64
#include "cells_impl.h"
#undef RR_REAL_BITS

#define RR_REAL_BITS 32
#include "cells_impl.h"
#undef RR_REAL_BITS

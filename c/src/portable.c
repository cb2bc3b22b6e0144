/* portable.c - the plain C11 reference path, in float64 and float32: the
 * products (portable_impl.h) and the gate math of one time step, the cell
 * equations of docs/fixture-format.md (cells_impl.h); each header is read
 * once per precision. */
#include "internal.h"

#include <math.h>

#define RR_REAL_BITS 64
#include "portable_impl.h"
#include "cells_impl.h"
#undef RR_REAL_BITS

#define RR_REAL_BITS 32
#include "portable_impl.h"
#include "cells_impl.h"
#undef RR_REAL_BITS

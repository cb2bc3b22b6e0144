/* exact.c - the exact kernel (docs/exact-kernel.md) in float64 and float32
 * storage: its dot products (exact_dot_impl.h), one time step of each cell
 * (exact_cells_impl.h) and the forward driver, head and dense layer
 * (exact_impl.h), each read once per precision; and the weights' split
 * halves, made once when a net packs them (rr_exact_split). All arithmetic
 * is binary64 and double-double (exact_dd.h, exact_math.c). */
#include "exact.h"

#include <stdlib.h>
#include <string.h>

/* units per vectorized block of a dot product (exact_dot_impl.h) */
#define RR_EXACT_BLOCK 8
/* dd vectors [H] of scratch a cell step uses (exact_cells_impl.h) */
#define RR_EXACT_CELL_TMP 5

#define RR_REAL_BITS 64
#include "exact_dot_impl.h"
#include "exact_cells_impl.h"
#include "exact_impl.h"
#undef RR_REAL_BITS

#define RR_REAL_BITS 32
#include "exact_dot_impl.h"
#include "exact_cells_impl.h"
#include "exact_impl.h"
#undef RR_REAL_BITS

size_t rr_exact_split_offset(size_t count, size_t elem_size)
{
    const size_t bytes = count * elem_size;
    return (bytes + RR_ALIGN - 1) / RR_ALIGN * RR_ALIGN; /* aligned */
}

void rr_exact_split(const void *data, size_t elem_size, size_t count,
                    double *split)
{
    for (size_t i = 0; i < count; i++) {
        const double w = elem_size == sizeof(float)
                             ? (double)((const float *)data)[i]
                             : ((const double *)data)[i];
        const rr_dd halves = rr_split(w);
        split[i] = halves.hi;
        split[count + i] = halves.lo;
    }
}

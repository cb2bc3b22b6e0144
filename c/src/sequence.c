/* sequence.c - the whole forward computation, in float64 and float32
 * (sequence_impl.h, read once per precision). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* num_threads = 2 and the second thread.
 *
 * The driver is written for two threads (SPMD, see sequence_impl.h), and
 * the result is the same with one or two. But on the 2-core machine the
 * benchmarks run on, which other jobs keep busy, a second thread made
 * every shape slower: it gets only a share of a core that is not free,
 * and the first thread waits for it at every step. So by default
 * num_threads = 2 runs on the calling thread alone, as 1 does; build with
 * -DRR_SECOND_THREAD=1 to let it start the second thread (a machine with
 * a free core), for models with at least RR_THREAD_MIN_WORK multiply-adds
 * in one step's recurrent product. */
#ifndef RR_SECOND_THREAD
#define RR_SECOND_THREAD 0
#endif
#define RR_THREAD_MIN_WORK ((size_t)1 << 20)

#define RR_REAL_BITS 64
#include "sequence_impl.h"
#undef RR_REAL_BITS

#define RR_REAL_BITS 32
#include "sequence_impl.h"
#undef RR_REAL_BITS

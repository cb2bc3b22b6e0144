/*
 * rr_probe.h - machine probes for the benchmark's roofline
 * (c/build/librr_probe.so; not part of the rnn-rosetta library). One
 * thread, no allocation that outlives the call.
 *
 * This header is also read by Python's cffi (ABI mode): keep declarations
 * free of macros, and keep preprocessor lines on lines of their own.
 */
#ifndef RR_PROBE_H
#define RR_PROBE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rr_probe_dtype {
    RR_PROBE_FLOAT64 = 0,
    RR_PROBE_FLOAT32 = 1
} rr_probe_dtype;

/* GFLOP/s of independent FMA chains in the fastest code this CPU runs (an
 * FMA counts 2 flops), for about `seconds` (0 < seconds <= 3600); a value
 * <= 0 signals failure (a bad dtype or duration). */
double rr_probe_peak_gflops(rr_probe_dtype dtype, double seconds);

/* GB/s reading a buffer of `bytes` bytes (at least 256) repeatedly, for
 * about `seconds`; a value <= 0 signals failure. */
double rr_probe_read_gbps(size_t bytes, double seconds);

#ifdef __cplusplus
}
#endif

#endif /* RR_PROBE_H */

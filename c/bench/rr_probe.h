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

/* The instruction sets a peak can be probed in, slowest first. */
typedef enum rr_probe_isa {
    RR_PROBE_SCALAR = 0,
    RR_PROBE_AVX2 = 1,
    RR_PROBE_AVX512 = 2
} rr_probe_isa;

/* GFLOP/s of independent FMA chains in the given instruction set (scalar:
 * a multiply and an add per chain step; AVX2: 256-bit FMAs; AVX-512:
 * 512-bit FMAs), for about `seconds`. 0 when this CPU (or this build)
 * cannot run that instruction set; a value < 0 signals a bad argument. */
double rr_probe_peak_isa_gflops(rr_probe_isa isa, rr_probe_dtype dtype,
                                double seconds);

/* GB/s reading a buffer of `bytes` bytes (at least 256) repeatedly, for
 * about `seconds`; a value <= 0 signals failure. */
double rr_probe_read_gbps(size_t bytes, double seconds);

#ifdef __cplusplus
}
#endif

#endif /* RR_PROBE_H */

/*
 * probe.c - the machine probes of the benchmark's roofline (rr_probe.h):
 * peak FMA throughput of one thread in each instruction set the CPU runs
 * (AVX-512, AVX2 + FMA, plain C), and read bandwidth (AVX2 where the CPU
 * has it, else plain C). Built apart from the library, as
 * c/build/librr_probe.so; python/rnn_rosetta/bench/probes.py loads it.
 */
#include "rr_probe.h"

#include <stdlib.h>
#include <time.h>

/* PROBE_UNROLL(n) before a loop of at most n iterations unrolls it, so
 * that arrays of vector accumulators live in registers. */
#define PROBE_PRAGMA(text) _Pragma(#text)
#if defined(__clang__)
#define PROBE_UNROLL(n) PROBE_PRAGMA(unroll n)
#elif defined(__GNUC__)
#define PROBE_UNROLL(n) PROBE_PRAGMA(GCC unroll n)
#else
#define PROBE_UNROLL(n)
#endif

/* Whether this compiler can build the AVX2 + FMA probes; whether the CPU
 * runs them is asked at run time. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define PROBE_HAVE_AVX2 1
#include <immintrin.h>
#define RR_AVX2 __attribute__((target("avx2,fma")))
#define RR_AVX512 __attribute__((target("avx512f,fma")))
static int cpu_has_avx2_fma(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
/* AVX-512 F where the CPU has it and the OS saves the zmm and opmask
 * registers (XCR0 bits 1, 2, 5, 6, 7); the library's own check is
 * rr_cpu_has_avx512 (c/src/avx512.c) */
static int cpu_has_avx512(void)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("fma")) {
        return 0;
    }
    unsigned int xcr0_low = 0, xcr0_high = 0;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    (void)xcr0_high;
    return (xcr0_low & 0xE6u) == 0xE6u;
}
#else
#define PROBE_HAVE_AVX2 0
#endif

/* Independent multiply-add chains: enough to cover the FMA latency (4-5
 * cycles) times the FMA units (2) of current x86 cores. */
#define RR_CHAINS 12
/* The longest run a probe accepts, in seconds (inf would never return). */
#define RR_PROBE_MAX_SECONDS 3600.0
/* Chain steps between two looks at the clock. */
#define RR_PEAK_CHUNK ((size_t)1 << 18)

/* A clock that counts only while this thread runs, as far as C11 can:
 * the smaller of wall-clock time (timespec_get) and the process's CPU
 * time (clock). On a busy machine the thread is descheduled now and then,
 * which wall-clock time counts and CPU time does not; other threads of the
 * process add CPU time, which wall-clock time does not count. */
typedef struct stopwatch {
    double wall; /* seconds, from an arbitrary origin */
    clock_t cpu;
} stopwatch;

static double wall_seconds(void)
{
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC) {
        return 0.0;
    }
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static stopwatch stopwatch_start(void)
{
    stopwatch w = { wall_seconds(), clock() };
    return w;
}

/* seconds since `w` started */
static double stopwatch_read(const stopwatch *w)
{
    const double wall = wall_seconds() - w->wall;
    const clock_t now = clock();
    if (now == (clock_t)-1 || w->cpu == (clock_t)-1) {
        return wall;
    }
    const double cpu = (double)(now - w->cpu) / CLOCKS_PER_SEC;
    return cpu < wall ? cpu : wall;
}

/* Each chain steps acc = acc * mul + add, which stays near
 * add / (1 - mul) = 1: no overflow, no subnormals. The sum of the chains
 * goes to a volatile so that the loop is not optimised away. */
static volatile double rr_probe_sink;

#if PROBE_HAVE_AVX2
RR_AVX2 static double peak_avx2_f64(double seconds)
{
    __m256d acc[RR_CHAINS];
    for (size_t i = 0; i < RR_CHAINS; i++) {
        acc[i] = _mm256_set1_pd(1.0 + 0.01 * (double)i);
    }
    const __m256d mul = _mm256_set1_pd(0.999999);
    const __m256d add = _mm256_set1_pd(0.000001);
    size_t steps = 0;
    const stopwatch start = stopwatch_start();
    do {
        for (size_t s = 0; s < RR_PEAK_CHUNK; s++) {
            PROBE_UNROLL(12)
            for (size_t i = 0; i < RR_CHAINS; i++) {
                acc[i] = _mm256_fmadd_pd(acc[i], mul, add);
            }
        }
        steps += RR_PEAK_CHUNK;
    } while (stopwatch_read(&start) < seconds);
    const double elapsed = stopwatch_read(&start);
    __m256d sum = acc[0];
    for (size_t i = 1; i < RR_CHAINS; i++) {
        sum = _mm256_add_pd(sum, acc[i]);
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, sum);
    rr_probe_sink = lanes[0] + lanes[1] + lanes[2] + lanes[3];
    /* 2 flops per lane per FMA */
    return (double)steps * RR_CHAINS * 4 * 2 / elapsed;
}

RR_AVX2 static double peak_avx2_f32(double seconds)
{
    __m256 acc[RR_CHAINS];
    for (size_t i = 0; i < RR_CHAINS; i++) {
        acc[i] = _mm256_set1_ps(1.0f + 0.01f * (float)i);
    }
    const __m256 mul = _mm256_set1_ps(0.999f);
    const __m256 add = _mm256_set1_ps(0.001f);
    size_t steps = 0;
    const stopwatch start = stopwatch_start();
    do {
        for (size_t s = 0; s < RR_PEAK_CHUNK; s++) {
            PROBE_UNROLL(12)
            for (size_t i = 0; i < RR_CHAINS; i++) {
                acc[i] = _mm256_fmadd_ps(acc[i], mul, add);
            }
        }
        steps += RR_PEAK_CHUNK;
    } while (stopwatch_read(&start) < seconds);
    const double elapsed = stopwatch_read(&start);
    __m256 sum = acc[0];
    for (size_t i = 1; i < RR_CHAINS; i++) {
        sum = _mm256_add_ps(sum, acc[i]);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, sum);
    double total = 0.0;
    for (size_t i = 0; i < 8; i++) {
        total += lanes[i];
    }
    rr_probe_sink = total;
    return (double)steps * RR_CHAINS * 8 * 2 / elapsed;
}

RR_AVX512 static double peak_avx512_f64(double seconds)
{
    __m512d acc[RR_CHAINS];
    for (size_t i = 0; i < RR_CHAINS; i++) {
        acc[i] = _mm512_set1_pd(1.0 + 0.01 * (double)i);
    }
    const __m512d mul = _mm512_set1_pd(0.999999);
    const __m512d add = _mm512_set1_pd(0.000001);
    size_t steps = 0;
    const stopwatch start = stopwatch_start();
    do {
        for (size_t s = 0; s < RR_PEAK_CHUNK; s++) {
            PROBE_UNROLL(12)
            for (size_t i = 0; i < RR_CHAINS; i++) {
                acc[i] = _mm512_fmadd_pd(acc[i], mul, add);
            }
        }
        steps += RR_PEAK_CHUNK;
    } while (stopwatch_read(&start) < seconds);
    const double elapsed = stopwatch_read(&start);
    __m512d sum = acc[0];
    for (size_t i = 1; i < RR_CHAINS; i++) {
        sum = _mm512_add_pd(sum, acc[i]);
    }
    rr_probe_sink = _mm512_reduce_add_pd(sum);
    return (double)steps * RR_CHAINS * 8 * 2 / elapsed; /* 8 lanes */
}

RR_AVX512 static double peak_avx512_f32(double seconds)
{
    __m512 acc[RR_CHAINS];
    for (size_t i = 0; i < RR_CHAINS; i++) {
        acc[i] = _mm512_set1_ps(1.0f + 0.01f * (float)i);
    }
    const __m512 mul = _mm512_set1_ps(0.999f);
    const __m512 add = _mm512_set1_ps(0.001f);
    size_t steps = 0;
    const stopwatch start = stopwatch_start();
    do {
        for (size_t s = 0; s < RR_PEAK_CHUNK; s++) {
            PROBE_UNROLL(12)
            for (size_t i = 0; i < RR_CHAINS; i++) {
                acc[i] = _mm512_fmadd_ps(acc[i], mul, add);
            }
        }
        steps += RR_PEAK_CHUNK;
    } while (stopwatch_read(&start) < seconds);
    const double elapsed = stopwatch_read(&start);
    __m512 sum = acc[0];
    for (size_t i = 1; i < RR_CHAINS; i++) {
        sum = _mm512_add_ps(sum, acc[i]);
    }
    rr_probe_sink = (double)_mm512_reduce_add_ps(sum);
    return (double)steps * RR_CHAINS * 16 * 2 / elapsed; /* 16 lanes */
}
#endif

/* Plain C: a multiply and an add per chain step (2 flops). */
static double peak_portable(double seconds)
{
    double acc[RR_CHAINS];
    for (size_t i = 0; i < RR_CHAINS; i++) {
        acc[i] = 1.0 + 0.01 * (double)i;
    }
    size_t steps = 0;
    const stopwatch start = stopwatch_start();
    do {
        for (size_t s = 0; s < RR_PEAK_CHUNK; s++) {
            PROBE_UNROLL(12)
            for (size_t i = 0; i < RR_CHAINS; i++) {
                acc[i] = acc[i] * 0.999999 + 0.000001;
            }
        }
        steps += RR_PEAK_CHUNK;
    } while (stopwatch_read(&start) < seconds);
    const double elapsed = stopwatch_read(&start);
    double sum = 0.0;
    for (size_t i = 0; i < RR_CHAINS; i++) {
        sum += acc[i];
    }
    rr_probe_sink = sum;
    return (double)steps * RR_CHAINS * 2 / elapsed;
}

double rr_probe_peak_isa_gflops(rr_probe_isa isa, rr_probe_dtype dtype,
                                double seconds)
{
    if (!(seconds > 0.0 && seconds <= RR_PROBE_MAX_SECONDS) ||
        (dtype != RR_PROBE_FLOAT64 && dtype != RR_PROBE_FLOAT32)) {
        return -1.0;
    }
    const int f64 = dtype == RR_PROBE_FLOAT64;
    switch (isa) {
    case RR_PROBE_SCALAR:
        return peak_portable(seconds) * 1e-9; /* scalar: same for both */
    case RR_PROBE_AVX2:
#if PROBE_HAVE_AVX2
        if (cpu_has_avx2_fma()) {
            return (f64 ? peak_avx2_f64(seconds) : peak_avx2_f32(seconds)) *
                   1e-9;
        }
#endif
        return 0.0;
    case RR_PROBE_AVX512:
#if PROBE_HAVE_AVX2
        if (cpu_has_avx512()) {
            return (f64 ? peak_avx512_f64(seconds)
                        : peak_avx512_f32(seconds)) *
                   1e-9;
        }
#endif
        return 0.0;
    }
    return -1.0; /* not an rr_probe_isa */
}

double rr_probe_peak_gflops(rr_probe_dtype dtype, double seconds)
{
    /* the widest instruction set this CPU runs */
    static const rr_probe_isa widest_first[] = { RR_PROBE_AVX512,
                                                 RR_PROBE_AVX2,
                                                 RR_PROBE_SCALAR };
    for (size_t i = 0; i < sizeof widest_first / sizeof widest_first[0];
         i++) {
        const double gflops =
            rr_probe_peak_isa_gflops(widest_first[i], dtype, seconds);
        if (gflops != 0.0) {
            return gflops; /* a value, or < 0 for a bad argument */
        }
    }
    return -1.0;
}

/* Sum of v [n] (n a multiple of 32) with independent accumulators. */
#if PROBE_HAVE_AVX2
RR_AVX2 static double sum_avx2(const double *v, size_t n)
{
    __m256d acc[8];
    for (size_t i = 0; i < 8; i++) {
        acc[i] = _mm256_setzero_pd();
    }
    for (size_t j = 0; j < n; j += 32) {
        PROBE_UNROLL(8)
        for (size_t i = 0; i < 8; i++) {
            acc[i] = _mm256_add_pd(acc[i], _mm256_loadu_pd(v + j + 4 * i));
        }
    }
    for (size_t i = 1; i < 8; i++) {
        acc[0] = _mm256_add_pd(acc[0], acc[i]);
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, acc[0]);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}
#endif

static double sum_portable(const double *v, size_t n)
{
    double acc[8] = { 0.0 };
    for (size_t j = 0; j < n; j += 8) {
        PROBE_UNROLL(8)
        for (size_t i = 0; i < 8; i++) {
            acc[i] += v[j + i];
        }
    }
    double sum = 0.0;
    for (size_t i = 0; i < 8; i++) {
        sum += acc[i];
    }
    return sum;
}

double rr_probe_read_gbps(size_t bytes, double seconds)
{
    /* whole blocks of 32 doubles (256 bytes), at least one */
    const size_t n = bytes / sizeof(double) / 32 * 32;
    if (n == 0 || !(seconds > 0.0 && seconds <= RR_PROBE_MAX_SECONDS)) {
        return -1.0;
    }
    double *v = malloc(n * sizeof(double)); /* n * 8 <= bytes */
    if (v == NULL) {
        return -1.0;
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = 1.0; /* touch every page before the clock starts */
    }
#if PROBE_HAVE_AVX2
    const int avx2 = cpu_has_avx2_fma();
#endif
    /* passes between two looks at the clock: about 1 MB of reading */
    const size_t passes = n >= ((size_t)1 << 17) ? 1 : ((size_t)1 << 17) / n;
    double sum = 0.0;
    size_t done = 0;
    const stopwatch start = stopwatch_start();
    do {
        for (size_t p = 0; p < passes; p++) {
#if PROBE_HAVE_AVX2
            sum += avx2 ? sum_avx2(v, n) : sum_portable(v, n);
#else
            sum += sum_portable(v, n);
#endif
        }
        done += passes;
    } while (stopwatch_read(&start) < seconds);
    const double elapsed = stopwatch_read(&start);
    rr_probe_sink = sum;
    free(v);
    return (double)done * (double)n * sizeof(double) / elapsed * 1e-9;
}

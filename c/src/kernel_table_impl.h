/*
 * kernel_table_impl.h - the products and gates of each path, one precision
 * (REAL, SFX: see real.h), as tables of the functions declared in
 * internal_real.h. Read by sequence_impl.h (the forward) and step_impl.h
 * (the streaming step): each file gets its own static copy, so a step
 * function that names one table has its calls fixed at compile time.
 * No include guard: read once per precision.
 */
#include "real.h"

typedef struct SFX(kernel_table) {
    void (*product)(const rr_packed *, size_t, size_t, const REAL *, size_t,
                    REAL *, size_t, size_t);
    void (*rnn)(const rr_config *, size_t, const REAL *, const REAL *,
                REAL *);
    void (*lstm)(const rr_config *, size_t, const REAL *, size_t,
                 const REAL *, size_t, const REAL *, size_t, REAL *, REAL *);
    void (*gru)(const rr_config *, size_t, const REAL *, size_t,
                const REAL *, size_t, const REAL *, REAL *);
    void (*gru_rz)(const rr_config *, size_t, const REAL *, size_t,
                   const REAL *, size_t, const REAL *, REAL *, REAL *);
    void (*gru_n)(const rr_config *, size_t, const REAL *, const REAL *,
                  const REAL *, const REAL *, REAL *);
} SFX(kernel_table);

static const SFX(kernel_table) SFX(portable_kernels) = {
    SFX(rr_portable_product), SFX(rr_rnn_gates), SFX(rr_lstm_gates),
    SFX(rr_gru_gates), SFX(rr_gru_rz_gates), SFX(rr_gru_n_gates),
};
#if RR_HAVE_AVX2_KERNELS
static const SFX(kernel_table) SFX(avx2_kernels) = {
    SFX(rr_avx2_product), SFX(rr_avx2_rnn_gates), SFX(rr_avx2_lstm_gates),
    SFX(rr_avx2_gru_gates), SFX(rr_avx2_gru_rz_gates),
    SFX(rr_avx2_gru_n_gates),
};
static const SFX(kernel_table) SFX(avx512_kernels) = {
    SFX(rr_avx512_product), SFX(rr_avx512_rnn_gates),
    SFX(rr_avx512_lstm_gates), SFX(rr_avx512_gru_gates),
    SFX(rr_avx512_gru_rz_gates), SFX(rr_avx512_gru_n_gates),
};
#endif

/* The table of a path (the exact path's products are its own: portable). */
static inline const SFX(kernel_table) *SFX(kernels_of)(rr_path path)
{
#if RR_HAVE_AVX2_KERNELS
    if (path == RR_PATH_AVX2) {
        return &SFX(avx2_kernels);
    }
    if (path == RR_PATH_AVX512) {
        return &SFX(avx512_kernels);
    }
#endif
    (void)path;
    return &SFX(portable_kernels);
}

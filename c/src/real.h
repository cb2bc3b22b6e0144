/*
 * real.h - the scalar type of a type-generic ("*_impl.h") file.
 *
 * Define RR_REAL_BITS as 64 or 32, then include the *_impl.h file, which
 * includes this first. Inside it:
 *   REAL        double or float
 *   SFX(name)   name_f64 or name_f32
 *   REAL_C(x)   the constant x as REAL (keeps float arithmetic in float)
 *   REAL_EXP, REAL_TANH   exp/tanh or expf/tanhf
 * No include guard: it is meant to be read once per precision.
 */
#undef REAL
#undef SFX
#undef REAL_C
#undef REAL_EXP
#undef REAL_TANH

#if RR_REAL_BITS == 64
#define REAL double
#define SFX(name) name##_f64
#define REAL_EXP exp
#define REAL_TANH tanh
#elif RR_REAL_BITS == 32
#define REAL float
#define SFX(name) name##_f32
#define REAL_EXP expf
#define REAL_TANH tanhf
#else
#error "define RR_REAL_BITS as 64 or 32 before including a *_impl.h file"
#endif

#define REAL_C(x) ((REAL)(x))

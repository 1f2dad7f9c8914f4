#include "fma_probe.h"

#include <immintrin.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Each kernel runs `iterations` rounds of 12 independent FMAs and returns a
   value depending on every accumulator, so none is optimised away. */

__attribute__((target("avx512f"))) static float run_avx512(long iterations) {
    __m512 a[12], x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i);
    for (long n = 0; n < iterations; n++)
        for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], x, y);
    __m512 s = a[0];
    for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, a[i]);
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float run_avx2(long iterations) {
    __m256 a[12], x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
    for (long n = 0; n < iterations; n++)
        for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], x, y);
    __m256 s = a[0];
    for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0] + out[7];
}

static float run_sse(long iterations) {
    __m128 a[12], x = _mm_set1_ps(0.999999f), y = _mm_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) a[i] = _mm_set1_ps((float)i);
    for (long n = 0; n < iterations; n++)
        for (int i = 0; i < 12; i++) a[i] = _mm_add_ps(_mm_mul_ps(a[i], x), y);
    __m128 s = a[0];
    for (int i = 1; i < 12; i++) s = _mm_add_ps(s, a[i]);
    float out[4];
    _mm_storeu_ps(out, s);
    return out[0] + out[3];
}

volatile float reverie_fma_probe_sink;

double reverie_fma_peak_gflops(double seconds, int *width) {
    __builtin_cpu_init();
    int lanes = __builtin_cpu_supports("avx512f") ? 16 : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 8 : 4;
    float (*run)(long) = lanes == 16 ? run_avx512 : lanes == 8 ? run_avx2 : run_sse;
    if (width) *width = lanes;
    /* Grow the round count until one run lasts a tenth of the budget, then keep the best of the rest. */
    long iterations = 1 << 16;
    double best = 0, spent = 0;
    while (spent < seconds) {
        double start = now();
        reverie_fma_probe_sink = run(iterations);
        double elapsed = now() - start;
        spent += elapsed;
        /* An SSE round is a multiply and an add: the same 2 FLOPs per lane. */
        double rate = 2.0 * lanes * 12.0 * (double)iterations / elapsed / 1e9;
        if (elapsed < seconds / 10) iterations *= 2;
        else if (rate > best) best = rate;
    }
    return best;
}

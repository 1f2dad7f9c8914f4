#include "gemm.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Blocking (BLIS's Haswell/Zen sgemm values). A micro-panel of B (KC × NR,
   16 KB) stays in L1 while the 6 × KC sliver of A streams; the packed A
   block (MC × KC, 168 KB) sits in L2; the packed B panel (KC × NC, 4 MB) in
   L3. */
enum { MR = 6, NR = 16, KC = 256, MC = 168, NC = 4080 };

/* Per-thread packing buffers (4.2 MB), allocated on a thread's first product
   and freed when the thread ends. */
static _Thread_local float *packed_a, *packed_b;
static pthread_key_t buffers_key;
static pthread_once_t buffers_once = PTHREAD_ONCE_INIT;

static void free_buffers(void *unused) {
    (void)unused;
    free(packed_a);
    free(packed_b);
    packed_a = packed_b = NULL;
}

static void make_key(void) { pthread_key_create(&buffers_key, free_buffers); }

static int ensure_buffers(void) {
    if (packed_a && packed_b) return 1;
    pthread_once(&buffers_once, make_key);
    if (!packed_a) packed_a = aligned_alloc(64, sizeof(float) * MC * KC);
    if (!packed_b) packed_b = aligned_alloc(64, sizeof(float) * KC * NC);
    /* Any non-null value makes the key's destructor run at thread exit. */
    pthread_setspecific(buffers_key, packed_a);
    return packed_a && packed_b;
}

/* op(A)[i, p] and op(B)[p, j]. */
#define A_AT(i, p) (transpose_a ? a[(p) * lda + (i)] : a[(i) * lda + (p)])
#define B_AT(p, j) (transpose_b ? b[(j) * ldb + (p)] : b[(p) * ldb + (j)])

/* Transposes 8 rows of 8 floats held in registers: afterwards r[j] holds
   column j, (r[0][j], …, r[7][j]). */
__attribute__((target("avx2,fma")))
static inline void transpose_registers(__m256 r[8]) {
    __m256 u0 = _mm256_unpacklo_ps(r[0], r[1]), u1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 u2 = _mm256_unpacklo_ps(r[2], r[3]), u3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 u4 = _mm256_unpacklo_ps(r[4], r[5]), u5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 u6 = _mm256_unpacklo_ps(r[6], r[7]), u7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(u0, u2, 0x44), s1 = _mm256_shuffle_ps(u0, u2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(u1, u3, 0x44), s3 = _mm256_shuffle_ps(u1, u3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(u4, u6, 0x44), s5 = _mm256_shuffle_ps(u4, u6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(u5, u7, 0x44), s7 = _mm256_shuffle_ps(u5, u7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20); r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20); r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31); r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31); r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* dst[i·ldd + j] = src[j·lds + i] for an 8 × 8 block. */
__attribute__((target("avx2,fma")))
static inline void transpose8x8(const float *src, long lds, float *dst, long ldd) {
    __m256 r[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * lds);
    transpose_registers(r);
    for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + i * ldd, r[i]);
}

/* dst[p·6 + r] = src[r·lds + p] for 6 rows of 8: the 8 × 8 transpose with
   two zero rows, each output column stored 6 floats apart (a store's two
   spare lanes land where the next one writes; the last store is masked). */
__attribute__((target("avx2,fma")))
static inline void transpose6x8(const float *src, long lds, float *dst) {
    __m256 r[8];
    for (int i = 0; i < 6; i++) r[i] = _mm256_loadu_ps(src + i * lds);
    r[6] = r[7] = _mm256_setzero_ps();
    transpose_registers(r);
    for (int i = 0; i < 7; i++) _mm256_storeu_ps(dst + i * MR, r[i]);
    _mm256_maskstore_ps(dst + 7 * MR, _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0), r[7]);
}

/* Packs op(A)[i0 ..< i0+mc, p0 ..< p0+kc] as ⌈mc/6⌉ panels, each kc columns
   of 6 consecutive rows; rows past mc are zero. A row-major A's whole
   panels are transposed 6 × 8 at a time in registers. */
__attribute__((target("avx2,fma")))
static void pack_a(int transpose_a, const float *a, long lda, long i0, long p0, long mc, long kc, float *dst) {
    for (long ir = 0; ir < mc; ir += MR) {
        long rows = mc - ir < MR ? mc - ir : MR;
        if (!transpose_a && rows == MR) {
            const float *src = a + (i0 + ir) * lda + p0;
            long p = 0;
            for (; p + 8 <= kc; p += 8) transpose6x8(src + p, lda, dst + p * MR);
            for (; p < kc; p++)
                for (int r = 0; r < MR; r++) dst[p * MR + r] = src[r * lda + p];
            dst += kc * MR;
        } else if (transpose_a && rows == MR) {
            const float *src = a + p0 * lda + i0 + ir;
            for (long p = 0; p < kc; p++, dst += MR, src += lda)
                for (int r = 0; r < MR; r++) dst[r] = src[r];
        } else {
            for (long p = 0; p < kc; p++, dst += MR)
                for (int r = 0; r < MR; r++) dst[r] = r < rows ? A_AT(i0 + ir + r, p0 + p) : 0.0f;
        }
    }
}

/* Packs op(B)[p0 ..< p0+kc, j0 ..< j0+nc] as ⌈nc/16⌉ panels, each kc rows of
   16 consecutive columns; columns past nc are zero. */
__attribute__((target("avx2,fma")))
static void pack_b(int transpose_b, const float *b, long ldb, long p0, long j0, long kc, long nc, float *dst) {
    for (long jr = 0; jr < nc; jr += NR) {
        long cols = nc - jr < NR ? nc - jr : NR;
        if (!transpose_b && cols == NR) {
            const float *src = b + p0 * ldb + j0 + jr;
            for (long p = 0; p < kc; p++, dst += NR, src += ldb) {
                _mm256_store_ps(dst, _mm256_loadu_ps(src));
                _mm256_store_ps(dst + 8, _mm256_loadu_ps(src + 8));
            }
        } else if (transpose_b && cols == NR) {
            /* Column c of the panel is a contiguous run of row j0+jr+c of B:
               8 × 8 blocks are loaded as rows and transposed in registers. */
            const float *src = b + (j0 + jr) * ldb + p0;
            long p = 0;
            for (; p + 8 <= kc; p += 8)
                for (int half = 0; half < 2; half++)
                    transpose8x8(src + half * 8 * ldb + p, ldb, dst + p * NR + half * 8, NR);
            for (; p < kc; p++)
                for (int c = 0; c < NR; c++) dst[p * NR + c] = src[c * ldb + p];
            dst += kc * NR;
        } else {
            for (long p = 0; p < kc; p++, dst += NR)
                for (int c = 0; c < NR; c++) dst[c] = c < cols ? B_AT(p0 + p, j0 + jr + c) : 0.0f;
        }
    }
}

/* The micro-kernel: the 6 × 16 tile T = Σ_p a_p b_pᵀ over kc packed columns
   of A (6 floats each) and rows of B (16 floats each, `ldpb` apart: 16 when
   packed, B's own row stride when read in place), held in 12 AVX registers;
   then C[0..<rows, 0..<cols] = α·T + β·C (C not read when β = 0), with
   scales = {α, β}. */
__attribute__((target("avx2,fma")))
static void micro_kernel(long kc, const float *restrict pa, const float *restrict pb, long ldpb,
                         const float *scales, float *c, long ldc, long rows, long cols) {
    __m256 t00 = _mm256_setzero_ps(), t01 = t00, t10 = t00, t11 = t00, t20 = t00, t21 = t00;
    __m256 t30 = t00, t31 = t00, t40 = t00, t41 = t00, t50 = t00, t51 = t00;
#define ROW(r, t0, t1) x = _mm256_broadcast_ss(pa + r); t0 = _mm256_fmadd_ps(x, b0, t0); t1 = _mm256_fmadd_ps(x, b1, t1)
    /* A short last panel (m not a multiple of 6: 16 or 32 channels) skips
       its zero rows' multiply-adds. */
    if (rows > 4) {
        for (long p = 0; p < kc; p++, pa += MR, pb += ldpb) {
            __m256 b0 = _mm256_loadu_ps(pb), b1 = _mm256_loadu_ps(pb + 8), x;
            ROW(0, t00, t01); ROW(1, t10, t11); ROW(2, t20, t21); ROW(3, t30, t31); ROW(4, t40, t41); ROW(5, t50, t51);
        }
    } else if (rows > 2) {
        for (long p = 0; p < kc; p++, pa += MR, pb += ldpb) {
            __m256 b0 = _mm256_loadu_ps(pb), b1 = _mm256_loadu_ps(pb + 8), x;
            ROW(0, t00, t01); ROW(1, t10, t11); ROW(2, t20, t21); ROW(3, t30, t31);
        }
    } else {
        for (long p = 0; p < kc; p++, pa += MR, pb += ldpb) {
            __m256 b0 = _mm256_loadu_ps(pb), b1 = _mm256_loadu_ps(pb + 8), x;
            ROW(0, t00, t01); ROW(1, t10, t11);
        }
    }
#undef ROW
    /* α and β are read only now: held in a register through the loop, they
       would push an accumulator out to the stack. */
    float alpha = scales[0], beta = scales[1];
    if (rows == MR && cols == NR) {
        __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
        int read = beta != 0.0f;
#define STORE_ROW(r, lo, hi)                                                         \
        do {                                                                         \
            float *row = c + (r) * ldc;                                              \
            __m256 l = _mm256_mul_ps(va, lo), h = _mm256_mul_ps(va, hi);             \
            if (read) {                                                              \
                l = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), l);                    \
                h = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), h);                \
            }                                                                        \
            _mm256_storeu_ps(row, l);                                                \
            _mm256_storeu_ps(row + 8, h);                                            \
        } while (0)
        STORE_ROW(0, t00, t01); STORE_ROW(1, t10, t11); STORE_ROW(2, t20, t21);
        STORE_ROW(3, t30, t31); STORE_ROW(4, t40, t41); STORE_ROW(5, t50, t51);
#undef STORE_ROW
        return;
    }
    /* A ragged tile: spill, then write only the rows and columns C has. */
    float spill[MR][NR];
    _mm256_storeu_ps(spill[0], t00); _mm256_storeu_ps(spill[0] + 8, t01);
    _mm256_storeu_ps(spill[1], t10); _mm256_storeu_ps(spill[1] + 8, t11);
    _mm256_storeu_ps(spill[2], t20); _mm256_storeu_ps(spill[2] + 8, t21);
    _mm256_storeu_ps(spill[3], t30); _mm256_storeu_ps(spill[3] + 8, t31);
    _mm256_storeu_ps(spill[4], t40); _mm256_storeu_ps(spill[4] + 8, t41);
    _mm256_storeu_ps(spill[5], t50); _mm256_storeu_ps(spill[5] + 8, t51);
    for (long r = 0; r < rows; r++)
        for (long j = 0; j < cols; j++)
            c[r * ldc + j] = beta == 0.0f ? alpha * spill[r][j] : alpha * spill[r][j] + beta * c[r * ldc + j];
}

int reverie_sgemm_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int reverie_sgemm(int transpose_a, int transpose_b, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    static atomic_int supported = -1;
    if (atomic_load_explicit(&supported, memory_order_relaxed) < 0)
        atomic_store_explicit(&supported, reverie_sgemm_supported(), memory_order_relaxed);
    if (!atomic_load_explicit(&supported, memory_order_relaxed) || !ensure_buffers()) return 0;
    if (m <= 0 || n <= 0) return 1;
    if (k <= 0 || alpha == 0.0f) {
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
        return 1;
    }
    for (long jc = 0; jc < n; jc += NC) {
        long nc = n - jc < NC ? n - jc : NC;
        for (long pc = 0; pc < k; pc += KC) {
            long kc = k - pc < KC ? k - pc : KC;
            /* The first slice of k applies β; later slices accumulate. */
            float scales[2] = {alpha, pc == 0 ? beta : 1.0f};
            /* A row-major B is read in place, 16 columns at a time (a
               micro-panel of kc × 16 stays in L1 across the A panels). A
               transposed B, a ragged last panel, and a B whose rows are a
               multiple of 512 bytes apart (they would share a few L1 sets)
               are packed. */
            long whole = transpose_b || ldb % 128 == 0 ? 0 : nc / NR * NR;
            if (whole < nc) pack_b(transpose_b, b, ldb, pc, jc + whole, kc, nc - whole, packed_b);
            for (long ic = 0; ic < m; ic += MC) {
                long mc = m - ic < MC ? m - ic : MC;
                pack_a(transpose_a, a, lda, ic, pc, mc, kc, packed_a);
                for (long jr = 0; jr < nc; jr += NR) {
                    long cols = nc - jr < NR ? nc - jr : NR;
                    const float *panel = jr < whole ? b + pc * ldb + jc + jr : packed_b + (jr - whole) * kc;
                    long stride = jr < whole ? ldb : NR;
                    for (long ir = 0; ir < mc; ir += MR) {
                        long rows = mc - ir < MR ? mc - ir : MR;
                        micro_kernel(kc, packed_a + ir * kc, panel, stride, scales,
                                     c + (ic + ir) * ldc + jc + jr, ldc, rows, cols);
                    }
                }
            }
        }
    }
    return 1;
}

#else  /* Not x86-64: no AVX2 kernel; callers use their BLAS library. */

int reverie_sgemm_supported(void) { return 0; }

int reverie_sgemm(int transpose_a, int transpose_b, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    (void)transpose_a, (void)transpose_b, (void)m, (void)n, (void)k, (void)alpha;
    (void)a, (void)lda, (void)b, (void)ldb, (void)beta, (void)c, (void)ldc;
    return 0;
}

#endif

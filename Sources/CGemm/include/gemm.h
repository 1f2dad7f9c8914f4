#ifndef REVERIE_GEMM_H
#define REVERIE_GEMM_H

/// C (m×n) = α·op(A)·op(B) + β·C over row-major buffers with leading
/// dimensions lda, ldb, ldc; op(X) is X or Xᵀ as `transpose_a`/`transpose_b`
/// say. Reverie's own single-threaded product for CPUs with AVX2 and FMA:
/// packed panels and a 6×16 register-blocked micro-kernel (Goto & van de
/// Geijn 2008, "Anatomy of High-Performance Matrix Multiplication"; the
/// blocking of BLIS's Haswell configuration). With β = 0, C is written without
/// being read, as BLAS does. Returns 0 and does nothing when the CPU lacks
/// AVX2 or FMA, so the caller can fall back to a BLAS library.
int reverie_sgemm(int transpose_a, int transpose_b, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc);

/// 1 when `reverie_sgemm` runs on this CPU (AVX2 and FMA), else 0.
int reverie_sgemm_supported(void);

/// A process-wide count of multiply-add FLOPs done by matrix products, which
/// benches divide by time and the machine's peak (model FLOP utilisation).
/// Atomic: products on several threads add to it at once.
void reverie_product_flops_add(long long flops);
long long reverie_product_flops(void);

#endif

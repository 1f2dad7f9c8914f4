import CBLAS
import CGemm
import Testing
@testable import ReverieCore

/// Reverie's own matrix-product kernel (`Sources/CGemm`) against a
/// double-precision reference, over every transpose pair, sizes that are and
/// are not multiples of its 6×16 tile and 256-deep slices, padded leading
/// dimensions, and β = 0, 1 and other; and the choice between it and OpenBLAS.
@Suite struct ProductKernelTests {
    /// op(A)·op(B)·α + β·C in Float64, from the same buffers.
    static func reference(_ ta: Bool, _ tb: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int,
                          b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int) -> [Double] {
        var out = c.map(Double.init)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    sum += Double(ta ? a[p * lda + i] : a[i * lda + p]) * Double(tb ? b[j * ldb + p] : b[p * ldb + j])
                }
                out[i * ldc + j] = Double(alpha) * sum + (beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j]))
            }
        }
        return out
    }

    @Test(.enabled(if: reverie_sgemm_supported() != 0, "needs AVX2 and FMA"))
    func everyTransposeAndRaggedSizeMatchesADoublePrecisionProduct() {
        var rng = RandomGenerator(seed: 11)
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -1...1, using: &rng) } }
        let shapes = [(1, 1, 1), (5, 17, 3), (6, 16, 256), (7, 33, 257), (13, 100, 40), (32, 400, 36), (100, 7, 520),
                      (170, 35, 9), (4, 4100, 5)]
        for (m, n, k) in shapes {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                for (alpha, beta) in [(Float(1), Float(0)), (1, 1), (-0.5, 0.3)] {
                    let lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2
                    let a = values((ta ? k : m) * lda), b = values((tb ? n : k) * ldb)
                    // With β = 0 what C held must not leak in, NaN included.
                    var c = beta == 0 ? [Float](repeating: .nan, count: m * ldc) : values(m * ldc)
                    let want = Self.reference(ta, tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                                              beta: beta, c: c, ldc: ldc)
                    let before = c
                    #expect(reverie_sgemm(ta ? 1 : 0, tb ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, &c, ldc) == 1)
                    var worst = 0.0
                    for i in 0..<m {
                        for j in 0..<ldc {
                            if j >= n {  // the padding between C's rows is not C's
                                #expect(c[i * ldc + j].bitPattern == before[i * ldc + j].bitPattern)
                            } else {
                                worst = max(worst, abs(Double(c[i * ldc + j]) - want[i * ldc + j]) / (1 + abs(want[i * ldc + j])))
                            }
                        }
                    }
                    #expect(worst < 1e-6 * Double(k) + 1e-6, "m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb) α=\(alpha) β=\(beta): \(worst)")
                }
            }
        }
    }

    /// `Tensor.matmul` (through `ProductKernel.current`, left as it is: other
    /// suites run beside this one) against OpenBLAS called directly.
    @Test func tensorProductsAgreeWithOpenBLAS() {
        var rng = RandomGenerator(seed: 3)
        let a = Tensor.uniform([70, 300], low: -1, high: 1, using: &rng)
        let b = Tensor.uniform([300, 45], low: -1, high: 1, using: &rng)
        var blas = [Float](repeating: 0, count: 70 * 45)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 70, 45, 300, 1, a.scalars, 300, b.scalars, 45, 0, &blas, 45)
        let ours = a.matmul(b), oursT = b.matmul(a, transposeSelf: true, transposeOther: true)
        #expect(zip(ours.scalars, blas).map { abs($0 - $1) }.max()! < 1e-4)
        #expect(oursT.shape == [45, 70])
        for i in 0..<70 {
            for j in 0..<45 { #expect(abs(oursT.scalars[j * 70 + i] - blas[i * 45 + j]) < 1e-4) }
        }
    }

    @Test func theEnvironmentCanAskForOpenBLASButNotForAKernelTheCPULacks() {
        #expect(ProductKernel.defaultChoice(environment: [:], supported: true) == .reverie)
        #expect(ProductKernel.defaultChoice(environment: [:], supported: false) == .openblas)
        #expect(ProductKernel.defaultChoice(environment: ["REVERIE_GEMM": "openblas"], supported: true) == .openblas)
        #expect(ProductKernel.defaultChoice(environment: ["REVERIE_GEMM": "reverie"], supported: false) == .openblas)
        #expect(ProductKernel.defaultChoice(environment: ["REVERIE_GEMM": "fast"], supported: true) == .reverie)
    }
}

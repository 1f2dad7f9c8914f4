import Testing
@testable import ReverieCore

/// Products with one row or one column of C (matrix-vector) and with one
/// inner index (outer products), the shapes a matrix-vector path would take
/// from sgemm: checked through `cblasGemm` with operands that are column
/// blocks of wider rows, every transpose flag, α ≠ 1 and β ∈ {0, ½, 1},
/// against a loop in Double. C is filled with NaN where β = 0 (it must not be
/// read) and its padding columns must come back untouched. One-row products
/// are checked both through `sgemv` and through the general kernel
/// (`REVERIE_ONE_ROW=gemm`).
struct NarrowProductTests {
    struct Case: Sendable, CustomStringConvertible {
        var m: Int, k: Int, n: Int
        var transposeA: Bool, transposeB: Bool, beta: Float, oneRowThroughGemv = true
        var description: String {
            "m \(m) k \(k) n \(n) Aᵀ \(transposeA) Bᵀ \(transposeB) β \(beta)" + (oneRowThroughGemv ? "" : " (one row through gemm)")
        }
    }

    static let cases: [Case] = [(1, 7, 5), (6, 7, 1), (1, 1, 1), (1, 9, 1), (5, 1, 6), (1, 1, 4), (4, 1, 1)].flatMap { s in
        [(false, false), (true, false), (false, true), (true, true)].flatMap { flags in
            [Float(0), 0.5, 1].flatMap { beta in
                [true, false].filter { $0 || s.0 == 1 }.map {
                    Case(m: s.0, k: s.1, n: s.2, transposeA: flags.0, transposeB: flags.1, beta: beta, oneRowThroughGemv: $0)
                }
            }
        }
    }

    @Test(arguments: cases)
    func stridedOperandsMatchALoop(_ c: Case) {
        let pad = 3, alpha: Float = 1.5
        // Stored shapes: A is (m, k), or (k, m) when transposed; B is (k, n), or (n, k).
        let (aRows, aColumns) = c.transposeA ? (c.k, c.m) : (c.m, c.k)
        let (bRows, bColumns) = c.transposeB ? (c.n, c.k) : (c.k, c.n)
        let (lda, ldb, ldc) = (aColumns + pad, bColumns + pad, c.n + pad)
        let a = randomTensor([aRows * lda], seed: 1).scalars, b = randomTensor([bRows * ldb], seed: 2).scalars
        let start = randomTensor([c.m * ldc], seed: 3).scalars
        var out = start
        for i in 0..<c.m where c.beta == 0 { for j in 0..<c.n { out[i * ldc + j] = .nan } }
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    cblasGemm(a.baseAddress!, lda: lda, transposeA: c.transposeA, b.baseAddress!, ldb: ldb, transposeB: c.transposeB,
                              o.baseAddress!, ldc: ldc, m: c.m, n: c.n, k: c.k, alpha: alpha, beta: c.beta,
                              oneRowThroughGemv: c.oneRowThroughGemv)
                }
            }
        }
        for i in 0..<c.m {
            for j in 0..<(c.n + pad) {
                let got = Double(out[i * ldc + j])
                guard j < c.n else {
                    #expect(got == Double(start[i * ldc + j]), "\(c): padding (\(i), \(j)) was written")
                    continue
                }
                var sum = 0.0
                for p in 0..<c.k {
                    let x = c.transposeA ? a[p * lda + i] : a[i * lda + p]
                    let y = c.transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                }
                let expected = Double(alpha) * sum + (c.beta == 0 ? 0 : Double(c.beta) * Double(start[i * ldc + j]))
                #expect(abs(got - expected) <= 1e-5 * max(1, abs(expected)), "\(c): (\(i), \(j)) = \(got), expected \(expected)")
            }
        }
    }
}

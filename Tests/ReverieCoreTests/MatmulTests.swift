import Testing
import ReverieCore

/// `matmul` through cblas_sgemm against a naive triple loop in Double, for every
/// combination of transpose flags, non-square and one-row sizes, and the
/// batched forms.
struct MatmulTests {
    struct Case: Sendable, CustomStringConvertible {
        var m: Int, k: Int, n: Int
        var transposeSelf: Bool, transposeOther: Bool
        var description: String {
            "(\(m)×\(k))\(transposeSelf ? "ᵀ-stored" : "") · (\(k)×\(n))\(transposeOther ? "ᵀ-stored" : "")"
        }
    }

    static let sizes: [(m: Int, k: Int, n: Int)] = [
        (1, 1, 1), (3, 5, 4), (1, 7, 3), (4, 1, 6), (6, 3, 1), (1, 9, 1), (5, 5, 5), (33, 17, 65),
    ]
    static let cases: [Case] = sizes.flatMap { s in
        [(false, false), (true, false), (false, true), (true, true)].map {
            Case(m: s.m, k: s.k, n: s.n, transposeSelf: $0.0, transposeOther: $0.1)
        }
    }

    /// Stored shape of an operand whose product-time shape is (rows, columns).
    static func stored(_ rows: Int, _ columns: Int, transposed: Bool) -> [Int] {
        transposed ? [columns, rows] : [rows, columns]
    }

    /// Element (i, j) of op(X) for a matrix stored row-major at `base`.
    static func element(_ x: [Float], _ base: Int, _ i: Int, _ j: Int, rows: Int, columns: Int, transposed: Bool) -> Double {
        Double(transposed ? x[base + j * rows + i] : x[base + i * columns + j])
    }

    /// C_b = op(A_b)·op(B_b) for each batch entry b, in Double; `sharedB` reads
    /// one B for every entry.
    static func naive(_ a: Tensor, _ b: Tensor, batch: Int, _ c: Case, sharedB: Bool = false) -> [Double] {
        let (pa, pb) = (a.scalars, b.scalars)
        var out = [Double](repeating: 0, count: batch * c.m * c.n)
        for t in 0..<batch {
            let baseA = t * c.m * c.k, baseB = sharedB ? 0 : t * c.k * c.n
            for i in 0..<c.m {
                for j in 0..<c.n {
                    var s = 0.0
                    for l in 0..<c.k {
                        s += element(pa, baseA, i, l, rows: c.m, columns: c.k, transposed: c.transposeSelf)
                            * element(pb, baseB, l, j, rows: c.k, columns: c.n, transposed: c.transposeOther)
                    }
                    out[(t * c.m + i) * c.n + j] = s
                }
            }
        }
        return out
    }

    @Test(arguments: cases)
    func matrixTimesMatrix(_ c: Case) {
        let a = randomTensor(Self.stored(c.m, c.k, transposed: c.transposeSelf), seed: 1)
        let b = randomTensor(Self.stored(c.k, c.n, transposed: c.transposeOther), seed: 2)
        let product = a.matmul(b, transposeSelf: c.transposeSelf, transposeOther: c.transposeOther)
        expectClose(product, Self.naive(a, b, batch: 1, c), shape: [c.m, c.n], tolerance: 1e-5, "\(c)")
    }

    @Test(arguments: cases)
    func batchTimesBatch(_ c: Case) {
        let batch = 3
        let a = randomTensor([batch] + Self.stored(c.m, c.k, transposed: c.transposeSelf), seed: 3)
        let b = randomTensor([batch] + Self.stored(c.k, c.n, transposed: c.transposeOther), seed: 4)
        let product = a.matmul(b, transposeSelf: c.transposeSelf, transposeOther: c.transposeOther)
        expectClose(product, Self.naive(a, b, batch: batch, c), shape: [batch, c.m, c.n], tolerance: 1e-5, "batched \(c)")
    }

    /// A 3-D left operand against one shared 2-D matrix (a linear layer over a
    /// batch of sequences). A transposed 3-D left operand needs a 3-D right one.
    @Test(arguments: cases.filter { !$0.transposeSelf })
    func batchTimesSharedMatrix(_ c: Case) {
        let batch = 4
        let a = randomTensor([batch, c.m, c.k], seed: 5)
        let b = randomTensor(Self.stored(c.k, c.n, transposed: c.transposeOther), seed: 6)
        let product = a.matmul(b, transposeOther: c.transposeOther)
        expectClose(product, Self.naive(a, b, batch: batch, c, sharedB: true), shape: [batch, c.m, c.n],
                    tolerance: 1e-5, "shared \(c)")
    }

    @Test func knownSmallProduct() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([7, 8, 9, 10, 11, 12], shape: [3, 2])
        #expect(a.matmul(b).scalars == [58, 64, 139, 154])
        #expect(a.matmul(a, transposeOther: true).scalars == [14, 32, 32, 77])
        #expect(a.matmul(a, transposeSelf: true).scalars == [17, 22, 27, 22, 29, 36, 27, 36, 45])
    }

    /// An empty inner extent is an empty sum: the product is all zeros.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func emptyInnerExtentGivesZeros(_ flags: (Bool, Bool)) {
        let a = Tensor.zeros(Self.stored(3, 0, transposed: flags.0))
        let b = Tensor.zeros(Self.stored(0, 4, transposed: flags.1))
        let product = a.matmul(b, transposeSelf: flags.0, transposeOther: flags.1)
        #expect(product.shape == [3, 4])
        #expect(product.scalars == [Float](repeating: 0, count: 12))
    }

    /// Matrices with no rows or no columns give empty products without
    /// touching memory.
    @Test func emptyOuterExtents() {
        #expect(Tensor.zeros([0, 3]).matmul(Tensor.ones([3, 4])).shape == [0, 4])
        #expect(Tensor.zeros([3, 0]).matmul(Tensor.ones([3, 4]), transposeSelf: true).shape == [0, 4])
        #expect(Tensor.ones([2, 3]).matmul(Tensor.zeros([3, 0])).shape == [2, 0])
        #expect(Tensor.zeros([2, 0, 3]).matmul(Tensor.ones([3, 4])).shape == [2, 0, 4])
    }

    /// A linear layer of a concatenation, computed block by block, equals the
    /// layer applied to the concatenated input, forward and backward, over
    /// one row and several; the gradient of an input not on the tape is not
    /// asked for and the others are unchanged by its absence.
    @Test(arguments: [1, 3])
    func concatenatedLinearEqualsLinearOfConcatenation(_ rows: Int) {
        var rng = RandomGenerator(seed: 12)
        let x = Tensor.uniform([rows, 5], low: -1, high: 1, using: &rng), c = Tensor.uniform([rows, 7], low: -1, high: 1, using: &rng)
        let w = Tensor.uniform([6, 12], low: -1, high: 1, using: &rng), b = Tensor.uniform([6], low: -1, high: 1, using: &rng)
        let seed = Tensor.uniform([rows, 6], low: -1, high: 1, using: &rng)
        for bias in [b, nil] {
            let tape = Tape()
            let (cl, wl, bl) = (tape.watch(c), tape.watch(w), tape.watch(b))
            let (blocked, joined) = tape.recording {
                (Tensor.linear(concatenating: [x, cl], wl, bias: bias == nil ? nil : bl),
                 Tensor.concatenate([x, cl], axis: 1).linear(wl, bias: bias == nil ? nil : bl))
            }
            #expect(blocked.isClose(to: joined, relative: 1e-5, absolute: 1e-5), "rows \(rows), bias \(bias != nil)")
            let leaves = bias == nil ? [cl, wl] : [cl, wl, bl]
            let a = tape.gradients(of: blocked, seed: seed, wrt: leaves), e = tape.gradients(of: joined, seed: seed, wrt: leaves)
            for (g, h) in zip(a, e) { #expect(g.isClose(to: h, relative: 1e-5, absolute: 1e-5), "rows \(rows), bias \(bias != nil)") }
        }
    }
}

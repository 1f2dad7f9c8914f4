import Testing
import ReverieCore

/// Broadcasting element-wise operations against naive loops over the output's
/// multi-indices, and the reverse of broadcasting (`sumToShape`) through the
/// gradients of broadcast operations.
struct BroadcastTests {
    struct Shapes: Sendable, CustomStringConvertible {
        var a: [Int], b: [Int], result: [Int]
        var description: String { "\(a) ∘ \(b) → \(result)" }
    }

    static let cases: [Shapes] = [
        Shapes(a: [3, 4], b: [3, 4], result: [3, 4]),
        Shapes(a: [3, 4], b: [4], result: [3, 4]),             // row vector
        Shapes(a: [3, 4], b: [1, 4], result: [3, 4]),
        Shapes(a: [3, 4], b: [3, 1], result: [3, 4]),          // column vector
        Shapes(a: [3, 1], b: [3, 4], result: [3, 4]),
        Shapes(a: [3, 4], b: [], result: [3, 4]),              // scalar
        Shapes(a: [], b: [3, 4], result: [3, 4]),
        Shapes(a: [3, 4], b: [1], result: [3, 4]),
        Shapes(a: [3, 1], b: [1, 4], result: [3, 4]),          // outer
        Shapes(a: [2, 3, 4], b: [4], result: [2, 3, 4]),
        Shapes(a: [2, 3, 4], b: [3, 1], result: [2, 3, 4]),
        Shapes(a: [2, 3, 4], b: [2, 1, 4], result: [2, 3, 4]),
        Shapes(a: [2, 3, 4], b: [1, 3, 1], result: [2, 3, 4]),
        Shapes(a: [2, 3, 4], b: [2, 1, 1], result: [2, 3, 4]),
        Shapes(a: [2, 1, 4], b: [1, 3, 1], result: [2, 3, 4]), // both stretch
        Shapes(a: [4], b: [2, 3, 4], result: [2, 3, 4]),
        Shapes(a: [3, 1, 1], b: [4, 1], result: [3, 4, 1]),
        Shapes(a: [2, 1, 3, 1], b: [5, 1, 4], result: [2, 5, 3, 4]),
    ]

    /// Reads `shape`'s element at `index` of the broadcast result shape.
    static func broadcastOffset(_ index: [Int], from shape: [Int]) -> Int {
        let lead = index.count - shape.count
        let own = shape.indices.map { shape[$0] == 1 ? 0 : index[lead + $0] }
        return flatOffset(own, in: shape)
    }

    static func naive(_ a: Tensor, _ b: Tensor, _ shape: [Int], _ f: (Double, Double) -> Double) -> [Double] {
        let pa = doubles(a), pb = doubles(b)
        return (0..<shape.reduce(1, *)).map { i in
            let index = multiIndex(i, in: shape)
            return f(pa[broadcastOffset(index, from: a.shape)], pb[broadcastOffset(index, from: b.shape)])
        }
    }

    @Test(arguments: cases)
    func arithmeticMatchesNaiveLoops(_ c: Shapes) {
        let a = randomTensor(c.a, seed: 1)
        // Divisors kept away from zero.
        let b = randomTensor(c.b, seed: 2).map { $0 < 0 ? $0 - 0.5 : $0 + 0.5 }
        expectClose(a + b, Self.naive(a, b, c.result, +), shape: c.result, tolerance: 1e-6, "\(c) add")
        expectClose(a - b, Self.naive(a, b, c.result, -), shape: c.result, tolerance: 1e-6, "\(c) subtract")
        expectClose(a * b, Self.naive(a, b, c.result, *), shape: c.result, tolerance: 1e-6, "\(c) multiply")
        expectClose(a / b, Self.naive(a, b, c.result, /), shape: c.result, tolerance: 1e-6, "\(c) divide")
    }

    @Test(arguments: cases)
    func broadcastToMaterialises(_ c: Shapes) {
        let b = randomTensor(c.b, seed: 3)
        let stretched = b.broadcast(to: c.result)
        let expected = (0..<c.result.reduce(1, *)).map { doubles(b)[Self.broadcastOffset(multiIndex($0, in: c.result), from: c.b)] }
        expectClose(stretched, expected, shape: c.result, tolerance: 0, "broadcast \(c.b) to \(c.result)")
    }

    @Test func scalarOperators() {
        let a = Tensor([1, -2, 4])
        #expect((a + 2).scalars == [3, 0, 6])
        #expect((2 + a).scalars == [3, 0, 6])
        #expect((a - 1).scalars == [0, -3, 3])
        #expect((1 - a).scalars == [0, 3, -3])
        #expect((a * 3).scalars == [3, -6, 12])
        #expect((3 * a).scalars == [3, -6, 12])
        #expect((a / 4).scalars == [0.25, -0.5, 1])
        #expect((4 / a).scalars == [4, -2, 1])
        #expect((-a).scalars == [-1, 2, -4])
    }

    // MARK: - The reverse of broadcasting, through gradients

    /// For out = a ∘ b with upstream weights w, ∂⟨w, out⟩/∂b sums w·∂out/∂b over
    /// every output element that read each element of b.
    static func reducedGradient(_ w: [Double], _ local: [Double], result: [Int], to shape: [Int]) -> [Double] {
        var g = [Double](repeating: 0, count: shape.reduce(1, *))
        for i in 0..<w.count { g[broadcastOffset(multiIndex(i, in: result), from: shape)] += w[i] * local[i] }
        return g
    }

    @Test(arguments: cases)
    func gradientsSumOverBroadcastAxes(_ c: Shapes) {
        let a = randomTensor(c.a, seed: 4), b = randomTensor(c.b, seed: 5)
        let w = randomTensor(c.result, seed: 6)
        let ones = [Double](repeating: 1, count: w.count)

        let tape = Tape()
        let (la, lb) = (tape.watch(a), tape.watch(b))
        let sum = tape.gradients(of: la + lb, seed: w, wrt: [la, lb])
        expectClose(sum[0], Self.reducedGradient(doubles(w), ones, result: c.result, to: c.a), shape: c.a, "\(c) ∂(a+b)/∂a")
        expectClose(sum[1], Self.reducedGradient(doubles(w), ones, result: c.result, to: c.b), shape: c.b, "\(c) ∂(a+b)/∂b")

        let difference = tape.gradients(of: la - lb, seed: w, wrt: [lb])
        expectClose(difference[0], Self.reducedGradient(doubles(w), ones.map { -$0 }, result: c.result, to: c.b),
                    shape: c.b, "\(c) ∂(a−b)/∂b")

        let product = tape.gradients(of: la * lb, seed: w, wrt: [la, lb])
        let aAtResult = Self.naive(a, b, c.result) { x, _ in x }, bAtResult = Self.naive(a, b, c.result) { _, y in y }
        expectClose(product[0], Self.reducedGradient(doubles(w), bAtResult, result: c.result, to: c.a), shape: c.a, "\(c) ∂(ab)/∂a")
        expectClose(product[1], Self.reducedGradient(doubles(w), aAtResult, result: c.result, to: c.b), shape: c.b, "\(c) ∂(ab)/∂b")

        let stretched = tape.gradients(of: lb.broadcast(to: c.result), seed: w, wrt: [lb])
        expectClose(stretched[0], Self.reducedGradient(doubles(w), ones, result: c.result, to: c.b), shape: c.b, "\(c) ∂broadcast/∂b")
    }
}

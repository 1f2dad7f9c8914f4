import Testing
import ReverieCore

/// Reductions along each axis, the softmax family at extreme inputs, argmax,
/// and the normalisations, by value.
struct ReductionTests {
    struct AxisCase: Sendable, CustomStringConvertible {
        var shape: [Int], axis: Int, keepingDimension: Bool
        var description: String { "\(shape) axis \(axis)\(keepingDimension ? " kept" : "")" }
    }

    static let axisCases: [AxisCase] = [[2, 3, 4], [5], [4, 1], [1, 6], [3, 2, 1, 5]].flatMap { shape in
        (-shape.count..<shape.count).flatMap { axis in
            [false, true].map { AxisCase(shape: shape, axis: axis, keepingDimension: $0) }
        }
    }

    /// Folds the elements along `axis` with `combine`, in Double; returns the
    /// reduced shape (axis kept as 1) and the values.
    static func naiveReduce(
        _ x: Tensor, axis: Int, _ initial: Double, _ combine: (Double, Double) -> Double
    ) -> (shape: [Int], values: [Double]) {
        var shape = x.shape
        shape[axis] = 1
        var out = [Double](repeating: initial, count: shape.reduce(1, *))
        for (i, v) in doubles(x).enumerated() {
            var index = multiIndex(i, in: x.shape)
            index[axis] = 0
            let o = flatOffset(index, in: shape)
            out[o] = combine(out[o], v)
        }
        return (shape, out)
    }

    @Test(arguments: axisCases)
    func sumMeanMaxAlongAxis(_ c: AxisCase) {
        let x = randomTensor(c.shape, seed: 11)
        let axis = c.axis < 0 ? c.axis + c.shape.count : c.axis
        var expectedShape = c.shape
        if c.keepingDimension { expectedShape[axis] = 1 } else { expectedShape.remove(at: axis) }

        let sum = Self.naiveReduce(x, axis: axis, 0, +).values
        expectClose(x.sum(axis: c.axis, keepingDimension: c.keepingDimension), sum, shape: expectedShape, "\(c) sum")
        let n = Double(c.shape[axis])
        expectClose(x.mean(axis: c.axis, keepingDimension: c.keepingDimension), sum.map { $0 / n },
                    shape: expectedShape, "\(c) mean")
        let max = Self.naiveReduce(x, axis: axis, -.infinity) { Swift.max($0, $1) }.values
        expectClose(x.max(axis: c.axis, keepingDimension: c.keepingDimension), max, shape: expectedShape, tolerance: 0, "\(c) max")
    }

    @Test func sumAndMeanOfEverything() {
        let x = Tensor.arange(1, 11).reshaped([2, 5])
        #expect(x.sum().shape == [] && x.sum().item == 55)
        #expect(x.mean().item == 5.5)
    }

    /// Float32 accumulation in a single running sum loses digits as the sum
    /// grows; a mean loss over a large batch of images must still be right.
    @Test func sumOfManyElementsIsAccurate() {
        let n = 1 << 22
        let x = Tensor(repeating: 0.1, shape: [n])
        let exact = Double(Float(0.1)) * Double(n)
        #expect(Swift.abs(Double(x.sum().item) - exact) <= 1e-5 * exact, "sum \(x.sum().item), exact \(exact)")
        #expect(Swift.abs(Double(x.mean().item) - Double(Float(0.1))) <= 1e-6, "mean \(x.mean().item)")
        let lastAxis = x.reshaped([1, n]).sum(axis: 1)
        #expect(Swift.abs(Double(lastAxis.item) - exact) <= 1e-5 * exact, "sum along the last axis \(lastAxis.item)")
        let firstAxis = x.reshaped([n / 2, 2]).sum(axis: 0)
        expectClose(firstAxis, [exact / 2, exact / 2], tolerance: 1e-5, "sum along the first axis")
    }

    @Test func maxGradientGoesToTheFirstMaximum() {
        let tape = Tape()
        let x = tape.watch(Tensor([1, 3, 3, 2, 5, 5, 5, 0], shape: [2, 4]))
        let g = tape.gradients(of: x.max(axis: 1).sum(), wrt: [x])[0]
        #expect(g.scalars == [0, 1, 0, 0, 1, 0, 0, 0])
    }

    // MARK: - Softmax family

    static func naiveLogSoftmax(_ row: [Double]) -> [Double] {
        let m = row.max()!
        let lse = m + log(row.map { exp($0 - m) }.reduce(0, +))
        return row.map { $0 - lse }
    }

    @Test(arguments: [[4, 7], [1, 1], [3, 2, 5], [6]])
    func softmaxMatchesTheDefinition(_ shape: [Int]) {
        let x = randomTensor(shape, seed: 12, low: -4, high: 4)
        let k = shape.last!
        let rows = stride(from: 0, to: x.count, by: k).map { Array(doubles(x)[$0..<($0 + k)]) }
        let logSoftmax = rows.flatMap(Self.naiveLogSoftmax)
        expectClose(x.logSoftmax(), logSoftmax, shape: shape, tolerance: 1e-6, "logSoftmax \(shape)")
        expectClose(x.softmax(), logSoftmax.map(exp), shape: shape, tolerance: 1e-6, "softmax \(shape)")
        let lse = rows.map { r in r[0] - Self.naiveLogSoftmax(r)[0] }
        expectClose(x.logsumexp(), lse, shape: Array(shape.dropLast()), tolerance: 1e-6, "logsumexp \(shape)")

        let p = x.softmax()
        let rowSums = p.sum(axis: -1)
        expectClose(rowSums, [Double](repeating: 1, count: rowSums.count), tolerance: 1e-6, "softmax row sums")
    }

    /// Logits of magnitude 1e4 overflow a naive exp; a stable kernel gives the
    /// same probabilities as the logits shifted to zero.
    @Test func softmaxFamilyIsStableForLargeInputs() {
        let offsets: [Float] = [0, -1, -2.5, 1, 0.5, -30]
        for base: Float in [1e4, -1e4] {
            let x = Tensor(offsets.map { base + $0 }, shape: [1, 6])
            // The offsets are exact in Float32 at this magnitude.
            let shifted = doubles(x).map { $0 - Double(base) }
            let expectedLogSoftmax = Self.naiveLogSoftmax(shifted)
            let expectedLSE = Double(base) + (shifted[0] - expectedLogSoftmax[0])
            expectClose(x.logSoftmax(), expectedLogSoftmax, tolerance: 1e-6, "logSoftmax at \(base)")
            expectClose(x.softmax(), expectedLogSoftmax.map(exp), tolerance: 1e-6, "softmax at \(base)")
            expectClose(x.logsumexp(), [expectedLSE], tolerance: 1e-6, "logsumexp at \(base)")
            #expect(Swift.abs(x.softmax().sum().item - 1) < 1e-6)
        }
        let huge = Tensor([3e38, 3e38, -3e38], shape: [3])
        expectClose(huge.softmax(), [0.5, 0.5, 0], tolerance: 1e-6, "softmax near Float.greatestFiniteMagnitude")
        #expect(huge.logsumexp().item.isFinite)
    }

    /// A logit of −∞ is a masked action: probability 0, log-probability −∞,
    /// and no NaN in either value or gradient.
    @Test func negativeInfinityMasksAnEntry() {
        let x = Tensor([-.infinity, 0, Float(log(3.0)), -.infinity], shape: [1, 4])
        expectClose(x.softmax(), [0, 0.25, 0.75, 0], tolerance: 1e-6, "masked softmax")
        expectClose(x.logSoftmax(), [-.infinity, log(0.25), log(0.75), -.infinity], tolerance: 1e-6, "masked logSoftmax")
        expectClose(x.logsumexp(), [log(4)], tolerance: 1e-6, "masked logsumexp")

        let allMasked = Tensor([-.infinity, -.infinity], shape: [2])
        #expect(allMasked.logsumexp().item == -.infinity)

        let tape = Tape()
        let leaf = tape.watch(x)
        let w = Tensor([1, 2, 3, 4], shape: [1, 4])
        for (name, y) in [("softmax", leaf.softmax()), ("logsumexp", leaf.logsumexp().reshaped([1, 1]) * Tensor.ones([1, 4]))] {
            let g = tape.gradients(of: y, seed: w, wrt: [leaf])[0]
            #expect(g.scalars.allSatisfy { $0.isFinite }, "\(name) gradient \(g.scalars)")
            #expect(g[0, 0] == 0 && g[0, 3] == 0, "\(name) gradient reaches a masked logit: \(g.scalars)")
        }
        // ∂⟨w, logSoftmax⟩ = w − softmax·Σw; a masked entry keeps its own wᵢ
        // (its log-probability is constant −∞, so any finite value is harmless).
        let g = tape.gradients(of: leaf.logSoftmax(), seed: w, wrt: [leaf])[0]
        expectClose(g, [1, 2 - 0.25 * 10, 3 - 0.75 * 10, 4], tolerance: 1e-6, "masked logSoftmax gradient")
    }

    @Test func argmaxPerRow() {
        let x = Tensor([0.1, 0.7, 0.2, -5, -1, -3, 2, 2, 1], shape: [3, 3])
        #expect(x.argmax() == [1, 1, 0], "ties go to the first index")
        #expect(Tensor([3, 9, 4, 9]).argmax() == [1])
        #expect(Tensor.arange(0, 24).reshaped([2, 3, 4]).argmax() == [3, 3, 3, 3, 3, 3])
        let r = randomTensor([5, 7], seed: 13)
        let expected = (0..<5).map { i in (0..<7).max { r[i, $0] < r[i, $1] }! }
        #expect(r.argmax() == expected)
    }

    // MARK: - Normalisation

    @Test func layerAndRMSNormalisation() {
        let x = randomTensor([3, 8], seed: 14, low: -3, high: 5)
        let rows = (0..<3).map { r in (0..<8).map { Double(x[r, $0]) } }
        let layer = rows.flatMap { row -> [Double] in
            let mean = row.reduce(0, +) / 8
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 8
            return row.map { ($0 - mean) / (variance + 1e-5).squareRoot() }
        }
        expectClose(x.layerNormalized(), layer, shape: [3, 8], tolerance: 1e-5, "layer norm")
        let rms = rows.flatMap { row -> [Double] in
            let meanSquare = row.map { $0 * $0 }.reduce(0, +) / 8
            return row.map { $0 / (meanSquare + 1e-6).squareRoot() }
        }
        expectClose(x.rmsNormalized(), rms, shape: [3, 8], tolerance: 1e-5, "RMS norm")
    }

    /// One NaN or infinity anywhere (in the vectorised part or the tail)
    /// makes a tensor non-finite; signed zeros and huge finite values do not.
    @Test(arguments: [0, 5, 8, 16, 18])
    func isFiniteFindsOneBadValue(_ position: Int) {
        var values = randomTensor([19], seed: 4).scalars
        values[3] = -0.0
        values[7] = .greatestFiniteMagnitude
        #expect(Tensor(values, shape: [19]).isFinite)
        for bad in [Float.nan, .infinity, -.infinity] {
            var broken = values
            broken[position] = bad
            #expect(!Tensor(broken, shape: [19]).isFinite, "\(bad) at \(position)")
        }
        #expect(Tensor.zeros([0]).isFinite)
    }
}

import Testing
import ReverieCore

// MARK: - Shared helpers for the forward-value tests
//
// References are computed in Double by plain loops over multi-indices, so a
// test compares a kernel with the definition of its operation, never with
// another kernel of the core.

/// Uniform values in [low, high) drawn from a fixed seed.
func randomTensor(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, using: &rng)
}

/// The elements of `tensor` widened to Double, in row-major order.
func doubles(_ tensor: Tensor) -> [Double] { tensor.scalars.map(Double.init) }

/// Row-major element strides of `shape`.
func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
    return strides
}

/// The multi-index of row-major offset `flat` in `shape`.
func multiIndex(_ flat: Int, in shape: [Int]) -> [Int] {
    var rest = flat
    var index = [Int](repeating: 0, count: shape.count)
    for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
        index[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return index
}

/// Row-major offset of `index` in `shape`.
func flatOffset(_ index: [Int], in shape: [Int]) -> Int {
    zip(index, rowMajorStrides(shape)).reduce(0) { $0 + $1.0 * $1.1 }
}

/// llm.c's `check`: every element of `actual` within `tolerance·(1 + |expected|)`
/// of `expected`; a failure names the worst element and its difference.
/// Equal infinities count as equal; a NaN anywhere is a failure.
func expectClose(
    _ actual: Tensor, _ expected: [Double], shape: [Int]? = nil, tolerance: Double = 1e-5,
    _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    if let shape {
        #expect(actual.shape == shape, "\(label): shape \(actual.shape), expected \(shape)", sourceLocation: sourceLocation)
    }
    guard actual.count == expected.count else {
        Issue.record("\(label): \(actual.count) elements, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var worst = 0.0, worstExcess = -Double.infinity, worstAt = -1
    for (i, (a, e)) in zip(doubles(actual), expected).enumerated() {
        let difference = a == e ? 0 : Swift.abs(a - e)
        let excess = difference.isNaN ? .infinity : difference - tolerance * (1 + Swift.abs(e.isFinite ? e : 0))
        if excess > worstExcess { (worst, worstExcess, worstAt) = (difference, excess, i) }
    }
    if worstExcess > 0 {
        let message = "\(label): largest difference \(worst) at element \(worstAt) "
            + "(\(actual.scalars[worstAt]) vs \(expected[worstAt])), tolerance \(tolerance)"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
}

/// `expectClose` against another tensor (shapes must match too).
func expectClose(
    _ actual: Tensor, _ expected: Tensor, tolerance: Double = 1e-5,
    _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    expectClose(actual, doubles(expected), shape: expected.shape, tolerance: tolerance, label, sourceLocation: sourceLocation)
}

/// Address of the first element, to tell shared storage from a copy.
func baseAddress(_ tensor: Tensor) -> UnsafePointer<Float>? {
    tensor.withUnsafeBufferPointer { UnsafePointer($0.baseAddress) }
}

import Testing
import ReverieNN

/// Uniform values in [low, high) from a fixed seed.
func random(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, using: &rng)
}

/// Expects `actual` to hold `expected` (in `shape`, if given) element-wise
/// within `absolute + relative·|expected|`, naming the largest difference.
func expectClose(
    _ actual: Tensor, _ expected: [Float], shape: [Int]? = nil,
    relative: Float = 1e-5, absolute: Float = 1e-5, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let reference = Tensor(expected, shape: shape ?? actual.shape)
    guard actual.shape == reference.shape else {
        Issue.record("\(what): shape \(actual.shape), expected \(reference.shape)", sourceLocation: sourceLocation)
        return
    }
    #expect(actual.isClose(to: reference, relative: relative, absolute: absolute),
            "\(what): \(actual.scalars) vs \(expected), max |Δ| \(actual.maxAbsDifference(reference))",
            sourceLocation: sourceLocation)
}

/// Expects the tape's gradients of `f` at `inputs` to match central differences.
func expectGradientsMatch(
    at inputs: [Tensor], tolerance: Double = 2e-3, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor
) {
    let report = checkGradients(at: inputs, f)
    print("gradcheck \(what): \(report)")
    #expect(report.maxRelativeError < tolerance, "\(what): \(report)", sourceLocation: sourceLocation)
}

/// Expects an empirical frequency of `count` in `n` draws to lie within four
/// standard errors of the probability `p`.
func expectFrequency(
    _ count: Int, of n: Int, near p: Float, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let frequency = Float(count) / Float(n)
    let standardError = (p * (1 - p) / Float(n)).squareRoot()
    #expect(Swift.abs(frequency - p) < 4 * standardError,
            "\(what): frequency \(frequency), probability \(p) (4 s.e. = \(4 * standardError))",
            sourceLocation: sourceLocation)
}

/// Running mean and variance of a stream of vectors, merged batch-wise with
/// Chan et al.'s parallel algorithm (as Gymnasium's and SB3's
/// `RunningMeanStd`). A class, so several wrappers (one per env of a vector)
/// can share one set of statistics; its state saves into a checkpoint.
public final class RunningMeanStd: @unchecked Sendable {
    public private(set) var mean: [Double]
    public private(set) var variance: [Double]
    /// Effective number of samples; starts at a tiny ε as Gymnasium's, so the
    /// first update is not divided by zero.
    public private(set) var count: Double

    public init(size: Int, epsilon: Double = 1e-4) {
        mean = Array(repeating: 0, count: size)
        variance = Array(repeating: 1, count: size)
        count = epsilon
    }

    public var size: Int { mean.count }

    /// Adds one sample.
    public func update(_ x: [Float]) {
        precondition(x.count == size, "RunningMeanStd of size \(size) got \(x.count) values")
        let total = count + 1
        for i in 0..<size {
            let delta = Double(x[i]) - mean[i]
            mean[i] += delta / total
            // M2 merge with a batch of one (its own variance is 0).
            variance[i] = (variance[i] * count + delta * delta * count / total) / total
        }
        count = total
    }

    /// (x − mean) / √(variance + ε), optionally clipped to ±clip.
    public func normalize(_ x: [Float], epsilon: Double = 1e-8, clip: Float? = nil) -> [Float] {
        var y = [Float](repeating: 0, count: size)
        for i in 0..<size {
            var v = Float((Double(x[i]) - mean[i]) / (variance[i] + epsilon).squareRoot())
            if let clip { v = Swift.min(Swift.max(v, -clip), clip) }
            y[i] = v
        }
        return y
    }

    /// The state as named tensors, for a checkpoint: `mean`, `variance` (size), `count` (1).
    public var state: [String: Tensor] {
        ["mean": Tensor(mean.map(Float.init)), "variance": Tensor(variance.map(Float.init)), "count": Tensor([Float(count)])]
    }

    /// Restores `state`. Throws if a tensor is missing or of the wrong size.
    public func load(_ state: [String: Tensor]) throws {
        for (key, expected) in [("mean", [size]), ("variance", [size]), ("count", [1])] {
            guard let t = state[key], t.shape == expected else {
                throw EnvironmentError.invalidOption(
                    environment: "RunningMeanStd", option: key,
                    reason: "must be a tensor of shape \(expected), got \(state[key].map { "\($0.shape)" } ?? "nothing")")
            }
        }
        mean = state["mean"]!.scalars.map(Double.init)
        variance = state["variance"]!.scalars.map(Double.init)
        count = Double(state["count"]!.item)
    }

    /// The exact state as words (Double bit patterns: mean, variance, count),
    /// for snapshots that must resume bit for bit.
    public var words: [UInt64] { (mean + variance + [count]).map(\.bitPattern) }

    /// Restores `words`. Throws unless there are 2·size + 1 of them.
    public func restore(words: ArraySlice<UInt64>) throws {
        guard words.count == 2 * size + 1 else {
            throw SnapshotError.mismatch("RunningMeanStd(size: \(size))", "needs \(2 * size + 1) words, got \(words.count)")
        }
        let values = words.map(Double.init(bitPattern:))
        mean = Array(values[0..<size])
        variance = Array(values[size..<(2 * size)])
        count = values[2 * size]
    }
}

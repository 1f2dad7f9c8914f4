/// Discrete observations as one-hot features, as POPGym's policies and
/// Stable-Baselines3's `preprocess_obs` read them: a Discrete(n) observation,
/// one integer, becomes n values; a MultiDiscrete([n₁, …, n_k]) one, k
/// integers, becomes the k one-hot blocks side by side. No parameters.
///
///     OneHotEncoder(sizes: [2, 4])([[1, 3]])  // [[0, 1,  0, 0, 0, 1]]
public final class OneHotEncoder: ObservationEncoder {
    /// n₁ … n_k, the number of values of each integer.
    public let sizes: [Int]

    public init(sizes: [Int]) {
        precondition(!sizes.isEmpty && sizes.allSatisfy { $0 > 0 }, "one-hot sizes must be positive, got \(sizes)")
        self.sizes = sizes
    }

    public var inputSize: Int { sizes.count }
    public var outputSize: Int { sizes.reduce(0, +) }

    /// - Parameter observations: (B, k) integers as floats; a value outside
    ///   0..<nⱼ (which its space does not allow) gives a block of zeros.
    /// - Returns: (B, n₁ + … + n_k), a constant (observations carry no gradient).
    public func callAsFunction(_ observations: Tensor) -> Tensor {
        let k = sizes.count, width = outputSize, rows = observations.count / k
        var features = [Float](repeating: 0, count: rows * width)
        observations.withUnsafeBufferPointer { x in
            for r in 0..<rows {
                var offset = r * width
                for (j, n) in sizes.enumerated() {
                    let value = x[r * k + j]
                    if value >= 0, value < Float(n), value == value.rounded() { features[offset + Int(value)] = 1 }
                    offset += n
                }
            }
        }
        return Tensor(features, shape: [rows, width])
    }
}

/// Two encoders one after the other: one-hot features, say, then a layer.
public final class ChainedEncoder: ObservationEncoder {
    public let first: any ObservationEncoder
    public let second: any ObservationEncoder

    public init(_ first: any ObservationEncoder, _ second: any ObservationEncoder) {
        precondition(first.outputSize == second.inputSize, "\(first.outputSize) features do not fit an encoder of \(second.inputSize)")
        (self.first, self.second) = (first, second)
    }

    public var inputSize: Int { first.inputSize }
    public var outputSize: Int { second.outputSize }
    public func callAsFunction(_ observations: Tensor) -> Tensor { second(first(observations)) }
}

/// A categorical distribution over the last axis whose samples are one-hot
/// vectors with straight-through gradients, and whose probabilities are mixed
/// with a uniform distribution (DreamerV3's latents and discrete actor).
///
/// The last axis holds the K classes; every leading axis is batch, so
/// DreamerV3's stochastic state of 32 groups × 32 classes is logits of shape
/// (B, 32, 32), and the flat latent is `sample(using:).reshaped([B, 1024])`.
///
///     let posterior = OneHotCategorical(logits: encoderLogits)   // (B, G, K)
///     let z = posterior.sample(using: &rng)                     // (B, G, K), gradients reach encoderLogits
public struct OneHotCategorical: Sendable {
    /// (…, K) the network's logits, before the uniform mixture.
    public let logits: Tensor
    /// The weight of the uniform distribution in the mixture.
    public let unimix: Float
    /// The same distribution over class indices, built from the mixed probabilities.
    public let categorical: Categorical

    /// π = (1 − unimix)·softmax(logits) + unimix/K (DreamerV3, Hafner et al. 2023,
    /// "1% unimix": every class keeps probability ≥ unimix/K, so log π and the
    /// KL terms stay bounded).
    ///
    /// - Parameters:
    ///   - logits: (…, K) unnormalised log-probabilities.
    ///   - unimix: weight of the uniform mixture, in [0, 1].
    public init(logits: Tensor, unimix: Float = 0.01) {
        precondition(unimix >= 0 && unimix <= 1, "unimix must lie in [0, 1], got \(unimix)")
        precondition(logits.rank >= 1 && logits.shape.last! >= 1,
                     "OneHotCategorical needs logits with a class axis, got shape \(logits.shape)")
        self.logits = logits
        self.unimix = unimix
        if unimix == 0 {
            // log-softmax directly: log(softmax) would reach −∞ for very negative logits.
            categorical = Categorical(logits: logits)
        } else {
            // Already normalised: π and log π are taken as they are.
            let uniform = unimix / Float(logits.shape.last!), mixed = (1 - unimix) * logits.softmax() + uniform
            categorical = Categorical(probabilities: mixed, logProbabilities: mixed.log())
        }
    }

    /// Number of classes K.
    public var classCount: Int { categorical.classCount }

    /// (…, K) the mixed probabilities π.
    public var probabilities: Tensor { categorical.probabilities }

    /// (…, K) log π, usable as logits of the mixed distribution (for `categoricalKL`).
    public var logProbabilities: Tensor { categorical.logProbabilities }

    /// log π(x) = Σₖ xₖ·log π(k).
    ///
    /// The gradient also flows into `x`; pass `x.detached` for a
    /// score-function (REINFORCE) term on a straight-through sample.
    ///
    /// - Parameter x: (…, K) one-hot vectors.
    /// - Returns: (…) the log-probability of each row.
    public func logProb(_ x: Tensor) -> Tensor {
        precondition(x.shape == logits.shape, "logProb of shape \(x.shape) for logits of shape \(logits.shape)")
        return (x * logProbabilities).sum(axis: -1)
    }

    /// H = −Σₖ π(k)·log π(k) of the mixed distribution.
    ///
    /// - Returns: (…) the entropy of each row, in nats.
    public func entropy() -> Tensor { categorical.entropy() }

    /// (…, K) the one-hot of the most likely class, with straight-through
    /// gradients as `sample` (DreamerV3's `OneHotDist.mode`).
    public var mode: Tensor { straightThrough(categorical.mode) }

    /// A one-hot draw per row, whose value is exactly one-hot and whose
    /// gradient is that of π: onehot + π − sg(π) (straight-through estimator,
    /// Bengio et al. 2013; DreamerV2/V3's latents).
    ///
    /// - Returns: (…, K) one-hot rows, recorded on the tape of `logits`.
    public func sample(using rng: inout RandomGenerator) -> Tensor {
        straightThrough(categorical.sample(using: &rng))
    }

    /// onehot(indices) + (π − sg(π)): the bracket is exactly zero in value,
    /// so the result is exactly one-hot, and its gradient is ∂π.
    private func straightThrough(_ indices: [Int]) -> Tensor {
        let p = probabilities
        return Tensor.oneHot(indices, depth: classCount).reshaped(logits.shape) + (p - p.detached)
    }
}

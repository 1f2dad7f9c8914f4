/// A diagonal Gaussian over the last axis: each row of (…, D) is one
/// D-dimensional distribution N(μ, diag σ²) (a continuous policy head).
///
/// `logStd` may be a full (…, D) tensor (state-dependent, as SAC's heads) or
/// anything that broadcasts to the mean's shape, such as a (D) parameter
/// shared by every state (PPO's state-independent log-std). Every method is
/// recorded on the tapes of `mean` and `logStd`, including `sample`, which is
/// reparameterised.
///
///     let pi = Normal(mean: policy(observation), logStd: logStd.value)  // (B, D), (D)
///     let ratio = (pi.logProb(actions) - oldLogProb).exp()               // (B)
public struct Normal: Sendable {
    /// (…, D) the mean μ.
    public let mean: Tensor
    /// log σ, broadcastable to the mean's shape: (…, D), (D), (1), ….
    public let logStd: Tensor

    /// ½·log(2π), the normaliser of a standard normal density.
    static let halfLogTwoPi: Float = 0.918_938_53

    /// - Parameters:
    ///   - mean: (…, D) means μ, at least one axis.
    ///   - logStd: log σ, broadcastable to `mean.shape` along its trailing axes.
    public init(mean: Tensor, logStd: Tensor) {
        precondition(mean.rank >= 1, "Normal needs a mean with an event axis, got shape \(mean.shape)")
        let trailing = mean.shape.suffix(logStd.rank)
        precondition(
            logStd.rank <= mean.rank && zip(logStd.shape, trailing).allSatisfy { $0 == 1 || $0 == $1 },
            "logStd of shape \(logStd.shape) does not broadcast to mean of shape \(mean.shape)")
        self.mean = mean
        self.logStd = logStd
    }

    /// σ = exp(log σ), in the shape of `logStd`.
    public var std: Tensor { logStd.exp() }

    /// (…, D) the most likely point, μ.
    public var mode: Tensor { mean }

    /// log N(x; μ, σ²) = Σ_d −½((x_d − μ_d)/σ_d)² − log σ_d − ½ log 2π.
    ///
    /// - Parameter x: (…, D) points, in the mean's shape.
    /// - Returns: (…) the log-density of each row, summed over D.
    public func logProb(_ x: Tensor) -> Tensor {
        precondition(x.shape == mean.shape, "logProb of shape \(x.shape) for a Normal of shape \(mean.shape)")
        let z = (x - mean) * (-logStd).exp()
        return (-0.5 * z.squared() - logStd - Self.halfLogTwoPi).sum(axis: -1)
    }

    /// H = Σ_d log σ_d + ½(1 + log 2π).
    ///
    /// - Returns: (…) the entropy of each row, in nats; its gradient reaches `logStd` only.
    public func entropy() -> Tensor {
        (logStd + (0.5 + Self.halfLogTwoPi)).broadcast(to: mean.shape).sum(axis: -1)
    }

    /// x = μ + σ·ε with ε ~ N(0, I), the reparameterisation trick
    /// (Kingma & Welling 2014, Sec. 2.4), so gradients reach μ and log σ.
    ///
    /// - Returns: (…, D) one draw per row.
    public func sample(using rng: inout RandomGenerator) -> Tensor {
        mean + std * Tensor.normal(mean.shape, using: &rng)
    }
}

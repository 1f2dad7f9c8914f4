/// A diagonal Gaussian squashed into (−1, 1)ᴰ by tanh: a = tanh(u),
/// u ~ N(μ, diag σ²) (SAC's bounded continuous policy).
///
/// Shapes follow `Normal`: rows of (…, D) with `logStd` broadcastable to
/// the mean's shape. There is no `entropy()`: the entropy of a squashed
/// Gaussian has no closed form. SAC estimates it as −log π(a) of the
/// reparameterised sample it already draws, which `sampleWithLogProb` returns.
///
///     let pi = TanhNormal(mean: mu, logStd: logStd)      // (B, D)
///     let (action, logProb) = pi.sampleWithLogProb(using: &rng)
///     let actorLoss = (alpha * logProb - q(observation, action)).mean()
public struct TanhNormal: Sendable {
    /// The Gaussian over the pre-squash variable u.
    public let base: Normal

    /// Actions are read inside [−1 + ε, 1 − ε] by `logProb(_:)`, so that
    /// atanh stays finite for actions that are exactly ±1.
    public static let actionEpsilon: Float = 1e-6

    /// - Parameters:
    ///   - mean: (…, D) means μ of the pre-squash Gaussian.
    ///   - logStd: log σ, broadcastable to `mean.shape`.
    public init(mean: Tensor, logStd: Tensor) {
        base = Normal(mean: mean, logStd: logStd)
    }

    /// (…, D) tanh(μ), the squashed mean used for deterministic evaluation.
    /// (The density's true mode can differ from it when σ is large.)
    public var mode: Tensor { base.mean.tanh() }

    /// a = tanh(μ + σ·ε), reparameterised.
    ///
    /// - Returns: (…, D) one action per row, in (−1, 1) (±1 after Float rounding when |u| ≳ 9).
    public func sample(using rng: inout RandomGenerator) -> Tensor {
        base.sample(using: &rng).tanh()
    }

    /// A reparameterised action and its log-density, computed from the
    /// pre-squash draw u rather than from atanh(a), which loses precision
    /// as |a| → 1.
    ///
    /// - Returns: action (…, D) and logProb (…).
    public func sampleWithLogProb(using rng: inout RandomGenerator) -> (action: Tensor, logProb: Tensor) {
        let u = base.sample(using: &rng)
        return (u.tanh(), logProb(preTanh: u))
    }

    /// log π(tanh u) = log N(u; μ, σ²) − Σ_d log(1 − tanh²(u_d))
    /// (SAC, Haarnoja et al. 2018, App. C "Enforcing Action Bounds"), with the Jacobian term
    /// written as log(1 − tanh²(u)) = 2(log 2 − u − softplus(−2u)), which stays
    /// finite where tanh²(u) rounds to 1 (Spinning Up's SAC uses the same form).
    ///
    /// - Parameter u: (…, D) pre-squash values, in the mean's shape.
    /// - Returns: (…) the log-density of the actions tanh(u).
    public func logProb(preTanh u: Tensor) -> Tensor {
        let logTwo: Float = 0.693_147_18
        let logJacobian = 2 * (logTwo - u - (-2 * u).softplus())
        return base.logProb(u) - logJacobian.sum(axis: -1)
    }

    /// log π(a) of given actions, through u = atanh(a) = ½(log(1 + a) − log(1 − a)).
    /// Use `sampleWithLogProb` for the policy's own samples; this is for
    /// actions that come from elsewhere (a replay buffer, a demonstration).
    ///
    /// - Parameter action: (…, D) actions in [−1, 1], clamped to ±(1 − `actionEpsilon`).
    /// - Returns: (…) the log-density of each row.
    public func logProb(_ action: Tensor) -> Tensor {
        let a = action.clamped(-1 + Self.actionEpsilon, 1 - Self.actionEpsilon)
        return logProb(preTanh: 0.5 * ((1 + a).log() - (1 - a).log()))
    }
}

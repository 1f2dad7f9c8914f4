/// Independent Bernoulli variables, one per element of `logits`
/// (DreamerV3's continue predictor, binary actions).
///
/// There is no event axis: every element is its own distribution, so
/// `logProb` and `entropy` have the shape of `logits`. Both are computed from
/// the logits through softplus, never through log σ(l), and stay finite for
/// logits of any magnitude.
///
///     let cont = Bernoulli(logits: continueHead(features))   // (B)
///     let loss = -cont.logProb(1 - terminated).mean()
public struct Bernoulli: Sendable {
    /// (…) log-odds l = log(p / (1 − p)).
    public let logits: Tensor

    /// - Parameter logits: (…) log-odds of the outcome 1.
    public init(logits: Tensor) {
        self.logits = logits
    }

    /// (…) p = σ(l), the probability of 1.
    public var probabilities: Tensor { logits.sigmoid() }

    /// log p(x) = x·log σ(l) + (1 − x)·log σ(−l) = x·l − softplus(l),
    /// since log σ(l) = −softplus(−l) and softplus(l) − softplus(−l) = l.
    ///
    /// - Parameter x: (…) outcomes in {0, 1} (soft targets in [0, 1] give the binary cross-entropy).
    /// - Returns: (…) the log-probability of each element.
    public func logProb(_ x: Tensor) -> Tensor {
        precondition(x.shape == logits.shape, "logProb of shape \(x.shape) for logits of shape \(logits.shape)")
        return x * logits - logits.softplus()
    }

    /// H = −p·log p − (1 − p)·log(1 − p) = softplus(l) − p·l.
    ///
    /// - Returns: (…) the entropy of each element, in nats.
    public func entropy() -> Tensor {
        logits.softplus() - probabilities * logits
    }

    /// (…) 1 where p > ½, else 0. Not differentiable.
    public var mode: Tensor {
        Tensor(logits.scalars.map { $0 > 0 ? 1 : 0 }, shape: logits.shape)
    }

    /// One draw per element: 1 with probability p, else 0. Not differentiable.
    ///
    /// - Returns: (…) values in {0, 1}.
    public func sample(using rng: inout RandomGenerator) -> Tensor {
        let p = logits.detached.sigmoid().scalars
        return Tensor(p.map { rng.uniform() < $0 ? 1 : 0 }, shape: logits.shape)
    }
}

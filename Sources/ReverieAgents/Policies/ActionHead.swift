import ReverieEnvs
import ReverieNN

/// How a policy turns network outputs into actions of an environment's
/// action space, and what an action is in the rollout.
///
/// Actions travel as Float rows: a discrete action is one element holding
/// the index; a continuous action is the policy's raw draw (for `.squashed`,
/// the pre-tanh value u), so log-probabilities are exact. `envAction`
/// maps a raw row to what the environment receives.
public enum ActionHead: Sendable, Equatable {
    /// Categorical over n actions (Discrete(n)).
    case categorical(Int)
    /// Diagonal Gaussian with a state-independent log σ; actions are clipped
    /// to the box before the env sees them (CleanRL's `ppo_continuous_action`).
    case gaussian(low: [Float], high: [Float])
    /// Gaussian squashed by tanh and scaled to the box: a = low + (tanh u + 1)(high − low)/2.
    case squashed(low: [Float], high: [Float])

    /// The head for `space`, or an error saying which spaces PPO handles.
    /// - Parameter squash: for a Box, tanh-squash instead of clipping.
    public init(for space: Space, squash: Bool = false) throws {
        switch space {
        case .discrete(let n):
            self = .categorical(n)
        case .box(let low, let high, _, _):
            guard low.allSatisfy(\.isFinite) && high.allSatisfy(\.isFinite) else {
                throw AgentError.unsupportedSpace(space, reason: "continuous actions need finite bounds")
            }
            self = squash ? .squashed(low: low, high: high) : .gaussian(low: low, high: high)
        case .multiDiscrete:
            throw AgentError.unsupportedSpace(space, reason: "MultiDiscrete actions are not supported yet")
        }
    }

    /// Network outputs per state: logits (K) or means (D).
    public var outputCount: Int {
        switch self {
        case .categorical(let n): n
        case .gaussian(let low, _), .squashed(let low, _): low.count
        }
    }

    /// Floats per action row in the rollout: 1 for an index, D for a vector.
    public var actionWidth: Int {
        if case .categorical = self { return 1 }
        return outputCount
    }

    /// The environment's action for raw rows (B, actionWidth).
    /// - Returns: (B, action shape…) flattened to (B·actionWidth) values, row-major.
    public func envActions(_ raw: [Float]) -> [Float] {
        switch self {
        case .categorical:
            return raw
        case .gaussian(let low, let high):
            let d = low.count
            return raw.indices.map { i in Swift.min(Swift.max(raw[i], low[i % d]), high[i % d]) }
        case .squashed(let low, let high):
            let d = low.count
            return raw.indices.map { i in
                let a = Swift.min(Swift.max(tanhf(raw[i]), -1), 1)
                return low[i % d] + (a + 1) * 0.5 * (high[i % d] - low[i % d])
            }
        }
    }
}

/// A policy's action distribution over a batch of B states.
public enum PolicyDistribution {
    case categorical(Categorical)
    case gaussian(Normal)
    case squashed(TanhNormal)

    /// The distribution of `head` from network outputs (B, K or D) and, for
    /// continuous heads, log σ (D).
    public init(_ head: ActionHead, outputs: Tensor, logStd: Tensor?) {
        switch head {
        case .categorical: self = .categorical(Categorical(logits: outputs))
        case .gaussian: self = .gaussian(Normal(mean: outputs, logStd: logStd!))
        case .squashed: self = .squashed(TanhNormal(mean: outputs, logStd: logStd!))
        }
    }

    /// Rows drawn from the distribution, without gradient.
    /// - Returns: (B·actionWidth) raw action values (see `ActionHead`).
    public func sample(using rng: inout RandomGenerator) -> [Float] {
        switch self {
        case .categorical(let pi): pi.sample(using: &rng).map(Float.init)
        case .gaussian(let pi): pi.detachedSample(using: &rng)
        case .squashed(let pi): pi.base.detachedSample(using: &rng)
        }
    }

    /// The most likely rows (deterministic evaluation), raw as `sample`'s.
    public var mode: [Float] {
        switch self {
        case .categorical(let pi): pi.mode.map(Float.init)
        case .gaussian(let pi): pi.mean.scalars
        case .squashed(let pi): pi.base.mean.scalars
        }
    }

    /// log π(a) of raw action rows.
    /// - Parameter actions: (B·actionWidth) raw values.
    /// - Returns: (B), recorded on the tape of the network outputs.
    public func logProb(_ actions: [Float]) -> Tensor {
        switch self {
        case .categorical(let pi): return pi.logProb(actions.map { Int($0) })
        case .gaussian(let pi): return pi.logProb(Tensor(actions, shape: pi.mean.shape))
        case .squashed(let pi): return pi.logProb(preTanh: Tensor(actions, shape: pi.base.mean.shape))
        }
    }

    /// (B) entropy in nats. A squashed Gaussian has none in closed form:
    /// −log π(a) of the given actions estimates it (as SB3 does).
    public func entropy(estimatingWith actions: [Float]) -> Tensor {
        switch self {
        case .categorical(let pi): pi.entropy()
        case .gaussian(let pi): pi.entropy()
        case .squashed: -logProb(actions)
        }
    }
}

extension Normal {
    /// μ + σ·ε as plain numbers, off any tape.
    func detachedSample(using rng: inout RandomGenerator) -> [Float] {
        Normal(mean: mean.detached, logStd: logStd.detached).sample(using: &rng).scalars
    }
}

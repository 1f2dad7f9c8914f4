import Foundation
import ReverieAgents
import ReverieEnvs

/// Watches the learning for the two signs of a run going wrong that SB3's and
/// CleanRL's users look for in their logs: the policy's entropy collapsing
/// (it acts as one action, exploring no more) and PPO's approximate KL
/// between old and new policy exploding (each update moves the policy far
/// beyond the trust region the clipping assumes). Each is warned about once
/// per run, when it first happens: a KL hovering about the limit would
/// otherwise fill the log with the same warning.
struct DivergenceWatch {
    /// Entropy below this fraction of the uniform policy's (discrete actions) is a collapse.
    static let entropyFraction: Float = 0.01
    /// An approximate KL above this per update is exploding (CleanRL's target_kl, when used, is 0.01–0.02).
    static let approximateKLLimit: Float = 0.2

    private(set) var warnings: [String] = []
    private var warnedCollapse = false, warnedKL = false

    /// Checks one iteration's metrics; returns the warnings it starts.
    mutating func check(_ metrics: UpdateMetrics, actionSpace: Space, step: Int, isPPO: Bool) -> [String] {
        guard metrics.gradientSteps > 0 else { return [] }
        var new: [String] = []
        if let uniform = Self.uniformEntropy(actionSpace) {
            if metrics.entropy < Self.entropyFraction * uniform && !warnedCollapse {
                warnedCollapse = true
                new.append("warning: the policy's entropy collapsed to \(metrics.entropy) at step \(step) (a uniform policy has \(uniform)): "
                           + "it almost always takes one action. A learning rate too high, or an entropy coefficient too low, often does this")
            }
        }
        if isPPO {
            if metrics.approxKL > Self.approximateKLLimit && !warnedKL {
                warnedKL = true
                new.append("warning: PPO's approximate KL is \(metrics.approxKL) at step \(step) (above \(Self.approximateKLLimit)): "
                           + "updates move the policy far past the clip range. Lower ppo.learning_rate or ppo.update_epochs")
            }
        }
        warnings += new
        return new
    }

    /// ln n for Discrete(n), Σ ln nᵢ for MultiDiscrete; nil where entropy has no ceiling (Box).
    static func uniformEntropy(_ space: Space) -> Float? {
        switch space {
        case .discrete(let n): n > 1 ? Float(Foundation.log(Double(n))) : nil
        case .multiDiscrete(let nvec): nvec.contains { $0 > 1 } ? nvec.reduce(0) { $0 + Float(Foundation.log(Double($1))) } : nil
        case .box: nil
        }
    }
}

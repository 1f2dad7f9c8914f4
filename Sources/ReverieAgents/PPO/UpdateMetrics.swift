/// What one PPO update did, averaged over its gradient steps (CleanRL's
/// `losses/*` scalars).
public struct UpdateMetrics: Sendable, Equatable {
    public var policyLoss: Float
    public var valueLoss: Float
    public var entropy: Float
    /// E[(ρ − 1) − log ρ], an estimate of KL(π_old ‖ π).
    public var approxKL: Float
    /// E[−log ρ], the older estimate CleanRL also logs (`losses/old_approx_kl`).
    public var oldApproxKL: Float = 0
    /// Fraction of samples whose ratio ρ left [1 − ε, 1 + ε].
    public var clipFraction: Float
    /// Global gradient norm before clipping.
    public var gradientNorm: Float
    public var explainedVariance: Float
    public var learningRate: Float
    public var clipRange: Float
    /// Gradient steps taken (fewer than epochs × minibatches after an early stop on target KL).
    public var gradientSteps: Int

    /// One gradient step's numbers.
    struct Step {
        var policyLoss, valueLoss, entropy, approxKL, clipFraction, gradientNorm: Float
        var oldApproxKL: Float = 0
    }

    /// Running sums over an update's gradient steps.
    struct Accumulator {
        private var sum = Step(policyLoss: 0, valueLoss: 0, entropy: 0, approxKL: 0, clipFraction: 0, gradientNorm: 0)
        private var count = 0

        mutating func add(_ s: Step) {
            sum.policyLoss += s.policyLoss
            sum.valueLoss += s.valueLoss
            sum.entropy += s.entropy
            sum.approxKL += s.approxKL
            sum.oldApproxKL += s.oldApproxKL
            sum.clipFraction += s.clipFraction
            sum.gradientNorm += s.gradientNorm
            count += 1
        }

        func metrics(learningRate: Float, clipRange: Float, explainedVariance: Float) -> UpdateMetrics {
            let k = Float(Swift.max(count, 1))
            return UpdateMetrics(policyLoss: sum.policyLoss / k, valueLoss: sum.valueLoss / k, entropy: sum.entropy / k,
                                 approxKL: sum.approxKL / k, oldApproxKL: sum.oldApproxKL / k, clipFraction: sum.clipFraction / k,
                                 gradientNorm: sum.gradientNorm / k, explainedVariance: explainedVariance,
                                 learningRate: learningRate, clipRange: clipRange, gradientSteps: count)
        }
    }
}

/// An episode that ended during a rollout (from `EpisodeStatistics`' info).
public struct EpisodeRecord: Sendable, Equatable {
    public var environment: Int
    public var `return`: Float
    public var length: Int

    /// The episodes that ended in one vector step, from the episode statistics
    /// each env's info carries (`episode_return`, `episode_length`).
    static func ended(in infos: [[String: Float]]) -> [EpisodeRecord] {
        infos.enumerated().compactMap { i, info in
            guard let r = info["episode_return"], let l = info["episode_length"] else { return nil }
            return EpisodeRecord(environment: i, return: r, length: Int(l))
        }
    }
}

/// One iteration of an on-policy agent: collection, then update.
public struct IterationReport: Sendable {
    /// Environment steps taken so far, this iteration's included.
    public var environmentSteps: Int
    public var episodes: [EpisodeRecord]
    public var metrics: UpdateMetrics
    /// Further scalars the agent logs by their TensorBoard tags (a world model's `losses/…`).
    public var scalars: [String: Float] = [:]
}

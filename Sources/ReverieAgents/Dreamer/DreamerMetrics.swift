import ReverieWorldModels

/// What an iteration's updates did, averaged over them.
struct DreamerMetrics {
    struct Step {
        var worldModel = WorldModel.Losses()
        var actorLoss: Float = 0, criticLoss: Float = 0, entropy: Float = 0
        /// The λ-return and the critic's value at the dreams' starts.
        var imaginedReturn: Float = 0, value: Float = 0
        /// S = max(1, P95 − P5) and the EMAs of P5 and P95 it comes from.
        var returnScale: Float = 1, returnLow: Float = 0, returnHigh: Float = 0
        /// The mean of |(R − v)/S| over the dream: how hard the actor is pushed.
        var advantageMagnitude: Float = 0
        /// Each network's gradient norm before clipping (DreamerV3 logs them).
        var worldModelGradientNorm: Float = 0, actorGradientNorm: Float = 0, criticGradientNorm: Float = 0
    }

    private var steps: [Step] = []
    /// Env steps per second of acting time and updates per second of update
    /// time (as sheeprl's `Time/sps_env_interaction` and `Time/sps_train`,
    /// though sheeprl counts frames, × the action repeat): how a run's wall
    /// time splits, and what overlapping the two could gain.
    private var actingSPS: Float?, updatesPerSecond: Float?

    mutating func add(_ step: Step) { steps.append(step) }

    mutating func time(environmentSteps: Int, acting: Duration, updating: Duration) {
        let (actingSeconds, updatingSeconds) = (acting / .seconds(1), updating / .seconds(1))
        if actingSeconds > 0 { actingSPS = Float(Double(environmentSteps) / actingSeconds) }
        if !steps.isEmpty, updatingSeconds > 0 { updatesPerSecond = Float(Double(steps.count) / updatingSeconds) }
    }

    private func mean(_ value: (Step) -> Float) -> Float {
        steps.isEmpty ? 0 : steps.map(value).reduce(0, +) / Float(steps.count)
    }

    func update(learningRate: Float) -> UpdateMetrics {
        UpdateMetrics(policyLoss: mean(\.actorLoss), valueLoss: mean(\.criticLoss), entropy: mean(\.entropy), approxKL: 0,
                      clipFraction: 0, gradientNorm: 0, explainedVariance: 0, learningRate: learningRate, clipRange: 0,
                      gradientSteps: steps.count)
    }

    /// The world model's `losses/…` and the dream's numbers (none before the
    /// first update), and the iteration's timing.
    var scalars: [String: Float] {
        var timing: [String: Float] = [:]
        timing["charts/acting_sps"] = actingSPS
        timing["charts/updates_per_second"] = updatesPerSecond
        guard !steps.isEmpty else { return timing }
        return timing.merging([
            "losses/world_model": mean(\.worldModel.total), "losses/reconstruction": mean(\.worldModel.reconstruction),
            "losses/reward": mean(\.worldModel.reward), "losses/continue": mean(\.worldModel.continuation),
            "losses/kl": mean(\.worldModel.kl), "losses/dynamics": mean(\.worldModel.dynamics),
            "losses/representation": mean(\.worldModel.representation),
            "charts/prior_entropy": mean(\.worldModel.priorEntropy),
            "charts/posterior_entropy": mean(\.worldModel.posteriorEntropy),
            "charts/imagined_return": mean(\.imaginedReturn), "charts/imagined_value": mean(\.value),
            "charts/return_scale": mean(\.returnScale), "charts/return_p5": mean(\.returnLow),
            "charts/return_p95": mean(\.returnHigh), "charts/advantage_magnitude": mean(\.advantageMagnitude),
            "charts/world_model_grad_norm": mean(\.worldModelGradientNorm), "charts/actor_grad_norm": mean(\.actorGradientNorm),
            "charts/critic_grad_norm": mean(\.criticGradientNorm),
        ]) { $1 }
    }
}

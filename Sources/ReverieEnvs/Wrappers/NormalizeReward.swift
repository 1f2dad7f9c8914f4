/// Scales rewards by the running standard deviation of the discounted return
/// (Gymnasium's `NormalizeReward`, Engstrom et al. 2020's "reward scaling"):
/// R ← γ·R·(1 − done) + r, reward / √(Var[R] + ε). The mean is not removed.
public final class NormalizeReward: EnvironmentWrapper {
    public let statistics = RunningMeanStd(size: 1)
    /// γ of the discounted return whose scale is tracked.
    public let gamma: Double
    public var isUpdating = true
    private var discountedReturn = 0.0

    public init(_ inner: any Environment, gamma: Double = 0.99) {
        self.gamma = gamma
        super.init(inner)
    }

    public override func reset(seed: UInt64?) -> [Float] {
        discountedReturn = 0
        return inner.reset(seed: seed)
    }

    public override func step(_ action: [Float]) throws -> Step {
        var step = try inner.step(action)
        discountedReturn = discountedReturn * gamma + Double(step.reward)
        if isUpdating { statistics.update([Float(discountedReturn)]) }
        step.reward = Float(Double(step.reward) / (statistics.variance[0] + 1e-8).squareRoot())
        if step.isDone { discountedReturn = 0 }
        return step
    }
}

/// Multiplies every reward by a constant.
public final class ScaleReward: EnvironmentWrapper {
    public let scale: Float

    public init(_ inner: any Environment, scale: Float) {
        self.scale = scale
        super.init(inner)
    }

    public override func step(_ action: [Float]) throws -> Step {
        var step = try inner.step(action)
        step.reward *= scale
        return step
    }
}

/// Scales rewards by the running standard deviation of the discounted return
/// (Gymnasium's `NormalizeReward`, Engstrom et al. 2020's "reward scaling"):
/// R ← γ·R·(1 − done) + r, reward / √(Var[R] + ε). The mean is not removed.
public final class NormalizeReward: EnvironmentWrapper {
    public override var keepsObservations: Bool { true }
    public let statistics: RunningMeanStd
    /// γ of the discounted return whose scale is tracked.
    public let gamma: Double
    public var isUpdating = true
    private var discountedReturn = 0.0
    /// As `NormalizeObservation`'s: own statistics go into the snapshot.
    private let ownsStatistics: Bool

    /// - Parameter statistics: statistics of size 1 shared by every env of a
    ///   vector (SB3's `VecNormalize`), or nil for this env's own (Gymnasium's).
    public init(_ inner: any Environment, gamma: Double = 0.99, statistics: RunningMeanStd? = nil) {
        self.gamma = gamma
        self.statistics = statistics ?? RunningMeanStd(size: 1)
        ownsStatistics = statistics == nil
        super.init(inner)
    }

    public override var ownState: [UInt64]? { [discountedReturn.bitPattern] + (ownsStatistics ? statistics.words : []) }
    public override func restoreOwnState(_ words: inout ArraySlice<UInt64>) throws {
        discountedReturn = Double(bitPattern: try words.take(1, for: name)[0])
        if ownsStatistics { try statistics.restore(words: try words.take(3, for: name)[...]) }
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
    public override var keepsObservations: Bool { true }
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

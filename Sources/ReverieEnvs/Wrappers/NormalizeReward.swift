/// Scales rewards by the running standard deviation of the discounted return
/// (Engstrom et al. 2020's "reward scaling"): reward / √(Var[R] + ε), with R
/// the discounted return so far. The mean is not removed.
///
/// Two conventions for R, each checked against its library's own arithmetic
/// (Tests/ReverieEnvsTests/RewardNormalizationTests.swift):
/// - `.gymnasium` (Gymnasium's `NormalizeReward`): R ← γ·R·(1 − terminated) + r.
///   A terminal step's R is its reward alone, and that R carries into the next
///   episode (R₀ = γ·r_T + r₀); truncation and `reset` leave R as it is.
///   Gymnasium keeps this "for backward compatibility"; it is reproduced
///   here exactly.
/// - `.vecNormalize` (Stable-Baselines3's `VecNormalize`): R ← γ·R + r, then
///   R ← 0 after any end (terminated or truncated); SB3 also clips the
///   normalized reward to ±10 (`clip`).
///
/// R is kept in Double; the statistics are updated with R rounded to Float
/// (both libraries keep float64: a relative difference below 10⁻⁶). With
/// `isUpdating` false the statistics are frozen but R still accumulates
/// (SB3 stops accumulating too; the next update then starts from a live R).
public final class NormalizeReward: EnvironmentWrapper {
    public enum Convention: Sendable { case gymnasium, vecNormalize }

    public override var keepsObservations: Bool { true }
    public let statistics: RunningMeanStd
    /// γ of the discounted return whose scale is tracked.
    public let gamma: Double
    /// ε under the square root.
    public let epsilon: Double
    public let convention: Convention
    /// Normalized rewards are clipped to ±clip; nil for none.
    public let clip: Float?
    /// Update the statistics as rewards arrive (false: frozen, for evaluation).
    public var isUpdating = true
    private var discountedReturn = 0.0
    /// As `NormalizeObservation`'s: own statistics go into the snapshot.
    private let ownsStatistics: Bool

    /// - Parameter statistics: statistics of size 1 shared by every env of a
    ///   vector (SB3's `VecNormalize`), or nil for this env's own (Gymnasium's).
    public init(
        _ inner: any Environment, gamma: Double = 0.99, epsilon: Double = 1e-8,
        convention: Convention = .gymnasium, clip: Float? = nil, statistics: RunningMeanStd? = nil
    ) {
        precondition((0...1).contains(gamma), "NormalizeReward: gamma must be in [0, 1], got \(gamma)")
        precondition(epsilon > 0, "NormalizeReward: epsilon must be positive, got \(epsilon)")
        precondition(clip.map { $0 > 0 } ?? true, "NormalizeReward: clip must be positive, got \(clip!)")
        self.gamma = gamma
        self.epsilon = epsilon
        self.convention = convention
        self.clip = clip
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
        if convention == .vecNormalize { discountedReturn = 0 }
        return inner.reset(seed: seed)
    }

    public override func step(_ action: [Float]) throws -> Step {
        var step = try inner.step(action)
        let reward = Double(step.reward)
        switch convention {
        case .gymnasium: discountedReturn = step.terminated ? reward : discountedReturn * gamma + reward
        case .vecNormalize: discountedReturn = discountedReturn * gamma + reward
        }
        if isUpdating { statistics.update([Float(discountedReturn)]) }
        var normalized = Float(reward / (statistics.variance[0] + epsilon).squareRoot())
        if let clip { normalized = Swift.min(Swift.max(normalized, -clip), clip) }
        step.reward = normalized
        if convention == .vecNormalize && step.isDone { discountedReturn = 0 }
        return step
    }
}

/// Multiplies every reward by a constant (Gymnasium's
/// `TransformReward(env, lambda r: scale * r)`).
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

/// Observation and reward normalisation of any vector of envs — served ones
/// included — on the learner's side, as Stable-Baselines3's `VecNormalize`
/// wraps any `VecEnv`. Its arithmetic and its order of updates are those of
/// wrapping each env of a `SyncVectorEnvironment` in `NormalizeObservation`
/// and `NormalizeReward(convention: .vecNormalize, clip: 10)` with shared
/// statistics: env by env, a step's observation (the ended episode's last
/// one, where it ended) updates the observation statistics, then the
/// discounted return G_i ← γ·G_i + r updates the reward statistics and
/// r / √(Var[G] + ε) is clipped to ±10, then a new episode's first
/// observation updates them again. A vector built either way steps alike.
///
/// With `isUpdating` false (evaluation), the statistics stay as they are;
/// pass no reward statistics to leave rewards raw.
public final class VectorNormalize: VectorEnvironmentWrapper {
    public let inner: any VectorEnvironment
    public let observations: RunningMeanStd?
    public let rewards: RunningMeanStd?
    public let gamma: Double
    public var isUpdating: Bool
    public let clip: Float = 10
    public let epsilon = 1e-8
    /// G_i, each env's discounted return so far (cleared where an episode ends).
    private var returns: [Double]

    public var wrapped: any VectorEnvironment { inner }
    public var count: Int { inner.count }
    /// Normalised observations are unbounded floats, as `NormalizeObservation` says.
    public var singleObservationSpace: Space {
        observations == nil ? inner.singleObservationSpace
            : .box(low: -.infinity, high: .infinity, shape: inner.singleObservationSpace.shape)
    }
    public var singleActionSpace: Space { inner.singleActionSpace }

    public init(_ inner: any VectorEnvironment, observations: RunningMeanStd?, rewards: RunningMeanStd?, gamma: Double,
                updating: Bool = true) {
        precondition(observations.map { $0.size == inner.singleObservationSpace.flatCount } ?? true,
                     "observation statistics of \(observations?.size ?? 0) values for \(inner.singleObservationSpace)")
        (self.inner, self.observations, self.rewards, self.gamma, isUpdating) = (inner, observations, rewards, gamma, updating)
        returns = Array(repeating: 0, count: inner.count)
    }

    public func reset(seed: UInt64?) throws -> Tensor {
        let first = try inner.reset(seed: seed)
        returns = Array(repeating: 0, count: count)
        guard observations != nil else { return first }
        let d = first.count / count, raw = first.scalars
        return Tensor((0..<count).flatMap { normalized(Array(raw[($0 * d)..<(($0 + 1) * d)])) }, shape: first.shape)
    }

    public func step(_ actions: Tensor) throws -> VectorStep {
        var step = try inner.step(actions)
        let d = step.observations.count / count
        var next = step.observations.scalars
        for i in 0..<count {
            let row = (i * d)..<((i + 1) * d)
            if let final = step.finalObservations[i] {
                step.finalObservations[i] = normalized(final)
            } else {
                next.replaceSubrange(row, with: normalized(Array(next[row])))
            }
            if let rewards {
                returns[i] = returns[i] * gamma + Double(step.rewards[i])
                if isUpdating { rewards.update([Float(returns[i])]) }
                let scaled = Float(Double(step.rewards[i]) / (rewards.variance[0] + epsilon).squareRoot())
                step.rewards[i] = Swift.min(Swift.max(scaled, -clip), clip)
                if step.episodeStarts[i] { returns[i] = 0 }
            }
            if step.finalObservations[i] != nil { next.replaceSubrange(row, with: normalized(Array(next[row]))) }
        }
        if observations != nil { step.observations = Tensor(next, shape: step.observations.shape) }
        return step
    }

    public func render(index: Int) throws -> Frame? { try inner.render(index: index) }
    public func close() { inner.close() }

    /// One observation through the statistics (updating them first, as `NormalizeObservation` does).
    private func normalized(_ x: [Float]) -> [Float] {
        guard let observations else { return x }
        if isUpdating { observations.update(x) }
        return observations.normalize(x, epsilon: epsilon, clip: clip)
    }
}

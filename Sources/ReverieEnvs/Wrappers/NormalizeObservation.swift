/// Normalises observations to zero mean and unit variance with running
/// statistics (Gymnasium's `NormalizeObservation`; SB3's `VecNormalize` when
/// the statistics are shared by every env of a vector). Set `isUpdating` to
/// false to freeze the statistics for evaluation.
public final class NormalizeObservation: EnvironmentWrapper {
    public let statistics: RunningMeanStd
    public var isUpdating = true
    /// Normalised values are clipped to ±clip (SB3 uses 10); nil for none.
    public let clip: Float?
    /// The statistics are this wrapper's own (they go into its snapshot),
    /// not shared ones that whoever shares them saves.
    private let ownsStatistics: Bool

    /// - Parameter statistics: shared statistics, or nil for this env's own.
    public init(_ inner: any Environment, statistics: RunningMeanStd? = nil, clip: Float? = 10) {
        self.statistics = statistics ?? RunningMeanStd(size: inner.observationSpace.flatCount)
        ownsStatistics = statistics == nil
        self.clip = clip
        super.init(inner)
    }

    public override var ownState: [UInt64]? { ownsStatistics ? statistics.words : [] }
    public override func restoreOwnState(_ words: inout ArraySlice<UInt64>) throws {
        guard ownsStatistics else { return }
        try statistics.restore(words: try words.take(2 * statistics.size + 1, for: name)[...])
    }

    public override var observationSpace: Space { .box(low: -.infinity, high: .infinity, shape: inner.observationSpace.shape) }

    public override func reset(seed: UInt64?) -> [Float] { normalize(inner.reset(seed: seed)) }

    public override func step(_ action: [Float]) throws -> Step {
        var step = try inner.step(action)
        step.observation = normalize(step.observation)
        return step
    }

    private func normalize(_ x: [Float]) -> [Float] {
        if isUpdating { statistics.update(x) }
        return statistics.normalize(x, clip: clip)
    }
}

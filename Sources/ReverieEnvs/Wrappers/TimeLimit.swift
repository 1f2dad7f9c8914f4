/// Truncates episodes after `maxEpisodeSteps` steps (Gymnasium's `TimeLimit`).
/// An episode that terminates on its last allowed step is terminated, and
/// also truncated, exactly as Gymnasium reports it.
public final class TimeLimit: EnvironmentWrapper {
    public override var keepsObservations: Bool { true }
    public let maxEpisodeSteps: Int
    /// Steps since the last reset.
    public var elapsedSteps: Int { elapsed }
    /// Private storage, so the compiler sees every access and drops the
    /// run-time exclusivity checks a public stored property costs per step.
    private var elapsed = 0

    public init(_ inner: any Environment, maxEpisodeSteps: Int) {
        precondition(maxEpisodeSteps > 0, "maxEpisodeSteps must be positive")
        self.maxEpisodeSteps = maxEpisodeSteps
        super.init(inner)
    }

    public override func reset(seed: UInt64?) -> [Float] {
        elapsed = 0
        return inner.reset(seed: seed)
    }

    public override func step(_ action: [Float]) throws -> Step {
        var step = try inner.step(action)
        elapsed += 1
        if elapsed >= maxEpisodeSteps { step.truncated = true }
        return step
    }

    public override var ownState: [UInt64]? { [UInt64(elapsedSteps)] }
    public override func restoreOwnState(_ words: inout ArraySlice<UInt64>) throws {
        elapsed = Int(try words.take(1, for: "TimeLimit")[0])
    }
}

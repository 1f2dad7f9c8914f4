/// Adds the episode's return and length to `info` of the step that ends it
/// (Gymnasium's `RecordEpisodeStatistics`): `"episode_return"`,
/// `"episode_length"`. Put it inside reward-changing wrappers so it reports
/// the environment's own reward.
public final class EpisodeStatistics: EnvironmentWrapper {
    public override var keepsObservations: Bool { true }
    /// The running episode's return and length so far.
    public var episodeReturn: Double { total }
    public var episodeLength: Int { length }
    /// Private storage, so the compiler sees every access and drops the
    /// run-time exclusivity checks a public stored property costs per step.
    private var total: Double = 0, length = 0

    public override func reset(seed: UInt64?) -> [Float] {
        (total, length) = (0, 0)
        return inner.reset(seed: seed)
    }

    public override func step(_ action: [Float]) throws -> Step {
        var step = try inner.step(action)
        total += Double(step.reward)
        length += 1
        if step.isDone {
            step.info["episode_return"] = Float(total)
            step.info["episode_length"] = Float(length)
        }
        return step
    }

    public override var ownState: [UInt64]? { [total.bitPattern, UInt64(length)] }
    public override func restoreOwnState(_ words: inout ArraySlice<UInt64>) throws {
        let w = try words.take(2, for: "EpisodeStatistics")
        (total, length) = (Double(bitPattern: w[0]), Int(w[1]))
    }
}

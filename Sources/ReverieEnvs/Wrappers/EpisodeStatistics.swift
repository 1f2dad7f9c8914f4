/// Adds the episode's return and length to `info` of the step that ends it
/// (Gymnasium's `RecordEpisodeStatistics`): `"episode_return"`,
/// `"episode_length"`. Put it inside reward-changing wrappers so it reports
/// the environment's own reward.
public final class EpisodeStatistics: EnvironmentWrapper {
    public override var keepsObservations: Bool { true }
    public private(set) var episodeReturn: Double = 0
    public private(set) var episodeLength = 0

    public override func reset(seed: UInt64?) -> [Float] {
        episodeReturn = 0
        episodeLength = 0
        return inner.reset(seed: seed)
    }

    public override func step(_ action: [Float]) throws -> Step {
        var step = try inner.step(action)
        episodeReturn += Double(step.reward)
        episodeLength += 1
        if step.isDone {
            step.info["episode_return"] = Float(episodeReturn)
            step.info["episode_length"] = Float(episodeLength)
        }
        return step
    }

    public override var ownState: [UInt64]? { [episodeReturn.bitPattern, UInt64(episodeLength)] }
    public override func restoreOwnState(_ words: inout ArraySlice<UInt64>) throws {
        let w = try words.take(2, for: "EpisodeStatistics")
        (episodeReturn, episodeLength) = (Double(bitPattern: w[0]), Int(w[1]))
    }
}

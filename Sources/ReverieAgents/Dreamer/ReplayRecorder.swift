import ReverieEnvs
import ReverieWorldModels

/// Writes N envs' steps into a `SequenceReplay` in DreamerV3's row
/// convention: x_t with the reward received on arriving at it and the action
/// then taken; an ended episode's last observation (terminal, or cut short)
/// as a row of its own with no action; the next episode's first row flagged.
///
///     try recorder.recordActing(observations: x, actions: a, isFirst: starts)
///     let step = try envs.step(…)
///     try recorder.recordOutcome(step)
public struct ReplayRecorder {
    public let replay: SequenceReplay
    /// (N) r_t of the observation each env stands at (0 at an episode's first).
    public var arrivalRewards: [Float]

    public init(replay: SequenceReplay) {
        self.replay = replay
        arrivalRewards = Array(repeating: 0, count: replay.streams)
    }

    /// x_t of every env and the action about to be taken.
    /// - Parameters:
    ///   - observations: N·O values, env by env.
    ///   - actions: N·A values as the model reads them.
    ///   - isFirst: (N) x_t opens an episode.
    public func recordActing(observations: [Float], actions: [Float], isFirst: [Bool]) throws {
        let (o, a) = (replay.observationSize, replay.actionSize)
        for i in 0..<replay.streams {
            try replay.append(stream: i, observation: Array(observations[(i * o)..<((i + 1) * o)]),
                              action: Array(actions[(i * a)..<((i + 1) * a)]), reward: arrivalRewards[i],
                              terminated: false, isFirst: isFirst[i])
        }
    }

    /// The step's outcome: each ended episode's last observation, and r_{t+1} for the rest.
    public mutating func recordOutcome(_ step: VectorStep) throws {
        for i in 0..<replay.streams {
            if step.episodeStarts[i], let last = step.finalObservations[i] {
                try replay.append(stream: i, observation: last, action: Array(repeating: 0, count: replay.actionSize),
                                  reward: step.rewards[i], terminated: step.terminated[i], isFirst: false)
                arrivalRewards[i] = 0
            } else {
                arrivalRewards[i] = step.rewards[i]
            }
        }
    }
}

import ReverieEnvs
import ReverieWorldModels

/// How far a world-model agent's reading of its observations strays from
/// them while it plays: per span of steps into an episode, the mean absolute
/// error of each decoded observation value (x̂_t, the reconstruction of the
/// posterior features f_t, in the observation's units) beside the mean
/// absolute value observed. A model that tracks the env reads every value
/// well at every step; one whose state drifts over a long episode shows the
/// error growing span by span.
public struct ReconstructionErrors: Sendable, Equatable {
    /// Steps per span: span k holds steps k·span ..< (k + 1)·span of each episode.
    public let span: Int
    /// [span][value] mean |x̂ − x|, and mean |x|.
    public var error: [[Float]], magnitude: [[Float]]
    /// Steps seen in each span, over all episodes.
    public var counts: [Int]
}

/// Plays `episodes` episodes with the agent's own acting (`step`, so an
/// acting window counts; the actor's mode) and measures its reconstructions.
/// - Parameters:
///   - seed: episode k starts from `reset(seed: seed + k)`, as `evaluate`.
///   - span: steps per row of the result.
public func reconstructionErrors(_ network: DreamerNetwork, in environment: any Environment, episodes: Int, seed: UInt64,
                                 span: Int = 50) throws -> ReconstructionErrors {
    precondition(span >= 1 && episodes >= 1, "reconstructionErrors needs span ≥ 1 and episodes ≥ 1")
    let width = network.observationSize
    var errorSums: [[Float]] = [], magnitudeSums: [[Float]] = [], counts: [Int] = []
    for k in 0..<episodes {
        var observation = environment.reset(seed: seed &+ UInt64(k))
        var memory = network.initialMemory(batch: 1)
        for t in 0... {
            let (pi, _, next) = network.step(Tensor(observation, shape: [1, width]), memory: memory)
            let decoded = network.worldModel.reconstruction(network.unpack(next).0.features).scalars
            let row = t / span
            if row == counts.count {
                errorSums.append([Float](repeating: 0, count: width))
                magnitudeSums.append([Float](repeating: 0, count: width))
                counts.append(0)
            }
            for i in 0..<width {
                errorSums[row][i] += abs(decoded[i] - observation[i])
                magnitudeSums[row][i] += abs(observation[i])
            }
            counts[row] += 1
            let raw = pi.mode
            memory = network.remember(actions: raw, in: next)
            let step = try environment.step(network.head.envActions(raw))
            observation = step.observation
            if step.isDone { break }
        }
    }
    let mean = { (sums: [[Float]]) in zip(sums, counts).map { row, n in row.map { $0 / Float(n) } } }
    return ReconstructionErrors(span: span, error: mean(errorSums), magnitude: mean(magnitudeSums), counts: counts)
}

/// N MinAtar games stepped as one batch: step for step what a
/// `SyncVectorEnvironment` of N `Registry.make("MinAtar/<Game>-v…")` envs
/// gives — sticky actions, the time limit, episode statistics in `infos`,
/// same-step autoreset, seeds s + i — and the same snapshot words, without a
/// wrapper chain and an observation array per env and step: each game draws
/// straight into the batch. `Registry.makeVector` builds it.
final class MinAtarVector<Game: MinAtarGame>: VectorSnapshotting {
    let count: Int
    let singleObservationSpace: Space
    let singleActionSpace: Space
    /// The spec the envs were made from (named in errors).
    let name: String
    private let actionSet: [MinAtarAction]
    private let stickiness: Double
    /// Steps after which an episode is truncated; 0 for no limit.
    private let maxEpisodeSteps: Int
    private var lanes: [MinAtarLane<Game>]
    /// Each env's episode so far: return (as `EpisodeStatistics` sums it, in
    /// double precision), length, and steps counted by the time limit.
    private var returns: [Double], lengths: [Int], elapsed: [Int]
    private var buffers: StepBuffers
    private let batchShape: [Int]

    init(count: Int, minimalActions: Bool, stickiness: Double, ramping: Bool, maxEpisodeSteps: Int, name: String) {
        precondition(count >= 1, "a vector needs at least one environment")
        (self.count, self.name, self.stickiness, self.maxEpisodeSteps) = (count, name, stickiness, maxEpisodeSteps)
        actionSet = minimalActions ? Game.minimalActions : MinAtarAction.allCases
        singleObservationSpace = MinAtarLane<Game>.observationSpace
        singleActionSpace = .discrete(actionSet.count)
        lanes = Array(repeating: MinAtarLane(ramping: ramping), count: count)
        (returns, lengths, elapsed) = (Array(repeating: 0, count: count), Array(repeating: 0, count: count), Array(repeating: 0, count: count))
        buffers = StepBuffers(count: count)
        batchShape = [count] + singleObservationSpace.shape
    }

    func reset(seed: UInt64?) throws -> Tensor {
        let size = MinAtarLane<Game>.observationSize
        for i in 0..<count {
            lanes[i].reset(seed: seed.map { $0 &+ UInt64(i) })
            (returns[i], lengths[i], elapsed[i]) = (0, 0, 0)
        }
        return Tensor(shape: batchShape) { cells in
            for i in 0..<count { lanes[i].draw(into: cells.baseAddress! + i * size) }
        }
    }

    func step(_ actions: Tensor) throws -> VectorStep {
        precondition(actions.count == count, "\(count) environments need actions of shape [\(count)], got \(actions.shape)")
        // Every action is checked before any env moves: a bad one changes nothing.
        let chosen = try actions.withUnsafeBufferPointer { a in
            try (0..<count).map { i in
                guard singleActionSpace.contains([a[i]]) else {
                    throw EnvironmentError.invalidAction(environment: "\(name) (env \(i))", space: singleActionSpace, action: [a[i]])
                }
                return actionSet[Int(a[i])]
            }
        }
        // Taken out of `self` so that it is uniquely referenced (unless the
        // caller still holds the last step's arrays) and written in place.
        var out = buffers
        buffers = StepBuffers(count: 0)
        defer { buffers = out }
        out.clearEndings()
        let size = MinAtarLane<Game>.observationSize, cap = maxEpisodeSteps, stickiness = stickiness
        let observations = Tensor(shape: batchShape) { cells in
            lanes.withUnsafeMutableBufferPointer { lanes in
                for i in 0..<count {
                    let slot = cells.baseAddress! + i * size
                    let (points, terminal) = lanes[i].step(chosen[i], stickiness: stickiness)
                    let reward = Float(points)
                    out.rewards[i] = reward
                    returns[i] += Double(reward)
                    lengths[i] += 1
                    elapsed[i] += 1
                    let truncated = cap > 0 && elapsed[i] >= cap
                    lanes[i].draw(into: slot)
                    guard terminal || truncated else { continue }
                    if terminal { out.terminated[i] = true }
                    if truncated { out.truncated[i] = true }
                    out.finals[i] = Array(UnsafeBufferPointer(start: slot, count: size))
                    out.infos[i] = ["episode_return": Float(returns[i]), "episode_length": Float(lengths[i])]
                    out.ended.append(i)
                    lanes[i].reset(seed: nil)
                    (returns[i], lengths[i], elapsed[i]) = (0, 0, 0)
                    lanes[i].draw(into: slot)
                }
            }
        }
        return VectorStep(observations: observations, rewards: out.rewards, terminated: out.terminated,
                          truncated: out.truncated, finalObservations: out.finals, infos: out.infos)
    }

    func render(index: Int) throws -> Frame? {
        let cells = [Float](unsafeUninitializedCapacity: MinAtarLane<Game>.observationSize) { buffer, n in
            lanes[index].draw(into: buffer.baseAddress!)
            n = buffer.count
        }
        return MinAtarLane<Game>.frame(cells)
    }

    /// Per env, its length, then `EpisodeStatistics`' words (return, length),
    /// `TimeLimit`'s (steps) when there is a limit, and the lane's: the
    /// words a `SyncVectorEnvironment` of `Registry.make` envs writes.
    var snapshot: [UInt64]? {
        var words: [UInt64] = []
        for i in 0..<count {
            let env = [returns[i].bitPattern, UInt64(lengths[i])] + (maxEpisodeSteps > 0 ? [UInt64(elapsed[i])] : [])
                + lanes[i].snapshot
            words += [UInt64(env.count)] + env
        }
        return words
    }

    func restore(_ snapshot: [UInt64]) throws {
        var words = snapshot[...]
        var (lanes, returns, lengths, elapsed) = (self.lanes, self.returns, self.lengths, self.elapsed)
        for i in 0..<count {
            let n = Int(try words.take(1, for: name)[0])
            var env = try words.take(n, for: name)[...]
            let statistics = try env.take(maxEpisodeSteps > 0 ? 3 : 2, for: name)
            (returns[i], lengths[i]) = (Double(bitPattern: statistics[0]), Int(statistics[1]))
            elapsed[i] = maxEpisodeSteps > 0 ? Int(statistics[2]) : 0
            try lanes[i].restore(&env, name: "\(name) (env \(i))")
            guard env.isEmpty else { throw SnapshotError.mismatch(name, "env \(i) has \(env.count) words left over") }
        }
        guard words.isEmpty else { throw SnapshotError.mismatch(name, "\(words.count) words left over") }
        (self.lanes, self.returns, self.lengths, self.elapsed) = (lanes, returns, lengths, elapsed)
    }
}

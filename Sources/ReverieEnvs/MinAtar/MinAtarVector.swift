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
    /// Each env: its game, and its episode so far — return (as
    /// `EpisodeStatistics` sums it, in double precision), length, and the
    /// steps the time limit counts.
    private struct Slot {
        var lane: MinAtarLane<Game>
        var episodeReturn = 0.0, length = 0, elapsed = 0

        mutating func startEpisode(seed: UInt64?) {
            lane.reset(seed: seed)
            (episodeReturn, length, elapsed) = (0, 0, 0)
        }
    }
    private var slots: [Slot]
    private var buffers: StepBuffers
    private let batchShape: [Int]

    init(count: Int, minimalActions: Bool, stickiness: Double, ramping: Bool, maxEpisodeSteps: Int, name: String) {
        precondition(count >= 1, "a vector needs at least one environment")
        (self.count, self.name, self.stickiness, self.maxEpisodeSteps) = (count, name, stickiness, maxEpisodeSteps)
        actionSet = minimalActions ? Game.minimalActions : MinAtarAction.allCases
        singleObservationSpace = MinAtarLane<Game>.observationSpace
        singleActionSpace = .discrete(actionSet.count)
        slots = Array(repeating: Slot(lane: MinAtarLane(ramping: ramping)), count: count)
        buffers = StepBuffers(count: count)
        batchShape = [count] + singleObservationSpace.shape
    }

    func reset(seed: UInt64?) throws -> Tensor {
        let size = MinAtarLane<Game>.observationSize
        for i in 0..<count { slots[i].startEpisode(seed: seed.map { $0 &+ UInt64(i) }) }
        return Tensor(shape: batchShape) { cells in
            for i in 0..<count { slots[i].lane.draw(into: cells.baseAddress! + i * size) }
        }
    }

    // The class is generic and reached through `any VectorEnvironment`, whose calls land in the
    // unspecialised code (every game call through witness tables, every lane copied): each game
    // gets its own specialised step.
    @_specialize(where Game == Asterix) @_specialize(where Game == Breakout) @_specialize(where Game == Freeway)
    @_specialize(where Game == Seaquest) @_specialize(where Game == SpaceInvaders)
    func step(_ actions: Tensor) throws -> VectorStep {
        precondition(actions.count == count, "\(count) environments need actions of shape [\(count)], got \(actions.shape)")
        // Every action is checked before any env moves: a bad one changes nothing.
        let n = actionSet.count
        let chosen = try actions.withUnsafeBufferPointer { a in
            try (0..<count).map { i in
                let x = a[i]
                // What `singleActionSpace.contains` checks for a discrete space, without an array per action.
                guard x >= 0 && x < Float(n) && x == x.rounded(.towardZero) else {
                    throw EnvironmentError.invalidAction(environment: "\(name) (env \(i))", space: singleActionSpace, action: [x])
                }
                return actionSet[Int(x)]
            }
        }
        // Taken out of `self` so that each is uniquely referenced (unless the
        // caller still holds the last step's arrays) and written in place,
        // without an exclusivity check per access of a property.
        var (out, slots) = (buffers, self.slots)
        (buffers, self.slots) = (StepBuffers(count: 0), [])
        defer { (buffers, self.slots) = (out, slots) }
        out.clearEndings()
        let size = MinAtarLane<Game>.observationSize, cap = maxEpisodeSteps, stickiness = stickiness
        let observations = Tensor(shape: batchShape) { cells in
            slots.withUnsafeMutableBufferPointer { slots in
                out.rewards.withUnsafeMutableBufferPointer { rewards in
                    for i in 0..<count {
                        let slot = cells.baseAddress! + i * size
                        let (points, terminal) = slots[i].lane.step(chosen[i], stickiness: stickiness)
                        let reward = Float(points)
                        rewards[i] = reward
                        slots[i].episodeReturn += Double(reward)
                        slots[i].length += 1
                        slots[i].elapsed += 1
                        let truncated = cap > 0 && slots[i].elapsed >= cap
                        slots[i].lane.draw(into: slot)
                        guard terminal || truncated else { continue }
                        if terminal { out.terminated[i] = true }
                        if truncated { out.truncated[i] = true }
                        out.finals[i] = Array(UnsafeBufferPointer(start: slot, count: size))
                        out.infos[i] = ["episode_return": Float(slots[i].episodeReturn), "episode_length": Float(slots[i].length)]
                        out.ended.append(i)
                        slots[i].startEpisode(seed: nil)
                        slots[i].lane.draw(into: slot)
                    }
                }
            }
        }
        return VectorStep(observations: observations, rewards: out.rewards, terminated: out.terminated,
                          truncated: out.truncated, finalObservations: out.finals, infos: out.infos)
    }

    func render(index: Int) throws -> Frame? {
        let cells = [Float](unsafeUninitializedCapacity: MinAtarLane<Game>.observationSize) { buffer, n in
            slots[index].lane.draw(into: buffer.baseAddress!)
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
            let s = slots[i]
            let env = [s.episodeReturn.bitPattern, UInt64(s.length)] + (maxEpisodeSteps > 0 ? [UInt64(s.elapsed)] : [])
                + s.lane.snapshot
            words += [UInt64(env.count)] + env
        }
        return words
    }

    func restore(_ snapshot: [UInt64]) throws {
        var words = snapshot[...]
        var slots = self.slots
        for i in 0..<count {
            let n = Int(try words.take(1, for: name)[0])
            var env = try words.take(n, for: name)[...]
            let statistics = try env.take(maxEpisodeSteps > 0 ? 3 : 2, for: name)
            (slots[i].episodeReturn, slots[i].length) = (Double(bitPattern: statistics[0]), Int(statistics[1]))
            slots[i].elapsed = maxEpisodeSteps > 0 ? Int(statistics[2]) : 0
            try slots[i].lane.restore(&env, name: "\(name) (env \(i))")
            guard env.isEmpty else { throw SnapshotError.mismatch(name, "env \(i) has \(env.count) words left over") }
        }
        guard words.isEmpty else { throw SnapshotError.mismatch(name, "\(words.count) words left over") }
        self.slots = slots
    }
}

/// In-process environments stepped one after another in the calling thread
/// (Gymnasium's `SyncVectorEnv`), with same-step autoreset.
public final class SyncVectorEnvironment: VectorSnapshotting, SubsetStepping {
    public let environments: [any Environment]
    public let singleObservationSpace: Space
    public let singleActionSpace: Space
    /// One action array per env, overwritten in place each step (no allocation
    /// per env step; an env that keeps its action array forces a copy instead).
    private var actionBuffers: [[Float]]
    /// The arrays of the last `VectorStep`, written in place by the next step
    /// when the caller has let go of them (else copied on write, as any
    /// array): a step then allocates only its observations.
    private var buffers: StepBuffers
    /// Flat sizes of one env's action and observation, and (N, observation shape…).
    private let actionSize: Int, observationSize: Int, batchShape: [Int]
    /// The observations of the last reset or step: what an env left out of a step repeats.
    private var latest: Tensor?
    /// (N) each env's latest step `info`; empty after a reset (an in-process
    /// env's reset returns no info).
    public private(set) var latestInfos: [[String: Float]]

    /// - Parameter environments: N ≥ 1 environments with identical spaces.
    public init(_ environments: [any Environment]) throws {
        guard let first = environments.first else {
            throw EnvironmentError.invalidOption(environment: "SyncVectorEnvironment", option: "count", reason: "must be at least 1")
        }
        for env in environments where env.observationSpace != first.observationSpace || env.actionSpace != first.actionSpace {
            throw EnvironmentError.invalidOption(
                environment: env.name, option: "spaces",
                reason: "differ from \(first.name)'s: \(env.observationSpace)/\(env.actionSpace) vs \(first.observationSpace)/\(first.actionSpace)")
        }
        self.environments = environments
        singleObservationSpace = first.observationSpace
        singleActionSpace = first.actionSpace
        actionBuffers = Array(repeating: [Float](repeating: 0, count: first.actionSpace.flatCount), count: environments.count)
        buffers = StepBuffers(count: environments.count)
        latestInfos = Array(repeating: [:], count: environments.count)
        (actionSize, observationSize) = (first.actionSpace.flatCount, first.observationSpace.flatCount)
        batchShape = [environments.count] + first.observationSpace.shape
    }

    /// N copies made by `make(i)`.
    public convenience init(count: Int, _ make: (Int) throws -> any Environment) throws {
        try self.init((0..<count).map(make))
    }

    public var count: Int { environments.count }

    public func reset(seed: UInt64?) throws -> Tensor {
        let observations = environments.enumerated().map { i, env in
            env.reset(seed: seed.map { $0 &+ UInt64(i) })
        }
        latestInfos = Array(repeating: [:], count: count)
        latest = try batch(observations)
        return latest!
    }

    public func step(_ actions: Tensor) throws -> VectorStep { try step(actions, active: nil) }

    public var stepsSubsets: Bool { true }

    /// Steps the envs where `active[i]` (every env when nil); one left out
    /// repeats its observation, gets reward 0 and does not end.
    public func step(_ actions: Tensor, active: [Bool]?) throws -> VectorStep {
        precondition(actions.count == count * actionSize,
                     "\(count) environments need actions of shape \([count] + singleActionSpace.shape), got \(actions.shape)")
        precondition(active == nil || active!.count == count, "\(count) environments need \(count) active flags")
        let previous = active == nil ? nil : latest
        precondition(active == nil || previous != nil, "a subset stepped before a reset or a whole step (after a restore)")
        // Taken out of `self` so that each is uniquely referenced (unless the
        // caller still holds the last step's) and written in place.
        var (out, inputs) = (buffers, actionBuffers)
        (buffers, actionBuffers) = (StepBuffers(count: 0), [])
        defer { (buffers, actionBuffers) = (out, inputs) }
        out.clearEndings()
        var failure: Error?
        let observations = Tensor(shape: batchShape) { observations in
            actions.withUnsafeBufferPointer { a in
                out.rewards.withUnsafeMutableBufferPointer { rewards in
                    for i in 0..<count {
                        let env = environments[i]
                        if let active, !active[i], let previous {
                            rewards[i] = 0
                            previous.withUnsafeBufferPointer {
                                (observations.baseAddress! + i * observationSize).update(from: $0.baseAddress! + i * observationSize, count: observationSize)
                            }
                            continue
                        }
                        do {
                            inputs[i].withUnsafeMutableBufferPointer {
                                $0.baseAddress!.update(from: a.baseAddress! + i * actionSize, count: actionSize)
                            }
                            let step = try env.step(inputs[i])
                            rewards[i] = step.reward
                            if step.terminated { out.terminated[i] = true }
                            if step.truncated { out.truncated[i] = true }
                            var observation = step.observation
                            if step.isDone {
                                out.finals[i] = observation
                                observation = env.reset(seed: nil)
                            }
                            if !step.info.isEmpty { out.infos[i] = step.info }
                            latestInfos[i] = step.isDone ? [:] : step.info
                            if step.isDone || !step.info.isEmpty { out.ended.append(i) }
                            try copy(observation, of: env, to: observations.baseAddress! + i * observationSize)
                        } catch {
                            failure = error
                            return
                        }
                    }
                }
            }
        }
        if let failure { throw failure }
        latest = observations
        return VectorStep(observations: observations, rewards: out.rewards, terminated: out.terminated,
                          truncated: out.truncated, finalObservations: out.finals, infos: out.infos)
    }

    public func render(index: Int) throws -> Frame? { environments[index].render() }

    /// Every env's state (each prefixed by its length), or nil if one cannot be saved.
    public var snapshot: [UInt64]? {
        var words: [UInt64] = []
        for env in environments {
            guard let s = (env as? any Snapshotting)?.snapshot else { return nil }
            words += [UInt64(s.count)] + s
        }
        return words
    }

    /// Puts back a `snapshot` of a vector built the same way.
    public func restore(_ snapshot: [UInt64]) throws {
        var words = snapshot[...]
        for env in environments {
            guard let env = env as? any Snapshotting else { throw SnapshotError.unsupported(String(describing: type(of: env))) }
            let n = Int(try words.take(1, for: "SyncVectorEnvironment")[0])
            try env.restore(try words.take(n, for: "SyncVectorEnvironment"))
        }
        guard words.isEmpty else { throw SnapshotError.mismatch("SyncVectorEnvironment", "\(words.count) words left over") }
        latest = nil  // the observations before the restore are not the envs' any more
    }

    /// (N, shape…) from N flat observations.
    private func batch(_ observations: [[Float]]) throws -> Tensor {
        let n = observationSize
        var failure: Error?
        let out = Tensor(shape: batchShape) { out in
            for (i, o) in observations.enumerated() {
                do { try copy(o, of: environments[i], to: out.baseAddress! + i * n) } catch { failure = error; return }
            }
        }
        if let failure { throw failure }
        return out
    }

    /// Writes one observation into the batch, refusing one of the wrong size.
    private func copy(_ observation: [Float], of env: any Environment, to destination: UnsafeMutablePointer<Float>) throws {
        let n = observationSize
        guard observation.count == n else {
            throw EnvironmentError.invalidObservation(environment: env.name, expected: singleObservationSpace, count: observation.count)
        }
        observation.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: n) }
    }
}

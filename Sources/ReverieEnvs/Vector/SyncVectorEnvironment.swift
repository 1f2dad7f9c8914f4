/// In-process environments stepped one after another in the calling thread
/// (Gymnasium's `SyncVectorEnv`), with same-step autoreset.
public final class SyncVectorEnvironment: VectorEnvironment {
    public let environments: [any Environment]
    public let singleObservationSpace: Space
    public let singleActionSpace: Space
    /// One action array per env, overwritten in place each step (no allocation
    /// per env step; an env that keeps its action array forces a copy instead).
    private var actionBuffers: [[Float]]

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
        return try batch(observations)
    }

    public func step(_ actions: Tensor) throws -> VectorStep {
        let actionSize = singleActionSpace.flatCount, observationSize = singleObservationSpace.flatCount
        precondition(actions.count == count * actionSize,
                     "\(count) environments need actions of shape \([count] + singleActionSpace.shape), got \(actions.shape)")
        var rewards = [Float](repeating: 0, count: count)
        var terminated = [Bool](repeating: false, count: count), truncated = terminated
        var finals = [[Float]?](repeating: nil, count: count)
        var infos = [[String: Float]](repeating: [:], count: count)
        var failure: Error?
        var buffers = actionBuffers
        actionBuffers = []  // keeps `buffers` uniquely referenced, so writes go in place
        defer { actionBuffers = buffers }
        let observations = Tensor(shape: [count] + singleObservationSpace.shape) { out in
            actions.withUnsafeBufferPointer { a in
                for (i, env) in environments.enumerated() {
                    do {
                        buffers[i].withUnsafeMutableBufferPointer {
                            $0.baseAddress!.update(from: a.baseAddress! + i * actionSize, count: actionSize)
                        }
                        let step = try env.step(buffers[i])
                        rewards[i] = step.reward
                        terminated[i] = step.terminated
                        truncated[i] = step.truncated
                        if !step.info.isEmpty { infos[i] = step.info }
                        var observation = step.observation
                        if step.isDone {
                            finals[i] = observation
                            observation = env.reset(seed: nil)
                        }
                        try copy(observation, of: env, to: out.baseAddress! + i * observationSize)
                    } catch {
                        failure = error
                        return
                    }
                }
            }
        }
        if let failure { throw failure }
        return VectorStep(observations: observations, rewards: rewards, terminated: terminated,
                          truncated: truncated, finalObservations: finals, infos: infos)
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
    }

    /// (N, shape…) from N flat observations.
    private func batch(_ observations: [[Float]]) throws -> Tensor {
        let n = singleObservationSpace.flatCount
        var failure: Error?
        let out = Tensor(shape: [count] + singleObservationSpace.shape) { out in
            for (i, o) in observations.enumerated() {
                do { try copy(o, of: environments[i], to: out.baseAddress! + i * n) } catch { failure = error; return }
            }
        }
        if let failure { throw failure }
        return out
    }

    /// Writes one observation into the batch, refusing one of the wrong size.
    private func copy(_ observation: [Float], of env: any Environment, to destination: UnsafeMutablePointer<Float>) throws {
        let n = singleObservationSpace.flatCount
        guard observation.count == n else {
            throw EnvironmentError.invalidObservation(environment: env.name, expected: singleObservationSpace, count: observation.count)
        }
        observation.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: n) }
    }
}

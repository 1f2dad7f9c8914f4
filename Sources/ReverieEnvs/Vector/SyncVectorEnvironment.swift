/// In-process environments stepped one after another in the calling thread
/// (Gymnasium's `SyncVectorEnv`), with same-step autoreset.
public final class SyncVectorEnvironment: VectorEnvironment {
    public let environments: [any Environment]
    public let singleObservationSpace: Space
    public let singleActionSpace: Space

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
        return batch(observations)
    }

    public func step(_ actions: [[Float]]) throws -> VectorStep {
        precondition(actions.count == count, "\(count) environments need \(count) actions, got \(actions.count)")
        var observations: [[Float]] = [], rewards: [Float] = [], terminated: [Bool] = [], truncated: [Bool] = []
        var finals: [[Float]?] = [], infos: [[String: Float]] = []
        observations.reserveCapacity(count)
        for (env, action) in zip(environments, actions) {
            let step = try env.step(action)
            rewards.append(step.reward)
            terminated.append(step.terminated)
            truncated.append(step.truncated)
            infos.append(step.info)
            if step.isDone {
                finals.append(step.observation)
                observations.append(env.reset(seed: nil))
            } else {
                finals.append(nil)
                observations.append(step.observation)
            }
        }
        return VectorStep(observations: batch(observations), rewards: rewards, terminated: terminated,
                          truncated: truncated, finalObservations: finals, infos: infos)
    }

    public func render(index: Int) throws -> Frame? { environments[index].render() }

    /// (N, shape…) from N flat observations.
    private func batch(_ observations: [[Float]]) -> Tensor {
        let n = singleObservationSpace.flatCount
        return Tensor(shape: [count] + singleObservationSpace.shape) { out in
            for (i, o) in observations.enumerated() {
                precondition(o.count == n, "\(environments[i].name) returned \(o.count) values for observation space \(singleObservationSpace)")
                for j in 0..<n { out[i * n + j] = o[j] }
            }
        }
    }
}

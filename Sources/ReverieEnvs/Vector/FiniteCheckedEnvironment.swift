/// Checks every observation and reward a vector environment returns for NaN
/// and infinity, where they enter the agent: a non-finite number from an env
/// (a served one, a buggy one) would otherwise surface far away, as a
/// sampler's precondition or a NaN loss, with nothing saying where it came from.
///
/// `.stop` throws `NonFiniteValueError` naming the env, the step and the
/// field; `.zero` replaces the value by 0, counts it and tells `warn` the
/// first time each env sends one.
public final class FiniteCheckedEnvironment: VectorEnvironment, VectorEnvironmentWrapper {
    public enum Policy: String, Sendable { case stop, zero }

    public let wrapped: any VectorEnvironment
    public let policy: Policy
    /// Non-finite values replaced by 0 so far (policy `.zero`).
    public private(set) var replacedValues = 0
    /// Told the first time each env sends a non-finite value (policy `.zero`).
    public var warn: ((String) -> Void)?
    /// Vector steps taken since the last reset, for the messages.
    private var steps = 0
    private var warned: Set<Int> = []

    public init(_ wrapped: any VectorEnvironment, policy: Policy) {
        (self.wrapped, self.policy) = (wrapped, policy)
    }

    public var count: Int { wrapped.count }
    public var singleObservationSpace: Space { wrapped.singleObservationSpace }
    public var singleActionSpace: Space { wrapped.singleActionSpace }

    public func reset(seed: UInt64?) throws -> Tensor {
        steps = 0
        var observations = try wrapped.reset(seed: seed)
        try check(&observations, field: "reset observation")
        return observations
    }

    public func step(_ actions: Tensor) throws -> VectorStep {
        steps += 1
        var step = try wrapped.step(actions)
        try check(&step.observations, field: "observation")
        for i in step.rewards.indices where !step.rewards[i].isFinite {
            try found(step.rewards[i], env: i, field: "reward")
            step.rewards[i] = 0
        }
        for i in step.finalObservations.indices {
            guard let final = step.finalObservations[i], let j = final.firstIndex(where: { !$0.isFinite }) else { continue }
            try found(final[j], env: i, field: "final observation, element \(j)")
            step.finalObservations[i] = final.map { $0.isFinite ? $0 : 0 }
        }
        return step
    }

    public func render(index: Int) throws -> Frame? { try wrapped.render(index: index) }
    public func close() { wrapped.close() }

    /// (N, obs…): each non-finite element found, then replaced by 0.
    private func check(_ observations: inout Tensor, field: String) throws {
        guard observations.withUnsafeBufferPointer({ $0.contains { !$0.isFinite } }) else { return }
        let size = max(singleObservationSpace.flatCount, 1)
        var values = observations.scalars
        for i in values.indices where !values[i].isFinite {
            try found(values[i], env: i / size, field: "\(field), element \(i % size)")
            values[i] = 0
        }
        observations = Tensor(values, shape: observations.shape)
    }

    private func found(_ value: Float, env: Int, field: String) throws {
        let place = "env \(env) at step \(steps) (\(field))"
        guard policy == .zero else { throw NonFiniteValueError(value: value, env: env, step: steps, field: field) }
        replacedValues += 1
        if warned.insert(env).inserted {
            warn?("\(value) from \(place) replaced by 0 (run.non_finite = \"zero\"); further ones from this env are counted, not shown")
        }
    }
}

/// A NaN or infinity an environment returned.
public struct NonFiniteValueError: Error, CustomStringConvertible {
    public let value: Float
    public let env: Int
    /// Vector steps since the last reset (0: the reset itself).
    public let step: Int
    public let field: String

    public var description: String {
        "env \(env) returned \(value) at step \(step) (\(field)); the run stops here. "
            + "Fix the environment, or set run.non_finite = \"zero\" to replace such values by 0 and go on"
    }
}

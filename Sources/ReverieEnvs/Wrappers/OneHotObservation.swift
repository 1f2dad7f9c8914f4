/// Replaces a Discrete or MultiDiscrete observation by the concatenation of
/// one-hot vectors, one per entry (what recurrent policies read best).
public final class OneHotObservation: EnvironmentWrapper {
    private let depths: [Int]

    public override init(_ inner: any Environment) {
        switch inner.observationSpace {
        case .discrete(let n): depths = [n]
        case .multiDiscrete(let nvec): depths = nvec
        case let space: preconditionFailure("OneHotObservation needs a Discrete or MultiDiscrete observation space, got \(space)")
        }
        super.init(inner)
    }

    public override var observationSpace: Space { .box(low: 0, high: 1, shape: [depths.reduce(0, +)]) }

    public override func reset(seed: UInt64?) -> [Float] { encode(inner.reset(seed: seed)) }

    public override func step(_ action: [Float]) throws -> Step {
        var step = try inner.step(action)
        step.observation = encode(step.observation)
        return step
    }

    private func encode(_ x: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: depths.reduce(0, +))
        var offset = 0
        for (value, depth) in zip(x, depths) {
            out[offset + Int(value)] = 1
            offset += depth
        }
        return out
    }
}

import ReverieEnvs

/// An environment of your own: a corridor of `length` cells. The agent starts
/// at the left end and steps left (0) or right (1); reaching the right end
/// pays +1 and ends the episode. It observes which cell it is in, a
/// Discrete observation the policy reads one-hot.
public final class Corridor: Environment {
    public let length: Int
    public var name: String { "Corridor-v0?length=\(length)" }
    public var observationSpace: Space { .discrete(length) }
    public let actionSpace = Space.discrete(2)
    private var cell = 0

    public init(length: Int = 8) { self.length = length }

    public func reset(seed: UInt64?) -> [Float] {
        cell = 0
        return [0]
    }

    public func step(_ action: [Float]) throws -> Step {
        try validate(action)
        cell = max(0, cell + (action[0] == 1 ? 1 : -1))
        let atGoal = cell == length - 1
        return Step(observation: [Float(cell)], reward: atGoal ? 1 : 0, terminated: atGoal)
    }

    public func render() -> Frame? { nil }

    /// How `Registry` makes it by name: `Corridor-v0`, `Corridor-v0?length=12`;
    /// an episode is cut after 32 steps, as Gymnasium's registry cuts one.
    public static let registration = Registration("Corridor-v0", summary: "walk right to the end of a corridor (+1)",
                                                  maxEpisodeSteps: 32) { options in
        var options = options
        let length = try options.int("length", default: 8, in: 2...1000)
        try options.finish()
        return Corridor(length: length)
    }
}

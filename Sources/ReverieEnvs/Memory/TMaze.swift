/// A passive T-Maze for long memory (Bakker 2001; the passive variant of Ni
/// et al. 2023, "When Do Transformers Shine in RL?"): the agent starts at the
/// foot of a corridor of `length` cells and sees a cue, up or down, on the
/// first step only. At the junction at the far end it must turn the way the
/// cue said.
///
/// - Observation: `Box(0, 1, (3,))`, [cue up, cue down, at junction]: the cue
///   one-hot at the start only, zeros in the corridor, the junction flag at
///   the end.
/// - Action: `Discrete(3)`: 0 forward, 1 turn up, 2 turn down. Turning in the
///   corridor bumps a wall (nothing happens); forward at the junction likewise.
/// - Reward: +1 for turning the cued way at the junction, −1 for the other
///   way (then `terminated`); 0 otherwise. Without a penalty returns lie in
///   [−1, 1]: an oracle earns 1 in `length + 1` steps, a uniformly random
///   policy 0 in expectation (either turn is equally likely to come first).
/// - Penalty (optional, 0 by default): −`penalty` for every step that does
///   not move forward and does not turn at the junction (a bump into a wall,
///   or "forward" at the junction). Ni et al.'s passive T-Maze uses
///   1/(length + 1): moving on is then learnable without memory, and what is
///   left to learn is the memory (`TMaze?length=40&penalty=0.0244`). The
///   oracle still earns 1; dawdling pushes returns below −1.
/// - Length: its registration adds a `TimeLimit` of 2·length + 10 steps, so a
///   policy that never turns is truncated.
public final class TMaze: Environment, Snapshotting {
    public let name: String
    public let observationSpace = Space.box(low: 0, high: 1, shape: [3])
    public let actionSpace = Space.discrete(3)
    /// Corridor cells between the start and the junction.
    public let length: Int
    /// Cost of a step in the corridor that does not move forward.
    public let penalty: Float
    /// Where the agent stands: 0 at the start, `length` at the junction.
    public private(set) var position = 0
    /// True if the cue says up.
    public private(set) var cueUp = true
    private var rng = ClassicControl.unseededGenerator()
    private var needsReset = true

    public init(length: Int = 10, penalty: Float = 0) {
        precondition(length >= 1, "a T-Maze corridor needs at least one cell")
        precondition(penalty >= 0, "a T-Maze penalty is a cost ≥ 0, got \(penalty)")
        self.length = length
        self.penalty = penalty
        name = penalty > 0 ? "TMaze?length=\(length)&penalty=\(penalty)" : "TMaze?length=\(length)"
    }

    public func reset(seed: UInt64?) -> [Float] {
        if let seed { rng = RandomGenerator(seed: seed) }
        cueUp = rng.int(below: 2) == 0
        position = 0
        needsReset = false
        return [cueUp ? 1 : 0, cueUp ? 0 : 1, 0]
    }

    public func step(_ action: [Float]) throws -> Step {
        try validate(action)
        guard !needsReset else { throw EnvironmentError.stepAfterEnd(environment: name) }
        let turn = Int(action[0])
        if position == length && turn != 0 {
            needsReset = true
            let correct = (turn == 1) == cueUp
            return Step(observation: [0, 0, 1], reward: correct ? 1 : -1, terminated: true)
        }
        let moves = turn == 0 && position < length
        if moves { position += 1 }
        return Step(observation: [0, 0, position == length ? 1 : 0], reward: moves ? 0 : -penalty, terminated: false)
    }

    public func render() -> Frame? { nil }

    /// Position, cue, the episode flag and the generator.
    public var snapshot: [UInt64]? { [UInt64(position), cueUp ? 1 : 0, needsReset ? 1 : 0] + rng.state }

    public func restore(_ words: inout ArraySlice<UInt64>) throws {
        let w = try words.take(3 + rng.state.count, for: name)
        guard w[0] <= UInt64(length) else { throw SnapshotError.mismatch(name, "position \(w[0]) beyond the corridor's \(length)") }
        (position, cueUp, needsReset) = (Int(w[0]), w[1] != 0, w[2] != 0)
        rng = RandomGenerator(state: Array(w[3...]))
    }
}

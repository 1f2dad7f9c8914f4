/// POPGym's position-only ("stateless") CartPole
/// (popgym/envs/position_only_cartpole.py): Gymnasium's CartPole with the two
/// velocities hidden, so balancing needs memory to estimate them.
///
/// - Observation: `Box(±[4.8, 0.419], (2,))`, [cart position, pole angle].
/// - Action: `Discrete(2)`, push left / right.
/// - Reward: 1/L per step, so a full-length episode returns 1 (POPGym's
///   `reward_transform`; returns lie in [0, 1]).
/// - Length: terminates as CartPole; truncated after L steps by the `TimeLimit`
///   its registration adds. Levels: L = 200 (easy), 400 (medium), 600 (hard).
///
/// `CartPoleNoVel-v1` (rl-zoo's name) is the same env on CartPole-v1's terms:
/// reward 1 per step and 500 steps, so returns compare with CartPole-v1's.
public final class PositionOnlyCartPole: Environment {
    public let name: String
    public let observationSpace = Space.box(
        low: [-Float(CartPole.xThreshold * 2), -Float(CartPole.thetaThreshold * 2)],
        high: [Float(CartPole.xThreshold * 2), Float(CartPole.thetaThreshold * 2)], shape: [2], dtype: .float32)
    public let actionSpace = Space.discrete(2)
    /// L, the episode length (that earns return 1 when rewards are scaled).
    public let maxEpisodeSteps: Int
    /// The reward of a step: 1/L (POPGym) or 1 (CartPole-v1).
    public let stepReward: Float
    /// The full-state CartPole underneath (its `state` is what an oracle may read).
    public let cartPole = CartPole()

    public init(difficulty: Difficulty = .easy) {
        maxEpisodeSteps = switch difficulty { case .easy: 200; case .medium: 400; case .hard: 600 }
        name = "StatelessCartPole?difficulty=\(difficulty.rawValue)"
        stepReward = 1 / Float(maxEpisodeSteps)
    }

    /// CartPole-v1 with the velocities hidden: reward 1 per step, 500 steps.
    public init(unscaledNamed name: String) {
        (self.name, maxEpisodeSteps, stepReward) = (name, 500, 1)
    }

    public func reset(seed: UInt64?) -> [Float] { positions(cartPole.reset(seed: seed)) }

    public func step(_ action: [Float]) throws -> Step {
        try validate(action)
        var step = try cartPole.step(action)
        step.observation = positions(step.observation)
        step.reward = stepReward
        return step
    }

    /// [x, θ] of CartPole's [x, ẋ, θ, θ̇].
    private func positions(_ full: [Float]) -> [Float] { [full[0], full[2]] }

    public func render() -> Frame? { cartPole.render() }
}

extension PositionOnlyCartPole: ObservationDrawing {
    /// [x, θ]: the cart at x, the pole at θ.
    public func draw(observation: [Float]) -> Frame { CartPole.render(x: Double(observation[0]), theta: Double(observation[1])) }
}

extension PositionOnlyCartPole: Snapshotting {
    /// All its state is the CartPole's underneath.
    public var snapshot: [UInt64]? { cartPole.snapshot }
    public func restore(_ words: inout ArraySlice<UInt64>) throws { try cartPole.restore(&words) }
}

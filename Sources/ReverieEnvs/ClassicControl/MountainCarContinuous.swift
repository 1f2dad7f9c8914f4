/// The mountain car with a continuous engine and an energy penalty:
/// Gymnasium's `MountainCarContinuous-v0`, with the constants, dynamics,
/// reward and termination of
/// gymnasium/envs/classic_control/continuous_mountain_car.py.
///
/// - Observation: (2) float32 [position, velocity]; bounds [−1.2, 0.6] ×
///   [−0.07, 0.07].
/// - Action: (1) float32 force in [−1, 1], scaled by 0.0015.
/// - Reward: −0.1·force² per step, plus 100 on reaching the goal.
/// - Terminated: position ≥ 0.45 and velocity ≥ `goalVelocity`. The env never
///   truncates; `Registry.make` adds Gymnasium's 999-step limit.
/// - Reset: position uniform in [−0.6, −0.4), velocity 0.
///
/// Gymnasium keeps this env's state in float32 between steps (it stores
/// `np.array([position, velocity], dtype=np.float32)`), and with NumPy 2 its
/// clipping and goal tests compare float32 values with float32-rounded
/// constants; so does this env, while the update itself runs in Double.
/// Gymnasium clips the force to [−1, 1]; here `validate` rejects forces
/// outside the action space instead. Stricter than Gymnasium: `step` after a
/// terminal step (or before the first reset) throws
/// `EnvironmentError.stepAfterEnd`.
public final class MountainCarContinuous: Environment {
    // MARK: Constants (continuous_mountain_car.py; the hill is MountainCar's)

    static let power = 0.0015
    /// 0.45 rather than MountainCar's 0.5 (Arnaud de Broissia's version).
    static let goalPosition = 0.45

    public let name: String
    public let observationSpace = MountainCar.positionVelocitySpace
    public let actionSpace = Space.box(low: -1, high: 1, shape: [1], dtype: .float32)
    /// Gymnasium's `goal_velocity`: the least velocity that counts at the goal.
    public let goalVelocity: Double

    /// Double after `reset`, float32 values after every step, as Gymnasium's.
    private var position = 0.0, velocity = 0.0
    private var rng = ClassicControl.unseededGenerator()
    private var needsReset = true

    /// A mountain car awaiting `reset`; its generator is seeded from system
    /// entropy until `reset(seed:)` seeds it.
    public init(goalVelocity: Double = 0) {
        self.goalVelocity = goalVelocity
        name = ClassicControl.name("MountainCarContinuous-v0", "goal_velocity", goalVelocity, default: 0)
    }

    /// The exact physical state (2) [position, velocity], Gymnasium's
    /// `env.unwrapped.state`. Setting it starts an episode from that state.
    public var state: [Double] {
        get { [position, velocity] }
        set {
            precondition(newValue.count == 2, "MountainCarContinuous's state is [position, velocity], got \(newValue.count) values")
            (position, velocity) = (newValue[0], newValue[1])
            needsReset = false
        }
    }

    public func reset(seed: UInt64?) -> [Float] {
        if let seed { rng = RandomGenerator(seed: seed) }
        (position, velocity) = MountainCar.initialState(&rng)
        needsReset = false
        return [Float(position), Float(velocity)]
    }

    /// - Parameter action: (1) force in [−1, 1].
    /// - Returns: the (2) observation one step later.
    public func step(_ action: [Float]) throws -> Step {
        try validate(action)
        guard !needsReset else { throw EnvironmentError.stepAfterEnd(environment: name) }
        let force = Double(action[0])
        let maxSpeed = Float(MountainCar.maxSpeed)
        let minPosition = Float(MountainCar.minPosition), maxPosition = Float(MountainCar.maxPosition)
        var newVelocity = Float(velocity + (force * Self.power - 0.0025 * cos(3 * position)))
        newVelocity = min(max(newVelocity, -maxSpeed), maxSpeed)
        var newPosition = Float(position + Double(newVelocity))
        newPosition = min(max(newPosition, minPosition), maxPosition)
        // The left wall is inelastic.
        if newPosition == minPosition && newVelocity < 0 { newVelocity = 0 }
        (position, velocity) = (Double(newPosition), Double(newVelocity))

        let terminated = newPosition >= Float(Self.goalPosition) && newVelocity >= Float(goalVelocity)
        needsReset = terminated
        let reward = (terminated ? 100 : 0) - force * force * 0.1
        return Step(observation: [newPosition, newVelocity], reward: Float(reward), terminated: terminated)
    }

    // MARK: - Rendering

    /// Gymnasium's picture, 600×400, as `MountainCar`'s with the flag at 0.45.
    public func render() -> Frame? { MountainCar.render(position: position, goalPosition: Self.goalPosition) }
}

extension MountainCarContinuous: ObservationDrawing {
    /// [position, velocity]: the car at its position.
    public func draw(observation: [Float]) -> Frame { MountainCar.render(position: Double(observation[0]), goalPosition: Self.goalPosition) }
}

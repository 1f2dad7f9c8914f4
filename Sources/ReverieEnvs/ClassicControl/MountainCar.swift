/// Drive an underpowered car out of a valley by rocking it back and forth
/// (Moore 1990): Gymnasium's `MountainCar-v0`, with the constants, dynamics,
/// reward and termination of gymnasium/envs/classic_control/mountain_car.py.
///
/// - Observation: (2) float32 [position, velocity]; bounds [−1.2, 0.6] ×
///   [−0.07, 0.07].
/// - Action: `Discrete(3)`: [k] accelerates with force (k − 1)·0.001.
/// - Reward: −1 per step.
/// - Terminated: position ≥ 0.5 and velocity ≥ `goalVelocity`. The env never
///   truncates; `Registry.make` adds Gymnasium's 200-step limit.
/// - Reset: position uniform in [−0.6, −0.4), velocity 0.
///
/// Physics runs in Double, as Gymnasium's float64 state. Stricter than
/// Gymnasium: `step` after a terminal step (or before the first reset) throws
/// `EnvironmentError.stepAfterEnd`.
public final class MountainCar: Environment {
    // MARK: Constants (mountain_car.py; shared with continuous_mountain_car.py)

    static let minPosition = -1.2, maxPosition = 0.6
    static let maxSpeed = 0.07
    static let goalPosition = 0.5
    static let force = 0.001
    static let gravity = 0.0025
    /// Both mountain cars observe [position, velocity] within these bounds.
    static let positionVelocitySpace = Space.box(
        low: [Float(minPosition), -Float(maxSpeed)], high: [Float(maxPosition), Float(maxSpeed)], shape: [2], dtype: .float32)

    public let name: String
    public let observationSpace = MountainCar.positionVelocitySpace
    public let actionSpace = Space.discrete(3)
    /// Gymnasium's `goal_velocity`: the least velocity that counts at the goal.
    public let goalVelocity: Double

    private var position = 0.0, velocity = 0.0
    private var rng = ClassicControl.unseededGenerator()
    private var needsReset = true

    /// A mountain car awaiting `reset`; its generator is seeded from system
    /// entropy until `reset(seed:)` seeds it.
    public init(goalVelocity: Double = 0) {
        self.goalVelocity = goalVelocity
        name = ClassicControl.name("MountainCar-v0", "goal_velocity", goalVelocity, default: 0)
    }

    /// The exact physical state (2) [position, velocity], Gymnasium's
    /// `env.unwrapped.state`. Setting it starts an episode from that state.
    public var state: [Double] {
        get { [position, velocity] }
        set {
            precondition(newValue.count == 2, "MountainCar's state is [position, velocity], got \(newValue.count) values")
            (position, velocity) = (newValue[0], newValue[1])
            needsReset = false
        }
    }

    public func reset(seed: UInt64?) -> [Float] {
        if let seed { rng = RandomGenerator(seed: seed) }
        (position, velocity) = Self.initialState(&rng)
        needsReset = false
        return [Float(position), Float(velocity)]
    }

    /// Both mountain cars start at rest at a uniform position in [−0.6, −0.4).
    static func initialState(_ rng: inout RandomGenerator) -> (position: Double, velocity: Double) {
        (ClassicControl.uniform(&rng, -0.6, -0.4), 0)
    }

    /// - Parameter action: (1) [k], force (k − 1)·0.001.
    /// - Returns: the (2) observation one step later.
    public func step(_ action: [Float]) throws -> Step {
        try validate(action)
        guard !needsReset else { throw EnvironmentError.stepAfterEnd(environment: name) }
        velocity += (Double(action[0]) - 1) * Self.force + cos(3 * position) * (-Self.gravity)
        velocity = min(max(velocity, -Self.maxSpeed), Self.maxSpeed)
        position += velocity
        position = min(max(position, Self.minPosition), Self.maxPosition)
        // The left wall is inelastic.
        if position == Self.minPosition && velocity < 0 { velocity = 0 }

        let terminated = position >= Self.goalPosition && velocity >= goalVelocity
        needsReset = terminated
        return Step(observation: [Float(position), Float(velocity)], reward: -1, terminated: terminated)
    }

    // MARK: - Rendering

    public func render() -> Frame? { Self.render(position: position, goalPosition: Self.goalPosition) }

    /// Gymnasium's picture of either mountain car, 600×400: the hill
    /// sin(3x)·0.45 + 0.55, a black car with grey wheels tilted along the
    /// slope, and a flag at the goal (mountain_car.py, `render`).
    static func render(position: Double, goalPosition: Double) -> Frame {
        var screen = GymnasiumScreen(width: 600, height: 400)
        let scale = 600 / (maxPosition - minPosition)
        func height(_ x: Double) -> Double { sin(3 * x) * 0.45 + 0.55 }
        func screenPoint(_ x: Double) -> Canvas.Point { Canvas.Point((x - minPosition) * scale, height(x) * scale) }

        // The hill as 99 segments between 100 equally spaced positions (Gymnasium's `np.linspace`).
        var previous = screenPoint(minPosition)
        for i in 1..<100 {
            let next = screenPoint(minPosition + (maxPosition - minPosition) * Double(i) / 99)
            screen.drawLine(from: previous, to: next, color: .black)
            previous = next
        }

        let carWidth = 40.0, carHeight = 20.0, clearance = 10.0
        let tilt = cos(3 * position)
        let car = Canvas.Point((position - minPosition) * scale, clearance + height(position) * scale)
        screen.fillBox(left: -carWidth / 2, right: carWidth / 2, bottom: 0, top: carHeight,
                       rotatedBy: tilt, at: car, color: .black)
        for wheel in [Canvas.Point(carWidth / 4, 0), Canvas.Point(-carWidth / 4, 0)] {
            screen.fillCircle(center: GymnasiumScreen.rotated(wheel, by: tilt) + car, radius: carHeight / 2.5,
                              color: Canvas.Color(128, 128, 128))
        }

        let flag = screenPoint(goalPosition)
        let pole = flag.y + 50
        screen.drawLine(from: flag, to: Canvas.Point(flag.x, pole), color: .black)
        screen.fillPolygon([Canvas.Point(flag.x, pole), Canvas.Point(flag.x, pole - 10), Canvas.Point(flag.x + 25, pole - 5)],
                           color: Canvas.Color(204, 204, 0))
        return screen.frame
    }
}

extension MountainCar: ObservationDrawing {
    /// [position, velocity]: the car at its position.
    public func draw(observation: [Float]) -> Frame { MountainCar.render(position: Double(observation[0]), goalPosition: Self.goalPosition) }
}

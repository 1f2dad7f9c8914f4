/// Swing a pendulum up and hold it inverted with a bounded torque:
/// Gymnasium's `Pendulum-v1`, with the constants, semi-implicit Euler step,
/// cost and reset of gymnasium/envs/classic_control/pendulum.py.
///
/// - Observation: (3) float32 [cos θ, sin θ, θ̇], θ = 0 upright; bounds ±1,
///   ±1, ±8.
/// - Action: (1) float32 torque in [−2, 2].
/// - Reward: −(θ̂² + 0.1·θ̇² + 0.001·u²), θ̂ the angle normalised into [−π, π),
///   computed from the state before the step.
/// - Never terminates; `Registry.make` adds Gymnasium's 200-step limit.
/// - Reset: θ uniform in [−π, π), θ̇ uniform in [−1, 1).
///
/// Physics runs in Double, as Gymnasium's float64 state. Gymnasium clips the
/// torque to [−2, 2]; here `validate` rejects torques outside the action
/// space instead. `step` before the first reset throws
/// `EnvironmentError.stepAfterEnd`.
public final class Pendulum: Environment {
    // MARK: Constants (pendulum.py, `PendulumEnv.__init__`)

    static let maxSpeed = 8.0
    static let maxTorque = 2.0
    /// Seconds per step.
    static let dt = 0.05
    static let mass = 1.0
    static let length = 1.0

    public let name: String
    public let observationSpace = Space.box(low: [-1, -1, -Float(maxSpeed)], high: [1, 1, Float(maxSpeed)], shape: [3], dtype: .float32)
    public let actionSpace = Space.box(low: -Float(maxTorque), high: Float(maxTorque), shape: [1], dtype: .float32)
    /// Gravitational acceleration, Gymnasium's `g` (default 10).
    public let g: Double

    private var theta = 0.0, thetaDot = 0.0
    private var rng = ClassicControl.unseededGenerator()
    private var needsReset = true

    /// A pendulum awaiting `reset`; its generator is seeded from system entropy
    /// until `reset(seed:)` seeds it.
    public init(g: Double = 10) {
        self.g = g
        name = ClassicControl.name("Pendulum-v1", "g", g, default: 10)
    }

    /// The exact physical state (2) [θ, θ̇], Gymnasium's `env.unwrapped.state`
    /// (θ is not wrapped). Setting it starts an episode from that state.
    public var state: [Double] {
        get { [theta, thetaDot] }
        set {
            precondition(newValue.count == 2, "Pendulum's state is [θ, θ̇], got \(newValue.count) values")
            (theta, thetaDot) = (newValue[0], newValue[1])
            needsReset = false
        }
    }

    public func reset(seed: UInt64?) -> [Float] {
        if let seed { rng = RandomGenerator(seed: seed) }
        theta = ClassicControl.uniform(&rng, -Double.pi, Double.pi)
        thetaDot = ClassicControl.uniform(&rng, -1, 1)
        needsReset = false
        return observation
    }

    /// - Parameter action: (1) torque u in [−2, 2].
    /// - Returns: the (3) observation after 0.05 s.
    public func step(_ action: [Float]) throws -> Step {
        try validate(action)
        guard !needsReset else { throw EnvironmentError.stepAfterEnd(environment: name) }
        let u = Double(action[0])
        let normalized = Self.angleNormalize(theta)
        let cost = normalized * normalized + 0.1 * (thetaDot * thetaDot) + 0.001 * (u * u)
        // Semi-implicit Euler: the angle advances with the new velocity.
        let l = Self.length
        var newThetaDot = thetaDot + (3 * g / (2 * l) * sin(theta) + 3.0 / (Self.mass * (l * l)) * u) * Self.dt
        newThetaDot = min(max(newThetaDot, -Self.maxSpeed), Self.maxSpeed)
        theta += newThetaDot * Self.dt
        thetaDot = newThetaDot
        return Step(observation: observation, reward: Float(-cost), terminated: false)
    }

    private var observation: [Float] { [Float(cos(theta)), Float(sin(theta)), Float(thetaDot)] }

    /// `x` moved into [−π, π) by whole turns, with NumPy's floored modulo
    /// (pendulum.py, `angle_normalize`).
    private static func angleNormalize(_ x: Double) -> Double {
        var r = (x + Double.pi).truncatingRemainder(dividingBy: 2 * Double.pi)
        if r < 0 { r += 2 * Double.pi }
        return r - Double.pi
    }

    // MARK: - Rendering

    /// Gymnasium's picture, 500×500: a red rod with rounded ends on a black
    /// pivot (pendulum.py, `render`), without Gymnasium's arrow image of the
    /// last torque.
    public func render() -> Frame? { Self.render(theta: theta) }

    static func render(theta: Double) -> Frame {
        var screen = GymnasiumScreen(width: 500, height: 500)
        let scale = 500 / (2.2 * 2), offset = Canvas.Point(250, 250)
        let rodLength = 1 * scale, rodWidth = 0.2 * scale
        let red = Canvas.Color(204, 77, 77)
        let angle = theta + Double.pi / 2
        screen.fillBox(left: 0, right: rodLength, bottom: -rodWidth / 2, top: rodWidth / 2,
                       rotatedBy: angle, at: offset, color: red)
        screen.fillCircle(center: offset, radius: rodWidth / 2, color: red)
        screen.fillCircle(center: GymnasiumScreen.rotated(Canvas.Point(rodLength, 0), by: angle) + offset,
                          radius: rodWidth / 2, color: red)
        screen.fillCircle(center: offset, radius: 0.05 * scale, color: .black)
        return screen.frame
    }
}

extension Pendulum: ObservationDrawing {
    /// [cos θ, sin θ, θ̇]: the rod at θ.
    public func draw(observation: [Float]) -> Frame { Self.render(theta: atan2(Double(observation[1]), Double(observation[0]))) }
}

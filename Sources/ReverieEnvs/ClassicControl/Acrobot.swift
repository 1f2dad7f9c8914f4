/// Swing the tip of a two-link chain above a line by torquing only the joint
/// between the links (Sutton 1996; Sutton & Barto's book): Gymnasium's
/// `Acrobot-v1`, with the constants, "book" dynamics, RK4 step, wrapping and
/// velocity bounds of gymnasium/envs/classic_control/acrobot.py.
///
/// - Observation: (6) float32 [cos θ₁, sin θ₁, cos θ₂, sin θ₂, θ̇₁, θ̇₂]: θ₁
///   the first link's angle from hanging down, θ₂ the second link's angle
///   relative to the first; bounds ±1 (four times), ±4π, ±9π.
/// - Action: `Discrete(3)`: [k] applies torque k − 1 ∈ {−1, 0, +1} N·m to the
///   joint between the links.
/// - Reward: −1 per step, 0 on the terminating step.
/// - Terminated: the tip is more than one link length above the base,
///   −cos θ₁ − cos(θ₁ + θ₂) > 1. The env never truncates; `Registry.make` adds
///   Gymnasium's 500-step limit.
/// - Reset: θ₁, θ₂, θ̇₁, θ̇₂ each uniform in [−0.1, 0.1), rounded to float32 as
///   Gymnasium does.
///
/// Physics runs in Double (Gymnasium's float64 after the first step), in
/// acrobot.py's order of operations; Gymnasium's `torque_noise_max` is 0 and
/// has no counterpart here. Stricter than Gymnasium: `step` after a terminal
/// step (or before the first reset) throws `EnvironmentError.stepAfterEnd`.
public final class Acrobot: Environment {
    // MARK: Constants (acrobot.py, `AcrobotEnv`)

    /// Seconds per step, integrated by one RK4 step.
    static let dt = 0.2
    static let linkLength1 = 1.0, linkLength2 = 1.0
    static let linkMass1 = 1.0, linkMass2 = 1.0
    /// Distance from each link's joint to its centre of mass.
    static let linkCenterOfMass1 = 0.5, linkCenterOfMass2 = 0.5
    /// Moment of inertia of either link.
    static let linkMomentOfInertia = 1.0
    static let maxVelocity1 = 4 * Double.pi, maxVelocity2 = 9 * Double.pi
    static let gravity = 9.8

    public let name = "Acrobot-v1"
    public let observationSpace = Space.box(
        low: [-1, -1, -1, -1, -Float(maxVelocity1), -Float(maxVelocity2)],
        high: [1, 1, 1, 1, Float(maxVelocity1), Float(maxVelocity2)], shape: [6], dtype: .float32)
    public let actionSpace = Space.discrete(3)

    /// [θ₁, θ₂, θ̇₁, θ̇₂].
    private var s = SIMD4<Double>()
    private var rng = ClassicControl.unseededGenerator()
    private var needsReset = true

    /// An acrobot awaiting `reset`; its generator is seeded from system entropy
    /// until `reset(seed:)` seeds it.
    public init() {}

    /// The exact physical state (4) [θ₁, θ₂, θ̇₁, θ̇₂], Gymnasium's
    /// `env.unwrapped.state`. Setting it starts an episode from that state.
    public var state: [Double] {
        get { [s[0], s[1], s[2], s[3]] }
        set {
            precondition(newValue.count == 4, "Acrobot's state is [θ₁, θ₂, θ̇₁, θ̇₂], got \(newValue.count) values")
            s = SIMD4(newValue[0], newValue[1], newValue[2], newValue[3])
            needsReset = false
        }
    }

    public func reset(seed: UInt64?) -> [Float] {
        if let seed { rng = RandomGenerator(seed: seed) }
        for i in 0..<4 { s[i] = Double(rng.uniform(-0.1, 0.1)) }
        needsReset = false
        return observation
    }

    /// - Parameter action: (1) [k], torque k − 1.
    /// - Returns: the (6) observation after 0.2 s.
    public func step(_ action: [Float]) throws -> Step {
        try validate(action)
        guard !needsReset else { throw EnvironmentError.stepAfterEnd(environment: name) }
        let torque = Double(action[0]) - 1
        // One classical Runge–Kutta step over [0, dt] (acrobot.py, `rk4`).
        let dt = Self.dt, dt2 = dt / 2
        let k1 = Self.derivatives(s, torque: torque)
        let k2 = Self.derivatives(s + dt2 * k1, torque: torque)
        let k3 = Self.derivatives(s + dt2 * k2, torque: torque)
        let k4 = Self.derivatives(s + dt * k3, torque: torque)
        var next = s + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        next[0] = Self.wrap(next[0])
        next[1] = Self.wrap(next[1])
        next[2] = min(max(next[2], -Self.maxVelocity1), Self.maxVelocity1)
        next[3] = min(max(next[3], -Self.maxVelocity2), Self.maxVelocity2)
        s = next

        let terminated = -cos(s[0]) - cos(s[1] + s[0]) > 1.0
        needsReset = terminated
        return Step(observation: observation, reward: terminated ? 0 : -1, terminated: terminated)
    }

    private var observation: [Float] {
        [Float(cos(s[0])), Float(sin(s[0])), Float(cos(s[1])), Float(sin(s[1])), Float(s[2]), Float(s[3])]
    }

    /// d/dt [θ₁, θ₂, θ̇₁, θ̇₂] under `torque` at the middle joint: the equations
    /// of Sutton & Barto's book (acrobot.py, `_dsdt` with `book_or_nips = "book"`).
    private static func derivatives(_ s: SIMD4<Double>, torque a: Double) -> SIMD4<Double> {
        let (m1, m2, l1) = (linkMass1, linkMass2, linkLength1)
        let (lc1, lc2) = (linkCenterOfMass1, linkCenterOfMass2)
        let (i1, i2, g) = (linkMomentOfInertia, linkMomentOfInertia, gravity)
        let (theta1, theta2, dtheta1, dtheta2) = (s[0], s[1], s[2], s[3])
        let d1 = m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cos(theta2)) + i1 + i2
        let d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos(theta2)) + i2
        let phi2 = m2 * lc2 * g * cos(theta1 + theta2 - Double.pi / 2.0)
        let phi1 = -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sin(theta2)
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * cos(theta1 - Double.pi / 2)
            + phi2
        let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sin(theta2) - phi2)
            / (m2 * (lc2 * lc2) + i2 - (d2 * d2) / d1)
        let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return SIMD4(dtheta1, dtheta2, ddtheta1, ddtheta2)
    }

    /// `angle` moved into [−π, π] by whole turns (acrobot.py, `wrap`).
    private static func wrap(_ angle: Double) -> Double {
        var x = angle
        while x > Double.pi { x -= 2 * Double.pi }
        while x < -Double.pi { x += 2 * Double.pi }
        return x
    }

    // MARK: - Rendering

    /// Gymnasium's picture, 500×500: the goal line, two cyan links and yellow
    /// joints (acrobot.py, `render`).
    public func render() -> Frame? { Self.render(theta1: s[0], theta2: s[1]) }

    static func render(theta1: Double, theta2: Double) -> Frame {
        var screen = GymnasiumScreen(width: 500, height: 500)
        let bound = Self.linkLength1 + Self.linkLength2 + 0.2
        let scale = 500 / (bound * 2), offset = 500.0 / 2
        screen.drawLine(from: Canvas.Point(-2.2 * scale + offset, 1 * scale + offset),
                        to: Canvas.Point(2.2 * scale + offset, 1 * scale + offset), color: .black)
        // acrobot.py draws x = sin θ₁, y = −cos θ₁ (its `xys[:, ::-1]`): θ₁ = 0 hangs down.
        let joints = [Canvas.Point(offset, offset),
                      Canvas.Point(Self.linkLength1 * sin(theta1) * scale + offset, -Self.linkLength1 * cos(theta1) * scale + offset)]
        let angles = [theta1 - Double.pi / 2, theta1 + theta2 - Double.pi / 2]
        let lengths = [Self.linkLength1 * scale, Self.linkLength2 * scale]
        for k in 0..<2 {
            screen.fillBox(left: 0, right: lengths[k], bottom: -0.1 * scale, top: 0.1 * scale,
                           rotatedBy: angles[k], at: joints[k], color: Canvas.Color(0, 204, 204))
            screen.fillCircle(center: joints[k], radius: 0.1 * scale, color: Canvas.Color(204, 204, 0))
        }
        return screen.frame
    }
}

extension Acrobot: ObservationDrawing {
    /// [cos θ₁, sin θ₁, cos θ₂, sin θ₂, θ̇₁, θ̇₂]: the links at θ₁ and θ₂.
    public func draw(observation: [Float]) -> Frame {
        Self.render(theta1: atan2(Double(observation[1]), Double(observation[0])),
                    theta2: atan2(Double(observation[3]), Double(observation[2])))
    }
}

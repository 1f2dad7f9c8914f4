/// Balance a pole hinged on a cart by pushing the cart left or right (Barto,
/// Sutton & Anderson 1983): Gymnasium's `CartPole-v1`, with the constants,
/// explicit-Euler integrator, reward and termination of
/// gymnasium/envs/classic_control/cartpole.py.
///
/// - Observation: (4) float32 [x, ẋ, θ, θ̇]: cart position (m), cart
///   velocity, pole angle from upright (rad), its angular velocity; bounds
///   ±4.8, ±∞, ±0.418 (24°), ±∞.
/// - Action: `Discrete(2)`: [0] pushes the cart left, [1] right, with 10 N.
/// - Reward: +1 every step, the terminating one included; with
///   `suttonBartoReward`, 0 every step and −1 on the terminating one.
/// - Terminated: |x| > 2.4 or |θ| > 12°. The env never truncates; `Registry.make`
///   adds Gymnasium's 500-step limit.
/// - Reset: each of the four state variables uniform in [−0.05, 0.05).
///
/// Physics runs in Double, as Gymnasium's float64 state; observations are
/// rounded to Float. Stricter than Gymnasium, which warns and returns reward 0:
/// `step` after a terminal step (or before the first reset) throws
/// `EnvironmentError.stepAfterEnd`.
public final class CartPole: Environment, Snapshotting {
    // MARK: Constants (cartpole.py, `CartPoleEnv.__init__`)

    static let gravity = 9.8
    static let massCart = 1.0
    static let massPole = 0.1
    static let totalMass = massPole + massCart
    /// Half the pole's length.
    static let length = 0.5
    static let poleMassLength = massPole * length
    static let forceMagnitude = 10.0
    /// Seconds per step.
    static let tau = 0.02
    static let thetaThreshold = 12 * 2 * Double.pi / 360
    static let xThreshold = 2.4

    public let name: String
    public let observationSpace = Space.box(
        low: [-Float(xThreshold * 2), -.infinity, -Float(thetaThreshold * 2), -.infinity],
        high: [Float(xThreshold * 2), .infinity, Float(thetaThreshold * 2), .infinity], shape: [4], dtype: .float32)
    public let actionSpace = Space.discrete(2)
    /// Gymnasium's `sutton_barto_reward`: 0 per step, −1 on termination.
    public let suttonBartoReward: Bool

    private var x = 0.0, xDot = 0.0, theta = 0.0, thetaDot = 0.0
    private var rng = ClassicControl.unseededGenerator()
    private var needsReset = true

    /// A cart-pole awaiting `reset`; its generator is seeded from system
    /// entropy until `reset(seed:)` seeds it.
    public init(suttonBartoReward: Bool = false) {
        self.suttonBartoReward = suttonBartoReward
        name = suttonBartoReward ? "CartPole-v1?sutton_barto_reward=true" : "CartPole-v1"
    }

    /// The exact physical state (4) [x, ẋ, θ, θ̇], Gymnasium's `env.unwrapped.state`.
    /// Setting it starts an episode from that state.
    public var state: [Double] {
        get { [x, xDot, theta, thetaDot] }
        set {
            precondition(newValue.count == 4, "CartPole's state is [x, ẋ, θ, θ̇], got \(newValue.count) values")
            (x, xDot, theta, thetaDot) = (newValue[0], newValue[1], newValue[2], newValue[3])
            needsReset = false
        }
    }

    // MARK: - Snapshots

    public var snapshot: [UInt64]? {
        [x, xDot, theta, thetaDot].map(\.bitPattern) + [needsReset ? 1 : 0] + rng.state
    }

    public func restore(_ words: inout ArraySlice<UInt64>) throws {
        let w = try words.take(10, for: name)
        (x, xDot, theta, thetaDot) = (Double(bitPattern: w[0]), Double(bitPattern: w[1]), Double(bitPattern: w[2]), Double(bitPattern: w[3]))
        needsReset = w[4] != 0
        rng = RandomGenerator(state: Array(w[5...]))
    }

    public func reset(seed: UInt64?) -> [Float] {
        if let seed { rng = RandomGenerator(seed: seed) }
        x = ClassicControl.uniform(&rng, -0.05, 0.05)
        xDot = ClassicControl.uniform(&rng, -0.05, 0.05)
        theta = ClassicControl.uniform(&rng, -0.05, 0.05)
        thetaDot = ClassicControl.uniform(&rng, -0.05, 0.05)
        needsReset = false
        return observation
    }

    /// - Parameter action: (1) [0] push left or [1] push right.
    /// - Returns: the (4) observation after 0.02 s.
    public func step(_ action: [Float]) throws -> Step {
        try validate(action)
        guard !needsReset else { throw EnvironmentError.stepAfterEnd(environment: name) }
        let force = action[0] == 1 ? Self.forceMagnitude : -Self.forceMagnitude
        let cosTheta = cos(theta), sinTheta = sin(theta)
        // Frictionless cart-pole dynamics (Florian 2005, "Correct equations for
        // the dynamics of the cart-pole system"), evaluated in cartpole.py's order.
        let temp = (force + Self.poleMassLength * (thetaDot * thetaDot) * sinTheta) / Self.totalMass
        let thetaAcc = (Self.gravity * sinTheta - cosTheta * temp)
            / (Self.length * (4.0 / 3.0 - Self.massPole * (cosTheta * cosTheta) / Self.totalMass))
        let xAcc = temp - Self.poleMassLength * thetaAcc * cosTheta / Self.totalMass
        // Explicit Euler: positions advance with the old velocities.
        x += Self.tau * xDot
        xDot += Self.tau * xAcc
        theta += Self.tau * thetaDot
        thetaDot += Self.tau * thetaAcc

        let terminated = x < -Self.xThreshold || x > Self.xThreshold
            || theta < -Self.thetaThreshold || theta > Self.thetaThreshold
        needsReset = terminated
        let reward: Float = suttonBartoReward ? (terminated ? -1 : 0) : 1
        return Step(observation: observation, reward: reward, terminated: terminated)
    }

    private var observation: [Float] { [Float(x), Float(xDot), Float(theta), Float(thetaDot)] }

    // MARK: - Rendering

    /// Gymnasium's picture, 600×400: a black cart on a black track, a brown
    /// pole and a blue axle (cartpole.py, `render`).
    public func render() -> Frame? { Self.render(x: x, theta: theta) }

    static func render(x: Double, theta: Double) -> Frame {
        var screen = GymnasiumScreen(width: 600, height: 400)
        let scale = 600 / (Self.xThreshold * 2)
        let poleWidth = 10.0, poleLength = scale * (2 * Self.length)
        let cartWidth = 50.0, cartHeight = 30.0
        let axleOffset = cartHeight / 4
        let cart = Canvas.Point(x * scale + 600 / 2, 100)
        screen.fillBox(left: -cartWidth / 2, right: cartWidth / 2, bottom: -cartHeight / 2, top: cartHeight / 2,
                       at: cart, color: .black)
        let axle = cart + Canvas.Point(0, axleOffset)
        screen.fillBox(left: -poleWidth / 2, right: poleWidth / 2, bottom: -poleWidth / 2, top: poleLength - poleWidth / 2,
                       rotatedBy: -theta, at: axle, color: Canvas.Color(202, 152, 101))
        screen.fillCircle(center: axle, radius: poleWidth / 2, color: Canvas.Color(129, 132, 203))
        screen.drawLine(from: Canvas.Point(0, cart.y), to: Canvas.Point(600, cart.y), color: .black)
        return screen.frame
    }
}

extension CartPole: ObservationDrawing {
    /// [x, ẋ, θ, θ̇]: the cart at x, the pole at θ.
    public func draw(observation: [Float]) -> Frame { Self.render(x: Double(observation[0]), theta: Double(observation[2])) }
}

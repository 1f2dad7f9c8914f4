/// Catch in pixels: a ball falls from the top of a 64×64 screen, drifting
/// sideways and bouncing off the side walls, and a paddle at the bottom must
/// be under it when it arrives (bsuite's Catch, Osband et al. 2020, drawn at
/// pixel resolution with a drifting ball).
///
/// **Rules.** Actions are `Discrete(3)`: 0 moves the paddle 4 pixels left,
/// 1 keeps it still, 2 moves it 4 pixels right. Each step the paddle moves,
/// then the ball moves its sideways speed across (bouncing off the side
/// walls) and `fallSpeed` pixels down.
/// When the ball reaches the paddle's row it is resolved: reward +1 if the
/// ball overlaps the paddle (a catch), −1 otherwise (a miss); every other step
/// rewards 0. The next ball then appears at the top at a random column with a
/// random sideways speed in −`drift`…`drift`. After `balls` balls the episode
/// terminates. A ball (a square of `ballSize`, 4 pixels by default) takes
/// ⌈(58 − ballSize) / fallSpeed⌉ steps to fall (27 by default), in which the
/// paddle can cross the screen; with the defaults, a policy that keeps the
/// paddle under the ball catches every ball and earns the maximum return `balls`.
///
/// **Observation** (64, 64, 3) uint8, fully observable: the white ball, a grey
/// trail one step behind it along its velocity (so one frame shows where it
/// is heading), the blue paddle, and along the bottom edge one yellow tick per
/// ball not yet resolved, the falling one included.
public final class PixelCatch: Environment {
    static let size = 64, paddleSpeed = 4, paddleTop = 58, paddleHeight = 3

    public let name: String
    public let observationSpace: Space
    public let actionSpace: Space = .discrete(3)
    /// Balls per episode (1…16: one tick each fits the bottom row).
    public let balls: Int
    /// Pixels the ball falls per step (1…4).
    public let fallSpeed: Int
    /// Largest sideways speed of a ball, in pixels per step (0…3).
    public let drift: Int
    /// Paddle width in pixels (8…32).
    public let paddleWidth: Int
    /// Side of the square ball in pixels (2…8).
    public let ballSize: Int

    private var rng = RandomGenerator(seed: 0)
    private var screen = PixelBuffer(width: size, height: size)
    private var ball = (x: 0, y: 0, vx: 0)
    private var paddleX = 0
    private var ballsLeft = 0
    private var ended = true

    /// A game of `balls` balls; the registry's `PixelCatch?balls=…&fallSpeed=…&drift=…&paddleWidth=…&ballSize=…`
    /// builds one, checking the ranges documented on each property.
    public init(balls: Int = 5, fallSpeed: Int = 2, drift: Int = 1, paddleWidth: Int = 12, ballSize: Int = 4,
                name: String = "PixelCatch") {
        precondition((1...16).contains(balls) && (1...4).contains(fallSpeed) && (0...3).contains(drift)
                     && (8...32).contains(paddleWidth) && (2...8).contains(ballSize), "PixelCatch options out of range")
        (self.balls, self.fallSpeed, self.drift, self.paddleWidth, self.ballSize, self.name) =
            (balls, fallSpeed, drift, paddleWidth, ballSize, name)
        observationSpace = screen.observationSpace
    }

    public func reset(seed: UInt64?) -> [Float] {
        if let seed { rng = RandomGenerator(seed: seed) }
        paddleX = (Self.size - paddleWidth) / 2
        ballsLeft = balls
        ended = false
        dropBall()
        return draw()
    }

    public func step(_ action: [Float]) throws -> Step {
        try validate(action)
        guard !ended else { throw EnvironmentError.stepAfterEnd(environment: name) }
        let maxX = Self.size - ballSize
        paddleX = min(max(paddleX + (Int(action[0]) - 1) * Self.paddleSpeed, 0), Self.size - paddleWidth)
        ball.x += ball.vx
        if ball.x < 0 || ball.x > maxX {
            ball.x = ball.x < 0 ? -ball.x : 2 * maxX - ball.x
            ball.vx = -ball.vx
        }
        ball.y += fallSpeed
        var reward: Float = 0
        if ball.y + ballSize >= Self.paddleTop {
            let caught = ball.x < paddleX + paddleWidth && paddleX < ball.x + ballSize
            reward = caught ? 1 : -1
            ballsLeft -= 1
            if ballsLeft == 0 { ended = true } else { dropBall() }
        }
        return Step(observation: draw(), reward: reward, terminated: ended)
    }

    public func render() -> Frame? { screen.frame }

    /// A new ball at the top, at a random column with a random sideways speed.
    private func dropBall() {
        ball = (x: rng.int(below: Self.size - ballSize + 1), y: 0, vx: rng.int(below: 2 * drift + 1) - drift)
    }

    // MARK: - Drawing

    static let background = RGB(0, 0, 0), ballColour = RGB(255, 255, 255), trailColour = RGB(96, 96, 96)
    static let paddleColour = RGB(64, 160, 255), tickColour = RGB(255, 200, 0)

    private func draw() -> [Float] {
        let s = ballSize
        screen.fill(Self.background)
        screen.fillRect(x: ball.x - ball.vx, y: ball.y - fallSpeed, width: s, height: s, Self.trailColour)
        screen.fillRect(x: ball.x, y: ball.y, width: s, height: s, Self.ballColour)
        screen.fillRect(x: paddleX, y: Self.paddleTop, width: paddleWidth, height: Self.paddleHeight, Self.paddleColour)
        for i in 0..<ballsLeft {
            screen.fillRect(x: 4 * i + 1, y: Self.size - 2, width: 2, height: 2, Self.tickColour)
        }
        return screen.observation()
    }
}

extension PixelCatch: Snapshotting {
    /// Ball, paddle, balls left, whether the episode ended, and the generator;
    /// the screen is drawn again from them.
    public var snapshot: [UInt64]? {
        [ball.x, ball.y, ball.vx, paddleX, ballsLeft].map { UInt64(bitPattern: Int64($0)) } + [ended ? 1 : 0] + rng.state
    }

    public func restore(_ words: inout ArraySlice<UInt64>) throws {
        let w = try words.take(6 + rng.state.count, for: name)
        let v = w.prefix(5).map { Int(Int64(bitPattern: $0)) }
        guard (0...balls).contains(v[4]), (0...(Self.size - paddleWidth)).contains(v[3]) else {
            throw SnapshotError.mismatch(name, "paddle at \(v[3]) or \(v[4]) balls left do not fit this game")
        }
        (ball, paddleX, ballsLeft, ended) = ((v[0], v[1], v[2]), v[3], v[4], w[5] != 0)
        rng = RandomGenerator(state: Array(w.suffix(rng.state.count)))
        _ = draw()
    }
}

/// MinAtar Breakout: a paddle on the bottom row bounces a ball that travels
/// only along diagonals into three rows of bricks; +1 per brick, three new
/// rows once all are gone; the game ends when the ball reaches the bottom.
/// Channels: paddle, ball, trail (where the ball just was), brick.
struct Breakout: MinAtarGame {
    static let name = "Breakout"
    static let channels = 4
    static let minimalActions: [MinAtarAction] = [.noop, .left, .right]
    static let summary = "Breakout: bounce the ball into the bricks, +1 a brick"

    private var ballX = 0, ballY = 3
    /// 0 up-left, 1 up-right, 2 down-right, 3 down-left.
    private var direction = 2
    private var paddle = 4
    /// (y, x) row-major. Bricks only ever stand in rows 1–3 (cells 10..<40),
    /// where the game lays and relays them.
    private var bricks = [Bool](repeating: false, count: 100)
    private static let brickRows = 10..<40
    private var strike = false
    private var lastX = 0, lastY = 3
    private var terminal = false

    init(ramping: Bool) {}

    mutating func reset(using random: inout NumpyRandomState) {
        ballY = 3
        (ballX, direction) = random.integer(below: 2) == 0 ? (0, 2) : (9, 3)
        paddle = 4
        for i in Self.brickRows { bricks[i] = true }
        strike = false
        (lastX, lastY) = (ballX, ballY)
        terminal = false
    }

    mutating func act(_ action: MinAtarAction, using random: inout NumpyRandomState) -> (reward: Int, terminal: Bool) {
        guard !terminal else { return (0, true) }
        var reward = 0
        if action == .left { paddle = max(0, paddle - 1) } else if action == .right { paddle = min(9, paddle + 1) }

        (lastX, lastY) = (ballX, ballY)
        var x = ballX + (direction == 1 || direction == 2 ? 1 : -1)
        var y = ballY + (direction >= 2 ? 1 : -1)
        var struck = false
        if x < 0 || x > 9 {
            x = min(max(x, 0), 9)
            direction = [1, 0, 3, 2][direction]
        }
        if y < 0 {
            y = 0
            direction = [3, 2, 1, 0][direction]
        } else if bricks[y * 10 + x] {
            struck = true
            if !strike {
                reward += 1
                strike = true
                bricks[y * 10 + x] = false
                y = lastY
                direction = [3, 2, 1, 0][direction]
            }
        } else if y == 9 {
            if !bricks[Self.brickRows].contains(true) { for i in Self.brickRows { bricks[i] = true } }
            if ballX == paddle {
                direction = [3, 2, 1, 0][direction]
                y = lastY
            } else if x == paddle {
                direction = [2, 3, 0, 1][direction]
                y = lastY
            } else {
                terminal = true
            }
        }
        if !struck { strike = false }
        (ballX, ballY) = (x, y)
        return (reward, terminal)
    }

    func draw(into grid: MinAtarGrid) {
        // The brick rows first: painting them writes every channel of their cells.
        bricks.withUnsafeBufferPointer { grid.paint(cells: Self.brickRows, 3, where: $0) }
        grid.set(ballY, ballX, 1)
        grid.set(9, paddle, 0)
        grid.set(lastY, lastX, 2)
    }

    var state: [Int] {
        [ballX, ballY, direction, paddle, strike ? 1 : 0, lastX, lastY, terminal ? 1 : 0] + bricks.map { $0 ? 1 : 0 }
    }

    mutating func restore(_ state: [Int]) -> Bool {
        guard state.count == 108, state.prefix(8).allSatisfy({ (0...9).contains($0) }), state[2] <= 3,
              state.dropFirst(8).enumerated().allSatisfy({ Self.brickRows.contains($0.offset) || $0.element == 0 }) else { return false }
        (ballX, ballY, direction, paddle) = (state[0], state[1], state[2], state[3])
        (strike, lastX, lastY, terminal) = (state[4] != 0, state[5], state[6], state[7] != 0)
        bricks = state.dropFirst(8).map { $0 != 0 }
        return true
    }
}

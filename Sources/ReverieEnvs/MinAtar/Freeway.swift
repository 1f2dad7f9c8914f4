/// MinAtar Freeway: a chicken crosses eight lanes of traffic from the
/// bottom; +1 for reaching the top (cars' speeds are then drawn anew), sent
/// back to the bottom when hit; it moves at most every 3 frames, and the
/// game ends after 2,500 frames. Channels: chicken, car, and one trail
/// channel per car speed (1 = moves every frame … 5 = every fifth).
struct Freeway: MinAtarGame {
    static let name = "Freeway"
    static let channels = 7
    static let minimalActions: [MinAtarAction] = [.noop, .up, .down]
    static let summary = "Freeway: cross the road, +1 a crossing (2,500 frames)"
    static let playerSpeed = 3, timeLimit = 2500

    struct Car {
        var x: Int, y: Int
        /// Frames until the car moves.
        var timer: Int
        /// Frames per move, signed by direction (positive: rightwards).
        var speed: Int
    }

    private var cars: [Car] = []
    private var chicken = 9
    private var moveTimer = Freeway.playerSpeed
    private var terminateTimer = Freeway.timeLimit
    private var terminal = false

    init(ramping: Bool) {}

    mutating func reset(using random: inout NumpyRandomState) {
        randomizeCars(initialize: true, using: &random)
        chicken = 9
        moveTimer = Self.playerSpeed
        terminateTimer = Self.timeLimit
        terminal = false
    }

    /// New speeds and directions for the eight cars (the package's
    /// `randint(1, 6, 8)` then `sign(rand(8) − 0.5)`), and their start at
    /// the left edge when initialising.
    private mutating func randomizeCars(initialize: Bool, using random: inout NumpyRandomState) {
        let speeds = (0..<8).map { _ in random.integer(in: 1..<6) }
        let directions = (0..<8).map { _ -> Int in
            let u = random.uniform() - 0.5
            return u > 0 ? 1 : u < 0 ? -1 : 0
        }
        for i in 0..<8 {
            let speed = speeds[i] * directions[i]
            if initialize {
                if i == 0 { cars = [] }
                cars.append(Car(x: 0, y: i + 1, timer: abs(speed), speed: speed))
            } else {
                (cars[i].timer, cars[i].speed) = (abs(speed), speed)
            }
        }
    }

    mutating func act(_ action: MinAtarAction, using random: inout NumpyRandomState) -> (reward: Int, terminal: Bool) {
        guard !terminal else { return (0, true) }
        var reward = 0
        if action == .up && moveTimer == 0 {
            moveTimer = Self.playerSpeed
            chicken = max(0, chicken - 1)
        } else if action == .down && moveTimer == 0 {
            moveTimer = Self.playerSpeed
            chicken = min(9, chicken + 1)
        }
        if chicken == 0 {
            reward += 1
            randomizeCars(initialize: false, using: &random)
            chicken = 9
        }
        for i in cars.indices {
            if cars[i].x == 4 && cars[i].y == chicken { chicken = 9 }
            if cars[i].timer == 0 {
                cars[i].timer = abs(cars[i].speed)
                cars[i].x += cars[i].speed > 0 ? 1 : -1
                if cars[i].x < 0 { cars[i].x = 9 } else if cars[i].x > 9 { cars[i].x = 0 }
                if cars[i].x == 4 && cars[i].y == chicken { chicken = 9 }
            } else {
                cars[i].timer -= 1
            }
        }
        if moveTimer > 0 { moveTimer -= 1 }
        terminateTimer -= 1
        if terminateTimer < 0 { terminal = true }
        return (reward, terminal)
    }

    func draw(into grid: MinAtarGrid) {
        grid.set(chicken, 4, 0)
        for car in cars {
            grid.set(car.y, car.x, 1)
            var back = car.speed > 0 ? car.x - 1 : car.x + 1
            if back < 0 { back = 9 } else if back > 9 { back = 0 }
            // Speed 0 (a direction drawn as exactly 0.5) has no trail channel in the package either.
            if (1...5).contains(abs(car.speed)) { grid.set(car.y, back, 1 + abs(car.speed)) }
        }
    }

    var state: [Int] {
        [chicken, moveTimer, terminateTimer, terminal ? 1 : 0] + cars.flatMap { [$0.x, $0.y, $0.timer, $0.speed] }
    }

    mutating func restore(_ state: [Int]) -> Bool {
        guard state.count == 36, (0...9).contains(state[0]) else { return false }
        (chicken, moveTimer, terminateTimer, terminal) = (state[0], state[1], state[2], state[3] != 0)
        cars = (0..<8).map { i in
            let c = state[(4 + 4 * i)...]
            return Car(x: c[c.startIndex], y: c[c.startIndex + 1], timer: c[c.startIndex + 2], speed: c[c.startIndex + 3])
        }
        return cars.allSatisfy { (0...9).contains($0.x) && (1...8).contains($0.y) }
    }
}

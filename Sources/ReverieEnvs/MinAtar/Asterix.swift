/// MinAtar Asterix: the player moves freely over rows 1–8 while enemies and
/// treasure cross the rows from either side; +1 per treasure picked up, and
/// touching an enemy ends the game. With ramping, entities spawn and move
/// faster every 100 frames. Channels: player, enemy, trail, gold.
struct Asterix: MinAtarGame {
    static let name = "Asterix"
    static let channels = 4
    static let minimalActions: [MinAtarAction] = [.noop, .left, .up, .right, .down]
    static let summary = "Asterix: collect treasure, dodge enemies, +1 a treasure"
    static let rampInterval = 100, initialSpawnSpeed = 10, initialMoveInterval = 5

    struct Entity: Equatable {
        var x: Int
        /// The row, slot + 1.
        var y: Int
        /// Moving rightwards (spawned on the left).
        var rightwards: Bool
        var gold: Bool
    }

    private let ramping: Bool
    private var playerX = 5, playerY = 5
    private var entities = [Entity?](repeating: nil, count: 8)
    private var spawnSpeed = Asterix.initialSpawnSpeed, spawnTimer = Asterix.initialSpawnSpeed
    private var moveSpeed = Asterix.initialMoveInterval, moveTimer = Asterix.initialMoveInterval
    private var rampTimer = Asterix.rampInterval, rampIndex = 0
    private var terminal = false

    init(ramping: Bool) { self.ramping = ramping }

    mutating func reset(using random: inout NumpyRandomState) {
        (playerX, playerY) = (5, 5)
        entities = [Entity?](repeating: nil, count: 8)
        (spawnSpeed, spawnTimer) = (Self.initialSpawnSpeed, Self.initialSpawnSpeed)
        (moveSpeed, moveTimer) = (Self.initialMoveInterval, Self.initialMoveInterval)
        (rampTimer, rampIndex) = (Self.rampInterval, 0)
        terminal = false
    }

    /// A new enemy or treasure in a random free row, from a random side (both drawn even when no row is free).
    private mutating func spawnEntity(using random: inout NumpyRandomState) {
        let rightwards = random.uniform() < 1.0 / 2
        let gold = random.uniform() < 1.0 / 3
        let free = entities.indices.filter { entities[$0] == nil }
        guard !free.isEmpty else { return }
        let slot = free[random.integer(below: free.count)]
        entities[slot] = Entity(x: rightwards ? 0 : 9, y: slot + 1, rightwards: rightwards, gold: gold)
    }

    /// Whether entity i is on the player: a treasure is taken (+1), an enemy ends the game.
    private mutating func collide(_ i: Int, reward: inout Int) {
        guard let e = entities[i], e.x == playerX, e.y == playerY else { return }
        if e.gold {
            entities[i] = nil
            reward += 1
        } else {
            terminal = true
        }
    }

    mutating func act(_ action: MinAtarAction, using random: inout NumpyRandomState) -> (reward: Int, terminal: Bool) {
        guard !terminal else { return (0, true) }
        var reward = 0
        if spawnTimer == 0 {
            spawnEntity(using: &random)
            spawnTimer = spawnSpeed
        }
        switch action {
        case .left: playerX = max(0, playerX - 1)
        case .right: playerX = min(9, playerX + 1)
        case .up: playerY = max(1, playerY - 1)
        case .down: playerY = min(8, playerY + 1)
        default: break
        }
        for i in entities.indices { collide(i, reward: &reward) }
        if moveTimer == 0 {
            moveTimer = moveSpeed
            for i in entities.indices {
                guard var e = entities[i] else { continue }
                e.x += e.rightwards ? 1 : -1
                entities[i] = e.x < 0 || e.x > 9 ? nil : e
                collide(i, reward: &reward)
            }
        }
        spawnTimer -= 1
        moveTimer -= 1
        if ramping && (spawnSpeed > 1 || moveSpeed > 1) {
            if rampTimer >= 0 {
                rampTimer -= 1
            } else {
                if moveSpeed > 1 && rampIndex % 2 == 1 { moveSpeed -= 1 }
                if spawnSpeed > 1 { spawnSpeed -= 1 }
                rampIndex += 1
                rampTimer = Self.rampInterval
            }
        }
        return (reward, terminal)
    }

    func draw(into grid: MinAtarGrid) {
        grid.set(playerY, playerX, 0)
        for case let e? in entities {
            grid.set(e.y, e.x, e.gold ? 3 : 1)
            let back = e.rightwards ? e.x - 1 : e.x + 1
            if (0...9).contains(back) { grid.set(e.y, back, 2) }
        }
    }

    var state: [Int] {
        [playerX, playerY, spawnSpeed, spawnTimer, moveSpeed, moveTimer, rampTimer, rampIndex, terminal ? 1 : 0]
            + entities.flatMap { e in e.map { [1, $0.x, $0.y, $0.rightwards ? 1 : 0, $0.gold ? 1 : 0] } ?? [0, 0, 0, 0, 0] }
    }

    mutating func restore(_ state: [Int]) -> Bool {
        guard state.count == 9 + 40, (0...9).contains(state[0]), (1...8).contains(state[1]) else { return false }
        (playerX, playerY, spawnSpeed, spawnTimer) = (state[0], state[1], state[2], state[3])
        (moveSpeed, moveTimer, rampTimer, rampIndex, terminal) = (state[4], state[5], state[6], state[7], state[8] != 0)
        entities = (0..<8).map { i in
            let e = Array(state[(9 + 5 * i) ..< (14 + 5 * i)])
            return e[0] == 0 ? nil : Entity(x: e[1], y: e[2], rightwards: e[3] != 0, gold: e[4] != 0)
        }
        return true
    }
}

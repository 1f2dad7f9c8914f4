/// MinAtar Space Invaders: a cannon on the bottom row shoots up at a block
/// of aliens that sweeps sideways and steps down at the walls, shooting back
/// from the alien nearest the cannon; +1 per alien hit, a new block once all
/// are gone (faster, with ramping); the game ends when the cannon is hit or
/// the aliens reach the bottom. Channels: cannon, alien, alien moving left,
/// alien moving right, friendly bullet, enemy bullet.
struct SpaceInvaders: MinAtarGame {
    static let name = "SpaceInvaders"
    static let channels = 6
    static let minimalActions: [MinAtarAction] = [.noop, .left, .right, .fire]
    static let summary = "Space Invaders: shoot the aliens, +1 an alien"
    static let shotCoolDown = 5, enemyMoveInterval = 12, enemyShotInterval = 10

    private let ramping: Bool
    private var cannon = 5
    /// (y, x) row-major maps.
    private var friendlyBullets = [Bool](repeating: false, count: 100)
    private var enemyBullets = [Bool](repeating: false, count: 100)
    private var aliens = [Bool](repeating: false, count: 100)
    /// −1 leftwards, +1 rightwards.
    private var alienDirection = -1
    private var moveInterval = SpaceInvaders.enemyMoveInterval
    private var alienMoveTimer = SpaceInvaders.enemyMoveInterval
    private var alienShotTimer = SpaceInvaders.enemyShotInterval
    private var rampIndex = 0, shotTimer = 0
    private var terminal = false

    init(ramping: Bool) { self.ramping = ramping }

    /// The starting block: rows 0–3, columns 2–7.
    private static var block: [Bool] { (0..<100).map { $0 / 10 < 4 && (2..<8).contains($0 % 10) } }

    mutating func reset(using random: inout NumpyRandomState) {
        cannon = 5
        friendlyBullets = [Bool](repeating: false, count: 100)
        enemyBullets = friendlyBullets
        aliens = Self.block
        alienDirection = -1
        moveInterval = Self.enemyMoveInterval
        alienMoveTimer = moveInterval
        alienShotTimer = Self.enemyShotInterval
        (rampIndex, shotTimer, terminal) = (0, 0, false)
    }

    /// Every row one up (row y takes row y + 1), the bottom row emptied: numpy's
    /// `roll(map, −1, axis=0)` with the wrapped row cleared.
    private static func shiftUp(_ map: inout [Bool]) {
        for i in 0..<90 { map[i] = map[i + 10] }
        for i in 90..<100 { map[i] = false }
    }

    /// Every row one down, the top row emptied (`roll(map, 1, axis=0)`, wrapped row cleared).
    private static func shiftDown(_ map: inout [Bool]) {
        for i in stride(from: 99, through: 10, by: -1) { map[i] = map[i - 10] }
        for i in 0..<10 { map[i] = false }
    }

    /// numpy's `roll(map, 1, axis=0)`: every row one down, the bottom row wrapping to the top.
    private static func rollDown(_ map: inout [Bool]) {
        let bottom = Array(map[90..<100])
        shiftDown(&map)
        for x in 0..<10 { map[x] = bottom[x] }
    }

    /// numpy's `roll(map, step, axis=1)` for a step of ±1: every row one column over, wrapping around.
    private static func rollColumns(_ map: inout [Bool], by step: Int) {
        for row in stride(from: 0, to: 100, by: 10) {
            if step > 0 {
                let last = map[row + 9]
                for x in stride(from: 9, through: 1, by: -1) { map[row + x] = map[row + x - 1] }
                map[row] = last
            } else {
                let first = map[row]
                for x in 0..<9 { map[row + x] = map[row + x + 1] }
                map[row + 9] = first
            }
        }
    }

    private func anyAlien(row y: Int) -> Bool { (0..<10).contains { aliens[y * 10 + $0] } }
    private func anyAlien(column x: Int) -> Bool { (0..<10).contains { aliens[$0 * 10 + x] } }

    /// The lowest alien of the column nearest the cannon (nearer columns
    /// first, the left one of two at the same distance), as (y, x).
    private func nearestAlien() -> (Int, Int)? {
        for x in (0..<10).sorted(by: { (abs($0 - cannon), $0) < (abs($1 - cannon), $1) }) where anyAlien(column: x) {
            return ((0..<10).last { aliens[$0 * 10 + x] }!, x)
        }
        return nil
    }

    mutating func act(_ action: MinAtarAction, using random: inout NumpyRandomState) -> (reward: Int, terminal: Bool) {
        guard !terminal else { return (0, true) }
        var reward = 0
        if action == .fire && shotTimer == 0 {
            friendlyBullets[90 + cannon] = true
            shotTimer = Self.shotCoolDown
        } else if action == .left {
            cannon = max(0, cannon - 1)
        } else if action == .right {
            cannon = min(9, cannon + 1)
        }
        // Friendly bullets rise a row, enemy bullets fall one; none wraps around.
        Self.shiftUp(&friendlyBullets)
        Self.shiftDown(&enemyBullets)
        if enemyBullets[90 + cannon] { terminal = true }

        if aliens[90 + cannon] { terminal = true }
        if alienMoveTimer == 0 {
            alienMoveTimer = min(aliens.reduce(0) { $0 + ($1 ? 1 : 0) }, moveInterval)
            if (anyAlien(column: 0) && alienDirection < 0) || (anyAlien(column: 9) && alienDirection > 0) {
                alienDirection = -alienDirection
                if anyAlien(row: 9) { terminal = true }
                Self.rollDown(&aliens)
            } else {
                Self.rollColumns(&aliens, by: alienDirection)
            }
            if aliens[90 + cannon] { terminal = true }
        }
        if alienShotTimer == 0 {
            alienShotTimer = Self.enemyShotInterval
            // The package indexes the result unchecked; a block is refilled before it can be empty here.
            if let (y, x) = nearestAlien() { enemyBullets[y * 10 + x] = true }
        }
        for i in 0..<100 where aliens[i] && friendlyBullets[i] {
            reward += 1
            (aliens[i], friendlyBullets[i]) = (false, false)
        }
        if shotTimer > 0 { shotTimer -= 1 }
        alienMoveTimer -= 1
        alienShotTimer -= 1
        if !aliens.contains(true) {
            if moveInterval > 6 && ramping {
                moveInterval -= 1
                rampIndex += 1
            }
            aliens = Self.block
        }
        return (reward, terminal)
    }

    func draw(into grid: MinAtarGrid) {
        grid.set(9, cannon, 0)
        for i in 0..<100 {
            if aliens[i] {
                grid.set(i / 10, i % 10, 1)
                grid.set(i / 10, i % 10, alienDirection < 0 ? 2 : 3)
            }
            if friendlyBullets[i] { grid.set(i / 10, i % 10, 4) }
            if enemyBullets[i] { grid.set(i / 10, i % 10, 5) }
        }
    }

    var state: [Int] {
        [cannon, alienDirection, moveInterval, alienMoveTimer, alienShotTimer, rampIndex, shotTimer, terminal ? 1 : 0]
            + (friendlyBullets + enemyBullets + aliens).map { $0 ? 1 : 0 }
    }

    mutating func restore(_ state: [Int]) -> Bool {
        guard state.count == 308, (0...9).contains(state[0]), abs(state[1]) == 1 else { return false }
        (cannon, alienDirection, moveInterval, alienMoveTimer) = (state[0], state[1], state[2], state[3])
        (alienShotTimer, rampIndex, shotTimer, terminal) = (state[4], state[5], state[6], state[7] != 0)
        let maps = state.dropFirst(8).map { $0 != 0 }
        (friendlyBullets, enemyBullets, aliens) = (Array(maps[0..<100]), Array(maps[100..<200]), Array(maps[200..<300]))
        return true
    }
}

/// MinAtar Seaquest: a submarine shoots fish and enemy subs (+1 each) and
/// picks up divers; it must surface before its oxygen runs out, and
/// surfacing with six divers scores the oxygen left (up to +10); surfacing
/// with none, a collision or an enemy bullet ends the game. With ramping,
/// enemies spawn and move faster with each surfacing. Channels: sub front,
/// sub back, friendly bullet, trail, enemy bullet, enemy fish, enemy sub,
/// oxygen gauge, diver gauge, diver.
///
/// The package keeps its entities in Python lists, mutated while iterated
/// in reverse and removed by value; `PythonList` keeps those semantics, so
/// this port matches it in every corner (a sub that leaves the screen still
/// fires its due shot; six divers surfaced leave the count at −1).
struct Seaquest: MinAtarGame {
    static let name = "Seaquest"
    static let channels = 10
    static let minimalActions: [MinAtarAction] = MinAtarAction.allCases
    static let summary = "Seaquest: shoot, rescue divers, surface for air, +1 a kill"
    static let rampInterval = 100, maxOxygen = 200, initialSpawnSpeed = 20, diverSpawnSpeed = 30
    static let initialMoveInterval = 5, shotCoolDown = 5, enemyShotInterval = 10, diverMoveInterval = 5

    private let ramping: Bool
    private var oxygen = Seaquest.maxOxygen, diverCount = 0
    private var subX = 5, subY = 0
    /// Facing right.
    private var facingRight = false
    /// [x, y, rightwards].
    private var friendlyBullets = PythonList()
    /// [x, y, rightwards].
    private var enemyBullets = PythonList()
    /// [x, y, rightwards, move timer].
    private var fish = PythonList()
    /// [x, y, rightwards, move timer, shot timer].
    private var subs = PythonList()
    /// [x, y, rightwards, move timer].
    private var divers = PythonList()
    private var spawnSpeed = Seaquest.initialSpawnSpeed, spawnTimer = Seaquest.initialSpawnSpeed
    private var diverSpawnTimer = Seaquest.diverSpawnSpeed
    private var moveSpeed = Seaquest.initialMoveInterval
    private var rampIndex = 0, shotTimer = 0
    private var surfaced = true, terminal = false

    init(ramping: Bool) { self.ramping = ramping }

    mutating func reset(using random: inout NumpyRandomState) {
        (oxygen, diverCount, subX, subY, facingRight) = (Self.maxOxygen, 0, 5, 0, false)
        (friendlyBullets, enemyBullets, fish, subs, divers) = (PythonList(), PythonList(), PythonList(), PythonList(), PythonList())
        (spawnSpeed, spawnTimer, diverSpawnTimer) = (Self.initialSpawnSpeed, Self.initialSpawnSpeed, Self.diverSpawnSpeed)
        (moveSpeed, rampIndex, shotTimer, surfaced, terminal) = (Self.initialMoveInterval, 0, 0, true, false)
    }

    private func isOnSub(_ e: PythonObject) -> Bool { e[0] == subX && e[1] == subY }
    private static func step(_ e: PythonObject) { e[0] += e[2] != 0 ? 1 : -1 }
    private static func offScreen(_ e: PythonObject) -> Bool { e[0] < 0 || e[0] > 9 }

    mutating func act(_ action: MinAtarAction, using random: inout NumpyRandomState) -> (reward: Int, terminal: Bool) {
        guard !terminal else { return (0, true) }
        var reward = 0
        if spawnTimer == 0 {
            spawnEnemy(using: &random)
            spawnTimer = spawnSpeed
        }
        if diverSpawnTimer == 0 {
            spawnDiver(using: &random)
            diverSpawnTimer = Self.diverSpawnSpeed
        }
        switch action {
        case .fire where shotTimer == 0:
            friendlyBullets.append([subX, subY, facingRight ? 1 : 0])
            shotTimer = Self.shotCoolDown
        case .left: (subX, facingRight) = (max(0, subX - 1), false)
        case .right: (subX, facingRight) = (min(9, subX + 1), true)
        case .up: subY = max(0, subY - 1)
        case .down: subY = min(8, subY + 1)
        default: break
        }

        // Friendly bullets
        var friendlyBulletsIndex = friendlyBullets.elements.count - 1
        while let bullet = friendlyBullets.reversedNext(&friendlyBulletsIndex) {
            Self.step(bullet)
            if Self.offScreen(bullet) {
                friendlyBullets.remove(bullet)
            } else if let hit = fish.first(where: { $0[0] == bullet[0] && $0[1] == bullet[1] }) {
                fish.remove(hit)
                friendlyBullets.remove(bullet)
                reward += 1
            } else if let hit = subs.first(where: { $0[0] == bullet[0] && $0[1] == bullet[1] }) {
                subs.remove(hit)
                friendlyBullets.remove(bullet)
                reward += 1
            }
        }

        // Divers
        var diversIndex = divers.elements.count - 1
        while let diver = divers.reversedNext(&diversIndex) {
            if isOnSub(diver) && diverCount < 6 {
                divers.remove(diver)
                diverCount += 1
            } else if diver[3] == 0 {
                diver[3] = Self.diverMoveInterval
                Self.step(diver)
                if Self.offScreen(diver) {
                    divers.remove(diver)
                } else if isOnSub(diver) && diverCount < 6 {
                    divers.remove(diver)
                    diverCount += 1
                }
            } else {
                diver[3] -= 1
            }
        }

        // Enemy subs; one that leaves the screen or is shot still fires if its shot is due.
        var subsIndex = subs.elements.count - 1
        while let sub = subs.reversedNext(&subsIndex) {
            if isOnSub(sub) { terminal = true }
            if sub[3] == 0 {
                sub[3] = moveSpeed
                Self.step(sub)
                if Self.offScreen(sub) {
                    subs.remove(sub)
                } else if isOnSub(sub) {
                    terminal = true
                } else if let hit = friendlyBullets.first(where: { $0[0] == sub[0] && $0[1] == sub[1] }) {
                    subs.remove(sub)
                    friendlyBullets.remove(hit)
                    reward += 1
                }
            } else {
                sub[3] -= 1
            }
            if sub[4] == 0 {
                sub[4] = Self.enemyShotInterval
                enemyBullets.append([sub[0], sub[1], sub[2]])
            } else {
                sub[4] -= 1
            }
        }

        // Enemy bullets
        var enemyBulletsIndex = enemyBullets.elements.count - 1
        while let bullet = enemyBullets.reversedNext(&enemyBulletsIndex) {
            if isOnSub(bullet) { terminal = true }
            Self.step(bullet)
            if Self.offScreen(bullet) {
                enemyBullets.remove(bullet)
            } else if isOnSub(bullet) {
                terminal = true
            }
        }

        // Enemy fish
        var fishIndex = fish.elements.count - 1
        while let f = fish.reversedNext(&fishIndex) {
            if isOnSub(f) { terminal = true }
            if f[3] == 0 {
                f[3] = moveSpeed
                Self.step(f)
                if Self.offScreen(f) {
                    fish.remove(f)
                } else if isOnSub(f) {
                    terminal = true
                } else if let hit = friendlyBullets.first(where: { $0[0] == f[0] && $0[1] == f[1] }) {
                    fish.remove(f)
                    friendlyBullets.remove(hit)
                    reward += 1
                }
            } else {
                f[3] -= 1
            }
        }

        if spawnTimer > 0 { spawnTimer -= 1 }
        if diverSpawnTimer > 0 { diverSpawnTimer -= 1 }
        if shotTimer > 0 { shotTimer -= 1 }
        if oxygen <= 0 { terminal = true }
        if subY > 0 {
            oxygen -= 1
            surfaced = false
        } else if !surfaced {
            if diverCount == 0 { terminal = true } else { reward += surface() }
        }
        return (reward, terminal)
    }

    /// Reaching the top row with divers: six score the oxygen left; oxygen is
    /// refilled, one diver leaves (the package's count, even after six), and
    /// difficulty ramps.
    private mutating func surface() -> Int {
        surfaced = true
        var reward = 0
        if diverCount == 6 {
            diverCount = 0
            reward = oxygen * 10 / Self.maxOxygen
        }
        oxygen = Self.maxOxygen
        diverCount -= 1
        if ramping && (spawnSpeed > 1 || moveSpeed > 2) {
            if moveSpeed > 2 && rampIndex % 2 == 1 { moveSpeed -= 1 }
            if spawnSpeed > 1 { spawnSpeed -= 1 }
            rampIndex += 1
        }
        return reward
    }

    /// A fish or an enemy sub in a random row 1–8 from a random side, unless
    /// that row holds an enemy going the other way (the draws happen either way).
    private mutating func spawnEnemy(using random: inout NumpyRandomState) {
        let rightwards = random.uniform() < 1.0 / 2
        let isSub = random.uniform() < 1.0 / 3
        let y = random.integer(in: 1..<9)
        let lr = rightwards ? 1 : 0
        if (subs.elements + fish.elements).contains(where: { $0[1] == y && $0[2] != lr }) { return }
        if isSub {
            subs.append([rightwards ? 0 : 9, y, lr, moveSpeed, Self.enemyShotInterval])
        } else {
            fish.append([rightwards ? 0 : 9, y, lr, moveSpeed])
        }
    }

    private mutating func spawnDiver(using random: inout NumpyRandomState) {
        let rightwards = random.uniform() < 1.0 / 2
        let y = random.integer(in: 1..<9)
        divers.append([rightwards ? 0 : 9, y, rightwards ? 1 : 0, Self.diverMoveInterval])
    }

    func draw(into grid: MinAtarGrid) {
        grid.set(subY, subX, 0)
        // numpy wraps a back cell of −1 to column 9.
        grid.set(subY, ((facingRight ? subX - 1 : subX + 1) + 10) % 10, 1)
        for x in 0 ..< max(0, oxygen) * 10 / Self.maxOxygen { grid.set(9, x, 7) }
        // numpy's slice 9 − count : 9, empty once six divers surfaced leave the count at −1 (10:9).
        for x in stride(from: max(0, 9 - diverCount), to: 9, by: 1) { grid.set(9, x, 8) }
        for b in friendlyBullets.elements { grid.set(b[1], b[0], 2) }
        for b in enemyBullets.elements { grid.set(b[1], b[0], 4) }
        for (list, channel) in [(fish, 5), (subs, 6), (divers, 9)] {
            for e in list.elements {
                grid.set(e[1], e[0], channel)
                let back = e[2] != 0 ? e[0] - 1 : e[0] + 1
                if (0...9).contains(back) { grid.set(e[1], back, 3) }
            }
        }
    }

    var state: [Int] {
        let scalars = [oxygen, diverCount, subX, subY, facingRight ? 1 : 0, spawnSpeed, spawnTimer, diverSpawnTimer,
                       moveSpeed, rampIndex, shotTimer, surfaced ? 1 : 0, terminal ? 1 : 0]
        return scalars + [friendlyBullets, enemyBullets, fish, subs, divers].flatMap(\.flattened)
    }

    mutating func restore(_ state: [Int]) -> Bool {
        guard state.count >= 13 else { return false }
        (oxygen, diverCount, subX, subY, facingRight) = (state[0], state[1], state[2], state[3], state[4] != 0)
        (spawnSpeed, spawnTimer, diverSpawnTimer, moveSpeed) = (state[5], state[6], state[7], state[8])
        (rampIndex, shotTimer, surfaced, terminal) = (state[9], state[10], state[11] != 0, state[12] != 0)
        var rest = state.dropFirst(13)
        var lists: [PythonList] = []
        for _ in 0..<5 {
            guard let list = PythonList(flattened: &rest) else { return false }
            lists.append(list)
        }
        (friendlyBullets, enemyBullets, fish, subs, divers) = (lists[0], lists[1], lists[2], lists[3], lists[4])
        return rest.isEmpty && (0...9).contains(subX) && (0...8).contains(subY)
    }
}

/// A mutable Python list of integer lists: elements are shared references
/// (`bullet[0] += 1` changes the element in the list), `remove` takes the
/// first element equal in value, and `reversedNext` steps as
/// `for x in reversed(list)` does while the body mutates the list.
final class PythonObject {
    var values: [Int]
    init(_ values: [Int]) { self.values = values }
    subscript(i: Int) -> Int {
        get { values[i] }
        set { values[i] = newValue }
    }
}

struct PythonList {
    private(set) var elements: [PythonObject] = []

    init() {}

    mutating func append(_ values: [Int]) { elements.append(PythonObject(values)) }

    /// `list.remove(x)`: the first element equal to `x` by value.
    mutating func remove(_ object: PythonObject) {
        if let i = elements.firstIndex(where: { $0.values == object.values }) { elements.remove(at: i) }
    }

    func first(where predicate: (PythonObject) -> Bool) -> PythonObject? { elements.first(where: predicate) }

    /// One step of `for x in reversed(list)` while the loop's body may change
    /// the list: the element at `index` (which falls by one), or nil once
    /// `index` has left 0..<count, where Python's reverse iterator stops.
    ///
    ///     var index = list.elements.count - 1
    ///     while let x = list.reversedNext(&index) { … }
    func reversedNext(_ index: inout Int) -> PythonObject? {
        guard index >= 0 && index < elements.count else { return nil }
        defer { index -= 1 }
        return elements[index]
    }

    /// Count, then each element's length and values, for snapshots.
    var flattened: [Int] { [elements.count] + elements.flatMap { [$0.values.count] + $0.values } }

    init?(flattened words: inout ArraySlice<Int>) {
        guard let count = words.popFirst(), (0...1000).contains(count) else { return nil }
        for _ in 0..<count {
            guard let length = words.popFirst(), (0...8).contains(length), words.count >= length else { return nil }
            elements.append(PythonObject(Array(words.prefix(length))))
            words = words.dropFirst(length)
        }
    }
}

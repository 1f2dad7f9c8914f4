/// The map of one `MemoryMaze` episode: a square grid of `rooms`×`rooms`
/// rooms, each `roomSize`×`roomSize` floor cells, separated by one-cell walls
/// with one doorway per connected pair of neighbouring rooms.
///
/// Drawn from the episode's generator: the doorways (a random spanning tree of
/// the rooms, so every room is reachable, plus each remaining neighbouring
/// pair with probability 1/4, which makes loops), each doorway's place along
/// its wall, the floor colour of every room (distinct), and the room and cell
/// of every target (one target per room at most).
struct MazeLayout {
    /// Cell values other than a room index (≥ 0).
    static let wall = -1, doorway = -2

    let rooms: Int, roomSize: Int
    /// Cells per side: rooms·(roomSize + 1) + 1.
    let side: Int
    /// Per cell, row-major: the room index of a floor cell, `wall` or `doorway`.
    private(set) var cells: [Int]
    /// Per room: its floor colour, an index into `floorPalette`.
    private(set) var floorColours: [Int] = []
    /// Per target k (drawn in `targetPalette[k]`): its cell.
    private(set) var targets: [(x: Int, y: Int)] = []
    /// Per cell, row-major: the target standing there, or −1.
    private(set) var targetAt: [Int]

    init(rooms: Int, roomSize: Int, targets targetCount: Int, using rng: inout RandomGenerator) {
        precondition(rooms >= 2 && roomSize >= 1 && rooms * rooms <= Self.floorPalette.count
                     && (1...min(rooms * rooms, Self.targetPalette.count)).contains(targetCount), "MazeLayout size out of range")
        (self.rooms, self.roomSize) = (rooms, roomSize)
        side = rooms * (roomSize + 1) + 1
        cells = [Int](repeating: Self.wall, count: side * side)
        targetAt = [Int](repeating: -1, count: side * side)
        for room in 0..<(rooms * rooms) {
            let (x0, y0) = origin(of: room)
            for y in y0..<(y0 + roomSize) { for x in x0..<(x0 + roomSize) { cells[y * side + x] = room } }
        }
        connectRooms(using: &rng)
        floorColours = Array(rng.permutation(Self.floorPalette.count).prefix(rooms * rooms))
        for (k, room) in rng.permutation(rooms * rooms).prefix(targetCount).enumerated() {
            let cell = randomCell(in: room, using: &rng)
            targets.append(cell)
            targetAt[cell.y * side + cell.x] = k
        }
    }

    /// The value of cell (x, y); `wall` outside the grid.
    func cell(_ x: Int, _ y: Int) -> Int {
        x >= 0 && x < side && y >= 0 && y < side ? cells[y * side + x] : Self.wall
    }

    /// A uniformly random floor cell of `room`.
    func randomCell(in room: Int, using rng: inout RandomGenerator) -> (x: Int, y: Int) {
        let (x0, y0) = origin(of: room)
        return (x0 + rng.int(below: roomSize), y0 + rng.int(below: roomSize))
    }

    /// The top-left floor cell of `room` (rooms are numbered row-major).
    private func origin(of room: Int) -> (x: Int, y: Int) {
        ((room % rooms) * (roomSize + 1) + 1, (room / rooms) * (roomSize + 1) + 1)
    }

    // MARK: - Doorways

    /// Opens doorways along a random spanning tree (depth-first), then between
    /// each other pair of neighbours with probability 1/4.
    private mutating func connectRooms(using rng: inout RandomGenerator) {
        var connected = Set<Int>(), visited = [Bool](repeating: false, count: rooms * rooms)
        var stack = [rng.int(below: rooms * rooms)]
        visited[stack[0]] = true
        while let room = stack.last {
            let fresh = neighbours(of: room).filter { !visited[$0] }
            guard !fresh.isEmpty else { stack.removeLast(); continue }
            let next = fresh[rng.int(below: fresh.count)]
            visited[next] = true
            connected.insert(min(room, next) * rooms * rooms + max(room, next))
            openDoorway(room, next, using: &rng)
            stack.append(next)
        }
        for room in 0..<(rooms * rooms) {
            for next in neighbours(of: room) where next > room && !connected.contains(room * rooms * rooms + next) {
                if rng.int(below: 4) == 0 { openDoorway(room, next, using: &rng) }
            }
        }
    }

    /// The rooms sharing a wall with `room`.
    private func neighbours(of room: Int) -> [Int] {
        let (i, j) = (room % rooms, room / rooms)
        return [(i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)]
            .filter { $0.0 >= 0 && $0.0 < rooms && $0.1 >= 0 && $0.1 < rooms }
            .map { $0.1 * rooms + $0.0 }
    }

    /// Turns one random cell of the wall between neighbours `a` < `b` into a doorway.
    private mutating func openDoorway(_ a: Int, _ b: Int, using rng: inout RandomGenerator) {
        let (low, high) = (min(a, b), max(a, b))
        let (x0, y0) = origin(of: low)
        let along = rng.int(below: roomSize)
        let (x, y) = high == low + 1 ? (x0 + roomSize, y0 + along) : (x0 + along, y0 + roomSize)
        cells[y * side + x] = Self.doorway
    }

    // MARK: - Drawing

    /// Floors: eight hues, light and dark, muted so the saturated targets stand out.
    static let floorPalette = [
        RGB(199, 115, 115), RGB(199, 178, 115), RGB(157, 199, 115), RGB(115, 199, 136),
        RGB(115, 199, 199), RGB(115, 136, 199), RGB(157, 115, 199), RGB(199, 115, 178),
        RGB(133, 81, 50), RGB(123, 133, 50), RGB(61, 133, 50), RGB(50, 133, 101),
        RGB(50, 102, 133), RGB(60, 50, 133), RGB(122, 50, 133), RGB(133, 50, 82),
    ]
    /// Targets, as Memory Maze's: saturated, in this order.
    static let targetPalette = [
        RGB(230, 30, 30), RGB(30, 210, 40), RGB(40, 80, 255),
        RGB(250, 230, 20), RGB(230, 40, 230), RGB(20, 230, 240),
    ]
    static let wallColour = RGB(170, 170, 170), doorwayColour = RGB(70, 70, 70), hiddenColour = RGB(0, 0, 0)

    /// Draws cell (x, y) as a `size`-pixel square with top-left pixel (px, py):
    /// black if hidden; else wall, doorway or the room's floor (a checkerboard
    /// of two shades, so steps across one floor show), with its target on top.
    func drawCell(_ x: Int, _ y: Int, visible: Bool, into buffer: inout PixelBuffer, px: Int, py: Int, size: Int) {
        let value = cell(x, y)
        let colour: RGB
        if !visible { colour = Self.hiddenColour } else if value == Self.wall {
            colour = Self.wallColour
        } else if value == Self.doorway {
            colour = Self.doorwayColour
        } else {
            let c = Self.floorPalette[floorColours[value]]
            colour = (x + y) % 2 == 0 ? c : RGB(c.r - c.r / 8, c.g - c.g / 8, c.b - c.b / 8)
        }
        buffer.fillRect(x: px, y: py, width: size, height: size, colour)
        guard visible, value >= 0 else { return }
        let k = targetAt[y * side + x]
        if k >= 0 {
            let half = Float(size) / 2
            buffer.fillDisc(cx: Float(px) + half, cy: Float(py) + half, radius: half - 1, Self.targetPalette[k])
        }
    }
}

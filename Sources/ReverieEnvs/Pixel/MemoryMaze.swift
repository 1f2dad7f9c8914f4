/// A partially observable maze of coloured rooms with coloured targets, seen
/// through a small egocentric window: a 2-D, top-down Memory Maze (Pasukonis
/// et al. 2022, "Evaluating Long-Term Memory in 3D Mazes"), the kind of task
/// S4WM uses to test long-term imagination (Deng et al. 2023).
///
/// **World.** `rooms`×`rooms` rooms of `roomSize`×`roomSize` cells joined by
/// doorways (see `MazeLayout`); every room has its own floor colour, and
/// `targets` rooms hold a target ball of a distinct colour. The layout, the
/// start pose and the first indicated target are drawn afresh each episode.
///
/// **Rules.** Actions are `Discrete(3)`: 0 steps one cell forward (a wall
/// blocks it), 1 turns left, 2 turns right. Stepping onto the indicated
/// target rewards +1, and another target, chosen uniformly among the rest,
/// becomes the indicated one; every other step rewards 0. The episode never
/// terminates: its registration truncates it at 1000 steps, as Memory Maze's.
/// Scoring well means remembering where each colour was seen.
///
/// **Observation** (64, 64, 3) uint8: a 4-pixel border in the indicated
/// target's colour around 7×7 cells of 8 pixels, the agent's view rotated so
/// it always faces up: it stands in the bottom row's middle cell (the white
/// arrow) and sees 6 cells ahead and 3 to each side. A cell is drawn only if
/// the straight line from the agent's cell to it crosses no wall; hidden
/// cells are black. The world is static, so the same pose always gives the
/// same view: what the agent will see on returning to a room is predictable
/// from memory alone. `render()` draws the whole map, with the same border.
public final class MemoryMaze: Environment {
    static let viewCells = 7, cellPixels = 8, border = 4
    /// One cell's step (dx, dy) along headings north, east, south, west.
    static let directions = [(0, -1), (1, 0), (0, 1), (-1, 0)]

    public let name: String
    public let observationSpace: Space
    public let actionSpace: Space = .discrete(3)
    /// Rooms per side of the maze (2…4).
    public let rooms: Int
    /// Floor cells per side of a room (2…5).
    public let roomSize: Int
    /// Number of targets (2…6, at most one per room).
    public let targetCount: Int

    private var rng = RandomGenerator(seed: 0)
    private(set) var layout: MazeLayout
    /// The agent's cell and heading (0 north, 1 east, 2 south, 3 west; y grows southward).
    private(set) var agent = (x: 0, y: 0, heading: 0)
    /// The indicated target, an index into `layout.targets`.
    private(set) var target = 0
    private var view = PixelBuffer(width: 2 * border + viewCells * cellPixels, height: 2 * border + viewCells * cellPixels)
    private var map: PixelBuffer
    private var started = false

    /// A maze of `rooms`×`rooms` rooms; the registry's `MemoryMaze?rooms=…&roomSize=…&targets=…`
    /// builds one, checking the ranges documented on each property.
    public init(rooms: Int = 3, roomSize: Int = 3, targets: Int = 3, name: String = "MemoryMaze") {
        precondition((2...4).contains(rooms) && (2...5).contains(roomSize)
                     && (2...min(6, rooms * rooms)).contains(targets), "MemoryMaze options out of range")
        (self.rooms, self.roomSize, targetCount, self.name) = (rooms, roomSize, targets, name)
        observationSpace = view.observationSpace
        layout = MazeLayout(rooms: rooms, roomSize: roomSize, targets: targets, using: &rng)
        let mapSide = 2 * Self.border + layout.side * Self.cellPixels
        map = PixelBuffer(width: mapSide, height: mapSide)
    }

    public func reset(seed: UInt64?) -> [Float] {
        if let seed { rng = RandomGenerator(seed: seed) }
        layout = MazeLayout(rooms: rooms, roomSize: roomSize, targets: targetCount, using: &rng)
        var start: (x: Int, y: Int)
        repeat {
            start = layout.randomCell(in: rng.int(below: rooms * rooms), using: &rng)
        } while layout.targetAt[start.y * layout.side + start.x] >= 0
        agent = (start.x, start.y, rng.int(below: 4))
        target = rng.int(below: targetCount)
        started = true
        return observe()
    }

    public func step(_ action: [Float]) throws -> Step {
        try validate(action)
        guard started else { throw EnvironmentError.stepAfterEnd(environment: name) }
        var reward: Float = 0
        switch Int(action[0]) {
        case 0:
            let (dx, dy) = Self.directions[agent.heading]
            guard layout.cell(agent.x + dx, agent.y + dy) != MazeLayout.wall else { break }
            agent.x += dx
            agent.y += dy
            if layout.targets[target] == (agent.x, agent.y) {
                reward = 1
                target = (target + 1 + rng.int(below: targetCount - 1)) % targetCount
            }
        case 1: agent.heading = (agent.heading + 3) % 4
        default: agent.heading = (agent.heading + 1) % 4
        }
        return Step(observation: observe(), reward: reward, terminated: false)
    }

    /// The whole map seen from above, with the agent's arrow and the indicated
    /// target's border: (8·side + 8) pixels square.
    public func render() -> Frame? {
        map.fill(MazeLayout.targetPalette[target])
        let c = Self.cellPixels
        for y in 0..<layout.side {
            for x in 0..<layout.side {
                layout.drawCell(x, y, visible: true, into: &map, px: Self.border + x * c, py: Self.border + y * c, size: c)
            }
        }
        drawArrow(into: &map, px: Self.border + agent.x * c, py: Self.border + agent.y * c, heading: agent.heading)
        return map.frame
    }

    // MARK: - Egocentric view

    /// Per view cell (row-major, agent at the bottom row's middle): the view
    /// cells the sight line from the agent's cell crosses, found by sampling
    /// the segment between cell centres four times per cell it spans.
    static let sightLines: [[Int]] = (0..<(viewCells * viewCells)).map { i in
        let (f, l) = forwardAndRight(ofViewCell: i)
        let samples = 4 * max(f, abs(l))
        var crossed: [Int] = []
        for k in 0..<samples {
            let t = (Float(k) + 0.5) / Float(samples)
            let (cf, cl) = (Int((Float(f) * t).rounded()), Int((Float(l) * t).rounded()))
            let j = (viewCells - 1 - cf) * viewCells + cl + viewCells / 2
            if (cf, cl) != (0, 0) && j != i && !crossed.contains(j) { crossed.append(j) }
        }
        return crossed
    }

    /// Cells ahead of and to the right of the agent for view cell `i`.
    static func forwardAndRight(ofViewCell i: Int) -> (Int, Int) {
        (viewCells - 1 - i / viewCells, i % viewCells - viewCells / 2)
    }

    private func observe() -> [Float] {
        let n = Self.viewCells, c = Self.cellPixels
        let forward = Self.directions[agent.heading], right = Self.directions[(agent.heading + 1) % 4]
        view.fill(MazeLayout.targetPalette[target])
        withUnsafeTemporaryAllocation(of: (x: Int, y: Int, open: Bool).self, capacity: n * n) { seen in
            for i in 0..<(n * n) {
                let (f, l) = Self.forwardAndRight(ofViewCell: i)
                let (x, y) = (agent.x + f * forward.0 + l * right.0, agent.y + f * forward.1 + l * right.1)
                seen[i] = (x, y, layout.cell(x, y) != MazeLayout.wall)
            }
            for i in 0..<(n * n) {
                let visible = Self.sightLines[i].allSatisfy { seen[$0].open }
                layout.drawCell(seen[i].x, seen[i].y, visible: visible, into: &view,
                                px: Self.border + (i % n) * c, py: Self.border + (i / n) * c, size: c)
            }
        }
        drawArrow(into: &view, px: Self.border + (n / 2) * c, py: Self.border + (n - 1) * c, heading: 0)
        return view.observation()
    }

    /// The agent: a white arrowhead filling the cell at (px, py), pointing along `heading`.
    private func drawArrow(into buffer: inout PixelBuffer, px: Int, py: Int, heading: Int) {
        let half = Float(Self.cellPixels) / 2
        let (cx, cy) = (Float(px) + half, Float(py) + half)
        let (fx, fy) = Self.directions[heading]
        // Rotates a point given as (ahead, rightward) offsets from the centre.
        func point(_ ahead: Float, _ rightward: Float) -> (Float, Float) {
            (cx + ahead * Float(fx) - rightward * Float(fy), cy + ahead * Float(fy) + rightward * Float(fx))
        }
        buffer.fillTriangle(point(half - 0.5, 0), point(-half + 1, -half + 1), point(-half + 1, half - 1), RGB(255, 255, 255))
    }
}

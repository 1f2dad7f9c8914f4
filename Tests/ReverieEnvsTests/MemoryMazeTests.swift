import Testing
@testable import ReverieEnvs

/// The shortest action sequence from the agent's pose to a pose satisfying
/// `goal(x, y, heading)`, never entering a cell in `blocked` (cell indices).
private func plan(_ maze: MemoryMaze, avoiding blocked: Set<Int> = [],
                  to goal: (Int, Int, Int) -> Bool) -> [Int]? {
    let layout = maze.layout, side = layout.side
    let start = (maze.agent.y * side + maze.agent.x) * 4 + maze.agent.heading
    var parent = [(state: Int, action: Int)?](repeating: nil, count: side * side * 4)
    var queue = [start], head = 0
    parent[start] = (start, -1)
    while head < queue.count {
        let state = queue[head]; head += 1
        let (cell, heading) = (state / 4, state % 4)
        if goal(cell % side, cell / side, heading) {
            var actions: [Int] = [], s = state
            while s != start, let p = parent[s] { actions.append(p.action); s = p.state }
            return actions.reversed()
        }
        let (dx, dy) = MemoryMaze.directions[heading]
        let ahead = cell + dy * side + dx
        let canMove = layout.cell(cell % side + dx, cell / side + dy) != MazeLayout.wall && !blocked.contains(ahead)
        let next = [canMove ? ahead * 4 + heading : nil, cell * 4 + (heading + 3) % 4, cell * 4 + (heading + 1) % 4]
        for (action, n) in next.enumerated() {
            guard let n, parent[n] == nil else { continue }
            parent[n] = (state, action)
            queue.append(n)
        }
    }
    return nil
}

struct MemoryMazeTests {
    @Test func viewChangesWhenTurningOrMoving() throws {
        let maze = MemoryMaze()
        let start = maze.reset(seed: 2)
        let left = try maze.step([1]).observation
        #expect(left != start)
        #expect(try maze.step([2]).observation == start)
        var turned = start
        for _ in 0..<4 { turned = try maze.step([2]).observation }
        #expect(turned == start)
        var facing = turned
        while case let (dx, dy) = MemoryMaze.directions[maze.agent.heading],
              maze.layout.cell(maze.agent.x + dx, maze.agent.y + dy) == MazeLayout.wall {
            facing = try maze.step([2]).observation
        }
        #expect(try maze.step([0]).observation != facing)
    }

    @Test(arguments: 0..<6) func returningToAPoseShowsTheSameView(seed: UInt64) throws {
        let maze = MemoryMaze()
        let before = maze.reset(seed: seed)
        let layout = maze.layout
        let pose = maze.agent
        let home = layout.cell(pose.x, pose.y)
        let targets = Set(layout.targets.map { $0.y * layout.side + $0.x })
        let away = try #require(plan(maze, avoiding: targets) { x, y, _ in layout.cell(x, y) >= 0 && layout.cell(x, y) != home })
        var elsewhere = before
        for a in away {
            let step = try maze.step([Float(a)])
            elsewhere = step.observation
            #expect(step.reward == 0)
        }
        #expect(layout.cell(maze.agent.x, maze.agent.y) != home && elsewhere != before)
        let back = try #require(plan(maze, avoiding: targets) { x, y, h in (x, y, h) == pose })
        var after = elsewhere
        for a in back { after = try maze.step([Float(a)]).observation }
        #expect(after == before, "seed \(seed): the view of a pose is a function of the pose")
    }

    @Test func followingTheMapEarnsMoreThanActingAtRandom() throws {
        let maze = MemoryMaze()
        var rng = RandomGenerator(seed: 0)
        var (oracle, random): (Float, Float) = (0, 0)
        for seed: UInt64 in 0..<3 {
            _ = maze.reset(seed: seed)
            for _ in 0..<1000 {
                let goal = maze.layout.targets[maze.target]
                let action = try #require(plan(maze) { x, y, _ in (x, y) == goal }?.first)
                let (before, step) = (maze.target, try maze.step([Float(action)]))
                oracle += step.reward
                if step.reward > 0 {
                    let border = MazeLayout.targetPalette[maze.target]
                    #expect(maze.target != before && step.observation[0..<3] == [Float(border.r), Float(border.g), Float(border.b)])
                }
            }
            _ = maze.reset(seed: seed)
            for _ in 0..<1000 { random += try maze.step([Float(rng.int(below: 3))]).reward }
        }
        #expect(oracle >= 3 * 40, "the oracle should reach a target every ~25 steps, got \(oracle / 3) per episode")
        #expect(oracle > 4 * random, "oracle \(oracle) vs random \(random)")
    }

    @Test(arguments: 0..<5) func layoutsAreConnectedAndDistinct(seed: UInt64) {
        var rng = RandomGenerator(seed: seed)
        let layout = MazeLayout(rooms: 4, roomSize: 3, targets: 6, using: &rng)
        let floor = layout.cells.indices.filter { layout.cells[$0] != MazeLayout.wall }
        var reached: Set = [floor[0]], frontier = [floor[0]]
        while let cell = frontier.popLast() {
            for n in [cell - 1, cell + 1, cell - layout.side, cell + layout.side]
            where layout.cells[n] != MazeLayout.wall && reached.insert(n).inserted { frontier.append(n) }
        }
        #expect(reached.count == floor.count, "every floor cell is reachable")
        #expect(Set(layout.floorColours).count == 16)
        #expect(Set(layout.targets.map { layout.cell($0.x, $0.y) }).count == 6, "one target per room")
        var other = RandomGenerator(seed: seed + 100)
        #expect(MazeLayout(rooms: 4, roomSize: 3, targets: 6, using: &other).cells != layout.cells)
    }

    @Test func wallsHideWhatLiesBehindThem() throws {
        // Straight ahead two cells is seen past the cell between; diagonal neighbours past nothing.
        let n = MemoryMaze.viewCells, agent = (n - 1) * n + n / 2
        #expect(MemoryMaze.sightLines[agent - 2 * n] == [agent - n])
        #expect(MemoryMaze.sightLines[agent - n - 1].isEmpty && MemoryMaze.sightLines[agent].isEmpty)
        let maze = MemoryMaze()
        var rng = RandomGenerator(seed: 1)
        var observations = [maze.reset(seed: 1)]
        for _ in 0..<100 { observations.append(try maze.step([Float(rng.int(below: 3))]).observation) }
        let hidden = observations.filter { colours($0).contains([0, 0, 0]) }
        #expect(hidden.count > 50, "most views have cells hidden behind walls")
    }
}

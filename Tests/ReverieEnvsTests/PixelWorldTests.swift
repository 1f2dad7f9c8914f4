import Testing
@testable import ReverieEnvs

/// Runs `actions` from `reset(seed:)` and returns every observation, the first included.
private func rollout(_ env: any Environment, seed: UInt64, actions: [Int]) throws -> [[Float]] {
    var observations = [env.reset(seed: seed)]
    for a in actions {
        let step = try env.step([Float(a)])
        observations.append(step.observation)
        if step.isDone { break }
    }
    return observations
}

/// The distinct RGB colours of a flat (H, W, 3) observation.
func colours(_ observation: [Float]) -> Set<[Float]> {
    Set(stride(from: 0, to: observation.count, by: 3).map { Array(observation[$0..<($0 + 3)]) })
}

struct PixelWorldTests {
    static let names = ["PixelCatch", "MemoryMaze"]

    // MARK: - Both worlds

    @Test(arguments: names) func spacesAndFirstObservation(name: String) throws {
        let env = try Registry.make(name)
        guard case .box(_, _, let shape, let dtype) = env.observationSpace else {
            Issue.record("\(name) observation space is not a box"); return
        }
        #expect(shape == [64, 64, 3] && dtype == .uint8)
        #expect(env.actionSpace == .discrete(3))
        let observation = env.reset(seed: 0)
        #expect(observation.count == 64 * 64 * 3 && env.observationSpace.contains(observation))
        #expect(colours(observation).count >= 3, "the first observation should not be blank")
    }

    @Test(arguments: names) func observationsStayInTheSpace(name: String) throws {
        let env = try Registry.make(name)
        var rng = RandomGenerator(seed: 7)
        let actions = (0..<400).map { _ in rng.int(below: 3) }
        for observation in try rollout(env, seed: 3, actions: actions) {
            #expect(env.observationSpace.contains(observation))
            #expect(observation.allSatisfy { $0 == $0.rounded() })
            #expect(colours(observation).count >= 3)
        }
    }

    @Test(arguments: names) func sameSeedSameBytesOtherSeedOtherWorld(name: String) throws {
        var rng = RandomGenerator(seed: 11)
        let actions = (0..<300).map { _ in rng.int(below: 3) }
        let first = try rollout(Registry.make(name), seed: 42, actions: actions)
        let again = try rollout(Registry.make(name), seed: 42, actions: actions)
        let other = try rollout(Registry.make(name), seed: 43, actions: actions)
        #expect(first == again)
        #expect(first[0] != other[0])
    }

    @Test(arguments: names) func renderDrawsTheState(name: String) throws {
        let env = try Registry.make(name)
        let observation = env.reset(seed: 5)
        let frame = try #require(env.render())
        #expect(frame.width == frame.height && frame.width >= 64)
        #expect(Set(frame.pixels).count >= 3)
        if frame.width == 64 { #expect(frame.pixels.map(Float.init) == observation) }
    }

    @Test func badActionsAndOptionsAreReported() throws {
        let env = try Registry.make("PixelCatch?balls=1&fallSpeed=4")
        _ = env.reset(seed: 0)
        #expect(throws: EnvironmentError.self) { try env.step([3]) }
        #expect(throws: EnvironmentError.self) { try env.step([0.5]) }
        while try !env.step([1]).isDone {}
        #expect(throws: EnvironmentError.stepAfterEnd(environment: "PixelCatch?balls=1&fallSpeed=4")) { try env.step([1]) }
        #expect(throws: EnvironmentError.self) { try MemoryMaze().step([0]) }
        for spec in ["PixelCatch?speed=2", "PixelCatch?drift=9", "PixelCatch?ballSize=9", "MemoryMaze?rooms=2&targets=5", "MemoryMaze?roomSize=x"] {
            #expect(throws: EnvironmentError.self, "\(spec)") { try Registry.make(spec) }
        }
        #expect(try Registry.make("MemoryMaze?rooms=4&roomSize=2&targets=6").reset(seed: 1).count == 64 * 64 * 3)
    }

    // MARK: - PixelCatch

    /// Moves the paddle's centre toward the ball's, both read from the pixels.
    private static func trackBall(_ observation: [Float]) -> Int {
        func meanColumn(rows: Range<Int>, colour: RGB) -> Float {
            var (sum, count) = (0, 0)
            for y in rows {
                for x in 0..<64 where observation[(y * 64 + x) * 3] == Float(colour.r)
                    && observation[(y * 64 + x) * 3 + 1] == Float(colour.g) && observation[(y * 64 + x) * 3 + 2] == Float(colour.b) {
                    sum += x; count += 1
                }
            }
            return count == 0 ? 32 : Float(sum) / Float(count)
        }
        let ball = meanColumn(rows: 0..<PixelCatch.paddleTop, colour: PixelCatch.ballColour)
        let paddle = meanColumn(rows: PixelCatch.paddleTop..<(PixelCatch.paddleTop + 1), colour: PixelCatch.paddleColour)
        return paddle < ball - 2 ? 2 : paddle > ball + 2 ? 0 : 1
    }

    /// (balls, fallSpeed, drift, paddleWidth, ballSize) where following the
    /// ball suffices: the paddle closes in faster than the ball drifts away.
    @Test(arguments: [(5, 2, 1, 12, 4), (8, 2, 0, 12, 4), (5, 3, 0, 8, 4), (3, 4, 0, 8, 4), (5, 1, 3, 12, 4), (5, 2, 1, 12, 8), (5, 2, 1, 8, 2)])
    func trackingTheBallCatchesEveryBall(balls: Int, fallSpeed: Int, drift: Int, paddleWidth: Int, ballSize: Int) throws {
        let env = PixelCatch(balls: balls, fallSpeed: fallSpeed, drift: drift, paddleWidth: paddleWidth, ballSize: ballSize)
        for seed: UInt64 in 0..<5 {
            var observation = env.reset(seed: seed)
            var step: Step
            var rewards: [Float] = []
            repeat {
                step = try env.step([Float(Self.trackBall(observation))])
                observation = step.observation
                if step.reward != 0 { rewards.append(step.reward) }
            } while !step.isDone
            #expect(step.terminated && !step.truncated)
            #expect(rewards.count == balls && rewards.allSatisfy { $0 == 1 }, "seed \(seed): \(rewards)")
        }
    }

    @Test func standingStillMisses() throws {
        let env = try Registry.make("PixelCatch")
        for seed: UInt64 in 0..<5 {
            _ = env.reset(seed: seed)
            var step: Step
            var rewards: [Float] = []
            repeat {
                step = try env.step([1])
                if step.reward != 0 { rewards.append(step.reward) }
            } while !step.isDone
            #expect(rewards.count == 5 && rewards.contains(-1) && rewards.reduce(0, +) < 5, "seed \(seed): \(rewards)")
        }
    }

    /// A PixelCatch snapshot taken mid-episode puts a fresh game exactly
    /// where the first stood: same screen, same steps after it (new balls too).
    @Test func pixelCatchSnapshotsResumeTheSameGame() throws {
        let a = PixelCatch(balls: 4), b = PixelCatch(balls: 4)
        _ = a.reset(seed: 9)
        for k in 0..<17 { _ = try a.step([Float(k % 3)]) }
        let snapshot = try #require(a.snapshot)
        _ = b.reset(seed: 123)
        try b.restore(snapshot)
        #expect(b.render() == a.render())
        var same = true, steps = 0
        while true {
            let (x, y) = (try a.step([Float(steps % 3)]), try b.step([Float(steps % 3)]))
            same = same && x == y
            steps += 1
            if x.isDone { break }
        }
        #expect(same && steps > 20)
        #expect(throws: SnapshotError.self) { try PixelCatch(balls: 2).restore(snapshot) }
    }
}

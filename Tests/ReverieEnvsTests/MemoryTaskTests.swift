import Testing
@testable import ReverieEnvs

/// Oracles earn the maximum, random policies their analytic expectation,
/// every return lies in [−1, 1], and seeds fix the episode.
struct MemoryTaskTests {
    /// Runs one episode; `policy` sees the env and the last observation.
    static func episode(_ env: any Environment, seed: UInt64, _ policy: (any Environment, [Float]) -> Int) throws -> (return: Double, length: Int) {
        var observation = env.reset(seed: seed)
        var total = 0.0, length = 0
        while true {
            let step = try env.step([Float(policy(env, observation))])
            total += Double(step.reward)
            length += 1
            observation = step.observation
            if step.isDone { return (total, length) }
        }
    }

    /// Mean return of a uniformly random policy over `episodes`, checking each return's range.
    static func randomMean(_ make: () -> any Environment, episodes: Int) throws -> Double {
        var rng = RandomGenerator(seed: 17)
        var sum = 0.0
        for e in 0..<episodes {
            let env = make()
            let n = env.actionSpace == .discrete(3) ? 3 : (env.actionSpace.flatCount == 1 ? Self.actions(env) : 2)
            let r = try episode(env, seed: UInt64(e)) { _, _ in rng.int(below: n) }.return
            #expect(r >= -1 - 1e-5 && r <= 1 + 1e-5)
            sum += r
        }
        return sum / Double(episodes)
    }

    static func actions(_ env: any Environment) -> Int {
        if case .discrete(let n) = env.actionSpace { return n }
        return 1
    }

    @Test(arguments: Difficulty.allCases)
    func repeatPrevious(_ difficulty: Difficulty) throws {
        let oracle = try Self.episode(RepeatPrevious(difficulty: difficulty), seed: 1) { env, _ in
            (env as! RepeatPrevious).target ?? 0
        }
        #expect(abs(oracle.return - 1) < 1e-4)
        // Right with probability 1/4 on each rewarded step: ¼ − ¾ = −½ in total.
        #expect(abs(try Self.randomMean({ RepeatPrevious(difficulty: difficulty) }, episodes: 200) + 0.5) < 0.03)
    }

    @Test(arguments: Difficulty.allCases)
    func repeatFirst(_ difficulty: Difficulty) throws {
        // The oracle remembers the first observation itself.
        var first: Float?
        let oracle = try Self.episode(RepeatFirst(difficulty: difficulty), seed: 2) { _, o in
            if first == nil { first = o[0] }
            return Int(first!)
        }
        #expect(abs(oracle.return - 1) < 1e-4)
        #expect(oracle.length == 52 * [1, 8, 16][Difficulty.allCases.firstIndex(of: difficulty)!] - 1)
        #expect(abs(try Self.randomMean({ RepeatFirst(difficulty: difficulty) }, episodes: 100) + 0.5) < 0.03)
    }

    @Test(arguments: Difficulty.allCases)
    func countRecall(_ difficulty: Difficulty) throws {
        // The oracle counts the value cards it has seen.
        var counts: [Int] = []
        let oracle = try Self.episode(CountRecall(difficulty: difficulty), seed: 3) { env, o in
            if counts.isEmpty, case .multiDiscrete(let nvec) = env.observationSpace { counts = Array(repeating: 0, count: nvec[0]) }
            counts[Int(o[0])] += 1
            return counts[Int(o[1])]
        }
        #expect(abs(oracle.return - 1) < 1e-4)
        // A uniform count over 0…M is right with probability 1/(M + 1): E = 2/(M + 1) − 1.
        let m = Double(Self.actions(CountRecall(difficulty: difficulty)) - 1)
        #expect(abs(try Self.randomMean({ CountRecall(difficulty: difficulty) }, episodes: 200) - (2 / (m + 1) - 1)) < 0.02)
    }

    @Test(arguments: Difficulty.allCases)
    func autoencode(_ difficulty: Difficulty) throws {
        // The oracle stacks the suits it watched and recites them last first.
        var stack: [Int] = []
        var reciting = false
        let oracle = try Self.episode(Autoencode(difficulty: difficulty), seed: 4) { _, o in
            if !reciting {
                stack.append(Int(o[1]))
                // Mode 0 marks the last watched card: the next step recites.
                if o[0] == 1 { return 0 }
                reciting = true
            }
            return stack.popLast()!
        }
        #expect(abs(oracle.return - 1) < 1e-4)
        #expect(abs(try Self.randomMean({ Autoencode(difficulty: difficulty) }, episodes: 200) + 0.5) < 0.03)
    }

    @Test func statelessCartPoleHidesVelocitiesAndScalesReturns() throws {
        let env = try Registry.make("StatelessCartPole?difficulty=easy")
        #expect(env.observationSpace.shape == [2])
        // A full-state oracle (reading the hidden velocities) balances for the whole 200 steps.
        let inner = PositionOnlyCartPole(difficulty: .easy)
        let limited = TimeLimit(inner, maxEpisodeSteps: inner.maxEpisodeSteps)
        let oracle = try Self.episode(limited, seed: 5) { _, _ in
            let s = inner.cartPole.state
            return s[2] + 0.5 * s[3] + 0.01 * s[0] + 0.1 * s[1] > 0 ? 1 : 0
        }
        #expect(oracle.length == 200 && abs(oracle.return - 1) < 1e-4)
        let random = try Self.randomMean({ try! Registry.make("StatelessCartPole") }, episodes: 100)
        #expect(random > 0 && random < 0.25)
    }

    /// rl-zoo's CartPoleNoVel-v1: CartPole-v1's dynamics, rewards and 500-step
    /// limit, with observations [x, θ] only, and its state snapshots exactly.
    @Test func cartPoleNoVelIsCartPoleV1SeeingPositions() throws {
        let env = try Registry.make("CartPoleNoVel-v1"), full = try Registry.make("CartPole-v1")
        #expect(env.observationSpace.shape == [2])
        var a = env.reset(seed: 9), b = full.reset(seed: 9)
        var rng = RandomGenerator(seed: 3), total: Float = 0, length = 0
        while true {
            #expect(a == [b[0], b[2]])
            let action: [Float] = [Float(rng.int(below: 2))]
            let (sa, sb) = (try env.step(action), try full.step(action))
            #expect(sa.reward == sb.reward && sa.terminated == sb.terminated && sa.truncated == sb.truncated)
            (a, b, total, length) = (sa.observation, sb.observation, total + sa.reward, length + 1)
            if sa.isDone { break }
        }
        #expect(total == Float(length))
        // A full-state oracle balances for all 500 steps, then the time limit truncates.
        let inner = PositionOnlyCartPole(unscaledNamed: "CartPoleNoVel-v1")
        let oracle = try Self.episode(TimeLimit(inner, maxEpisodeSteps: 500), seed: 5) { _, _ in
            let s = inner.cartPole.state
            return s[2] + 0.5 * s[3] + 0.01 * s[0] + 0.1 * s[1] > 0 ? 1 : 0
        }
        #expect(oracle.length == 500 && oracle.return == 500)
        _ = env.reset(seed: 4)
        _ = try env.step([0])
        let snapshot = try #require((env as? any Snapshotting)?.snapshot)
        let next = try env.step([1])
        try (env as! any Snapshotting).restore(snapshot)
        #expect(try env.step([1]).observation == next.observation)
    }

    @Test(arguments: [10, 200])
    func tMaze(_ length: Int) throws {
        let env = TMaze(length: length)
        var rng = RandomGenerator(seed: 6)
        for seed in 0..<20 {
            let first = env.reset(seed: UInt64(seed))
            #expect(first[0] + first[1] == 1 && first[2] == 0)
            var cueSeen = [first[0] + first[1]]
            var step = try env.step([0])
            while env.position < length { cueSeen.append(step.observation[0] + step.observation[1]); step = try env.step([Float(rng.int(below: 3) == 0 ? 1 : 0)]) }
            // The cue shows on the first observation only; the junction is flagged.
            #expect(cueSeen.dropFirst().allSatisfy { $0 == 0 })
            #expect(step.observation[2] == 1)
            let right = try env.step([first[0] == 1 ? 1 : 2])
            #expect(right.reward == 1 && right.terminated)
        }
        _ = env.reset(seed: 0)
        for _ in 0..<length { _ = try env.step([0]) }
        let wrong = try env.step([env.cueUp ? 2 : 1])
        #expect(wrong.reward == -1 && wrong.terminated)
        #expect(abs(try Self.randomMean({ try! Registry.make("TMaze?length=\(length)") }, episodes: 400)) < 0.1)
    }

    @Test func seedsFixEpisodesAndSpacesAreChecked() throws {
        for name in ["RepeatPrevious", "RepeatFirst", "CountRecall", "Autoencode", "StatelessCartPole", "TMaze"] {
            let a = try Registry.make(name), b = try Registry.make(name)
            var trace: [[Float]] = [a.reset(seed: 9)], other: [[Float]] = [b.reset(seed: 9)]
            for _ in 0..<30 {
                let s = try a.step([0]), t = try b.step([0])
                trace.append(s.observation); other.append(t.observation)
                if s.isDone { break }
            }
            #expect(trace == other, "\(name) is not deterministic for a seed")
            #expect(trace.allSatisfy { a.observationSpace.contains($0) }, "\(name) left its observation space")
            #expect(throws: EnvironmentError.self) { try a.step([99]) }
        }
        #expect(throws: EnvironmentError.self) { try Registry.make("RepeatFirst?difficulty=insane") }
    }
}

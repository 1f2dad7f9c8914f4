import Testing
import ReverieEnvs

/// A deterministic test double: the observation is [seed-derived start + t],
/// reward is the action, and the episode terminates after `length` steps.
final class CountingEnvironment: Environment {
    let name = "Counting"
    let observationSpace = Space.box(low: -.infinity, high: .infinity, shape: [1])
    let actionSpace = Space.discrete(3)
    let length: Int
    private var start: Float = 0, t = 0, ended = false
    private var rng = RandomGenerator(seed: 0)

    init(length: Int) { self.length = length }

    func reset(seed: UInt64?) -> [Float] {
        if let seed { rng = RandomGenerator(seed: seed); start = Float(seed) * 100 } else { start += 1000 }
        t = 0
        ended = false
        return [start]
    }

    func step(_ action: [Float]) throws -> Step {
        try validate(action)
        if ended { throw EnvironmentError.stepAfterEnd(environment: name) }
        t += 1
        ended = t >= length
        return Step(observation: [start + Float(t)], reward: action[0], terminated: ended)
    }

    func render() -> Frame? { nil }
}

struct VectorEnvironmentTests {
    @Test func seedsEnvIWithSeedPlusI() throws {
        let vector = try SyncVectorEnvironment(count: 3) { _ in CountingEnvironment(length: 5) }
        let first = try vector.reset(seed: 7)
        #expect(first.shape == [3, 1])
        #expect(first.scalars == [700, 800, 900])
    }

    @Test func sameStepAutoresetKeepsFinalObservation() throws {
        let vector = try SyncVectorEnvironment([CountingEnvironment(length: 2), CountingEnvironment(length: 3)])
        _ = try vector.reset(seed: 0)
        let s1 = try vector.step([[1], [2]])
        #expect(s1.observations.scalars == [1, 101])
        #expect(s1.episodeStarts == [false, false])
        let s2 = try vector.step([[1], [1]])
        // Env 0 ended: its final observation is kept, and it already shows the next episode's start.
        #expect(s2.terminated == [true, false] && s2.truncated == [false, false])
        #expect(s2.finalObservations[0] == [2] && s2.finalObservations[1] == nil)
        #expect(s2.observations.scalars == [1000, 102])
        #expect(s2.episodeStarts == [true, false])
        #expect(s2.rewards == [1, 1])
        let s3 = try vector.step([[0], [0]])
        #expect(s3.observations.scalars == [1001, 1100] && s3.episodeStarts == [false, true])
        #expect(s3.finalObservations[0] == nil && s3.finalObservations[1] == [103])
        // The vector reuses its arrays, but never under a step the caller still holds.
        #expect(s2.terminated == [true, false] && s2.finalObservations[0] == [2] && s2.finalObservations[1] == nil)
    }

    /// Steps whose results are dropped at once (the arrays are then written in
    /// place) report each step's own endings, none left over from the last.
    @Test func aReusedStepCarriesNothingOver() throws {
        let vector = try SyncVectorEnvironment(count: 2) { i in
            EpisodeStatistics(TimeLimit(CountingEnvironment(length: 10), maxEpisodeSteps: 2 + i))
        }
        _ = try vector.reset(seed: 1)
        var ends: [[Bool]] = [], finals: [[Float?]] = [], lengths: [[Float?]] = []
        for _ in 0..<6 {
            let step = try vector.step([[1], [1]])
            ends.append(step.episodeStarts)
            finals.append(step.finalObservations.map { $0?[0] })
            lengths.append(step.infos.map { $0["episode_length"] })
        }
        #expect(ends == [[false, false], [true, false], [false, true], [true, false], [false, false], [true, true]])
        #expect(finals[1] == [102, nil] && finals[2] == [nil, 203] && finals[4] == [nil, nil] && finals[3] == [1102, nil] && finals[5] == [2102, 1203])
        #expect(lengths[0] == [nil, nil] && lengths[1] == [2, nil] && lengths[2] == [nil, 3] && lengths[4] == [nil, nil])
    }

    @Test func truncationIsReportedApartFromTermination() throws {
        let vector = try SyncVectorEnvironment(count: 1) { _ in
            EpisodeStatistics(TimeLimit(CountingEnvironment(length: 10), maxEpisodeSteps: 3))
        }
        _ = try vector.reset(seed: 1)
        _ = try vector.step([[2]])
        _ = try vector.step([[2]])
        let last = try vector.step([[1]])
        #expect(last.truncated == [true] && last.terminated == [false])
        #expect(last.finalObservations[0] == [103])
        #expect(last.infos[0]["episode_return"] == 5 && last.infos[0]["episode_length"] == 3)
    }

    @Test func invalidActionNamesEnvironmentSpaceAndValue() throws {
        let vector = try SyncVectorEnvironment(count: 1) { _ in CountingEnvironment(length: 2) }
        _ = try vector.reset(seed: 0)
        #expect {
            try vector.step([[5]])
        } throws: { error in
            "\(error)" == "Counting: action [5.0] is not in the action space Discrete(3)"
        }
    }
}

struct WrapperTests {
    @Test func normalizeObservationTracksRunningStatistics() throws {
        let env = NormalizeObservation(CountingEnvironment(length: 100), clip: nil)
        _ = env.reset(seed: 0)
        var normalized: [Float] = []
        for _ in 0..<50 { normalized.append(try env.step([0]).observation[0]) }
        // The raw observations were 0, 1, …, 50: compare with their exact mean and variance.
        let seen = (0...50).map(Float.init)
        let mean = seen.reduce(0, +) / Float(seen.count)
        let variance = seen.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(seen.count)
        #expect(abs(Float(env.statistics.mean[0]) - mean) < 1e-3)
        #expect(abs(Float(env.statistics.variance[0]) - variance) / variance < 1e-3)
        #expect(abs(normalized.last! - (50 - mean) / variance.squareRoot()) < 1e-3)
        // Statistics survive a save/load round trip.
        let copy = RunningMeanStd(size: 1)
        try copy.load(env.statistics.state)
        #expect(copy.mean == env.statistics.mean.map { Double(Float($0)) })
    }

    @Test func frameStackShiftsAndPadsWithTheFirstObservation() throws {
        let env = FrameStack(CountingEnvironment(length: 10), frames: 3)
        #expect(env.observationSpace.shape == [3, 1])
        #expect(env.reset(seed: 0) == [0, 0, 0])
        #expect(try env.step([0]).observation == [0, 0, 1])
        #expect(try env.step([0]).observation == [0, 1, 2])
        #expect(try env.step([0]).observation == [1, 2, 3])
    }

    @Test func actionRepeatSumsRewardsAndStopsAtTheEnd() throws {
        let env = ActionRepeat(CountingEnvironment(length: 5), repeats: 2)
        _ = env.reset(seed: 0)
        let a = try env.step([2])
        #expect(a.reward == 4 && a.observation == [2] && !a.terminated)
        _ = try env.step([1])
        let c = try env.step([1])
        #expect(c.terminated && c.reward == 1 && c.observation == [5])
    }

    @Test func oneHotFlattensMultiDiscrete() throws {
        final class Pair: Environment {
            let name = "Pair"
            let observationSpace = Space.multiDiscrete([2, 3])
            let actionSpace = Space.discrete(1)
            func reset(seed: UInt64?) -> [Float] { [1, 2] }
            func step(_ action: [Float]) throws -> Step { Step(observation: [0, 1], reward: 0, terminated: false) }
            func render() -> Frame? { nil }
        }
        let env = OneHotObservation(Pair())
        #expect(env.observationSpace.shape == [5])
        #expect(env.reset(seed: nil) == [0, 1, 0, 0, 1])
        #expect(try env.step([0]).observation == [1, 0, 0, 1, 0])
    }

    @Test func registryReportsUnknownNamesAndBadOptions() {
        #expect(throws: EnvironmentError.self) { try Registry.make("NoSuchEnv-v0") }
        #expect(throws: EnvironmentError.unknownEnvironment(name: "T-Maze", known: Registry.names)) {
            try Registry.make("T-Maze?length=40")
        }
        // The message suggests the name a user most likely meant, or nothing.
        let message = { (name: String) in "\(EnvironmentError.unknownEnvironment(name: name, known: Registry.names))" }
        #expect(message("T-Maze").hasPrefix("unknown environment 'T-Maze'; did you mean 'TMaze'? Known: CartPole-v1, "))
        for (typed, meant) in [("cartpole", "CartPole-v1"), ("CartPole-v0", "CartPole-v1"), ("CartPoel", "CartPole-v1"),
                               ("pixel", "PixelCatch"), ("memory_maze", "MemoryMaze"),
                               ("MinAtar/Breakot-v1", "MinAtar/Breakout-v1"), ("minatar/breakout-v0", "MinAtar/Breakout-v0")] {
            #expect(message(typed).contains("; did you mean '\(meant)'? Known: "), "\(typed)")
        }
        #expect(message("NoSuchEnv-v0").hasPrefix("unknown environment 'NoSuchEnv-v0'. Known: CartPole-v1, "))
        #expect(!message("c").contains("did you mean"))
        var options = EnvironmentOptions(environment: "X?length=abc", values: ["length": "abc"])
        #expect(throws: EnvironmentError.self) { try options.int("length", default: 3, in: 1...10) }
        let extra = EnvironmentOptions(environment: "X?colour=red", values: ["colour": "red"])
        #expect(throws: EnvironmentError.self) { try extra.finish() }
    }

    /// `reverie envs` lists each env's options as the env reads them; every
    /// option written with its listed default makes the env, and a value
    /// outside the listed range is refused.
    @Test func everyEnvListsTheOptionsItReadsWithTheirDefaults() throws {
        let listed = try Dictionary(uniqueKeysWithValues: Registry.registrations.map { ($0.name, try $0.options()) })
        #expect(listed["TMaze"]?.map(\.description) == ["length=10 (1…100000)", "penalty=0.0 (0.0…1.0)"])
        #expect(listed["MinAtar/Breakout-v1"]?.map(\.description) == ["sticky=0.1 (0.0…1.0)", "ramping=1 (0…1)"])
        #expect(listed["RepeatPrevious"]?.map(\.description) == ["difficulty=easy (easy|medium|hard)"])
        #expect(listed["CartPoleNoVel-v1"] == [])
        #expect(listed["CartPole-v1"]?.map(\.description) == ["sutton_barto_reward=false (false|true)"])
        for (name, options) in listed where !options.isEmpty {
            let spec = name + "?" + options.map { "\($0.name)=\($0.defaultValue)" }.joined(separator: "&")
            #expect(throws: Never.self, "\(spec)") { _ = try Registry.make(spec) }
        }
        #expect(throws: EnvironmentError.self) { try Registry.make("TMaze?length=100001") }
    }

    /// An env of one's own, registered once, is made by name like a built-in
    /// one (options and time limit included); names are unique and plain.
    @Test func aRegisteredEnvIsMadeByNameAndANameIsRegisteredOnce() throws {
        final class Fixed: Environment {
            let name: String
            let observationSpace = Space.box(low: 0, high: 10, shape: [1])
            let actionSpace = Space.discrete(1)
            let value: Float
            init(name: String, value: Float) { (self.name, self.value) = (name, value) }
            func reset(seed: UInt64?) -> [Float] { [value] }
            func step(_ action: [Float]) throws -> Step { Step(observation: [value], reward: 1, terminated: false) }
            func render() -> Frame? { nil }
        }
        let name = "TestFixed-\(UInt32.random(in: 0...UInt32.max))-v0"
        try Registry.register(Registration(name, summary: "a test env", maxEpisodeSteps: 3) { options in
            var options = options
            let value = try options.float("value", default: 1, in: 0...10)
            try options.finish()
            return Fixed(name: name, value: value)
        })
        #expect(Registry.names.contains(name) && Registry.builtIn.allSatisfy { $0.name != name })
        let env = try Registry.make(name + "?value=4")
        #expect(env.reset(seed: 0) == [4])
        let steps = try (0..<3).map { _ in try env.step([0]) }
        #expect(steps.map(\.truncated) == [false, false, true], "the registered time limit")
        #expect(try Registry.makeVector(name, count: 2).count == 2)
        for taken in [name, "CartPole-v1", "Bad?name", ""] {
            #expect(throws: EnvironmentError.self, "\(taken)") {
                try Registry.register(Registration(taken, summary: "", maxEpisodeSteps: nil) { _ in Fixed(name: taken, value: 0) })
            }
        }
    }

    /// VecNormalize on the vector (`VectorNormalize`, as served envs get it)
    /// steps exactly as each env wrapped in `NormalizeObservation` and
    /// `NormalizeReward(.vecNormalize)` with shared statistics: observations,
    /// final observations, rewards and the statistics themselves, through
    /// episode ends; frozen, it leaves statistics and rewards alone.
    @Test func vectorNormalizeStepsAsEachEnvNormalizedInTurn() throws {
        let n = 3, gamma = 0.99
        let (obsA, rewA) = (RunningMeanStd(size: 4), RunningMeanStd(size: 1))
        let perEnv = try SyncVectorEnvironment(count: n) { _ in
            NormalizeReward(NormalizeObservation(try Registry.make("CartPole-v1"), statistics: obsA, clip: 10), gamma: gamma,
                            convention: .vecNormalize, clip: 10, statistics: rewA)
        }
        let (obsB, rewB) = (RunningMeanStd(size: 4), RunningMeanStd(size: 1))
        let vector = VectorNormalize(try SyncVectorEnvironment(count: n) { _ in try Registry.make("CartPole-v1") },
                                     observations: obsB, rewards: rewB, gamma: gamma)
        #expect(try perEnv.reset(seed: 5).scalars == vector.reset(seed: 5).scalars)
        var rng = RandomGenerator(seed: 9)
        var ended = 0
        for _ in 0..<300 {
            let actions = Tensor((0..<n).map { _ in Float(rng.int(below: 2)) }, shape: [n])
            let (a, b) = (try perEnv.step(actions), try vector.step(actions))
            #expect(a.observations.scalars == b.observations.scalars && a.rewards == b.rewards)
            #expect(a.finalObservations == b.finalObservations && a.terminated == b.terminated)
            ended += a.finalObservations.compactMap { $0 }.count
        }
        #expect(ended > 10 && obsA.words == obsB.words && rewA.words == rewB.words)
        let frozen = VectorNormalize(try SyncVectorEnvironment(count: n) { _ in try Registry.make("CartPole-v1") },
                                     observations: obsB, rewards: nil, gamma: gamma, updating: false)
        let before = obsB.words
        _ = try frozen.reset(seed: 1)
        let step = try frozen.step(Tensor([0, 1, 0], shape: [n]))
        #expect(obsB.words == before && step.rewards == [1, 1, 1])
        #expect(vector.singleObservationSpace == .box(low: -.infinity, high: .infinity, shape: [4]))
    }
}

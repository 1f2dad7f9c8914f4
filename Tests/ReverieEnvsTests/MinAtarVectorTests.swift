import Testing
@testable import ReverieEnvs

/// The batched `MinAtarVector` against what it replaces: a
/// `SyncVectorEnvironment` of `Registry.make` envs (themselves checked step
/// for step against the `minatar` package in `MinAtarTests`).
@Suite struct MinAtarVectorTests {
    static let specs = ["MinAtar/Asterix-v1", "MinAtar/Breakout-v0", "MinAtar/Freeway-v1", "MinAtar/Seaquest-v0",
                        "MinAtar/SpaceInvaders-v1",
                        // gymnax's settings, with a cap short enough to truncate often.
                        "MinAtar/Breakout-v1?sticky=0&max_episode_steps=40", "MinAtar/Seaquest-v1?ramping=0&max_episode_steps=90"]

    /// Every field of two vector steps, the same.
    static func expectSame(_ a: VectorStep, _ b: VectorStep, _ what: String) {
        #expect(a.observations.shape == b.observations.shape, "\(what)")
        #expect(a.observations.scalars == b.observations.scalars, "\(what): observations")
        #expect(a.rewards == b.rewards, "\(what): rewards")
        #expect(a.terminated == b.terminated, "\(what): terminated")
        #expect(a.truncated == b.truncated, "\(what): truncated")
        #expect(a.finalObservations == b.finalObservations, "\(what): final observations")
        #expect(a.infos == b.infos, "\(what): infos")
    }

    static func randomActions(_ n: Int, _ actions: Int, _ rng: inout RandomGenerator) -> Tensor {
        Tensor((0..<n).map { _ in Float(rng.int(below: actions)) }, shape: [n])
    }

    @Test(arguments: specs)
    func theBatchedVectorStepsAsSyncVectorEnvironmentsOfTheGame(spec: String) throws {
        let n = 6
        let batched = try Registry.makeVector(spec, count: n)
        #expect(batched is any VectorSnapshotting && !(batched is SyncVectorEnvironment), "\(spec) has a batched version")
        let reference = try SyncVectorEnvironment(count: n) { _ in try Registry.make(spec) }
        #expect(batched.singleObservationSpace == reference.singleObservationSpace)
        #expect(batched.singleActionSpace == reference.singleActionSpace)
        guard case .discrete(let actions) = batched.singleActionSpace else { Issue.record("discrete actions"); return }
        #expect(try batched.reset(seed: 11).scalars == reference.reset(seed: 11).scalars)
        var rng = RandomGenerator(seed: 5)
        var episodes = 0, truncations = 0
        for t in 0..<2_600 {   // Freeway ends at 2,500 frames
            let a = Self.randomActions(n, actions, &rng)
            let (x, y) = (try batched.step(a), try reference.step(a))
            Self.expectSame(x, y, "\(spec) step \(t)")
            episodes += y.episodeStarts.filter { $0 }.count
            truncations += y.truncated.filter { $0 }.count
            if t % 500 == 250 { #expect((batched as! any VectorSnapshotting).snapshot == reference.snapshot, "\(spec) step \(t): snapshot") }
        }
        #expect(episodes >= n, "\(spec): episodes ended along the way")
        if spec.contains("max_episode_steps") { #expect(truncations > 0, "\(spec): the cap truncated episodes") }
    }

    /// A checkpoint's words move between the two kinds of vector: each continues where the other stood.
    @Test(arguments: ["MinAtar/SpaceInvaders-v1", "MinAtar/Asterix-v0?max_episode_steps=70"])
    func snapshotsRestoreAcrossTheTwoVectors(spec: String) throws {
        let n = 4
        let batched = try Registry.makeVector(spec, count: n) as! any VectorSnapshotting
        let reference = try SyncVectorEnvironment(count: n) { _ in try Registry.make(spec) }
        guard case .discrete(let actions) = batched.singleActionSpace else { Issue.record("discrete actions"); return }
        _ = try reference.reset(seed: 3)
        var rng = RandomGenerator(seed: 9)
        for _ in 0..<300 { _ = try reference.step(Self.randomActions(n, actions, &rng)) }
        // Sync → batched: both go on alike.
        _ = try batched.reset(seed: 99)
        try batched.restore(try #require(reference.snapshot))
        for t in 0..<300 {
            let a = Self.randomActions(n, actions, &rng)
            Self.expectSame(try batched.step(a), try reference.step(a), "\(spec) after restoring into the batch, step \(t)")
        }
        // Batched → a fresh Sync.
        let again = try SyncVectorEnvironment(count: n) { _ in try Registry.make(spec) }
        _ = try again.reset(seed: 1)
        try again.restore(try #require(batched.snapshot))
        for t in 0..<300 {
            let a = Self.randomActions(n, actions, &rng)
            Self.expectSame(try again.step(a), try batched.step(a), "\(spec) after restoring from the batch, step \(t)")
        }
        // Words of another game, or of another count, are refused and change nothing.
        let before = batched.snapshot
        let other = try Registry.makeVector("MinAtar/Freeway-v1", count: n) as! any VectorSnapshotting
        _ = try other.reset(seed: 1)
        #expect(throws: SnapshotError.self) { try batched.restore(try #require(other.snapshot)) }
        #expect(throws: SnapshotError.self) { try batched.restore(Array(try #require(before).dropLast())) }
        #expect(batched.snapshot == before)
    }

    @Test func aBadActionIsRefusedNamingTheEnvAndMovesNoEnv() throws {
        let batched = try Registry.makeVector("MinAtar/Breakout-v1", count: 3)
        let reference = try SyncVectorEnvironment(count: 3) { _ in try Registry.make("MinAtar/Breakout-v1") }
        _ = try batched.reset(seed: 2)
        _ = try reference.reset(seed: 2)
        for bad: Float in [3, -1, 0.5, .nan] {
            let error = try #require(throws: EnvironmentError.self) { try batched.step(Tensor([0, 1, bad], shape: [3])) }
            #expect("\(error)".contains("env 2"), "\(error)")
        }
        Self.expectSame(try batched.step(Tensor([1, 2, 0], shape: [3])), try reference.step(Tensor([1, 2, 0], shape: [3])),
                        "after the refused steps")
    }

    @Test func envsWithoutABatchedVersionAreSteppedOneByOne() throws {
        let vector = try Registry.makeVector("CartPole-v1", count: 2)
        #expect(vector is SyncVectorEnvironment)
        #expect(throws: EnvironmentError.self) { try Registry.makeVector("MinAtar/Breakout-v1?sticky=2", count: 2) }
        #expect(throws: EnvironmentError.self) { try Registry.makeVector("MinAtar/Breakout-v1", count: 0) }
    }

    /// `max_episode_steps`, an option of every env (Gymnasium's `make` argument).
    @Test func everyEnvTakesMaxEpisodeStepsAsAnOption() throws {
        func length(_ spec: String, cap: Int = 2_000) throws -> (Int, truncated: Bool) {
            let env = try Registry.make(spec)
            _ = env.reset(seed: 1)
            for t in 1...cap {
                let step = try env.step([0])
                if step.isDone { return (t, step.truncated) }
            }
            return (cap, false)
        }
        #expect(try length("MinAtar/Freeway-v1?max_episode_steps=25") == (25, true))
        // 0 removes the registered limit: Acrobot's 500 steps (it does not swing up doing nothing).
        #expect(try length("Acrobot-v1") == (500, true))
        #expect(try length("Acrobot-v1?max_episode_steps=0", cap: 800) == (800, false))
        // The argument of `make` wins over the option.
        let env = try Registry.make("Acrobot-v1?max_episode_steps=7", maxEpisodeSteps: 3)
        _ = env.reset(seed: 1)
        #expect(try (0..<3).map { _ in try env.step([0]).truncated } == [false, false, true])
        for bad in ["-1", "ten", ""] {
            #expect(throws: EnvironmentError.self, "max_episode_steps=\(bad)") { try Registry.make("CartPole-v1?max_episode_steps=\(bad)") }
        }
        let error = try #require(throws: EnvironmentError.self) { try Registry.make("CartPole-v1?max_episode_steps=ten") }
        #expect("\(error)".contains("must be an integer ≥ 0, got 'ten'"), "\(error)")
    }
}

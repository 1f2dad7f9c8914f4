import Foundation
import Testing
import ReverieEnvs

/// Rewards Gymnasium's `NormalizeReward` and SB3's `VecNormalize` produce on
/// one scripted reward sequence (Tests/Python/make_reward_normalization_fixtures.py).
private struct RewardNormalizationFixture: Decodable {
    struct Run: Decodable {
        struct Statistics: Decodable { var mean: Double, variance: Double, count: Double, clip: Double? }
        var rewards: [Double]
        var statistics: Statistics
    }
    var gamma: Double
    var epsilon: Double
    var rewards: [Float]
    var terminated: Set<Int>
    var truncated: Set<Int>
    var gymnasium: Run
    var vecNormalize: Run

    static func load() throws -> Self {
        guard let url = Bundle.module.url(forResource: "reward_normalization", withExtension: "json", subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/reward_normalization.json"])
        }
        return try JSONDecoder().decode(Self.self, from: Data(contentsOf: url))
    }
}

/// Replays the fixture's script: step t (counted across episodes) returns
/// reward t and the flags listed for t, as the Python `Scripted` env does.
private final class ScriptedRewards: Environment {
    let name = "ScriptedRewards"
    let observationSpace = Space.box(low: -.infinity, high: .infinity, shape: [1])
    let actionSpace = Space.discrete(1)
    private let script: RewardNormalizationFixture
    private var t: Int

    /// - Parameter t: the script's step to start from.
    init(_ script: RewardNormalizationFixture, from t: Int = 0) { (self.script, self.t) = (script, t) }

    func reset(seed: UInt64?) -> [Float] { [Float(t)] }

    func step(_ action: [Float]) throws -> Step {
        defer { t += 1 }
        return Step(observation: [Float(t + 1)], reward: script.rewards[t],
                    terminated: script.terminated.contains(t), truncated: script.truncated.contains(t))
    }

    func render() -> Frame? { nil }
}

struct RewardNormalizationTests {
    /// Float32 rewards against float64 references: relative error of a few ulps.
    private func expectClose(_ ours: [Float], _ reference: [Double], _ label: String) {
        #expect(ours.count == reference.count)
        for (t, (a, b)) in zip(ours, reference).enumerated() {
            #expect(abs(Double(a) - b) <= 1e-5 * max(1, abs(b)), "\(label) step \(t): \(a) vs \(b)")
        }
    }

    private func expectStatistics(_ statistics: RunningMeanStd, _ reference: RewardNormalizationFixture.Run.Statistics) {
        #expect(abs(statistics.mean[0] - reference.mean) <= 1e-5 * abs(reference.mean))
        #expect(abs(statistics.variance[0] - reference.variance) <= 1e-5 * reference.variance)
        #expect(abs(statistics.count - reference.count) < 1e-9)
    }

    @Test func gymnasiumConventionMatchesGymnasiumsNormalizeReward() throws {
        let fixture = try RewardNormalizationFixture.load()
        let env = NormalizeReward(ScriptedRewards(fixture), gamma: fixture.gamma, epsilon: fixture.epsilon)
        _ = env.reset(seed: 0)
        var rewards: [Float] = []
        for _ in fixture.rewards.indices {
            let step = try env.step([0])
            rewards.append(step.reward)
            if step.isDone { _ = env.reset(seed: nil) }
        }
        expectClose(rewards, fixture.gymnasium.rewards, "gymnasium")
        expectStatistics(env.statistics, fixture.gymnasium.statistics)
    }

    /// The arithmetic training uses (`EnvironmentNormalization`): statistics
    /// shared through a vector env that resets itself, rewards clipped at 10.
    @Test func vecNormalizeConventionMatchesStableBaselines3() throws {
        let fixture = try RewardNormalizationFixture.load()
        let statistics = RunningMeanStd(size: 1)
        let clip = try #require(fixture.vecNormalize.statistics.clip)
        let vector = try SyncVectorEnvironment(count: 1) { _ in
            NormalizeReward(ScriptedRewards(fixture), gamma: fixture.gamma, epsilon: fixture.epsilon,
                            convention: .vecNormalize, clip: Float(clip), statistics: statistics)
        }
        _ = try vector.reset(seed: 0)
        var rewards: [Float] = []
        for _ in fixture.rewards.indices { rewards.append(try vector.step([[0]]).rewards[0]) }
        expectClose(rewards, fixture.vecNormalize.rewards, "VecNormalize")
        expectStatistics(statistics, fixture.vecNormalize.statistics)
        // The script's first reward is clipped: without the clip this test would see 70.8.
        #expect(rewards[0] == Float(clip))
    }

    /// A wrapper restored from a snapshot normalises the rest of the script
    /// exactly as the original goes on to (R and the statistics both restored).
    @Test func aRestoredWrapperGoesOnExactlyAsTheOriginal() throws {
        let fixture = try RewardNormalizationFixture.load()
        for convention in [NormalizeReward.Convention.gymnasium, .vecNormalize] {
            let env = NormalizeReward(ScriptedRewards(fixture), gamma: fixture.gamma, convention: convention)
            _ = env.reset(seed: 0)
            for _ in 0..<30 { _ = try env.step([0]) }  // past a termination and a truncation
            var words = try #require(env.ownState)[...]
            let copy = NormalizeReward(ScriptedRewards(fixture, from: 30), gamma: fixture.gamma, convention: convention)
            try copy.restoreOwnState(&words)
            #expect(words.isEmpty)
            let ahead = try (0..<20).map { _ in try env.step([0]).reward }
            #expect(try (0..<20).map { _ in try copy.step([0]).reward } == ahead, "\(convention)")
            let fresh = NormalizeReward(ScriptedRewards(fixture, from: 30), gamma: fixture.gamma, convention: convention)
            #expect(try (0..<20).map { _ in try fresh.step([0]).reward } != ahead, "a fresh wrapper would pass too")
        }
    }

    @Test func scaleRewardMultipliesTheRewardOnly() throws {
        let env = ScaleReward(CountingEnvironment(length: 3), scale: -0.5)
        _ = env.reset(seed: 1)
        let step = try env.step([2])
        #expect(step.reward == -1)
        #expect(step.observation == [101])
        #expect(!step.terminated && !step.truncated)
    }
}

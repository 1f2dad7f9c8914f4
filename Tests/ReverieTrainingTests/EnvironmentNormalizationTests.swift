import Testing
import ReverieEnvs
@testable import ReverieTraining

/// What training wraps each env in when a preset normalises (SB3's
/// `VecNormalize`; its arithmetic is checked against SB3 itself in
/// ReverieEnvsTests' RewardNormalizationTests), and what evaluation sees.
@Suite struct EnvironmentNormalizationTests {
    @Test func trainingEnvsShareVecNormalizeStatisticsAndEvaluationSeesRawRewards() throws {
        let normalization = EnvironmentNormalization(observations: true, rewards: true, observationSize: 4, gamma: 0.97)
        let envs = try (0..<2).map { _ in normalization.training(try Registry.make("CartPole-v1")) }
        for env in envs {
            let rewards = try #require(env as? NormalizeReward)
            #expect(rewards.convention == .vecNormalize && rewards.clip == 10 && rewards.gamma == 0.97)
            #expect(rewards.statistics === normalization.rewards)
            #expect((rewards.inner as? NormalizeObservation)?.statistics === normalization.observations)
        }
        _ = envs[0].reset(seed: 1)
        // CartPole pays 1: the first return's variance is tiny, so 1/√Var is clipped.
        #expect(try envs[0].step([0]).reward == 10)
        _ = envs[1].reset(seed: 2)
        _ = try envs[1].step([0])
        #expect(normalization.rewards?.count ?? 0 > 2)  // one set of statistics, updated by both envs

        let evaluation = normalization.evaluation(try Registry.make("CartPole-v1"))
        #expect(!(evaluation is NormalizeReward))
        #expect((evaluation as? NormalizeObservation)?.isUpdating == false)
        _ = evaluation.reset(seed: 3)
        #expect(try evaluation.step([1]).reward == 1)
    }
}

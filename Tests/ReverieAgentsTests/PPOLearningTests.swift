import Testing
import ReverieEnvs
@testable import ReverieAgents

/// Learning claims, trained with fixed seeds (release build; see scripts/test).
@Suite struct PPOLearningTests {
    /// rl-zoo's CartPole-v1 hyperparameters (BENCHMARKS.md, workload ppo-ff).
    static var cartPoleConfig: PPOConfig {
        var c = PPOConfig()
        c.rolloutSteps = 32
        c.minibatchSize = 256
        c.epochs = 20
        c.learningRate = 1e-3
        c.gamma = 0.98
        c.gaeLambda = 0.8
        c.clipRange = 0.2
        c.annealClipRange = true
        c.entropyCoefficient = 0
        return c
    }

    /// Seeds 1–5 all reach 500 in every eval episode (checked by hand, 2026-11-23); the test runs seed 1.
    @Test func feedforwardPPOSolvesCartPoleWithin50kSteps() throws {
        let budget = 50_000
        let envs = try SyncVectorEnvironment(count: 8) { _ in try Registry.make("CartPole-v1") }
        let ppo = try PPO(Self.cartPoleConfig, environment: envs, totalSteps: budget, seed: 1)
        while ppo.environmentSteps < budget { _ = try ppo.iterate() }
        let returns = try evaluate(ppo.policy, in: try Registry.make("CartPole-v1"), episodes: 10, seed: 1000)
        let mean = returns.reduce(0, +) / Float(returns.count)
        #expect(mean >= 475, "mean eval return \(mean) after \(ppo.environmentSteps) steps: \(returns)")
    }
}

import Foundation
import Testing
import ReverieAgents
@testable import ReverieRemote

/// PPO trained on environments in other processes, through real sockets.
@Suite(.serialized, .timeLimit(.minutes(30)))
struct RemoteTrainingTests {
    /// Gymnasium's own CartPole-v1, 8 copies served by the Python bridge:
    /// PPO reaches the same bar as in-process (≥ 475 within 50k steps), and
    /// the policy transfers to the built-in CartPole (the same dynamics).
    @Test func ppoLearnsGymnasiumCartPoleThroughThePythonBridge() throws {
        let server = try ServerProcess(.python, numEnvs: 8)
        let remote = try RemoteVectorEnvironment(endpoints: [server.endpoint], timeoutMilliseconds: 10_000)
        defer { remote.shutDownServers() }
        var config = PPOConfig()
        (config.rolloutSteps, config.minibatchSize, config.epochs, config.learningRate) = (32, 256, 20, 1e-3)
        (config.gamma, config.gaeLambda, config.annealClipRange) = (0.98, 0.8, true)
        let ppo = try PPO(config, environment: remote, totalSteps: 50_000, seed: 1)
        var episodes = 0
        while ppo.environmentSteps < 50_000 { episodes += try ppo.iterate().episodes.count }
        let returns = try evaluate(ppo.policy, in: try Registry.make("CartPole-v1"), episodes: 10, seed: 1000)
        let mean = returns.reduce(0, +) / Float(returns.count)
        print("PPO through gymnasium_server.py: \(episodes) training episodes, eval \(mean)")
        #expect(episodes > 100, "the bridge's episode statistics reached the agent")
        #expect(mean >= 475)
        // Evaluated where it trained: 10 episodes over the 8 served envs (2 play twice).
        let remoteReturns = try evaluate(ppo.policy, in: remote, episodes: 10, seed: 5)
        #expect(remoteReturns.count == 10)
        #expect(remoteReturns.reduce(0, +) / 10 >= 475, "\(remoteReturns)")
    }
}

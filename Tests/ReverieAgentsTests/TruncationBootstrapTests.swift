import Testing
import ReverieEnvs
import ReverieRecurrent
@testable import ReverieAgents

/// Walks a line: the observation is [position, 1], every step pays 1, and the
/// episode terminates after `terminatesAfter` steps (or never: a time limit
/// truncates it). Every episode starts at position 0, so an autoreset's first
/// observation differs from the final one an episode ended with.
private final class Walk: Environment {
    let name = "Walk"
    let observationSpace = Space.box(low: -.infinity, high: .infinity, shape: [2])
    let actionSpace = Space.discrete(2)
    let terminatesAfter: Int?
    private var t = 0

    init(terminatesAfter: Int?) { self.terminatesAfter = terminatesAfter }

    func reset(seed: UInt64?) -> [Float] {
        t = 0
        return [0, 1]
    }

    func step(_ action: [Float]) throws -> Step {
        try validate(action)
        t += 1
        return Step(observation: [Float(t), 1], reward: 1, terminated: terminatesAfter.map { t >= $0 } ?? false)
    }

    func render() -> Frame? { nil }
}

/// PPO's rollout: a truncated episode's last reward is r + γ·V(final
/// observation), seen with the memory the episode built; a terminated one's
/// is r alone (PPO.swift, step 1).
@Suite struct TruncationBootstrapTests {
    /// Env 0 is cut by a 3-step time limit, env 1 terminates on its own after
    /// 3 steps, env 2 terminates as its 3-step limit strikes (both flags set:
    /// a terminal state, so no bootstrap).
    static func walks() throws -> SyncVectorEnvironment {
        try SyncVectorEnvironment([
            TimeLimit(Walk(terminatesAfter: nil), maxEpisodeSteps: 3),
            Walk(terminatesAfter: 3),
            TimeLimit(Walk(terminatesAfter: 3), maxEpisodeSteps: 3),
        ])
    }

    static func make(_ policy: PolicySpec) throws -> PPO {
        var config = PPOConfig()
        config.rolloutSteps = 5
        config.gamma = 0.9
        return try PPO(config, policy: policy, environment: try walks(), totalSteps: 1000, seed: 5)
    }

    static let last = 2  // the step (0-based) both episodes end with

    @Test(arguments: [
        PolicySpec(hidden: [16]),
        PolicySpec(hidden: [16], memory: .gru, memorySize: 8),
        PolicySpec(hidden: [16], memory: .lstm, memorySize: 8),
    ])
    func truncatedEpisodesBootstrapFromTheFinalObservation(_ spec: PolicySpec) throws {
        let ppo = try Self.make(spec)
        let (rollout, _) = try ppo.collect()
        let (n, t) = (rollout.envs, Self.last)
        #expect((0..<n).allSatisfy { rollout.dones[t * n + $0] && rollout.episodeStarts[(t + 1) * n + $0] })
        // The next row's observation is the new episode's first, not the final one.
        #expect(Array(rollout.observations.scalars[((t + 1) * n) * 2..<((t + 1) * n) * 2 + 2]) == [0, 1])

        // V(final observation [3, 1]) with the memory after step t, rebuilt from the rollout.
        let final = Tensor([3, 1], shape: [1, 2])
        var memory = ppo.policy.initialMemory(batch: 1)
        if !rollout.memories.isEmpty {
            let before = rollout.memories[t].reset(where: Array(rollout.episodeStarts[(t * n)..<((t + 1) * n)]))
            let observation = Tensor(Array(rollout.observations.scalars[(t * n) * 2..<(t * n + n) * 2]), shape: [n, 2])
            memory = ppo.policy.step(observation, memory: before).2.rows([0])
        }
        let finalValue = ppo.policy.step(final, memory: memory).1.scalars[0]
        let freshValue = ppo.policy.step(final, memory: ppo.policy.initialMemory(batch: 1)).1.scalars[0]
        let restartValue = ppo.policy.step(Tensor([0, 1], shape: [1, 2]), memory: ppo.policy.initialMemory(batch: 1)).1.scalars[0]
        // The value is one the test can tell apart from the wrong choices.
        #expect(abs(finalValue - restartValue) > 1e-4)
        if !rollout.memories.isEmpty { #expect(abs(finalValue - freshValue) > 1e-5) }

        #expect(abs(rollout.rewards[t * n] - (1 + 0.9 * finalValue)) < 1e-6, "truncated: \(rollout.rewards[t * n])")
        #expect(rollout.rewards[t * n + 1] == 1, "terminated: no bootstrap")
        #expect(rollout.rewards[t * n + 2] == 1, "terminated as the limit struck: no bootstrap")
        // Steps that end nothing keep their reward.
        for row in 0..<(t * n) { #expect(rollout.rewards[row] == 1) }
    }

    /// GAE then cuts both episodes alike: the truncated one's target carries
    /// the bootstrap, the terminated one's stops at r.
    @Test func theBootstrapReachesTheValueTarget() throws {
        let ppo = try Self.make(PolicySpec(hidden: [16]))
        let (rollout, _) = try ppo.collect()
        let (_, returns) = generalizedAdvantages(
            rewards: rollout.rewards, values: rollout.values, dones: rollout.dones, lastValues: rollout.lastValues,
            envs: rollout.envs, gamma: 0.9, lambda: ppo.config.gaeLambda)
        let (n, t) = (rollout.envs, Self.last)
        let finalValue = ppo.policy.step(Tensor([3, 1], shape: [1, 2]), memory: ppo.policy.initialMemory(batch: 1)).1.scalars[0]
        #expect(abs(returns[t * n] - (1 + 0.9 * finalValue)) < 1e-5)
        #expect(abs(returns[t * n + 1] - 1) < 1e-6)
    }
}

/// The online actor-critic's window (OnlineActorCritic.swift, step 1) makes
/// the same bootstrap, under every learning rule: with M = 3 all three
/// episodes end at the window's last step, where the agent's memory is still
/// the cell's state after that step (the reset comes with the next step).
@Suite struct OnlineTruncationBootstrapTests {
    @Test(arguments: [
        (RecurrentLearningRule.rtrl, RecurrentActorCritic.CellKind.elstm), (.rtrl, .mingru), (.rtrl, .lru),
        (.snap1, .rnn), (.uoro, .gru), (.tbptt, .lstm),
    ])
    func truncatedEpisodesBootstrapFromTheFinalObservation(_ rule: RecurrentLearningRule,
                                                           _ cell: RecurrentActorCritic.CellKind) throws {
        var config = OnlineActorCriticConfig()
        (config.learningRule, config.updateInterval, config.gamma) = (rule, TruncationBootstrapTests.last + 1, 0.9)
        let spec = PolicySpec(hidden: [16], memory: cell, memorySize: 8)
        let agent = try OnlineActorCritic(config, policy: spec, environment: try TruncationBootstrapTests.walks(), seed: 5)
        let window = try agent.collect(on: Tape())
        let (n, t) = (agent.environment.count, TruncationBootstrapTests.last)
        // The same agent stopped one step short holds the memory from before step t.
        var shorter = config
        shorter.updateInterval = t
        let before = try OnlineActorCritic(shorter, policy: spec, environment: try TruncationBootstrapTests.walks(), seed: 5)
        _ = try before.collect(on: Tape())
        #expect((0..<n).allSatisfy { window.dones[t * n + $0] } && agent.episodeStarts == [true, true, true])

        let final = Tensor([3, 1], shape: [1, 2])
        let finalValue = agent.policy.step(final, memory: agent.memory.rows([0])).1.scalars[0]
        let freshValue = agent.policy.step(final, memory: agent.policy.initialMemory(batch: 1)).1.scalars[0]
        let restartValue = agent.policy.step(Tensor([0, 1], shape: [1, 2]), memory: agent.memory.rows([0])).1.scalars[0]
        let staleValue = agent.policy.step(final, memory: before.memory.rows([0])).1.scalars[0]
        // The value is one the test can tell apart from the wrong choices.
        #expect(abs(finalValue - freshValue) > 1e-5 && abs(finalValue - restartValue) > 1e-5 && abs(finalValue - staleValue) > 1e-5)

        #expect(abs(window.rewards[t * n] - (1 + 0.9 * finalValue)) < 1e-6, "truncated: \(window.rewards[t * n])")
        #expect(window.rewards[t * n + 1] == 1, "terminated: no bootstrap")
        #expect(window.rewards[t * n + 2] == 1, "terminated as the limit struck: no bootstrap")
        for row in 0..<(t * n) { #expect(window.rewards[row] == 1) }
    }
}

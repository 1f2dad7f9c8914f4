import Testing
import ReverieEnvs
@testable import ReverieAgents

/// The online actor-critic: RTRL's memory reaches across a T-Maze that TBPTT
/// with the same update interval cannot span (Irie et al. 2024's claim at CPU
/// scale), runs are reproducible, and impossible configurations are refused.
@Suite struct OnlineActorCriticTests {
    /// The agent of `reverie bench tmaze`: eLSTM (32) behind a 32-wide encoder,
    /// 16 envs, an update every M = 8 steps.
    static func make(_ rule: RecurrentLearningRule, length: Int, seed: UInt64,
                     memory: RecurrentActorCritic.CellKind? = nil) throws -> OnlineActorCritic {
        // SnAp-1 and UORO approximate RTRL for a dense cell.
        let memory = memory ?? ([.snap1, .uoro].contains(rule) ? .rnn : .elstm)
        var config = OnlineActorCriticConfig()
        (config.learningRule, config.updateInterval, config.learningRate) = (rule, 8, 3e-3)
        let spec = PolicySpec(hidden: [], memory: memory, memorySize: 32, encoderSize: 32, forgetBias: 5)
        let name = "TMaze?length=\(length)&penalty=\(1 / Float(length + 1))"
        let envs = try SyncVectorEnvironment(count: 16) { _ in EpisodeStatistics(try Registry.make(name)) }
        return try OnlineActorCritic(config, policy: spec, environment: envs, seed: seed)
    }

    /// Greedy success over 100 episodes: the share that turn the cued way.
    static func successRate(_ agent: OnlineActorCritic, length: Int) throws -> Double {
        let returns = try evaluate(agent.policy, in: try Registry.make("TMaze?length=\(length)"), episodes: 100, seed: 1_000_000)
        return Double(returns.filter { $0 > 0 }.count) / Double(returns.count)
    }

    /// The cue is 40 steps behind the junction; updates come every 8 steps.
    /// RTRL carries the cue's effect on the weights in its sensitivities and
    /// learns to remember it; TBPTT's gradient never reaches back to the cue.
    @Test func rtrlRemembersACueFortyStepsBackWhereTBPTTCannot() throws {
        let rtrl = try Self.make(.rtrl, length: 40, seed: 1), tbptt = try Self.make(.tbptt, length: 40, seed: 1)
        while rtrl.environmentSteps < 1_000_000 { _ = try rtrl.iterate() }
        while tbptt.environmentSteps < 1_000_000 { _ = try tbptt.iterate() }
        let (a, b) = (try Self.successRate(rtrl, length: 40), try Self.successRate(tbptt, length: 40))
        #expect(a >= 0.95, "RTRL's success rate \(a)")
        #expect(b <= 0.6, "TBPTT(8)'s success rate \(b): a cue 40 steps back should be out of its reach")
    }

    @Test func sameSeedSameRun() throws {
        for rule in RecurrentLearningRule.allCases {
            let a = try Self.make(rule, length: 6, seed: 7), b = try Self.make(rule, length: 6, seed: 7)
            for _ in 0..<50 { _ = try a.iterate(); _ = try b.iterate() }
            let same = a.policy.parameters.map(\.storedValue.scalars) == b.policy.parameters.map(\.storedValue.scalars)
            #expect(same, "\(rule): two runs of one seed differ")
        }
    }

    /// Every rule resumes exactly: what it carries (sensitivities, UORO's
    /// estimate) comes back, and the continued run equals the uninterrupted one.
    @Test(arguments: RecurrentLearningRule.allCases) func resumingWithWhatTheRuleCarriesContinuesExactly(_ rule: RecurrentLearningRule) throws {
        let straight = try Self.make(rule, length: 6, seed: 5)
        for _ in 0..<20 { _ = try straight.iterate() }
        let first = try Self.make(rule, length: 6, seed: 5)
        for _ in 0..<10 { _ = try first.iterate() }
        // A second agent takes over: parameters, optimizer, envs' positions, memory and what the rule carries.
        let second = try Self.make(rule, length: 6, seed: 99)
        for (a, b) in zip(second.policy.parameters, first.policy.parameters) { a.update { p in b.storedValue.withUnsafeBufferPointer { for i in 0..<p.count { p[i] = $0[i] } } } }
        try second.optimizer.load(state: first.optimizer.state)
        try (second.environment as! SyncVectorEnvironment).restore((first.environment as! SyncVectorEnvironment).snapshot!)
        try second.resume(environmentSteps: first.environmentSteps, updates: first.updates, rng: first.rng,
                          observations: first.observations, episodeStarts: first.episodeStarts, memory: first.memory,
                          carried: first.carriedTensors)
        #expect(rule == .tbptt ? first.carriedTensors.isEmpty : !first.carriedTensors.isEmpty)
        for _ in 0..<10 { _ = try second.iterate() }
        let same = second.policy.parameters.map(\.storedValue.scalars) == straight.policy.parameters.map(\.storedValue.scalars)
        #expect(same, "\(rule): the resumed run's parameters differ from the uninterrupted run's")
    }

    /// A checkpoint without the sensitivities (an older one) still resumes:
    /// every env's memory restarts empty. One whose tensors do not fit is
    /// refused and changes nothing.
    @Test func resumingWithoutSensitivitiesRestartsMemoryAndAMisfitChangesNothing() throws {
        let first = try Self.make(.rtrl, length: 6, seed: 5)
        for _ in 0..<3 { _ = try first.iterate() }
        let second = try Self.make(.rtrl, length: 6, seed: 5)
        try second.resume(environmentSteps: first.environmentSteps, updates: first.updates, rng: first.rng,
                          observations: first.observations, episodeStarts: first.episodeStarts, memory: first.memory, carried: [:])
        #expect(second.episodeStarts.allSatisfy { $0 } && second.environmentSteps == first.environmentSteps)

        let third = try Self.make(.rtrl, length: 6, seed: 5)
        var wrong = first.carriedTensors
        wrong["sensitivities.0"] = Tensor.zeros([1, 2, 3])
        #expect(throws: AgentError.self) {
            try third.resume(environmentSteps: 99, updates: 9, rng: first.rng, observations: first.observations,
                             episodeStarts: first.episodeStarts, memory: first.memory, carried: wrong)
        }
        #expect(third.environmentSteps == 0 && third.updates == 0)
    }

    @Test func rtrlNeedsAnElementwiseCell() throws {
        #expect(throws: AgentError.self) { try Self.make(.rtrl, length: 4, seed: 1, memory: .gru) }
        do {
            _ = try Self.make(.rtrl, length: 4, seed: 1, memory: .lstm)
            Issue.record("rtrl accepted an LSTM")
        } catch {
            #expect("\(error)".contains("elstm, mingru, lru"), "\(error)")
        }
        // SnAp-1 and UORO are for dense cells; element-wise ones have exact RTRL.
        do {
            _ = try Self.make(.snap1, length: 4, seed: 1, memory: .elstm)
            Issue.record("snap1 accepted an eLSTM")
        } catch {
            #expect("\(error)".contains("exact rtrl"), "\(error)")
        }
        // Dense cells learn by TBPTT.
        let agent = try Self.make(.tbptt, length: 4, seed: 1, memory: .gru)
        _ = try agent.iterate()
        #expect(agent.environmentSteps == 16 * 8)
    }
}

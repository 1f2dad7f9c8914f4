import Foundation
import ReverieAgents
import ReverieEnvs

/// The claim of Irie et al. (2024) on a CPU-scale task: an online
/// actor-critic whose eLSTM learns by exact RTRL remembers a cue across a
/// T-Maze corridor that the same agent trained by TBPTT with truncation M
/// (its update interval) cannot bridge. For each corridor length, rule and
/// seed: train for a budget of steps, then the greedy policy's success rate
/// over 100 episodes (success: the cued turn).
struct TMazeBench {
    var lengths = [10, 40]
    var seeds = [1, 2, 3]
    var steps = 1_000_000
    var updateInterval = 8

    /// The agent of agents/rtrl-elstm-tmaze.toml, learning by `rule`.
    static func config(rule: RecurrentLearningRule, updateInterval: Int) -> OnlineActorCriticConfig {
        var c = OnlineActorCriticConfig()
        c.learningRule = rule
        c.updateInterval = updateInterval
        c.learningRate = 3e-3
        return c
    }

    /// eLSTM of 32 units behind a 32-wide encoder, linear heads; the forget
    /// gate starts near σ(5) ≈ 0.99, remembering.
    static var policy: PolicySpec {
        PolicySpec(hidden: [], memory: .elstm, memorySize: 32, encoderSize: 32, forgetBias: 5)
    }

    /// Trains one agent and returns its greedy success rate and training steps per second.
    static func successRate(length: Int, rule: RecurrentLearningRule, seed: Int, steps: Int, updateInterval: Int,
                            envs: Int = 16) throws -> (success: Double, sps: Double) {
        let name = "TMaze?length=\(length)&penalty=\(1 / Float(length + 1))"
        let environment = try SyncVectorEnvironment(count: envs) { _ in EpisodeStatistics(try Registry.make(name)) }
        let agent = try OnlineActorCritic(config(rule: rule, updateInterval: updateInterval), policy: policy,
                                          environment: environment, seed: UInt64(seed))
        let start = Date()
        while agent.environmentSteps < steps { _ = try agent.iterate() }
        let sps = Double(agent.environmentSteps) / Date().timeIntervalSince(start)
        // Success is the cued turn, judged on the maze without its penalty.
        let returns = try evaluate(agent.policy, in: try Registry.make("TMaze?length=\(length)"), episodes: 100, seed: 1_000_000)
        return (Double(returns.filter { $0 > 0 }.count) / Double(returns.count), sps)
    }

    func run() throws -> BenchResult {
        var rows: [[String: Any]] = []
        var lines = ["T-Maze, eLSTM 32 units, M = \(updateInterval), \(steps) steps, seeds \(seeds): greedy success rate"]
        lines.append("length   rule    mean   success per seed")
        var means: [Int: [RecurrentLearningRule: Double]] = [:]
        for length in lengths {
            for rule in [RecurrentLearningRule.rtrl, .tbptt] {
                var successes: [Double] = []
                for seed in seeds {
                    let (success, sps) = try Self.successRate(length: length, rule: rule, seed: seed, steps: steps,
                                                              updateInterval: updateInterval)
                    successes.append(success)
                    rows.append(["length": length, "rule": rule.rawValue, "seed": seed, "success": success, "sps": rounded(sps)])
                    FileHandle.standardError.write(Data("  length \(length) \(rule.rawValue) seed \(seed): \(success) (\(Int(sps)) steps/s)\n".utf8))
                }
                let mean = successes.reduce(0, +) / Double(successes.count)
                means[length, default: [:]][rule] = mean
                lines.append("\(length)".padding(toLength: 9, withPad: " ", startingAt: 0)
                             + rule.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                             + String(format: "%.2f   ", mean) + successes.map { String(format: "%.2f", $0) }.joined(separator: " "))
            }
        }
        let headline = lengths.contains(40) ? 40 : lengths.max()!
        return BenchResult(workload: "tmaze", ours: means[headline]?[.rtrl] ?? .nan, peer: means[headline]?[.tbptt] ?? .nan,
                           unit: "mean greedy success rate at corridor length \(headline) (RTRL vs TBPTT)",
                           details: ["runs": rows, "steps": steps, "update_interval": updateInterval, "lengths": lengths,
                                     "seeds": seeds], table: lines.joined(separator: "\n"))
    }
}

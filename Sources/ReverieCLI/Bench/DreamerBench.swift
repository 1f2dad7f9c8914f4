import Foundation
import ReverieAgents
import ReverieEnvs
import ReverieTraining

/// The world-model agent's learning result per backbone: each preset
/// `agents/dreamer-<backbone>-cartpole.toml` trained to its budget (30k env
/// steps) per seed, then 10 deterministic evaluation episodes (the trainer's
/// evaluation seeds). The bar is a mean return ≥ 450 with each
/// backbone. No peer runs here: the figure is the return, with its wall time.
struct DreamerBench {
    var backbones = ["gru", "s4", "mamba"]
    var seeds = [1, 2, 3]

    func run() throws -> BenchResult {
        var rows: [[String: Any]] = [], means: [String: Double] = [:]
        var lines = ["world-model agent on CartPole-v1, presets dreamer-<backbone>-cartpole, seeds \(seeds): eval return (10 episodes)"]
        lines.append("backbone  steps   mean    per seed                 wall s per seed")
        for backbone in backbones {
            var returns: [Double] = [], walls: [Double] = [], steps = 0
            for seed in seeds {
                let config = try TrainConfig.load(preset: try Presets.url(for: "dreamer-\(backbone)-cartpole"),
                                                  overrides: ["seed=\(seed)"])
                let (agent, _) = try Trainer.makeAgent(config)
                let start = Date()
                while agent.environmentSteps < config.totalSteps { _ = try agent.iterate() }
                let wall = Date().timeIntervalSince(start)
                let r = try evaluate(agent.actingPolicy, in: try Registry.make(config.env), episodes: 10,
                                     seed: UInt64(seed) &+ 1_000_000)
                let mean = Double(r.reduce(0, +)) / Double(r.count)
                (steps, returns, walls) = (agent.environmentSteps, returns + [mean], walls + [wall])
                rows.append(["backbone": backbone, "seed": seed, "eval_return": mean, "env_steps": agent.environmentSteps,
                             "wall_seconds": rounded(wall)])
                FileHandle.standardError.write(Data("  \(backbone) seed \(seed): \(mean) after \(agent.environmentSteps) steps (\(Int(wall)) s)\n".utf8))
            }
            let mean = returns.reduce(0, +) / Double(returns.count)
            means[backbone] = mean
            lines.append(backbone.padding(toLength: 10, withPad: " ", startingAt: 0) + "\(steps)".padding(toLength: 8, withPad: " ", startingAt: 0)
                         + String(format: "%-7.1f ", mean) + returns.map { String(format: "%.1f", $0) }.joined(separator: " ")
                             .padding(toLength: 25, withPad: " ", startingAt: 0)
                         + walls.map { String(format: "%.0f", $0) }.joined(separator: " "))
        }
        return BenchResult(workload: "dreamer", ours: means.values.min() ?? .nan, peer: nil,
                           unit: "eval return after the presets' 30k env steps (the lowest backbone mean)",
                           details: ["runs": rows, "means": means, "seeds": seeds], table: lines.joined(separator: "\n"))
    }
}

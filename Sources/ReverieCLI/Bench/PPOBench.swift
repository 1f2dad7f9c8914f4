import Foundation
import ReverieAgents
import ReverieEnvs
import ReverieTraining

/// PPO on CartPole-v1 against Stable-Baselines3 with the same hyperparameters
/// in the same run (bench/peers/sb3_ppo.py): training steps per second, with
/// each side's deterministic eval return after the budget beside it.
///
/// - `ppo`: agents/ppo-cartpole.toml (BENCHMARKS.md's ppo-ff) against SB3's PPO.
/// - `ppo-lstm`: agents/ppo-lstm-cartpole.toml (ppo-lstm) against
///   sb3-contrib's RecurrentPPO with one LSTM shared by actor and critic.
struct PPOBench {
    var recurrent = false
    var seeds = [1, 2, 3]

    func run() throws -> BenchResult {
        let peer = try PythonPeer()
        let preset = recurrent ? "agents/ppo-lstm-cartpole.toml" : "agents/ppo-cartpole.toml"
        let config = try TrainConfig.load(preset: peer.root.appendingPathComponent(preset))
        var sps: [Double] = [], returns: [Double] = []
        for seed in seeds {
            var c = config
            c.seed = seed
            let (ppo, normalization) = try Trainer.makeAgent(c)
            let start = Date()
            while ppo.environmentSteps < c.totalSteps { _ = try ppo.iterate() }
            sps.append(Double(ppo.environmentSteps) / Date().timeIntervalSince(start))
            let r = try evaluate(ppo.actingPolicy, in: normalization.evaluation(try Registry.make(c.env)), episodes: 10, seed: 1_000_000)
            returns.append(Double(r.reduce(0, +)) / Double(r.count))
        }
        let result = try peer.run("sb3_ppo.py", [String(config.totalSteps)] + seeds.map(String.init) + (recurrent ? ["--lstm"] : []))
        let peerSPS = (result["sps"] as? [Double]) ?? []
        let peerReturns = (result["returns"] as? [Double]) ?? []
        let ours = median(sps), theirs = median(peerSPS)
        let table = """
            \(recurrent ? "LSTM PPO" : "PPO"), CartPole-v1, \(config.totalSteps) steps, seeds \(seeds)   steps/s (median)   eval return (mean of seeds)
            Reverie                                          \(Int(ours))              \(rounded(mean(returns), digits: 10))
            \((result["peer_name"] as? String) ?? "SB3")   \(Int(theirs))              \(rounded(mean(peerReturns), digits: 10))
            ratio \(rounded(ours / theirs, digits: 100))
            """
        return BenchResult(
            workload: recurrent ? "ppo-lstm" : "ppo", ours: ours, peer: theirs, unit: "env steps/s (training)",
            details: ["env": "CartPole-v1", "preset": preset, "total_steps": config.totalSteps,
                      "seeds": seeds, "ours_sps": sps.map { rounded($0) }, "peer_sps": peerSPS.map { rounded($0) },
                      "ours_return": returns, "peer_return": peerReturns,
                      "peer_name": (result["peer_name"] as? String) ?? "stable-baselines3"],
            table: table)
    }

    private func median(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        let s = x.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    private func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count) }
}

import Foundation
import ReverieAgents
import ReverieCore
import ReverieEnvs
import ReverieTraining

/// PPO on Atari from pixels against CleanRL's `ppo_atari` algorithm in
/// PyTorch on the CPU (bench/peers/ppo_atari_torch.py), in the same run with
/// as many threads: the preset `ppo-atari-<game>`'s network and
/// hyperparameters on both sides, the same ALE game (`<Game>NoFrameskip-v4`),
/// served by the Gymnasium bridge and preprocessed in Swift here, stepped by
/// Gymnasium's SyncVectorEnv behind CleanRL's wrappers there.
///
/// Reported: training env steps (agent steps of 4 frames) per second of each
/// side over the same budget, rounds interleaved (ours, then the peer's),
/// with the training returns of the games ended. A few tens of thousands of
/// steps measure speed, not learning: Pong's return stays near −21. Beside
/// them, our product FLOPs per env step (counted; the peer trains the same
/// network on the same batches), each side's fraction of the machine's peak
/// (FMA probe × threads), and the ratio ours would reach at that peak.
struct PPOAtariBench {
    var game = "Pong"
    var steps = 20_480
    var seed = 1
    var rounds = 2
    var withPeer = true

    func run() throws -> BenchResult {
        let peer = try PythonPeer()
        let preset = "agents/ppo-atari-\(game.lowercased()).toml"
        let base = try TrainConfig.load(preset: peer.root.appendingPathComponent(preset))
        let batch = base.numEnvs * base.ppo.rolloutSteps, budget = max(steps / batch, 1) * batch
        var ours: [Double] = [], theirs: [Double] = [], ourReturns: [Double] = [], peerReturns: [Double] = []
        var peerName = "CleanRL-style PPO (PyTorch)"
        var flopsPerStep = 0.0
        var peak = MachinePeak()
        for _ in 0..<rounds {
            let (rate, returns, flops) = try train(base, budget: budget)
            ours.append(rate)
            flopsPerStep = flops
            ourReturns += returns
            if withPeer {
                let result = try peer.run("ppo_atari_torch.py", ["--env-id", "\(game)NoFrameskip-v4", "--steps", "\(budget)",
                                                                 "--seed", "\(seed)", "--threads", "\(Parallel.workers)",
                                                                 "--num-envs", "\(base.numEnvs)", "--rollout-steps", "\(base.ppo.rolloutSteps)",
                                                                 "--minibatch-size", "\(base.ppo.minibatchSize)", "--epochs", "\(base.ppo.epochs)",
                                                                 "--learning-rate", "\(base.ppo.learningRate)"])
                theirs.append(result["steps_per_second"] as? Double ?? .nan)
                peerReturns += (result["curve"] as? [[Any]] ?? []).compactMap { ($0[2] as? NSNumber)?.doubleValue }
                peerName = result["peer_name"] as? String ?? peerName
            }
        }
        let (a, b) = (median(ours), withPeer ? median(theirs) : .nan)
        peak.remeasure()
        // Env steps per second if every product FLOP ran at the peak and nothing else took time.
        let peakRate = peak.flopsPerSecond / flopsPerStep
        func mean(_ x: [Double]) -> String { x.isEmpty ? "–" : "\(rounded(x.reduce(0, +) / Double(x.count), digits: 10))" }
        let table = """
            PPO on \(game)NoFrameskip-v4 from pixels, \(budget) env steps (×4 frames) per side and round, \(rounds) rounds, \(Parallel.workers) thread(s)
              ours (bridge ×\(base.bridgeProcesses), AtariPreprocessing in Swift)   \(Int(a)) steps/s   rounds \(ours.map { Int($0) })   return \(mean(ourReturns))
              \(peerName)   \(withPeer ? "\(Int(b))" : "–") steps/s   rounds \(theirs.map { Int($0) })   return \(mean(peerReturns))
              ratio \(withPeer ? "\(rounded(a / b, digits: 100))" : "–")   (target ≥ 2)
              \(rounded(flopsPerStep / 1e6, digits: 10)) MFLOP of products per env step: ours at \(rounded(a / peakRate)) of the peak, \
            the peer at \(withPeer ? "\(rounded(b / peakRate))" : "–"); at the peak ours would be \(withPeer ? "\(rounded(peakRate / b))" : "–")× the peer
              \(peak.description)
            """
        return BenchResult(workload: "ppo-atari", ours: a, peer: b, unit: "training env steps/s",
                           details: ["game": game, "env": base.env, "preset": preset, "steps": budget, "seed": seed,
                                     "threads": Parallel.workers, "bridge_processes": base.bridgeProcesses,
                                     "rounds_ours": ours.map { rounded($0) }, "rounds_peer": theirs.map { rounded($0) },
                                     "peer_name": peerName, "product_mflop_per_step": rounded(flopsPerStep / 1e6),
                                     "peak_gflops_per_thread": rounded(peak.perThread), "ours_fraction_of_peak": rounded(a / peakRate),
                                     "peer_fraction_of_peak": rounded(b / peakRate), "ratio_at_peak": rounded(peakRate / b)],
                           table: table)
    }

    /// Our steps/s over `budget` steps of the preset, the returns of the games
    /// that ended, and the product FLOPs per env step.
    private func train(_ base: TrainConfig, budget: Int) throws -> (Double, [Double], Double) {
        var config = base
        try config.apply([("total_steps", .int(budget)), ("seed", .int(seed))], source: "bench ppo-atari")
        let (agent, _) = try Trainer.makeAgent(config)
        defer { agent.environment.close() }
        var returns: [Double] = []
        let start = Date()
        let (_, flops) = try ProductCounter.counting {
            while agent.environmentSteps < budget {
                returns += try agent.iterate().episodes.map { Double($0.return) }
            }
        }
        return (Double(agent.environmentSteps) / Date().timeIntervalSince(start), returns, Double(flops) / Double(agent.environmentSteps))
    }
}

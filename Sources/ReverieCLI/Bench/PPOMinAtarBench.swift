import Foundation
import ReverieAgents
import ReverieCore
import ReverieEnvs
import ReverieTraining

/// PPO training on a MinAtar game against the same PPO in JAX with each
/// update jitted whole, PureJaxRL's way (bench/peers/ppo_minatar_jax.py), in
/// the same run with as many threads: the preset `ppo-minatar-<game>`'s
/// hyperparameters on both sides, each network on both sides (MinAtar's CNN,
/// PureJaxRL's 2×64 tanh MLPs), and the game as gymnax plays it on both
/// sides — sticky actions off, a 1,000-step cap (`MinAtar/<Game>-v1?sticky=0&
/// max_episode_steps=1000` here; gymnax's port there).
///
/// Reported per network: training env steps per second (the peer's compile
/// time apart), the training return at the end of the budget (mean of the
/// episodes ended in the last `span` steps), and the wall time at which that
/// windowed return first reaches `target` (PureJaxRL's ≈ 40 at 10M steps on
/// Breakout), each side measured the same way. Beside them, our product FLOPs
/// per env step (counted; the peer trains the same network on the same
/// batches), each side's fraction of the machine's peak (FMA probe × threads)
/// at its rate, and the ratio to the peer that ours would reach at that peak.
struct PPOMinAtarBench {
    static let networks = ["minatar", "mlp"]
    var game = "Breakout"
    var networks = Self.networks
    var steps = 2_000_000
    var seed = 1
    var target = 40.0
    var withPeer = true
    /// Updates of 8,192 steps per point of the curve (81,920 steps).
    var span = 10

    /// One side's training on one network.
    struct Outcome {
        var stepsPerSecond: Double
        /// (env steps, wall seconds, mean return of the episodes ended since the last point or nil).
        var curve: [(steps: Int, seconds: Double, meanReturn: Double?)]
        var compileSeconds: Double = 0
        /// Product FLOPs per env step (ours only).
        var flopsPerStep: Double = .nan

        var finalReturn: Double? { curve.last?.meanReturn }
        /// (steps, seconds) of the first point whose return reached `target`.
        func reaching(_ target: Double) -> (steps: Int, seconds: Double)? {
            curve.first { ($0.meanReturn ?? -.infinity) >= target }.map { ($0.steps, $0.seconds) }
        }
    }

    func run() throws -> BenchResult {
        let peer = try PythonPeer()
        let preset = "agents/ppo-minatar-\(Self.kebab(game)).toml"
        let base = try TrainConfig.load(preset: peer.root.appendingPathComponent(preset))
        // Whole updates on both sides.
        let batch = base.numEnvs * base.ppo.rolloutSteps, budget = max(steps / batch, 1) * batch
        var rows: [[String: Any]] = [], logRatio = 0.0, compared = 0
        let peak = MachinePeak(), ceiling = peak.flopsPerSecond
        var lines = ["PPO on MinAtar \(game) (gymnax's settings), \(budget) steps, seed \(seed), \(Parallel.workers) thread(s): "
                     + "network   ours steps/s   JAX steps/s   ratio   return at end (ours | JAX)   minutes to \(Int(target)) (ours | JAX)"]
        for network in networks {
            let ours = try train(base, network: network, budget: budget)
            let jax = withPeer ? try peerRun(peer, network: network, budget: budget) : nil
            if let jax { logRatio += log(ours.stepsPerSecond / jax.stepsPerSecond); compared += 1 }
            func describe(_ o: Outcome?) -> [String: Any] {
                guard let o else { return [:] }
                return ["steps_per_second": rounded(o.stepsPerSecond), "final_return": o.finalReturn.map { rounded($0) } ?? NSNull(),
                        "seconds_to_target": o.reaching(target).map { rounded($0.seconds) } ?? NSNull(),
                        "steps_to_target": o.reaching(target)?.steps ?? NSNull(), "compile_s": rounded(o.compileSeconds),
                        "curve": o.curve.map { [$0.steps, rounded($0.seconds), $0.meanReturn.map { rounded($0) } ?? NSNull()] as [Any] }]
            }
            // At the machine's peak a step costs flopsPerStep / ceiling seconds.
            let peakRate = ceiling / ours.flopsPerStep
            rows.append(["network": network, "ours": describe(ours), "peer": describe(jax),
                         "ratio": jax.map { rounded(ours.stepsPerSecond / $0.stepsPerSecond) } ?? NSNull(),
                         "product_mflop_per_step": rounded(ours.flopsPerStep / 1e6),
                         "ours_fraction_of_peak": rounded(ours.stepsPerSecond / peakRate),
                         "peer_fraction_of_peak": jax.map { rounded($0.stepsPerSecond / peakRate) } ?? NSNull(),
                         "ratio_at_peak": jax.map { rounded(peakRate / $0.stepsPerSecond) } ?? NSNull()])
            func minutes(_ o: Outcome?) -> String { o?.reaching(target).map { "\(rounded($0.seconds / 60, digits: 10))" } ?? "–" }
            func ret(_ o: Outcome?) -> String { o?.finalReturn.map { "\(rounded($0, digits: 10))" } ?? "–" }
            lines.append("  \(network)".padding(12) + "\(Int(ours.stepsPerSecond))".padding(15)
                         + (jax.map { "\(Int($0.stepsPerSecond))" } ?? "–").padding(14)
                         + (jax.map { "\(rounded(ours.stepsPerSecond / $0.stepsPerSecond, digits: 100))" } ?? "–").padding(8)
                         + "\(ret(ours)) | \(ret(jax))".padding(28) + "\(minutes(ours)) | \(minutes(jax))")
            lines.append("    \(rounded(ours.flopsPerStep / 1e6, digits: 100)) MFLOP of products per env step: ours at "
                         + "\(rounded(ours.stepsPerSecond / peakRate)) of the peak, JAX at "
                         + (jax.map { "\(rounded($0.stepsPerSecond / peakRate)); at the peak ours would be \(rounded(peakRate / $0.stepsPerSecond))× JAX" } ?? "–"))
        }
        lines.append(peak.description)
        let geometric = compared > 0 ? exp(logRatio / Double(compared)) : .nan
        return BenchResult(workload: "ppo-minatar", ours: geometric, peer: 1,
                           unit: "× the JAX peer's training env steps/s (geometric mean over networks)",
                           details: ["game": game, "env": Self.env(game), "preset": preset, "steps": budget, "seed": seed,
                                     "threads": Parallel.workers, "target_return": target, "networks": rows,
                                     "peak_gflops_per_thread": rounded(peak.perThread)],
                           table: lines.joined(separator: "\n"))
    }

    /// The env on our side: the game as gymnax plays it.
    static func env(_ game: String) -> String { "MinAtar/\(game)-v1?sticky=0&max_episode_steps=1000" }

    /// "SpaceInvaders" → "space-invaders", as the presets are named.
    static func kebab(_ game: String) -> String {
        game.enumerated().map { i, c in c.isUppercase && i > 0 ? "-" + c.lowercased() : c.lowercased() }.joined()
    }

    private func train(_ base: TrainConfig, network: String, budget: Int) throws -> Outcome {
        var config = base
        try config.apply([("env", .string(Self.env(game))), ("total_steps", .int(budget)), ("seed", .int(seed)),
                          ("policy.encoder", .string(network))], source: "bench ppo-minatar")
        let (agent, _) = try Trainer.makeAgent(config)
        var curve: [(steps: Int, seconds: Double, meanReturn: Double?)] = []
        var (sum, ended, updates) = (0.0, 0, 0)
        let start = Date(), flopsBefore = ProductCounter.flops
        ProductCounter.isCounting = true
        defer { ProductCounter.isCounting = false }
        while agent.environmentSteps < budget {
            let report = try agent.iterate()
            for episode in report.episodes { (sum, ended) = (sum + Double(episode.return), ended + 1) }
            updates += 1
            if updates % span == 0 || agent.environmentSteps >= budget {
                curve.append((agent.environmentSteps, Date().timeIntervalSince(start), ended > 0 ? sum / Double(ended) : nil))
                (sum, ended) = (0, 0)
            }
        }
        return Outcome(stepsPerSecond: Double(agent.environmentSteps) / Date().timeIntervalSince(start), curve: curve,
                       flopsPerStep: Double(ProductCounter.flops - flopsBefore) / Double(agent.environmentSteps))
    }

    private func peerRun(_ peer: PythonPeer, network: String, budget: Int) throws -> Outcome {
        let result = try peer.run("ppo_minatar_jax.py", ["--game", game, "--network", network, "--steps", "\(budget)",
                                                         "--seed", "\(seed)", "--threads", "\(Parallel.workers)",
                                                         "--chunk", "\(span)"])
        let points = (result["curve"] as? [[Any]] ?? []).map { p in
            (steps: (p[0] as? NSNumber)?.intValue ?? 0, seconds: (p[1] as? NSNumber)?.doubleValue ?? .nan,
             meanReturn: (p[2] as? NSNumber)?.doubleValue)
        }
        return Outcome(stepsPerSecond: result["steps_per_second"] as? Double ?? .nan, curve: points,
                       compileSeconds: result["compile_s"] as? Double ?? .nan)
    }
}

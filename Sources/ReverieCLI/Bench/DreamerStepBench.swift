import Foundation
import ReverieAgents
import ReverieCore
import ReverieEnvs

/// One update of the world-model agent — the world model's step on a
/// replayed batch of B 16 × L 64, a dream of 15 steps from each of the
/// batch's B·L posterior states, the actor's and the critic's steps — at the
/// `tiny` size (h 128, 16×16 latents, 128 units, CNN depth 16), on vectors
/// (CartPole's 4 floats, 2 actions) and on pixels (PixelCatch's 64×64×3, 3
/// actions), against sheeprl's DreamerV3 at the same sizes and threads
/// (`bench/peers/dreamer_step_sheeprl.py`, sheeprl's own `train` on a
/// synthetic batch), the two alternating over `rounds` rounds, each figure
/// the median over them. Both sides dream from all B·L states, as sheeprl
/// and DreamerV3 do. Beside them: the update's counted product FLOPs against
/// the machine's FMA peak. Replay sampling is timed on our side (it is part
/// of our update), not on the peer's.
struct DreamerStepBench {
    var observations = ["vector", "pixels"]
    var repeats = 3
    var rounds = 3
    var withPeer = true
    let batch = 16, length = 64, horizon = 15

    static let environments = ["vector": "CartPole-v1", "pixels": "PixelCatch"]

    /// An agent at the `tiny` size whose replay holds random play enough for a batch.
    func agent(_ observation: String) throws -> Dreamer {
        var config = DreamerConfig()
        config.apply(.tiny)
        config.worldModel.cnnDepth = 16
        (config.batchSize, config.sequenceLength, config.horizon) = (batch, length, horizon)
        (config.imaginationBatch, config.trainRatio, config.prefill, config.iterationSteps) = (batch * length, 0, 1_000_000, 128)
        let name = Self.environments[observation]!
        let environment = try SyncVectorEnvironment(count: 4) { _ in EpisodeStatistics(try Registry.make(name)) }
        let agent = try Dreamer(config, environment: environment, seed: 1)
        for _ in 0..<4 { _ = try agent.iterate() }  // 2,048 random steps, 512 per env
        return agent
    }

    /// Milliseconds per update (median of `repeats` after a warm-up) and the update's product FLOPs.
    func ours(_ agent: Dreamer) throws -> (ms: Double, flops: Double) {
        var failure: Error?
        let (seconds, flops) = countedMedianSeconds(repeats: repeats) {
            do { try agent.updateOnReplay() } catch { failure = error }
        }
        if let failure { throw failure }
        return (1e3 * seconds, flops)
    }

    func peer(_ observation: String) throws -> (ms: Double, name: String) {
        let actions = observation == "vector" ? 2 : 3
        let out = try PythonPeer().run("dreamer_step_sheeprl.py", [
            "--obs", observation, "--actions", "\(actions)", "--batch", "\(batch)", "--length", "\(length)",
            "--horizon", "\(horizon)", "--deter", "128", "--stoch", "16", "--classes", "16", "--units", "128",
            "--cnn-depth", "16", "--repeats", "\(repeats)", "--threads", "\(Parallel.workers)"])
        return (out["ms_per_update"] as? Double ?? .nan, out["peer"] as? String ?? "sheeprl DreamerV3")
    }

    func run() throws -> BenchResult {
        var peak = MachinePeak()
        let agents = try observations.map { try agent($0) }
        var ourRounds: [[Double]] = [], peerRounds: [[Double]] = [], flops: [Double] = [], peerName = ""
        for _ in 0..<max(1, rounds) {
            if withPeer {
                let measured = try observations.map { try peer($0) }
                peerRounds.append(measured.map(\.ms))
                peerName = measured.first?.name ?? peerName
            }
            let measured = try agents.map { try ours($0) }
            ourRounds.append(measured.map(\.ms))
            flops = measured.map(\.flops)
        }
        peak.remeasure()
        var lines = ["world-model agent, one update (B \(batch) × L \(length), dream \(horizon) steps from all \(batch * length) states, tiny), ms: "
                     + "observations   ours   \(withPeer ? peerName : "(no peer)")   ratio   GFLOP/update   of peak (ours, peer)"]
        var rows: [[String: Any]] = []
        for (i, observation) in observations.enumerated() {
            let ours = median(ourRounds.map { $0[i] })
            let peer = withPeer ? median(peerRounds.map { $0[i] }) : Double.nan
            let floorMs = 1e3 * flops[i] / peak.flopsPerSecond
            var row: [String: Any] = ["observations": observation, "environment": Self.environments[observation]!,
                                      "ms_per_update": rounded(ours), "rounds_ms": ourRounds.map { rounded($0[i]) },
                                      "product_gflop_per_update": rounded(flops[i] / 1e9), "fraction_of_peak": rounded(floorMs / ours)]
            if withPeer {
                row["peer_ms_per_update"] = rounded(peer)
                row["peer_rounds_ms"] = peerRounds.map { rounded($0[i]) }
                row["speedup"] = rounded(peer / ours)
                row["peer_fraction_of_peak"] = rounded(floorMs / peer)
            }
            rows.append(row)
            lines.append("  " + observation.padding(toLength: 8, withPad: " ", startingAt: 0)
                         + String(format: " %8.0f %8.0f %7.2f× %10.2f   %.2f, %.2f", ours, peer, peer / ours,
                                  flops[i] / 1e9, floorMs / ours, floorMs / peer))
        }
        lines.append("  " + peak.description + "; FLOPs counted on our update (the peer's network is the same shape, not identical)")
        let headline = rows.first { $0["observations"] as? String == "pixels" } ?? rows[0]
        return BenchResult(workload: "dreamer-step", ours: headline["ms_per_update"] as? Double ?? .nan,
                           peer: headline["peer_ms_per_update"] as? Double,
                           unit: "ms per update (\(headline["observations"] ?? ""), tiny, B \(batch) × L \(length))",
                           details: ["cases": rows, "peer_name": peerName, "peak_gflops_per_thread": rounded(peak.perThread)],
                           table: lines.joined(separator: "\n"), lowerIsBetter: true)
    }
}

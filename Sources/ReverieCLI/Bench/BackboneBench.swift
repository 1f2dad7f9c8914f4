import Foundation
import ReverieCore
import ReverieWorldModels

/// The world-model backbones' training step (BENCHMARKS.md's wm-gru, wm-s5,
/// wm-mamba): B 16, width 256, 2 layers, Adam, loss = mean square of the
/// outputs; S4 with 64 complex modes, Mamba with 16 states and expand 2.
/// Milliseconds per step at each L (median of `repeats` after a warm-up; one
/// timed run at L ≥ 1024), beside the PyTorch peer at the same shapes in the
/// same run (`bench/peers/wm_backbone.py`: torch.nn.GRU, s5-pytorch's S5Block,
/// mambapy's Mamba), the two alternating over `rounds` rounds and each figure
/// the median over them, with model FLOP utilisation against the machine's sgemm
/// rate measured in the same run; and the step's counted product FLOPs
/// against the machine's FMA peak, with the speed-up over the peer that
/// running them at that peak would give (element-wise and scan work is not
/// counted, so that ceiling is generous). Without `peer` (workload
/// `backbone`), our side only, every backbone.
struct BackboneBench {
    var kinds: [BackboneConfig.Kind]
    var withPeer: Bool
    var lengths = [64, 256, 1024]
    var repeats = 3
    /// Rounds of peer then ours, when there is a peer.
    var rounds = 3
    let batch = 16, width = 256

    static func workload(_ kind: BackboneConfig.Kind) -> String {
        switch kind {
        case .gru: "wm-gru"
        case .s4: "wm-s5"
        case .mamba: "wm-mamba"
        }
    }

    func config(_ kind: BackboneConfig.Kind) -> BackboneConfig {
        BackboneConfig(kind: kind, width: width, layers: 2, stateSize: kind == .mamba ? 16 : 64)
    }

    /// Runs of our training step: each call gives milliseconds per step at
    /// each length, and the step's product FLOPs (counted on the warm-up step).
    func ours(_ kind: BackboneConfig.Kind) -> () -> [(ms: Double, flops: Double)] {
        var rng = RandomGenerator(seed: 1)
        let backbone = config(kind).make(inputSize: width, rng: &rng)
        let optimizer = Adam(backbone, learningRate: 1e-4)
        let inputs = lengths.map { Tensor.uniform([batch, $0, width], low: -1, high: 1, using: &rng) }
        return { [lengths, batch, repeats] in
            zip(lengths, inputs).map { length, inputs in
                let resets = [Bool](repeating: false, count: batch * length)
                let (seconds, flops) = countedMedianSeconds(repeats: length >= 1024 ? 1 : repeats) {
                    let (_, gradients) = valueWithGradients(wrt: optimizer.parameters) {
                        backbone.scan(inputs, backbone.initialState(batch: batch), resets: resets).outputs.squared().mean()
                    }
                    optimizer.update(gradients)
                }
                return (1e3 * seconds, flops)
            }
        }
    }

    /// The peer's milliseconds per step by "kind@length", from one run of its script.
    func peer() throws -> (cases: [String: Double], names: [String: Any]) {
        let peer = try PythonPeer().run("wm_backbone.py", [
            "--kinds", kinds.map(\.rawValue).joined(separator: ","),
            "--lengths", lengths.map(String.init).joined(separator: ","), "--repeats", "\(repeats)"])
        var cases: [String: Double] = [:]
        for case let row as [String: Any] in peer["cases"] as? [Any] ?? [] {
            cases["\(row["backbone"] ?? "")@\(row["length"] ?? "")"] = row["ms_per_step"] as? Double
        }
        return (cases, peer["peer_names"] as? [String: Any] ?? [:])
    }

    func run() throws -> BenchResult {
        let header = "backbone train step, B \(batch), d \(width), 2 layers, Adam: ms per step"
        // With the peer, rounds alternate its script and our side, so that a
        // slow spell of the machine weighs on both; each figure is the median
        // over rounds (of each run's median over repeats).
        let rounds = withPeer ? max(1, self.rounds) : 1
        let runners = kinds.map { ours($0) }
        var peak = MachinePeak()
        var peerRounds: [[String: Double]] = [], peerNames: [String: Any] = [:], ourRounds: [[[Double]]] = []
        var counted: [[Double]] = []
        for _ in 0..<rounds {
            if withPeer {
                let peer = try peer()
                peerRounds.append(peer.cases)
                peerNames = peer.names
            }
            let measured = runners.map { $0() }
            ourRounds.append(measured.map { $0.map(\.ms) })
            counted = measured.map { $0.map(\.flops) }
        }
        var peerCases: [String: Any] = [:]
        for key in peerRounds.first?.keys.sorted() ?? [] {
            let values = peerRounds.compactMap { $0[key] }
            if values.count == peerRounds.count { peerCases[key] = median(values) }
        }
        let times = kinds.indices.map { k in lengths.indices.map { i in median(ourRounds.map { $0[k][i] }) } }
        var rows: [[String: Any]] = []
        var lines = [header + ", L = " + lengths.map(String.init).joined(separator: ", ")
                     + (rounds > 1 ? " (medians of \(rounds) rounds, ours and the peer's interleaved)" : "")]
        var headline: (ours: Double, peer: Double?) = (0, nil)
        // The projection shape every backbone runs, (B·64) × 256 by 256 × 768,
        // measured after our side (OpenBLAS's own threads spin for a while after use).
        let sgemm = sgemmRate(m: batch * 64, n: 3 * width, k: width, repeats: repeats)
        peak.remeasure()
        let ceiling = peak.flopsPerSecond
        for (ki, (kind, times)) in zip(kinds, times).enumerated() {
            let flopsPerToken = 3 * Double(config(kind).forwardFlopsPerToken(inputSize: width))
            var cells: [String] = []
            for (li, (length, ms)) in zip(lengths, times).enumerated() {
                let mfu = flopsPerToken * Double(batch * length) / (ms * 1e-3) / (sgemm * 1e9)
                // A step's products at the peak take this long: no implementation doing them is faster.
                let floorMs = 1e3 * counted[ki][li] / ceiling
                var row: [String: Any] = ["backbone": kind.rawValue, "length": length, "ms_per_step": rounded(ms),
                                          "mfu": rounded(mfu), "rounds_ms_per_step": ourRounds.map { rounded($0[ki][li]) },
                                          "product_gflop_per_step": rounded(counted[ki][li] / 1e9),
                                          "fraction_of_peak": rounded(floorMs / ms)]
                if withPeer { row["rounds_peer_ms_per_step"] = peerRounds.map { $0["\(kind.rawValue)@\(length)"].map { rounded($0) } ?? .nan } }
                var cell = String(format: "%.1f", ms)
                if let peer = peerCases["\(kind.rawValue)@\(length)"] as? Double {
                    row["peer_ms_per_step"] = peer
                    row["speedup"] = rounded(peer / ms)
                    row["peer_fraction_of_peak"] = rounded(floorMs / peer)
                    row["speedup_at_peak"] = rounded(peer / floorMs)
                    cell += String(format: " vs %.1f (%.2f×, at most %.2f× at the peak)", peer, peer / ms, peer / floorMs)
                }
                if length == lengths.first && kind == kinds.first {
                    headline = (ms, row["peer_ms_per_step"] as? Double)
                }
                rows.append(row)
                cells.append(cell)
            }
            lines.append("  " + kind.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0) + cells.joined(separator: ", ")
                         + String(format: "   (MFU %.2f at L = %d)", (rows.last?["mfu"] as? Double) ?? 0, lengths.last ?? 0))
        }
        lines.append(String(format: "  cblas_sgemm %d×%d×%d: %.1f GFLOP/s (MFU = 3 × forward matmul FLOPs / time / this)",
                            batch * 64, 3 * width, width, sgemm))
        lines.append("  " + peak.description)
        var details: [String: Any] = ["cases": rows, "batch": batch, "width": width, "layers": 2,
                                      "peak_gflops_per_thread": rounded(peak.perThread),
                                      "sgemm_gflops": rounded(sgemm, digits: 10), "lengths": lengths]
        if withPeer { details["peer_name"] = kinds.compactMap { peerNames[$0.rawValue] as? String }.joined(separator: ", ") }
        let what = kinds.count == 1 ? kinds[0].rawValue : "\(kinds[0].rawValue); the rest in cases"
        return BenchResult(workload: kinds.count == 1 ? Self.workload(kinds[0]) : "backbone", ours: headline.ours,
                           peer: headline.peer, unit: "ms per training step at L = \(lengths[0]) (\(what))",
                           details: details, table: lines.joined(separator: "\n"), lowerIsBetter: true)
    }
}
